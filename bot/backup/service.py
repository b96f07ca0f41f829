"""Taking, checking and restoring a backup: the database and the archive files on disk.

Consistency while the bot runs: an archived file is written to disk before the row that names
it is committed (`bot.archive.files.store`), and never changed afterwards. So the database is
copied first, at one instant (SQLite's online backup in one step; on PostgreSQL one exported
snapshot that both `pg_dump` and the read of `archived_file` use), and then exactly the files
the copy's `archived_file` rows name are copied, each checked against its row's SHA-256. Files
that arrive meanwhile belong to a later backup. The backup is written into a hidden sibling
directory and renamed into place at the end: a directory with that name is always whole.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from bot.backup.core import (
    ARCHIVE,
    DATABASE_FILES,
    MANIFEST,
    BackupError,
    Entry,
    Kind,
    Manifest,
    Problem,
    Row,
    archive_entry,
    compare,
    database_kind,
    libpq_target,
    parse_manifest,
    safe_relative,
    sidecar_of,
    sqlite_path,
    unmatched,
)
from bot.store.db import current_revision, known_revisions, make_engine

CHUNK = 1024 * 1024
TOOL_TIMEOUT = 6 * 60 * 60  # seconds pg_dump or pg_restore may take before it is given up
CLIENT_TOOLS = "install PostgreSQL's client tools (Debian, Ubuntu: apt install postgresql-client)"


@dataclass(frozen=True)
class Taken:
    out: Path
    manifest: Manifest
    manifest_sha256: str


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    revision: str  # the restored database's


# ---------------------------------------------------------------- files


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _copy(source: Path, target: Path) -> Entry:
    """Copy one file, flushed to disk; the entry of what was written (its path: the target's
    name, to be set by the caller)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as reading, target.open("xb") as writing:
        while chunk := reading.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            writing.write(chunk)
        writing.flush()
        os.fsync(writing.fileno())
    return Entry(target.name, digest.hexdigest(), size)


def _copy_checked(source: Path, target: Path, path: str, sha256: str, size: int) -> Entry:
    """Copy a file that must have the given SHA-256 and size, or refuse naming it."""
    if not source.is_file():
        raise BackupError(f"{source} is missing, though the database names it ({path})")
    copied = _copy(source, target)
    if (copied.sha256, copied.size) != (sha256, size):
        raise BackupError(
            f"{source} does not match the SHA-256 and size recorded when it was archived"
        )
    return Entry(path, sha256, size)


def _present(directory: Path) -> dict[str, int]:
    """Every file under the directory but the manifest: its path and size."""
    found = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file() or path.is_symlink():
            name = path.relative_to(directory).as_posix()
            if name != MANIFEST:
                found[name] = path.stat().st_size if path.is_file() else -1
    return found


