"""An account's lifecycle: flags (inactive, past its end date, thin rota) raised, kept quiet,
raised again and resolved; and closure, a checklist that closes the account only when every
step is done or waived – never without a final snapshot (VT4, NB3, NB6, NB7, PG1).

Each public function runs in the caller's transaction, checks who may act, writes the audit
log and records messages in the outbox; Slack messages are updated in place by the edges.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.archive.service import has_final_snapshot
from bot.kernel.audience import lang_of_target
from bot.kernel.audit import audit
from bot.kernel.calendar import WorkCalendar
from bot.kernel.config import AccountStatus, OrgConfig
from bot.kernel.context import Ctx
from bot.kernel.errors import Conflict, NotAllowed, NotFound, UserInputError
from bot.lifecycle import messages as lifecycle_messages
from bot.register import core
from bot.register.accounts import (
    last_posts,
    lifecycle_targets,
    live_accounts,
    may_manage,
    watched_since,
)
from bot.register.core import ClosureStepName, FlagAction, FlagKind
from bot.rota.core import Absence
from bot.rota.teams import absences_from, members_of
from bot.slackkit.gateway import SlackSendError
from bot.slackkit.outbox import Message, enqueue
from bot.store.db import session_scope
from bot.store.models import Account, AccountClosure, AccountFlag, ClosureStep, Outbox, Team

log = logging.getLogger(__name__)
ACTOR = "vakt"
FLAG_MESSAGE = "account_flag"
CLOSURE_MESSAGE = "account_closure"
REASON_MAX = 500


# ---------------------------------------------------------------- views


@dataclass(frozen=True)
class FlagView:
    """A flag with what its message says: the account, its team, the settings behind it."""

    flag: AccountFlag
    account: Account
    team: Team
    cadence: int
    needed: int  # available members a team needs (coverage)

    @property
    def closing(self) -> bool:
        return self.account.status in (AccountStatus.CLOSING, AccountStatus.CLOSED)


@dataclass(frozen=True)
class ClosureView:
    """A closure with its steps, whether a final snapshot is archived, and what is missing."""

    closure: AccountClosure
    account: Account
    team: Team
    steps: dict[str, ClosureStep]
    has_final: bool
    missing: tuple[ClosureStepName, ...]

    @property
    def open(self) -> bool:
        return self.closure.open_key is not None


# ---------------------------------------------------------------- conditions


@dataclass(frozen=True)
class Finding:
    holds: bool
    detail: str | None = None  # "last:<date>", "created:<date>", "end:<date>", "short:<date>:<n>"


def findings(
    config: OrgConfig,
    calendar: WorkCalendar,
    account: Account,
    last_post: date | None,
    members: Sequence[str],
    absences: Sequence[Absence],
    today: date,
) -> dict[FlagKind, Finding]:
    """Which flag conditions hold for an account today, with what the message says."""
    rules = config.register
    began = watched_since(account, calendar)
    since = core.inactive_since(
        last_post, began, core.cadence_of(rules, account.cadence_days), today
    )
    inactive = Finding(
        since is not None,
        None if since is None else f"{'last' if last_post else 'created'}:{since.isoformat()}",
    )
    ended = Finding(
        core.is_ended(account.end_date, today),
        f"end:{account.end_date.isoformat()}" if account.end_date else None,
    )
    days = calendar.working_days_between(today, today + timedelta(days=rules.coverage_days - 1))
    available = core.available_by_day(members, days, absences)
    short = core.coverage_short_day(available, rules.coverage_members)
    coverage = Finding(
        short is not None,
        None if short is None else f"short:{short.isoformat()}:{available[short]}",
    )
    return {FlagKind.INACTIVE: inactive, FlagKind.ENDED: ended, FlagKind.COVERAGE: coverage}


def _settle_status(session: Session, account: Account, today: date, now: datetime) -> None:
    """Active or flagged, from the open flags not kept quiet; closing and closed accounts are
    left alone (their closure decides)."""
    if account.status not in (AccountStatus.ACTIVE, AccountStatus.FLAGGED):
        return
    flags = session.exec(
        select(AccountFlag).where(
            AccountFlag.account_id == account.id, col(AccountFlag.open_key).is_not(None)
        )
    ).all()
    wanted = (
        AccountStatus.FLAGGED
        if any(not core.is_kept(f.quiet_until, today) for f in flags)
        else AccountStatus.ACTIVE
    )
    if account.status != wanted:
        account.status, account.status_changed_at = wanted.value, now
        session.add(account)


def _flag_data(flag: AccountFlag) -> dict[str, object]:
    return {
        "id": flag.id,
        "kind": flag.kind,
        "detail": flag.detail,
        "raised_count": flag.raised_count,
        "quiet_until": flag.quiet_until,
        "kept_by": flag.kept_by,
        "keep_reason": flag.keep_reason,
        "resolved": flag.resolved_at is not None,
    }


def flag_view(session: Session, config: OrgConfig, flag: AccountFlag) -> FlagView:
    account = session.get(Account, flag.account_id)
    assert account is not None
    team = session.get(Team, account.team_id)
    assert team is not None
    return FlagView(
        flag,
        account,
        team,
        core.cadence_of(config.register, account.cadence_days),
        config.register.coverage_members,
    )


def _flag_messages(
    session: Session, config: OrgConfig, view: FlagView, today: date
) -> list[Message]:
    flag = view.flag
    messages: list[Message] = []
    for target in lifecycle_targets(session, config, view.account):
        lang = lang_of_target(session, config, target)
        text, blocks = lifecycle_messages.flag(lang, view, today)
        messages.append(
            Message(
                key=f"flag:{flag.id}:{flag.raised_count}:{target}",
                kind=FLAG_MESSAGE,
                channel=target,
                text=text,
                blocks=blocks,
            )
        )
    return messages


def _raise(
    session: Session,
    account: Account,
    kind: FlagKind,
    detail: str | None,
    today: date,
    now: datetime,
) -> AccountFlag | None:
    assert account.id is not None
    flag = AccountFlag(
        account_id=account.id,
        kind=kind.value,
        open_key=f"{account.id}:{kind.value}",
        detail=detail,
        raised_at=now,
        last_raised_on=today,
    )
    try:
        with session.begin_nested():
            session.add(flag)
            session.flush()
    except sa.exc.IntegrityError:
        return None  # another replica raised it a moment ago (and tells the people)
    return flag


def sweep_flags(
    session: Session,
    config: OrgConfig,
    calendar: WorkCalendar,
    now: datetime,
    *,
    raise_new: bool,
) -> list[Message]:
    """Raise, raise again after a quiet period, or resolve every live account's flags; new
    flags only when `raise_new` (the weekly slot). Returns the messages newly recorded."""
    today = calendar.local_date(now)
    accounts = [a for a in live_accounts(session) if a.status != AccountStatus.CLOSING]
    if not accounts:
        return []
    posts = last_posts(session, [a.id for a in accounts if a.id is not None])
    absences = absences_from(session, today)
    members: dict[int, tuple[str, ...]] = {}
    open_flags = {
        (f.account_id, f.kind): f
        for f in session.exec(select(AccountFlag).where(col(AccountFlag.open_key).is_not(None)))
    }
    # A thin rota is the team's: flagged once, on its first account by key, not on each of its
    # (perhaps thirty) accounts.
    coverage_owner: dict[int, int | None] = {}
    for account in accounts:
        coverage_owner.setdefault(account.team_id, account.id)
    messages: list[Message] = []
    for account in accounts:
        assert account.id is not None
        if account.team_id not in members:
            team = session.get(Team, account.team_id)
            members[account.team_id] = members_of(session, team) if team else ()
        last = posts.get(account.id)
        found = findings(
            config,
            calendar,
            account,
            calendar.local_date(last) if last else None,
            members[account.team_id],
            absences,
            today,
        )
        if coverage_owner[account.team_id] != account.id:
            found[FlagKind.COVERAGE] = Finding(False)
        for kind, finding in found.items():
            flag = open_flags.get((account.id, kind.value))
            opened = core.OpenFlag(flag.quiet_until) if flag is not None else None
            action = core.flag_action(opened, finding.holds, today)
            target = f"account:{account.key}"
            if action == FlagAction.RAISE and raise_new:
                flag = _raise(session, account, kind, finding.detail, today, now)
                if flag is None:
                    continue
                audit(
                    session,
                    actor=ACTOR,
                    action="flag.raise",
                    target=target,
                    now=now,
                    after=_flag_data(flag),
                )
            elif action == FlagAction.RAISE_AGAIN and flag is not None:
                before = _flag_data(flag)
                flag.raised_count += 1
                flag.last_raised_on, flag.quiet_until = today, None
                flag.detail = finding.detail
                session.add(flag)
                audit(
                    session,
                    actor=ACTOR,
                    action="flag.raise_again",
                    target=target,
                    now=now,
                    before=before,
                    after=_flag_data(flag),
                )
            elif action == FlagAction.RESOLVE and flag is not None:
                before = _flag_data(flag)
                flag.open_key, flag.resolved_at = None, now
                session.add(flag)
                audit(
                    session,
                    actor=ACTOR,
                    action="flag.resolve",
                    target=target,
                    now=now,
                    before=before,
                    after=_flag_data(flag),
                )
                session.flush()
                _settle_status(session, account, today, now)
                continue
            else:
                continue
            session.flush()
            _settle_status(session, account, today, now)
            messages.extend(
                _flag_messages(session, config, flag_view(session, config, flag), today)
            )
    session.flush()
    return [m for m in messages if enqueue(session, m, now)]


# ---------------------------------------------------------------- flags: Keep


def get_flag(ctx: Ctx, flag_id: int) -> FlagView:
    flag = ctx.session.get(AccountFlag, flag_id)
    if flag is None:
        raise NotFound("error.lifecycle_no_flag", id=flag_id)
    return flag_view(ctx.session, ctx.config, flag)


def check_may_manage(ctx: Ctx, account: Account) -> None:
    """Coordinators and the account's manager decide about its lifecycle."""
    if not may_manage(ctx, account):
        raise NotAllowed("error.lifecycle_not_manager", account=account.name)


