"""Shedding load: a command this worker cannot start at once is acknowledged "busy", at once,
and nothing of it runs.

Over HTTP Bolt answers Slack only once the listener has called ack(), and the listener runs on
the listener pool (process_before_response is off): the request thread submits it, then waits
for its ack (slack_bolt/listener/thread_runner.py looks at `ack.response` every 10 ms, for 3 s).
With every listener thread busy on earlier requests – the database, then the POST to
response_url – a new listener waits in the pool's queue, and its ack with it. Past 3 s Slack
shows the person "operation_timeout", and the command may still run afterwards. A request may
also have waited for one of the worker's request threads before Bolt saw it
(bot.web.httpworker measures how long).

So before a slash command's listener is queued (or a form's submission's), `decide` looks at
the pool's backlog (queued and running) and at that wait. Over either limit the `Shedder`'s
middleware acknowledges the request with "very busy, try again in a minute" in the person's
language – the one this process last answered them in (`known_language`: no database, no
Slack), else the organisation's – logs one line and counts it. Nothing of the command has run,
so nothing is half-done, and the person knows to send it again.

Events are acknowledged by Bolt before their listener is queued (and Slack does not send an
acknowledged event again), and a button press is acknowledged with a body Slack shows nobody
(telling its presser would take a call to Slack): both run as before, and their backlog counts
against the commands'.

The counts are added to the database every few seconds (`ShedTally.flush`), never on a
request's path: /metrics shows every replica's as `vakt_shed_total`.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from slack_bolt import Ack, BoltContext, BoltResponse
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.kernel.i18n import plain, t
from bot.slackkit import blocks as kit
from bot.slackkit import guard
from bot.slackkit.deps import Deps, known_language
from bot.store.db import session_scope
from bot.store.models import ShedCount

log = logging.getLogger(__name__)

KINDS = ("command", "view_submission")
# The Bolt request's context key for the seconds the request waited for a request thread.
WAITED = "vakt_waited"


@dataclass(frozen=True)
class ShedLimits:
    """When a worker answers "busy": at `backlog` listeners queued or running, or once a request
    has waited `waited` seconds for a request thread."""

    backlog: int
    waited: float


def decide(backlog: int, waited: float, limits: ShedLimits) -> str | None:
    """Why a command must be answered "busy" now, for the log (None: run it). `backlog` is the
    listener pool's jobs queued or running, `waited` the seconds the request waited for a
    request thread."""
    if backlog >= limits.backlog:
        return f"{backlog} listeners running or queued (limit {limits.backlog})"
    if waited >= limits.waited:
        return f"it waited {waited:.2f} s for a request thread (limit {limits.waited:g} s)"
    return None


def input_block(body: Mapping[str, Any]) -> str | None:
    """The block id of a submitted form's first input, where a "busy" error can be shown."""
    view = body.get("view")
    for block in (view.get("blocks") if isinstance(view, dict) else None) or ():
        if isinstance(block, dict) and block.get("type") == "input":
            block_id = block.get("block_id")
            if isinstance(block_id, str) and block_id:
                return block_id
    return None


def kind_of(body: Mapping[str, Any]) -> str | None:
    """The kind of request that can be answered "busy" (one of KINDS), None for any other."""
    if "command" in body:
        return "command"
    if body.get("type") == "view_submission" and input_block(body) is not None:
        return "view_submission"
    return None


class CountingExecutor(ThreadPoolExecutor):
    """A thread pool that knows its backlog: the jobs submitted and not finished yet."""

    def __init__(self, max_workers: int, thread_name_prefix: str = "") -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
        self._count_lock = threading.Lock()
        self._backlog = 0

    @property
    def backlog(self) -> int:
        """Jobs queued or running."""
        return self._backlog

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._count_lock:
            self._backlog += 1
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:
            self._finished()
            raise
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _future: object = None) -> None:
        with self._count_lock:
            self._backlog -= 1


def add_shed_counts(session: Session, counts: Mapping[str, int]) -> None:
    """Add to the stored counts of "busy" answers (one statement, safe beside other replicas)."""
    table = ShedCount.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    statement = insert.values([{"kind": kind, "count": n} for kind, n in sorted(counts.items())])
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["kind"], set_={"count": table.c.count + statement.excluded.count}
        )
    )


class ShedTally:
    """The "busy" answers this process gave and has not stored yet, by kind."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, kind: str) -> None:
        with self._lock:
            self._counts[kind] += 1

    def pending(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def flush(self, engine: Engine) -> int:
        """Store the counts (how many were stored; kept for the next time when the database
        does not take them)."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
        if not counts:
            return 0
        try:
            with session_scope(engine) as session:
                add_shed_counts(session, counts)
        except sa.exc.SQLAlchemyError as exc:
            with self._lock:
                self._counts.update(counts)
            log.warning("the count of busy answers is not stored yet: %s", type(exc).__name__)
            return 0
        return sum(counts.values())


class Shedder:
    """Answers "busy" for the commands (and form submissions) a worker cannot start at once:
    `backlog` tells the listener pool's jobs queued or running. `middleware` is a Bolt global
    middleware; Bolt returns the ack it gives to Slack."""

    def __init__(self, deps: Deps, limits: ShedLimits, backlog: Callable[[], int]) -> None:
        self.deps = deps
        self.limits = limits
        self.backlog = backlog
        self.tally = ShedTally()

    def middleware(
        self, body: dict[str, Any], context: BoltContext, ack: Ack, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        kind = kind_of(body)
        if kind is None:
            return next()
        waited = context.get(WAITED)
        reason = decide(
            self.backlog(), float(waited) if isinstance(waited, float) else 0.0, self.limits
        )
        if reason is None:
            return next()
        user = body.get("user_id") or (body.get("user") or {}).get("id")
        lang = known_language(self.deps, user)
        self.tally.add(kind)
        log.info("answered busy: %s from %s: %s", guard.summary(body), user, reason)
        if kind == "command":
            message = t(lang, "error.busy")
            return ack(
                text=message, blocks=kit.error_blocks(message, None), response_type="ephemeral"
            )
        block_id = input_block(body)
        assert block_id is not None  # kind_of found it
        return ack(response_action="errors", errors={block_id: plain(lang, "error.busy")})
