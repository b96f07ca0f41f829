"""Shared fixtures: a clean database per test, on SQLite and on PostgreSQL.

Every test that takes `db_url` (directly, or through `engine` or `vakt`) runs twice: once on a
fresh SQLite file and once on a clean PostgreSQL database (`VAKT_TEST_DATABASES=sqlite` or
`=postgresql` runs one of them). PostgreSQL databases come from a pool: each is made once from a
migrated template and emptied after every test (rows deleted, sequences restarted), which takes a
millisecond where creating and dropping a database takes half a second. A test that needs an
empty, unmigrated database takes `postgres_url` / `any_db_url` instead.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from sqlalchemy.engine import Engine

from bot.store.db import make_engine, migrate
from tests.fakeslack import FakeSlack
from tests.harness import OSLO, Vakt

# Property tests judge what the code does, not how fast a busy machine runs it: no per-example
# deadline and no "too slow" health check. In CI the examples are fixed (derandomized), so a
# run is repeatable and a red one can be reproduced; elsewhere they vary from run to run.
settings.register_profile(
    "vakt",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=bool(os.environ.get("CI")),
    print_blob=True,
)
settings.load_profile("vakt")

PG_URL = os.environ.get("VAKT_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
DATABASES = [
    name.strip()
    for name in os.environ.get("VAKT_TEST_DATABASES", "sqlite,postgresql").split(",")
    if name.strip()
]


def postgres_available() -> bool:
    try:
        engine = sa.create_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
        return True
    except sa.exc.OperationalError:
        return False


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'vakt.sqlite3'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    if not postgres_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_URL}")
        pytest.skip("PostgreSQL is not running here")
    name = f"vakt_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_url(request: pytest.FixtureRequest) -> str:
    """An empty database, on SQLite and on PostgreSQL (for migration tests)."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


def _admin_url(name: str) -> str:
    return PG_URL.rsplit("/", 1)[0] + f"/{name}"


class PostgresPool:
    """Clean, migrated PostgreSQL databases for one test session (see the module's doc)."""

    def __init__(self) -> None:
        self.prefix = f"vakt_t{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        self.template = f"{self.prefix}_template"
        self.made: list[str] = []
        self.free: list[str] = []
        self.lock = threading.Lock()
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.template}"'))
        engine = make_engine(_admin_url(self.template))
        try:
            migrate(engine)
            with engine.connect() as conn:
                self.tables = sorted(
                    row[0]
                    for row in conn.execute(
                        sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                    )
                    if row[0] != "alembic_version"
                )
                self.sequences = sorted(
                    row[0]
                    for row in conn.execute(
                        sa.text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
                    )
                )
                self.revision = conn.execute(
                    sa.text("SELECT version_num FROM alembic_version")
                ).scalar_one()
        finally:
            engine.dispose()
        # Names read from the catalogue of our own migrated schema, not from input.
        deletes = "".join(f'DELETE FROM "{table}";' for table in self.tables)  # noqa: S608
        restarts = "".join(f"SELECT setval('\"{seq}\"', 1, false);" for seq in self.sequences)
        self.reset_sql = f"SET LOCAL session_replication_role = replica;{deletes}{restarts}"

    def acquire(self) -> str:
        with self.lock:
            if self.free:
                return self.free.pop()
            name = f"{self.prefix}_{len(self.made)}"
            self.made.append(name)
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
        return name

    def release(self, name: str) -> None:
        """Empty the database for the next test, or drop it when the test changed its schema."""
        with self.admin.connect() as conn:
            # Connections a test left behind (a killed process, an undisposed engine).
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
        engine = sa.create_engine(_admin_url(name), poolclass=sa.pool.NullPool)
        try:
            with engine.begin() as conn:
                tables = sorted(
                    row[0]
                    for row in conn.execute(
                        sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                    )
                    if row[0] != "alembic_version"
                )
                revision = conn.execute(
                    sa.text("SELECT max(version_num) FROM alembic_version")
                ).scalar()
                if tables != self.tables or revision != self.revision:
                    raise LookupError("schema changed")
                conn.exec_driver_sql(self.reset_sql)
        except (LookupError, sa.exc.SQLAlchemyError):
            engine.dispose()
            self._drop(name)
            return
        engine.dispose()
        with self.lock:
            self.free.append(name)

    def _drop(self, name: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        with self.lock:
            self.made.remove(name)

    def close(self) -> None:
        for name in [*self.made, self.template]:
            with self.admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_pool() -> Iterator[PostgresPool]:
    if not postgres_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_URL}")
        pytest.skip("PostgreSQL is not running here")
    pool = PostgresPool()
    yield pool
    pool.close()


@pytest.fixture
def clean_postgres_url(postgres_pool: PostgresPool) -> Iterator[str]:
    """A migrated PostgreSQL database with no rows, for one test."""
    name = postgres_pool.acquire()
    try:
        yield _admin_url(name)
    finally:
        postgres_pool.release(name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per test session (per process with several): each test's
    database is a copy, which takes a millisecond where migrating takes a quarter second."""
    path = tmp_path_factory.mktemp("template") / "vakt.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    try:
        migrate(engine)
    finally:
        engine.dispose()
    return path


@pytest.fixture
def clean_sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated SQLite file with no rows, for one test."""
    path = tmp_path / "vakt.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest) -> str:
    """The database of one test: a fresh migrated SQLite file, or a clean migrated PostgreSQL
    database. Migrating it again is a no-op; it holds no rows."""
    name = "clean_sqlite_url" if request.param == "sqlite" else "clean_postgres_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated database (SQLite, then PostgreSQL)."""
    engine = make_engine(db_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def vakt(fake: FakeSlack, db_url: str, tmp_path: Path) -> Iterator[Vakt]:
    # Monday 23 November 2026 (ISO week 48), 10:00 in Oslo: the office is open.
    harness = Vakt(fake, db_url, tmp_path, datetime(2026, 11, 23, 10, 0, tzinfo=OSLO))
    yield harness
    harness.close()
    # Every call the app made must have passed Slack's spec and Block Kit validation.
    fake.assert_no_errors()