def check_keep(ctx: Ctx, flag_id: int) -> FlagView:
    """The flag to keep, when it is still open and the actor may keep it."""
    view = get_flag(ctx, flag_id)
    check_may_manage(ctx, view.account)
    if view.flag.open_key is None:
        raise Conflict("error.lifecycle_flag_resolved")
    if view.closing:
        raise Conflict("error.lifecycle_already_closing", account=view.account.name)
    return view


def keep_flag(
    ctx: Ctx, flag_id: int, reason: str | None, period: str | None, chosen: date | None
) -> FlagView:
    """Keep an account despite a flag: quiet for the chosen period, with a reason."""
    view = check_keep(ctx, flag_id)
    reason = (reason or "").strip()
    if not reason:
        raise UserInputError("error.lifecycle_keep_reason")
    if len(reason) > REASON_MAX:
        raise UserInputError("error.lifecycle_reason_too_long", max=REASON_MAX)
    try:
        # A date picked in the form is what the person meant, whatever the period select says.
        quiet_period = core.QuietPeriod.UNTIL_DATE if chosen else core.QuietPeriod(period or "")
    except ValueError:
        raise UserInputError("error.lifecycle_keep_period") from None
    until = core.quiet_until(quiet_period, ctx.today, chosen)
    if until is None:
        raise UserInputError("error.lifecycle_keep_date")
    flag = view.flag
    before = _flag_data(flag)
    flag.kept_by, flag.kept_at, flag.keep_reason = ctx.actor, ctx.now, reason
    flag.quiet_until = until
    ctx.session.add(flag)
    ctx.session.flush()
    _settle_status(ctx.session, view.account, ctx.today, ctx.now)
    ctx.audit("flag.keep", f"account:{view.account.key}", before=before, after=_flag_data(flag))
    return view


