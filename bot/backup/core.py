"""What a backup is, as data: its layout, its manifest, and how a directory is judged against
that manifest. No database and no clock here; reading files is the caller's part (`digest`).

A backup directory holds

    manifest.json             this module's `Manifest`, written last
    database/vakt.sqlite3     SQLite: a copy made with SQLite's online backup
    database/vakt.pgdump      PostgreSQL: `pg_dump --format=custom`
    archive/<path>            each archived file the copied database names, and its .json sidecar
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any, Literal

import sqlalchemy as sa

FORMAT = "vakt-backup/1"
MANIFEST = "manifest.json"
ARCHIVE = "archive"
SIDECAR = ".json"
DATABASE_FILES = {"sqlite": "database/vakt.sqlite3", "postgresql": "database/vakt.pgdump"}

Kind = Literal["sqlite", "postgresql"]
ProblemKind = Literal["missing", "extra", "changed", "wrong size"]


class BackupError(Exception):
    """A backup cannot be taken, checked or restored as asked; the message is one line for a
    person."""


@dataclass(frozen=True)
class Entry:
    """One file of a backup: its path inside the backup (forward slashes), SHA-256 and size."""

    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Manifest:
    version: str  # Vakt's version that took the backup
    revision: str  # the Alembic revision of the copied database
    database: Kind
    taken_at: datetime  # when the database was copied
    archived_files: int  # rows of archived_file in the copied database
    files: tuple[Entry, ...]

    @property
    def database_file(self) -> str:
        return DATABASE_FILES[self.database]

    def to_json(self) -> bytes:
        data = {
            "format": FORMAT,
            "vakt_version": self.version,
            "alembic_revision": self.revision,
            "database": self.database,
            "database_file": self.database_file,
            "taken_at": self.taken_at.isoformat(),
            "archived_files": self.archived_files,
            "files": [{"path": e.path, "sha256": e.sha256, "size": e.size} for e in self.files],
        }
        return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()

    def entry(self, path: str) -> Entry | None:
        return next((e for e in self.files if e.path == path), None)


def _is_sha256(value: Any) -> bool:
    return (
        isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)
    )


def parse_manifest(data: bytes) -> Manifest:
    """The manifest in `data`; BackupError when it is not a whole vakt-backup/1 manifest."""
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BackupError(f"{MANIFEST} is not JSON") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise BackupError(f"{MANIFEST} is not a {FORMAT} manifest")
    entries = raw.get("files")
    database = raw.get("database")
    try:
        taken_at = datetime.fromisoformat(str(raw.get("taken_at")))
    except ValueError:
        taken_at = None
    fields_ok = (
        isinstance(raw.get("vakt_version"), str)
        and isinstance(raw.get("alembic_revision"), str)
        and raw["alembic_revision"]
        and database in DATABASE_FILES
        and taken_at is not None
        and taken_at.tzinfo is not None
        and isinstance(raw.get("archived_files"), int)
        and isinstance(entries, list)
        and all(
            isinstance(e, dict)
            and isinstance(e.get("path"), str)
            and _is_sha256(e.get("sha256"))
            and isinstance(e.get("size"), int)
            and not isinstance(e.get("size"), bool)
            and e["size"] >= 0
            for e in entries
        )
    )
    if not fields_ok or taken_at is None or not isinstance(entries, list):
        raise BackupError(f"{MANIFEST} is not a whole {FORMAT} manifest")
    files = tuple(Entry(e["path"], e["sha256"], e["size"]) for e in entries)
    for entry in files:
        safe_relative(entry.path)
    paths = [e.path for e in files]
    if len(set(paths)) != len(paths) or MANIFEST in paths:
        raise BackupError(f"{MANIFEST} lists a file twice")
    kind: Kind = "sqlite" if database == "sqlite" else "postgresql"
    if DATABASE_FILES[kind] not in paths:
        raise BackupError(f"{MANIFEST} lists no {DATABASE_FILES[kind]}")
    return Manifest(
        version=raw["vakt_version"],
        revision=raw["alembic_revision"],
        database=kind,
        taken_at=taken_at,
        archived_files=raw["archived_files"],
        files=files,
    )


def safe_relative(text: str) -> PurePosixPath:
    """A path that stays inside the directory it is relative to."""
    relative = PurePosixPath(text)
    if (
        not text
        or relative.is_absolute()
        or ".." in relative.parts
        or "." in text.split("/")
        or any(ch in text for ch in "\\\n\r\0")
    ):
        raise BackupError(f"{text!r} is not a plain relative path")
    return relative


def archive_entry(path: str) -> str:
    """Where an archived file (by its archive_file.path) is kept in a backup."""
    return f"{ARCHIVE}/{safe_relative(path).as_posix()}"


def sidecar_of(path: str) -> str:
    return path + SIDECAR


@dataclass(frozen=True)
class Problem:
    path: str  # inside the backup, forward slashes
    kind: ProblemKind


def compare(
    manifest: Manifest, present: Mapping[str, int], digest: Callable[[str], str]
) -> list[Problem]:
    """What differs between the manifest and the files `present` (path: size, manifest.json
    left out); `digest(path)` reads one file's SHA-256, asked only when its size is right."""
    problems: list[Problem] = []
    for entry in manifest.files:
        size = present.get(entry.path)
        if size is None:
            problems.append(Problem(entry.path, "missing"))
        elif size != entry.size:
            problems.append(Problem(entry.path, "wrong size"))
        elif digest(entry.path) != entry.sha256:
            problems.append(Problem(entry.path, "changed"))
    listed = {entry.path for entry in manifest.files}
    problems.extend(Problem(path, "extra") for path in present if path not in listed)
    return sorted(problems, key=lambda p: (p.path, p.kind))


@dataclass(frozen=True)
class Row:
    """An archived_file row as a backup needs it."""

    path: str
    sha256: str
    size: int


def unmatched(rows: Iterable[Row], manifest: Manifest) -> list[str]:
    """The archived files a database names that the backup does not hold as recorded."""
    wrong = []
    for row in rows:
        entry = manifest.entry(archive_entry(row.path))
        if entry is None or entry.sha256 != row.sha256 or entry.size != row.size:
            wrong.append(row.path)
        elif manifest.entry(sidecar_of(archive_entry(row.path))) is None:
            wrong.append(sidecar_of(row.path))
    return wrong


def database_kind(url: str) -> Kind:
    """Which database a DATABASE_URL names."""
    if url.startswith("sqlite"):
        return "sqlite"
    if url.startswith(("postgresql", "postgres")):
        return "postgresql"
    raise BackupError(f"DATABASE_URL names a database Vakt cannot back up: {url.split(':')[0]}")


def sqlite_path(url: str) -> str:
    """The file of an SQLite DATABASE_URL."""
    path = url.split("///", 1)[1] if "///" in url else ""
    if not path or path == ":memory:" or path.startswith("file:"):
        raise BackupError(
            "DATABASE_URL names no SQLite file: only a database file can be backed up"
        )
    return path.split("?", 1)[0]


def libpq_target(url: str) -> tuple[str, str | None]:
    """The PostgreSQL URL as pg_dump and pg_restore take it (no driver name, no password) and
    the password, which goes to them in PGPASSWORD rather than on a command line others see."""
    parsed = sa.engine.make_url(url)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), parsed.password
