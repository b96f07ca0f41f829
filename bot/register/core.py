"""The account register's rules as plain functions: kinds and statuses, when an account is
inactive or past its end date, when a flag is raised (again), posting volume, rota coverage,
the closure checklist and the public list.

Nothing here reads the clock or the database: the jobs and services pass `today` and the facts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from bot.kernel.config import AccountKind, AccountStatus, RegisterRules
from bot.rota.core import Absence


class FlagKind(StrEnum):
    INACTIVE = "inactive"  # no post within the cadence (VT4, NB7, RK3)
    ENDED = "ended"  # past the end date of a time-limited account (VT4)
    COVERAGE = "coverage"  # fewer than two available members ahead (NB3)


class ClosureStepName(StrEnum):
    FINAL_SNAPSHOT = "final_snapshot"  # NB6: required, never waived
    FOLLOWERS_TOLD = "followers_told"  # a last post or the followers told
    PUBLIC_LIST = "public_list"  # removed from the municipality's public list (KG4)
    CREDENTIALS = "credentials"  # log-in details recovered or revoked (NB2)
    PLATFORM_REMOVED = "platform_removed"  # deleted or unpublished on the platform


CLOSURE_STEPS = tuple(ClosureStepName)
# A final snapshot counts for a closure when taken after it started or this long before it.
FINAL_SNAPSHOT_BEFORE = timedelta(days=30)
WAIVABLE = frozenset(CLOSURE_STEPS) - {ClosureStepName.FINAL_SNAPSHOT}


def cadence_of(rules: RegisterRules, cadence_days: int | None) -> int:
    """An account's cadence: its own, else the organisation's (0: not checked)."""
    return rules.cadence_days if cadence_days is None else cadence_days


def inactive_since(
    last_post: date | None, created: date, cadence_days: int, today: date
) -> date | None:
    """The day an account's silence began when it has posted nothing for more than
    `cadence_days` (counting from its creation when it never posted); None when it is active."""
    if cadence_days <= 0:
        return None
    since = last_post if last_post is not None else created
    return since if (today - since).days > cadence_days else None


def is_ended(end_date: date | None, today: date) -> bool:
    """A time-limited account is past its end date the day after it."""
    return end_date is not None and today > end_date


class FlagAction(StrEnum):
    NONE = "none"
    RAISE = "raise"  # a new flag
    RAISE_AGAIN = "raise_again"  # kept quiet, the quiet period is over and it still holds
    RESOLVE = "resolve"  # the condition no longer holds


@dataclass(frozen=True)
class OpenFlag:
    quiet_until: date | None


def flag_action(open_flag: OpenFlag | None, holds: bool, today: date) -> FlagAction:
    """What to do with a condition on an account: raised once, raised again only when it still
    holds after the quiet period it was kept for, resolved when it no longer holds."""
    if open_flag is None:
        return FlagAction.RAISE if holds else FlagAction.NONE
    if not holds:
        return FlagAction.RESOLVE
    if open_flag.quiet_until is not None and today >= open_flag.quiet_until:
        return FlagAction.RAISE_AGAIN
    return FlagAction.NONE


def over_limit(count: int, limit: int | None) -> bool:
    """More posts than the limit (None or 0: no limit)."""
    return bool(limit) and count > (limit or 0)


def coverage_short_day(available: Mapping[date, int], minimum: int) -> date | None:
    """The first working day ahead with fewer than `minimum` available members, if any."""
    for day in sorted(available):
        if available[day] < minimum:
            return day
    return None


def closure_missing(done: Iterable[str], has_final_snapshot: bool) -> list[ClosureStepName]:
    """The closure steps still to do; the final snapshot counts only when one is archived."""
    finished = set(done)
    missing: list[ClosureStepName] = [
        step
        for step in CLOSURE_STEPS
        if step != ClosureStepName.FINAL_SNAPSHOT and step not in finished
    ]
    if not has_final_snapshot:
        missing.insert(0, ClosureStepName.FINAL_SNAPSHOT)
    return missing


def is_public(status: str, kind: str) -> bool:
    """On the municipality's public list (KG4): live accounts that are not secret groups and
    not on their way out."""
    return (
        status in (AccountStatus.ACTIVE, AccountStatus.FLAGGED) and kind != AccountKind.SECRET_GROUP
    )


_NOT_KEY = re.compile(r"[^a-z0-9]+")


def key_for(name: str, taken: Iterable[str]) -> str:
    """A register key for a new account's name: lower case ASCII, hyphens, unique among
    `taken` (a number is added when needed), at most 40 characters."""
    folded = (
        unicodedata.normalize("NFKD", name.lower().replace("ø", "o").replace("æ", "ae"))
        .encode("ascii", "ignore")
        .decode()
    )
    base = _NOT_KEY.sub("-", folded).strip("-")[:34].strip("-") or "account"
    used = set(taken)
    if base not in used:
        return base
    number = 2
    while f"{base}-{number}" in used:
        number += 1
    return f"{base}-{number}"


def split_users(value: str) -> tuple[str, ...]:
    """Stored comma-separated Slack user ids as a tuple."""
    return tuple(u for u in (p.strip() for p in value.split(",")) if u)


def join_users(users: Iterable[str]) -> str:
    """Slack user ids for storage, in order, without duplicates."""
    return ",".join(dict.fromkeys(u for u in users if u))


# ---------------------------------------------------------------- lifecycle (flags, closure)


class QuietPeriod(StrEnum):
    """How long Keep silences a flag."""

    WEEKS_4 = "4w"
    MONTHS_3 = "3m"
    MONTHS_6 = "6m"
    MONTHS_12 = "12m"
    UNTIL_DATE = "date"  # until a chosen date


_PERIOD_MONTHS = {QuietPeriod.MONTHS_3: 3, QuietPeriod.MONTHS_6: 6, QuietPeriod.MONTHS_12: 12}
MAX_QUIET_DAYS = 731  # Keep silences for two years at most


def add_months(day: date, months: int) -> date:
    """The same day `months` later, the month's last day when it is shorter (31 Jan + 1: 28 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def quiet_until(period: QuietPeriod, today: date, chosen: date | None = None) -> date | None:
    """The day a kept flag may be raised again: the end of the chosen period, counted from
    `today`; for UNTIL_DATE the chosen date. None when the chosen date is missing, not after
    today or too far ahead."""
    if period == QuietPeriod.UNTIL_DATE:
        if chosen is None or chosen <= today or (chosen - today).days > MAX_QUIET_DAYS:
            return None
        return chosen
    if period == QuietPeriod.WEEKS_4:
        return today + timedelta(weeks=4)
    return add_months(today, _PERIOD_MONTHS[period])


def is_kept(quiet: date | None, today: date) -> bool:
    """A flag kept quiet by someone, its quiet period not over yet."""
    return quiet is not None and today < quiet


def available_by_day(
    members: Iterable[str], days: Iterable[date], absences: Iterable[Absence]
) -> dict[date, int]:
    """How many of a team's members are not away on each of `days` (an open-ended absence –
    someone who left the job – covers every day from its start)."""
    people = tuple(dict.fromkeys(members))
    away = list(absences)
    return {
        day: sum(1 for m in people if not any(a.user == m and a.covers(day) for a in away))
        for day in days
    }