def flag_locations(session: Session, flag: AccountFlag) -> list[tuple[str, str, str]]:
    """Where the flag's latest messages are: (recipient, channel, ts) of each one sent."""
    rows = session.exec(
        select(Outbox).where(
            col(Outbox.key).startswith(f"flag:{flag.id}:{flag.raised_count}:"),
            col(Outbox.slack_ts).is_not(None),
        )
    ).all()
    return [
        (r.channel, r.slack_channel, r.slack_ts) for r in rows if r.slack_channel and r.slack_ts
    ]


def open_flag_ids(session: Session, account: Account) -> list[int]:
    """The ids of an account's open flags."""
    return [
        f.id
        for f in session.exec(
            select(AccountFlag).where(
                AccountFlag.account_id == account.id, col(AccountFlag.open_key).is_not(None)
            )
        )
        if f.id is not None
    ]


def open_flags(ctx: Ctx, limit: int | None = None) -> tuple[list[FlagView], int]:
    """The open flags, oldest first (at most `limit`), and how many there are."""
    where = col(AccountFlag.open_key).is_not(None)
    flags = ctx.session.exec(
        select(AccountFlag)
        .where(where)
        .order_by(col(AccountFlag.raised_at), col(AccountFlag.id))
        .limit(limit)
    ).all()
    total = ctx.session.exec(select(sa.func.count()).select_from(AccountFlag).where(where)).one()
    return [flag_view(ctx.session, ctx.config, f) for f in flags], int(total)


