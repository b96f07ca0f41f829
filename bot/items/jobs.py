"""Reminders about unanswered items, escalation to managers, and the retention purge.

At each reminder time (default 09:00 and 13:00, office hours only) the person the rota has on
duty for a team gets one digest of the team's overdue items and of items still waiting for a
registration reference; the team channel gets a short summary; items open N working days past
their deadline go to the manager and the coordinators' channel once per working day. Messages are
keyed by (person or team, reminder time), so a second sweep, a restart or a late run sends
nothing twice.

The database does the counting: one aggregate per scope (open items past their deadline; items
waiting for a registration reference) gives, per team and day of arrival, how many items match
each condition. From those counts, the day by which each team has its oldest few; a second read
fetches only those teams' items up to that day (narrow rows), the picked ones come in full. What
comes back to Python grows with teams, days and recipients, not with items; a later sweep in the
same slot, its messages recorded, stops after the counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.items import blocks as ib
from bot.items.core import ItemLine, Status, age_working_days, escalation_cutoff
from bot.kernel.audience import lang_for
from bot.kernel.calendar import WorkCalendar
from bot.kernel.config import OrgConfig
from bot.kernel.slots import reminder_slot
from bot.rota import core as rota
from bot.rota.teams import absences_from, all_teams, overrides_from
from bot.slackkit import blocks as kit
from bot.slackkit.outbox import Message, enqueue
from bot.store.models import Account, Item, Outbox, Person, SlackEvent

EVENT_MEMORY = timedelta(days=7)


@dataclass
class TeamItems:
    """Overdue (or escalated, or unregistered) items of one team: how many, and the oldest."""

    count: int = 0
    oldest: list[ItemLine] = field(default_factory=list)


@dataclass(frozen=True)
class _Scope:
    """Items the database finds along the (status, deadline) index: `where`, and a deadline
    before `before` (one bound, so SQLite's range ends there)."""

    where: sa.ColumnElement[bool]
    before: datetime


@dataclass
class _Tally:
    """The items of a scope counted per condition and team, by the day they arrived."""

    scope: _Scope
    conditions: Sequence[sa.ColumnElement[bool]]
    found: list[dict[int, TeamItems]]
    # Per condition and team: day -> (items, the latest deadline, the latest arrival) that day.
    days: list[dict[int, dict[date, tuple[int, datetime, datetime]]]]


def _received_day() -> sa.ColumnElement[date]:
    """The day an item arrived (UTC on SQLite, the session's zone on PostgreSQL): buckets in
    the order of arrival, which is all the counting below needs."""
    return sa.func.date(col(Item.received_at), type_=sa.Date)


def _items_with_team() -> sa.Join:
    """The items joined to their accounts, for the team. `+ 0` and the outer join keep SQLite
    reading the items in the outer loop (along the scope's index), looking each account up by
    id; otherwise it may loop over the accounts and walk an index once for each."""
    return sa.outerjoin(
        Item, Account, col(Account.id) == col(Item.account_id) + sa.literal_column("0")
    )


def _count_items(
    session: Session, scope: _Scope, conditions: Sequence[sa.ColumnElement[bool]]
) -> _Tally:
    """Per condition, per team id: how many items of the scope match it, and how many of
    those arrived each day. One aggregate: a row per team and day comes back, not per item."""
    day = _received_day()
    rows = session.execute(
        select(
            col(Account.team_id),
            day,
            sa.func.max(col(Item.deadline)),
            sa.func.max(col(Item.received_at)),
            *(sa.func.count().filter(c) for c in conditions),
        )
        .select_from(_items_with_team())
        .where(scope.where, col(Item.deadline) < scope.before)
        .group_by(col(Account.team_id), day)
    ).all()
    tally = _Tally(scope, conditions, [{} for _ in conditions], [{} for _ in conditions])
    for team_id, arrived, deadline, received, *counts in rows:
        for index, n in enumerate(counts):
            if n:
                tally.found[index].setdefault(team_id, TeamItems()).count += n
                tally.days[index].setdefault(team_id, {})[arrived] = (n, deadline, received)
    return tally


def _pick_oldest(
    session: Session,
    tally: _Tally,
    wanted: Sequence[set[int]],
    limit: int,
    names: dict[int | None, str],
) -> None:
    """The `limit` oldest items of each wanted team (per condition), into `tally.found`.

    From the counts by day, the last day each team needs (the day its `limit`-th oldest item
    arrived); then the scope's items of those teams that arrived by then, and the oldest of
    them in full. What comes back grows with teams and the items of a day, not with all items;
    what is read ends at the latest deadline of those days.
    """
    # Per condition, the teams that need the same last day, and the latest arrival on it among
    # them: an item of those teams that arrived by then arrived on that day or before.
    branches: list[dict[date, tuple[set[int], datetime]]] = [{} for _ in tally.conditions]
    before: datetime | None = None
    for index, teams in enumerate(wanted):
        for team_id in teams:
            days = tally.days[index].get(team_id, {})
            seen = 0
            for last in sorted(days):
                n, deadline, received = days[last]
                seen += n
                before = deadline if before is None else max(before, deadline)
                if seen >= limit:
                    break
            if days:
                group, latest = branches[index].get(last, (set(), received))
                group.add(team_id)
                branches[index][last] = (group, max(latest, received))
    if before is None:
        return
    matches = [
        sa.and_(
            condition,
            sa.or_(
                *(
                    sa.and_(
                        col(Account.team_id).in_(sorted(group)), col(Item.received_at) <= latest
                    )
                    for group, latest in by_day.values()
                )
            ),
        )
        if by_day
        else sa.false()
        for condition, by_day in zip(tally.conditions, branches, strict=True)
    ]
    rows = session.execute(
        select(
            col(Account.team_id),
            col(Item.id),
            col(Item.received_at),
            *(sa.case((m, 1), else_=0) for m in matches),
        )
        .select_from(_items_with_team())
        .where(
            tally.scope.where,
            col(Item.deadline) < min(tally.scope.before, before + timedelta(microseconds=1)),
            sa.or_(*matches),
        )
    ).all()
    candidates: list[dict[int, list[tuple[datetime, int]]]] = [{} for _ in tally.conditions]
    for team_id, item_id, received_at, *matched in rows:
        for index, match in enumerate(matched):
            if match:
                candidates[index].setdefault(team_id, []).append((received_at, item_id))
    chosen: list[dict[int, list[int]]] = [{} for _ in tally.conditions]
    for index, by_team in enumerate(candidates):
        for team_id, keys in by_team.items():
            # Never more than were counted (an item that arrived between the two reads).
            keep = min(limit, tally.found[index][team_id].count)
            chosen[index][team_id] = [item_id for _, item_id in sorted(keys)[:keep]]
    ids = sorted({i for oldest in chosen for picked in oldest.values() for i in picked})
    full: dict[int, tuple[Item, Account]] = {}
    for start in range(0, len(ids), 500):
        for item, account in session.exec(
            select(Item, Account)
            .join(Account, col(Account.id) == col(Item.account_id))
            .where(col(Item.id).in_(ids[start : start + 500]))
        ).all():
            assert item.id is not None
            full[item.id] = (item, account)
    for index, oldest in enumerate(chosen):
        for team_id, picked in oldest.items():
            tally.found[index][team_id].oldest.extend(
                ib.line_of(item, account, team=names.get(account.team_id))
                for item, account in (full[i] for i in picked if i in full)
            )


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
    # Two scopes, each read along the (status, deadline) index: open items past their deadline
    # (overdue, and among them the escalated ones), and items waiting for a registration
    # reference, open or not.
    open_items = _count_items(
        session,
        _Scope(is_open, max(now, cutoff + timedelta(microseconds=1))),
        (col(Item.deadline) < now, col(Item.deadline) <= cutoff),
    )
    waiting = sa.and_(col(Item.must_register).is_(True), col(Item.registration_ref).is_(None))
    unregistered_items = _count_items(session, _Scope(waiting, now), (waiting,))
    overdue, escalated = open_items.found
    (unregistered,) = unregistered_items.found

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
    # Only the items a message still to compose shows are read: a later sweep in the same
    # slot stops at the counts.
    wanted: tuple[set[int], set[int], set[int]] = (set(), set(), set())
    for view in views:
        team_id = view.team.id
        assert team_id is not None
        recipient = recipients[team_id]
        if recipient and f"digest:{recipient}:{slot_key}" not in recorded:
            wanted[0].add(team_id)
            wanted[1].add(team_id)
        if view.team.channel and f"summary:{view.team.key}:{slot_key}" not in recorded:
            wanted[0].add(team_id)
        if any(
            f"escalation:{view.team.key}:{target}:{day.isoformat()}" not in recorded
            for target in (view.team.manager, config.coordinator_channel)
            if target
        ):
            wanted[2].add(team_id)
    names: dict[int | None, str] = {v.team.id: v.team.name for v in views}
    _pick_oldest(session, open_items, (wanted[0], wanted[2]), rules.digest_items, names)
    _pick_oldest(session, unregistered_items, (wanted[1],), rules.digest_items, names)
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
                    blocks=kit.text_blocks(text),
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
