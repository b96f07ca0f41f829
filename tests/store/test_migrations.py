"""Migrations upgrade an empty database and one holding data, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import Session, SQLModel, select

from bot.store.db import (
    DatabaseError,
    _alembic_config,
    current_revision,
    head_revision,
    known_revisions,
    make_engine,
    migrate,
)
from bot.store.models import (
    Account,
    CalendarFeed,
    HomeView,
    Item,
    Outbox,
    OutboxFile,
    Team,
    TeamMember,
)

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def test_empty_database_upgrades_to_head(any_db_url: str) -> None:
    engine = make_engine(any_db_url)
    assert current_revision(engine) is None
    before, after = migrate(engine)
    assert (before, after) == (None, head_revision())
    assert current_revision(engine) == head_revision()
    # A second run is a no-op.
    assert migrate(engine) == (head_revision(), head_revision())
    engine.dispose()


def test_a_database_a_newer_release_migrated_is_refused_in_one_line(any_db_url: str) -> None:
    engine = make_engine(any_db_url)
    migrate(engine)
    newer = "0999"  # what a later release's migration is called, as far as this one knows
    assert newer not in known_revisions() and head_revision() in known_revisions()
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": newer})
    try:
        migrate(engine)
        raise AssertionError("migrate went on over a revision it does not know")
    except DatabaseError as exc:
        said = str(exc)
    assert "\n" not in said
    assert f"is at {newer}, a migration this release does not know" in said
    assert f"its newest is {head_revision()}" in said and "newer release of Vakt" in said
    assert current_revision(engine) == newer  # nothing touched
    engine.dispose()


def test_models_and_migrations_agree(any_db_url: str) -> None:
    engine = make_engine(any_db_url)
    migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata
        )
    assert diff == []
    engine.dispose()


def test_filled_database_survives_downgrade_and_upgrade(any_db_url: str) -> None:
    engine = make_engine(any_db_url)
    migrate(engine)
    with Session(engine) as session:
        team = Team(
            key="komm", name="Komm", start=date(2026, 11, 2), created_at=NOW, updated_at=NOW
        )
        session.add(team)
        session.flush()
        assert team.id is not None
        session.add(TeamMember(team_id=team.id, user_id="U0ANNA", position=0))
        session.add(
            Outbox(
                key="k1",
                kind="x",
                channel="U0ANNA",
                text="hei",
                created_at=NOW,
                next_attempt_at=NOW,
            )
        )
        session.commit()
    # Re-running the whole chain on a database with rows keeps them.
    migrate(engine)
    with Session(engine) as session:
        assert session.exec(select(Team.key)).all() == ["komm"]
        row = session.exec(select(Outbox)).one()
        assert row.created_at == NOW and row.created_at.tzinfo is not None
    # Downgrading to empty and upgrading again works on a real schema.
    command.downgrade(_alembic_config(engine), "base")
    assert "team" not in sa.inspect(engine).get_table_names()
    migrate(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_archive_migration_upgrades_a_database_holding_items(any_db_url: str) -> None:
    """0003 (archiving) on a database at 0002 with accounts and items: they stay, accounts get
    no snapshot interval of their own, and going back to 0002 drops only the new tables."""
    engine = make_engine(any_db_url)
    command.upgrade(_alembic_config(engine), "0002")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO team (id, key, name, rotation, start, managed, created_at, updated_at)"
                " VALUES (1, 'komm', 'Komm', 'weekly', '2026-11-02', false, :t, :t)"
            ),
            {"t": NOW.replace(tzinfo=None)},
        )
        conn.execute(
            sa.text(
                "INSERT INTO account (id, key, platform, name, url, team_id, managed,"
                " created_at, updated_at) VALUES (1, 'fb', 'facebook', 'FB',"
                " 'https://facebook.com/x', 1, false, :t, :t)"
            ),
            {"t": NOW.replace(tzinfo=None)},
        )
    migrate(engine)
    assert current_revision(engine) == head_revision()
    with Session(engine) as session:
        account = session.exec(select(Account)).one()
        assert account.key == "fb" and account.snapshot_months is None
    tables = set(sa.inspect(engine).get_table_names())
    assert {"deletion", "snapshot", "archived_file", "file_fetch"} <= tables
    command.downgrade(_alembic_config(engine), "0002")
    tables = set(sa.inspect(engine).get_table_names())
    assert not {"deletion", "snapshot", "archived_file", "file_fetch"} & tables
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT key FROM account")).scalars().all() == ["fb"]
    migrate(engine)
    engine.dispose()


def test_register_migration_keeps_accounts_active(any_db_url: str) -> None:
    """0004 (the register) on a database at 0003 with an account: it becomes an active page
    with no register fields yet, and going back to 0003 drops only the new tables and columns."""
    engine = make_engine(any_db_url)
    command.upgrade(_alembic_config(engine), "0003")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO team (id, key, name, rotation, start, managed, created_at, updated_at)"
                " VALUES (1, 'komm', 'Komm', 'weekly', '2026-11-02', false, :t, :t)"
            ),
            {"t": NOW.replace(tzinfo=None)},
        )
        conn.execute(
            sa.text(
                "INSERT INTO account (id, key, platform, name, url, team_id, managed,"
                " created_at, updated_at, must_register) VALUES (1, 'fb', 'facebook', 'FB',"
                " 'https://facebook.com/x', 1, false, :t, :t, false)"
            ),
            {"t": NOW.replace(tzinfo=None)},
        )
    migrate(engine)
    with Session(engine) as session:
        account = session.exec(select(Account)).one()
        assert (account.status, account.kind, account.admins) == ("active", "page", "")
        assert not account.credentials_held and not account.coordinator_admin
        assert account.cadence_days is None and account.closed_on is None
    new = {"account_request", "account_post", "account_flag", "account_closure", "closure_step"}
    assert new <= set(sa.inspect(engine).get_table_names())
    command.downgrade(_alembic_config(engine), "0003")
    assert not new & set(sa.inspect(engine).get_table_names())
    columns = {c["name"] for c in sa.inspect(engine).get_columns("account")}
    assert "status" not in columns and "snapshot_months" in columns
    migrate(engine)
    engine.dispose()


def test_replica_migration_keeps_messages_and_items(any_db_url: str) -> None:
    """0005 (replicas) on a database at 0004 with an item and a message being sent: both stay,
    the message has no sender recorded, the item indexes are in place; going back to 0004 drops
    the column and indexes and restores the old reminder index."""
    engine = make_engine(any_db_url)
    command.upgrade(_alembic_config(engine), "0004")
    with Session(engine) as session:
        team = Team(
            key="komm", name="Komm", start=date(2026, 11, 2), created_at=NOW, updated_at=NOW
        )
        session.add(team)
        session.flush()
        assert team.id is not None
        # Only the columns the table has at 0004: the model has more by now.
        account_id = session.execute(
            sa.insert(Account.__table__).values(  # type: ignore[attr-defined]
                key="fb",
                platform="facebook",
                name="FB",
                url="https://facebook.com/x",
                team_id=team.id,
                created_at=NOW,
                updated_at=NOW,
            )
        ).inserted_primary_key[0]
        session.add(
            Item(
                account_id=account_id,
                source="http",
                external_id="q1",
                received_at=NOW,
                status="open",
                deadline=NOW,
                created_by="test",
                created_at=NOW,
            )
        )
        session.commit()
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO outbox (key, kind, channel, text, status, attempts, created_at,"
                " next_attempt_at, claimed_at) VALUES ('k1', 'item_card', 'C0TEAM1', 'hei',"
                " 'sending', 1, :t, :t, :t)"
            ),
            {"t": NOW.replace(tzinfo=None)},
        )
    migrate(engine)
    with Session(engine) as session:
        row = session.exec(select(Outbox)).one()
        assert (row.key, row.status, row.claimed_by) == ("k1", "sending", None)
        assert session.exec(select(Item.external_id)).all() == ["q1"]
    indexes = {ix["name"]: ix["column_names"] for ix in sa.inspect(engine).get_indexes("item")}
    assert indexes["ix_item_status_deadline"] == ["status", "deadline", "account_id", "received_at"]
    assert {"ix_item_open_received", "ix_item_unregistered", "ix_item_excerpt_kept"} <= set(indexes)
    command.downgrade(_alembic_config(engine), "0004")
    columns = {c["name"] for c in sa.inspect(engine).get_columns("outbox")}
    assert "claimed_by" not in columns
    indexes = {ix["name"]: ix["column_names"] for ix in sa.inspect(engine).get_indexes("item")}
    assert indexes["ix_item_status_deadline"] == ["status", "deadline"]
    assert not {"ix_item_open_received", "ix_item_unregistered", "ix_item_excerpt_kept"} & set(
        indexes
    )
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT key FROM outbox")).scalars().all() == ["k1"]
    migrate(engine)
    engine.dispose()


def test_home_report_feeds_migration_keeps_messages(any_db_url: str) -> None:
    """0006 on a database at 0005 holding a pending message: it stays, without files; the new
    tables take rows (a message's files, a calendar link, a home tab); going back to 0005 drops
    them and keeps the message."""
    engine = make_engine(any_db_url)
    command.upgrade(_alembic_config(engine), "0005")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO outbox (key, kind, channel, text, status, attempts, created_at,"
                " next_attempt_at) VALUES ('k1', 'digest', 'C0TEAM1', 'hei', 'pending', 0, :t, :t)"
            ),
            {"t": NOW.replace(tzinfo=None)},
        )
    migrate(engine)
    with Session(engine) as session:
        row = session.exec(select(Outbox)).one()
        assert (row.key, row.status, row.has_files) == ("k1", "pending", False)
        assert row.id is not None
        session.add(OutboxFile(outbox_id=row.id, filename="a.png", title="A", content=b"\x89PNG"))
        session.add(CalendarFeed(user_id="U0ANNA", nonce="n", token_hash="h" * 64, created_at=NOW))
        session.add(HomeView(user_id="U0ANNA", opened_at=NOW))
        session.commit()
    with Session(engine) as session:
        assert session.exec(select(OutboxFile.content)).one() == b"\x89PNG"
    command.downgrade(_alembic_config(engine), "0005")
    tables = set(sa.inspect(engine).get_table_names())
    assert not {"outbox_file", "calendar_feed", "home_view"} & tables
    assert "has_files" not in {c["name"] for c in sa.inspect(engine).get_columns("outbox")}
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT key FROM outbox")).scalars().all() == ["k1"]
    migrate(engine)
    engine.dispose()


def test_read_revision_migration_on_a_database_holding_teams(any_db_url: str) -> None:
    """0009 on a database at 0008 holding a team: the revision row is there at once, a change to
    the team gives it a new token, a change elsewhere does not; going back to 0008 drops the
    table and its triggers and keeps the team, which can be changed again."""
    engine = make_engine(any_db_url)
    command.upgrade(_alembic_config(engine), "0008")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO team (key, name, rotation, start, managed, created_at, updated_at) "
                "VALUES ('komm', 'Komm', 'weekly', '2026-11-02', false, :t, :t)"
            ),
            {"t": NOW.replace(tzinfo=None)},
        )
    migrate(engine)

    def token() -> str:
        with engine.connect() as conn:
            return str(conn.execute(sa.text("SELECT token FROM read_revision")).scalar_one())

    first = token()
    assert len(first) == 32 and int(first, 16) >= 0
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE team SET name = 'Kommunikasjon' WHERE key = 'komm'"))
    second = token()
    assert second != first
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO shed_count (kind, count) VALUES ('command', 1)"))
    assert token() == second
    command.downgrade(_alembic_config(engine), "0008")
    assert "read_revision" not in sa.inspect(engine).get_table_names()
    with engine.begin() as conn:  # no trigger is left to look for the table
        conn.execute(sa.text("UPDATE team SET name = 'Komm' WHERE key = 'komm'"))
        assert conn.execute(sa.text("SELECT name FROM team")).scalars().all() == ["Komm"]
    migrate(engine)
    assert token() != second
    engine.dispose()


def test_open_item_count_migration_counts_the_items_there_are(any_db_url: str) -> None:
    """0010 on a database at 0009 holding open and closed items: each account's count starts
    from its open items and follows the next change; going back to 0009 drops the table and its
    triggers and leaves the items, which can be changed again."""
    from bot.kernel.config import parse_config
    from bot.register.sync import apply_config
    from bot.store.models import Item
    from tests.harness import CONFIG

    engine = make_engine(any_db_url)
    command.upgrade(_alembic_config(engine), "0009")
    with Session(engine) as session:
        apply_config(session, parse_config(CONFIG, "vakt.toml"), NOW)
        session.flush()
        (first,) = [a.id for a in session.exec(select(Account)).all() if a.id]
        for n, (account, status) in enumerate(
            [(first, "open"), (first, "open"), (first, "answered")]
        ):
            session.add(
                Item(
                    account_id=account,
                    source="command",
                    external_id=f"x{n}",
                    received_at=NOW,
                    deadline=NOW,
                    status=status,
                    created_by="U0ANNA",
                    created_at=NOW,
                )
            )
        session.commit()
    migrate(engine)

    def counts() -> dict[int, int]:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT account_id, total FROM open_item_count"))
            return {a: n for a, n in rows if n}

    assert counts() == {first: 2}
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE item SET status = 'open' WHERE status = 'answered'"))
    assert counts() == {first: 3}
    command.downgrade(_alembic_config(engine), "0009")
    assert "open_item_count" not in sa.inspect(engine).get_table_names()
    with engine.begin() as conn:  # no trigger is left to look for the table
        conn.execute(sa.text("UPDATE item SET status = 'answered' WHERE external_id = 'x0'"))
    migrate(engine)
    assert counts() == {first: 2}
    engine.dispose()
