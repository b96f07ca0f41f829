"""The register's pure rules: weeks and the weekly day, cadence and inactivity, end dates, when
a flag is raised (again) or resolved, Keep's quiet periods, rota coverage, the closure
checklist, the public list and register keys."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.kernel.calendar import CalendarRules, Hours, WorkCalendar
from bot.kernel.config import AccountKind, AccountStatus, RegisterRules
from bot.kernel.slots import week_key, weekly_day
from bot.register.core import (
    CLOSURE_STEPS,
    WAIVABLE,
    ClosureStepName,
    FlagAction,
    OpenFlag,
    QuietPeriod,
    add_months,
    available_by_day,
    cadence_of,
    closure_missing,
    coverage_short_day,
    flag_action,
    inactive_since,
    is_ended,
    is_kept,
    is_public,
    join_users,
    key_for,
    over_limit,
    quiet_until,
    split_users,
)
from bot.rota.core import Absence, AbsenceKind

CAL = WorkCalendar(
    CalendarRules(
        timezone="Europe/Oslo",
        country="NO",
        week={d: Hours(time(8), time(16)) for d in range(5)},
        closed_recurring=frozenset({(12, 24), (12, 31)}),
    )
)
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))


# ---------------------------------------------------------------- weeks


def test_week_key_is_the_iso_week() -> None:
    assert week_key(date(2026, 11, 23)) == "2026-W48"
    assert week_key(date(2026, 12, 28)) == "2026-W53"
    assert week_key(date(2027, 1, 3)) == "2026-W53"  # a Sunday still in week 53
    assert week_key(date(2027, 1, 4)) == "2027-W01"


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 25), date(2026, 11, 23)),  # Wednesday: that week's Monday
        (date(2026, 11, 29), date(2026, 11, 23)),  # Sunday too
        (date(2027, 3, 24), date(2027, 3, 22)),  # Holy week: Monday is open
        (date(2027, 3, 31), date(2027, 3, 30)),  # Easter Monday (29 March) is a holiday
        (date(2027, 4, 1), date(2027, 3, 30)),
        (date(2027, 4, 7), date(2027, 4, 5)),  # the week after: Monday again
        (date(2026, 5, 26), date(2026, 5, 26)),  # Whit Monday 2026: Tuesday
    ],
)
def test_weekly_day_is_the_first_working_day_of_the_week(day: date, expected: date) -> None:
    assert weekly_day(CAL, day) == expected


def test_a_week_without_a_working_day_has_no_weekly_day() -> None:
    closed = WorkCalendar(CalendarRules(timezone="Europe/Oslo", country="NO", week={}))
    assert weekly_day(closed, date(2026, 11, 25)) is None


@given(days)
def test_weekly_day_is_in_the_same_iso_week_and_a_working_day(day: date) -> None:
    found = weekly_day(CAL, day)
    assert found is not None  # no Nordic week is all holidays
    assert week_key(found) == week_key(day) and CAL.is_working_day(found)
    monday = day - timedelta(days=day.weekday())
    assert all(not CAL.is_working_day(monday + timedelta(n)) for n in range(found.weekday()))


# ---------------------------------------------------------------- activity and end date


def test_cadence_is_the_accounts_own_else_the_organisations() -> None:
    rules = RegisterRules(cadence_days=21)
    assert cadence_of(rules, None) == 21
    assert cadence_of(rules, 7) == 7
    assert cadence_of(rules, 0) == 0  # this account is not checked


def test_inactive_after_more_than_the_cadence_since_the_last_post() -> None:
    created, last = date(2026, 1, 1), date(2026, 11, 9)
    assert inactive_since(last, created, 14, date(2026, 11, 23)) is None  # exactly 14 days
    assert inactive_since(last, created, 14, date(2026, 11, 24)) == last
    assert inactive_since(None, date(2026, 11, 2), 14, date(2026, 11, 17)) == date(2026, 11, 2)
    assert inactive_since(None, date(2026, 11, 2), 14, date(2026, 11, 16)) is None
    assert inactive_since(date(2020, 1, 1), created, 0, date(2026, 11, 24)) is None


@given(st.one_of(st.none(), days), days, st.integers(0, 400), days)
def test_inactive_since_properties(
    last: date | None, created: date, cadence: int, today: date
) -> None:
    since = inactive_since(last, created, cadence, today)
    start = last if last is not None else created
    if since is None:
        assert cadence <= 0 or (today - start).days <= cadence
    else:
        assert since == start and cadence > 0 and (today - since).days > cadence
        # Once silent, still silent later (nothing posted in between).
        assert inactive_since(last, created, cadence, today + timedelta(days=1)) == since


def test_ended_the_day_after_the_end_date() -> None:
    assert not is_ended(None, date(2030, 1, 1))
    assert not is_ended(date(2026, 11, 23), date(2026, 11, 23))
    assert is_ended(date(2026, 11, 23), date(2026, 11, 24))


# ---------------------------------------------------------------- flags


def test_flag_action_raises_once_and_resolves() -> None:
    today = date(2026, 11, 23)
    assert flag_action(None, True, today) == FlagAction.RAISE
    assert flag_action(None, False, today) == FlagAction.NONE
    assert flag_action(OpenFlag(None), True, today) == FlagAction.NONE  # raised already
    assert flag_action(OpenFlag(None), False, today) == FlagAction.RESOLVE
    kept = OpenFlag(date(2026, 12, 21))
    assert flag_action(kept, True, date(2026, 12, 20)) == FlagAction.NONE
    assert flag_action(kept, True, date(2026, 12, 21)) == FlagAction.RAISE_AGAIN
    assert flag_action(kept, False, date(2026, 12, 1)) == FlagAction.RESOLVE


@given(st.one_of(st.none(), st.builds(OpenFlag, st.one_of(st.none(), days))), st.booleans(), days)
def test_flag_action_properties(open_flag: OpenFlag | None, holds: bool, today: date) -> None:
    action = flag_action(open_flag, holds, today)
    if open_flag is None:
        # Without an open flag there is nothing to resolve or raise again.
        assert action == (FlagAction.RAISE if holds else FlagAction.NONE)
    elif not holds:
        assert action == FlagAction.RESOLVE
    else:
        # An open flag that holds is raised again only once its quiet period is over.
        quiet = open_flag.quiet_until
        assert (action == FlagAction.RAISE_AGAIN) == (quiet is not None and today >= quiet)
        assert action != FlagAction.RAISE
        assert (action == FlagAction.NONE) == is_kept(quiet, today) or quiet is None


def test_quiet_periods() -> None:
    today = date(2026, 12, 14)
    assert quiet_until(QuietPeriod.WEEKS_4, today) == date(2027, 1, 11)
    assert quiet_until(QuietPeriod.MONTHS_3, today) == date(2027, 3, 14)
    assert quiet_until(QuietPeriod.MONTHS_6, today) == date(2027, 6, 14)
    assert quiet_until(QuietPeriod.MONTHS_12, today) == date(2027, 12, 14)
    assert quiet_until(QuietPeriod.UNTIL_DATE, today, date(2027, 2, 1)) == date(2027, 2, 1)
    assert quiet_until(QuietPeriod.UNTIL_DATE, today, None) is None
    assert quiet_until(QuietPeriod.UNTIL_DATE, today, today) is None  # not after today
    assert quiet_until(QuietPeriod.UNTIL_DATE, today, date(2030, 1, 1)) is None  # too far


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 8, 31), 3, date(2026, 11, 30)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
    ],
)
def test_add_months_clamps_to_the_months_last_day(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


@given(days, st.sampled_from([p for p in QuietPeriod if p != QuietPeriod.UNTIL_DATE]))
def test_a_kept_flag_is_quiet_until_the_period_ends_and_no_longer(
    today: date, period: QuietPeriod
) -> None:
    until = quiet_until(period, today)
    assert until is not None and until > today
    assert 28 <= (until - today).days <= 366
    assert is_kept(until, until - timedelta(days=1)) and not is_kept(until, until)
    assert flag_action(OpenFlag(until), True, until - timedelta(days=1)) == FlagAction.NONE
    assert flag_action(OpenFlag(until), True, until) == FlagAction.RAISE_AGAIN


# ---------------------------------------------------------------- coverage


def test_available_members_per_day_with_vacations_and_a_departure() -> None:
    monday = date(2026, 11, 30)
    week = [monday + timedelta(days=n) for n in range(5)]
    absences = [
        Absence("A", date(2026, 12, 2), date(2026, 12, 3)),  # vacation Wednesday-Thursday
        Absence("B", date(2026, 12, 3), None, AbsenceKind.LEFT),  # left from Thursday
        Absence("Z", monday, None, AbsenceKind.LEFT),  # not in the team
    ]
    available = available_by_day(["A", "B", "C"], week, absences)
    assert [available[d] for d in week] == [3, 3, 2, 1, 2]
    assert coverage_short_day(available, 2) == date(2026, 12, 3)
    assert coverage_short_day(available, 1) is None
    assert available_by_day(["A", "A"], week[:1], []) == {monday: 1}  # counted once


def test_coverage_short_day_is_the_first_short_day() -> None:
    available = {date(2026, 12, 4): 1, date(2026, 12, 2): 1, date(2026, 12, 1): 2}
    assert coverage_short_day(available, 2) == date(2026, 12, 2)
    assert coverage_short_day({}, 2) is None


# ---------------------------------------------------------------- closure


def test_closure_needs_every_step_and_a_final_snapshot() -> None:
    others = [s for s in CLOSURE_STEPS if s != ClosureStepName.FINAL_SNAPSHOT]
    assert closure_missing([], False) == list(CLOSURE_STEPS)
    assert closure_missing(others, True) == []
    assert closure_missing(others, False) == [ClosureStepName.FINAL_SNAPSHOT]
    # Ticking the final snapshot off counts for nothing: only an archived one does.
    assert closure_missing([*CLOSURE_STEPS], False) == [ClosureStepName.FINAL_SNAPSHOT]
    assert ClosureStepName.FINAL_SNAPSHOT not in WAIVABLE
    assert frozenset(others) == WAIVABLE


@given(st.sets(st.sampled_from(list(CLOSURE_STEPS))), st.booleans())
def test_closure_missing_properties(done: set[ClosureStepName], has_final: bool) -> None:
    missing = closure_missing(done, has_final)
    assert (ClosureStepName.FINAL_SNAPSHOT in missing) == (not has_final)
    for step in CLOSURE_STEPS:
        if step != ClosureStepName.FINAL_SNAPSHOT:
            assert (step in missing) == (step not in done)
    assert missing == [s for s in CLOSURE_STEPS if s in missing]  # in checklist order
    assert (missing == []) == (has_final and set(WAIVABLE) <= done)


# ---------------------------------------------------------------- register


def test_posting_limits() -> None:
    assert not over_limit(50, None) and not over_limit(50, 0)
    assert not over_limit(5, 5) and over_limit(6, 5)


@pytest.mark.parametrize(
    ("status", "kind", "public"),
    [
        (AccountStatus.ACTIVE, AccountKind.PAGE, True),
        (AccountStatus.FLAGGED, AccountKind.OPEN_GROUP, True),
        (AccountStatus.ACTIVE, AccountKind.CLOSED_GROUP, True),
        (AccountStatus.ACTIVE, AccountKind.SECRET_GROUP, False),
        (AccountStatus.CLOSING, AccountKind.PAGE, False),
        (AccountStatus.CLOSED, AccountKind.PAGE, False),
        (AccountStatus.REQUESTED, AccountKind.PAGE, False),
    ],
)
def test_public_list(status: AccountStatus, kind: AccountKind, public: bool) -> None:
    assert is_public(status, kind) is public


def test_key_for_a_nordic_name() -> None:
    assert key_for("Kultur i Gjøvik – Æra på Øvre", []) == "kultur-i-gjovik-aera-pa-ovre"
    assert key_for("Fritid för unga", []) == "fritid-for-unga"
    assert key_for("Fritid för unga", ["fritid-for-unga"]) == "fritid-for-unga-2"
    assert key_for("Fritid", ["fritid", "fritid-2"]) == "fritid-3"
    assert key_for("!!!", []) == "account"


@given(st.text(max_size=80), st.sets(st.text(max_size=12), max_size=5))
def test_key_for_properties(name: str, taken: set[str]) -> None:
    key = key_for(name, taken)
    assert key not in taken
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", key)
    assert len(key) <= 40


def test_users_are_split_and_joined() -> None:
    assert split_users(" U1, U2,,U3 ") == ("U1", "U2", "U3")
    assert join_users(["U1", "U2", "U1", ""]) == "U1,U2"
    assert split_users(join_users(["U2", "U1"])) == ("U2", "U1")
