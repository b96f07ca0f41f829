"""Unanswered items: deadlines, reminder slots, escalation and response-time figures.

Pure: every input (including "now") is an argument. The rules come from the seeds: answer at the
latest the next working day (VT2, RK3), ping only in office hours (VT1, RK2), and let the manager
hear about what drags on (KG1).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache

from bot.kernel import personal
from bot.kernel.calendar import WorkCalendar
from bot.kernel.config import ItemRules
from bot.kernel.slots import reminder_slot

__all__ = [
    "CLOSED",
    "ItemRules",
    "Status",
    "age_working_days",
    "deadline_for",
    "escalation_cutoff",
    "excerpt_of",
    "first_link",
    "percentile",
    "reminder_slot",
]


class Status(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    NO_REPLY = "no_reply"  # nothing to answer (a thank-you, a like)
    REFERRED = "referred"  # referred to case handling: social media does no case handling (VT6)
    DELETED = "deleted"


CLOSED = (Status.ANSWERED, Status.NO_REPLY, Status.REFERRED, Status.DELETED)


def deadline_for(calendar: WorkCalendar, received_at: datetime, working_days: int) -> datetime:
    """End of office hours on the n-th working day after the day the item was received.

    Friday 16:00 and Saturday both fall due when Monday closes; a Maundy Thursday question in
    Norway when the Tuesday after Easter closes.
    """
    return calendar.deadline(received_at, working_days)


def last_closed_working_day(calendar: WorkCalendar, now: datetime) -> date:
    """The last working day whose office hours have ended by `now`."""
    today = calendar.local_date(now)
    hours = calendar.hours(today)
    if hours is not None and now >= hours[1]:
        return today
    return calendar.previous_working_day(today)


def escalation_cutoff(calendar: WorkCalendar, now: datetime, n: int) -> datetime:
    """Items whose deadline is at or before this instant have been open `n` working days past
    their deadline at `now`, and go to the manager.

    Deadlines are closing times, so an item is escalated once the n-th working day after its
    deadline's day has closed: due Monday 16:00, n = 1, it is escalated from Tuesday's closing,
    i.e. in Wednesday morning's reminders.
    """
    if n < 0:
        raise ValueError(f"n must be 0 or more, got {n}")
    day = last_closed_working_day(calendar, now)
    for _ in range(n):
        day = calendar.previous_working_day(day)
    # Any deadline on that local day or before: the day's end, in the organisation's zone.
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=calendar.tz)
    return end - timedelta(microseconds=1)


def age_working_days(calendar: WorkCalendar, received_at: datetime, now: datetime) -> int:
    """Whole working days since the day an item was received (0 the same day).

    Counted on dates, not hours: an item received Friday is 1 working day old on Monday.
    """
    return _working_days_after(calendar, calendar.local_date(received_at), calendar.local_date(now))


@lru_cache(maxsize=4096)
def _working_days_after(calendar: WorkCalendar, start: date, end: date) -> int:
    # Cached: a digest or list shows many items received the same day.
    if end <= start:
        return 0
    return len(calendar.working_days_between(start + timedelta(days=1), end))


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0-100) with linear interpolation between ranks; None if empty."""
    if not values:
        return None
    if not 0 <= p <= 100:
        raise ValueError(f"p must be within 0..100, got {p}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


_SLACK_LINK = re.compile(r"<(https?://[^|>\s]+)(?:\|[^>]*)?>")
_BARE_LINK = re.compile(r"https?://[^\s<>|]+")
_MENTION = re.compile(r"<[@#!][^>]*>")
_TRAILING = ".,;:!?)]}'\""
_SPACE = re.compile(r"\s+")


def first_link(text: str) -> str | None:
    """The first web link in a Slack message text (`<https://...|label>` or bare)."""
    found = [m for m in (_SLACK_LINK.search(text), _BARE_LINK.search(text)) if m is not None]
    if not found:
        return None
    match = min(found, key=lambda m: m.start())  # a Slack link starts before the URL inside it
    if match.re is _SLACK_LINK:
        return _unescape(match.group(1))
    # A bare link ends before the sentence's punctuation: "se https://a.no/x." is .../x
    return _unescape(match.group(0).rstrip(_TRAILING)) or None


def _unescape(text: str) -> str:
    """Slack escapes &, < and > in message text as HTML entities."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def excerpt_of(text: str, limit: int) -> str | None:
    """A short excerpt: links and mentions removed, e-mail addresses, phone numbers and identity
    numbers replaced by a placeholder, whitespace folded, cut at `limit` characters.

    Keeps as little personal data as will do (NB10): no user or channel mentions, no links, no
    way to reach or identify the citizen (the question itself is on the platform).
    """
    if limit <= 0:
        return None
    plain = _SLACK_LINK.sub("", text)
    plain = _MENTION.sub("", plain)
    plain = _BARE_LINK.sub("", plain)
    # Unescaped first, so "&lt;ola@x.no&gt;" is an address like any other. Slack's own
    # <mailto:…> and <tel:…> links get the same placeholder as the ones typed out.
    plain = personal.scrub(_unescape(plain))
    plain = _SPACE.sub(" ", plain).strip()
    if not plain:
        return None
    return plain if len(plain) <= limit else plain[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class ItemLine:
    """What a message shows about one item (plain data, for the builders)."""

    id: int
    account: str  # the account's name
    account_url: str
    url: str | None
    excerpt: str | None
    received_at: datetime
    deadline: datetime
    status: str = Status.OPEN
    must_register: bool = False
    registration_ref: str | None = None
    closed_by: str | None = None
    closed_at: datetime | None = None
    responsible: str | None = None
    team: str | None = None
    platform: str | None = None  # facebook | instagram: the comment is on a connected account
