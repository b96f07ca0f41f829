"""`/vakt status` reads every team's figures at once, by account: for any items, the figures are
what counting each team's items one by one gives – open, overdue, the oldest, and the response
times of the month's answers in working time – for a coordinator (every team) and for a manager
(their own), on SQLite and PostgreSQL. (The command's text: tests/items/test_slack.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.items import core
from bot.items import service as items
from bot.items.core import Status
from bot.kernel.config import OrgConfig, parse_config
from bot.kernel.context import Ctx
from bot.register.sync import apply_config
from bot.store.db import make_engine, migrate, session_scope
from bot.store.models import Account, Item
from tests.harness import CONFIG, OSLO
from tests.items.test_unanswered_view import ACCOUNTS, TEAMS

NOW = datetime(2026, 11, 25, 10, 17, tzinfo=OSLO)  # a Wednesday
STATUSES = (Status.OPEN, Status.ANSWERED, Status.NO_REPLY, Status.REFERRED, Status.DELETED)
MINUTES_BACK = 90 * 24 * 60  # items received up to 90 days ago


@pytest.fixture
def site(db_url: str) -> Iterator[tuple[Engine, OrgConfig, list[int]]]:
    """Two teams (komm: fb-main, fb-a, fb-b; kultur: fb-c, fb-d) and the harness's people."""
    config = parse_config(CONFIG + TEAMS + ACCOUNTS, "vakt.toml")
    engine = make_engine(db_url)
    migrate(engine)
    with session_scope(engine) as session:
        apply_config(session, config, NOW)
    with Session(engine) as session:
        accounts = [a.id for a in session.exec(select(Account)).all() if a.id is not None]
    yield engine, config, accounts
    engine.dispose()


# One item: (account index, status, received – or if closed, closed – so many minutes ago,
# due so many minutes after it was received, answered so many minutes after it was received).
an_item = st.tuples(
    st.integers(0, 10),
    st.sampled_from(STATUSES),
    st.integers(0, MINUTES_BACK),
    st.integers(0, 5 * 24 * 60),
    st.integers(0, 60 * 24 * 60),
)


def store(engine: Engine, accounts: list[int], drawn: list[tuple[int, str, int, int, int]]) -> None:
    with session_scope(engine) as session:
        session.connection().execute(sa.delete(Item))
        for n, (index, status, back, due, answer) in enumerate(drawn):
            if status == Status.OPEN:
                closed, received = None, NOW - timedelta(minutes=back)
            else:
                closed = NOW - timedelta(minutes=back)
                received = closed - timedelta(minutes=answer)
            session.add(
                Item(
                    account_id=accounts[index % len(accounts)],
                    source="http",
                    external_id=f"s{n}",
                    received_at=received,
                    deadline=received + timedelta(minutes=due),
                    status=status,
                    closed_at=closed,
                    created_by="http",
                    created_at=received,
                )
            )


def one_by_one(engine: Engine, config: OrgConfig, accounts: set[int]) -> tuple[object, ...]:
    """A team's figures, counted from its items one at a time."""
    calendar = config.calendar()
    with Session(engine) as session:
        found = session.exec(select(Item).where(col(Item.account_id).in_(accounts))).all()
    opened = [i for i in found if i.status == Status.OPEN]
    answered = (Status.ANSWERED, Status.NO_REPLY, Status.REFERRED)
    hours = [
        calendar.working_time_between(i.received_at, i.closed_at).total_seconds()
        for i in found
        if i.status in answered
        and i.closed_at is not None
        and i.closed_at >= NOW - items.STATUS_WINDOW
    ]
    return (
        len(opened),
        sum(i.deadline < NOW for i in opened),
        min((i.received_at for i in opened), default=None),
        len(hours),
        core.percentile(hours, 50),
        core.percentile(hours, 90),
    )


def read(engine: Engine, config: OrgConfig, actor: str) -> list[items.TeamStatus]:
    with session_scope(engine) as session:
        return items.status(Ctx(session, config, config.calendar(), NOW, actor))


def seconds(span: timedelta | None) -> float | None:
    return None if span is None else span.total_seconds()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(drawn=st.lists(an_item, max_size=40))
def test_every_teams_figures_are_its_items_counted_one_by_one(
    site: tuple[Engine, OrgConfig, list[int]], drawn: list[tuple[int, str, int, int, int]]
) -> None:
    engine, config, accounts = site
    store(engine, accounts, drawn)
    for actor, teams in (("U0COORD1", ["komm", "kultur"]), ("U0KULT", ["kultur"])):
        shown = read(engine, config, actor)
        assert [s.view.team.key for s in shown] == teams
        for figures in shown:
            mine = {a.id for a in figures.view.accounts if a.id is not None}
            n_open, n_overdue, oldest, n_answered, median, p90 = one_by_one(engine, config, mine)
            assert (figures.open, figures.overdue, figures.oldest) == (n_open, n_overdue, oldest)
            assert figures.answered == n_answered
            for got, want in ((figures.median, median), (figures.p90, p90)):
                assert (got is None) == (want is None)
                if want is not None:
                    assert seconds(got) == pytest.approx(want, abs=1e-3)
