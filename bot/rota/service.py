"""Rota services: who is on duty, absences, swaps, covers, and team administration.

Each public function runs inside the caller's transaction (one `/vakt` command = one
transaction), checks who may do it, changes the tables, writes the audit log and records any
notification in the outbox, so a refused or failed command changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import col, select

from bot.kernel.audience import lang_for
from bot.kernel.audit import audit
from bot.kernel.config import KEY, PLATFORMS
from bot.kernel.context import Ctx
from bot.kernel.errors import Conflict, NotAllowed, NotFound, UserInputError
from bot.kernel.i18n import fmt_range
from bot.kernel.parse import DateRange
from bot.rota import core as rota
from bot.rota import messages as notify
from bot.rota.teams import (
    TeamView,
    duty_inputs_from,
    get_team,
    set_members,
    team_snapshot,
    team_views,
)
from bot.slackkit.outbox import enqueue
from bot.store.models import Absence, Account, Override, SwapRequest, Team

MAX_WEEKS = 26


@dataclass(frozen=True)
class TeamDuty:
    view: TeamView
    duty: rota.Duty


@dataclass(frozen=True)
class PeriodPlan:
    period: rota.Period
    working_days: tuple[date, ...]
    planned: rota.Duty | None
    changes: tuple[rota.Duty, ...]  # days whose duty differs from the plan


def duty_inputs(ctx: Ctx) -> tuple[list[rota.Absence], list[rota.Override]]:
    return duty_inputs_from(ctx, ctx.today - timedelta(days=7))


def find_teams(ctx: Ctx, query: str | None) -> list[TeamView]:
    """Teams matching a team key, an account key, or all teams."""
    teams = team_views(ctx)
    if not query:
        return teams
    q = query.lower().lstrip("#")
    by_team = [t for t in teams if t.team.key == q]
    if by_team:
        return by_team
    by_account = [t for t in teams if any(a.key == q for a in t.accounts)]
    if by_account:
        return by_account
    raise NotFound("error.no_team_or_account", key=query)


def who(ctx: Ctx, query: str | None = None) -> list[TeamDuty]:
    """Who is on duty now, and who substitutes, per team."""
    absences, overrides = duty_inputs(ctx)
    return [
        TeamDuty(view, rota.duty_at(view.rota, ctx.now, ctx.calendar, absences, overrides))
        for view in find_teams(ctx, query)
        if view.members
    ]


def plan(ctx: Ctx, view: TeamView, weeks: int) -> list[PeriodPlan]:
    """The coming periods of a team for about `weeks` weeks, with absences and overrides."""
    if not 1 <= weeks <= MAX_WEEKS:
        raise UserInputError("error.bad_weeks", max=MAX_WEEKS)
    absences, overrides = duty_inputs(ctx)
    start = rota.duty_day(ctx.now, ctx.calendar)
    until = start + timedelta(days=7 * weeks - 1)
    plans: list[PeriodPlan] = []
    day = start
    while day <= until:
        period = rota.period_of(view.rota, day, ctx.calendar)
        days = tuple(ctx.calendar.working_days_between(max(period.start, start), period.end))
        if view.rota.rotation == rota.Rotation.DAILY and not days:
            day = period.end + timedelta(days=1)
            continue
        planned = rota.duty_on(view.rota, days[0], ctx.calendar) if days and view.members else None
        changes = (
            tuple(
                d
                for d in (
                    rota.duty_on(view.rota, x, ctx.calendar, absences, overrides) for x in days
                )
                if planned is None
                or (d.primary, d.substitute) != (planned.primary, planned.substitute)
            )
            if view.members
            else ()
        )
        plans.append(PeriodPlan(period, days, planned, changes))
        day = period.end + timedelta(days=1)
    return plans


def _member_teams(ctx: Ctx, user: str) -> list[TeamView]:
    return [t for t in team_views(ctx) if user in t.members]


def _check_range(ctx: Ctx, rng: DateRange) -> None:
    if rng.end < rng.start:
        raise UserInputError("error.end_before_start")
    if rng.start < ctx.today:
        raise UserInputError("error.in_the_past")
    if rng.end > ctx.today + timedelta(days=730):
        raise UserInputError("error.too_far_ahead")


def _may_act_for(ctx: Ctx, user: str) -> None:
    if user != ctx.actor:
        ctx.require_coordinator()
    elif not ctx.is_coordinator and not _member_teams(ctx, user):
        raise NotAllowed("error.members_only")


def add_absence(
    ctx: Ctx, user: str, rng: DateRange | None, kind: rota.AbsenceKind, note: str | None
) -> Absence:
    """Register that someone is away (or has left the job, from a date on)."""
    _may_act_for(ctx, user)
    if kind == rota.AbsenceKind.LEFT:
        start = rng.start if rng else ctx.today
        if start < ctx.today:
            raise UserInputError("error.in_the_past")
        end: date | None = None
    else:
        if rng is None:
            raise UserInputError("error.missing_date")
        _check_range(ctx, rng)
        start, end = rng.start, rng.end
        _refuse_overlap(ctx, user, start, end)
    absence = Absence(
        user_id=user,
        start=start,
        end=end,
        kind=kind.value,
        note=note[:200] if note else None,
        created_by=ctx.actor,
        created_at=ctx.now,
    )
    ctx.session.add(absence)
    ctx.session.flush()
    ctx.audit(
        "absence.add",
        user,
        after={"id": absence.id, "start": start, "end": end, "kind": kind.value, "note": note},
    )
    return absence


def _refuse_overlap(ctx: Ctx, user: str, start: date, end: date) -> None:
    """One absence per person at a time: a second that overlaps is refused, not merged (the
    two may differ in kind and note, and a sick leave is not silently widened). Leaving the
    job is not an absence of this kind: it overlaps the vacations planned before it."""
    for other in ctx.session.exec(
        select(Absence).where(
            Absence.user_id == user,
            col(Absence.cancelled_at).is_(None),
            Absence.kind != rota.AbsenceKind.LEFT.value,
        )
    ).all():
        if other.end is not None and other.end >= start and other.start <= end:
            lang = lang_for(ctx.session, ctx.config, ctx.actor)  # the one who reads the refusal
            when = fmt_range(other.start, other.end, lang)
            raise UserInputError("error.absence_overlaps", user=user, range=when)


def upcoming_absences(ctx: Ctx, user: str) -> list[Absence]:
    """Someone's current and future absences: for them and the coordinators only (a sick
    leave is health data, GDPR art. 9)."""
    if user != ctx.actor:
        ctx.require_coordinator()
    return list(
        ctx.session.exec(
            select(Absence)
            .where(
                Absence.user_id == user,
                col(Absence.cancelled_at).is_(None),
                (col(Absence.end).is_(None)) | (col(Absence.end) >= ctx.today),
            )
            .order_by(col(Absence.start))
        ).all()
    )


def back(ctx: Ctx, user: str) -> list[Absence]:
    """End the absence that covers today: the person is back from today."""
    _may_act_for(ctx, user)
    ended: list[Absence] = []
    for absence in upcoming_absences(ctx, user):
        if absence.start > ctx.today:
            continue
        before = {"start": absence.start, "end": absence.end, "kind": absence.kind}
        if absence.start == ctx.today:
            absence.cancelled_at = ctx.now
        else:
            absence.end = ctx.today - timedelta(days=1)
        ctx.session.add(absence)
        audit(
            ctx.session,
            actor=ctx.actor,
            action="absence.end",
            target=user,
            now=ctx.now,
            before=before,
            after={
                "start": absence.start,
                "end": absence.end,
                "cancelled": bool(absence.cancelled_at),
            },
        )
        ended.append(absence)
    if not ended:
        raise Conflict("error.not_away")
    return ended


def cancel_absence(ctx: Ctx, absence_id: int) -> Absence:
    """Withdraw a registered absence (its owner or a coordinator)."""
    absence = ctx.session.get(Absence, absence_id)
    if absence is None or absence.cancelled_at is not None:
        raise NotFound("error.no_absence")
    _may_act_for(ctx, absence.user_id)
    absence.cancelled_at = ctx.now
    ctx.session.add(absence)
    ctx.audit(
        "absence.cancel",
        absence.user_id,
        before={"id": absence.id, "start": absence.start, "end": absence.end},
    )
    return absence


def _common_team(ctx: Ctx, a: str, b: str, team_key: str | None) -> TeamView:
    if team_key:
        view = next((t for t in team_views(ctx) if t.team.key == team_key.lower()), None)
        if view is None:
            raise NotFound("error.no_team", key=team_key)
        if a not in view.members:
            raise NotAllowed("error.not_in_team", team=view.team.name)
        return view
    shared = [t for t in _member_teams(ctx, a) if b in t.members]
    if shared:
        return shared[0]
    mine = _member_teams(ctx, a)
    if not mine:
        raise NotAllowed("error.members_only")
    if len(mine) > 1:
        raise UserInputError("error.which_team")
    return mine[0]


def request_swap(
    ctx: Ctx, counterpart: str, rng: DateRange, team_key: str | None = None
) -> SwapRequest:
    """A asks B to swap duty for a week or dates; B gets Accept / Decline buttons."""
    if counterpart == ctx.actor:
        raise UserInputError("error.swap_self")
    _check_range(ctx, rng)
    view = _common_team(ctx, ctx.actor, counterpart, team_key)
    pending = ctx.session.exec(
        select(SwapRequest).where(
            SwapRequest.requester == ctx.actor,
            SwapRequest.counterpart == counterpart,
            SwapRequest.status == "pending",
            SwapRequest.start == rng.start,
            SwapRequest.end == rng.end,
        )
    ).first()
    if pending is not None:
        raise Conflict("error.swap_exists")
    assert view.team.id is not None
    request = SwapRequest(
        team_id=view.team.id,
        requester=ctx.actor,
        counterpart=counterpart,
        start=rng.start,
        end=rng.end,
        created_at=ctx.now,
    )
    ctx.session.add(request)
    ctx.session.flush()
    ctx.audit(
        "swap.request",
        f"swap:{request.id}",
        after={"with": counterpart, "team": view.team.key, "start": rng.start, "end": rng.end},
    )
    for message in notify.swap_requested(ctx.session, ctx.config, request, view.team):
        enqueue(ctx.session, message, ctx.now)
    return request


def _pending_swap(ctx: Ctx, swap_id: int) -> SwapRequest:
    request = ctx.session.get(SwapRequest, swap_id)
    if request is None:
        raise NotFound("error.no_swap")
    if request.status != "pending":
        raise Conflict(f"error.swap_{request.status}")
    return request


def decide_swap(ctx: Ctx, swap_id: int, accept: bool) -> SwapRequest:
    """B accepts (the rota changes) or declines; both are told."""
    request = _pending_swap(ctx, swap_id)
    if ctx.actor != request.counterpart:
        raise NotAllowed("error.not_your_swap")
    if request.end < ctx.today:
        request.status = "expired"
        ctx.session.add(request)
        raise Conflict("error.swap_expired")
    request.status = "accepted" if accept else "declined"
    request.decided_at = ctx.now
    ctx.session.add(request)
    if accept:
        ctx.session.add(
            Override(
                kind=rota.OverrideKind.SWAP.value,
                user_id=request.requester,
                other_id=request.counterpart,
                team_id=request.team_id,
                start=max(request.start, ctx.today),
                end=request.end,
                created_by=ctx.actor,
                created_at=ctx.now,
                swap_request_id=request.id,
            )
        )
    ctx.audit(
        "swap.accept" if accept else "swap.decline",
        f"swap:{request.id}",
        before={"status": "pending"},
        after={"status": request.status},
    )
    team = ctx.session.get(Team, request.team_id)
    assert team is not None
    for message in notify.swap_decided(ctx.session, ctx.config, request, team):
        enqueue(ctx.session, message, ctx.now)
    return request


def withdraw_swap(ctx: Ctx, swap_id: int) -> SwapRequest:
    """A withdraws a pending request; B is told."""
    request = _pending_swap(ctx, swap_id)
    if ctx.actor != request.requester:
        raise NotAllowed("error.not_your_swap")
    request.status = "withdrawn"
    request.decided_at = ctx.now
    ctx.session.add(request)
    ctx.audit(
        "swap.withdraw",
        f"swap:{request.id}",
        before={"status": "pending"},
        after={"status": "withdrawn"},
    )
    team = ctx.session.get(Team, request.team_id)
    assert team is not None
    for message in notify.swap_decided(ctx.session, ctx.config, request, team):
        enqueue(ctx.session, message, ctx.now)
    return request


def add_cover(ctx: Ctx, coverer: str, covered: str, rng: DateRange) -> Override:
    """Coordinators: X covers Y's duty (in every team) for a period."""
    ctx.require_coordinator()
    if coverer == covered:
        raise UserInputError("error.cover_self")
    _check_range(ctx, rng)
    if not _member_teams(ctx, covered):
        raise NotFound("error.not_a_member", user=covered)
    override = Override(
        kind=rota.OverrideKind.COVER.value,
        user_id=coverer,
        other_id=covered,
        start=rng.start,
        end=rng.end,
        created_by=ctx.actor,
        created_at=ctx.now,
    )
    ctx.session.add(override)
    ctx.session.flush()
    ctx.audit(
        "override.add",
        covered,
        after={"id": override.id, "covers": coverer, "start": rng.start, "end": rng.end},
    )
    return override