# ---------------------------------------------------------------- closure


def _closure_view(session: Session, closure: AccountClosure) -> ClosureView:
    account = session.get(Account, closure.account_id)
    assert account is not None and account.id is not None
    team = session.get(Team, account.team_id)
    assert team is not None
    steps = {
        s.step: s
        for s in session.exec(select(ClosureStep).where(ClosureStep.closure_id == closure.id))
    }
    # A final snapshot taken for this closure, or shortly before it started – not one left
    # from an earlier closure that was cancelled (NB6: before closing the account).
    since = closure.started_at - core.FINAL_SNAPSHOT_BEFORE
    has_final = has_final_snapshot(session, account.id, since)
    missing = tuple(core.closure_missing(steps, has_final))
    return ClosureView(closure, account, team, steps, has_final, missing)


def get_closure(ctx: Ctx, closure_id: int) -> ClosureView:
    closure = ctx.session.get(AccountClosure, closure_id)
    if closure is None:
        raise NotFound("error.lifecycle_no_closure", id=closure_id)
    return _closure_view(ctx.session, closure)


def _open_closure(ctx: Ctx, closure_id: int) -> ClosureView:
    view = get_closure(ctx, closure_id)
    if not view.open:
        key = (
            "error.lifecycle_closure_done"
            if view.closure.finished_at
            else "error.lifecycle_closure_cancelled"
        )
        raise Conflict(key, account=view.account.name)
    return view


def may_tick(ctx: Ctx, view: ClosureView) -> bool:
    """Team members of the account's team, its manager and coordinators tick steps off."""
    return (
        may_manage(ctx, view.account)
        or ctx.actor == view.team.manager
        or ctx.actor in members_of(ctx.session, view.team)
    )


