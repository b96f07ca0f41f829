"""How tests wait: on the event itself, with a deadline generous enough for a busy machine.

A deadline only bounds how long a failing test takes to say so; a passing test returns as soon
as what it waits for has happened. So it is long (a loaded 2-core CI machine can stall a thread
for seconds), and nothing else in a test should guess how fast the machine is.
"""

from __future__ import annotations

import time
from collections.abc import Callable

PATIENCE = 60.0
"""Seconds to wait for something that should happen, before calling the test failed."""

POLL = 0.02


def wait_until(check: Callable[[], bool], timeout: float = PATIENCE, what: str = "") -> None:
    """Return as soon as `check()` is true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"condition not met in {timeout:g} s {what}".strip()
        time.sleep(POLL)
