"""Files into the archive: fetched from Slack with the bot token, checked, kept on disk under a
name that cannot collide, with a JSON sidecar, and recorded in the database.

A file shared with Vakt is first recorded as a fetch (so it is not lost if the download fails),
then fetched at once; a failed download is retried by the sweep with backoff and reported to
whoever shared it when it keeps failing. A file that is not an image or PDF, an image that does
not decode whole, or one too big, is refused with a message and nothing is stored.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import logging
import os
import socket
import ssl
import tempfile
import threading
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

from bot.archive import core
from bot.archive.service import refresh_completion
from bot.kernel.audit import audit
from bot.kernel.config import ArchiveRules
from bot.kernel.errors import UserInputError
from bot.slackkit.deps import Deps
from bot.slackkit.gateway import SlackSendError
from bot.slackkit.outbox import Message, enqueue
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


def check_declared(rules: ArchiveRules, file: SlackFile) -> None:
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

READ_TIMEOUT = 30  # seconds of silence before a connection is given up
DEFAULT_DEADLINE = 120.0  # seconds a whole download may take (VAKT_DOWNLOAD_DEADLINE)
Origin = tuple[str, str, int]  # scheme, host, port
DEFAULT_PORTS = {"https": 443, "http": 80}
# Slack's own file hosts: url_private of commercial Slack and of GovSlack (slack-gov.com).
SLACK_FILE_ORIGINS: frozenset[Origin] = frozenset(
    {("https", "files.slack.com", 443), ("https", "files.slack-gov.com", 443)}
)
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def origin_of(url: str) -> Origin | None:
    """The exact origin (scheme, host, port) of a web address; None for anything that is not
    a plain http(s) address (another scheme, credentials in it, a port that is no number)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or parts.username is not None:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


def trusted_origins(api_url: str) -> frozenset[Origin]:
    """Where the bot token may go with a download: Slack's file hosts and the configured API
    URL's own origin (a stand-in for Slack on loopback), nothing else; plain http only on
    loopback."""
    api = origin_of(api_url)
    if api is None or (api[0] == "http" and api[1] not in LOOPBACK):
        return SLACK_FILE_ORIGINS
    return SLACK_FILE_ORIGINS | {api}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is answered as the HTTP error it is


