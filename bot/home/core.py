"""The App Home tab's decisions, as plain functions: a person's duty spells from a team's days,
how long lists are cut, when a changed home may be published again, and what counts as a change.

views.publish is a Tier 4 method (100+ calls a minute per workspace): the refresh publishes at
most `PUBLISH_BUDGET` homes per sweep (default every 5 minutes) and each home at most once per
`DEBOUNCE`, far below that; a 429's Retry-After holds every refresh back until it has passed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar

from bot.rota.core import Duty

T = TypeVar("T")

ACTIVE = timedelta(days=30)
"""A home opened this recently is kept up to date by the sweep; older ones wait for a visit."""
DEBOUNCE = timedelta(minutes=2)
"""A home is republished by the sweep at most once in this interval."""
PUBLISH_BUDGET = 50
"""At most this many homes are published by one refresh (views.publish: 100+ a minute)."""
ROWS = 5
"""Rows a list shows on the home before "… and N more" with Show all."""
MODAL_ROWS = 300
"""Rows the Show all modal lists (its text packed into sections, within 100 blocks)."""
VOLATILE_BLOCKS = frozenset({"home-updated", "home-notice"})
"""Blocks left out of the content hash: the time of the refresh and a one-off notice."""


@dataclass(frozen=True)
class Listing(Generic[T]):
    """Some rows of a list and how many there are in all."""

    rows: tuple[T, ...]
    total: int

    @property
    def more(self) -> int:
        """How many rows are not shown."""
        return max(0, self.total - len(self.rows))


def clip(rows: Iterable[T], limit: int, total: int | None = None) -> Listing[T]:
    """The first `limit` rows, with the total (`total`, else the number of rows)."""
    items = tuple(rows)
    return Listing(items[:limit], len(items) if total is None else total)


@dataclass(frozen=True)
class Spell:
    """A person's duty within one rotation period: their role on its first day with them on
    duty, and the first and last working day they are on duty in it."""

    period_index: int
    role: str  # "primary" | "substitute"
    first: date
    last: date


def role_of(duty: Duty, user: str) -> str | None:
    """The person's role on a day's duty, if any."""
    if duty.primary == user:
        return "primary"
    if duty.substitute == user:
        return "substitute"
    return None


def spells(days: Sequence[Duty], user: str) -> list[Spell]:
    """The person's duty spells, one per period, from a team's duties on consecutive working
    days (absences and overrides already applied)."""
    found: dict[int, Spell] = {}
    for duty in days:
        role = role_of(duty, user)
        if role is None:
            continue
        index = duty.period.index
        spell = found.get(index)
        if spell is None:
            found[index] = Spell(index, role, duty.day, duty.day)
        else:
            found[index] = Spell(index, spell.role, spell.first, duty.day)
    return sorted(found.values(), key=lambda s: s.first)


@dataclass(frozen=True)
class DutyNow:
    """Whether someone is on duty now (and until when in this period), and their next spell."""

    now: Spell | None
    next: Spell | None


def duty_now_and_next(days: Sequence[Duty], user: str, today: date) -> DutyNow:
    """`days` start at the working day whose duty holds now (`today`): the spell holding today
    is "now"; the next is the first spell in a later period (or later this period when they are
    not on duty today, e.g. covering from Wednesday)."""
    mine = spells(days, user)
    current = next(
        (
            s
            for s in mine
            if s.first <= today
            and any(d.day == today and role_of(d, user) for d in days)
            and s.last >= today
        ),
        None,
    )
    if current is not None:
        later = [s for s in mine if s.period_index > current.period_index]
    else:
        later = [s for s in mine if s.first > today]
    return DutyNow(current, later[0] if later else None)


def view_hash(view: dict[str, Any]) -> str:
    """A hash of what a home shows, leaving out the time it was made and one-off notices, so
    a refresh with nothing new publishes nothing."""
    kept = [b for b in view.get("blocks", []) if b.get("block_id") not in VOLATILE_BLOCKS]
    body = json.dumps({**view, "blocks": kept}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def may_publish(published_at: datetime | None, now: datetime, debounce: timedelta) -> bool:
    """True when the home's last publish is at least `debounce` ago (or it never was)."""
    return published_at is None or now - published_at >= debounce


def backing_off(retry_at: Iterable[datetime | None], now: datetime) -> bool:
    """True while a Retry-After Slack gave (recorded as a time to retry at) has not passed:
    the limit is per method and workspace, so every home waits."""
    return any(at is not None and at > now for at in retry_at)
