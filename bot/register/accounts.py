"""What the register's features share: who manages an account, who hears of it, its last post.

The register itself (adding, editing, listing) is in `bot.register.service`; requests, posts,
flags and closures have their own services.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, func, select

from bot.kernel.audience import coordinator_targets
from bot.kernel.calendar import WorkCalendar
from bot.kernel.config import LIVE, OrgConfig
from bot.kernel.context import Ctx
from bot.store.models import Account, AccountPost, Team


def account_manager(session: Session, account: Account) -> str | None:
    """The account's manager: its own, else its team's."""
    if account.manager:
        return account.manager
    team = session.get(Team, account.team_id)
    return team.manager if team else None


def may_manage(ctx: Ctx, account: Account) -> bool:
    """Coordinators and the account's manager decide about its lifecycle (keep, close)."""
    return ctx.is_coordinator or account_manager(ctx.session, account) == ctx.actor


def lifecycle_targets(session: Session, config: OrgConfig, account: Account) -> list[str]:
    """Who hears of an account's flags: the coordinators (their channel, else each) and the
    account's manager, once each."""
    targets = coordinator_targets(config)
    manager = account_manager(session, account)
    if manager and manager not in targets:
        targets.append(manager)
    return targets


def live_accounts(session: Session) -> list[Account]:
    """Accounts that are watched (active, flagged, closing), by key."""
    return list(
        session.exec(
            select(Account).where(col(Account.status).in_(LIVE)).order_by(col(Account.key))
        ).all()
    )


def watched_since(account: Account, calendar: WorkCalendar) -> date:
    """The day an account's silence counts from when Vakt has no post of it: the later of its
    creation on the platform and the day it entered Vakt's register – Vakt cannot know of posts
    before it watched the account, so a register loaded on day one is not flagged at once."""
    registered = calendar.local_date(account.created_at)
    if account.created_on is None:
        return registered
    return max(account.created_on, registered)


def last_posts(session: Session, account_ids: list[int] | None = None) -> dict[int, datetime]:
    """The newest post per account id (accounts that never posted are absent)."""
    query = select(AccountPost.account_id, func.max(AccountPost.posted_at)).group_by(
        col(AccountPost.account_id)
    )
    if account_ids is not None:
        query = query.where(col(AccountPost.account_id).in_(account_ids))
    return {account_id: at for account_id, at in session.exec(query).all() if at is not None}
