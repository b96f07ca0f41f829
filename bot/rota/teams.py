"""Data access shared by the services: loading teams into the pure rota, and the audit log.

Commands read the teams, members, accounts and duty inputs through the read model: what this
process read of them, kept for as long as the database's read revision (migration 0009) is the
token it was read under. A command costs one indexed read of that token instead of loading
every team and account; any change committed anywhere, by any replica or by hand, changes the
token in the same transaction, so the next command reads afresh and never sees a stale duty.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import make_transient
from sqlmodel import Session, col, or_, select

from bot.kernel.config import LIVE
from bot.kernel.context import Ctx
from bot.kernel.errors import NotFound
from bot.rota import core as rota
from bot.store.models import Absence, Account, Override, Team, TeamMember


@dataclass(frozen=True)
class TeamView:
    """A team row with its ordered members and accounts, ready for the pure rota."""

    team: Team
    members: tuple[str, ...]
    accounts: tuple[Account, ...]

    # Worked out once per view: the read model's views serve every command until a change.
    @cached_property
    def rota(self) -> rota.TeamRota:
        return rota.TeamRota(
            key=self.team.key,
            members=self.members,
            rotation=rota.Rotation(self.team.rotation),
            start=self.team.start,
        )

    @cached_property
    def account_ids(self) -> tuple[int, ...]:
        return tuple(a.id for a in self.accounts if a.id is not None)

    @cached_property
    def account_keys(self) -> frozenset[str]:
        return frozenset(a.key for a in self.accounts)

    @cached_property
    def account_names(self) -> str:
        """The names of its live accounts, comma separated, in key order."""
        return ", ".join(a.name for a in self.accounts)


def team_snapshot(session: Session, team: Team) -> dict[str, Any]:
    """A team's settings as plain data, for the audit log."""
    return {
        "key": team.key,
        "name": team.name,
        "channel": team.channel,
        "manager": team.manager,
        "rotation": team.rotation,
        "start": team.start.isoformat(),
        "intake_channel": team.intake_channel,
        "members": list(members_of(session, team)),
    }


def members_of(session: Session, team: Team) -> tuple[str, ...]:
    """A team's members in rotation order."""
    rows = session.exec(
        select(TeamMember).where(TeamMember.team_id == team.id).order_by(col(TeamMember.position))
    ).all()
    return tuple(r.user_id for r in rows)


def set_members(session: Session, team: Team, members: Sequence[str]) -> None:
    """Replace a team's members, keeping the given order."""
    for row in session.exec(select(TeamMember).where(TeamMember.team_id == team.id)).all():
        session.delete(row)
    session.flush()
    assert team.id is not None
    for position, user in enumerate(members):
        session.add(TeamMember(team_id=team.id, user_id=user, position=position))
    session.flush()


def all_teams(session: Session) -> list[TeamView]:
    """Every team with members and its live accounts (not closed), ordered by key."""
    teams = session.exec(select(Team).order_by(col(Team.key))).all()
    members: dict[int, list[str]] = {}
    for row in session.exec(select(TeamMember).order_by(col(TeamMember.position))).all():
        members.setdefault(row.team_id, []).append(row.user_id)
    accounts: dict[int, list[Account]] = {}
    live = select(Account).where(col(Account.status).in_(LIVE)).order_by(col(Account.key))
    for account in session.exec(live).all():  # closed accounts have left the rotas
        accounts.setdefault(account.team_id, []).append(account)
    return [
        TeamView(t, tuple(members.get(t.id or 0, ())), tuple(accounts.get(t.id or 0, ())))
        for t in teams
    ]


def get_team(session: Session, key: str) -> Team:
    """A team by key, or NotFound."""
    team = session.exec(select(Team).where(Team.key == key.lower())).first()
    if team is None:
        raise NotFound("error.no_team", key=key)
    return team


def absences_from(session: Session, since: date) -> list[rota.Absence]:
    """Absences that are not cancelled and have not ended before `since`."""
    rows = session.exec(
        select(Absence).where(
            col(Absence.cancelled_at).is_(None),
            or_(col(Absence.end).is_(None), col(Absence.end) >= since),
        )
    ).all()
    return [
        rota.Absence(user=a.user_id, start=a.start, end=a.end, kind=rota.AbsenceKind(a.kind))
        for a in rows
    ]


def overrides_from(session: Session, since: date) -> list[rota.Override]:
    """Overrides (covers and accepted swaps) in force on or after `since`."""
    teams = {t.id: t.key for t in session.exec(select(Team)).all()}
    rows = session.exec(
        select(Override).where(col(Override.cancelled_at).is_(None), col(Override.end) >= since)
    ).all()
    return [
        rota.Override(
            kind=rota.OverrideKind(o.kind),
            user=o.user_id,
            other=o.other_id,
            start=o.start,
            end=o.end,
            team=teams.get(o.team_id) if o.team_id is not None else None,
        )
        for o in rows
    ]


