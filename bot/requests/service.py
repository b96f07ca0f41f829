"""Requests for new accounts (PG1, PG3, KG6, NB1): the form's answers stored, the deciders told,
approvals recorded with compare-and-set updates so one request makes one account, declines with
their reason, the requester told, and the weekly reminders of requests still pending.

Each public function runs inside the caller's transaction, checks who may do it, writes the
audit log and records its messages in the outbox, so a refused or failed action changes nothing.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, or_, select

from bot.kernel.audience import coordinator_targets, lang_for, lang_of_target
from bot.kernel.calendar import WorkCalendar
from bot.kernel.config import PLATFORMS, AccountStatus, Approvals, OrgConfig
from bot.kernel.context import Ctx
from bot.kernel.errors import Conflict, NotAllowed, NotFound, UserInputError
from bot.register.core import join_users, key_for, split_users
from bot.register.sync import account_data
from bot.requests import messages as requests_messages
from bot.requests.core import (
    RECENT_DAYS,
    RequestForm,
    RequestStatus,
    Role,
    awaited,
    check_reason,
    check_url,
    due_for_reminder,
    form_problems,
    roles_of,
    targets_for,
)
from bot.slackkit.outbox import Message, enqueue
from bot.store.models import Account, AccountRequest, Outbox, Team

CARD_KIND = "account_request"  # the request with Approve / Decline, to each decider
OUTCOME_KIND = "account_request_outcome"  # the requester told of the decision
REMINDER_KIND = "account_request_reminder"  # the weekly list of requests still pending
RECENT_SHOWN = 10
REFRESH_DAYS = 8  # reminders this recent are updated when one of their requests is decided


class InvalidRequest(UserInputError):
    """The request form has problems; `problems` says which, by field."""

    def __init__(self, problems: dict[str, UserInputError]) -> None:
        super().__init__("request.error.form")
        self.problems = problems


@dataclass(frozen=True)
class RequestView:
    """A request with what its messages show: its team, whose approval it still waits for,
    and the account it made."""

    request: AccountRequest
    team: Team
    approvals: Approvals
    awaited: tuple[Role, ...]
    account_key: str | None

    @property
    def id(self) -> int:
        assert self.request.id is not None
        return self.request.id

    @property
    def pending(self) -> bool:
        return self.request.status == RequestStatus.PENDING


@dataclass(frozen=True)
class Decision:
    view: RequestView
    recorded: tuple[Role, ...]  # the approvals this click recorded
    account: Account | None  # made by this click


@dataclass(frozen=True)
class Listing:
    pending: list[tuple[RequestView, bool]]  # with whether the reader may decide it
    recent: list[RequestView]


@dataclass(frozen=True)
class Update:
    """A message already in Slack to replace, so nobody acts on a stale one."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]


# ---------------------------------------------------------------- reading


def view_of(session: Session, config: OrgConfig, request: AccountRequest) -> RequestView:
    """A request with its team and whose approval it still waits for."""
    team = session.get(Team, request.team_id)
    assert team is not None
    account = session.get(Account, request.account_id) if request.account_id else None
    rules = config.register.approvals
    waiting = (
        awaited(
            rules,
            has_manager=bool(team.manager),
            coordinator_by=request.coordinator_approved_by,
            manager_by=request.manager_approved_by,
        )
        if request.status == RequestStatus.PENDING
        else ()
    )
    return RequestView(request, team, rules, waiting, account.key if account else None)


def _get(session: Session, request_id: int) -> AccountRequest:
    request = session.get(AccountRequest, request_id)
    if request is None:
        raise NotFound("request.error.not_found", id=request_id)
    return request


def _roles(ctx: Ctx, team: Team) -> frozenset[Role]:
    return roles_of(ctx.actor, is_coordinator=ctx.is_coordinator, manager=team.manager)


def _target_roles(config: OrgConfig, team: Team, target: str) -> frozenset[Role]:
    """The roles of a message's recipient: the coordinators' channel is the comms unit."""
    if target == config.coordinator_channel:
        return frozenset({Role.COORDINATOR})
    return roles_of(target, is_coordinator=config.is_coordinator(target), manager=team.manager)