def start_closure(
    ctx: Ctx, account: Account, reason: str | None, flag_id: int | None = None
) -> ClosureView:
    """Start closing an account: status closing, a checklist posted to the coordinators (or to
    the starter). One closure per account at a time."""
    check_may_manage(ctx, account)
    reason = (reason or "").strip() or None
    if reason and len(reason) > REASON_MAX:
        raise UserInputError("error.lifecycle_reason_too_long", max=REASON_MAX)
    if account.status == AccountStatus.CLOSING:
        raise Conflict("error.lifecycle_already_closing", account=account.name)
    if account.status not in (AccountStatus.ACTIVE, AccountStatus.FLAGGED):
        raise Conflict("error.lifecycle_not_live", account=account.name, status=account.status)
    assert account.id is not None
    closure = AccountClosure(
        account_id=account.id,
        open_key=str(account.id),
        reason=reason,
        flag_id=flag_id,
        started_by=ctx.actor,
        started_at=ctx.now,
    )
    try:
        with ctx.session.begin_nested():
            ctx.session.add(closure)
            ctx.session.flush()
    except sa.exc.IntegrityError:
        raise Conflict("error.lifecycle_already_closing", account=account.name) from None
    before = account.status
    account.status, account.status_changed_at = AccountStatus.CLOSING.value, ctx.now
    ctx.session.add(account)
    ctx.audit(
        "closure.start",
        f"account:{account.key}",
        before={"status": before},
        after={"status": account.status, "closure": closure.id, "reason": reason, "flag": flag_id},
    )
    view = _closure_view(ctx.session, closure)
    target = checklist_target(ctx.config, ctx.actor)
    lang = lang_of_target(ctx.session, ctx.config, target)
    text, blocks = lifecycle_messages.checklist(lang, view, ctx.calendar)
    enqueue(
        ctx.session,
        Message(
            key=f"closure:{closure.id}",
            kind=CLOSURE_MESSAGE,
            channel=target,
            text=text,
            blocks=blocks,
        ),
        ctx.now,
    )
    return view


def checklist_target(config: OrgConfig, starter: str) -> str:
    """Where a closure's checklist goes: the coordinators' channel, else the starter."""
    return config.coordinator_channel or starter


def start_from_flag(ctx: Ctx, flag_id: int) -> ClosureView:
    """Start closure from a flag's button."""
    view = get_flag(ctx, flag_id)
    check_may_manage(ctx, view.account)
    if view.flag.open_key is None:
        raise Conflict("error.lifecycle_flag_resolved")
    if view.flag.kind == FlagKind.COVERAGE:
        raise Conflict("error.lifecycle_coverage_no_close")
    return start_closure(ctx, view.account, None, flag_id)


def _step(value: str) -> ClosureStepName:
    try:
        return ClosureStepName(value)
    except ValueError:
        raise UserInputError("error.lifecycle_bad_step", value=value[:30]) from None


def _record_step(
    ctx: Ctx, view: ClosureView, step: ClosureStepName, waived_reason: str | None
) -> ClosureView:
    closure = view.closure
    assert closure.id is not None
    if step.value in view.steps:
        return view  # a double click: done already
    row = ClosureStep(
        closure_id=closure.id,
        step=step.value,
        done_by=ctx.actor,
        done_at=ctx.now,
        waived_reason=waived_reason,
    )
    try:
        with ctx.session.begin_nested():
            ctx.session.add(row)
            ctx.session.flush()
    except sa.exc.IntegrityError:
        return _closure_view(ctx.session, closure)  # someone else ticked it at the same time
    ctx.audit(
        "closure.waive" if waived_reason else "closure.step",
        f"account:{view.account.key}",
        after={"closure": closure.id, "step": step.value, "waived_reason": waived_reason},
    )
    return finish_if_complete(
        ctx.session, ctx.calendar, _closure_view(ctx.session, closure), ctx.actor, ctx.now
    )


def mark_done(ctx: Ctx, closure_id: int, step_name: str) -> ClosureView:
    """Tick a step off (the final snapshot is checked in the archive, not ticked)."""
    step = _step(step_name)
    view = _open_closure(ctx, closure_id)
    if not may_tick(ctx, view):
        raise NotAllowed("error.lifecycle_not_team", account=view.account.name)
    if step == ClosureStepName.FINAL_SNAPSHOT:
        raise Conflict("error.lifecycle_snapshot_not_ticked")
    return _record_step(ctx, view, step, None)


def check_waive(ctx: Ctx, closure_id: int, step_name: str) -> ClosureView:
    """A step a coordinator may waive (never the final snapshot)."""
    step = _step(step_name)
    view = _open_closure(ctx, closure_id)
    ctx.require_coordinator()
    if step not in core.WAIVABLE:
        raise Conflict("error.lifecycle_snapshot_not_waivable")
    return view


