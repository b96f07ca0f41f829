"""Config as code: teams and accounts declared in the TOML file are applied on start.

Applied idempotently by key: a second start with the same file changes nothing; a changed file
updates the rows, audited as actor "config". Declared rows are marked managed (read-only in Slack);
a row removed from the file stays, now editable from Slack, so no history is lost.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from bot.kernel.audit import audit
from bot.kernel.config import META_IDS, AccountDecl, AccountFields, ConfigError, OrgConfig
from bot.register.core import join_users
from bot.rota.teams import members_of, set_members, team_snapshot
from bot.store.models import Account, Team

ACTOR = "config"


def teams_outside_the_file(config: OrgConfig) -> list[AccountDecl]:
    """The accounts whose team the file does not declare: it must be in the database."""
    declared = {t.key for t in config.teams}
    return [a for a in config.accounts if a.team not in declared]


def unknown_team(config: OrgConfig, account: AccountDecl) -> ConfigError:
    return ConfigError(
        config.path,
        f"account.{account.key}.team",
        f"{account.team!r} is neither declared in the file nor a team in the database",
    )


def check_teams(session: Session, config: OrgConfig) -> None:
    """Every account's team is declared in the file or in the database (ConfigError if not)."""
    stored = set(session.exec(select(Team.key)).all())
    for account in teams_outside_the_file(config):
        if account.team not in stored:
            raise unknown_team(config, account)


def check_meta_ids(session: Session, config: OrgConfig) -> None:
    """A Facebook Page or Instagram account the file connects is not already another account's
    (one added in Slack or imported): ConfigError naming both. The file's own accounts are
    checked against each other when it is read."""
    declared = {a.key for a in config.accounts}
    for name in META_IDS:
        column = getattr(Account, name)
        held = {
            value: key
            for key, value in session.exec(select(Account.key, column).where(column.is_not(None)))
            if key not in declared
        }
        for account in config.accounts:
            value = getattr(account, name)
            if value is not None and value in held:
                raise ConfigError(
                    config.path,
                    f"account.{account.key}.{name}",
                    f"{value} is already the {name} of account.{held[value]} (in the database)",
                )


def release_moved_ids(
    session: Session, decls: Sequence[AccountDecl]
) -> dict[str, dict[str, object]]:
    """Let go first of the ids that `decls` move from one of their accounts to another (the
    unique index is checked row by row, so a Page moving from fb-old to fb-new would otherwise
    collide with itself). Returns those accounts' entries as they were, for the audit log."""
    wanted = {
        (name, getattr(decl, name)): decl.key
        for decl in decls
        for name in META_IDS
        if getattr(decl, name) is not None
    }
    keys = [decl.key for decl in decls]
    before: dict[str, dict[str, object]] = {}
    for account in session.exec(select(Account).where(col(Account.key).in_(keys))).all():
        for name in META_IDS:
            value = getattr(account, name)
            if value is not None and wanted.get((name, value), account.key) != account.key:
                before.setdefault(account.key, account_data(session, account))
                setattr(account, name, None)
                session.add(account)
    session.flush()
    return before


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
    check_meta_ids(session, config)
    moved = release_moved_ids(session, config.accounts)
    for acc in config.accounts:
        team = session.exec(select(Team).where(Team.key == acc.team)).first()
        if team is None or team.id is None:
            raise unknown_team(config, acc)
        account = session.exec(select(Account).where(Account.key == acc.key)).first()
        created = account is None
        if upsert_declared(
            session,
            account,
            acc,
            team.id,
            now,
            actor=ACTOR,
            action="account.apply",
            managed=True,
            before=moved.get(acc.key),
        ):
            changes.append(f"account {acc.key} {'created' if created else 'updated'}")
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
    "facebook_page_id",
    "instagram_user_id",
)


def write_entry(account: Account, entry: AccountFields, team_id: int) -> None:
    """Copy a register entry onto an account's row: every field of `AccountFields` (the
    lifecycle status is not one: flags and closures change it)."""
    account.team_id = team_id
    for field in dataclasses.fields(AccountFields):
        if field.name not in ("team", "admins"):
            setattr(account, field.name, getattr(entry, field.name))
    account.admins = join_users(entry.admins)


def upsert_declared(
    session: Session,
    account: Account | None,
    decl: AccountDecl,
    team_id: int,
    now: datetime,
    *,
    actor: str,
    action: str,
    managed: bool | None = None,
    before: dict[str, object] | None = None,
) -> bool:
    """Create or update the account a declaration describes (the configuration's
    `[[account]]`, or a register file's row), audit-logged as `action` by `actor` when it
    changed; `managed` marks it as the file's (not editable in Slack); `before`, the entry as
    it was when an id was let go of first (release_moved_ids). True when it changed."""
    if before is None and account is not None:
        before = account_data(session, account)
    if account is None:
        account = Account(
            key=decl.key,
            platform=decl.platform,
            name=decl.name,
            url=decl.url,
            team_id=team_id,
            created_at=now,
            updated_at=now,
        )
    write_entry(account, decl, team_id)
    account.intake_channel = decl.intake_channel
    account.deadline_working_days = decl.deadline_working_days
    account.must_register = decl.must_register
    if managed is not None:
        account.managed = managed
    after = account_data(session, account)
    session.add(account)
    if before == after:
        return False
    account.updated_at = now
    audit(
        session,
        actor=actor,
        action=action,
        target=f"account:{decl.key}",
        now=now,
        before=before,
        after=after,
    )
    return True


def account_data(session: Session, account: Account) -> dict[str, object]:
    """An account's register entry as plain data (the audit log's before and after)."""
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