def _usable_out(out: Path) -> None:
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise BackupError(f"{out} exists and is not a directory: choose a new backup directory")
    if out.is_dir() and any(out.iterdir()):
        raise BackupError(f"{out} is not empty: choose a new or empty backup directory")


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _staging(target: Path, purpose: str) -> Iterator[Path]:
    """A hidden sibling of `target` to write into, removed unless the caller renamed it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.parent / f".{target.name}.{purpose}-{secrets.token_hex(4)}"
    temp.mkdir()
    try:
        yield temp
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def _move_into_place(temp: Path, target: Path) -> None:
    if target.is_dir():
        target.rmdir()  # empty, checked before; fails loudly if someone wrote there meanwhile
    temp.rename(target)
    _fsync_directory(target.parent)


# ---------------------------------------------------------------- taking a backup


def take_backup(
    database_url: str, archive_dir: Path, out: Path, *, now: datetime, version: str
) -> Taken:
    """Back up the database and the archive files it names into `out` (new or empty)."""
    _usable_out(out)
    kind = database_kind(database_url)
    with _staging(out, "partial") as temp:
        database = temp / DATABASE_FILES[kind]
        database.parent.mkdir(parents=True)
        if kind == "sqlite":
            revision, rows = _copy_sqlite(sqlite_path(database_url), database)
        else:
            revision, rows = _dump_postgresql(database_url, database)
        entries = [Entry(DATABASE_FILES[kind], sha256_of(database), database.stat().st_size)]
        for row in rows:
            path = safe_relative(row.path)
            source = archive_dir.joinpath(*path.parts)
            target = temp / archive_entry(row.path)
            entries.append(
                _copy_checked(source, target, archive_entry(row.path), row.sha256, row.size)
            )
            sidecar = source.with_name(source.name + ".json")
            if not sidecar.is_file():
                raise BackupError(f"{sidecar} is missing: the sidecar of {source}")
            copied = _copy(sidecar, target.with_name(target.name + ".json"))
            entries.append(Entry(sidecar_of(archive_entry(row.path)), copied.sha256, copied.size))
        manifest = Manifest(
            version=version,
            revision=revision,
            database=kind,
            taken_at=now,
            archived_files=len(rows),
            files=tuple(entries),
        )
        data = manifest.to_json()
        with (temp / MANIFEST).open("xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        _usable_out(out)  # someone may have written there meanwhile
        _move_into_place(temp, out)
    return Taken(out, manifest, hashlib.sha256(data).hexdigest())


def _copy_sqlite(path: str, target: Path) -> tuple[str, list[Row]]:
    """Copy the SQLite database at one instant (the online backup in a single step holds one
    read transaction; writers carry on under WAL) into a standalone file."""
    if not Path(path).is_file():
        raise BackupError(f"there is no database at {path}: check DATABASE_URL or VAKT_DATA_DIR")
    source = sqlite3.connect(path, timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
        found = _read_copy(copy, path)
    finally:
        copy.close()
        source.close()
    with target.open("rb+") as handle:
        os.fsync(handle.fileno())
    return found


def _read_copy(copy: sqlite3.Connection, where: str) -> tuple[str, list[Row]]:
    tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not {"alembic_version", "archived_file"} <= tables:
        raise BackupError(f"the database at {where} holds no Vakt schema: run `vakt migrate`")
    (revision,) = copy.execute("SELECT version_num FROM alembic_version").fetchone()
    rows = [
        Row(path, sha256, size)
        for path, sha256, size in copy.execute(
            "SELECT path, sha256, size FROM archived_file ORDER BY id"
        )
    ]
    return str(revision), rows


def _tool(name: str, verb: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"vakt {verb} on PostgreSQL needs {name}, which is not on PATH: {CLIENT_TOOLS}"
        )
    return found


def _tool_env(password: str | None) -> dict[str, str]:
    # Handed to the tool, not read by Vakt: PGPASSWORD is no setting of Vakt's.
    handed = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if password is not None:
        handed["PGPASSWORD"] = password
    return handed


def _run_tool(command: list[str], password: str | None) -> None:
    """Run pg_dump or pg_restore; its first line of complaint when it fails."""
    name = Path(command[0]).name
    try:
        result = subprocess.run(  # noqa: S603 - a fixed tool, arguments as a list
            command,
            env=_tool_env(password),
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BackupError(f"{name} took more than {TOOL_TIMEOUT // 3600} hours: given up") from None
    if result.returncode != 0:
        lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
        said = lines[0] if lines else f"exit code {result.returncode}"
        raise BackupError(f"{name} failed: {said}")


def _dump_postgresql(url: str, target: Path) -> tuple[str, list[Row]]:
    """pg_dump of one exported snapshot, and the archived_file rows of that same snapshot."""
    pg_dump = _tool("pg_dump", "backup")
    dbname, password = libpq_target(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
                present = conn.execute(
                    sa.text(
                        "SELECT to_regclass('alembic_version') IS NOT NULL "
                        "AND to_regclass('archived_file') IS NOT NULL"
                    )
                ).scalar_one()
                if not present:
                    raise BackupError("the database holds no Vakt schema: run `vakt migrate`")
                revision = conn.execute(
                    sa.text("SELECT version_num FROM alembic_version")
                ).scalar_one()
                rows = [
                    Row(path, sha256, size)
                    for path, sha256, size in conn.execute(
                        sa.text("SELECT path, sha256, size FROM archived_file ORDER BY id")
                    )
                ]
                # The snapshot lives as long as this transaction: pg_dump runs inside it.
                _run_tool(
                    [
                        pg_dump,
                        "--format=custom",
                        f"--snapshot={snapshot}",
                        f"--file={target}",
                        f"--dbname={dbname}",
                    ],
                    password,
                )
                return str(revision), rows
    finally:
        engine.dispose()


# ---------------------------------------------------------------- checking a backup


def read_manifest(directory: Path) -> Manifest:
    if not directory.is_dir():
        raise BackupError(f"{directory} is not a directory")
    path = directory / MANIFEST
    if not path.is_file():
        raise BackupError(f"{path} is missing: {directory} is not a whole Vakt backup")
    try:
        return parse_manifest(path.read_bytes())
    except BackupError as exc:
        raise BackupError(f"{directory}: {exc}") from None


def verify_backup(directory: Path) -> tuple[Manifest, list[Problem]]:
    """The manifest, and what differs between it and the files: empty when all is whole."""
    manifest = read_manifest(directory)
    try:
        problems = compare(manifest, _present(directory), lambda p: sha256_of(directory / p))
    except OSError as exc:
        raise BackupError(f"cannot read {directory}: {exc.strerror or exc}") from None
    return manifest, problems


# ---------------------------------------------------------------- restoring a backup


class Refused(BackupError):
    """The backup does not match its manifest: nothing was restored."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("the backup does not match its manifest: nothing was restored")
        self.problems = problems


