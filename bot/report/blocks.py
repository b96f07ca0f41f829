"""Block Kit for the weekly report: a header, a summary, a section per team with fields, the
archive, register and rota lines and a context line on working time – within Slack's 50 blocks
however many teams there are."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from babel.dates import format_date
from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    SectionBlock,
)

from bot.kernel.i18n import fmt_date, fmt_duration, fmt_moment, fmt_week, t
from bot.report.core import Week, WeekFigures
from bot.slackkit import blocks as kit
from bot.slackkit.blocks import MESSAGE_BLOCKS, escape

if TYPE_CHECKING:
    from bot.report.service import Report, TeamReport

_BABEL = {"nb": "nb_NO", "sv": "sv_SE", "en": "en_GB"}
HEADER_LIMIT = 150
GAP_LINES = 8
SNAPSHOT_NAMES = 3


def week_span(week: Week, lang: str) -> str:
    """ "16.–22. nov. 2026" / "16–22 nov. 2026" / "16–22 Nov 2026"; months and years only
    where they change."""
    start, end = week.monday, week.sunday
    locale = _BABEL.get(lang, "en_GB")
    dot = "." if lang == "nb" else ""
    full = "d. MMM y" if lang == "nb" else "d MMM y"
    if start.month == end.month:
        return f"{start.day}{dot}–{format_date(end, full, locale=locale)}"
    head = "d. MMM" if lang == "nb" else "d MMM"
    if start.year == end.year:
        return f"{format_date(start, head, locale=locale)}–{format_date(end, full, locale=locale)}"
    return f"{format_date(start, full, locale=locale)}–{format_date(end, full, locale=locale)}"


def duration(span: timedelta | None, lang: str) -> str:
    """Working time as "3 t 20 min" / "8 t", or a dash when there is no figure.

    Hours and minutes, never "days": a working day is 8 hours in winter and 7 in summer, and
    half a day before Christmas, so "1 d" would mean different things in different weeks.
    """
    if span is None:
        return t(lang, "report.none")
    minutes = round(span.total_seconds() / 60)
    if minutes >= 60 and minutes % 60 == 0:
        return t(lang, "report.hours", hours=minutes // 60)
    return fmt_duration(span, lang)


def deadline_words(days: int, lang: str) -> str:
    """ "the next working day" / "2 working days"."""
    if days == 1:
        return t(lang, "report.deadline_one")
    return t(lang, "report.deadline_many", days=days)


def share(fig: WeekFigures, lang: str) -> str:
    """The share answered within the deadline, "92 %", or a dash."""
    value = fig.within_share
    if value is None:
        return t(lang, "report.none")
    return t(lang, "report.percent", value=round(value * 100))


def title(report: Report, lang: str) -> str:
    """ "Weekly report – week 47 (16–22 Nov 2026)"."""
    return t(
        lang,
        "report.header",
        week=fmt_week(report.week.monday, lang),
        span=week_span(report.week, lang),
    )


def files_comment(week: Week, lang: str) -> str:
    """The comment the chart and CSV are shared with: "Chart and figures, week 47"."""
    return t(lang, "report.files_comment", week=fmt_week(week.monday, lang))


def _summary(report: Report, lang: str) -> str:
    total = report.total
    lines = [
        t(
            lang,
            "report.summary",
            received=total.received,
            answered=total.answered,
            other=total.closed_other,
            overdue=report.overdue,
        )
    ]
    if total.answered:
        lines.append(
            t(
                lang,
                "report.response",
                median=duration(total.median, lang),
                p90=duration(total.p90, lang),
                share=share(total, lang),
            )
        )
    else:
        lines.append(t(lang, "report.no_answers"))
    return "\n".join(lines)


def _team_block(team: TeamReport, lang: str) -> SectionBlock:
    fig = team.figures
    fields = [
        kit.md(
            t(
                lang,
                "report.field_items",
                received=fig.received,
                answered=fig.answered,
                other=fig.closed_other,
            )
        ),
        kit.md(
            t(
                lang,
                "report.field_response",
                median=duration(fig.median, lang),
                p90=duration(fig.p90, lang),
            )
        ),
        kit.md(t(lang, "report.field_deadline", share=share(fig, lang))),
        kit.md(t(lang, "report.field_overdue", overdue=team.overdue)),
    ]
    return SectionBlock(text=kit.md(f"*{escape(team.team.name)}*"), fields=fields)


def _more_teams(rest: Sequence[TeamReport], lang: str) -> SectionBlock:
    return SectionBlock(
        text=kit.md(
            t(
                lang,
                "report.more_teams",
                count=len(rest),
                teams=", ".join(escape(r.team.name) for r in rest),
                received=sum(r.figures.received for r in rest),
                answered=sum(r.figures.answered for r in rest),
                overdue=sum(r.overdue for r in rest),
            )
        )
    )


def _archive_line(report: Report, lang: str) -> str:
    extras = report.extras
    due = extras.snapshots_due
    snapshots = str(len(due))
    if due:
        names = ", ".join(escape(s.account) for s in due[:SNAPSHOT_NAMES])
        more = f" +{len(due) - SNAPSHOT_NAMES}" if len(due) > SNAPSHOT_NAMES else ""
        snapshots = f"{len(due)} ({names}{more})"
    if not extras.deletions:
        return t(lang, "report.archive_quiet", snapshots=snapshots)
    return t(
        lang,
        "report.archive",
        deletions=extras.deletions,
        complete=extras.deletions_complete,
        snapshots=snapshots,
    )


def _gap_lines(report: Report, lang: str, today: date) -> str:
    gaps = report.extras.gaps
    if not gaps:
        return t(lang, "report.gaps_none")
    lines = [t(lang, "report.gaps", count=len(gaps))]
    for gap in gaps[:GAP_LINES]:
        key = "report.gap_nobody" if gap.kind == "nobody" else "report.gap_no_substitute"
        lines.append(
            "• "
            + t(
                lang,
                key,
                team=escape(gap.team),
                week=fmt_week(gap.start, lang),
                day=fmt_date(gap.start, lang, year_unless=today.year),
            )
        )
    if len(gaps) > GAP_LINES:
        lines.append(t(lang, "common.more", count=len(gaps) - GAP_LINES))
    return "\n".join(lines)


def report_message(
    report: Report, lang: str, tz: tzinfo, *, files_note: bool = False
) -> tuple[str, list[dict[str, Any]]]:
    """The weekly report as (fallback text, blocks)."""
    heading = title(report, lang)
    scope = (
        t(lang, "report.scope_all", org=escape(report.org))
        if report.whole
        else t(
            lang,
            "report.scope_teams",
            org=escape(report.org),
            teams=", ".join(escape(r.team.name) for r in report.teams),
        )
    )
    blocks: list[Block] = [
        HeaderBlock(text=heading[:HEADER_LIMIT]),
        ContextBlock(elements=[kit.md(scope)]),
        SectionBlock(text=kit.md(_summary(report, lang))),
        DividerBlock(),
    ]
    shown, rest = shown_teams(report)
    blocks.extend(_team_block(team, lang) for team in shown)
    if rest:
        blocks.append(_more_teams(rest, lang))
    today = report.made_at.astimezone(tz).date()
    blocks += [
        DividerBlock(),
        SectionBlock(
            text=kit.md(
                "\n".join(
                    (
                        _archive_line(report, lang),
                        t(
                            lang,
                            "report.register",
                            open=report.extras.flags_open,
                            new=report.extras.flags_new,
                        ),
                        _gap_lines(report, lang, today),
                    )
                )
            )
        ),
        ContextBlock(
            elements=[
                kit.md(
                    t(
                        lang,
                        "report.context",
                        deadline=deadline_words(report.deadline_days, lang),
                        moment=fmt_moment(report.made_at, tz, lang),
                    )
                    + (f" {t(lang, 'report.files_note')}" if files_note else "")
                )
            ]
        ),
    ]
    assert len(blocks) <= MESSAGE_BLOCKS
    total = report.total
    text = t(
        lang,
        "report.fallback",
        title=heading,
        received=total.received,
        answered=total.answered,
        overdue=report.overdue,
    )
    return text, [block.to_dict() for block in blocks]


# Beyond this many teams the message sums up the rest in one line (Slack's 50 blocks).
SHOWN_TEAMS = 12


def shown_teams(report: Report) -> tuple[list[TeamReport], list[TeamReport]]:
    """The teams the message shows one by one, and the rest it sums up: the busiest first
    when there are more than SHOWN_TEAMS, in key order otherwise."""
    if len(report.teams) <= SHOWN_TEAMS:
        return list(report.teams), []
    ranked = sorted(
        report.teams,
        key=lambda r: (-(r.figures.received + r.figures.answered + r.overdue), r.team.key),
    )
    shown = {r.team.id for r in ranked[:SHOWN_TEAMS]}
    return (
        [r for r in report.teams if r.team.id in shown],
        [r for r in report.teams if r.team.id not in shown],
    )