def waive(ctx: Ctx, closure_id: int, step_name: str, reason: str | None) -> ClosureView:
    """A coordinator waives a step, with a reason."""
    view = check_waive(ctx, closure_id, step_name)
    reason = (reason or "").strip()
    if not reason:
        raise UserInputError("error.lifecycle_waive_reason")
    if len(reason) > REASON_MAX:
        raise UserInputError("error.lifecycle_reason_too_long", max=REASON_MAX)
    return _record_step(ctx, view, _step(step_name), reason)


def check_closure(ctx: Ctx, closure_id: int) -> ClosureView:
    """Look again (a final snapshot archived since): finishes the closure when complete."""
    view = get_closure(ctx, closure_id)
    if not view.open:
        return view
    if not may_tick(ctx, view):
        raise NotAllowed("error.lifecycle_not_team", account=view.account.name)
    return finish_if_complete(ctx.session, ctx.calendar, view, ctx.actor, ctx.now)


def cancel_closure(ctx: Ctx, closure_id: int) -> ClosureView:
    """A coordinator cancels a closure: the account is watched as before."""
    ctx.require_coordinator()
    view = _open_closure(ctx, closure_id)
    closure, account = view.closure, view.account
    closure.open_key, closure.cancelled_by, closure.cancelled_at = None, ctx.actor, ctx.now
    ctx.session.add(closure)
    account.status, account.status_changed_at = AccountStatus.ACTIVE.value, ctx.now
    ctx.session.add(account)
    ctx.session.flush()
    _settle_status(ctx.session, account, ctx.today, ctx.now)
    ctx.audit(
        "closure.cancel",
        f"account:{account.key}",
        before={"status": AccountStatus.CLOSING.value, "closure": closure.id},
        after={"status": account.status, "closure": closure.id},
    )
    return _closure_view(ctx.session, closure)


def finish_if_complete(
    session: Session, calendar: WorkCalendar, view: ClosureView, actor: str, now: datetime
) -> ClosureView:
    """Close the account when nothing is missing: closed on today's date, its flags
    resolved, off the rotas and the public list."""
    if not view.open or view.missing:
        return view
    closure, account = view.closure, view.account
    today = calendar.local_date(now)
    closure.open_key, closure.finished_at = None, now
    session.add(closure)
    before = account.status
    account.status, account.status_changed_at, account.closed_on = (
        AccountStatus.CLOSED.value,
        now,
        today,
    )
    session.add(account)
    for flag in session.exec(
        select(AccountFlag).where(
            AccountFlag.account_id == account.id, col(AccountFlag.open_key).is_not(None)
        )
    ):
        flag.open_key, flag.resolved_at = None, now
        session.add(flag)
    audit(
        session,
        actor=actor,
        action="closure.finish",
        target=f"account:{account.key}",
        now=now,
        before={"status": before},
        after={"status": account.status, "closed_on": today, "closure": closure.id},
    )
    session.flush()
    return _closure_view(session, closure)


def checklist_location(session: Session, closure_id: int) -> tuple[str, str] | None:
    """Where a closure's checklist message is (channel, ts), once sent."""
    row = session.exec(select(Outbox).where(Outbox.key == f"closure:{closure_id}")).first()
    if row is None or not row.slack_channel or not row.slack_ts:
        return None
    return row.slack_channel, row.slack_ts


def checklist_content(
    session: Session, config: OrgConfig, calendar: WorkCalendar, view: ClosureView
) -> tuple[str, list[dict[str, object]]]:
    """The checklist message as it should look now, in its recipient's language."""
    target = checklist_target(config, view.closure.started_by)
    row = session.exec(select(Outbox).where(Outbox.key == f"closure:{view.closure.id}")).first()
    lang = lang_of_target(session, config, row.channel if row else target)
    return lifecycle_messages.checklist(lang, view, calendar)