def cancel_cover(ctx: Ctx, coverer: str, covered: str) -> list[Override]:
    """Coordinators: withdraw current and future covers of Y by X."""
    ctx.require_coordinator()
    rows = ctx.session.exec(
        select(Override).where(
            Override.kind == rota.OverrideKind.COVER.value,
            Override.user_id == coverer,
            Override.other_id == covered,
            col(Override.cancelled_at).is_(None),
            col(Override.end) >= ctx.today,
        )
    ).all()
    if not rows:
        raise NotFound("error.no_cover")
    for row in rows:
        row.cancelled_at = ctx.now
        ctx.session.add(row)
        ctx.audit(
            "override.cancel",
            covered,
            before={"id": row.id, "covers": coverer, "start": row.start, "end": row.end},
        )
    return list(rows)


# --- team and account administration (coordinators) -------------------------------------------


def _editable_team(ctx: Ctx, key: str) -> Team:
    ctx.require_coordinator()
    team = get_team(ctx.session, key)
    if team.managed:
        raise Conflict("error.managed_in_config", key=team.key, file=ctx.config.path)
    return team


def _changed(ctx: Ctx, team: Team, action: str, before: dict[str, object]) -> Team:
    team.updated_at = ctx.now
    ctx.session.add(team)
    ctx.session.flush()
    ctx.audit(action, f"team:{team.key}", before=before, after=team_snapshot(ctx.session, team))
    ctx.forget()
    return team