class _Watch:
    """The sockets one download opened, so that its deadline can cut them: a server that
    drips its answer (or its headers) cannot hold a worker longer than the deadline."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sockets: list[socket.socket] = []
        self.expired = False

    def opened(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self.lock:
            self.sockets.append(sock)
            if self.expired:
                _cut(sock)

    def expire(self) -> None:
        with self.lock:
            self.expired = True
            for sock in self.sockets:
                _cut(sock)


def _cut(sock: socket.socket) -> None:
    # shutdown (not close) wakes a read blocked in another thread; the plain socket's, since
    # an SSL socket's own shutdown would unwrap it under the reader.
    if sock.fileno() == -1:
        return
    with contextlib.suppress(OSError):  # already closed by the other side
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Watched(http.client.HTTPConnection):
    watch: _Watch

    def connect(self) -> None:
        super().connect()
        self.watch.opened(self.sock)


class _WatchedHTTPS(http.client.HTTPSConnection, _Watched):
    def connect(self) -> None:
        super().connect()  # the plain socket is watched during the TLS handshake
        self.watch.opened(self.sock)


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, watch: _Watch) -> None:
        super().__init__()
        self.watch = watch

    def connection(self, host: str, **kwargs: Any) -> http.client.HTTPConnection:
        connection = _Watched(host, **kwargs)
        connection.watch = self.watch
        return connection

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self.connection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, watch: _Watch, tls: ssl.SSLContext) -> None:
        self.tls = tls
        super().__init__(context=self.tls)
        self.watch = watch

    def connection(self, host: str, **kwargs: Any) -> http.client.HTTPConnection:
        connection = _WatchedHTTPS(host, **kwargs)
        connection.watch = self.watch
        return connection

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self.connection, req, context=self.tls)


def _length(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isdigit() else None


def slack_downloader(
    token: str | None,
    api_url: str,
    deadline: float = DEFAULT_DEADLINE,
    tls: ssl.SSLContext | None = None,
) -> Downloader:
    """Download a private Slack file with the bot token, at most `limit` bytes, within
    `deadline` seconds (certificates checked against the system's authorities unless `tls`
    says otherwise).

    The token goes only to the exact origins (scheme, host and port) of Slack's own file
    hosts and of the configured API URL, never to whatever URL an event names; redirects are
    not followed. A body shorter than its Content-Length is an incomplete download, not a
    file."""
    allowed = trusted_origins(api_url)
    context = tls or ssl.create_default_context()

    def download(url: str, limit: int) -> bytes:
        if origin_of(url) not in allowed:
            raise DownloadError("untrusted_host")
        watch = _Watch()
        opener = urllib.request.build_opener(
            _NoRedirect, _HTTPHandler(watch), _HTTPSHandler(watch, context)
        )
        # The origin is checked above; redirects are not followed, so the token is never
        # forwarded to another origin.
        request = urllib.request.Request(  # noqa: S310
            url, headers={"Authorization": f"Bearer {token}"}
        )
        timer = threading.Timer(deadline, watch.expire)
        timer.daemon = True
        timer.start()
        try:
            with opener.open(request, timeout=READ_TIMEOUT) as response:
                if "text/html" in (response.headers.get("Content-Type") or ""):
                    raise DownloadError("login_page")  # Slack's answer to a missing scope
                announced = _length(response.headers.get("Content-Length"))
                if announced is not None and announced > limit:
                    raise DownloadError("too_big")
                chunks: list[bytes] = []
                total = 0
                # read1: one read at a time, so the deadline is looked at between them.
                while chunk := response.read1(CHUNK):
                    total += len(chunk)
                    if total > limit:
                        raise DownloadError("too_big")
                    chunks.append(chunk)
                if watch.expired:
                    raise DownloadError("deadline")
                if announced is not None and total != announced:
                    raise DownloadError("incomplete")  # the connection closed early
                return b"".join(chunks)
        except urllib.error.HTTPError as exc:
            exc.close()
            raise DownloadError(f"http_{exc.code}") from None
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            if watch.expired:
                raise DownloadError("deadline") from None
            if isinstance(exc, http.client.IncompleteRead):
                raise DownloadError("incomplete") from None  # a chunked answer cut off
            raise DownloadError(type(exc).__name__) from None
        finally:
            timer.cancel()

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


def _write_with_sidecar(target: Path, content: bytes, sidecar: dict[str, object]) -> None:
    """The file and its JSON sidecar beside it, each written atomically."""
    _write_atomically(target, content)
    _write_atomically(
        target.with_name(target.name + ".json"),
        (json.dumps(sidecar, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode(),
    )


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
    _write_with_sidecar(archive_dir / relative, content, sidecar)
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


def store_made(
    archive_dir: Path,
    content: bytes,
    content_type: str,
    *,
    extension: str,
    owner: str,
    owner_id: int,
    account: str,
    name: str,
    made_from: str,
    made_by: str,
    made_at: datetime,
) -> ArchivedFile:
    """Write a file Vakt made itself (a platform comment's capture, its rendered sheet) and its
    sidecar, like a shared file's; return the row to record. `made_from` names what it was made
    of (a comment id): with the hash, it makes the name."""
    digest = hashlib.sha256(content).hexdigest()
    safe = core.SAFE.sub("_", made_from)[:40]
    day = made_at.date()
    relative = f"{day.year:04d}/{day.month:02d}/{owner}-{owner_id}_{safe}_{digest[:16]}.{extension}"
    sidecar = {
        "sha256": digest,
        "size": len(content),
        "original_name": name,
        "content_type": content_type,
        "made_from": made_from,
        "uploaded_by": made_by,
        "uploaded_at": made_at.isoformat(),
        "archived_at": made_at.isoformat(),
        owner: owner_id,
        "account": account,
    }
    _write_with_sidecar(archive_dir / relative, content, sidecar)
    return ArchivedFile(
        path=relative,
        sha256=digest,
        size=len(content),
        original_name=name,
        content_type=content_type,
        uploaded_by=made_by,
        uploaded_at=made_at,
        archived_at=made_at,
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


# Download failures that retrying cannot mend, and the text that tells whoever shared the file.
REFUSALS = {"untrusted_host": "error.file_host"}

Notice = Callable[[Session, FileFetch, str, dict[str, Any]], list[Message]]


def run_fetch(
    engine: Engine,
    slack: Slack,
    download: Downloader,
    archive_dir: Path,
    rules: ArchiveRules,
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
    status, detail, reason = "done", "", ""
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
        if file.size is not None and len(content) != file.size:
            raise DownloadError("incomplete")  # not the file Slack holds: fetched again later
        sniffed = core.sniff(content[:64])
        if sniffed is None:
            raise UserInputError("error.file_type", name=file.name[:80])
        if not core.whole_image(content, sniffed):
            raise UserInputError("error.file_damaged", name=file.name[:80])
        content_type = sniffed
    except UserInputError as error:
        status, detail = "refused", error.key
    except SlackSendError as exc:
        status = "failed" if exc.permanent else "retry"
        detail = exc.code
    except DownloadError as exc:
        if exc.code == "too_big":
            status, detail = "refused", "error.file_too_big"
        elif exc.code in REFUSALS:
            # Asking again gets the same address from Slack: refused at once, not retried.
            status, detail, reason = "refused", exc.code, REFUSALS[exc.code]
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
            extra = {"detail": detail, "reason": reason or detail}
            for message in notice(session, fetch, status, params | extra):
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


def downloader(deps: Deps) -> Downloader:
    """How files shared with Vakt are downloaded: with the bot token, from Slack only."""
    return slack_downloader(
        deps.bot_token, str(deps.client.base_url), deadline=deps.download_deadline
    )