DutyInputs = tuple[list[rota.Absence], list[rota.Override]]
KEPT_INPUTS = 4  # duty inputs kept per revision, by first day (a day's commands share one)


@dataclass
class ReadModel:
    """The teams (with members and live accounts) and the ids of every account, as of one read
    revision. Shared by every thread of the process: its rows belong to no session (they were
    made transient once read), to be read and never changed (load a row by id to change it)."""

    revision: str | None
    teams: tuple[TeamView, ...]
    account_ids: frozenset[int]
    accounts: dict[int, Account] = field(init=False, repr=False)  # the live ones, by id
    _inputs: dict[date, tuple[tuple[rota.Absence, ...], tuple[rota.Override, ...]]] = field(
        default_factory=dict, repr=False
    )

    def __post_init__(self) -> None:
        self.accounts = {a.id: a for v in self.teams for a in v.accounts if a.id is not None}


@dataclass
class _Kept:
    lock: threading.Lock = field(default_factory=threading.Lock)
    model: ReadModel | None = None


# One per database the process uses (tests use many): gone with its engine.
_KEPT: weakref.WeakKeyDictionary[Engine, _Kept] = weakref.WeakKeyDictionary()
_KEPT_LOCK = threading.Lock()


# A constant statement, run as it is: it runs two or three times in every command, where
# building the ORM's select cost more than the database's answer.
_REVISION = "SELECT token FROM read_revision WHERE id = 1"


def read_revision(session: Session) -> str | None:
    """The database's read revision (None: its row is missing, so nothing may be kept), this
    transaction's changes flushed first (as a query of the session would)."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    token = session.connection().exec_driver_sql(_REVISION).scalar()
    return None if token is None else str(token)


def _kept(session: Session) -> _Kept:
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    with _KEPT_LOCK:
        kept = _KEPT.get(engine)
        if kept is None:
            kept = _KEPT[engine] = _Kept()
    return kept


def read_model(ctx: Ctx) -> ReadModel:
    """What the teams are at the start of this transaction (until `ctx.forget()`): the kept
    model when the read revision is the one it was read under, else read afresh and kept."""
    return ctx.memo("read_model", lambda: _current(ctx.session))


def _current(session: Session) -> ReadModel:
    kept = _kept(session)
    revision = read_revision(session)
    model = kept.model
    if model is not None and revision is not None and model.revision == revision:
        return model
    # Read in a session of its own on the same connection (so in the same transaction, its
    # changes included), then let go of the rows: they belong to no session afterwards (adding
    # one would insert it, and fail loudly), and the transaction's own rows stay its own.
    with Session(bind=session.connection(), autoflush=False, expire_on_commit=False) as reader:
        loaded = all_teams(reader)
        ids = frozenset(i for i in reader.exec(select(Account.id)).all() if i is not None)
        for view in loaded:
            make_transient(view.team)
            for account in view.accounts:
                make_transient(account)
    model = ReadModel(revision, tuple(loaded), ids)
    if _unchanged(session, revision):
        with kept.lock:
            kept.model = model
    return model


def _unchanged(session: Session, revision: str | None) -> bool:
    """Whether what was just read belongs to `revision`, read again: PostgreSQL's READ
    COMMITTED shows a transaction what others committed after its first read, and a transaction
    that wrote has a token of its own (which no one else sees unless it commits)."""
    return revision is not None and read_revision(session) == revision


def team_views(ctx: Ctx) -> list[TeamView]:
    """Every team with its members and live accounts, ordered by key (the read model)."""
    return list(read_model(ctx).teams)


def duty_inputs_from(ctx: Ctx, since: date) -> DutyInputs:
    """Absences and overrides in force on or after `since`, as the database has them now (this
    transaction's own changes included): kept with the read model of the revision they were
    read under, so they cost one indexed read while nothing changes."""
    session = ctx.session
    model = read_model(ctx)
    revision = read_revision(session)
    if revision is None or revision != model.revision:  # changed since (by this transaction)
        return absences_from(session, since), overrides_from(session, since)
    found = model._inputs.get(since)
    if found is None:
        found = tuple(absences_from(session, since)), tuple(overrides_from(session, since))
        if _unchanged(session, revision):
            with _kept(session).lock:
                if len(model._inputs) >= KEPT_INPUTS:
                    model._inputs.clear()
                model._inputs[since] = found
    return list(found[0]), list(found[1])