def _who(user: str | None) -> str:
    return f"<@{user}>" if user else "?"


def _still_pending(request: AccountRequest) -> None:
    """Only pending requests are decided: a second click or a second decider is told."""
    if request.status == RequestStatus.APPROVED:
        raise Conflict("request.error.already_approved", who=_who(request.decided_by))
    if request.status == RequestStatus.DECLINED:
        raise Conflict("request.error.already_declined", who=_who(request.decided_by))


def deciders(config: OrgConfig, view: RequestView) -> list[str]:
    """Who is asked to decide: the coordinators (their channel, else each) and the team's
    manager, once each."""
    roles = (Role.COORDINATOR, Role.MANAGER)
    return targets_for(roles, coordinator_targets(config), view.team.manager)


# ---------------------------------------------------------------- the form


def submit(ctx: Ctx, form: RequestForm) -> RequestView:
    """Store a request (pending), audit it, and ask the deciders with Approve / Decline."""
    problems = form_problems(form, ctx.today, PLATFORMS)
    team = (
        ctx.session.exec(select(Team).where(Team.key == form.team)).first() if form.team else None
    )
    if form.team and team is None:
        problems["team"] = UserInputError("request.error.team")
    if problems:
        raise InvalidRequest(problems)
    assert team is not None and team.id is not None
    request = AccountRequest(
        requester=ctx.actor,
        status=RequestStatus.PENDING,
        name=form.name.strip(),
        platform=str(form.platform),
        kind=str(form.kind),
        url=check_url(form.url),
        team_id=team.id,
        unit=form.unit.strip(),
        purpose=form.purpose.strip(),
        audience=form.audience.strip(),
        dialogue=form.dialogue.strip(),
        privacy=form.privacy.strip(),
        resources=form.resources.strip(),
        plan=form.plan.strip(),
        admins=join_users(form.admins),
        substitute=form.substitute,
        end_date=form.end_date,
        created_at=ctx.now,
    )
    ctx.session.add(request)
    ctx.session.flush()
    view = view_of(ctx.session, ctx.config, request)
    ctx.audit("request.submit", f"request:{view.id}", after=_request_data(view))
    for target in deciders(ctx.config, view):
        text, blocks = _card(ctx.session, ctx.config, ctx.calendar, view, target)
        enqueue(
            ctx.session,
            Message(
                key=f"request:{view.id}:{target}",
                kind=CARD_KIND,
                channel=target,
                text=text,
                blocks=blocks,
            ),
            ctx.now,
        )
    return view


def _request_data(view: RequestView) -> dict[str, object]:
    request = view.request
    return {
        "status": request.status,
        "requester": request.requester,
        "name": request.name,
        "platform": request.platform,
        "kind": request.kind,
        "url": request.url,
        "team": view.team.key,
        "unit": request.unit,
        "purpose": request.purpose,
        "audience": request.audience,
        "dialogue": request.dialogue,
        "privacy": request.privacy,
        "resources": request.resources,
        "plan": request.plan,
        "admins": request.admins,
        "substitute": request.substitute,
        "end_date": request.end_date,
    }


def _card(
    session: Session, config: OrgConfig, calendar: WorkCalendar, view: RequestView, target: str
) -> tuple[str, list[dict[str, Any]]]:
    lang = lang_of_target(session, config, target)
    buttons = view.pending and bool(_target_roles(config, view.team, target) & set(view.awaited))
    return requests_messages.card(lang, calendar.tz, view, buttons=buttons)


# ---------------------------------------------------------------- deciding


def check_decider(ctx: Ctx, request_id: int) -> RequestView:
    """The request, when the actor may decide it now (before the decline modal opens)."""
    request = _get(ctx.session, request_id)
    _still_pending(request)
    view = view_of(ctx.session, ctx.config, request)
    if not _roles(ctx, view.team):
        raise NotAllowed("request.error.not_decider")
    return view


