"""Reminders about unanswered items, escalation to managers, and the retention purge.

At each reminder time (default 09:00 and 13:00, office hours only) the person the rota has on
duty for a team gets one digest of the team's overdue items and of items still waiting for a
registration reference; the team channel gets a short summary; items open N working days past
their deadline go to the manager and the coordinators' channel once per working day. Messages are
keyed by (person or team, reminder time), so a second sweep, a restart or a late run sends
nothing twice. The work grows with teams and recipients, not items: counts and the oldest few
items per team come from two grouped queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from bot.config import OrgConfig
from bot.core import rota
from bot.core.calendar import WorkCalendar
from bot.core.items import ItemLine, Status, age_working_days, escalation_cutoff, reminder_slot
from bot.services.notify import lang_for
from bot.services.outbox import Message, enqueue
from bot.services.store import TeamView, absences_from, all_teams, overrides_from
from bot.slack import blocks as b
from bot.slack import item_blocks as ib
from bot.store.models import Account, Item, SlackEvent

EVENT_MEMORY = timedelta(days=7)


@dataclass
class TeamItems:
    """Overdue (or escalated, or unregistered) items of one team: how many, and the oldest."""

    count: int = 0
    oldest: list[ItemLine] = field(default_factory=list)


def _team_items(
    session: Session,
    views: Sequence[TeamView],
    condition: sa.ColumnElement[bool],
    limit: int,
) -> dict[int, TeamItems]:
    """Per team id: the number of items matching `condition` and the `limit` oldest of them."""
    found: dict[int, TeamItems] = {}
    counts = session.exec(
        select(Account.team_id, func.count())
        .select_from(Item)
        .join(Account, col(Account.id) == col(Item.account_id))
        .where(condition)
        .group_by(col(Account.team_id))
    ).all()
    for team_id, count in counts:
        found[team_id] = TeamItems(count=int(count))
    if not found:
        return found
    rank = (
        func.row_number()
        .over(partition_by=col(Account.team_id), order_by=(col(Item.received_at), col(Item.id)))
        .label("rank")
    )
    ranked = (
        select(col(Item.id).label("item_id"), rank)
        .join(Account, col(Account.id) == col(Item.account_id))
        .where(condition)
        .subquery()
    )
    wanted = select(ranked.c.item_id).where(ranked.c.rank <= limit)
    rows = session.exec(
        select(Item, Account)
        .join(Account, col(Account.id) == col(Item.account_id))
        .where(col(Item.id).in_(wanted))
        .order_by(col(Item.received_at), col(Item.id))
    ).all()
    names = {v.team.id: v.team.name for v in views}
    for item, account in rows:
        found[account.team_id].oldest.append(
            ib.line_of(item, account, team=names.get(account.team_id))
        )
    return found


def _slot_key(day: date, at: time) -> str:
    return f"{day.isoformat()}T{at.strftime('%H%M')}"


def reminder_job(
    session: Session, config: OrgConfig, calendar: WorkCalendar, now: datetime
) -> list[Message]:
    """Digests to whoever is on duty, team summaries and escalations, at each reminder time."""
    slot = reminder_slot(calendar, now, config.items.reminder_times)
    if slot is None:
        return []
    day, at = slot
    slot_key = _slot_key(day, at)
    rules = config.items
    views = [v for v in all_teams(session) if v.accounts]
    if not views:
        return []
    absences = absences_from(session, day - timedelta(days=1))
    overrides = overrides_from(session, day - timedelta(days=1))

    is_open = col(Item.status) == Status.OPEN
    overdue = _team_items(
        session, views, sa.and_(is_open, col(Item.deadline) < now), rules.digest_items
    )
    unregistered = _team_items(
        session,
        views,
        sa.and_(
            col(Item.must_register).is_(True),
            col(Item.registration_ref).is_(None),
            col(Item.deadline) < now,
        ),
        rules.digest_items,
    )
    cutoff = escalation_cutoff(calendar, now, rules.escalate_after_working_days)
    escalated = _team_items(
        session, views, sa.and_(is_open, col(Item.deadline) <= cutoff), rules.digest_items
    )

    # Who hears about each team's items: the person on duty now (the substitute when the
    # primary is away); the manager when the rota has nobody.
    digests: dict[str, tuple[list[ItemLine], int, list[ItemLine], int]] = {}
    messages: list[Message] = []
    for view in views:
        team_id = view.team.id
        assert team_id is not None
        late = overdue.get(team_id, TeamItems())
        unreg = unregistered.get(team_id, TeamItems())
        duty = rota.duty_at(view.rota, now, calendar, absences, overrides) if view.members else None
        recipient = (duty.primary if duty else None) or view.team.manager
        for line_list in (late.oldest, unreg.oldest):
            for i, line in enumerate(line_list):
                line_list[i] = _with_responsible(line, recipient)
        if recipient and (late.count or unreg.count):
            mine = digests.setdefault(recipient, ([], 0, [], 0))
            mine[0].extend(late.oldest)
            mine[2].extend(unreg.oldest)
            digests[recipient] = (mine[0], mine[1] + late.count, mine[2], mine[3] + unreg.count)
        if view.team.channel and late.count:
            lang = config.language
            oldest = late.oldest[0] if late.oldest else None
            text = ib.summary_text(
                lang,
                view.team.name,
                late.count,
                age_working_days(calendar, oldest.received_at, now) if oldest else 0,
                recipient,
            )
            messages.append(
                Message(
                    key=f"summary:{view.team.key}:{slot_key}",
                    kind="item_summary",
                    channel=view.team.channel,
                    text=text,
                    blocks=b.text_blocks(text),
                )
            )
        esc = escalated.get(team_id)
        if esc and esc.count:
            lines = [_with_responsible(line, recipient) for line in esc.oldest]
            targets = [r for r in (view.team.manager, config.coordinator_channel) if r]
            for target in dict.fromkeys(targets):
                lang = (
                    lang_for(session, config, target)
                    if target.startswith(("U", "W"))
                    else config.language
                )
                text, blocks = ib.escalation(
                    lang,
                    calendar,
                    now,
                    view.team.name,
                    lines,
                    esc.count,
                    rules.escalate_after_working_days,
                )
                messages.append(
                    Message(
                        key=f"escalation:{view.team.key}:{target}:{day.isoformat()}",
                        kind="item_escalation",
                        channel=target,
                        text=text,
                        blocks=blocks,
                    )
                )
    for user, (late_lines, late_total, unreg_lines, unreg_total) in digests.items():
        lang = lang_for(session, config, user)
        late_lines.sort(key=lambda line: (line.received_at, line.id))
        unreg_lines.sort(key=lambda line: (line.received_at, line.id))
        text, blocks = ib.digest(
            lang,
            calendar,
            now,
            late_lines[: rules.digest_items],
            late_total,
            unreg_lines[: max(rules.digest_items - len(late_lines), 3)],
            unreg_total,
        )
        messages.insert(
            0,
            Message(
                key=f"digest:{user}:{slot_key}",
                kind="item_digest",
                channel=user,
                text=text,
                blocks=blocks,
            ),
        )
    return [m for m in messages if enqueue(session, m, now)]


def _with_responsible(line: ItemLine, user: str | None) -> ItemLine:
    if line.responsible == user:
        return line
    return ItemLine(**{**line.__dict__, "responsible": user})


def retention_job(
    session: Session, config: OrgConfig, calendar: WorkCalendar, now: datetime
) -> list[Message]:
    """Purge stored excerpts a number of days after an item was closed (NB8, NB10), unless it
    must be registered and is not yet; the item's metadata and outcome stay.

    Counted in whole local days, so the purge happens once a night, at the first sweep after
    midnight; later sweeps that day find nothing more to do.
    """
    today = calendar.local_date(now)
    first_kept = today - timedelta(days=config.items.retention_days)
    cutoff = datetime.combine(first_kept, time(0), tzinfo=calendar.tz)
    session.execute(
        sa.update(Item)
        .where(
            col(Item.excerpt).is_not(None),
            col(Item.status) != Status.OPEN,
            col(Item.closed_at) < cutoff,
            sa.not_(
                sa.and_(col(Item.must_register).is_(True), col(Item.registration_ref).is_(None))
            ),
        )
        .values(excerpt=None, excerpt_purged_at=now)
    )
    session.execute(sa.delete(SlackEvent).where(col(SlackEvent.received_at) < now - EVENT_MEMORY))
    return []
