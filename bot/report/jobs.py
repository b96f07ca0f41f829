"""The weekly report: the first working day of each ISO week (Monday, or the next working day
after a Monday holiday), from that day's first office hour, covering the week before.

The coordinators' channel (else each coordinator by DM) gets the whole organisation; each
team's manager gets one DM with only their teams. Every recipient gets two outbox messages –
the report (`report:<week>:<recipient>`) and the chart with the CSV
(`report-files:<week>:<recipient>`) – so a second sweep, a restart or a second replica sends
nothing twice, and a failed upload is retried with the same bytes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select

from bot.kernel.audience import coordinator_targets
from bot.kernel.calendar import WorkCalendar
from bot.kernel.config import OrgConfig
from bot.kernel.i18n import fmt_week, plain
from bot.report import blocks as rb
from bot.report import core
from bot.report import service as report
from bot.report.chart import chart_png
from bot.slackkit.outbox import Attachment, Message, enqueue
from bot.store.models import Outbox

log = logging.getLogger(__name__)
REPORT_KIND = "weekly_report"
FILES_KIND = "weekly_report_files"


def report_messages(
    calendar: WorkCalendar,
    config: OrgConfig,
    rep: report.Report,
    recipient: str,
    lang: str,
    key_part: str,
    *,
    with_report: bool = True,
) -> list[Message]:
    """The report message and its files message (chart and CSV) for one recipient."""
    week = rep.week
    label = fmt_week(week.monday, lang)
    messages: list[Message] = []
    if with_report:
        text, blocks = rb.report_message(rep, lang, calendar.tz)
        messages.append(
            Message(
                key=f"report:{key_part}",
                kind=REPORT_KIND,
                channel=recipient,
                text=text,
                blocks=blocks,
            )
        )
    stem = f"vakt-{week.key}"
    messages.append(
        Message(
            key=f"report-files:{key_part}",
            kind=FILES_KIND,
            channel=recipient,
            text=rb.files_comment(week, lang),
            files=(
                Attachment(
                    f"{stem}.png",
                    plain(lang, "report.chart_file_title", week=label),
                    chart_png(rep, lang),
                ),
                Attachment(
                    f"{stem}.csv",
                    plain(lang, "report.csv_file_title", week=label),
                    report.report_csv(rep, plain(lang, "report.total_label")),
                ),
            ),
        )
    )
    return messages


def recipients(
    config: OrgConfig, teams: Iterable[report.TeamInfo]
) -> list[tuple[str, list[int] | None]]:
    """Who gets which report: the coordinators everything (None), each manager their teams.
    A manager who already gets the whole report as a coordinator's DM gets no second one."""
    whole = coordinator_targets(config)
    found: list[tuple[str, list[int] | None]] = [(target, None) for target in whole]
    managed: dict[str, list[int]] = {}
    for team in teams:
        if team.manager and team.manager not in whole:
            managed.setdefault(team.manager, []).append(team.id)
    found += sorted(managed.items())
    return found


def weekly_report_job(
    session: Session, config: OrgConfig, calendar: WorkCalendar, now: datetime
) -> list[Message]:
    """Record this week's report once, when its first office hour has come."""
    if not core.is_report_time(calendar, now):
        return []
    week = core.report_week(calendar, now)
    # The chart is drawn only for recipients still without it: later sweeps that day draw nothing.
    recorded = set(
        session.exec(select(Outbox.key).where(col(Outbox.key).like(f"report%:{week.key}:%"))).all()
    )
    data: report.ReportData | None = None
    messages: list[Message] = []
    lang = config.language
    teams = report.all_team_infos(session)
    if not teams:
        return []  # nothing to report on before the first team exists
    for recipient, team_ids in recipients(config, teams):
        key_part = f"{week.key}:{recipient}"
        wanted = {f"report:{key_part}", f"report-files:{key_part}"}
        if wanted <= recorded:
            continue
        if team_ids is not None and not team_ids:
            continue
        if data is None:
            data = report.load(session, config, calendar, week, now)
        rep = report.build(calendar, config, data, team_ids)
        for message in report_messages(calendar, config, rep, recipient, lang, key_part):
            if message.key not in recorded:
                messages.append(message)
    return [m for m in messages if enqueue(session, m, now)]
