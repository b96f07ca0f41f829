"""Each account's count of open items, kept by triggers (migration 0010), is what counting the
items gives – after any mix of changes, through the ORM or raw SQL, committed or rolled back.
(`/vakt unanswered` saying it: tests/items/test_slack.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.kernel.config import parse_config
from bot.register.sync import apply_config
from bot.store.db import make_engine, migrate
from bot.store.models import Account, Item
from tests.harness import CONFIG, OSLO

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=OSLO)
STATUSES = ("open", "answered", "no_reply", "deleted")
UPDATES = {
    "status": "UPDATE item SET status = :v WHERE id IN :ids",
    "account_id": "UPDATE item SET account_id = :v WHERE id IN :ids",
}


@pytest.fixture
def counted(db_url: str) -> Iterator[tuple[Engine, list[int]]]:
    """A migrated database (SQLite, then PostgreSQL) with the harness's teams and accounts."""
    engine = make_engine(db_url)
    migrate(engine)
    with Session(engine) as session:
        apply_config(session, parse_config(CONFIG, "vakt.toml"), NOW)
        session.commit()
        accounts = [a.id for a in session.exec(select(Account)).all() if a.id is not None]
    yield engine, accounts
    engine.dispose()


def kept(engine: Engine) -> dict[int, int]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT account_id, total FROM open_item_count"))
        return {a: n for a, n in rows if n}


def actual(engine: Engine) -> dict[int, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT account_id, count(*) FROM item WHERE status = 'open' GROUP BY account_id"
            )
        )
        return {a: n for a, n in rows}


def new_item(account: int, status: str, n: int) -> Item:
    return Item(
        account_id=account,
        source="command",
        external_id=f"x-{n}",
        received_at=NOW - timedelta(hours=n % 50),
        deadline=NOW + timedelta(hours=n % 7),
        status=status,
        created_by="U0ANNA",
        created_at=NOW,
    )


# One change: (what, account index, status, how many, through raw SQL, rolled back).
changes = st.tuples(
    st.sampled_from(("insert", "status", "move", "delete")),
    st.integers(0, 10),
    st.sampled_from(STATUSES),
    st.integers(1, 4),
    st.booleans(),
    st.booleans(),
)


def apply(
    engine: Engine, accounts: list[int], change: tuple[Any, ...], serial: Iterator[int]
) -> None:
    what, index, status, many, raw, rollback = change
    account = accounts[index % len(accounts)]
    with Session(engine) as session:
        ids = session.exec(select(Item.id).order_by(Item.id)).all()[:many]
        if what == "insert":
            if raw:
                for _ in range(many):
                    session.connection().execute(
                        sa.insert(Item.__table__),  # type: ignore[arg-type]
                        new_item(account, status, next(serial)).model_dump(exclude={"id"}),
                    )
            else:
                session.add_all([new_item(account, status, next(serial)) for _ in range(many)])
        elif ids and what in ("status", "move"):
            column = "status" if what == "status" else "account_id"
            value = status if what == "status" else account
            if raw:  # one statement for several rows
                session.connection().execute(
                    sa.text(UPDATES[column]).bindparams(sa.bindparam("ids", expanding=True)),
                    {"v": value, "ids": list(ids)},
                )
            else:
                for item in session.exec(select(Item).where(Item.id.in_(ids))).all():  # type: ignore[union-attr]
                    setattr(item, column, value)
                    session.add(item)
        elif ids:
            session.connection().execute(
                sa.text("DELETE FROM item WHERE id IN :ids").bindparams(
                    sa.bindparam("ids", expanding=True)
                ),
                {"ids": list(ids)},
            )
        if rollback:
            session.rollback()
        else:
            session.commit()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(changes, min_size=1, max_size=12))
def test_the_kept_counts_are_the_counted_ones_after_any_changes(
    counted: tuple[Engine, list[int]], steps: list[tuple[Any, ...]]
) -> None:
    engine, accounts = counted
    serial = iter(range(10**9))
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM item"))
    assert kept(engine) == {}
    for step in steps:
        apply(engine, accounts, step, serial)
        assert kept(engine) == actual(engine), step
