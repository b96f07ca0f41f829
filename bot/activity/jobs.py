"""The weekly activity message per team, and the posting-volume notices (VT5).

The activity message goes out at the weekly slot (the first working day of the ISO week, from
the first reminder time), once per team and week. The volume guard runs at every sweep in office
hours and tells the team once per account and week, and once per account and working day, that
it posted more than its limit; posts recorded after closing time are told at the next sweep.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from sqlmodel import Session

from bot.activity import blocks as ab
from bot.activity import core
from bot.activity import service as activity
from bot.kernel.audience import lang_of_target
from bot.kernel.calendar import WorkCalendar
from bot.kernel.config import AccountStatus, OrgConfig
from bot.kernel.slots import week_key, weekly_slot
from bot.register.accounts import account_manager, live_accounts
from bot.register.core import over_limit
from bot.rota import core as rota
from bot.rota.teams import TeamView, absences_from, all_teams, overrides_from
from bot.slackkit.outbox import Message, enqueue

log = logging.getLogger(__name__)

ACTIVITY_KIND = "activity"
VOLUME_KIND = "volume"
# Accounts on their way out need no reminder to post.
REPORTED = (AccountStatus.ACTIVE, AccountStatus.FLAGGED)


def _on_duty(view: TeamView, calendar: WorkCalendar, now: datetime, session: Session) -> str | None:
    """Who is on duty in the team now (the last one to ask when it has no channel or manager)."""
    if not view.members:
        return None
    today = calendar.local_date(now)
    absences, overrides = absences_from(session, today), overrides_from(session, today)
    return rota.duty_at(view.rota, now, calendar, absences, overrides).primary


def activity_job(
    session: Session, config: OrgConfig, calendar: WorkCalendar, now: datetime
) -> list[Message]:
    """Each team's accounts and their last posts, once a week: to the team's channel, else its
    manager, else whoever is on duty."""
    slot = weekly_slot(calendar, config, now)
    if slot is None:
        return []
    week, today = slot
    last_week = today - timedelta(days=7)
    messages: list[Message] = []
    for view in all_teams(session):
        accounts = [a for a in view.accounts if a.status in REPORTED]
        if not accounts:
            continue
        recipient = view.team.channel or view.team.manager or _on_duty(view, calendar, now, session)
        if recipient is None:
            log.warning("activity of team %s: nobody to tell", view.team.key)
            continue
        rows = activity.activity_rows(session, config, calendar, accounts, today, last_week)
        lang = lang_of_target(session, config, recipient)
        text, blocks = ab.weekly_activity(
            lang, view.team.name, view.team.key, rows, last_week, today
        )
        messages.append(
            Message(
                key=f"activity:{view.team.id}:{week}",
                kind=ACTIVITY_KIND,
                channel=recipient,
                text=text,
                blocks=blocks,
            )
        )
    return [m for m in messages if enqueue(session, m, now)]


def volume_job(
    session: Session, config: OrgConfig, calendar: WorkCalendar, now: datetime
) -> list[Message]:
    """More posts than an account's limit this week or on a working day: the team is told once,
    in its channel, else the account's manager, else whoever is on duty."""
    if not calendar.is_open(now):
        return []
    today = calendar.local_date(now)
    accounts = [a for a in live_accounts(session) if a.max_posts_week or a.max_posts_day]
    if not accounts:
        return []
    ids = [a.id for a in accounts if a.id is not None]
    weeks = {
        monday: activity.posts_in_week(session, calendar, ids, monday)
        for monday in core.volume_weeks(calendar, today)
    }
    days = {
        day: activity.posts_on_day(session, calendar, ids, day)
        for day in core.volume_days(calendar, today)
    }
    views = {view.team.id: view for view in all_teams(session)}
    messages: list[Message] = []
    for account in accounts:
        assert account.id is not None
        over: list[tuple[str, str, date, int, int]] = []  # period, key part, when, count, limit
        for monday, counts in weeks.items():
            count, limit = counts.get(account.id, 0), account.max_posts_week
            if limit and over_limit(count, limit):
                over.append(("week", week_key(monday), monday, count, limit))
        for day, counts in days.items():
            count, limit = counts.get(account.id, 0), account.max_posts_day
            if limit and over_limit(count, limit):
                over.append(("day", day.isoformat(), day, count, limit))
        if not over:
            continue
        view = views[account.team_id]
        recipient = (
            view.team.channel
            or account_manager(session, account)
            or _on_duty(view, calendar, now, session)
        )
        if recipient is None:
            log.warning("posting volume of %s: its team has nobody to tell", account.key)
            continue
        lang = lang_of_target(session, config, recipient)
        for period, part, when, count, limit in over:
            text, blocks = ab.volume_notice(lang, account, period, when, count, limit)
            messages.append(
                Message(
                    key=f"volume:{account.id}:{period}:{part}",
                    kind=VOLUME_KIND,
                    channel=recipient,
                    text=text,
                    blocks=blocks,
                )
            )
    return [m for m in messages if enqueue(session, m, now)]
