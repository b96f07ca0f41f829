"""A public-records export for the municipality's archivist: deletions, snapshots, items and
the audit log of a period as CSV and JSON, with copies of every archived file and a manifest of
checksums that `sha256sum -c` and `verify_export` can check.

The same database gives the same bytes: rows in id order, fixed formats, no export timestamp,
file contents copied rather than trusted by mtime. An export is written into a sibling directory
and renamed into place at the end, so a failure never leaves half an export behind.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path, PurePosixPath
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.kernel.csvfile import csv_bytes
from bot.store.db import session_scope
from bot.store.models import Account, ArchivedFile, AuditLog, Deletion, Item, Snapshot

FORMAT = "vakt-export/1"
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
FILES = "files"
CHUNK = 1024 * 1024

DELETION_COLUMNS = (
    "id",
    "account",
    "account_name",
    "item_id",
    "deleted_at",
    "reason",
    "reason_text",
    "summary",
    "url",
    "approved_by",
    "registration_ref",
    "poster_notified",
    "archive_link",
    "logged_by",
    "logged_at",
    "completed_at",
    "evidence",
)
SNAPSHOT_COLUMNS = (
    "id",
    "account",
    "account_name",
    "kind",
    "taken_at",
    "recorded_by",
    "note",
    "archive_link",
    "files",
)
ITEM_COLUMNS = (
    "id",
    "account",
    "source",
    "external_id",
    "url",
    "received_at",
    "deadline",
    "status",
    "closed_by",
    "closed_at",
    "must_register",
    "registration_ref",
    "registered_by",
    "registered_at",
    "excerpt",
)
AUDIT_COLUMNS = ("id", "at", "actor", "action", "target", "before", "after")

Row = dict[str, Any]


class ExportError(Exception):
    """The export cannot be made or checked as asked; the message is one line for a person."""


@dataclass(frozen=True)
class ExportSummary:
    deletions: int
    snapshots: int
    items: int
    audit_log: int
    files: int  # archived files copied (their sidecars not counted)

    def counts(self) -> dict[str, int]:
        return {
            "deletions": self.deletions,
            "snapshots": self.snapshots,
            "items": self.items,
            "audit_log": self.audit_log,
            "files": self.files,
        }


@dataclass(frozen=True)
class Problem:
    path: str  # relative to the export directory, with forward slashes
    kind: Literal["changed", "missing", "unexpected"]


# ---------------------------------------------------------------- formats


def _period(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants [from, to) of the local calendar days start..end inclusive."""
    if start > end:
        raise ExportError(f"the period's first day {start} is after its last day {end}")
    first = datetime.combine(start, time(0), tzinfo=tz).astimezone(UTC)
    after = datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return first, after


def _instant(value: datetime | None, tz: ZoneInfo) -> str | None:
    return None if value is None else value.astimezone(tz).isoformat(timespec="seconds")


def _exported(path: str) -> str:
    return f"{FILES}/{path}"


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def _csv(columns: Sequence[str], rows: Iterable[Row]) -> bytes:
    """Comma-separated, with a citizen's "=HYPERLINK(...)" defused wherever a spreadsheet could
    begin a cell (the JSON keeps the exact text)."""
    return csv_bytes(columns, ([_csv_cell(row[name]) for name in columns] for row in rows))


