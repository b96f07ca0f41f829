"""`/vakt unanswered` counts and pages the open items of the accounts in view only: a
coordinator's list leaves out closed accounts, a manager's list other teams' accounts, on SQLite
and PostgreSQL, however the count is taken (all open items less the hidden ones, or the visible
ones counted directly)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.items import service as items
from bot.items.core import Status
from bot.kernel.config import parse_config
from bot.kernel.context import Ctx
from bot.register.sync import apply_config
from bot.store.db import session_scope
from bot.store.models import Account, Item
from tests.harness import CONFIG, OSLO

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=OSLO)
TEAMS = """
[[team]]
key = "kultur"
name = "Kultur"
channel = "C0TEAM2"
manager = "U0KULT"
members = ["U0DAG", "U0EVA"]
rotation = "weekly"
start = "2026-11-02"
"""
ACCOUNTS = "".join(
    f"""
[[account]]
key = "{key}"
platform = "facebook"
name = "{key}"
url = "https://www.facebook.com/{key}"
team = "{team}"
"""
    for key, team in [("fb-a", "komm"), ("fb-b", "komm"), ("fb-c", "kultur"), ("fb-d", "kultur")]
)


def fill(engine: Engine) -> dict[str, int]:
    """Open and answered items on every account, then fb-d closed: {account key: open items}."""
    config = parse_config(CONFIG + TEAMS + ACCOUNTS, "vakt.toml")
    with session_scope(engine) as session:
        apply_config(session, config, NOW)
    opened: dict[str, int] = {}
    with session_scope(engine) as session:
        accounts = session.exec(select(Account).order_by(col(Account.key))).all()
        n = 0
        for a, account in enumerate(accounts):
            for k in range(3 + 2 * a):
                n += 1
                received = NOW - timedelta(hours=5 * n % 97 + 1)
                status = Status.OPEN if k % 3 else Status.ANSWERED
                session.add(
                    Item(
                        account_id=account.id,
                        source="http",
                        external_id=f"p{n}",
                        url=f"https://www.facebook.com/p/{n}",
                        received_at=received,
                        excerpt=f"q{n}",
                        status=status,
                        deadline=received + timedelta(hours=30),
                        closed_at=None if status == Status.OPEN else NOW,
                        must_register=False,
                        created_by="http",
                        created_at=received,
                    )
                )
                opened[account.key] = opened.get(account.key, 0) + (status == Status.OPEN)
    with engine.begin() as conn:
        conn.execute(sa.update(Account).where(col(Account.key) == "fb-d").values(status="closed"))
    return opened


def page_of(engine: Engine, actor: str, query: str | None, overdue: bool = False) -> items.Page:
    config = parse_config(CONFIG + TEAMS + ACCOUNTS, "vakt.toml")
    with session_scope(engine) as session:
        ctx = Ctx(session, config, config.calendar(), NOW, actor)
        return items.unanswered(ctx, query, overdue=overdue, limit=100)


def expected(engine: Engine, keys: set[str], overdue: bool = False) -> list[int]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(Item, Account)
            .join(Account, col(Item.account_id) == col(Account.id))
            .where(col(Item.status) == Status.OPEN, col(Account.key).in_(keys))
            .order_by(col(Item.received_at), col(Item.id))
        ).all()
        return [i.id for i, _ in rows if not overdue or i.deadline < NOW]


def test_lists_count_and_page_only_the_accounts_in_view(engine: Engine) -> None:
    opened = fill(engine)
    live = {"fb-main", "fb-a", "fb-b", "fb-c"}
    for actor, query, keys in [
        ("U0COORD1", None, live),  # most accounts in view: the closed one left out
        ("U0COORD1", "kultur", {"fb-c"}),
        ("U0COORD1", "fb-b", {"fb-b"}),
        ("U0KULT", None, {"fb-c"}),  # a manager: one live account of four
        ("U0BOSS", None, {"fb-main", "fb-a", "fb-b"}),
    ]:
        for overdue in (False, True):
            page = page_of(engine, actor, query, overdue)
            ids = expected(engine, keys, overdue)
            assert [r.item.id for r in page.rows] == ids, (actor, query, overdue)
            assert page.total == len(ids), (actor, query, overdue)
    assert page_of(engine, "U0COORD1", None).total == sum(opened[k] for k in live)
    assert opened["fb-d"] > 0  # the closed account's open items exist, yet are not counted