def _set_if_pending(
    session: Session, request_id: int, conditions: list[Any], values: dict[str, Any]
) -> bool:
    """Compare-and-set: change the row only while it is pending (and the conditions hold).

    Two deciders clicking at once, or one clicking twice, both reach this update; the
    database lets exactly one of them change the row."""
    result = session.execute(
        sa.update(AccountRequest)
        .where(
            col(AccountRequest.id) == request_id,
            col(AccountRequest.status) == RequestStatus.PENDING,
            *conditions,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def approve(ctx: Ctx, request_id: int) -> Decision:
    """Record the actor's approval (as coordinator, as the team's manager, or both); when no
    approval is awaited any more, the account is made, active, on the request's team."""
    request = _get(ctx.session, request_id)
    _still_pending(request)
    team = ctx.session.get(Team, request.team_id)
    assert team is not None
    roles = _roles(ctx, team)
    if not roles:
        raise NotAllowed("request.error.not_decider")
    if ctx.actor == request.requester:
        # Agreed with the comms unit (PG1) and the manager (NB1): not with oneself.
        raise NotAllowed("request.error.own_request")
    values: dict[str, Any] = {}
    conditions: list[Any] = []
    recorded: list[Role] = []
    if Role.COORDINATOR in roles and request.coordinator_approved_by is None:
        values.update(coordinator_approved_by=ctx.actor, coordinator_approved_at=ctx.now)
        conditions.append(col(AccountRequest.coordinator_approved_by).is_(None))
        recorded.append(Role.COORDINATOR)
    if Role.MANAGER in roles and request.manager_approved_by is None:
        values.update(manager_approved_by=ctx.actor, manager_approved_at=ctx.now)
        conditions.append(col(AccountRequest.manager_approved_by).is_(None))
        recorded.append(Role.MANAGER)
    if not values or not _set_if_pending(ctx.session, request_id, conditions, values):
        ctx.session.refresh(request)  # another decider may have acted just now
        _still_pending(request)
        if view_of(ctx.session, ctx.config, request).awaited:
            _already_approved(ctx.actor, roles, request)
        recorded = []  # nothing awaited any more (the settings or the manager changed): decide
    ctx.session.refresh(request)
    if recorded:
        ctx.audit(
            "request.approve", f"request:{request_id}", after={"roles": [str(r) for r in recorded]}
        )
    account: Account | None = None
    if not view_of(ctx.session, ctx.config, request).awaited and _set_if_pending(
        ctx.session,
        request_id,
        [_approved_enough(ctx.config.register.approvals, bool(team.manager))],
        {"status": RequestStatus.APPROVED, "decided_by": ctx.actor, "decided_at": ctx.now},
    ):
        ctx.session.refresh(request)
        account = _make_account(ctx, request, team)
        request.account_id = account.id
        ctx.session.add(request)
        ctx.session.flush()
        ctx.audit(
            "request.approved",
            f"request:{request_id}",
            before={"status": RequestStatus.PENDING},
            after={"status": RequestStatus.APPROVED, "account": account.key},
        )
    view = view_of(ctx.session, ctx.config, request)
    if account is not None:
        _tell_requester(ctx, view)
    _restale(ctx.session, ctx.config, ctx.calendar, view, ctx.now)
    return Decision(view, tuple(recorded), account)


def _already_approved(actor: str, roles: frozenset[Role], request: AccountRequest) -> None:
    """The actor's roles have approved already: by themselves, or by another coordinator."""
    approvers = [
        user
        for role, user in (
            (Role.COORDINATOR, request.coordinator_approved_by),
            (Role.MANAGER, request.manager_approved_by),
        )
        if role in roles and user
    ]
    if actor in approvers:
        raise Conflict("request.error.you_approved")
    raise Conflict("request.error.role_approved", who=_who(approvers[0] if approvers else None))


def _approved_enough(approvals: Approvals, has_manager: bool) -> Any:
    """The same rule as `awaited`, as SQL: the final update re-checks it against the row as
    committed, so two approvals made at once still make the account (once)."""
    coordinator = col(AccountRequest.coordinator_approved_by).is_not(None)
    manager = col(AccountRequest.manager_approved_by).is_not(None)
    if approvals == Approvals.EITHER:
        return or_(coordinator, manager)
    return sa.and_(coordinator, manager) if has_manager else coordinator


def _make_account(ctx: Ctx, request: AccountRequest, team: Team) -> Account:
    """The approved request's account: active on the team's rota, its register filled in
    from the answers; a key another account took meanwhile gets the next free one."""
    assert team.id is not None
    for _ in range(5):
        taken = ctx.session.exec(select(Account.key)).all()
        account = Account(
            key=key_for(request.name, taken),
            platform=request.platform,
            name=request.name,
            url=request.url or "",
            team_id=team.id,
            created_at=ctx.now,
            updated_at=ctx.now,
            kind=request.kind,
            unit=request.unit,
            admins=join_users([*split_users(request.admins), request.substitute or ""]),
            purpose=request.purpose,
            audience=request.audience,
            dialogue=request.dialogue,
            privacy=request.privacy,
            resources=request.resources,
            plan=request.plan,
            created_on=ctx.today,
            end_date=request.end_date,
            status=AccountStatus.ACTIVE,
            status_changed_at=ctx.now,
        )
        try:
            with ctx.session.begin_nested():
                ctx.session.add(account)
        except sa.exc.IntegrityError:
            continue
        ctx.audit(
            "account.create",
            f"account:{account.key}",
            after={**account_data(ctx.session, account), "request": request.id},
        )
        ctx.forget()
        return account
    raise Conflict("request.error.no_key", name=request.name)


def decline(ctx: Ctx, request_id: int, reason: str | None) -> RequestView:
    """Decline a pending request with its reason; the requester is told."""
    view = check_decider(ctx, request_id)
    text = check_reason(reason)
    values = {
        "status": RequestStatus.DECLINED,
        "decided_by": ctx.actor,
        "decided_at": ctx.now,
        "decline_reason": text,
    }
    request = view.request
    if not _set_if_pending(ctx.session, request_id, [], values):
        ctx.session.refresh(request)
        _still_pending(request)
    ctx.session.refresh(request)
    ctx.audit(
        "request.decline",
        f"request:{request_id}",
        before={"status": RequestStatus.PENDING},
        after={"status": RequestStatus.DECLINED, "reason": text},
    )
    view = view_of(ctx.session, ctx.config, request)
    _tell_requester(ctx, view)
    _restale(ctx.session, ctx.config, ctx.calendar, view, ctx.now)
    return view


def _tell_requester(ctx: Ctx, view: RequestView) -> None:
    lang = lang_for(ctx.session, ctx.config, view.request.requester)
    text, blocks = requests_messages.outcome(lang, view)
    enqueue(
        ctx.session,
        Message(
            key=f"request-outcome:{view.id}",
            kind=OUTCOME_KIND,
            channel=view.request.requester,
            text=text,
            blocks=blocks,
        ),
        ctx.now,
    )


# ---------------------------------------------------------------- keeping messages current


def _affected(session: Session, request_id: int, now: datetime) -> list[Outbox]:
    """The messages that show a request: its cards, and recent reminders listing it."""
    cards = session.exec(
        select(Outbox).where(
            col(Outbox.kind) == CARD_KIND, col(Outbox.key).startswith(f"request:{request_id}:")
        )
    ).all()
    reminders = session.exec(
        select(Outbox).where(
            col(Outbox.kind) == REMINDER_KIND,
            col(Outbox.created_at) >= now - timedelta(days=REFRESH_DAYS),
        )
    ).all()
    return [
        *cards,
        *(r for r in reminders if request_id in requests_messages.request_ids(r.blocks)),
    ]


def _content(
    session: Session, config: OrgConfig, calendar: WorkCalendar, row: Outbox
) -> tuple[str, list[dict[str, Any]]] | None:
    if row.kind == CARD_KIND:
        request = session.get(AccountRequest, int(row.key.split(":")[1]))
        if request is None:
            return None
        return _card(session, config, calendar, view_of(session, config, request), row.channel)
    listed = sorted(requests_messages.request_ids(row.blocks))
    requests = session.exec(
        select(AccountRequest).where(
            col(AccountRequest.id).in_(listed), col(AccountRequest.status) == RequestStatus.PENDING
        )
    ).all()
    views = [view_of(session, config, r) for r in requests]
    # Only the requests still waiting for this recipient's approval keep their buttons.
    views = [v for v in views if _target_roles(config, v.team, row.channel) & set(v.awaited)]
    week_day = calendar.local_date(row.created_at)
    lang = lang_of_target(session, config, row.channel)
    return requests_messages.reminder(lang, calendar.tz, week_day, views)


def _restale(
    session: Session, config: OrgConfig, calendar: WorkCalendar, view: RequestView, now: datetime
) -> None:
    """Messages not sent yet are rewritten before they go, so a decided request never arrives
    with live buttons."""
    session.flush()
    for row in _affected(session, view.id, now):
        if row.status != "pending":
            continue
        content = _content(session, config, calendar, row)
        if content is not None:
            row.text, row.blocks = content[0], json.dumps(content[1])
            session.add(row)


def message_updates(
    session: Session, config: OrgConfig, calendar: WorkCalendar, request_id: int, now: datetime
) -> list[Update]:
    """The messages already in Slack that show a request, with what they should show now."""
    updates: list[Update] = []
    for row in _affected(session, request_id, now):
        if row.status != "sent" or not row.slack_channel or not row.slack_ts:
            continue
        content = _content(session, config, calendar, row)
        if content is not None:
            updates.append(Update(row.slack_channel, row.slack_ts, *content))
    return updates


# ---------------------------------------------------------------- listing and reminders


def listing(ctx: Ctx) -> Listing:
    """`/vakt requests`: pending requests (coordinators see all, a manager their teams', anyone
    their own) and the decisions of the last 30 days."""
    query = select(AccountRequest)
    if not ctx.is_coordinator:
        managed = ctx.session.exec(select(Team.id).where(Team.manager == ctx.actor)).all()
        query = query.where(
            or_(
                col(AccountRequest.requester) == ctx.actor,
                col(AccountRequest.team_id).in_([i for i in managed if i is not None]),
            )
        )
    pending = ctx.session.exec(
        query.where(col(AccountRequest.status) == RequestStatus.PENDING).order_by(
            col(AccountRequest.created_at), col(AccountRequest.id)
        )
    ).all()
    recent = ctx.session.exec(
        query.where(
            col(AccountRequest.status) != RequestStatus.PENDING,
            col(AccountRequest.decided_at) >= ctx.now - timedelta(days=RECENT_DAYS),
        )
        .order_by(col(AccountRequest.decided_at).desc(), col(AccountRequest.id).desc())
        .limit(RECENT_SHOWN)
    ).all()
    views = [view_of(ctx.session, ctx.config, r) for r in pending]
    return Listing(
        [(v, bool(_roles(ctx, v.team) & set(v.awaited))) for v in views],
        [view_of(ctx.session, ctx.config, r) for r in recent],
    )


def weekly_reminders(
    session: Session, config: OrgConfig, calendar: WorkCalendar, week: str, day: date
) -> list[Message]:
    """One message per decider still awaited, listing the requests pending since before this
    week, keyed by the week so each goes once."""
    pending = session.exec(
        select(AccountRequest)
        .where(col(AccountRequest.status) == RequestStatus.PENDING)
        .order_by(col(AccountRequest.created_at), col(AccountRequest.id))
    ).all()
    by_target: dict[str, list[RequestView]] = defaultdict(list)
    for request in pending:
        if not due_for_reminder(calendar.local_date(request.created_at), day):
            continue
        view = view_of(session, config, request)
        for target in targets_for(view.awaited, coordinator_targets(config), view.team.manager):
            by_target[target].append(view)
    messages: list[Message] = []
    for target, views in by_target.items():
        text, blocks = requests_messages.reminder(
            lang_of_target(session, config, target), calendar.tz, day, views
        )
        messages.append(
            Message(
                key=f"requests:{target}:{week}",
                kind=REMINDER_KIND,
                channel=target,
                text=text,
                blocks=blocks,
            )
        )
    return messages


__all__ = [
    "CARD_KIND",
    "OUTCOME_KIND",
    "REMINDER_KIND",
    "Decision",
    "InvalidRequest",
    "Listing",
    "RequestView",
    "Update",
    "approve",
    "check_decider",
    "decline",
    "listing",
    "message_updates",
    "submit",
    "view_of",
    "weekly_reminders",
]
