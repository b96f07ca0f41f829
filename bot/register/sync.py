"""Config as code: teams and accounts declared in the TOML file are applied on start.

Applied idempotently by key: a second start with the same file changes nothing; a changed file
updates the rows, audited as actor "config". Declared rows are marked managed (read-only in Slack);
a row removed from the file stays, now editable from Slack, so no history is lost.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from bot.kernel.audit import audit
from bot.kernel.config import AccountDecl, ConfigError, OrgConfig
from bot.register.core import join_users
from bot.rota.teams import members_of, set_members, team_snapshot
from bot.store.models import Account, Team

ACTOR = "config"


def apply_config(session: Session, config: OrgConfig, now: datetime) -> list[str]:
    """Create or update declared teams and accounts; returns a line per change."""
    changes: list[str] = []
    declared_teams = {t.key for t in config.teams}
    for decl in config.teams:
        team = session.exec(select(Team).where(Team.key == decl.key)).first()
        before = team_snapshot(session, team) if team else None
        if team is None:
            team = Team(
                key=decl.key, name=decl.name, start=decl.start, created_at=now, updated_at=now
            )
        team.name, team.channel, team.manager = decl.name, decl.channel, decl.manager
        team.rotation, team.start, team.managed = decl.rotation, decl.start, True
        team.intake_channel = decl.intake_channel
        session.add(team)
        session.flush()
        if members_of(session, team) != decl.members:
            set_members(session, team, decl.members)
        after = team_snapshot(session, team)
        if before != after:
            team.updated_at = now
            session.add(team)
            audit(
                session,
                actor=ACTOR,
                action="team.apply",
                target=f"team:{team.key}",
                now=now,
                before=before,
                after=after,
            )
            changes.append(f"team {team.key} {'updated' if before else 'created'}")
    for team in session.exec(select(Team).where(Team.managed == True)).all():  # noqa: E712
        if team.key not in declared_teams:
            team.managed = False
            session.add(team)
            changes.append(f"team {team.key} no longer in the file: now editable in Slack")

    declared_accounts = {a.key for a in config.accounts}
    for acc in config.accounts:
        team = session.exec(select(Team).where(Team.key == acc.team)).first()
        if team is None or team.id is None:
            raise ConfigError(
                config.path,
                f"account.{acc.key}.team",
                f"{acc.team!r} is neither declared in the file nor a team in the database",
            )
        account = session.exec(select(Account).where(Account.key == acc.key)).first()
        before_acc = _account_data(session, account) if account else None
        if account is None:
            account = Account(
                key=acc.key,
                platform=acc.platform,
                name=acc.name,
                url=acc.url,
                team_id=team.id,
                created_at=now,
                updated_at=now,
            )
        account.platform, account.name, account.url = acc.platform, acc.name, acc.url
        account.team_id, account.managed = team.id, True
        account.intake_channel = acc.intake_channel
        account.deadline_working_days = acc.deadline_working_days
        account.must_register = acc.must_register
        account.snapshot_months = acc.snapshot_months
        apply_register_fields(account, acc)
        after_acc = _account_data(session, account)
        if before_acc != after_acc:
            account.updated_at = now
            audit(
                session,
                actor=ACTOR,
                action="account.apply",
                target=f"account:{acc.key}",
                now=now,
                before=before_acc,
                after=after_acc,
            )
            changes.append(f"account {acc.key} {'updated' if before_acc else 'created'}")
        session.add(account)
    for account in session.exec(select(Account).where(Account.managed == True)).all():  # noqa: E712
        if account.key not in declared_accounts:
            account.managed = False
            session.add(account)
            changes.append(f"account {account.key} no longer in the file: now editable in Slack")
    session.flush()
    return changes


REGISTER_FIELDS = (
    "kind",
    "unit",
    "manager",
    "purpose",
    "audience",
    "dialogue",
    "privacy",
    "resources",
    "plan",
    "end_date",
    "cadence_days",
    "max_posts_week",
    "max_posts_day",
    "coordinator_admin",
    "credentials_held",
    "published_channel",
)


def apply_register_fields(account: Account, decl: AccountDecl) -> None:
    """Copy a declaration's register fields onto the row (the lifecycle status is not
    declared: flags and closures change it)."""
    for name in REGISTER_FIELDS:
        setattr(account, name, getattr(decl, name))
    account.admins = join_users(decl.admins)
    account.created_on = decl.created


def account_data(session: Session, account: Account) -> dict[str, object]:
    """An account's register entry as plain data (the audit log's before and after)."""
    return _account_data(session, account)


def _account_data(session: Session, account: Account) -> dict[str, object]:
    team = session.get(Team, account.team_id)
    return {
        **{name: getattr(account, name) for name in REGISTER_FIELDS},
        "admins": account.admins,
        "created": account.created_on,
        "status": account.status,
        "platform": account.platform,
        "name": account.name,
        "url": account.url,
        "team": team.key if team else None,
        "intake_channel": account.intake_channel,
        "deadline_working_days": account.deadline_working_days,
        "must_register": account.must_register,
        "snapshot_months": account.snapshot_months,
    }