def _json(data: Any) -> bytes:
    return (json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


# ---------------------------------------------------------------- rows


def _files_by_owner(
    session: Session, owner: Literal["deletion", "snapshot"], ids: list[int]
) -> dict[int, list[ArchivedFile]]:
    found: dict[int, list[ArchivedFile]] = {owner_id: [] for owner_id in ids}
    if not ids:
        return found
    column = ArchivedFile.deletion_id if owner == "deletion" else ArchivedFile.snapshot_id
    query = select(ArchivedFile).where(col(column).in_(ids)).order_by(col(ArchivedFile.id))
    for archived in session.exec(query).all():
        key = archived.deletion_id if owner == "deletion" else archived.snapshot_id
        assert key is not None
        found[key].append(archived)
    return found


def _deletions(
    session: Session, first: datetime, after: datetime, tz: ZoneInfo
) -> tuple[list[Row], list[ArchivedFile]]:
    query = (
        select(Deletion, Account)
        .join(Account, col(Deletion.account_id) == col(Account.id))
        .where(col(Deletion.deleted_at) >= first, col(Deletion.deleted_at) < after)
        .order_by(col(Deletion.id))
    )
    found = session.exec(query).all()
    files = _files_by_owner(session, "deletion", [d.id for d, _ in found if d.id is not None])
    rows: list[Row] = []
    archived: list[ArchivedFile] = []
    for deletion, account in found:
        assert deletion.id is not None
        evidence = files[deletion.id]
        archived.extend(evidence)
        rows.append(
            {
                "id": deletion.id,
                "account": account.key,
                "account_name": account.name,
                "item_id": deletion.item_id,
                "deleted_at": _instant(deletion.deleted_at, tz),
                "reason": deletion.reason,
                "reason_text": deletion.reason_text,
                "summary": deletion.summary,
                "url": deletion.url,
                "approved_by": deletion.approved_by,
                "registration_ref": deletion.registration_ref,
                "poster_notified": deletion.poster_notified,
                "archive_link": deletion.archive_link,
                "logged_by": deletion.logged_by,
                "logged_at": _instant(deletion.logged_at, tz),
                "completed_at": _instant(deletion.completed_at, tz),
                "evidence": [_exported(f.path) for f in evidence],
            }
        )
    return rows, archived


def _snapshots(
    session: Session, first: datetime, after: datetime, tz: ZoneInfo
) -> tuple[list[Row], list[ArchivedFile]]:
    query = (
        select(Snapshot, Account)
        .join(Account, col(Snapshot.account_id) == col(Account.id))
        .where(col(Snapshot.taken_at) >= first, col(Snapshot.taken_at) < after)
        .order_by(col(Snapshot.id))
    )
    found = session.exec(query).all()
    files = _files_by_owner(session, "snapshot", [s.id for s, _ in found if s.id is not None])
    rows: list[Row] = []
    archived: list[ArchivedFile] = []
    for snapshot, account in found:
        assert snapshot.id is not None
        kept = files[snapshot.id]
        archived.extend(kept)
        rows.append(
            {
                "id": snapshot.id,
                "account": account.key,
                "account_name": account.name,
                "kind": snapshot.kind,
                "taken_at": _instant(snapshot.taken_at, tz),
                "recorded_by": snapshot.recorded_by,
                "note": snapshot.note,
                "archive_link": snapshot.archive_link,
                "files": [_exported(f.path) for f in kept],
            }
        )
    return rows, archived


def _items(session: Session, first: datetime, after: datetime, tz: ZoneInfo) -> list[Row]:
    query = (
        select(Item, Account)
        .join(Account, col(Item.account_id) == col(Account.id))
        .where(col(Item.received_at) >= first, col(Item.received_at) < after)
        .order_by(col(Item.id))
    )
    return [
        {
            "id": item.id,
            "account": account.key,
            "source": item.source,
            "external_id": item.external_id,
            "url": item.url,
            "received_at": _instant(item.received_at, tz),
            "deadline": _instant(item.deadline, tz),
            "status": item.status,
            "closed_by": item.closed_by,
            "closed_at": _instant(item.closed_at, tz),
            "must_register": item.must_register,
            "registration_ref": item.registration_ref,
            "registered_by": item.registered_by,
            "registered_at": _instant(item.registered_at, tz),
            "excerpt": item.excerpt,
        }
        for item, account in session.exec(query).all()
    ]


def _audit(session: Session, first: datetime, after: datetime, tz: ZoneInfo) -> list[Row]:
    query = (
        select(AuditLog)
        .where(col(AuditLog.at) >= first, col(AuditLog.at) < after)
        .order_by(col(AuditLog.id))
    )
    return [
        {
            "id": entry.id,
            "at": _instant(entry.at, tz),
            "actor": entry.actor,
            "action": entry.action,
            "target": entry.target,
            "before": entry.before,  # JSON text as recorded, not re-encoded
            "after": entry.after,
        }
        for entry in session.exec(query).all()
    ]


def deletions_csv(session: Session, start: date, end: date, tz: ZoneInfo) -> bytes:
    """The deletions of the local days start..end as the export's `deletions.csv` bytes."""
    first, after = _period(start, end, tz)
    rows, _ = _deletions(session, first, after, tz)
    return _csv(DELETION_COLUMNS, rows)


# ---------------------------------------------------------------- files


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _safe_relative(text: str) -> PurePosixPath:
    """An archive path that stays inside the archive and fits one SHA256SUMS line."""
    relative = PurePosixPath(text)
    if (
        not text
        or relative.is_absolute()
        or ".." in relative.parts
        or any(ch in text for ch in "\\\n\r")
    ):
        raise ExportError(f"archived file path {text!r} is not a plain relative path")
    return relative


def _copy_archived(archive_dir: Path, target: Path, archived: ArchivedFile) -> None:
    """Copy one archived file and its sidecar, refusing what is missing or no longer matches."""
    relative = _safe_relative(archived.path)
    source = archive_dir.joinpath(*relative.parts)
    sidecar = source.with_name(source.name + ".json")
    for path in (source, sidecar):
        if not path.is_file():
            raise ExportError(f"archived file {path} is missing from the archive")
    if source.stat().st_size != archived.size or _sha256(source) != archived.sha256:
        raise ExportError(
            f"archived file {source} no longer matches the checksum recorded when it was archived"
        )
    copy = target.joinpath(FILES, *relative.parts)
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, copy)
    shutil.copyfile(sidecar, copy.with_name(copy.name + ".json"))


def _listed(directory: Path) -> list[str]:
    """Every regular file under the directory except the manifest and checksum list, sorted."""
    found = (
        path.relative_to(directory).as_posix() for path in directory.rglob("*") if path.is_file()
    )
    return sorted(name for name in found if name not in (MANIFEST, SUMS))


def _sums(entries: Iterable[dict[str, Any]]) -> bytes:
    return "".join(f"{e['sha256']}  {e['path']}\n" for e in entries).encode()


