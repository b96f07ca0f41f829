"""Data access shared by the services: loading teams into the pure rota, and the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

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

    @property
    def rota(self) -> rota.TeamRota:
        return rota.TeamRota(
            key=self.team.key,
            members=self.members,
            rotation=rota.Rotation(self.team.rotation),
            start=self.team.start,
        )


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


def team_views(ctx: Ctx) -> list[TeamView]:
    """Every team with its members and accounts, loaded once per transaction."""
    return ctx.memo("teams", lambda: all_teams(ctx.session))
