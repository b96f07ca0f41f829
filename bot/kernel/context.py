"""The request context: what every service call needs, and how one is opened.

One user action, one job step or one HTTP request is one `Ctx`: the transaction, the
organisation's settings, the working calendar, the instant it happens at and who acts.
Services take it as their first argument; they never read the clock or open a session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.kernel import audit as audit_log
from bot.kernel.calendar import WorkCalendar
from bot.kernel.config import OrgConfig
from bot.kernel.errors import NotAllowed
from bot.kernel.links import FeedKeys
from bot.store.db import session_scope

T = TypeVar("T")


@dataclass
class Ctx:
    """What every service call needs: the transaction, the settings, the clock and the actor."""

    session: Session
    config: OrgConfig
    calendar: WorkCalendar
    now: datetime
    actor: str
    # What this transaction has already loaded (the teams, ...), dropped by `forget()`.
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)
    # Where calendar links point and the secret they are made with (HTTP mode only).
    feed_keys: FeedKeys | None = field(default=None, repr=False)

    @property
    def today(self) -> date:
        return self.calendar.local_date(self.now)

    @property
    def is_coordinator(self) -> bool:
        return self.config.is_coordinator(self.actor)

    def memo(self, key: str, load: Callable[[], T]) -> T:
        """`load()` once per transaction (until `forget()`)."""
        if key not in self._memo:
            self._memo[key] = load()
        value: T = self._memo[key]
        return value

    def forget(self) -> None:
        """Drop what was loaded: the next read sees this transaction's changes."""
        self._memo.clear()

    def require_coordinator(self) -> None:
        if not self.is_coordinator:
            raise NotAllowed("error.coordinators_only")

    def audit(self, action: str, target: str, *, before: Any = None, after: Any = None) -> None:
        """Record a change made by this context's actor, now."""
        audit_log.audit(
            self.session,
            actor=self.actor,
            action=action,
            target=target,
            now=self.now,
            before=before,
            after=after,
        )


@contextmanager
def open_ctx(
    engine: Engine,
    config: OrgConfig,
    calendar: WorkCalendar,
    actor: str,
    now: datetime,
    feed_keys: FeedKeys | None = None,
) -> Iterator[Ctx]:
    """One transaction for one action: committed on success, rolled back on any error."""
    with session_scope(engine) as session:
        yield Ctx(session, config, calendar, now, actor, feed_keys=feed_keys)
