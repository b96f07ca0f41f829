"""The account register: adding and editing an account's entry, listing the register, one
account's card.

Coordinators keep the register (accounts declared in the configuration file stay read-only in
Slack). Every field is checked before anything is written; the problems come back located (which
field, which text) so a form can show each one beside its field. One call is one transaction,
audited with the entry before and after.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from bot.archive import core as archive_core
from bot.archive.service import interval, last_snapshots
from bot.kernel.config import (
    CHANNEL_ID,
    KEY,
    LIVE,
    META_ID,
    META_IDS,
    PLATFORMS,
    USER_ID,
    AccountFields,
    AccountKind,
    AccountStatus,
)
from bot.kernel.context import Ctx
from bot.kernel.errors import Conflict, NotFound, UserInputError
from bot.register.accounts import account_manager, last_posts
from bot.register.core import cadence_of, join_users, split_users
from bot.register.sync import account_data, write_entry
from bot.store.models import Account, AccountClosure, AccountFlag, AccountPost, MetaState, Team

MAX_TEXT = 2000  # purpose, audience, dialogue, privacy, resources, plan (as the config file)
MAX_NAME = 200
MAX_URL = 500
MAX_ADMINS = 400  # the stored, comma-separated ids
TEXT_FIELDS = ("purpose", "audience", "dialogue", "privacy", "resources", "plan")
# The numbers of the register and what is sane for each (as in the configuration file).
LIMITS: dict[str, tuple[int, int]] = {
    "cadence_days": (0, 365),
    "max_posts_week": (1, 1000),
    "max_posts_day": (1, 100),
    "snapshot_months": (0, 60),
}


@dataclass(frozen=True)
class FieldError:
    """One problem with one field: the field's name (as in AccountFields, or "key") and the
    text's catalog key with its parameters."""

    field: str
    key: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)


class InvalidFields(UserInputError):
    """The entry has problems; `errors` says where. Rendered as its first problem where there
    is no form to show them beside their fields."""

    def __init__(self, errors: Iterable[FieldError]) -> None:
        found = tuple(errors)
        assert found, "InvalidFields needs at least one problem"
        super().__init__(found[0].key, **found[0].params)
        self.errors = found


@dataclass(frozen=True)
class Saved:
    account: Account
    changed: tuple[str, ...]  # the register fields that changed (an edit may change none)


def fields_of(session: Session, account: Account) -> AccountFields:
    """An account's current entry, to prefill the edit form."""
    team = session.get(Team, account.team_id)
    return AccountFields(
        name=account.name,
        platform=account.platform,
        url=account.url,
        team=team.key if team else "",
        kind=account.kind,
        unit=account.unit,
        manager=account.manager,
        admins=split_users(account.admins),
        purpose=account.purpose,
        audience=account.audience,
        dialogue=account.dialogue,
        privacy=account.privacy,
        resources=account.resources,
        plan=account.plan,
        created_on=account.created_on,
        end_date=account.end_date,
        cadence_days=account.cadence_days,
        max_posts_week=account.max_posts_week,
        max_posts_day=account.max_posts_day,
        snapshot_months=account.snapshot_months,
        coordinator_admin=account.coordinator_admin,
        credentials_held=account.credentials_held,
        published_channel=account.published_channel,
        facebook_page_id=account.facebook_page_id,
        instagram_user_id=account.instagram_user_id,
    )


def _blank(value: str | None) -> str | None:
    """Text as stored: stripped, and None when nothing is left (a cleared field)."""
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None


