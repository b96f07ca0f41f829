"""The weekly report's chart: response time per team over the last 8 ISO weeks against the
deadline, as PNG bytes (matplotlib, Agg, no display needed).

The same report gives the same bytes: a fixed size and resolution, matplotlib's bundled DejaVu
Sans (it has æøåäö), no metadata (matplotlib writes its version and the date otherwise).
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.kernel.i18n import plain
from bot.report.blocks import deadline_words, duration
from bot.report.service import Report, TeamReport

if TYPE_CHECKING:
    from matplotlib.axes import Axes

# 1100 x 620 pixels: Slack shows it whole in its preview and the labels stay readable.
SIZE = (11.0, 6.2)
DPI = 100
MAX_LINES = 8  # more teams than this: the busiest (most answered over the weeks) are drawn
# Colour-blind-safe (Okabe–Ito), then the rest of tab10.
COLOURS = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)
DEADLINE_COLOUR = "#C0392B"
STYLE: dict[Any, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 13,
    "axes.titlesize": 16,
    "axes.labelsize": 13,
}
# rc_context changes matplotlib's global settings while it lasts: one chart at a time.
_LOCK = threading.Lock()


def _hours(span: timedelta | None) -> float:
    """Hours for the y axis; NaN (a gap in the line) when there is no figure."""
    return math.nan if span is None else span.total_seconds() / 3600


def drawn_teams(report: Report) -> list[TeamReport]:
    """The teams drawn: every team, or the MAX_LINES with most answered items over the weeks."""
    teams = [r for r in report.teams if any(f.answered for f in r.history)]
    if len(teams) <= MAX_LINES:
        return teams
    ranked = sorted(teams, key=lambda r: (-sum(f.answered for f in r.history), r.team.key))
    keep = {r.team.id for r in ranked[:MAX_LINES]}
    return [r for r in teams if r.team.id in keep]


def _plot_team(ax: Axes, x: Sequence[int], team: TeamReport, colour: str, top: float) -> None:
    medians = [_hours(f.median) for f in team.history]
    # A 90th percentile above the axis is drawn on its edge: the triangle points on up.
    p90s = [min(_hours(f.p90), top) for f in team.history]
    # NaN leaves a gap in the line: a week without answered items is no week of zero hours.
    ax.plot(x, medians, color=colour, linewidth=2.4, marker="o", markersize=6, label=team.team.name)
    ax.plot(
        x,
        p90s,
        color=colour,
        linestyle="none",
        marker="^",
        markersize=7,
        alpha=0.45,
        clip_on=False,
    )


def _top(report: Report, teams: Sequence[TeamReport]) -> float:
    """The y axis' top: every median and the deadline, the 90th percentiles up to three times
    the deadline – one very slow answer must not squash everything else to the bottom."""
    deadline = report.deadline.total_seconds() / 3600
    medians = [_hours(f.median) for r in teams for f in r.history]
    p90s = [_hours(f.p90) for r in teams for f in r.history]
    highest = max(
        [deadline]
        + [v for v in medians if not math.isnan(v)]
        + [min(v, 3 * deadline) for v in p90s if not math.isnan(v)]
    )
    return highest * 1.12 + 0.5


def chart_png(report: Report, lang: str) -> bytes:
    """The chart of a report as PNG bytes, in `lang`."""
    weeks = report.weeks
    x = list(range(len(weeks)))
    labels = [plain(lang, "report.chart_week", week=w.number) for w in weeks]
    deadline = report.deadline.total_seconds() / 3600
    teams = drawn_teams(report)
    # Imported at the first chart, not when Vakt starts: matplotlib takes a while to import and
    # builds its font cache the first time (in MPLCONFIGDIR, which bot.cli points at the data
    # directory). The Agg canvas and Figure directly, never pyplot: no display, no global
    # figure manager, and the process's backend left alone.
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    with _LOCK, matplotlib.rc_context(STYLE):
        figure = Figure(figsize=SIZE, dpi=DPI)
        FigureCanvasAgg(figure)
        ax = figure.add_subplot()
        deadline_label = plain(
            lang,
            "report.chart_deadline",
            deadline=deadline_words(report.deadline_days, lang),
            time=duration(report.deadline, lang),
        )
        top = _top(report, teams)
        for index, team in enumerate(teams):
            _plot_team(ax, x, team, COLOURS[index % len(COLOURS)], top)
        ax.axhline(deadline, color=DEADLINE_COLOUR, linestyle="--", linewidth=1.8)
        ax.set_ylim(0, top)
        ax.set_xlim(-0.4, len(weeks) - 0.6)
        ax.set_xticks(x, labels)
        ax.set_ylabel(plain(lang, "report.chart_y"))
        first, last = weeks[0], weeks[-1]
        ax.set_title(
            plain(
                lang,
                "report.chart_title",
                org=report.org,
                first=first.number,
                last=last.number,
            ),
            loc="left",
            pad=12,
        )
        ax.grid(axis="y", color="#dddddd", linewidth=0.8)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        handles, names = ax.get_legend_handles_labels()
        if teams:
            handles += [
                Line2D([], [], color="#777777", marker="o", linewidth=2.4),
                Line2D([], [], color="#777777", marker="^", linestyle="none", alpha=0.45),
            ]
            names += [plain(lang, "report.chart_median"), plain(lang, "report.chart_p90")]
        else:
            ax.text(
                0.5,
                0.55,
                plain(lang, "report.chart_empty"),
                transform=ax.transAxes,
                ha="center",
                color="#555555",
            )
        handles.append(Line2D([], [], color=DEADLINE_COLOUR, linestyle="--", linewidth=1.8))
        names.append(deadline_label)
        ax.legend(
            handles, names, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=12
        )
        figure.text(
            0.01, 0.015, plain(lang, "report.chart_note"), fontsize=10, color="#555555", ha="left"
        )
        figure.tight_layout(rect=(0, 0.04, 1, 1))
        buffer = io.BytesIO()
        # No "Software" (matplotlib's version) and no date: the same report, the same bytes.
        figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()
