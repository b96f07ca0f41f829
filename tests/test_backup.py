"""`vakt backup` and `vakt restore` as an IT department runs them: real processes, a real
`vakt serve` taking questions over HTTP and archiving evidence from Slack while the backup is
taken, and restores into a new database and archive compared row by row and byte by byte."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

import bot.store.models  # noqa: F401 - the tables, for SQLModel.metadata
from bot.archive.files import SlackFile, store
from bot.backup.core import BackupError, Problem, compare, parse_manifest
from bot.store.db import head_revision, make_engine, migrate
from bot.store.models import ArchivedFile
from tests.archive.test_slack import png
from tests.conftest import DATABASES, PG_URL, postgres_available
from tests.fakeslack import FakeSlack, event_body, signed_request
from tests.harness import INTAKE_TOKEN, SECRET
from tests.items.test_slack import INTAKE, INTAKE_CONFIG
from tests.test_serve import intake_body, send, serving
from tests.waiting import PATIENCE, wait_until

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def vakt(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=PATIENCE * 2,
    )


@contextmanager
def fresh_postgres() -> Iterator[str]:
    """A new, empty PostgreSQL database to restore into, dropped afterwards."""
    if not postgres_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_URL}")
        pytest.skip("PostgreSQL is not running here")
    name = f"vakt_restore_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass(frozen=True)
class Place:
    """Where Vakt keeps its data: the environment that names it, and what it names."""

    url: str
    data: Path

    @property
    def archive(self) -> Path:
        return self.data / "archive"

    @property
    def env(self) -> dict[str, str]:
        return {"DATABASE_URL": self.url, "VAKT_DATA_DIR": str(self.data)}


@contextmanager
def empty_place(kind: str, root: Path) -> Iterator[Place]:
    """An empty database and data directory of the given kind, to restore into."""
    root.mkdir(parents=True)
    if kind == "sqlite":
        yield Place(f"sqlite:///{root / 'vakt.sqlite3'}", root)
        return
    with fresh_postgres() as url:
        yield Place(url, root)


# ---------------------------------------------------------------- what a place holds


Tables = dict[str, list[tuple[Any, ...]]]


def tables(url: str) -> Tables:
    """Every row of every table (the schema revision included), in primary key order."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    version = sa.Table("alembic_version", sa.MetaData(), sa.Column("version_num", sa.String))
    try:
        with engine.connect() as conn:
            found = {
                table.name: [
                    tuple(row)
                    for row in conn.execute(sa.select(table).order_by(*table.primary_key.columns))
                ]
                for table in SQLModel.metadata.sorted_tables
            }
            found["alembic_version"] = [tuple(r) for r in conn.execute(sa.select(version))]
            return found
    finally:
        engine.dispose()


def files(directory: Path) -> dict[str, str]:
    """Every file under the directory (but a write in progress) and its SHA-256."""
    return {
        path.relative_to(directory).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file() and not path.name.startswith(".part-")
    }


def state(place: Place) -> tuple[Tables, dict[str, str]]:
    return tables(place.url), files(place.archive) if place.archive.exists() else {}