def create_team(ctx: Ctx, key: str, name: str) -> Team:
    """Coordinators: a new team, rotating weekly from this week's Monday."""
    ctx.require_coordinator()

    key = key.lower()
    if not KEY.match(key):
        raise UserInputError("error.bad_key", key=key)
    if not name.strip():
        raise UserInputError("error.missing_name")
    if ctx.session.exec(select(Team).where(Team.key == key)).first() is not None:
        raise Conflict("error.team_exists", key=key)
    monday = ctx.today - timedelta(days=ctx.today.weekday())
    team = Team(
        key=key, name=name.strip()[:200], start=monday, created_at=ctx.now, updated_at=ctx.now
    )
    ctx.session.add(team)
    ctx.session.flush()
    return _changed(ctx, team, "team.create", {})


def set_team_members(ctx: Ctx, key: str, members: list[str]) -> Team:
    """Coordinators: a team's members, in rotation order."""
    team = _editable_team(ctx, key)
    if not members:
        raise UserInputError("error.missing_members")
    if len(set(members)) != len(members):
        raise UserInputError("error.duplicate_members")
    before = team_snapshot(ctx.session, team)
    set_members(ctx.session, team, members)
    return _changed(ctx, team, "team.members", before)


def set_team_channel(ctx: Ctx, key: str, channel: str) -> Team:
    """Coordinators: the team's Slack channel."""
    team = _editable_team(ctx, key)
    before = team_snapshot(ctx.session, team)
    team.channel = channel
    return _changed(ctx, team, "team.channel", before)