def restore_backup(directory: Path, database_url: str, archive_dir: Path) -> Restored:
    """Restore a whole backup into an empty database and an empty archive directory."""
    manifest, problems = verify_backup(directory)
    if problems:
        raise Refused(problems)
    kind = database_kind(database_url)
    if kind != manifest.database:
        raise BackupError(
            f"the backup is of a {_name(manifest.database)} database and DATABASE_URL names "
            f"{_name(kind)}: restore into the kind it was taken from"
        )
    if manifest.revision not in known_revisions():
        raise BackupError(
            f"the backup's database is at revision {manifest.revision}, which this Vakt does not "
            f"know: restore it with Vakt {manifest.version} or newer"
        )
    if archive_dir.is_symlink() or (archive_dir.exists() and not archive_dir.is_dir()):
        raise BackupError(f"{archive_dir} is not a directory: VAKT_ARCHIVE_DIR must name one")
    if archive_dir.is_dir() and any(archive_dir.iterdir()):
        raise BackupError(f"{archive_dir} is not empty: restore only into an empty archive")
    if kind == "postgresql":
        _tool("pg_restore", "restore")
    _refuse_unless_empty(database_url, kind)
    with _staging(archive_dir, "restoring") as staged:
        for entry in manifest.files:
            if not entry.path.startswith(f"{ARCHIVE}/"):
                continue
            relative = safe_relative(entry.path.removeprefix(f"{ARCHIVE}/"))
            _copy_checked(
                directory / entry.path,
                staged.joinpath(*relative.parts),
                entry.path,
                entry.sha256,
                entry.size,
            )
        if kind == "sqlite":
            _restore_sqlite(directory, manifest, Path(sqlite_path(database_url)))
        else:
            _restore_postgresql(directory / manifest.database_file, database_url)
        _move_into_place(staged, archive_dir)
    return Restored(manifest, _check_restored(database_url, manifest))


def _name(kind: Kind) -> str:
    return "an SQLite" if kind == "sqlite" else "a PostgreSQL"


def _refuse_unless_empty(url: str, kind: Kind) -> None:
    if kind == "sqlite":
        path = Path(sqlite_path(url))
        for leftover in (Path(f"{path}-wal"), Path(f"{path}-journal")):
            if leftover.exists():
                raise BackupError(f"{leftover} exists: restore only into a new, empty database")
        if not path.exists():
            return
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        except sqlite3.DatabaseError:
            tables = None
        finally:
            conn.close()
        if tables != 0:
            raise BackupError(f"{path} is not empty: restore only into a new, empty database")
        return
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            tables = connection.execute(
                sa.text(
                    "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') "
                    "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                    "AND n.nspname NOT LIKE 'pg_toast%'"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    if tables:
        raise BackupError(
            "the database DATABASE_URL names is not empty: restore only into a new, empty "
            "database (createdb)"
        )


def _restore_sqlite(directory: Path, manifest: Manifest, path: Path) -> None:
    entry = manifest.entry(manifest.database_file)
    assert entry is not None  # parse_manifest requires it
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.restoring-{secrets.token_hex(4)}")
    try:
        _copy_checked(directory / entry.path, temp, entry.path, entry.sha256, entry.size)
        os.replace(temp, path)
        _fsync_directory(path.parent)
    finally:
        temp.unlink(missing_ok=True)


def _restore_postgresql(dump: Path, url: str) -> None:
    dbname, password = libpq_target(url)
    _run_tool(
        [
            _tool("pg_restore", "restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={dbname}",
            str(dump),
        ],
        password,
    )


def _check_restored(url: str, manifest: Manifest) -> str:
    """The restored database is at the backup's revision and names exactly the files restored."""
    engine = make_engine(url)
    try:
        revision = current_revision(engine)
        with engine.connect() as connection:
            rows = [
                Row(path, sha256, size)
                for path, sha256, size in connection.execute(
                    sa.text("SELECT path, sha256, size FROM archived_file ORDER BY id")
                )
            ]
    finally:
        engine.dispose()
    if revision != manifest.revision:
        raise BackupError(
            f"the restored database is at revision {revision or 'empty'}, the backup says "
            f"{manifest.revision}"
        )
    wrong = unmatched(rows, manifest)
    if wrong or len(rows) != manifest.archived_files:
        raise BackupError(
            f"the restored database names archived files the backup does not hold as recorded: "
            f"{', '.join(wrong[:3]) or f'{len(rows)} rows, not {manifest.archived_files}'}"
        )
    return revision
