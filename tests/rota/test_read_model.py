"""The read model: what a process keeps of the teams, members, accounts, absences and overrides
is used only while the database's read revision is the token it was read under, and every
change, by any path and any replica, gives it a new token in the same transaction."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import astuple
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.kernel.config import OrgConfig, parse_config
from bot.kernel.context import Ctx, open_ctx
from bot.kernel.parse import DateRange
from bot.register.sync import apply_config
from bot.rota import service as rota_service
from bot.rota.core import AbsenceKind
from bot.rota.teams import (
    TeamView,
    absences_from,
    all_teams,
    duty_inputs_from,
    overrides_from,
    read_model,
    read_revision,
    team_views,
)
from bot.store.db import make_engine, session_scope
from bot.store.models import Absence
from tests.fakeslack import FakeSlack
from tests.harness import CONFIG, OSLO, Vakt

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=OSLO)  # Monday, ISO week 48
WATCHED = ("team", "team_member", "account", "absence", "override")


@pytest.fixture
def db(engine: Engine) -> OrgConfig:
    config = parse_config(CONFIG, "vakt.toml")
    with session_scope(engine) as session:
        apply_config(session, config, NOW)
    return config


def revision_of(engine: Engine) -> str | None:
    with Session(engine) as session:
        return read_revision(session)


def plain(views: list[TeamView]) -> list[tuple[Any, ...]]:
    """What a team view says, as plain values (rows compared by their columns)."""
    return [
        (v.team.model_dump(), v.members, tuple(a.model_dump() for a in v.accounts)) for v in views
    ]


# ------------------------------------------------------------------------ the revision itself


WRITES = {
    "team": [
        "INSERT INTO team (key, name, rotation, start, managed, created_at, updated_at) "
        "VALUES ('web', 'Web', 'daily', '2026-11-02', false, '2026-11-23', '2026-11-23')",
        "UPDATE team SET name = 'Nett' WHERE key = 'web'",
        "DELETE FROM team WHERE key = 'web'",
    ],
    "team_member": [
        "INSERT INTO team_member (team_id, user_id, position) "
        "SELECT id, 'U0DORA', 9 FROM team WHERE key = 'komm'",
        "UPDATE team_member SET position = 8 WHERE user_id = 'U0DORA'",
        "DELETE FROM team_member WHERE user_id = 'U0DORA'",
    ],
    "account": [
        "UPDATE account SET name = 'Testrud' WHERE key = 'fb-main'",
        "UPDATE account SET status = 'closing' WHERE key = 'fb-main'",
    ],
    "absence": [
        'INSERT INTO absence (user_id, start, "end", kind, created_by, created_at) '
        "VALUES ('U0ANNA', '2026-11-23', '2026-11-24', 'vacation', 'U0ANNA', '2026-11-23')",
        "UPDATE absence SET cancelled_at = '2026-11-23' WHERE user_id = 'U0ANNA'",
        "DELETE FROM absence WHERE user_id = 'U0ANNA'",
    ],
    "override": [
        'INSERT INTO override (kind, user_id, other_id, start, "end", created_by, created_at) '
        "VALUES ('cover', 'U0DORA', 'U0ANNA', '2026-11-23', '2026-11-23', 'U0COORD1', "
        "'2026-11-23')",
        "UPDATE override SET \"end\" = '2026-11-24' WHERE user_id = 'U0DORA'",
        "DELETE FROM override WHERE user_id = 'U0DORA'",
    ],
}


@pytest.mark.parametrize("table", WATCHED)
def test_every_statement_writing_what_the_rota_is_made_of_gives_a_new_revision(
    engine: Engine, db: OrgConfig, table: str
) -> None:
    seen = {revision_of(engine)}
    assert None not in seen
    for statement in WRITES[table]:
        with engine.begin() as conn:  # raw SQL, as an operator or another program would write
            conn.execute(sa.text(statement))
        revision = revision_of(engine)
        assert revision not in seen, f"{statement!r} left the revision as it was"
        seen.add(revision)


def test_other_tables_and_a_rolled_back_change_leave_the_revision_alone(
    engine: Engine, db: OrgConfig
) -> None:
    before = revision_of(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO shed_count (kind, count) VALUES ('command', 1)"))
    assert revision_of(engine) == before
    with pytest.raises(RuntimeError), engine.begin() as conn:
        conn.execute(sa.text(WRITES["absence"][0]))
        raise RuntimeError("rolled back")
    assert revision_of(engine) == before


def test_a_database_emptied_row_by_row_gets_its_revision_back_with_the_next_change(
    engine: Engine, db: OrgConfig
) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM read_revision"))
    assert revision_of(engine) is None
    with session_scope(engine) as session:  # nothing is kept while there is no revision
        ctx = Ctx(session, db, db.calendar(), NOW, "U0ANNA")
        assert read_model(ctx).revision is None and [v.team.key for v in team_views(ctx)] == [
            "komm"
        ]
    with engine.begin() as conn:
        conn.execute(sa.text(WRITES["absence"][0]))
    assert revision_of(engine) is not None


# ---------------------------------------------------------------------------- what is kept


def ctx_on(engine: Engine, config: OrgConfig, now: datetime = NOW) -> Any:
    return open_ctx(engine, config, config.calendar(), "U0ANNA", now)


def test_a_transaction_with_nothing_changed_reads_the_revision_and_nothing_else(
    engine: Engine, db: OrgConfig
) -> None:
    with ctx_on(engine, db) as ctx:
        rota_service.who(ctx)  # the first reads and keeps
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        with ctx_on(engine, db) as ctx:
            duties = rota_service.who(ctx)
            again = rota_service.who(ctx)
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert [d.duty.primary for d in duties] == [d.duty.primary for d in again] == ["U0ANNA"]
    read = [s for s in statements if "read_revision" not in s and "BEGIN" not in s.upper()]
    assert read == [], read
    assert len(statements) <= 4, statements  # the revision, for the teams and each duty_inputs


def test_a_change_in_the_same_transaction_is_seen_there_and_a_rollback_leaves_no_trace(
    engine: Engine, db: OrgConfig
) -> None:
    with ctx_on(engine, db) as ctx:
        assert rota_service.who(ctx)[0].duty.primary == "U0ANNA"
    before = revision_of(engine)
    today = NOW.date()
    with pytest.raises(RuntimeError), ctx_on(engine, db) as ctx:
        rota_service.add_absence(ctx, "U0ANNA", DateRange(today, today), AbsenceKind.VACATION, None)
        ctx.forget()
        # Seen in the transaction that made it (and kept under its own, uncommitted token)...
        assert rota_service.who(ctx)[0].duty.primary == "U0BO"
        raise RuntimeError("the command failed after the change")
    # ...and gone with it: no other transaction is handed what was never committed.
    assert revision_of(engine) == before
    with ctx_on(engine, db) as ctx:
        assert rota_service.who(ctx)[0].duty.primary == "U0ANNA"
        assert duty_inputs_from(ctx, today - timedelta(days=7)) == ([], [])


def test_what_is_kept_belongs_to_no_session_and_is_not_written_back(
    engine: Engine, db: OrgConfig
) -> None:
    with ctx_on(engine, db) as ctx:
        view = team_views(ctx)[0]
        assert sa.inspect(view.team).transient and sa.inspect(view.accounts[0]).transient
    with pytest.raises(sa.exc.IntegrityError), session_scope(engine) as session:
        session.add(view.team)  # would be an INSERT of a second "komm": refused, loudly


# ----------------------------------------------------------- two replicas, one database


@pytest.fixture
def replicas(fake: FakeSlack, db_url: str, tmp_path: Path) -> Iterator[tuple[Vakt, Vakt]]:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with FakeSlack() as other:
        a = Vakt(fake, db_url, tmp_path / "a", NOW)
        b = Vakt(other, db_url, tmp_path / "b", NOW)
        try:
            yield a, b
        finally:
            a.close()
            b.close()
        fake.assert_no_errors()
        other.assert_no_errors()


def test_a_change_through_one_replica_is_seen_by_the_next_command_on_the_other(
    replicas: tuple[Vakt, Vakt],
) -> None:
    a, b = replicas
    coordinator = "U0COORD1"
    for replica in (a, b):  # both have read and kept the teams
        assert "On duty: <@U0ANNA>" in replica.command("who")
    assert "away" in a.command("away today")
    assert "On duty: <@U0BO>" in b.command("who")
    assert "Welcome back" in b.command("back")
    assert "On duty: <@U0ANNA>" in a.command("who")
    assert "covers" in b.command("cover <@U0DORA> <@U0ANNA> today", user=coordinator)
    assert "On duty: <@U0DORA>" in a.command("who")
    assert "Cancelled 1" in a.command("uncover <@U0DORA> <@U0ANNA>", user=coordinator)
    assert "On duty: <@U0ANNA>" in b.command("who")
    # A team made on one is found on the other, and its members' duty follows a change there.
    assert "created" in a.command("team new web Nettredaksjonen", user=coordinator)
    assert "rotation order" in a.command("team members web <@U0EVA> <@U0FRED>", user=coordinator)
    assert "On duty: <@U0EVA>" in b.command("who web")
    assert "rotation order" in b.command("team members web <@U0FRED> <@U0EVA>", user=coordinator)
    assert "On duty: <@U0FRED>" in a.command("who web")


def test_a_change_made_outside_vakt_is_seen_by_the_next_command(
    replicas: tuple[Vakt, Vakt],
) -> None:
    a, b = replicas
    assert "On duty: <@U0ANNA>" in a.command("who")
    # Another program (an import, an operator at psql) moves the rotation's start a week on.
    with a.runtime.engine.begin() as conn:
        conn.execute(sa.text("UPDATE team SET start = '2026-11-09' WHERE key = 'komm'"))
    assert "On duty: <@U0CARL>" in a.command("who")
    assert "On duty: <@U0CARL>" in b.command("who")


# ------------------------------------------------- property: never different from a fresh read


USERS = ("U0ANNA", "U0BO", "U0CARL", "U0DORA")
Op = tuple[str, int, int, int]
ops = st.lists(
    st.tuples(
        st.sampled_from(("absence", "cancel", "members", "rotation", "cover", "close", "read")),
        st.integers(0, 1),  # through which replica
        st.integers(0, len(USERS) - 1),
        st.integers(-3, 10),  # a day from NOW
    ),
    min_size=1,
    max_size=12,
)


def apply(engine: Engine, config: OrgConfig, op: Op) -> None:
    kind, _, who, offset = op
    day = NOW.date() + timedelta(days=offset)
    with ctx_on(engine, config) as ctx:
        session = ctx.session
        if kind == "absence":  # through the ORM, as the listeners write
            session.add(
                Absence(
                    user_id=USERS[who],
                    start=day,
                    end=day + timedelta(days=who),
                    created_by="U0COORD1",
                    created_at=NOW,
                )
            )
        elif kind == "cancel":
            session.execute(
                sa.text("UPDATE absence SET cancelled_at = :at WHERE user_id = :u"),
                {"at": NOW, "u": USERS[who]},
            )
        elif kind == "members":
            order = [USERS[(who + i) % len(USERS)] for i in range(1 + offset % len(USERS))]
            session.execute(sa.text("DELETE FROM team_member"))
            for position, user in enumerate(order):
                session.execute(
                    sa.text(
                        "INSERT INTO team_member (team_id, user_id, position) "
                        "SELECT id, :u, :p FROM team WHERE key = 'komm'"
                    ),
                    {"u": user, "p": position},
                )
        elif kind == "rotation":
            session.execute(
                sa.text("UPDATE team SET rotation = :r, start = :s WHERE key = 'komm'"),
                {"r": "daily" if who % 2 else "weekly", "s": date(2026, 11, 2) + timedelta(offset)},
            )
        elif kind == "cover":
            session.execute(
                sa.text(
                    'INSERT INTO override (kind, user_id, other_id, start, "end", created_by, '
                    "created_at) VALUES ('cover', :u, :o, :d, :d, 'U0COORD1', :at)"
                ),
                {"u": USERS[who], "o": USERS[(who + 1) % 4], "d": day, "at": NOW},
            )
        elif kind == "close":
            session.execute(
                sa.text("UPDATE account SET status = :s WHERE key = 'fb-main'"),
                {"s": "closed" if who % 2 else "active"},
            )


def fresh(engine: Engine, since: date) -> tuple[Any, ...]:
    with Session(engine) as session:
        return (
            plain(all_teams(session)),
            [astuple(a) for a in absences_from(session, since)],
            [astuple(o) for o in overrides_from(session, since)],
        )


def through_model(engine: Engine, config: OrgConfig, since: date) -> tuple[Any, ...]:
    with ctx_on(engine, config) as ctx:
        absences, overrides = duty_inputs_from(ctx, since)
        return (
            plain(team_views(ctx)),
            [astuple(a) for a in absences],
            [astuple(o) for o in overrides],
        )


@pytest.fixture
def two_engines(db_url: str, db: OrgConfig) -> Iterator[list[Engine]]:
    """Two replicas' pools on one database, each with what it keeps, for a whole test."""
    engines = [make_engine(db_url), make_engine(db_url)]
    yield engines
    for engine in engines:
        engine.dispose()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=ops)
def test_two_replicas_never_read_other_than_the_database_holds(
    two_engines: list[Engine], db: OrgConfig, ops: list[Op]
) -> None:
    # The database and what each replica keeps carry on from example to example: the property
    # holds in any state they can be in.
    since = NOW.date() - timedelta(days=7)
    for op in ops:
        apply(two_engines[op[1]], db, op)
        truth = fresh(two_engines[0], since)
        for engine in two_engines:
            assert through_model(engine, db, since) == truth, op
