"""Reminders about unanswered items, escalation to managers, and the retention purge.

At each reminder time (default 09:00 and 13:00, office hours only) the person the rota has on
duty for a team gets one digest of the team's overdue items and of items still waiting for a
registration reference; the team channel gets a short summary; items open N working days past
their deadline go to the manager and the coordinators' channel once per working day. Messages are
keyed by (person or team, reminder time), so a second sweep, a restart or a late run sends
nothing twice. Counts and the oldest few items per team come from one ordered pass over narrow
rows of the matching items (no join), then the picked items in full; the rest grows with teams
and recipients, not items.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.config import OrgConfig
from bot.core import rota
from bot.core.calendar import WorkCalendar
from bot.core.items import ItemLine, Status, age_working_days, escalation_cutoff, reminder_slot
from bot.services.notify import lang_for
from bot.services.outbox import Message, enqueue
from bot.services.store import TeamView, absences_from, all_teams, overrides_from
from bot.slack import blocks as b
from bot.slack import item_blocks as ib
from bot.store.models import Account, Item, Outbox, Person, SlackEvent

EVENT_MEMORY = timedelta(days=7)


@dataclass
class TeamItems:
    """Overdue (or escalated, or unregistered) items of one team: how many, and the oldest."""

    count: int = 0
    oldest: list[ItemLine] = field(default_factory=list)


def _team_items(
    session: Session,
    views: Sequence[TeamView],
    conditions: Sequence[sa.ColumnElement[bool]],
    limit: int,
) -> list[dict[int, TeamItems]]:
    """Per condition, per team id: the number of items matching it and the `limit` oldest.

    One pass over the matching items, oldest first, of narrow rows (id, account, one flag per
    condition), counted and picked here; then the few picked items in full. Without a join the
    database reads the item table in order instead of hopping to it from each account.
    """
    found: list[dict[int, TeamItems]] = [{} for _ in conditions]
    team_of = {a.id: v.team.id for v in views for a in v.accounts if v.team.id is not None}
    flags = [sa.case((condition, 1), else_=0) for condition in conditions]
    rows = session.execute(
        select(col(Item.id), col(Item.account_id), *flags)
        .where(sa.or_(*conditions))
        .order_by(col(Item.received_at), col(Item.id))
    ).all()
    unknown = {row[1] for row in rows} - team_of.keys()
    if unknown:  # an account added since the teams were read
        for account_id, team_id in session.execute(
            select(col(Account.id), col(Account.team_id)).where(col(Account.id).in_(unknown))
        ).all():
            team_of[account_id] = team_id
    picked: list[dict[int, list[int]]] = [{} for _ in conditions]
    for row in rows:
        team_id = team_of[row[1]]
        for index, per_team in enumerate(found):
            if not row[2 + index]:
                continue
            team = per_team.get(team_id)
            if team is None:
                team = per_team[team_id] = TeamItems()
            team.count += 1
            if team.count <= limit:
                picked[index].setdefault(team_id, []).append(row[0])
    wanted = sorted({i for by_team in picked for ids in by_team.values() for i in ids})
    full: dict[int, tuple[Item, Account]] = {}
    for start in range(0, len(wanted), 500):
        for item, account in session.exec(
            select(Item, Account)
            .join(Account, col(Account.id) == col(Item.account_id))
            .where(col(Item.id).in_(wanted[start : start + 500]))
        ).all():
            assert item.id is not None
            full[item.id] = (item, account)
    names = {v.team.id: v.team.name for v in views}
    for index, by_team in enumerate(picked):
        for team_id, ids in by_team.items():
            found[index][team_id].oldest.extend(
                ib.line_of(item, account, team=names.get(account.team_id))
                for item, account in (full[i] for i in ids if i in full)
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
    cutoff = escalation_cutoff(calendar, now, rules.escalate_after_working_days)
    overdue, unregistered, escalated = _team_items(
        session,
        views,
        (
            sa.and_(is_open, col(Item.deadline) < now),
            sa.and_(
                col(Item.must_register).is_(True),
                col(Item.registration_ref).is_(None),
                col(Item.deadline) < now,
            ),
            sa.and_(is_open, col(Item.deadline) <= cutoff),
        ),
        rules.digest_items,
    )

    # Who hears about each team's items: the person on duty now (the substitute when the
    # primary is away); the manager when the rota has nobody.
    recipients: dict[int, str | None] = {}
    for view in views:
        assert view.team.id is not None
        duty = rota.duty_at(view.rota, now, calendar, absences, overrides) if view.members else None
        recipients[view.team.id] = (duty.primary if duty else None) or view.team.manager
    # A later sweep in the same slot finds its messages recorded: compose only the others.
    recorded = _recorded(
        session,
        [f"digest:{user}:{slot_key}" for user in recipients.values() if user]
        + [f"summary:{v.team.key}:{slot_key}" for v in views]
        + [
            f"escalation:{v.team.key}:{target}:{day.isoformat()}"
            for v in views
            for target in (v.team.manager, config.coordinator_channel)
            if target
        ],
    )
    languages = _languages(
        session,
        config,
        [user for user in recipients.values() if user]
        + [v.team.manager for v in views if v.team.manager],
    )

    digests: dict[str, tuple[list[ItemLine], int, list[ItemLine], int]] = {}
    messages: list[Message] = []
    for view in views:
        team_id = view.team.id
        assert team_id is not None
        late = overdue.get(team_id, TeamItems())
        unreg = unregistered.get(team_id, TeamItems())
        recipient = recipients[team_id]
        for line_list in (late.oldest, unreg.oldest):
            for i, line in enumerate(line_list):
                line_list[i] = _with_responsible(line, recipient)
        if recipient and (late.count or unreg.count):
            mine = digests.setdefault(recipient, ([], 0, [], 0))
            mine[0].extend(late.oldest)
            mine[2].extend(unreg.oldest)
            digests[recipient] = (mine[0], mine[1] + late.count, mine[2], mine[3] + unreg.count)
        summary_key = f"summary:{view.team.key}:{slot_key}"
        if view.team.channel and late.count and summary_key not in recorded:
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
                    key=summary_key,
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
            composed: dict[str, tuple[str, list[dict[str, Any]]]] = {}  # by language
            for target in dict.fromkeys(targets):
                key = f"escalation:{view.team.key}:{target}:{day.isoformat()}"
                if key in recorded:
                    continue
                lang = (
                    (languages.get(target) or lang_for(session, config, target))
                    if target.startswith(("U", "W"))
                    else config.language
                )
                if lang not in composed:
                    composed[lang] = ib.escalation(
                        lang,
                        calendar,
                        now,
                        view.team.name,
                        lines,
                        esc.count,
                        rules.escalate_after_working_days,
                    )
                text, blocks = composed[lang]
                messages.append(
                    Message(
                        key=key,
                        kind="item_escalation",
                        channel=target,
                        text=text,
                        blocks=blocks,
                    )
                )
    for user, (late_lines, late_total, unreg_lines, unreg_total) in digests.items():
        if f"digest:{user}:{slot_key}" in recorded:
            continue
        lang = languages[user]
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


def _recorded(session: Session, keys: Sequence[str]) -> set[str]:
    """Those of the keys the outbox already holds."""
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        found.update(
            session.exec(select(Outbox.key).where(col(Outbox.key).in_(keys[start : start + 500])))
        )
    return found


def _languages(session: Session, config: OrgConfig, users: Sequence[str]) -> dict[str, str]:
    """`lang_for` of each user, with one query: the people we know are loaded into the
    session first (so `lang_for` finds them there); anyone else gets the organisation's."""
    wanted = sorted(set(users))
    known: set[str] = set()
    for start in range(0, len(wanted), 500):
        people = session.exec(
            select(Person).where(col(Person.user_id).in_(wanted[start : start + 500]))
        ).all()
        known.update(person.user_id for person in people)
    return {
        user: lang_for(session, config, user) if user in known else config.language
        for user in wanted
    }


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
