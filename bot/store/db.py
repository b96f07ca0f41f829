"""Engine factory, sessions and migrations. Nothing here runs at import time."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlmodel import Session

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")


class DatabaseError(Exception):
    """The database cannot be used as it is (unreachable, behind its migrations, ...)."""


def is_unavailable(error: BaseException) -> bool:
    """The database could not be reached or went away (a restart, a network cut, a busy pool,
    SQLite's lock past its timeout), as opposed to a bug in a query: worth a "try again"."""
    if isinstance(error, sa.exc.DBAPIError):
        return (
            error.connection_invalidated
            or isinstance(error, sa.exc.OperationalError)
            or isinstance(error.orig, psycopg.OperationalError)
        )
    return isinstance(error, psycopg.OperationalError | sa.exc.TimeoutError)


DISK_FULL = "53100"  # PostgreSQL's disk_full ("could not extend file ...: No space left")


def is_storage_full(error: BaseException) -> bool:
    """The database failed for lack of room, not of reachability: SQLite's SQLITE_FULL
    ("database or disk is full", a full disk or its max_page_count) or PostgreSQL's disk_full.
    Worth a "try again" too (`is_unavailable`), but an operator has to free space first."""
    orig = error.orig if isinstance(error, sa.exc.DBAPIError) else error
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        return (code is not None and code & 0xFF == sqlite3.SQLITE_FULL) or (
            "database or disk is full" in str(orig)
        )
    if isinstance(orig, psycopg.Error):
        return orig.sqlstate == DISK_FULL
    return False


def make_engine(url: str) -> Engine:
    """An engine for SQLite (WAL, busy timeout, foreign keys) or PostgreSQL (pre-ping)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # pysqlite's own transaction handling breaks SAVEPOINTs (and so the outbox's
            # insert-or-skip); let SQLAlchemy emit BEGIN itself instead.
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # 64 MB of page cache instead of 2 MB: the reminder sweep reads every open item.
            cursor.execute("PRAGMA cache_size=-65536")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout
            # instead of one failing with "database is locked" when its read turns into a write.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # Pre-ping replaces connections a restart killed; a connection that cannot be made within
    # 10 s fails the request (cleanly) instead of hanging it through a network partition.
    return sa.create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        pool_timeout=10,
        connect_args={"connect_timeout": 10},
    )


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    """The newest migration this code knows."""
    head = ScriptDirectory.from_config(
        _alembic_config(sa.create_engine("sqlite://"))
    ).get_current_head()
    assert head is not None
    return head


def known_revisions() -> frozenset[str]:
    """Every migration this code knows, the newest and all before it."""
    script = ScriptDirectory.from_config(_alembic_config(sa.create_engine("sqlite://")))
    return frozenset(revision.revision for revision in script.walk_revisions())


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (None: empty)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


# Any fixed number: replicas starting together take turns at migrating and applying the file.
STARTUP_LOCK = 0x76616B74  # "vakt"


@contextmanager
def startup_lock(engine: Engine) -> Iterator[None]:
    """One replica at a time (PostgreSQL advisory lock on a connection of its own); SQLite's
    write lock already serialises its writers."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": STARTUP_LOCK})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": STARTUP_LOCK})
            conn.commit()


def migrate(engine: Engine) -> tuple[str | None, str]:
    """Upgrade the database to the newest migration; returns (before, after). Replicas that
    start together migrate one after the other: the second finds nothing left to do."""
    try:
        with startup_lock(engine):
            before = current_revision(engine)
            if before is not None and before not in known_revisions():
                raise DatabaseError(_ahead(engine, before))
            command.upgrade(_alembic_config(engine), "head")
    except sa.exc.OperationalError as exc:
        raise DatabaseError(f"cannot reach the database: {exc.orig}") from None
    return before, head_revision()


def _ahead(engine: Engine, current: str) -> str:
    """What to say when a newer release has migrated the database (Alembic would only say
    that it cannot locate the revision, with a traceback)."""
    where = engine.url.render_as_string(hide_password=True)
    return (
        f"database {where} is at {current}, a migration this release does not know (its "
        f"newest is {head_revision()}): a newer release of Vakt has migrated it; start that "
        "release, or restore the backup taken before the upgrade"
    )