def open_closures(ctx: Ctx, limit: int | None = None) -> tuple[list[ClosureView], int]:
    """Closures in progress, oldest first (at most `limit`), and how many there are."""
    where = col(AccountClosure.open_key).is_not(None)
    rows = ctx.session.exec(
        select(AccountClosure)
        .where(where)
        .order_by(col(AccountClosure.started_at), col(AccountClosure.id))
        .limit(limit)
    ).all()
    total = ctx.session.exec(select(sa.func.count()).select_from(AccountClosure).where(where)).one()
    return [_closure_view(ctx.session, c) for c in rows], int(total)


def open_closure_of(session: Session, account_id: int) -> AccountClosure | None:
    return session.exec(
        select(AccountClosure).where(AccountClosure.open_key == str(account_id))
    ).first()


def finish_ready(
    session: Session, config: OrgConfig, calendar: WorkCalendar, now: datetime
) -> list[Message]:
    """Closures whose last missing piece arrived without a button press (a final snapshot's
    files archived): finished, with a note in the checklist's thread."""
    messages: list[Message] = []
    for closure in session.exec(
        select(AccountClosure).where(col(AccountClosure.open_key).is_not(None))
    ).all():
        view = finish_if_complete(session, calendar, _closure_view(session, closure), ACTOR, now)
        if view.open:
            continue
        where = checklist_location(session, closure.id or 0)
        recipient = checklist_target(config, closure.started_by)
        lang = lang_of_target(session, config, recipient)
        text, blocks = lifecycle_messages.closed_note(lang, view)
        messages.append(
            Message(
                key=f"closure:{closure.id}:closed",
                kind=CLOSURE_MESSAGE,
                channel=where[0] if where else recipient,
                text=text,
                blocks=blocks,
                thread_ts=where[1] if where else None,
            )
        )
    return [m for m in messages if enqueue(session, m, now)]


class Updater:
    """Updates flag and checklist messages in place (chat.update) after a change."""

    def __init__(
        self, engine: Engine, config: OrgConfig, calendar: WorkCalendar, gateway: object
    ) -> None:
        self.engine, self.config, self.calendar, self.gateway = engine, config, calendar, gateway

    def _update(self, channel: str, ts: str, text: str, blocks: list[dict[str, object]]) -> None:
        try:
            self.gateway.update_message(channel, ts, text, blocks)  # type: ignore[attr-defined]
        except SlackSendError as exc:
            log.info("message %s/%s not updated: %s", channel, ts, exc.code)

    def flag(self, flag_id: int, now: datetime) -> None:
        """Show a flag's messages as they are now (kept, closure started)."""
        with session_scope(self.engine) as session:
            flag = session.get(AccountFlag, flag_id)
            if flag is None:
                return
            view = flag_view(session, self.config, flag)
            today = self.calendar.local_date(now)
            updates = []
            for target, channel, ts in flag_locations(session, flag):
                lang = lang_of_target(session, self.config, target)
                updates.append((channel, ts, *lifecycle_messages.flag(lang, view, today)))
        for channel, ts, text, blocks in updates:
            self._update(channel, ts, text, blocks)

    def closure(self, closure_id: int, now: datetime) -> None:
        """Show a closure's checklist as it is now."""
        with session_scope(self.engine) as session:
            where = checklist_location(session, closure_id)
            closure = session.get(AccountClosure, closure_id)
            if where is None or closure is None:
                return
            text, blocks = checklist_content(
                session, self.config, self.calendar, _closure_view(session, closure)
            )
        self._update(where[0], where[1], text, blocks)

    def account(self, account_id: int, now: datetime, actor: str = ACTOR) -> None:
        """After a final snapshot of an account is archived: its open closure is looked at
        again (finished, by `actor`, when that was the last piece) and its checklist shown
        anew."""
        with session_scope(self.engine) as session:
            closure = open_closure_of(session, account_id)
            if closure is None or closure.id is None:
                return
            closure_id = closure.id
            finish_if_complete(session, self.calendar, _closure_view(session, closure), actor, now)
        self.closure(closure_id, now)