def is_empty(place: Place) -> bool:
    """Nothing restored: no archive, and a database without a single table."""
    if place.archive.exists() and any(place.archive.iterdir()):
        return False
    engine = sa.create_engine(place.url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        return not sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


# ---------------------------------------------------------------- a running Vakt's day


@dataclass
class Traffic:
    """Questions through the HTTP intake, each deleted with a wastebasket and its screenshot
    shared in the thread and archived: the work a backup must not tear in half."""

    url: str
    fake: FakeSlack
    source: Place
    rounds: int = 0
    stopping: threading.Event = field(default_factory=threading.Event)
    failure: BaseException | None = None

    def one(self) -> None:
        n = self.rounds
        status, answer = send(
            f"{self.url}/intake",
            intake_body(f"backup-{n}"),
            {"Authorization": f"Bearer {INTAKE_TOKEN}", "Content-Type": "application/json"},
        )
        assert status == 201, answer
        # A citizen's message in the intake channel, deleted: its checklist, then the
        # screenshot shared in that thread and archived.
        message = self.fake.workspace.next_ts()
        self.event(
            {
                "type": "reaction_added",
                "user": "U0ANNA",
                "reaction": "wastebasket",
                "item_user": "U0CITIZEN",
                "item": {"type": "message", "channel": INTAKE, "ts": message},
                "event_ts": message,
            },
            f"EvBackupW{n}",
        )
        channel, thread = self.wait_row(
            "SELECT thread_channel, thread_ts FROM deletion WHERE source_ts = :key", message
        )
        shot = self.fake.add_file(png(120 + n, 90), name=f"bevis-{n}.png")
        share = self.fake.workspace.next_ts()
        self.event(
            {
                "type": "message",
                "subtype": "file_share",
                "text": "",
                "user": "U0ANNA",
                "ts": share,
                "thread_ts": thread,
                "team": "T111",
                "channel": channel,
                "event_ts": share,
                "channel_type": "channel",
                "files": [shot],
            },
            f"EvBackupF{n}",
        )
        self.rounds += 1

    def event(self, event: dict[str, Any], event_id: str) -> None:
        raw, headers = signed_request(event_body(event, event_id=event_id), SECRET)
        request = urllib.request.Request(
            f"{self.url}/slack/events", data=raw, headers=headers, method="POST"
        )
        with urllib.request.urlopen(request, timeout=PATIENCE) as response:
            assert response.status == 200

    def wait_row(self, query: str, key: str) -> tuple[Any, ...]:
        found: list[tuple[Any, ...]] = []

        def check() -> bool:
            with self.engine.connect() as conn:
                row = conn.execute(sa.text(query), {"key": key}).first()
            if row is None or None in tuple(row):
                return False
            found.append(tuple(row))
            return True

        wait_until(check, what=query)
        return found[-1]

    @property
    def engine(self) -> sa.engine.Engine:
        if not hasattr(self, "_engine"):
            self._engine = sa.create_engine(
                self.source.url.replace("postgresql://", "postgresql+psycopg://", 1)
            )
        return self._engine

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                self.one()
        except BaseException as exc:
            self.failure = exc

    def settled(self) -> bool:
        """Every shared file archived and every message sent."""
        with self.engine.connect() as conn:
            archived = conn.execute(sa.text("SELECT count(*) FROM archived_file")).scalar_one()
            waiting = conn.execute(
                sa.text("SELECT count(*) FROM file_fetch WHERE status <> 'done'")
            ).scalar_one()
            unsent = conn.execute(
                sa.text("SELECT count(*) FROM outbox WHERE status NOT IN ('sent', 'failed')")
            ).scalar_one()
        return bool(archived == self.rounds and not waiting and not unsent)


@pytest.fixture(params=DATABASES)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def source(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Place:
    """Where the running Vakt keeps its data: a new SQLite file or PostgreSQL database."""
    data = tmp_path / "data"
    if kind == "sqlite":
        return Place(f"sqlite:///{data / 'vakt.sqlite3'}", data)
    return Place(str(request.getfixturevalue("postgres_url")), data)


def test_a_backup_taken_while_vakt_serves_restores_to_the_state_at_its_instant(
    kind: str, source: Place, tmp_path: Path
) -> None:
    config = tmp_path / "intake.toml"
    config.write_text(INTAKE_CONFIG)
    with (
        FakeSlack() as fake,
        serving(tmp_path, fake, DATABASE_URL=source.url, VAKT_CONFIG=str(config)) as served,
    ):
        traffic = Traffic(served.url, fake, source)
        traffic.one()  # some history before the backup
        worker = threading.Thread(target=traffic.run, daemon=True)
        worker.start()
        try:
            wait_until(lambda: traffic.rounds >= 2 or traffic.failure is not None)
            before = traffic.rounds
            during = vakt("backup", "--out", str(tmp_path / "during"), env=source.env, cwd=tmp_path)
            overlapping = traffic.rounds - before
        finally:
            traffic.stopping.set()
            worker.join(PATIENCE)
        assert traffic.failure is None, traffic.failure
        assert during.returncode == 0, during.stderr
        assert overlapping > 0  # questions and files kept arriving while it was taken
        assert f"database at {head_revision()}" in during.stdout
        manifest = json.loads((tmp_path / "during" / "manifest.json").read_text())
        assert manifest["database"] == kind and manifest["alembic_revision"] == head_revision()
        assert not list(tmp_path.glob(".during.partial-*"))

        # Once everything has settled, a backup restores to exactly the source: every row of
        # every table and every byte of the archive. The scheduler may write between two looks,
        # so the backup counts when the source was the same before it and after it.
        wait_until(traffic.settled, what="until every file is archived and every message sent")
        for attempt in range(5):
            seen = state(source)
            quiet = tmp_path / f"quiet-{attempt}"
            taken = vakt("backup", "--out", str(quiet), env=source.env, cwd=tmp_path)
            assert taken.returncode == 0, taken.stderr
            if state(source) == seen:
                break
        else:
            raise AssertionError("the source kept changing under every backup")
        final_rows = tables(source.url)
        source_files = files(source.archive)
    fake.assert_no_errors()
    assert len(seen[0]["archived_file"]) == traffic.rounds > 2

    with empty_place(kind, tmp_path / "restored-quiet") as target:
        restored = vakt("restore", str(quiet), env=target.env, cwd=tmp_path)
        assert restored.returncode == 0, restored.stderr
        assert restored.stdout.startswith(f"restored {quiet} into ")
        assert state(target) == seen

    # The backup taken under load is the source at one instant: the files its rows name, with
    # their bytes, and rows as the source holds them (archived files and the audit log are
    # never changed once written).
    with empty_place(kind, tmp_path / "restored-during") as target:
        restored = vakt("restore", str(tmp_path / "during"), env=target.env, cwd=tmp_path)
        assert restored.returncode == 0, restored.stderr
        rows, archive = state(target)
    assert rows["alembic_version"] == [(head_revision(),)]
    assert 0 < len(rows["archived_file"]) <= traffic.rounds
    for name in ("archived_file", "audit_log"):
        by_id = {row[0]: row for row in final_rows[name]}
        assert all(by_id[row[0]] == row for row in rows[name]), name
    columns = [c.name for c in ArchivedFile.__table__.columns]  # type: ignore[attr-defined]
    named = [dict(zip(columns, row, strict=True)) for row in rows["archived_file"]]
    expected = {f["path"]: f["sha256"] for f in named}
    expected |= {f"{f['path']}.json": source_files[f"{f['path']}.json"] for f in named}
    assert archive == expected


# ---------------------------------------------------------------- a small backup to spoil


def archive_two_files(place: Place) -> None:
    """A migrated database with two archived screenshots and their sidecars."""
    engine = make_engine(place.url)
    try:
        migrate(engine)
        with engine.begin() as conn:
            for n in range(2):
                row = store(
                    place.archive,
                    png(100 + n, 60),
                    "image/png",
                    owner="snapshot",
                    owner_id=n + 1,
                    account="fb-main",
                    file=SlackFile(f"F0SHOT{n}", f"shot-{n}.png", "image/png", None, None, None),
                    uploaded_by="U0ANNA",
                    uploaded_at=NOW,
                    archived_at=NOW,
                )
                values = row.model_dump(exclude={"id"})
                conn.execute(sa.insert(ArchivedFile.__table__).values(**values))  # type: ignore[attr-defined]
    finally:
        engine.dispose()


def small_backup(url: str, tmp_path: Path) -> tuple[Place, Path]:
    """A whole backup of a small database, and its source."""
    source = Place(url, tmp_path / "data")
    archive_two_files(source)
    out = tmp_path / "backup"
    taken = vakt("backup", "--out", str(out), env=source.env, cwd=tmp_path)
    assert taken.returncode == 0, taken.stderr
    return source, out


@pytest.fixture
def backup(db_url: str, tmp_path: Path) -> tuple[Place, Path]:
    """A small backup, of SQLite and of PostgreSQL."""
    return small_backup(db_url, tmp_path)


def an_archived_file(out: Path) -> Path:
    return next(p for p in sorted((out / "archive").rglob("*.png")))


@pytest.fixture
def sqlite_backup(sqlite_url: str, tmp_path: Path) -> tuple[Place, Path]:
    return small_backup(sqlite_url, tmp_path)


def test_verify_says_ok_and_names_a_changed_byte_a_missing_and_an_extra_file(
    sqlite_backup: tuple[Place, Path], tmp_path: Path
) -> None:
    _, out = sqlite_backup
    ok = vakt("backup", "--verify", str(out), env={}, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("OK: 5 file(s) match the manifest (SQLite database at ")
    shot = an_archived_file(out)
    name = shot.relative_to(out).as_posix()
    content = bytearray(shot.read_bytes())
    content[40] ^= 0x01
    shot.write_bytes(bytes(content))
    (out / "archive" / "stray.png").write_bytes(b"not in the manifest")
    sidecar = next(p for p in sorted((out / "archive").rglob("*.json")) if p.name != shot.name)
    sidecar.unlink()
    (out / "database" / "vakt.sqlite3").open("ab").write(b"\0")
    checked = vakt("backup", "--verify", str(out), env={}, cwd=tmp_path)
    assert checked.returncode == 1
    assert checked.stdout.splitlines() == sorted(
        [
            f"changed: {name}",
            f"missing: {sidecar.relative_to(out).as_posix()}",
            "extra: archive/stray.png",
            "wrong size: database/vakt.sqlite3",
        ],
        key=lambda line: line.split(": ", 1)[1],
    )
    assert "4 file(s) do not match the manifest" in checked.stderr
    assert "Traceback" not in checked.stderr


def test_verify_of_a_directory_without_a_manifest_says_it_is_not_a_whole_backup(
    sqlite_backup: tuple[Place, Path], tmp_path: Path
) -> None:
    _, out = sqlite_backup
    (out / "manifest.json").unlink()
    checked = vakt("backup", "--verify", str(out), env={}, cwd=tmp_path)
    assert checked.returncode == 2
    assert checked.stderr.strip() == (
        f"vakt: {out / 'manifest.json'} is missing: {out} is not a whole Vakt backup"
    )


def spoil(out: Path, how: str) -> str:
    """Spoil a copy of the backup one way; the line restore must name it with."""
    shot = an_archived_file(out)
    name = shot.relative_to(out).as_posix()
    if how == "changed":
        content = bytearray(shot.read_bytes())
        content[-5] ^= 0xFF
        shot.write_bytes(bytes(content))
        return f"changed: {name}"
    if how == "missing":
        shot.unlink()
        return f"missing: {name}"
    if how == "extra":
        (out / "archive" / "planted.png").write_bytes(png(10, 10))
        return "extra: archive/planted.png"
    (out / "manifest.json").unlink()
    return f"{out / 'manifest.json'} is missing"


@pytest.mark.parametrize("how", ["changed", "missing", "extra", "no manifest"])
def test_restore_refuses_a_tampered_or_incomplete_backup_and_restores_nothing(
    backup: tuple[Place, Path], tmp_path: Path, how: str
) -> None:
    source, out = backup
    spoilt = tmp_path / "spoilt"
    shutil.copytree(out, spoilt)
    named = spoil(spoilt, how)
    kind = "sqlite" if source.url.startswith("sqlite") else "postgresql"
    with empty_place(kind, tmp_path / "target") as target:
        refused = vakt("restore", str(spoilt), env=target.env, cwd=tmp_path)
        assert refused.returncode == (2 if how == "no manifest" else 1), refused.stderr
        assert named in refused.stderr
        assert "Traceback" not in refused.stderr
        if how != "no manifest":
            assert "the backup does not match its manifest: nothing was restored" in (
                refused.stderr
            )
        assert is_empty(target)
        # The backup as it was taken restores into the same place.
        restored = vakt("restore", str(out), env=target.env, cwd=tmp_path)
        assert restored.returncode == 0, restored.stderr
        assert state(target) == state(source)


def test_restore_refuses_a_database_or_archive_that_is_not_empty(
    backup: tuple[Place, Path], tmp_path: Path
) -> None:
    source, out = backup
    before = state(source)
    into_source = vakt("restore", str(out), env=source.env, cwd=tmp_path)
    assert into_source.returncode == 2
    assert "is not empty: restore only into an empty archive" in into_source.stderr
    kind = "sqlite" if source.url.startswith("sqlite") else "postgresql"
    with empty_place(kind, tmp_path / "target") as target:
        full_db = Place(source.url, target.data)  # an empty archive, the source's database
        refused = vakt("restore", str(out), env=full_db.env, cwd=tmp_path)
        assert refused.returncode == 2
        assert "is not empty: restore only into a new, empty database" in refused.stderr
        assert not target.archive.exists()
        target.archive.mkdir()
        (target.archive / "left-behind.png").write_bytes(b"x")
        refused = vakt("restore", str(out), env=target.env, cwd=tmp_path)
        assert refused.returncode == 2
        assert f"vakt: {target.archive} is not empty" in refused.stderr
        engine = sa.create_engine(target.url.replace("postgresql://", "postgresql+psycopg://"))
        assert not sa.inspect(engine).get_table_names()
        engine.dispose()
    assert state(source) == before


def test_a_file_that_no_longer_matches_its_row_stops_the_backup_and_leaves_nothing(
    sqlite_url: str, tmp_path: Path
) -> None:
    source = Place(sqlite_url, tmp_path / "data")
    archive_two_files(source)
    shot = next(p for p in sorted(source.archive.rglob("*.png")))
    shot.write_bytes(shot.read_bytes()[:-1] + b"\0")
    out = tmp_path / "backup"
    failed = vakt("backup", "--out", str(out), env=source.env, cwd=tmp_path)
    assert failed.returncode == 2
    assert failed.stderr.strip() == (
        f"vakt: {shot} does not match the SHA-256 and size recorded when it was archived"
    )
    assert not out.exists() and not list(tmp_path.glob(".backup.partial-*"))


def test_backup_refuses_a_directory_that_is_not_empty(sqlite_url: str, tmp_path: Path) -> None:
    source = Place(sqlite_url, tmp_path / "data")
    archive_two_files(source)
    out = tmp_path / "backup"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    refused = vakt("backup", "--out", str(out), env=source.env, cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        f"vakt: {out} is not empty: choose a new or empty backup directory"
    )
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_without_pg_dump_the_backup_says_which_tool_it_needs(
    clean_postgres_url: str, tmp_path: Path
) -> None:
    nothing = tmp_path / "bin"
    nothing.mkdir()
    env = {"DATABASE_URL": clean_postgres_url, "VAKT_DATA_DIR": str(tmp_path), "PATH": str(nothing)}
    failed = vakt("backup", "--out", str(tmp_path / "backup"), env=env, cwd=tmp_path)
    assert failed.returncode == 2
    assert failed.stderr.strip() == (
        "vakt: vakt backup on PostgreSQL needs pg_dump, which is not on PATH: install "
        "PostgreSQL's client tools (Debian, Ubuntu: apt install postgresql-client)"
    )
    assert not (tmp_path / "backup").exists()


# ---------------------------------------------------------------- the manifest, read


def manifest_of(**changes: Any) -> bytes:
    data: dict[str, Any] = {
        "format": "vakt-backup/1",
        "vakt_version": "0.1.0",
        "alembic_revision": head_revision(),
        "database": "sqlite",
        "database_file": "database/vakt.sqlite3",
        "taken_at": NOW.isoformat(),
        "archived_files": 0,
        "files": [{"path": "database/vakt.sqlite3", "sha256": "a" * 64, "size": 3}],
    }
    return json.dumps(data | changes).encode()


def test_a_whole_manifest_reads_back_as_it_was_written() -> None:
    manifest = parse_manifest(manifest_of())
    assert manifest.taken_at == NOW and manifest.database == "sqlite"
    assert parse_manifest(manifest.to_json()) == manifest


@pytest.mark.parametrize(
    "changes",
    [
        {"format": "vakt-export/1"},
        {"database": "oracle"},
        {"taken_at": "2026-11-23T09:00"},  # no offset: not an instant
        {"files": []},  # no database file
        {"files": [{"path": "database/vakt.sqlite3", "sha256": "A" * 64, "size": 3}]},
        {"files": [{"path": "database/vakt.sqlite3", "sha256": "a" * 64, "size": True}]},
        {"archived_files": "2"},
    ],
)
def test_a_manifest_that_is_not_whole_is_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(BackupError, match="manifest"):
        parse_manifest(manifest_of(**changes))


@pytest.mark.parametrize(
    "path", ["../outside.png", "/etc/passwd", "archive/../../x", "archive/./x", "a\\b"]
)
def test_a_manifest_naming_a_file_outside_the_backup_is_refused(path: str) -> None:
    files = [
        {"path": "database/vakt.sqlite3", "sha256": "a" * 64, "size": 3},
        {"path": path, "sha256": "b" * 64, "size": 1},
    ]
    with pytest.raises(BackupError, match="not a plain relative path"):
        parse_manifest(manifest_of(files=files))


def test_comparing_reads_a_file_only_when_its_size_is_right() -> None:
    manifest = parse_manifest(manifest_of())
    asked: list[str] = []

    def digest(path: str) -> str:
        asked.append(path)
        return "a" * 64

    assert compare(manifest, {"database/vakt.sqlite3": 3}, digest) == []
    assert compare(manifest, {"database/vakt.sqlite3": 4, "x": 1}, digest) == [
        Problem("database/vakt.sqlite3", "wrong size"),
        Problem("x", "extra"),
    ]
    assert asked == ["database/vakt.sqlite3"]
