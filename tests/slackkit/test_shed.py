"""Shedding load: the rule that answers "busy", the pool's backlog it reads, and the count of
busy answers that /metrics reports (stored on SQLite and PostgreSQL alike)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from prometheus_client.core import Metric
from sqlalchemy.engine import Engine

from bot.slackkit.shed import (
    CountingExecutor,
    ShedLimits,
    ShedTally,
    decide,
    input_block,
    kind_of,
)
from bot.web.metrics import families, read_snapshot
from tests.fakeslack import slash_command_payload, view_submission_payload
from tests.waiting import PATIENCE, wait_until

LIMITS = ShedLimits(backlog=8, waited=1.0)


@pytest.mark.parametrize(
    ("backlog", "waited", "shed"),
    [
        (0, 0.0, False),
        (7, 0.0, False),  # one listener thread still free: it starts at once
        (7, 0.99, False),
        (8, 0.0, True),  # every thread taken: it would queue, and its ack with it
        (30, 0.0, True),
        (0, 1.0, True),  # waited its limit for a request thread
        (0, 2.5, True),
        (8, 1.0, True),
    ],
)
def test_a_command_is_shed_at_a_full_pool_or_after_a_long_wait(
    backlog: int, waited: float, shed: bool
) -> None:
    assert (decide(backlog, waited, LIMITS) is not None) is shed


def test_the_reason_says_which_limit() -> None:
    assert decide(9, 0.0, LIMITS) == "9 listeners running or queued (limit 8)"
    assert decide(0, 1.25, LIMITS) == "it waited 1.25 s for a request thread (limit 1 s)"


def test_commands_and_forms_with_an_input_can_be_answered_busy() -> None:
    assert kind_of(slash_command_payload("who")) == "command"
    blocks: list[dict[str, Any]] = [
        {"type": "section", "block_id": "intro", "text": {"type": "mrkdwn", "text": "Hi"}},
        {"type": "input", "block_id": "date", "element": {"type": "datepicker"}},
        {"type": "input", "block_id": "note", "element": {"type": "plain_text_input"}},
    ]
    form = view_submission_payload("vakt_away", {}, blocks=blocks)
    assert kind_of(form) == "view_submission"
    assert input_block(form) == "date"  # where the error shows
    # A form without an input has nowhere to show it; events and buttons are run as before.
    assert kind_of(view_submission_payload("vakt_away", {}, blocks=blocks[:1])) is None
    assert kind_of({"type": "block_actions", "actions": []}) is None
    assert kind_of({"type": "event_callback", "event": {"type": "message"}}) is None


def test_the_pool_counts_its_jobs_queued_and_running() -> None:
    pool = CountingExecutor(max_workers=2)
    release = threading.Event()
    try:
        assert pool.backlog == 0
        futures = [pool.submit(release.wait, PATIENCE) for _ in range(3)]  # 2 run, 1 queued
        assert pool.backlog == 3
        release.set()
        for future in futures:
            future.result(timeout=PATIENCE)
        # The count drops in the futures' done callbacks, just after their results are set.
        wait_until(lambda: pool.backlog == 0, what="for the backlog to drain")
        failing = pool.submit(lambda: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            failing.result(timeout=PATIENCE)
        wait_until(lambda: pool.backlog == 0, what="after a failed job")
    finally:
        release.set()
        pool.shutdown(wait=True)


def _shed_samples(engine: Engine) -> dict[str, float]:
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    with engine.connect() as conn:
        snapshot = read_snapshot(conn, now)
    found: list[Metric] = [f for f in families(snapshot, now) if f.name == "vakt_shed"]
    return {s.labels["kind"]: s.value for f in found for s in f.samples}


def test_the_busy_answers_are_stored_added_up_and_reported(engine: Engine) -> None:
    # Before any: both kinds at 0, so an alert on an increase sees the first one.
    assert _shed_samples(engine) == {"command": 0, "view_submission": 0}
    one, other = ShedTally(), ShedTally()  # two workers (or replicas)
    for _ in range(3):
        one.add("command")
    one.add("view_submission")
    other.add("command")
    assert one.flush(engine) == 4
    assert one.pending() == {}
    assert one.flush(engine) == 0  # nothing new: nothing written
    assert other.flush(engine) == 1
    assert _shed_samples(engine) == {"command": 4, "view_submission": 1}


def test_counts_the_database_did_not_take_are_kept_for_the_next_time(engine: Engine) -> None:
    tally = ShedTally()
    tally.add("command")
    with engine.begin() as conn:  # the table away: every write to it fails
        conn.exec_driver_sql("ALTER TABLE shed_count RENAME TO shed_count_away")
    try:
        assert tally.flush(engine) == 0
        assert tally.pending() == {"command": 1}
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE shed_count_away RENAME TO shed_count")
    tally.add("command")
    assert tally.flush(engine) == 2
    assert _shed_samples(engine)["command"] == 2
