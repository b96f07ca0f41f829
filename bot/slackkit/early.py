"""A command's answer in its acknowledgement, when it is ready in time.

Slack shows the message a slash command's acknowledgement carries just as it shows one posted
to the command's response_url (api.slack.com/interactivity/handling#message_responses), and a
command Vakt answers from what it keeps in the process (`who`, `rota`, `unanswered` ...) is
ready in milliseconds. Acknowledging first and posting the answer afterwards cost a second HTTP
request per command, held the listener's thread until Slack took it, and under load that wait
filled the listener pool and had commands answered "busy" (bot.slackkit.shed).

So the `/vakt` listener works the answer out first and acknowledges with it – unless it is not
ready by its `deadline` (BUDGET after the request reached the worker, well inside Slack's 3 s):
then `Deadlines`, one thread per process, acknowledges it empty, and the listener posts the
answer to the response_url when it has it, as before. Exactly one of the two acknowledges
(`Answering.claim`), so a command is acknowledged once and answered once, whichever is first.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import threading
from collections.abc import Callable
from time import perf_counter

log = logging.getLogger(__name__)

# Seconds from a request's arrival until it is acknowledged, answer or not (Slack waits 3 s).
BUDGET = 2.0
# The Bolt request's context key for when the request reached the worker (perf_counter).
ARRIVED = "vakt_arrived"
# The watcher wakes at most this often: a deadline may pass by this much before its empty ack.
RESOLUTION = 0.05


class Answering:
    """One command's acknowledgement, given once: by the listener with its answer or, past the
    deadline, empty by the watcher."""

    __slots__ = ("_ack", "_claimed", "_lock")

    def __init__(self, ack: Callable[[], object], lock: threading.Lock) -> None:
        self._ack = ack
        self._lock = lock
        self._claimed = False

    def claim(self) -> bool:
        """True for the first caller only: it acknowledges (and with the answer, if it has it)."""
        with self._lock:
            if self._claimed:
                return False
            self._claimed = True
            return True

    def ack_empty(self) -> None:
        """Acknowledge without an answer, unless done already."""
        if self.claim():
            self._ack()


class Deadlines:
    """Acknowledges, empty, each command still unanswered at its deadline. The thread starts with
    the first command in each process (a pre-forked server's workers each get their own)."""

    def __init__(self, clock: Callable[[], float] = perf_counter) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._claims = threading.Lock()
        self._heap: list[tuple[float, int, Answering]] = []
        self._order = itertools.count()
        self._pid: int | None = None

    def watch(self, ack: Callable[[], object], deadline: float) -> Answering:
        """The acknowledgement of a command, acknowledged empty at `deadline` (clock's time)."""
        answering = Answering(ack, self._claims)
        if deadline <= self.clock():  # already late: empty now, the answer to the response_url
            answering.ack_empty()
            return answering
        with self._lock:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                self._heap.clear()
                threading.Thread(target=self._run, name="vakt-ack-deadlines", daemon=True).start()
            heapq.heappush(self._heap, (deadline, next(self._order), answering))
            if self._heap[0][2] is answering:
                self._wake.notify()
        return answering

    def pending(self) -> int:
        """Commands watched whose deadline has not come yet (answered ones included)."""
        with self._lock:
            return len(self._heap)

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._heap:
                    self._wake.wait()
                delay = self._heap[0][0] - self.clock()
                if delay > 0:
                    self._wake.wait(max(delay, RESOLUTION))
                    continue
                due: list[Answering] = []
                now = self.clock()
                while self._heap and self._heap[0][0] <= now:
                    due.append(heapq.heappop(self._heap)[2])
            for answering in due:
                try:
                    answering.ack_empty()
                except Exception as exc:  # the listener still answers at the response_url
                    log.warning("an empty ack failed: %s", type(exc).__name__)


DEADLINES = Deadlines()