def set_team_manager(ctx: Ctx, key: str, manager: str) -> Team:
    """Coordinators: the team's manager."""
    team = _editable_team(ctx, key)
    before = team_snapshot(ctx.session, team)
    team.manager = manager
    return _changed(ctx, team, "team.manager", before)


def set_team_rotation(ctx: Ctx, key: str, rotation: str, start: date | None) -> Team:
    """Coordinators: weekly or daily rotation, optionally from a new start date."""
    team = _editable_team(ctx, key)
    if rotation not in ("weekly", "daily"):
        raise UserInputError("error.bad_rotation", value=rotation)
    before = team_snapshot(ctx.session, team)
    team.rotation = rotation
    if start is not None:
        team.start = start
    return _changed(ctx, team, "team.rotation", before)


def rename_team(ctx: Ctx, key: str, name: str) -> Team:
    """Coordinators: a team's display name."""
    team = _editable_team(ctx, key)
    if not name.strip():
        raise UserInputError("error.missing_name")
    before = team_snapshot(ctx.session, team)
    team.name = name.strip()[:200]
    return _changed(ctx, team, "team.rename", before)


def create_account(
    ctx: Ctx, key: str, platform: str, team_key: str, url: str, name: str
) -> Account:
    """Coordinators: register an account on a team (the full register comes later)."""
    ctx.require_coordinator()

    key = key.lower()
    if not KEY.match(key):
        raise UserInputError("error.bad_key", key=key)
    if platform.lower() not in PLATFORMS:
        raise UserInputError("error.bad_platform", value=platform, platforms=", ".join(PLATFORMS))
    url = url.strip("<>").split("|")[0]
    if not url.startswith(("https://", "http://")):
        raise UserInputError("error.bad_url", value=url)
    if not name.strip():
        raise UserInputError("error.missing_name")
    team = get_team(ctx.session, team_key)
    if ctx.session.exec(select(Account).where(Account.key == key)).first() is not None:
        raise Conflict("error.account_exists", key=key)
    assert team.id is not None
    account = Account(
        key=key,
        platform=platform.lower(),
        name=name.strip()[:200],
        url=url,
        team_id=team.id,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(account)
    ctx.session.flush()
    ctx.audit(
        "account.create",
        f"account:{key}",
        after={
            "key": key,
            "platform": account.platform,
            "team": team.key,
            "url": url,
            "name": name,
        },
    )
    ctx.forget()
    return account


def _intake_taken(ctx: Ctx, channel: str, team_id: int | None, account_id: int | None) -> None:
    team = ctx.session.exec(select(Team).where(Team.intake_channel == channel)).first()
    account = ctx.session.exec(select(Account).where(Account.intake_channel == channel)).first()
    if (team is not None and team.id != team_id) or (
        account is not None and account.id != account_id
    ):
        owner = team.key if team is not None else account.key if account is not None else "?"
        raise Conflict("error.intake_taken", channel=channel, owner=owner)


def set_team_intake(ctx: Ctx, key: str, channel: str | None) -> Team:
    """Coordinators: every top-level message in this channel becomes an item of the team's
    accounts (None: no intake channel)."""
    team = _editable_team(ctx, key)
    if channel is not None:
        _intake_taken(ctx, channel, team.id, None)
    before = team_snapshot(ctx.session, team)
    team.intake_channel = channel
    return _changed(ctx, team, "team.intake", before)


def set_account_intake(ctx: Ctx, key: str, channel: str | None) -> Account:
    """Coordinators: every top-level message in this channel becomes an item of the account."""
    ctx.require_coordinator()
    account = ctx.session.exec(select(Account).where(Account.key == key.lower())).first()
    if account is None:
        raise NotFound("error.no_account", key=key)
    if account.managed:
        raise Conflict("error.managed_in_config", key=account.key, file=ctx.config.path)
    if channel is not None:
        _intake_taken(ctx, channel, None, account.id)
    before = account.intake_channel
    account.intake_channel = channel
    account.updated_at = ctx.now
    ctx.session.add(account)
    ctx.session.flush()
    ctx.audit(
        "account.intake",
        f"account:{account.key}",
        before={"intake_channel": before},
        after={"intake_channel": channel},
    )
    ctx.forget()
    return account
