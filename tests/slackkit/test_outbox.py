"""The outbox's delivery, message by message: what a sender records of each send, what it takes
and what it leaves to another sender (a replica holding a row, a claim gone stale), and a key
recorded by another replica between our look and our insert."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.slackkit.gateway import SlackSendError
from bot.slackkit.outbox import (
    MAX_BACKOFF,
    STALE_CLAIM,
    Attachment,
    Message,
    deliver,
    enqueue,
    outcome,
)
from bot.store.models import Outbox

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


class Recorder:
    """Stands in for Slack: takes every post (or refuses it with `error`), and calls `during`
    while the first one is in flight."""

    def __init__(
        self,
        error: SlackSendError | None = None,
        during: Callable[[], None] | None = None,
    ) -> None:
        self.posts: list[tuple[str, str]] = []
        self.error = error
        self.during = during

    def post_message(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
    ) -> tuple[str, str]:
        during, self.during = self.during, None
        if during is not None:
            during()
        if self.error is not None:
            raise self.error
        self.posts.append((channel, text))
        return channel, f"1700000000.{len(self.posts):06d}"

    def upload_files(
        self,
        channel: str,
        files: Sequence[Attachment],
        comment: str,
        thread_ts: str | None = None,
    ) -> tuple[str, str]:
        return self.post_message(channel, comment)


def record(engine: Engine, count: int, now: datetime = NOW) -> None:
    with Session(engine) as session:
        for n in range(count):
            assert enqueue(session, Message(f"k{n:03d}", "test", "C0COMMS", f"message {n}"), now)
        session.commit()


def rows(engine: Engine) -> list[Outbox]:
    with Session(engine) as session:
        return list(session.exec(select(Outbox).order_by(col(Outbox.id))))


def test_every_due_message_is_sent_once_oldest_first(engine: Engine) -> None:
    record(engine, 250)  # more than one batch of listed ids
    slack = Recorder()
    assert deliver(engine, slack, NOW) == {"sent": 250, "retry": 0, "failed": 0}
    assert [text for _, text in slack.posts] == [f"message {n}" for n in range(250)]
    assert {(r.status, r.attempts, r.sent_at) for r in rows(engine)} == {("sent", 1, NOW)}
    assert deliver(engine, slack, NOW + timedelta(hours=1))["sent"] == 0
    assert len(slack.posts) == 250


def test_the_limit_counts_the_messages_taken(engine: Engine) -> None:
    record(engine, 7)
    slack = Recorder()
    assert deliver(engine, slack, NOW, limit=3)["sent"] == 3
    assert deliver(engine, slack, NOW, limit=3)["sent"] == 3
    assert deliver(engine, slack, NOW, limit=3)["sent"] == 1
    assert len(slack.posts) == 7


def test_a_message_recorded_later_is_not_due_yet(engine: Engine) -> None:
    record(engine, 2, now=NOW + timedelta(minutes=1))
    assert deliver(engine, Recorder(), NOW)["sent"] == 0
    assert deliver(engine, Recorder(), NOW + timedelta(minutes=1))["sent"] == 2


def test_a_refused_send_is_retried_after_its_backoff_and_a_permanent_one_kept(
    engine: Engine,
) -> None:
    record(engine, 1)
    busy = SlackSendError("ratelimited", permanent=False, retry_after=600)
    assert deliver(engine, Recorder(busy), NOW) == {"sent": 0, "retry": 1, "failed": 0}
    (row,) = rows(engine)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "ratelimited")
    assert row.next_attempt_at == NOW + timedelta(minutes=10)  # Retry-After beat 2 minutes
    assert deliver(engine, Recorder(), NOW + timedelta(minutes=9))["sent"] == 0
    gone = SlackSendError("channel_not_found", permanent=True)
    later = NOW + timedelta(minutes=10)
    assert deliver(engine, Recorder(gone), later) == {"sent": 0, "retry": 0, "failed": 1}
    (row,) = rows(engine)
    assert (row.status, row.attempts, row.last_error) == ("failed", 2, "channel_not_found")
    assert deliver(engine, Recorder(), later + timedelta(days=1))["sent"] == 0


@given(
    attempts=st.integers(min_value=1, max_value=40),
    retry_after=st.none() | st.floats(min_value=0, max_value=10 * 3600),
)
def test_a_retry_waits_doubling_backoff_capped_and_never_less_than_retry_after(
    attempts: int, retry_after: float | None
) -> None:
    error = SlackSendError("timeout", permanent=False, retry_after=retry_after)
    settled = outcome(attempts, None, error, NOW)
    wait = settled["next_attempt_at"] - NOW
    backoff = min(timedelta(minutes=2**attempts), MAX_BACKOFF)
    assert settled["status"] == "pending"
    assert wait == max(backoff, timedelta(seconds=retry_after or 0))
    if attempts > 1:
        before = outcome(attempts - 1, None, error, NOW)["next_attempt_at"] - NOW
        assert before <= wait  # never shorter than the attempt before


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_row_another_replica_holds_is_left_to_it(engine: Engine) -> None:
    record(engine, 3)
    first = rows(engine)[0].id
    with engine.connect() as other:
        other.execute(sa.select(Outbox.id).where(col(Outbox.id) == first).with_for_update())
        slack = Recorder()
        # The row passed over does not count against the limit.
        assert deliver(engine, slack, NOW, limit=2) == {"sent": 2, "retry": 0, "failed": 0}
        assert [text for _, text in slack.posts] == ["message 1", "message 2"]
        other.rollback()  # the other replica died mid-send: its row is still pending
    assert deliver(engine, slack, NOW)["sent"] == 1
    assert {r.status for r in rows(engine)} == {"sent"}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_stale_claim_is_taken_over_and_its_first_sender_does_not_settle_it(
    engine: Engine,
) -> None:
    record(engine, 1)
    later = NOW + STALE_CLAIM + timedelta(seconds=1)
    second = Recorder()
    # While the first sender hangs on Slack, its claim goes stale and another sender takes it.
    outcomes: list[dict[str, int]] = []
    first = Recorder(
        error=SlackSendError("timeout", permanent=False),
        during=lambda: outcomes.append(deliver(engine, second, later)),
    )
    assert deliver(engine, first, NOW) == {"sent": 0, "retry": 0, "failed": 0}
    assert outcomes == [{"sent": 1, "retry": 0, "failed": 0}]
    (row,) = rows(engine)
    # The second sender's outcome stands: not turned back to pending by the first's timeout.
    assert (row.status, row.attempts, row.sent_at, row.last_error) == ("sent", 2, later, None)
    assert second.posts == [("C0COMMS", "message 0")]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_sender_that_died_mid_send_is_taken_over_once_its_claim_is_stale(
    engine: Engine,
) -> None:
    record(engine, 1)
    with engine.begin() as conn:  # what a sender that died after its claim leaves
        conn.execute(sa.update(Outbox).values(status="sending", claimed_at=NOW, attempts=1))
    assert deliver(engine, Recorder(), NOW + STALE_CLAIM - timedelta(seconds=1))["sent"] == 0
    assert deliver(engine, Recorder(), NOW + STALE_CLAIM + timedelta(seconds=1))["sent"] == 1
    (row,) = rows(engine)
    assert (row.status, row.attempts) == ("sent", 2)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_key_another_replica_records_between_our_look_and_our_insert(engine: Engine) -> None:
    message = Message("digest:U0ANNA:2026-11-24T09:00", "item_digest", "U0ANNA", "Two overdue")
    raced = threading.Event()

    def other_replica_first(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("INSERT INTO outbox") and not raced.is_set():
            raced.set()
            with Session(engine) as other:
                assert enqueue(other, message, NOW)
                other.commit()

    with Session(engine) as session:
        enqueue(session, Message("first", "test", "C0COMMS", "in the same transaction"), NOW)
        raced.clear()
        sa.event.listen(engine, "before_cursor_execute", other_replica_first)
        try:
            assert not enqueue(session, message, NOW)
        finally:
            sa.event.remove(engine, "before_cursor_execute", other_replica_first)
        assert raced.is_set()
        session.commit()  # the transaction went on: what it recorded before is kept
    assert sorted(r.key for r in rows(engine)) == [message.key, "first"]
