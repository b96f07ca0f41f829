"""The outbox: every scheduled message is recorded under a unique key before it is sent.

A second run, a restart or a second replica finds the key and adds nothing; a row is claimed with
a compare-and-set update before sending, so two senders never send the same row; a failed send
is retried with backoff, a permanent failure is kept with its error for people to see.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.slack.gateway import SlackSendError
from bot.store.db import session_scope
from bot.store.models import Outbox

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


@dataclass(frozen=True)
class Message:
    key: str
    kind: str
    channel: str
    text: str
    blocks: list[dict[str, Any]] | None = None
    thread_ts: str | None = None  # a reply in this thread of `channel`


def enqueue(session: Session, message: Message, now: datetime) -> bool:
    """Record a message unless its key is already recorded; True when it was new."""
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
    )
    try:
        with session.begin_nested():
            session.add(row)
    except sa.exc.IntegrityError:
        # Another replica recorded the same key between our look and our insert.
        return False
    return True


def _claim(session: Session, row_id: int, now: datetime) -> bool:
    result = session.execute(
        sa.update(Outbox)
        .where(
            col(Outbox.id) == row_id,
            sa.or_(
                col(Outbox.status) == "pending",
                sa.and_(
                    col(Outbox.status) == "sending", col(Outbox.claimed_at) < now - STALE_CLAIM
                ),
            ),
        )
        .values(status="sending", claimed_at=now, attempts=Outbox.attempts + 1)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def deliver(engine: Engine, sender: Sender, now: datetime, *, limit: int = 200) -> dict[str, int]:
    """Send what is due; returns counts of sent, retried and failed messages."""
    counts = {"sent": 0, "retry": 0, "failed": 0}
    with session_scope(engine) as session:
        due = session.exec(
            select(Outbox.id)
            .where(
                sa.or_(
                    sa.and_(col(Outbox.status) == "pending", col(Outbox.next_attempt_at) <= now),
                    sa.and_(
                        col(Outbox.status) == "sending", col(Outbox.claimed_at) < now - STALE_CLAIM
                    ),
                )
            )
            .order_by(col(Outbox.id))
            .limit(limit)
        ).all()
    for row_id in due:
        assert row_id is not None
        with session_scope(engine) as session:
            if not _claim(session, row_id, now):
                continue
        with session_scope(engine) as session:
            row = session.get(Outbox, row_id)
            assert row is not None
            blocks = json.loads(row.blocks) if row.blocks else None
            channel, text, attempts, thread = row.channel, row.text, row.attempts, row.thread_ts
        try:
            sent: tuple[str, str] | None = sender.post_message(channel, text, blocks, thread)
            code, permanent = "", False
        except SlackSendError as exc:
            sent, code, permanent = None, exc.code, exc.permanent
        with session_scope(engine) as session:
            row = session.get(Outbox, row_id)
            assert row is not None
            if sent is not None:
                row.status, row.sent_at = "sent", now
                row.slack_channel, row.slack_ts = sent
                row.last_error = None
                counts["sent"] += 1
            else:
                row.last_error = code[:300]
                if permanent:
                    row.status = "failed"
                    counts["failed"] += 1
                    log.warning("message %s failed for good: %s", row.key, code)
                else:
                    row.status = "pending"
                    backoff = min(timedelta(minutes=2 ** min(attempts, 10)), MAX_BACKOFF)
                    row.next_attempt_at = now + backoff
                    counts["retry"] += 1
                    log.info("message %s will be retried: %s", row.key, code)
            session.add(row)
    return counts