def normalised(fields_: AccountFields) -> AccountFields:
    """Texts stripped, empty texts as None, ids without duplicates."""
    return replace(
        fields_,
        unit=_blank(fields_.unit),
        purpose=_blank(fields_.purpose),
        audience=_blank(fields_.audience),
        dialogue=_blank(fields_.dialogue),
        privacy=_blank(fields_.privacy),
        resources=_blank(fields_.resources),
        plan=_blank(fields_.plan),
        name=fields_.name.strip(),
        platform=fields_.platform.strip().lower(),
        url=fields_.url.strip(),
        team=fields_.team.strip().lower(),
        kind=fields_.kind.strip().lower(),
        manager=_blank(fields_.manager),
        admins=tuple(dict.fromkeys(a.strip() for a in fields_.admins if a.strip())),
        published_channel=_blank(fields_.published_channel),
        facebook_page_id=_blank(fields_.facebook_page_id),
        instagram_user_id=_blank(fields_.instagram_user_id),
    )


def validate(
    session: Session, key: str, fields_: AccountFields, account: Account | None = None
) -> list[FieldError]:
    """Every problem of an entry (normalised first), in the form's order; `account` is the
    row being edited (None: a new one, whose key must be free)."""
    errors: list[FieldError] = []

    def fail(name: str, text: str, **params: Any) -> None:
        errors.append(FieldError(name, text, params))

    if account is None:
        if not key:
            fail("key", "error.register_key_needed")
        elif not KEY.match(key):
            fail("key", "error.bad_key", key=key[:40])
        elif session.exec(select(Account.id).where(Account.key == key)).first() is not None:
            fail("key", "error.account_exists", key=key)
    if not fields_.name:
        fail("name", "error.register_name_needed")
    elif len(fields_.name) > MAX_NAME:
        fail("name", "error.text_too_long", max=MAX_NAME)
    if fields_.platform not in PLATFORMS:
        fail(
            "platform",
            "error.bad_platform",
            value=fields_.platform[:40],
            platforms=", ".join(PLATFORMS),
        )
    if fields_.kind not in tuple(AccountKind):
        fail("kind", "error.register_bad_kind", value=fields_.kind[:40])
    url = fields_.url
    if not url.startswith(("https://", "http://")) or " " in url or len(url) > MAX_URL:
        fail("url", "error.bad_url", value=url[:80])
    if session.exec(select(Team.id).where(Team.key == fields_.team)).first() is None:
        fail("team", "error.no_team", key=fields_.team[:40])
    if fields_.unit is not None and len(fields_.unit) > MAX_NAME:
        fail("unit", "error.text_too_long", max=MAX_NAME)
    if fields_.manager is not None and not USER_ID.match(fields_.manager):
        fail("manager", "error.register_bad_user", value=fields_.manager[:40])
    bad_admin = next((a for a in fields_.admins if not USER_ID.match(a)), None)
    if bad_admin is not None:
        fail("admins", "error.register_bad_user", value=bad_admin[:40])
    elif len(join_users(fields_.admins)) > MAX_ADMINS:
        fail("admins", "error.register_too_many_admins", max=MAX_ADMINS // 12)
    for name in TEXT_FIELDS:
        value = getattr(fields_, name)
        if value is not None and len(value) > MAX_TEXT:
            fail(name, "error.text_too_long", max=MAX_TEXT)
    if fields_.created_on and fields_.end_date and fields_.end_date < fields_.created_on:
        fail("end_date", "error.register_end_before_created")
    for name, (low, high) in LIMITS.items():
        number = getattr(fields_, name)
        if number is not None and not low <= number <= high:
            fail(name, "error.register_out_of_range", min=low, max=high)
    week, day = fields_.max_posts_week, fields_.max_posts_day
    checked = {e.field for e in errors}
    if week is not None and day is not None and day > week and "max_posts_day" not in checked:
        fail("max_posts_day", "error.register_day_over_week", week=week)
    if fields_.published_channel is not None:
        problem = _feed_problem(session, fields_.published_channel, account)
        if problem is not None:
            errors.append(problem)
    for name in META_IDS:
        problem = _meta_id_problem(session, name, fields_, account)
        if problem is not None:
            errors.append(problem)
    return errors


def _meta_id_problem(
    session: Session, name: str, fields_: AccountFields, account: Account | None
) -> FieldError | None:
    """A Facebook Page's or Instagram account's id: digits, on an account of that platform,
    and no other account's (the connector reads the platform's changes by it)."""
    value = getattr(fields_, name)
    if value is None:
        return None
    if not META_ID.match(value):
        return FieldError(name, "error.register_bad_meta_id", {"value": value[:40]})
    if fields_.platform not in META_IDS[name]:
        return FieldError(name, f"error.register_{name}_platform")
    column = getattr(Account, name)
    owner = session.exec(select(Account).where(column == value)).first()
    own = account.id if account is not None else None
    if owner is not None and owner.id != own:
        return FieldError(
            name, "error.register_meta_id_taken", {"value": value, "owner": owner.key}
        )
    return None


def _feed_problem(session: Session, channel: str, account: Account | None) -> FieldError | None:
    """A published feed is a channel of its own: not another account's feed, and not an
    intake channel (whose messages become questions, not posts)."""
    if not CHANNEL_ID.match(channel):
        return FieldError("published_channel", "error.register_bad_channel", {"value": channel})
    own = account.id if account is not None else None
    feed = session.exec(select(Account).where(Account.published_channel == channel)).first()
    if feed is not None and feed.id != own:
        return FieldError(
            "published_channel",
            "error.register_feed_taken",
            {"channel": channel, "owner": feed.key},
        )
    intake_team = session.exec(select(Team).where(Team.intake_channel == channel)).first()
    intake_account = session.exec(select(Account).where(Account.intake_channel == channel)).first()
    owner = (
        intake_team.key
        if intake_team is not None
        else intake_account.key
        if intake_account is not None
        else None
    )
    if owner is not None:
        return FieldError(
            "published_channel",
            "error.register_feed_is_intake",
            {"channel": channel, "owner": owner},
        )
    return None


def _apply(session: Session, account: Account, fields_: AccountFields) -> None:
    team_id = session.exec(select(Team.id).where(Team.key == fields_.team)).one()
    assert team_id is not None
    write_entry(account, fields_, team_id)


def _flush(ctx: Ctx, key: str) -> None:
    """Write now, so a second coordinator saving the same key or feed at the same moment gets
    an answer, not an error page."""
    try:
        with ctx.session.begin_nested():
            ctx.session.flush()
    except sa.exc.IntegrityError as exc:
        problem = str(exc.orig).lower()
        if "published" in problem:
            raise InvalidFields(
                [FieldError("published_channel", "error.register_feed_taken_now")]
            ) from exc
        for name in META_IDS:
            if name in problem:
                raise InvalidFields([FieldError(name, "error.register_meta_id_taken_now")]) from exc
        raise InvalidFields([FieldError("key", "error.account_exists", {"key": key})]) from exc


def add_account(ctx: Ctx, key: str, fields_: AccountFields) -> Saved:
    """Coordinators: a new account in the register, active and on its team's rota."""
    ctx.require_coordinator()
    key = key.strip().lower()
    entry = normalised(fields_)
    errors = validate(ctx.session, key, entry)
    if errors:
        raise InvalidFields(errors)
    account = Account(
        key=key,
        platform=entry.platform,
        name=entry.name,
        url=entry.url,
        team_id=0,
        status=AccountStatus.ACTIVE.value,
        status_changed_at=ctx.now,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    _apply(ctx.session, account, entry)
    ctx.session.add(account)
    _flush(ctx, key)
    after = account_data(ctx.session, account)
    ctx.audit("account.add", f"account:{key}", after=after)
    ctx.forget()
    return Saved(account, tuple(sorted(after)))


def editable_account(ctx: Ctx, key: str) -> Account:
    """Coordinators: the account to edit; one declared in the configuration file is refused."""
    ctx.require_coordinator()
    account = ctx.session.exec(select(Account).where(Account.key == key.strip().lower())).first()
    if account is None:
        raise NotFound("error.no_account", key=key[:40])
    if account.managed:
        raise Conflict("error.managed_in_config", key=account.key, file=ctx.config.path)
    return account


def edit_account(ctx: Ctx, key: str, fields_: AccountFields) -> Saved:
    """Coordinators: change an account's entry (an empty field clears it)."""
    account = editable_account(ctx, key)
    entry = normalised(fields_)
    errors = validate(ctx.session, account.key, entry, account)
    if errors:
        raise InvalidFields(errors)
    before = account_data(ctx.session, account)
    _apply(ctx.session, account, entry)
    after = account_data(ctx.session, account)
    changed = tuple(name for name in after if before.get(name) != after[name])
    if not changed:
        ctx.session.refresh(account)  # nothing to write
        return Saved(account, ())
    account.updated_at = ctx.now
    ctx.session.add(account)
    _flush(ctx, account.key)
    ctx.audit("account.edit", f"account:{account.key}", before=before, after=after)
    ctx.forget()
    return Saved(account, changed)


# ---------------------------------------------------------------- the register, listed


class Show:
    LIVE = "live"  # requested, active, flagged, closing: everything not closed
    CLOSED = "closed"
    ALL = "all"


@dataclass(frozen=True)
class AccountRow:
    account: Account
    manager: str | None  # its own, else its team's
    last_post: date | None
    cadence: int  # days (0: not checked)
    flags: tuple[str, ...]  # open flag kinds
    closing: bool  # a closure is in progress


@dataclass(frozen=True)
class TeamRegister:
    team: Team
    rows: tuple[AccountRow, ...]


def _open_flags(session: Session, account_ids: list[int]) -> dict[int, list[AccountFlag]]:
    found: dict[int, list[AccountFlag]] = {}
    if not account_ids:
        return found
    query = (
        select(AccountFlag)
        .where(col(AccountFlag.open_key).is_not(None))
        .where(col(AccountFlag.account_id).in_(account_ids))
        .order_by(col(AccountFlag.raised_at))
    )
    for flag in session.exec(query).all():
        found.setdefault(flag.account_id, []).append(flag)
    return found


def _open_closures(session: Session, account_ids: list[int]) -> dict[int, AccountClosure]:
    if not account_ids:
        return {}
    query = (
        select(AccountClosure)
        .where(col(AccountClosure.open_key).is_not(None))
        .where(col(AccountClosure.account_id).in_(account_ids))
    )
    return {c.account_id: c for c in session.exec(query).all()}


def register_list(
    ctx: Ctx, team_key: str | None = None, show: str = Show.LIVE
) -> list[TeamRegister]:
    """The register by team (teams by name, accounts by name): everyone may read it."""
    teams = {t.id: t for t in ctx.session.exec(select(Team).order_by(col(Team.name))).all()}
    query = select(Account)
    if team_key:
        team = next((t for t in teams.values() if t.key == team_key.strip().lower()), None)
        if team is None:
            raise NotFound("error.no_team", key=team_key[:40])
        query = query.where(Account.team_id == team.id)
    if show == Show.CLOSED:
        query = query.where(Account.status == AccountStatus.CLOSED.value)
    elif show == Show.LIVE:
        query = query.where(Account.status != AccountStatus.CLOSED.value)
    accounts = list(ctx.session.exec(query).all())
    ids = [a.id for a in accounts if a.id is not None]
    posts = last_posts(ctx.session, ids)
    flags = _open_flags(ctx.session, ids)
    closures = _open_closures(ctx.session, ids)
    rules = ctx.config.register
    by_team: dict[int, list[AccountRow]] = {}
    for account in sorted(accounts, key=lambda a: (a.name.lower(), a.key)):
        assert account.id is not None
        team = teams.get(account.team_id)
        last = posts.get(account.id)
        by_team.setdefault(account.team_id, []).append(
            AccountRow(
                account=account,
                manager=account.manager or (team.manager if team else None),
                last_post=ctx.calendar.local_date(last) if last is not None else None,
                cadence=cadence_of(rules, account.cadence_days),
                flags=tuple(f.kind for f in flags.get(account.id, [])),
                closing=account.id in closures,
            )
        )
    return [
        TeamRegister(team, tuple(by_team[team_id]))
        for team_id, team in teams.items()
        if team_id in by_team
    ]


# ---------------------------------------------------------------- one account's card


@dataclass(frozen=True)
class AccountCard:
    account: Account
    team: Team
    manager: str | None  # its own, else its team's
    manager_is_team: bool
    last_post: date | None
    cadence: int
    posts_week: int  # this ISO week
    posts_today: int
    snapshot_months: int
    last_snapshot: date | None
    snapshot_due: date | None
    flags: tuple[AccountFlag, ...]
    closure: AccountClosure | None
    editable: bool  # the reader may edit it here (a coordinator, and not declared in the file)
    status_since: date | None = None  # local dates of status_changed_at and the closure's start
    closure_started: date | None = None
    connection: MetaState | None = None  # Facebook and Instagram: how Vakt reads it (bot.meta)
    tz: tzinfo | None = None  # the organisation's, for the connection's instants


def _posts_between(session: Session, account_id: int, start: datetime, end: datetime) -> int:
    count = session.exec(
        select(func.count())
        .select_from(AccountPost)
        .where(AccountPost.account_id == account_id)
        .where(col(AccountPost.posted_at) >= start)
        .where(col(AccountPost.posted_at) < end)
    ).one()
    return int(count)


def account_card(ctx: Ctx, key: str) -> AccountCard:
    """Everything the register knows about one account, with its activity and snapshots."""
    account = ctx.session.exec(select(Account).where(Account.key == key.strip().lower())).first()
    if account is None:
        raise NotFound("error.no_account", key=key[:40])
    assert account.id is not None
    team = ctx.session.get(Team, account.team_id)
    assert team is not None
    today = ctx.today
    tz = ctx.calendar.tz
    monday = today - timedelta(days=today.weekday())
    week_start = datetime.combine(monday, time(0), tzinfo=tz)
    day_start = datetime.combine(today, time(0), tzinfo=tz)
    last = last_posts(ctx.session, [account.id]).get(account.id)
    snapshot = last_snapshots(ctx.session, [account.id]).get(account.id)
    closure = _open_closures(ctx.session, [account.id]).get(account.id)

    def local(moment: datetime | None) -> date | None:
        return ctx.calendar.local_date(moment) if moment is not None else None

    months = interval(ctx.config.archive.snapshot_months, account)
    last_snapshot = ctx.calendar.local_date(snapshot) if snapshot is not None else None
    registered = account.created_on or ctx.calendar.local_date(account.created_at)
    live = account.status in LIVE
    return AccountCard(
        account=account,
        team=team,
        manager=account_manager(ctx.session, account),
        manager_is_team=not account.manager,
        last_post=ctx.calendar.local_date(last) if last is not None else None,
        cadence=cadence_of(ctx.config.register, account.cadence_days),
        posts_week=_posts_between(
            ctx.session, account.id, week_start, week_start + timedelta(days=7)
        ),
        posts_today=_posts_between(
            ctx.session, account.id, day_start, day_start + timedelta(days=1)
        ),
        snapshot_months=months,
        last_snapshot=last_snapshot,
        snapshot_due=archive_core.snapshot_due(last_snapshot, registered, months) if live else None,
        flags=tuple(_open_flags(ctx.session, [account.id]).get(account.id, [])),
        closure=closure,
        editable=ctx.is_coordinator and not account.managed,
        status_since=local(account.status_changed_at),
        closure_started=local(closure.started_at) if closure is not None else None,
        connection=ctx.session.get(MetaState, account.id),
        tz=tz,
    )
