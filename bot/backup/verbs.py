"""`vakt backup --out DIR`, `vakt backup --verify DIR` and `vakt restore DIR`: what they print
and their exit codes (0 done, 1 a backup that does not match its manifest; a refusal is a
BackupError, one line and exit 2)."""

from __future__ import annotations

import logging
import sys
from datetime import datetime
from pathlib import Path

from bot.backup.core import BackupError, Manifest
from bot.backup.service import Refused, restore_backup, take_backup, verify_backup
from bot.settings import Settings, redact_url
from bot.store.db import head_revision


def _quiet_alembic() -> None:
    # Alembic announces every look at the revision; stderr is for the one line that matters.
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)


def _about(manifest: Manifest) -> str:
    kind = "SQLite" if manifest.database == "sqlite" else "PostgreSQL"
    return (
        f"{kind} database at {manifest.revision}, {manifest.archived_files} archived file(s), "
        f"taken {manifest.taken_at.isoformat(timespec='seconds')} by vakt {manifest.version}"
    )


def backup(
    settings: Settings | None, *, out: str | None, verify: str | None, now: datetime, version: str
) -> int:
    """Take a backup into `out`, or check the one in `verify`."""
    if verify and out:
        raise BackupError("--verify DIR checks a backup and takes no --out")
    if verify:
        manifest, problems = verify_backup(Path(verify))
        for problem in problems:
            print(f"{problem.kind}: {problem.path}")
        if problems:
            print(f"{verify}: {len(problems)} file(s) do not match the manifest", file=sys.stderr)
            return 1
        print(f"OK: {len(manifest.files)} file(s) match the manifest ({_about(manifest)})")
        return 0
    if not out or settings is None:
        raise BackupError("backup needs --out DIR, a new or empty directory (or --verify DIR)")
    _quiet_alembic()
    taken = take_backup(
        settings.database_url, settings.archive_dir, Path(out), now=now, version=version
    )
    print(f"backed up {redact_url(settings.database_url)} and {settings.archive_dir} into {out}")
    print(f"  {_about(taken.manifest)}")
    print(f"  manifest.json SHA-256 {taken.manifest_sha256}")
    return 0


def restore(settings: Settings, directory: str) -> int:
    """Restore the backup in `directory` into the empty database and archive `settings` name."""
    _quiet_alembic()
    try:
        restored = restore_backup(Path(directory), settings.database_url, settings.archive_dir)
    except Refused as refused:
        for problem in refused.problems:
            print(f"{problem.kind}: {problem.path}", file=sys.stderr)
        print(f"vakt: {directory}: {refused}", file=sys.stderr)
        return 1
    print(
        f"restored {directory} into {redact_url(settings.database_url)} and {settings.archive_dir}"
    )
    print(f"  {_about(restored.manifest)}")
    head = head_revision()
    if restored.revision != head:
        print(f"  the database is at {restored.revision}: `vakt migrate` brings it to {head}")
    return 0
