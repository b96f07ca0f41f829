"""Scheduled rota messages: handovers, heads-ups and gap alerts.

Each job is a plain function of (session, config, calendar, now) that records what is due in the
outbox under a key naming the occasion, so running it again for the same instant, late, or on a
second replica adds nothing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session, select

from bot.kernel.audience import lang_for
from bot.kernel.calendar import WorkCalendar
from bot.kernel.config import OrgConfig
from bot.kernel.i18n import fmt_date, fmt_short_date, fmt_week, t
from bot.rota import core as rota
from bot.rota.teams import TeamView, absences_from, all_teams, overrides_from
from bot.slackkit import blocks as kit
from bot.slackkit.outbox import Message, enqueue
from bot.store.models import Gap


def _accounts(view: TeamView) -> str:
    return ", ".join(f"<{a.url}|{a.name}>" for a in view.accounts) or "–"


def _enqueue_all(session: Session, messages: list[Message], now: datetime) -> list[Message]:
    return [m for m in messages if enqueue(session, m, now)]


def handover_job(
    session: Session, config: OrgConfig, calendar: WorkCalendar, now: datetime
) -> list[Message]:
    """At the start of each period (and whenever duty changes), tell who is on duty; the day
    before a new period, give the incoming primary a heads-up. Office hours only."""
    if not calendar.is_open(now):
        return []
    today = calendar.local_date(now)
    absences = absences_from(session, today - timedelta(days=1))
    overrides = overrides_from(session, today - timedelta(days=1))
    messages: list[Message] = []
    for view in all_teams(session):
        if not view.members:
            continue
        duty = rota.duty_on(view.rota, today, calendar, absences, overrides)
        period = duty.period
        first_day = rota.first_working_day(period, calendar) == today
        for role, user in (("primary", duty.primary), ("substitute", duty.substitute)):
            if user is None:
                continue
            lang = lang_for(session, config, user)
            text = t(
                lang,
                f"duty.{'start' if first_day else 'now'}_{role}",
                team=view.team.name,
                week=fmt_week(today, lang),
                until=fmt_date(_period_last_day(period, calendar), lang),
                accounts=_accounts(view),
                primary=f"<@{duty.primary}>" if duty.primary else t(lang, "common.nobody"),
                substitute=f"<@{duty.substitute}>" if duty.substitute else t(lang, "common.nobody"),
            )
            messages.append(
                Message(
                    key=f"duty:{view.team.key}:{period.start}:{role}:{user}",
                    kind="handover",
                    channel=user,
                    text=text,
                    blocks=kit.text_blocks(text),
                )
            )
        if view.team.channel and duty.primary:
            lang = config.language
            text = t(
                lang,
                "duty.channel",
                team=view.team.name,
                week=fmt_week(today, lang),
                primary=f"<@{duty.primary}>",
                substitute=f"<@{duty.substitute}>" if duty.substitute else t(lang, "common.nobody"),
                accounts=_accounts(view),
            )
            messages.append(
                Message(
                    key=f"duty:{view.team.key}:{period.start}:channel:{duty.primary}:{duty.substitute}",
                    kind="handover",
                    channel=view.team.channel,
                    text=text,
                    blocks=kit.text_blocks(text),
                )
            )
        next_day = calendar.next_working_day(today)
        next_period = rota.period_of(view.rota, next_day, calendar)
        if next_period.start != period.start:
            incoming = rota.duty_on(view.rota, next_day, calendar, absences, overrides)
            if incoming.primary:
                lang = lang_for(session, config, incoming.primary)
                text = t(
                    lang,
                    "duty.heads_up",
                    team=view.team.name,
                    day=fmt_date(next_day, lang),
                    week=fmt_week(next_day, lang),
                    substitute=f"<@{incoming.substitute}>"
                    if incoming.substitute
                    else t(lang, "common.nobody"),
                    accounts=_accounts(view),
                )
                messages.append(
                    Message(
                        key=f"headsup:{view.team.key}:{next_period.start}:{incoming.primary}",
                        kind="heads_up",
                        channel=incoming.primary,
                        text=text,
                        blocks=kit.text_blocks(text),
                    )
                )
    return _enqueue_all(session, messages, now)


def _period_last_day(period: rota.Period, calendar: WorkCalendar) -> date:
    days = calendar.working_days_between(period.start, period.end)
    return days[-1] if days else period.end


def _gap_messages(
    config: OrgConfig, view: TeamView, gap: Gap, event: str, lang: str
) -> list[Message]:
    days = [date.fromisoformat(d) for d in gap.days.split(",") if d]
    text = t(
        lang,
        f"gap.{event}_{gap.kind}",
        team=view.team.name,
        week=fmt_week(days[0], lang) if days else "",
        days=", ".join(fmt_short_date(d, lang) for d in days),
    )
    channels = [c for c in (config.coordinator_channel, view.team.channel) if c]
    return [
        Message(
            key=f"gap:{gap.id}:{gap.generation}:{event}:{channel}",
            kind=f"gap_{event}",
            channel=channel,
            text=text,
            blocks=kit.text_blocks(text),
        )
        for channel in dict.fromkeys(channels)
    ]


def gap_job(
    session: Session, config: OrgConfig, calendar: WorkCalendar, now: datetime
) -> list[Message]:
    """Alert the coordinators' and team channels, once, of periods ahead with nobody or no
    substitute available (NB3, PG2), and say when such a gap is closed. Office hours only."""
    if not calendar.is_open(now):
        return []
    today = calendar.local_date(now)
    horizon = calendar.add_working_days(today, config.schedule.gap_lookahead_working_days)
    days = calendar.working_days_between(today, horizon)
    absences = absences_from(session, today)
    overrides = overrides_from(session, today)
    lang = config.language
    messages: list[Message] = []
    for view in all_teams(session):
        assert view.team.id is not None
        found = (
            {
                (g.period.start, g.kind): g
                for g in rota.find_gaps(view.rota, days, calendar, absences, overrides)
            }
            if view.members
            else {}
        )
        if not view.members and days:
            period = rota.period_of(view.rota, days[0], calendar)
            found = {
                (period.start, "nobody"): rota.Gap(view.team.key, period, "nobody", (days[0],))
            }
        rows = session.exec(select(Gap).where(Gap.team_id == view.team.id)).all()
        known = {(r.period_start, r.kind): r for r in rows}
        for key, gap in found.items():
            row = known.get(key)
            day_list = ",".join(d.isoformat() for d in gap.days)
            if row is None:
                row = Gap(
                    team_id=view.team.id,
                    period_start=gap.period.start,
                    kind=gap.kind,
                    days=day_list,
                    opened_at=now,
                )
                session.add(row)
                session.flush()
                messages.extend(_gap_messages(config, view, row, "open", lang))
            elif row.closed_at is not None:
                row.generation += 1
                row.closed_at = None
                row.opened_at = now
                row.days = day_list
                session.add(row)
                session.flush()
                messages.extend(_gap_messages(config, view, row, "open", lang))
            elif row.days != day_list:
                row.days = day_list
                session.add(row)
        for key, row in known.items():
            if key in found or row.closed_at is not None:
                continue
            row.closed_at = now
            session.add(row)
            session.flush()
            last = max((date.fromisoformat(d) for d in row.days.split(",") if d), default=today)
            if last >= today:
                messages.extend(_gap_messages(config, view, row, "closed", lang))
    return _enqueue_all(session, messages, now)
