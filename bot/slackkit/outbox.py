"""The outbox: every scheduled message is recorded under a unique key before it is sent.

A second run, a restart or a second replica finds the key and adds nothing; a row is locked
(PostgreSQL) or claimed (SQLite) before sending, so two senders never send the same row; a failed
send is retried with backoff (never sooner than Slack's Retry-After), a permanent failure is kept
with its error for people to see.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.slackkit.gateway import SlackSendError
from bot.store.db import session_scope
from bot.store.models import Outbox, OutboxFile

log = logging.getLogger(__name__)
STALE_CLAIM = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=1)


class Sender(Protocol):
    def post_message(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
    ) -> tuple[str, str]: ...

    def upload_files(
        self,
        channel: str,
        files: Sequence[Attachment],
        comment: str,
        thread_ts: str | None = None,
    ) -> tuple[str, str]: ...


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message: shared with `files_upload_v2`, the message text its comment."""

    filename: str
    title: str
    content: bytes


@dataclass(frozen=True)
class Message:
    key: str
    kind: str
    channel: str
    text: str
    blocks: list[dict[str, Any]] | None = None
    thread_ts: str | None = None  # a reply in this thread of `channel`
    files: tuple[Attachment, ...] = ()  # shared as files, `text` their comment (no blocks)


# Set when this thread recorded a message: a user action then sends it at once (`flush_due`);
# one that recorded nothing (a read-only command) skips the outbox round trip.
_recorded: ContextVar[bool] = ContextVar("vakt_outbox_recorded", default=False)


def recorded_since_last_check() -> bool:
    """Whether this thread (context) recorded a message since it last asked; resets."""
    recorded = _recorded.get()
    _recorded.set(False)
    return recorded


def enqueue(session: Session, message: Message, now: datetime) -> bool:
    """Record a message unless its key is already recorded; True when it was new."""
    _recorded.set(True)
    exists = session.exec(select(Outbox.id).where(Outbox.key == message.key)).first()
    if exists is not None:
        return False
    row = Outbox(
        key=message.key,
        kind=message.kind,
        channel=message.channel,
        text=message.text,
        blocks=json.dumps(message.blocks) if message.blocks else None,
        thread_ts=message.thread_ts,
        created_at=now,
        next_attempt_at=now,
        has_files=bool(message.files),
    )
    try:
        with session.begin_nested():
            session.add(row)
            if message.files:
                session.flush()
                assert row.id is not None
                for position, file in enumerate(message.files):
                    session.add(
                        OutboxFile(
                            outbox_id=row.id,
                            position=position,
                            filename=file.filename[:200],
                            title=file.title[:200],
                            content=file.content,
                        )
                    )
    except sa.exc.IntegrityError:
        # Another replica recorded the same key between our look and our insert.
        return False
    return True