def _out_is_usable(out: Path) -> None:
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise ExportError(f"{out} exists and is not a directory: choose a new export directory")
    if out.is_dir() and any(out.iterdir()):
        raise ExportError(f"{out} is not empty: choose a new or empty export directory")


Table = tuple[str, Sequence[str], list[Row]]


def _write(
    archive_dir: Path, out: Path, archived: list[ArchivedFile], tables: list[Table], head: Row
) -> None:
    """Write everything into a sibling directory, then rename it to `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.parent / f".{out.name}.partial-{secrets.token_hex(4)}"
    temp.mkdir()
    try:
        for file in archived:
            _copy_archived(archive_dir, temp, file)
        for name, columns, rows in tables:
            (temp / f"{name}.csv").write_bytes(_csv(columns, rows))
            (temp / f"{name}.json").write_bytes(_json(rows))
        entries = [
            {"path": name, "sha256": _sha256(temp / name), "size": (temp / name).stat().st_size}
            for name in _listed(temp)
        ]
        (temp / MANIFEST).write_bytes(_json({**head, "files": entries}))
        (temp / SUMS).write_bytes(_sums(entries))
        _out_is_usable(out)  # someone may have written there meanwhile
        if out.is_dir():
            out.rmdir()
        temp.rename(out)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


def export_archive(
    engine: Engine, archive_dir: Path, out: Path, start: date, end: date, tz: ZoneInfo
) -> ExportSummary:
    """Export the local days start..end into `out`, which must not exist or be empty."""
    first, after = _period(start, end, tz)
    _out_is_usable(out)
    if engine.dialect.name == "postgresql":
        # One snapshot of the database for every table, even while the bot keeps writing.
        engine = engine.execution_options(isolation_level="REPEATABLE READ")
    with session_scope(engine) as session:
        deletions, evidence = _deletions(session, first, after, tz)
        snapshots, kept = _snapshots(session, first, after, tz)
        items = _items(session, first, after, tz)
        audit = _audit(session, first, after, tz)
    summary = ExportSummary(
        deletions=len(deletions),
        snapshots=len(snapshots),
        items=len(items),
        audit_log=len(audit),
        files=len(evidence) + len(kept),
    )
    tables: list[Table] = [
        ("deletions", DELETION_COLUMNS, deletions),
        ("snapshots", SNAPSHOT_COLUMNS, snapshots),
        ("items", ITEM_COLUMNS, items),
        ("audit_log", AUDIT_COLUMNS, audit),
    ]
    head = {
        "format": FORMAT,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "counts": summary.counts(),
    }
    try:
        _write(archive_dir, out, [*evidence, *kept], tables, head)
    except OSError as exc:
        raise ExportError(f"cannot write the export to {out}: {exc.strerror or exc}") from None
    return summary


# ---------------------------------------------------------------- verification


def _manifest_entries(directory: Path) -> list[dict[str, Any]]:
    path = directory / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExportError(f"{path} is missing: {directory} is not a Vakt export") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportError(f"{path} cannot be read: {exc}") from None
    entries = manifest.get("files") if isinstance(manifest, dict) else None
    valid = (
        isinstance(manifest, dict)
        and manifest.get("format") == FORMAT
        and isinstance(entries, list)
        and all(
            isinstance(e, dict)
            and isinstance(e.get("path"), str)
            and isinstance(e.get("sha256"), str)
            and isinstance(e.get("size"), int)
            for e in entries
        )
    )
    if not valid or entries is None:
        raise ExportError(f"{path} is not a {FORMAT} manifest")
    for entry in entries:
        try:
            _safe_relative(entry["path"])
        except ExportError:
            raise ExportError(f"{path} names a file outside the export: {entry['path']}") from None
    return entries


def verify_export(directory: Path) -> list[Problem]:
    """What differs between an export directory and its manifest; empty when all is intact."""
    entries = _manifest_entries(directory)
    try:
        return _compare(directory, entries)
    except OSError as exc:
        raise ExportError(f"cannot read {directory}: {exc}") from None


def _compare(directory: Path, entries: list[dict[str, Any]]) -> list[Problem]:
    problems: list[Problem] = []
    for entry in entries:
        path = directory / entry["path"]
        if not path.is_file():
            problems.append(Problem(entry["path"], "missing"))
        elif path.stat().st_size != entry["size"] or _sha256(path) != entry["sha256"]:
            problems.append(Problem(entry["path"], "changed"))
    # SHA256SUMS repeats the manifest for standard tools: it must agree with it.
    sums = directory / SUMS
    if not sums.is_file():
        problems.append(Problem(SUMS, "missing"))
    elif sums.read_bytes() != _sums(entries):
        problems.append(Problem(SUMS, "changed"))
    listed = {entry["path"] for entry in entries}
    problems.extend(
        Problem(name, "unexpected") for name in _listed(directory) if name not in listed
    )
    return sorted(problems, key=lambda p: (p.path, p.kind))


def manifest_files(directory: Path) -> list[str]:
    """The paths an export's manifest lists (manifest.json and SHA256SUMS not included)."""
    return [entry["path"] for entry in _manifest_entries(directory)]
