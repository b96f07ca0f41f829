"""Activity: posts published on the accounts, recorded through every door (`/vakt posted`, the
Posted today button, `POST /intake/post`, an account's published feed channel), and counted per
ISO week and per local day for the weekly activity message and the posting-volume guard (VT5).

`record_post` is idempotent on (account, external id): an integration reporting twice, Slack
retrying an event, a second replica or a double click counts once. Posts are not audited: they
are not privileged, and each row already says who recorded it, how and when.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from bot.activity import core
from bot.items import service as items
from bot.kernel.calendar import WorkCalendar
from bot.kernel.config import AccountStatus, OrgConfig
from bot.kernel.context import Ctx
from bot.kernel.errors import Conflict, NotAllowed, UserInputError
from bot.register.accounts import last_posts, watched_since
from bot.register.core import cadence_of, inactive_since
from bot.store.models import Account, AccountPost

SOURCES = ("command", "button", "http", "feed")
MAX_EXTERNAL_ID = 200


@dataclass(frozen=True)
class ActivityRow:
    """What the weekly activity message says about one account."""

    account: Account
    last_post: date | None  # local date of the newest post
    silent_days: int  # since the last post (or since the account was created)
    week_posts: int  # in the ISO week reported on
    cadence: int  # days; 0: not checked
    silent: bool  # quiet for longer than its cadence


# ---------------------------------------------------------------- recording


def _existing(session: Session, account_id: int, external_id: str) -> AccountPost | None:
    return session.exec(
        select(AccountPost).where(
            AccountPost.account_id == account_id, AccountPost.external_id == external_id
        )
    ).first()


def record_post(
    ctx: Ctx, account: Account, external_id: str, posted_at: datetime, source: str
) -> tuple[AccountPost, bool]:
    """Record a post published on an account (or find the one already recorded under the same
    external id); returns the post and whether it is new."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    assert account.id is not None
    external_id = external_id.strip()[:MAX_EXTERNAL_ID]
    if not external_id:
        raise ValueError("a post needs an external id")
    # Reporting the same post again is always fine, whatever has happened since.
    found = _existing(ctx.session, account.id, external_id)
    if found is not None:
        return found, False
    if account.status == AccountStatus.CLOSED:
        raise Conflict("error.post_account_closed", account=account.name)
    if account.status == AccountStatus.REQUESTED:
        raise Conflict("error.post_account_requested", account=account.name)
    if posted_at.tzinfo is None or posted_at.utcoffset() is None:
        raise UserInputError("error.post_naive")
    if posted_at > ctx.now + core.CLOCK_SKEW:
        raise UserInputError("error.post_future")
    if posted_at < ctx.now - core.MAX_AGE:
        raise UserInputError("error.post_too_old")
    post = AccountPost(
        account_id=account.id,
        external_id=external_id,
        posted_at=posted_at,
        source=source,
        created_by=ctx.actor[:40],
        created_at=ctx.now,
    )
    try:
        with ctx.session.begin_nested():
            ctx.session.add(post)
    except sa.exc.IntegrityError:
        # A second replica, or Slack's retry, recorded the same post between look and insert.
        again = _existing(ctx.session, account.id, external_id)
        if again is None:
            raise
        return again, False
    return post, True


def remove_post(session: Session, account: Account, external_id: str) -> bool:
    """Forget a post that was withdrawn (its message deleted from the feed channel); True when
    there was one."""
    assert account.id is not None
    post = _existing(session, account.id, external_id[:MAX_EXTERNAL_ID])
    if post is None:
        return False
    session.delete(post)
    session.flush()
    return True


def check_recorder(ctx: Ctx, account: Account) -> None:
    """Members of the account's team, its manager and coordinators record its posts."""
    view = items.team_view_of(ctx, account)
    if not items.may_handle(ctx, view):
        raise NotAllowed("error.post_not_your_account", team=view.team.name)


def account_for_feed(session: Session, channel: str) -> Account | None:
    """The account whose published feed a channel is."""
    return session.exec(select(Account).where(Account.published_channel == channel)).first()


# ---------------------------------------------------------------- counting


def _count_between(
    session: Session, account_ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, int]:
    if not account_ids:
        return {}
    rows = session.exec(
        select(AccountPost.account_id, func.count())
        .where(
            col(AccountPost.account_id).in_(list(account_ids)),
            col(AccountPost.posted_at) >= start,
            col(AccountPost.posted_at) < end,
        )
        .group_by(col(AccountPost.account_id))
    ).all()
    counts = {account_id: 0 for account_id in account_ids}
    counts.update({account_id: int(n) for account_id, n in rows})
    return counts


def posts_in_week(
    session: Session, calendar: WorkCalendar, account_ids: Sequence[int], day: date
) -> dict[int, int]:
    """Posts per account in the ISO week holding `day` (Monday to Sunday, local time)."""
    return _count_between(session, account_ids, *core.week_bounds(calendar.tz, day))


def posts_on_day(
    session: Session, calendar: WorkCalendar, account_ids: Sequence[int], day: date
) -> dict[int, int]:
    """Posts per account on a local calendar day."""
    return _count_between(session, account_ids, *core.day_bounds(calendar.tz, day))


def last_post_days(
    session: Session, calendar: WorkCalendar, account_ids: list[int]
) -> dict[int, date]:
    """The local date of each account's newest post (accounts that never posted are absent)."""
    return {
        account_id: calendar.local_date(at)
        for account_id, at in last_posts(session, account_ids).items()
    }


def activity_rows(
    session: Session,
    config: OrgConfig,
    calendar: WorkCalendar,
    accounts: Sequence[Account],
    today: date,
    week_day: date,
) -> list[ActivityRow]:
    """Each account's last post, its posts in the ISO week of `week_day`, its cadence and
    whether it has been silent for longer than that."""
    ids = [a.id for a in accounts if a.id is not None]
    last = last_post_days(session, calendar, ids)
    week = posts_in_week(session, calendar, ids, week_day)
    rows: list[ActivityRow] = []
    for account in accounts:
        assert account.id is not None
        cadence = cadence_of(config.register, account.cadence_days)
        created = watched_since(account, calendar)
        last_day = last.get(account.id)
        rows.append(
            ActivityRow(
                account=account,
                last_post=last_day,
                silent_days=core.silent_days(last_day, created, today),
                week_posts=week.get(account.id, 0),
                cadence=cadence,
                silent=inactive_since(last_day, created, cadence, today) is not None,
            )
        )
    return rows