def replica_name() -> str:
    """This process as the outbox records it in `claimed_by`: host and process id."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}"


def _due(now: datetime) -> sa.ColumnElement[bool]:
    """Pending and due, or claimed by a sender that has not finished within STALE_CLAIM (one
    that died, on a database without row locks)."""
    return sa.or_(
        sa.and_(col(Outbox.status) == "pending", col(Outbox.next_attempt_at) <= now),
        sa.and_(col(Outbox.status) == "sending", col(Outbox.claimed_at) < now - STALE_CLAIM),
    )


@dataclass(frozen=True)
class _Claimed:
    id: int
    key: str
    channel: str
    text: str
    blocks: list[dict[str, Any]] | None
    thread_ts: str | None
    attempts: int
    files: tuple[Attachment, ...] = ()


def _claimed(session: Session, row: Outbox) -> _Claimed:
    assert row.id is not None
    files: tuple[Attachment, ...] = ()
    if row.has_files:
        stored = session.exec(
            select(OutboxFile)
            .where(col(OutboxFile.outbox_id) == row.id)
            .order_by(col(OutboxFile.position))
        ).all()
        files = tuple(Attachment(f.filename, f.title, f.content) for f in stored)
    return _Claimed(
        row.id,
        row.key,
        row.channel,
        row.text,
        json.loads(row.blocks) if row.blocks else None,
        row.thread_ts,
        row.attempts,
        files,
    )


def _send(
    sender: Sender, message: _Claimed
) -> tuple[tuple[str, str] | None, SlackSendError | None]:
    try:
        if message.files:
            return sender.upload_files(
                message.channel, message.files, message.text, message.thread_ts
            ), None
        return sender.post_message(
            message.channel, message.text, message.blocks, message.thread_ts
        ), None
    except SlackSendError as exc:
        return None, exc
    except Exception as exc:
        # A bug of ours or of a library must not stop the sender: retried like a Slack hiccup.
        log.exception("sending message %s raised", message.key)
        return None, SlackSendError(type(exc).__name__, permanent=False)


def _settle(
    row: Outbox,
    sent: tuple[str, str] | None,
    error: SlackSendError | None,
    now: datetime,
    counts: dict[str, int],
) -> None:
    """Record the outcome of one send on its row."""
    if sent is not None:
        row.status, row.sent_at = "sent", now
        row.slack_channel, row.slack_ts = sent
        row.last_error = None
        counts["sent"] += 1
        return
    assert error is not None
    row.last_error = error.code[:300]
    if error.permanent:
        row.status = "failed"
        counts["failed"] += 1
        log.warning("message %s failed for good: %s", row.key, error.code)
        return
    row.status = "pending"
    backoff = min(timedelta(minutes=2 ** min(row.attempts, 10)), MAX_BACKOFF)
    if error.retry_after is not None:
        # Slack said how long to wait (429 Retry-After): never earlier than that.
        backoff = max(backoff, timedelta(seconds=error.retry_after))
    row.next_attempt_at = now + backoff
    counts["retry"] += 1
    log.info("message %s will be retried at %s: %s", row.key, row.next_attempt_at, error.code)


def deliver(
    engine: Engine,
    sender: Sender,
    now: datetime,
    *,
    limit: int = 500,
    stop: threading.Event | None = None,
) -> dict[str, int]:
    """Send what is due, one message at a time; returns counts of sent, retried and failed.

    On PostgreSQL each message is taken with `SELECT ... FOR UPDATE SKIP LOCKED` and sent while
    its row stays locked, in one transaction: replicas never take the same row, and a sender
    that dies mid-send leaves its row pending for the next one (Slack may then see that one
    message twice, never none). Elsewhere (SQLite: one process) a row is claimed with a
    compare-and-set to `sending` and a claim older than STALE_CLAIM is taken over.

    `stop` set (SIGTERM) ends the loop after the message in flight; the rest stays due.
    """
    counts = {"sent": 0, "retry": 0, "failed": 0}
    locking = engine.dialect.name == "postgresql"
    replica = replica_name()
    for _ in range(limit):
        if stop is not None and stop.is_set():
            break
        if locking:
            done = _deliver_locked(engine, sender, now, replica, counts)
        else:
            done = _deliver_claimed(engine, sender, now, replica, counts)
        if not done:
            break
    return counts


def _deliver_locked(
    engine: Engine, sender: Sender, now: datetime, replica: str, counts: dict[str, int]
) -> bool:
    with session_scope(engine) as session:
        row = session.exec(
            select(Outbox)
            .where(_due(now))
            .order_by(col(Outbox.id))
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if row is None:
            return False
        row.attempts += 1
        row.claimed_at, row.claimed_by = now, replica
        sent, error = _send(sender, _claimed(session, row))
        _settle(row, sent, error, now, counts)
        session.add(row)
    return True


def _deliver_claimed(
    engine: Engine, sender: Sender, now: datetime, replica: str, counts: dict[str, int]
) -> bool:
    with session_scope(engine) as session:
        row_id = session.exec(
            select(Outbox.id).where(_due(now)).order_by(col(Outbox.id)).limit(1)
        ).first()
        if row_id is None:
            return False
        session.execute(
            sa.update(Outbox)
            .where(col(Outbox.id) == row_id)
            .values(
                status="sending", claimed_at=now, claimed_by=replica, attempts=Outbox.attempts + 1
            )
        )
        message = _claimed(
            session,
            session.exec(
                select(Outbox)
                .where(col(Outbox.id) == row_id)
                .execution_options(populate_existing=True)
            ).one(),
        )
    sent, error = _send(sender, message)
    with session_scope(engine) as session:
        settled = session.get(Outbox, message.id)
        assert settled is not None
        if settled.status != "sending" or settled.attempts != message.attempts:
            return True  # taken over meanwhile (our claim went stale): its new owner settles it
        _settle(settled, sent, error, now, counts)
        session.add(settled)
    return True
