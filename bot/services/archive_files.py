"""Files into the archive: fetched from Slack with the bot token, checked, kept on disk under a
name that cannot collide, with a JSON sidecar, and recorded in the database.

A file shared with Vakt is first recorded as a fetch (so it is not lost if the download fails),
then fetched at once; a failed download is retried by the sweep with backoff and reported to
whoever shared it when it keeps failing. A file that is not an image or PDF, or too big, is
refused with a message and nothing is stored.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.core import archive as core
from bot.core.errors import UserInputError
from bot.services.outbox import Message, enqueue
from bot.services.store import audit
from bot.slack.gateway import SlackSendError
from bot.store.db import session_scope
from bot.store.models import Account, ArchivedFile, Deletion, FileFetch, Snapshot

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6  # then the download is reported as failed
CHUNK = 64 * 1024


@dataclass(frozen=True)
class SlackFile:
    """What Slack tells about a shared file (files.info, a file_share event, a file input)."""

    id: str
    name: str
    mimetype: str | None
    size: int | None
    url: str | None  # url_private_download, else url_private
    user: str | None
    created: datetime | None = None  # when it was uploaded to Slack

    @classmethod
    def of(cls, data: dict[str, Any]) -> SlackFile:
        size = data.get("size")
        created = data.get("created")
        return cls(
            id=str(data.get("id") or "")[:20],
            name=core.clean_name(str(data.get("name") or data.get("title") or "file")),
            mimetype=str(data["mimetype"]) if data.get("mimetype") else None,
            size=size if isinstance(size, int) and not isinstance(size, bool) else None,
            url=str(data.get("url_private_download") or data.get("url_private") or "") or None,
            user=str(data["user"]) if data.get("user") else None,
            created=datetime.fromtimestamp(created, UTC)
            if isinstance(created, int) and not isinstance(created, bool) and created > 0
            else None,
        )


def check_declared(rules: core.ArchiveRules, file: SlackFile) -> None:
    """Refuse, before fetching, a file Slack already says is not kept (type) or too big."""
    if core.declared_type(file.mimetype) is None:
        raise UserInputError("error.file_type", name=file.name[:80])
    if file.size is not None and file.size > rules.max_bytes:
        raise UserInputError("error.file_too_big", name=file.name[:80], max=rules.max_file_mb)


class DownloadError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class Slack(Protocol):
    def file_info(self, file_id: str) -> dict[str, Any]: ...


Downloader = Callable[[str, int], bytes]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is answered as the HTTP error it is


_OPENER = urllib.request.build_opener(_NoRedirect)


def slack_downloader(token: str | None, api_url: str) -> Downloader:
    """Download a private Slack file with the bot token, at most `limit` bytes.

    The token goes only to Slack's own hosts (files.slack.com, or the configured API host for
    a stand-in), never to whatever URL an event names."""
    allowed = {"files.slack.com", urlsplit(api_url).hostname or "slack.com"}

    def download(url: str, limit: int) -> bytes:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or parts.hostname not in allowed:
            raise DownloadError("untrusted_host")
        if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost"):
            raise DownloadError("untrusted_host")
        # Schemes and hosts are checked above; redirects are not followed, so the token is
        # never forwarded to another host.
        request = urllib.request.Request(  # noqa: S310
            url, headers={"Authorization": f"Bearer {token}"}
        )
        try:
            with _OPENER.open(request, timeout=30) as response:
                if "text/html" in (response.headers.get("Content-Type") or ""):
                    raise DownloadError("login_page")  # Slack's answer to a missing scope
                chunks: list[bytes] = []
                total = 0
                while chunk := response.read(CHUNK):
                    total += len(chunk)
                    if total > limit:
                        raise DownloadError("too_big")
                    chunks.append(chunk)
                return b"".join(chunks)
        except urllib.error.HTTPError as exc:
            raise DownloadError(f"http_{exc.code}") from None
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            raise DownloadError(type(exc).__name__) from None

    return download


# ---------------------------------------------------------------- the archive directory


def _write_atomically(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def store(
    archive_dir: Path,
    content: bytes,
    content_type: str,
    *,
    owner: str,
    owner_id: int,
    account: str,
    file: SlackFile,
    uploaded_by: str,
    uploaded_at: datetime,
    archived_at: datetime,
) -> ArchivedFile:
    """Write the file and its sidecar (each atomically); return the row to record."""
    digest = hashlib.sha256(content).hexdigest()
    relative = core.archive_path(owner, owner_id, file.id, digest, content_type, archived_at.date())
    sidecar = {
        "sha256": digest,
        "size": len(content),
        "original_name": file.name,
        "content_type": content_type,
        "slack_file_id": file.id,
        "uploaded_by": uploaded_by,
        "uploaded_at": uploaded_at.isoformat(),
        "archived_at": archived_at.isoformat(),
        owner: owner_id,
        "account": account,
    }
    target = archive_dir / relative
    _write_atomically(target, content)
    _write_atomically(
        target.with_name(target.name + ".json"),
        (json.dumps(sidecar, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode(),
    )
    return ArchivedFile(
        path=relative,
        sha256=digest,
        size=len(content),
        original_name=file.name,
        content_type=content_type,
        slack_file_id=file.id,
        uploaded_by=uploaded_by,
        uploaded_at=uploaded_at,
        archived_at=archived_at,
    )


# ---------------------------------------------------------------- fetches


def record_fetch(
    session: Session,
    file_id: str,
    target: str,
    uploaded_by: str,
    now: datetime,
    *,
    channel: str | None = None,
    thread_ts: str | None = None,
) -> FileFetch | None:
    """Remember a file to archive for a deletion or snapshot; None when already recorded (an
    event delivered twice)."""
    found = session.exec(
        select(FileFetch).where(FileFetch.slack_file_id == file_id, FileFetch.target == target)
    ).first()
    if found is not None:
        return None
    fetch = FileFetch(
        slack_file_id=file_id[:20],
        target=target,
        uploaded_by=uploaded_by[:40],
        channel=channel,
        thread_ts=thread_ts,
        next_attempt_at=now,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(fetch)
    except sa.exc.IntegrityError:
        return None
    return fetch


def record_fetches(
    session: Session,
    file_ids: list[str],
    target: str,
    uploaded_by: str,
    now: datetime,
    *,
    channel: str | None = None,
    thread_ts: str | None = None,
) -> list[int]:
    """Record the files shared for one deletion or snapshot; the ids of the new fetches."""
    found: list[int] = []
    for file_id in file_ids:
        fetch = record_fetch(
            session, file_id, target, uploaded_by, now, channel=channel, thread_ts=thread_ts
        )
        if fetch is not None and fetch.id is not None:
            found.append(fetch.id)
    return found


@dataclass(frozen=True)
class Outcome:
    status: str  # done | refused | retry | failed | skipped
    fetch_id: int
    target: str
    detail: str = ""


def _owner(session: Session, target: str) -> tuple[str, int, Account]:
    kind, _, number = target.partition(":")
    owner_id = int(number)
    row: Deletion | Snapshot | None
    if kind == "deletion":
        row = session.get(Deletion, owner_id)
    elif kind == "snapshot":
        row = session.get(Snapshot, owner_id)
    else:
        raise ValueError(f"unknown fetch target {target!r}")
    if row is None:
        raise ValueError(f"{target} does not exist")
    account = session.get(Account, row.account_id)
    assert account is not None
    return kind, owner_id, account


Notice = Callable[[Session, FileFetch, str, dict[str, Any]], list[Message]]


def run_fetch(
    engine: Engine,
    slack: Slack,
    download: Downloader,
    archive_dir: Path,
    rules: core.ArchiveRules,
    fetch_id: int,
    now: datetime,
    notice: Notice,
) -> Outcome:
    """Fetch one recorded file into the archive. `notice(session, fetch, status, params)`
    composes the messages that tell people the outcome; they are recorded in the outbox in the
    same transaction as the outcome."""
    with session_scope(engine) as session:
        fetch = session.get(FileFetch, fetch_id)
        if fetch is None or fetch.status != "pending":
            return Outcome("skipped", fetch_id, fetch.target if fetch else "")
        # Claim it, so a second replica's sweep leaves it alone while we download.
        claimed = session.execute(
            sa.update(FileFetch)
            .where(col(FileFetch.id) == fetch_id, col(FileFetch.status) == "pending")
            .values(status="fetching", attempts=FileFetch.attempts + 1, next_attempt_at=now)
        )
        if not claimed.rowcount:  # type: ignore[attr-defined]
            return Outcome("skipped", fetch_id, fetch.target)
        session.refresh(fetch)
        target, file_id, uploader = fetch.target, fetch.slack_file_id, fetch.uploaded_by
        attempts = fetch.attempts  # this one included
        owner, owner_id, account = _owner(session, target)
        account_key = account.key
    status, detail = "done", ""
    content = b""
    file: SlackFile | None = None
    content_type = ""
    try:
        info = slack.file_info(file_id)
        file = SlackFile.of(info)
        check_declared(rules, file)
        if not file.url:
            raise DownloadError("no_url")
        content = download(file.url, rules.max_bytes)
        sniffed = core.sniff(content[:64])
        if sniffed is None:
            raise UserInputError("error.file_type", name=file.name[:80])
        content_type = sniffed
    except UserInputError as error:
        status, detail = "refused", error.key
    except SlackSendError as exc:
        status = "failed" if exc.permanent else "retry"
        detail = exc.code
    except DownloadError as exc:
        if exc.code == "too_big":
            status, detail = "refused", "error.file_too_big"
        else:
            status, detail = "retry", exc.code
    if status == "retry" and attempts >= MAX_ATTEMPTS:
        status = "failed"
    archived: ArchivedFile | None = None
    if status == "done":
        assert file is not None
        archived = store(
            archive_dir,
            content,
            content_type,
            owner=owner,
            owner_id=owner_id,
            account=account_key,
            file=file,
            uploaded_by=uploader,
            uploaded_at=min(file.created or now, now),
            archived_at=now,
        )
    with session_scope(engine) as session:
        fetch = session.get(FileFetch, fetch_id)
        assert fetch is not None
        params: dict[str, Any] = {"name": file.name if file else file_id, "max": rules.max_file_mb}
        if archived is not None:
            existing = session.exec(
                select(ArchivedFile).where(ArchivedFile.path == archived.path)
            ).first()
            if existing is None:
                if owner == "deletion":
                    archived.deletion_id = owner_id
                else:
                    archived.snapshot_id = owner_id
                session.add(archived)
                session.flush()
                audit(
                    session,
                    actor=uploader,
                    action="archive.file",
                    target=target,
                    now=now,
                    after={
                        "path": archived.path,
                        "sha256": archived.sha256,
                        "size": archived.size,
                        "name": archived.original_name,
                    },
                )
            else:
                archived = existing
            fetch.status, fetch.archived_file_id, fetch.last_error = "done", archived.id, None
            if owner == "deletion":
                from bot.services.archive import refresh_completion

                deletion = session.get(Deletion, owner_id)
                assert deletion is not None
                refresh_completion(session, rules, deletion, uploader, now)
            params.update(sha=archived.sha256[:12], size=archived.size)
        elif status == "retry":
            fetch.status = "pending"
            fetch.next_attempt_at = now + timedelta(minutes=2 ** min(attempts, 8))
            fetch.last_error = detail[:300]
        else:
            fetch.status, fetch.last_error = status, detail[:300]
            log.info("file %s for %s %s: %s", file_id, target, status, detail)
        session.add(fetch)
        if status != "retry" or attempts == 1:
            for message in notice(session, fetch, status, params | {"detail": detail}):
                enqueue(session, message, now)
    return Outcome(status, fetch_id, target, detail)


def due_fetches(engine: Engine, now: datetime, limit: int = 50) -> list[int]:
    """Fetches waiting for a (re)try; one claimed but abandoned (a process that died mid
    download) counts as waiting again after ten minutes."""
    with session_scope(engine) as session:
        rows = session.exec(
            select(FileFetch.id)
            .where(
                sa.or_(
                    sa.and_(
                        col(FileFetch.status) == "pending", col(FileFetch.next_attempt_at) <= now
                    ),
                    sa.and_(
                        col(FileFetch.status) == "fetching",
                        col(FileFetch.next_attempt_at) <= now - timedelta(minutes=10),
                    ),
                )
            )
            .order_by(col(FileFetch.id))
            .limit(limit)
        ).all()
        stale = session.exec(
            select(FileFetch).where(
                col(FileFetch.status) == "fetching",
                col(FileFetch.next_attempt_at) <= now - timedelta(minutes=10),
            )
        ).all()
        for fetch in stale:
            fetch.status = "pending"
            session.add(fetch)
    return [r for r in rows if r is not None]
