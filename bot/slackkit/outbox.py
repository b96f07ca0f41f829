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
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from bot.slackkit.gateway import SlackSendError
from bot.store.models import Outbox, OutboxFile

log = logging.getLogger(__name__)
STALE_CLAIM = timedelta(minutes=5)
BATCH = 100  # due ids listed at a time by a sender
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


_OUTBOX = Outbox.__table__  # type: ignore[attr-defined]
_FILES = OutboxFile.__table__  # type: ignore[attr-defined]
# What a sender reads of a row it takes.
_TAKEN = (
    _OUTBOX.c.id,
    _OUTBOX.c.key,
    _OUTBOX.c.channel,
    _OUTBOX.c.text,
    _OUTBOX.c.blocks,
    _OUTBOX.c.thread_ts,
    _OUTBOX.c.attempts,
    _OUTBOX.c.has_files,
)
# Whether a key is recorded; a new message's row, by database (no row comes back when its
# key is there already).
_RECORDED = sa.select(_OUTBOX.c.id).where(_OUTBOX.c.key == sa.bindparam("key"))
_INSERTS = {
    name: dialect.insert(_OUTBOX)
    .on_conflict_do_nothing(index_elements=["key"])
    .returning(_OUTBOX.c.id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
# A taken row's outcome (the columns set are the parameters other than row_id); on SQLite only
# while it is still this sender's claim (`claim`: its attempts when claimed).
_SETTLE = sa.update(_OUTBOX).where(_OUTBOX.c.id == sa.bindparam("row_id"))
_SETTLE_CLAIMED = _SETTLE.where(
    _OUTBOX.c.status == "sending", _OUTBOX.c.attempts == sa.bindparam("claim")
)


# Set when this thread recorded a message: a user action then sends it at once (`flush_due`);
# one that recorded nothing (a read-only command) skips the outbox round trip.
_recorded: ContextVar[bool] = ContextVar("vakt_outbox_recorded", default=False)


def recorded_since_last_check() -> bool:
    """Whether this thread (context) recorded a message since it last asked; resets."""
    recorded = _recorded.get()
    _recorded.set(False)
    return recorded


def enqueue(session: Session, message: Message, now: datetime) -> bool:
    """Record a message unless its key is already recorded; True when it was new.

    Looked for first (a sweep decides the same messages again at every run in their slot, and
    a look costs no id), then inserted with ON CONFLICT DO NOTHING: should another replica
    record the same key between the look and the insert, the insert does nothing and the
    transaction goes on (no savepoint, no ORM flush: a reminder sweep records hundreds)."""
    _recorded.set(True)
    exists = session.execute(_RECORDED, {"key": message.key}).first()
    if exists is not None:
        return False
    row_id = session.execute(
        _INSERTS[session.get_bind().dialect.name],
        {
            "key": message.key,
            "kind": message.kind,
            "channel": message.channel,
            "text": message.text,
            "blocks": json.dumps(message.blocks) if message.blocks else None,
            "thread_ts": message.thread_ts,
            "status": "pending",
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
            "has_files": bool(message.files),
        },
    ).scalar()
    if row_id is None:
        return False  # another replica recorded the same key between our look and our insert
    if message.files:
        session.execute(
            sa.insert(_FILES),
            [
                {
                    "outbox_id": row_id,
                    "position": position,
                    "filename": file.filename[:200],
                    "title": file.title[:200],
                    "content": file.content,
                }
                for position, file in enumerate(message.files)
            ],
        )
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
    attempts: int  # this attempt's number
    files: tuple[Attachment, ...] = ()


def _claimed(conn: sa.Connection, row: sa.Row[Any]) -> _Claimed:
    """The message of a row just taken (its attempts counted with this one)."""
    files: tuple[Attachment, ...] = ()
    if row.has_files:
        stored = conn.execute(
            sa.select(_FILES.c.filename, _FILES.c.title, _FILES.c.content)
            .where(_FILES.c.outbox_id == row.id)
            .order_by(_FILES.c.position)
        ).all()
        files = tuple(Attachment(f.filename, f.title, f.content) for f in stored)
    return _Claimed(
        row.id,
        row.key,
        row.channel,
        row.text,
        json.loads(row.blocks) if row.blocks else None,
        row.thread_ts,
        row.attempts + 1,
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


def outcome(
    attempts: int,
    sent: tuple[str, str] | None,
    error: SlackSendError | None,
    now: datetime,
) -> dict[str, Any]:
    """What a row records of its send (`attempts` counting this one): sent, failed for good,
    or pending again after a backoff that doubles with each attempt, up to MAX_BACKOFF, and is
    never shorter than Slack's Retry-After."""
    if sent is not None:
        channel, ts = sent
        return {
            "status": "sent",
            "sent_at": now,
            "slack_channel": channel,
            "slack_ts": ts,
            "last_error": None,
        }
    assert error is not None
    if error.permanent:
        return {"status": "failed", "last_error": error.code[:300]}
    backoff = min(timedelta(minutes=2 ** min(attempts, 10)), MAX_BACKOFF)
    if error.retry_after is not None:
        # Slack said how long to wait (429 Retry-After): never earlier than that.
        backoff = max(backoff, timedelta(seconds=error.retry_after))
    return {"status": "pending", "next_attempt_at": now + backoff, "last_error": error.code[:300]}


def _count(message: _Claimed, settled: dict[str, Any], counts: dict[str, int]) -> None:
    status = settled["status"]
    if status == "sent":
        counts["sent"] += 1
    elif status == "failed":
        counts["failed"] += 1
        log.warning("message %s failed for good: %s", message.key, settled["last_error"])
    else:
        counts["retry"] += 1
        log.info(
            "message %s will be retried at %s: %s",
            message.key,
            settled["next_attempt_at"],
            settled["last_error"],
        )


def deliver(
    engine: Engine,
    sender: Sender,
    now: datetime,
    *,
    limit: int = 500,
    stop: threading.Event | None = None,
) -> dict[str, int]:
    """Send what is due, one message at a time, oldest first; returns counts of sent, retried
    and failed.

    On PostgreSQL each message is taken with `SELECT ... FOR UPDATE SKIP LOCKED` and sent while
    its row stays locked, in one transaction: replicas never take the same row, and a sender
    that dies mid-send leaves its row pending for the next one (Slack may then see that one
    message twice, never none). Elsewhere (SQLite: one process) a row is claimed with a
    compare-and-set to `sending` and a claim older than STALE_CLAIM is taken over.

    The due rows' ids are listed a batch at a time, upwards, and each is then taken by its id,
    only if still due (another replica may have sent it since) and, on PostgreSQL, unless
    another replica holds it; a row passed over does not count against `limit`. All on one
    connection, in plain SQL statements: looking for "the first due row" once per message
    sorted every pending row each time, and a pool checkout (with its ping) and an ORM flush
    per message cost more than the database's work (`python -m bot.bench.sweep`, 200 messages:
    0.35 s before on either database, 0.09 s on SQLite and 0.21 s on PostgreSQL after).

    `stop` set (SIGTERM) ends the loop after the message in flight; the rest stays due.
    """
    counts = {"sent": 0, "retry": 0, "failed": 0}
    take = _deliver_locked if engine.dialect.name == "postgresql" else _deliver_claimed
    replica = replica_name()
    due = _due(now)
    one = sa.select(*_TAKEN).where(_OUTBOX.c.id == sa.bindparam("row_id"), due)
    taken = 0
    after = 0  # ids are listed upwards: one locked by another replica is not listed again
    with engine.connect() as conn:
        while taken < limit:
            with conn.begin():
                batch = (
                    conn.execute(
                        sa.select(_OUTBOX.c.id)
                        .where(due, _OUTBOX.c.id > after)
                        .order_by(_OUTBOX.c.id)
                        .limit(min(BATCH, limit - taken))
                    )
                    .scalars()
                    .all()
                )
            if not batch:
                break
            for row_id in batch:
                if stop is not None and stop.is_set():
                    return counts
                # Not taken: another replica has it, or sent it since it was listed.
                if take(conn, one, row_id, sender, now, replica, counts):
                    taken += 1
                    if taken >= limit:
                        return counts
            after = batch[-1]
    return counts


def _claim(message: _Claimed, now: datetime, replica: str) -> dict[str, Any]:
    """The parameters of `_SETTLE` that record who took a row, when, and its attempt."""
    return {
        "row_id": message.id,
        "attempts": message.attempts,
        "claimed_at": now,
        "claimed_by": replica,
    }


def _deliver_locked(
    conn: sa.Connection,
    one: sa.Select[Any],
    row_id: int,
    sender: Sender,
    now: datetime,
    replica: str,
    counts: dict[str, int],
) -> bool:
    with conn.begin():
        row = conn.execute(one.with_for_update(skip_locked=True), {"row_id": row_id}).first()
        if row is None:  # sent or being sent by another replica since it was listed
            return False
        message = _claimed(conn, row)
        sent, error = _send(sender, message)
        settled = outcome(message.attempts, sent, error, now)
        conn.execute(_SETTLE, {**_claim(message, now, replica), **settled})
    _count(message, settled, counts)
    return True


def _deliver_claimed(
    conn: sa.Connection,
    one: sa.Select[Any],
    row_id: int,
    sender: Sender,
    now: datetime,
    replica: str,
    counts: dict[str, int],
) -> bool:
    with conn.begin():  # BEGIN IMMEDIATE: no other writer between the look and the claim
        row = conn.execute(one, {"row_id": row_id}).first()
        if row is None:  # taken since it was listed
            return False
        message = _claimed(conn, row)
        conn.execute(_SETTLE, {**_claim(message, now, replica), "status": "sending"})
    sent, error = _send(sender, message)
    settled = outcome(message.attempts, sent, error, now)
    with conn.begin():
        done = conn.execute(
            _SETTLE_CLAIMED, {"row_id": message.id, "claim": message.attempts, **settled}
        )
    if done.rowcount == 1:  # else taken over meanwhile (our claim went stale): its owner settles
        _count(message, settled, counts)
    return True
