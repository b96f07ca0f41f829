"""Item services: intake through every door, closing, registration, and what managers ask.

Every door (intake channel, message shortcut, `/vakt new`, HTTP intake) ends in `create_item`,
which is idempotent on (account, external id) and on the Slack message, so a retried event or an
integration posting twice never makes two items. Each function runs in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from bot.items import core
from bot.items import messages as item_messages
from bot.items.core import Status
from bot.kernel.calendar import OfficeClock
from bot.kernel.config import LIVE, AccountStatus
from bot.kernel.context import Ctx
from bot.kernel.errors import Conflict, NotAllowed, NotFound, UserInputError
from bot.rota import core as rota
from bot.rota.service import duty_inputs
from bot.rota.teams import TeamView, read_model, team_views
from bot.slackkit.outbox import enqueue
from bot.store.models import Account, Item, OpenItemCount, Outbox, Team

SOURCES = ("channel", "shortcut", "command", "http", "facebook", "instagram")
MAX_AGE = timedelta(days=366)
CLOCK_SKEW = timedelta(minutes=5)
STATUS_WINDOW = timedelta(days=30)
MAX_REFERENCE = 100


@dataclass(frozen=True)
class NewItem:
    """What a door knows about a new item."""

    account: Account
    source: str
    external_id: str
    received_at: datetime
    url: str | None = None
    text: str | None = None
    slack_channel: str | None = None
    slack_ts: str | None = None
    must_register: bool | None = None  # None: the account's default


@dataclass(frozen=True)
class Created:
    item: Item
    created: bool


@dataclass(frozen=True)
class ItemRow:
    """An item with what a list shows about it."""

    item: Item
    account: Account
    team: Team
    age: int  # working days since it was received
    responsible: str | None  # who the rota says is on duty for it now


@dataclass(frozen=True)
class Page:
    rows: list[ItemRow]
    total: int
    offset: int


@dataclass(frozen=True)
class TeamStatus:
    view: TeamView
    open: int
    overdue: int
    oldest: datetime | None
    median: timedelta | None
    p90: timedelta | None
    answered: int  # closed in the window (the response-time sample)
    now: rota.Duty | None
    next: rota.Duty | None


# ---------------------------------------------------------------- lookups


def account_by_key(session: Session, key: str) -> Account:
    """An account by key, or NotFound."""
    account = session.exec(select(Account).where(Account.key == key.strip().lower())).first()
    if account is None:
        raise NotFound("error.no_account", key=key[:40])
    return account


def team_view_of(ctx: Ctx, account: Account) -> TeamView:
    """The team that watches an account."""
    for view in team_views(ctx):
        if view.team.id == account.team_id:
            return view
    raise NotFound("error.no_team", key=str(account.team_id))


def account_for_channel(session: Session, channel: str, text: str) -> Account | None:
    """The account an intake channel belongs to.

    A channel of one account is that account's; a team's intake channel serves all its accounts:
    the one whose key or web address the message names, else the team's first account by key.
    """
    live = col(Account.status).in_(LIVE)  # a closed account takes no more questions
    account = session.exec(select(Account).where(Account.intake_channel == channel, live)).first()
    if account is not None:
        return account
    team = session.exec(select(Team).where(Team.intake_channel == channel)).first()
    if team is None:
        return None
    accounts = session.exec(
        select(Account).where(Account.team_id == team.id, live).order_by(col(Account.key))
    ).all()
    lowered = text.lower()
    for candidate in accounts:
        host = urlparse(candidate.url).netloc.lower().removeprefix("www.")
        path = urlparse(candidate.url).path.strip("/").lower()
        if candidate.key in lowered.split() or (path and f"{host}/{path}" in lowered):
            return candidate
    return accounts[0] if accounts else None


def is_intake_channel(session: Session, channel: str) -> bool:
    """True when messages in the channel become items."""
    live = col(Account.status).in_(LIVE)
    return (
        session.exec(select(Account.id).where(Account.intake_channel == channel, live)).first()
        is not None
        or session.exec(select(Team.id).where(Team.intake_channel == channel)).first() is not None
    )


def may_handle(ctx: Ctx, view: TeamView) -> bool:
    """Team members, the team's manager and coordinators may close a team's items."""
    return ctx.is_coordinator or ctx.actor in view.members or ctx.actor == view.team.manager


# ---------------------------------------------------------------- intake


def _existing(session: Session, new: NewItem) -> Item | None:
    found = session.exec(
        select(Item).where(Item.account_id == new.account.id, Item.external_id == new.external_id)
    ).first()
    if found is None and new.slack_channel and new.slack_ts:
        found = session.exec(
            select(Item).where(
                Item.slack_channel == new.slack_channel, Item.slack_ts == new.slack_ts
            )
        ).first()
    return found


def _check_takes_questions(account: Account) -> None:
    """A closed account takes no more questions; a requested one none yet (it is on no rota,
    so nobody would be reminded of them)."""
    if account.status == AccountStatus.CLOSED:
        raise Conflict("error.item_account_closed", account=account.name)
    if account.status == AccountStatus.REQUESTED:
        raise Conflict("error.item_account_requested", account=account.name)


def create_item(ctx: Ctx, new: NewItem) -> Created:
    """Record an item (or find the one already recorded) and queue its card."""
    if new.source not in SOURCES:
        raise ValueError(f"unknown source {new.source!r}")
    new = replace(new, external_id=new.external_id[:200])
    # Sending the same item again is always fine, however old it is by now.
    found = _existing(ctx.session, new)
    if found is not None:
        return Created(found, False)
    # Every door refuses alike: an intake channel of a closed account is no longer read, and
    # /vakt new, the shortcut and the HTTP intake are refused here.
    _check_takes_questions(new.account)
    if new.received_at.tzinfo is None:
        raise UserInputError("error.received_naive")
    if new.received_at > ctx.now + CLOCK_SKEW:
        raise UserInputError("error.received_future")
    if new.received_at < ctx.now - MAX_AGE:
        raise UserInputError("error.received_too_old")
    account = new.account
    assert account.id is not None
    days = account.deadline_working_days or ctx.config.items.deadline_working_days
    item = Item(
        account_id=account.id,
        source=new.source,
        external_id=new.external_id,
        url=new.url[:1000] if new.url else None,
        received_at=new.received_at,
        excerpt=core.excerpt_of(new.text or "", ctx.config.items.excerpt_chars),
        status=Status.OPEN,
        deadline=core.deadline_for(ctx.calendar, new.received_at, days),
        must_register=account.must_register if new.must_register is None else new.must_register,
        created_by=ctx.actor,
        created_at=ctx.now,
        slack_channel=new.slack_channel,
        slack_ts=new.slack_ts,
    )
    try:
        with ctx.session.begin_nested():
            ctx.session.add(item)
    except sa.exc.IntegrityError:
        # A second replica, or Slack's retry, recorded the same item between look and insert.
        again = _existing(ctx.session, new)
        if again is None:
            raise
        return Created(again, False)
    ctx.audit(
        "item.create",
        f"item:{item.id}",
        after={"account": account.key, "source": new.source, "external_id": item.external_id},
    )

    view = team_view_of(ctx, account)
    for message in item_messages.card(ctx, item, account, view):
        enqueue(ctx.session, message, ctx.now)
    return Created(item, True)


# ---------------------------------------------------------------- outcomes


def get_item(ctx: Ctx, item_id: int) -> tuple[Item, Account, TeamView]:
    item = ctx.session.get(Item, item_id)
    if item is None:
        raise NotFound("error.no_item", id=item_id)
    account = ctx.session.get(Account, item.account_id)
    assert account is not None
    return item, account, team_view_of(ctx, account)


def _check_handler(ctx: Ctx, view: TeamView) -> None:
    if not may_handle(ctx, view):
        raise NotAllowed("error.not_your_item", team=view.team.name)


def _item_data(item: Item) -> dict[str, object]:
    return {
        "status": item.status,
        "closed_by": item.closed_by,
        "must_register": item.must_register,
        "registration_ref": item.registration_ref,
    }


def close_item(
    ctx: Ctx,
    item_id: int,
    status: Status,
    *,
    at: datetime | None = None,
    trusted: bool = False,
) -> tuple[Item, Account, TeamView]:
    """Mark an item answered, no reply needed, referred to case handling, or deleted.

    `trusted`: the caller has authenticated otherwise (the HTTP intake's token), so the team
    membership check does not apply."""
    if status == Status.OPEN:
        raise ValueError("use reopen_item")
    item, account, view = get_item(ctx, item_id)
    if not trusted:
        _check_handler(ctx, view)
    if item.status != Status.OPEN:
        by = item.closed_by or "?"
        raise Conflict("error.item_closed", id=item_id, by=f"<@{by}>" if by[:1] in "UW" else by)
    before = _item_data(item)
    item.status = status
    item.closed_by = ctx.actor
    item.closed_at = min(at or ctx.now, ctx.now)
    ctx.session.add(item)
    ctx.audit(f"item.{status}", f"item:{item.id}", before=before, after=_item_data(item))
    return item, account, view


def reopen_item(ctx: Ctx, item_id: int) -> tuple[Item, Account, TeamView]:
    """Undo a close: the item is open again, with its original deadline."""
    item, account, view = get_item(ctx, item_id)
    _check_handler(ctx, view)
    if item.status == Status.OPEN:
        raise Conflict("error.item_open", id=item_id)
    before = _item_data(item)
    item.status, item.closed_by, item.closed_at = Status.OPEN, None, None
    ctx.session.add(item)
    ctx.audit("item.reopen", f"item:{item.id}", before=before, after=_item_data(item))
    return item, account, view


def set_registration(
    ctx: Ctx, item_id: int, *, must: bool, reference: str | None
) -> tuple[Item, Account, TeamView]:
    """Flag an item as one that must be registered (journalført / diariefört), and record the
    registration reference once it is."""
    item, account, view = get_item(ctx, item_id)
    _check_handler(ctx, view)
    reference = (reference or "").strip() or None
    if reference is not None and len(reference) > MAX_REFERENCE:
        raise UserInputError("error.reference_too_long", max=MAX_REFERENCE)
    before = _item_data(item)
    item.must_register = must or reference is not None
    if reference is not None:
        item.registration_ref = reference
        item.registered_by, item.registered_at = ctx.actor, ctx.now
    ctx.session.add(item)
    ctx.audit("item.registration", f"item:{item.id}", before=before, after=_item_data(item))
    return item, account, view


def close_external(
    ctx: Ctx, account: Account, external_id: str, status: Status, at: datetime
) -> tuple[Item, bool]:
    """Close an item named by its platform id (HTTP intake); (item, changed). Closing an item
    that is already closed changes nothing, so an automation may safely send it twice.

    An open question on an account closed since is still answered: it was asked while the
    account was watched, and its outcome ends it in the figures and the reminders. A requested
    account has no questions to answer."""
    if account.status == AccountStatus.REQUESTED:
        raise Conflict("error.item_account_requested", account=account.name)
    item = ctx.session.exec(
        select(Item).where(Item.account_id == account.id, Item.external_id == external_id[:200])
    ).first()
    if item is None:
        raise NotFound("error.no_item_external", id=external_id[:80])
    if item.status != Status.OPEN:
        return item, False
    if at > ctx.now + CLOCK_SKEW:
        raise UserInputError("error.received_future")
    assert item.id is not None
    close_item(ctx, item.id, status, at=max(at, item.received_at), trusted=True)
    return item, True


def card_location(session: Session, item_id: int) -> tuple[str, str] | None:
    """Where the item's card was posted (channel, ts), once it has been sent."""
    row = session.exec(
        select(Outbox).where(Outbox.key == f"card:{item_id}", Outbox.status == "sent")
    ).first()
    if row is None or not row.slack_channel or not row.slack_ts:
        return None
    return row.slack_channel, row.slack_ts


# ---------------------------------------------------------------- what managers ask


def visible_teams(ctx: Ctx, query: str | None) -> list[TeamView]:
    """Teams the actor may see items of: coordinators all, managers their own."""
    teams = team_views(ctx)
    if not ctx.is_coordinator:
        teams = [v for v in teams if v.team.manager == ctx.actor]
        if not teams:
            raise NotAllowed("error.managers_only")
    if query:
        q = query.lower().lstrip("#")
        by_team = [v for v in teams if v.team.key == q]
        if by_team:
            return by_team
        by_account = [v for v in teams if q in v.account_keys]
        if by_account:
            return by_account
        if any(v.team.key == q or q in v.account_keys for v in team_views(ctx)):
            raise NotAllowed("error.not_your_team", key=query[:40])
        raise NotFound("error.no_team_or_account", key=query[:40])
    return teams


def _responsible(ctx: Ctx, views: Sequence[TeamView]) -> dict[int, str | None]:
    absences, overrides = duty_inputs(ctx)
    found: dict[int, str | None] = {}
    for view in views:
        assert view.team.id is not None
        found[view.team.id] = (
            rota.duty_at(view.rota, ctx.now, ctx.calendar, absences, overrides).primary
            if view.members
            else None
        )
    return found


def unanswered(
    ctx: Ctx, query: str | None, *, overdue: bool, offset: int = 0, limit: int = 20
) -> Page:
    """Open items, oldest first, in the teams the actor may see (or one team or account)."""
    views = visible_teams(ctx, query)
    account_ids = [i for v in views for i in v.account_ids]
    if query and not any(v.team.key == query.lower().lstrip("#") for v in views):
        account_ids = [
            a.id for v in views for a in v.accounts if a.key == query.lower() and a.id is not None
        ]
    conditions = [col(Item.status) == Status.OPEN]
    if overdue:
        conditions.append(col(Item.deadline) < ctx.now)
    # Every item has an account. When most accounts are in view (a coordinator's list), the
    # few out of view are the cheaper filter: the count is then all open items (an index-only
    # scan of (status, deadline)) less those of the hidden accounts (their own index).
    model = read_model(ctx)
    visible = set(account_ids)
    hidden = sorted(model.account_ids - visible)
    few_hidden = len(hidden) < len(visible)
    # All open items: the accounts' kept counts (migration 0010), a row each. Overdue ones are
    # counted, since the clock makes an item overdue, not a write.
    kept = select(func.coalesce(func.sum(OpenItemCount.total), 0))
    counted = select(func.count()).select_from(Item)
    if few_hidden:
        out_of_view = col(Item.account_id).in_(hidden)
        if not overdue:
            hidden_kept = col(OpenItemCount.account_id).in_(hidden)
            total = ctx.session.exec(kept.where(sa.not_(hidden_kept)) if hidden else kept).one()
        elif hidden:
            everyone = counted.where(*conditions).scalar_subquery()
            others = counted.where(*conditions, out_of_view).scalar_subquery()
            total = ctx.session.exec(select(everyone - others)).one()
        else:
            total = ctx.session.exec(counted.where(*conditions)).one()
        if hidden:
            conditions.append(sa.not_(out_of_view))
    else:
        conditions.append(col(Item.account_id).in_(account_ids))
        total = ctx.session.exec(
            counted.where(*conditions)
            if overdue
            else kept.where(col(OpenItemCount.account_id).in_(account_ids))
        ).one()
    rows = ctx.session.exec(
        select(Item)
        .where(*conditions)
        .order_by(col(Item.received_at), col(Item.id))
        .offset(offset)
        .limit(limit)
    ).all()
    accounts = model.accounts  # the rows' accounts are among the visible ones
    on_page = {accounts[item.account_id].team_id for item in rows}
    shown = [v for v in views if v.team.id in on_page]
    responsible = _responsible(ctx, shown)
    teams = {v.team.id: v.team for v in shown}
    result: list[ItemRow] = []
    for item in rows:
        account = accounts[item.account_id]
        result.append(
            ItemRow(
                item=item,
                account=account,
                team=teams[account.team_id],
                age=core.age_working_days(ctx.calendar, item.received_at, ctx.now),
                responsible=responsible.get(account.team_id),
            )
        )
    return Page(result, int(total), offset)


def _ids(view: TeamView) -> list[int]:
    return [a.id for a in view.accounts if a.id is not None]


def status(ctx: Ctx) -> list[TeamStatus]:
    """Per team: open, overdue, oldest, response times in working time, duty now and next.

    Two reads for all the teams at once, by account – the open items (counted, the overdue
    among them, the oldest), the items answered in the window – instead of three per team: the
    overdue count per team walked every overdue item of the organisation each time (2.5 s at
    100,000 open items and 50 teams on PostgreSQL). A coordinator sees every team, so the
    reads take every account; a manager's are limited to the accounts of their teams."""
    views = visible_teams(ctx, None)
    absences, overrides = duty_inputs(ctx)
    since = ctx.now - STATUS_WINDOW
    answered = (Status.ANSWERED, Status.NO_REPLY, Status.REFERRED)
    mine = None if ctx.is_coordinator else sorted({i for v in views for i in _ids(v)})

    def of_accounts(query: Any) -> Any:
        return query if mine is None else query.where(col(Item.account_id).in_(mine))

    opened: dict[int, tuple[int, int, datetime | None]] = {}
    overdue_now = sa.case((col(Item.deadline) < ctx.now, 1), else_=0)
    for account_id, count, overdue, oldest in ctx.session.execute(
        of_accounts(
            sa.select(
                col(Item.account_id),
                func.count(),
                func.sum(overdue_now),
                func.min(col(Item.received_at)),
            ).where(col(Item.status) == Status.OPEN)
        ).group_by(Item.account_id)
    ):
        opened[account_id] = (int(count), int(overdue or 0), oldest)
    closed: dict[int, list[tuple[datetime, datetime]]] = {}
    for account_id, received, closed_at in ctx.session.execute(
        of_accounts(
            sa.select(col(Item.account_id), col(Item.received_at), col(Item.closed_at)).where(
                col(Item.status).in_(answered), col(Item.closed_at) >= since
            )
        )
    ):
        closed.setdefault(account_id, []).append((received, closed_at))
    pairs = [pair for found in closed.values() for pair in found]
    clock = (
        OfficeClock(
            ctx.calendar,
            min(ctx.calendar.local_date(received) for received, _ in pairs),
            max(ctx.calendar.local_date(closed_at) for _, closed_at in pairs),
        )
        if pairs
        else None
    )
    result: list[TeamStatus] = []
    for view in views:
        ids = _ids(view)
        counts = [opened[i] for i in ids if i in opened]
        hours = [
            clock.seconds_between(received, closed_at)
            for i in ids
            for received, closed_at in closed.get(i, ())
            if clock is not None  # None only when nothing was answered in the window
        ]
        median = core.percentile(hours, 50)
        p90 = core.percentile(hours, 90)
        oldest = min((o for _, _, o in counts if o is not None), default=None)
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=ctx.now.tzinfo)
        duty_now = duty_next = None
        if view.members:
            duty_now = rota.duty_at(view.rota, ctx.now, ctx.calendar, absences, overrides)
            following = rota.period_of(
                view.rota, duty_now.period.end + timedelta(days=1), ctx.calendar
            )
            first = rota.first_working_day(following, ctx.calendar)
            if first is not None:
                duty_next = rota.duty_on(view.rota, first, ctx.calendar, absences, overrides)
        result.append(
            TeamStatus(
                view=view,
                open=sum(n for n, _, _ in counts),
                overdue=sum(n for _, n, _ in counts),
                oldest=oldest,
                median=None if median is None else timedelta(seconds=median),
                p90=None if p90 is None else timedelta(seconds=p90),
                answered=len(hours),
                now=duty_now,
                next=duty_next,
            )
        )
    return result
