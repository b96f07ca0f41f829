"""`/vakt report [week]`: the weekly report on demand.

Coordinators see the whole organisation, a manager their own teams; anyone else is refused.
The report is the ephemeral answer; the chart and the CSV go to the asker as one direct message
through the outbox (both files in one `files_upload_v2`), which the listener sends at once and
the scheduler retries if Slack fails.
"""

from __future__ import annotations

from bot.kernel.context import Ctx
from bot.kernel.errors import NotAllowed
from bot.report import blocks as rb
from bot.report import core
from bot.report import service as report
from bot.report.jobs import report_messages
from bot.slackkit.outbox import enqueue
from bot.slackkit.router import Command, Reply


def cmd_report(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    """`/vakt report [week]`: last week's report (or the week named), for the asker's teams."""
    teams = report.all_team_infos(ctx.session)
    team_ids: list[int] | None = None
    if not ctx.is_coordinator:
        team_ids = report.managed_teams(teams, ctx.actor)
        if not team_ids:
            raise NotAllowed("error.report_not_allowed")
    # "uke 47" arrives as two words.
    week = (
        core.parse_week("".join(words), ctx.today)
        if words
        else core.report_week(ctx.calendar, ctx.now)
    )
    rep = report.report_for(ctx.session, ctx.config, ctx.calendar, week, ctx.now, team_ids)
    text, blocks = rb.report_message(rep, lang, ctx.calendar.tz, files_note=True)
    # One per request (the instant in the key): asking again sends the files again.
    key_part = f"{week.key}:{ctx.actor}:{ctx.now.isoformat()}"
    for message in report_messages(
        ctx.calendar,
        ctx.config,
        rep,
        ctx.actor,
        lang,
        key_part,
        with_report=False,
    ):
        enqueue(ctx.session, message, ctx.now)
    ctx.audit(
        "report.view", week.key, after={"teams": "all" if team_ids is None else sorted(team_ids)}
    )
    return Reply(text, blocks)


COMMANDS = (
    Command("report", ("report", "rapport", "ukerapport", "veckorapport", "weekly"), cmd_report),
)
