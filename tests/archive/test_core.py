"""Tests for the pure archiving rules: the deletion checklist, snapshot and review dates, the
files the archive accepts and the names they are kept under.

Rules: VT3, KG2, NB5 (deleted content is kept), RK1 (approval, registration, poster told),
KG3 (confidential content is always registered), KG5/NB6 (snapshots), KG7 (yearly review).
Every expected date is worked out by hand from the Norwegian and Swedish calendars.
"""

from __future__ import annotations

import calendar as pycal
import dataclasses
import io
import posixpath
from datetime import date, timedelta
from pathlib import Path, PurePosixPath

import pillow_heif
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from bot.archive.core import (
    CONTENT_TYPES,
    DeletionState,
    Notified,
    Reason,
    Step,
    add_months,
    archive_path,
    clean_name,
    declared_type,
    missing_steps,
    needs_reference,
    review_day,
    snapshot_due,
    snapshot_reminder_day,
    sniff,
    steps,
    whole_image,
)
from bot.kernel.calendar import CalendarRules, WorkCalendar
from bot.kernel.config import ArchiveRules, load_config

ROOT = Path(__file__).resolve().parents[2]

NO = WorkCalendar(CalendarRules(timezone="Europe/Oslo", country="NO"))
SE = WorkCalendar(CalendarRules(timezone="Europe/Stockholm", country="SE"))
# Kungälv's own settings (KG7): Sweden's holidays, de facto closed eves included.
KUNGALV = load_config(ROOT / "config" / "presets" / "kungalv.toml").calendar()
# A Norwegian office closed on Christmas Eve and New Year's Eve, as the Norwegian presets are.
NO_EVES = WorkCalendar(
    CalendarRules(timezone="Europe/Oslo", country="NO", closed_recurring={(12, 24), (12, 31)})
)

PLAIN = ArchiveRules()
APPROVAL = ArchiveRules(require_approval=True)
REGISTRATION = ArchiveRules(require_registration=True)
RAKKESTAD = ArchiveRules(require_approval=True, require_registration=True)  # RK1

ALL_REASONS = [pytest.param(r, id=r.value) for r in Reason]
NAMED = [pytest.param(r, id=r.value) for r in Reason if r is not Reason.OTHER]


def fresh(reason: str | None = None) -> DeletionState:
    """A deletion just logged: nothing done yet."""
    return DeletionState(
        reason=reason,
        reason_text=None,
        has_evidence=False,
        poster_notified=Notified.NOT_YET,
        approved_by=None,
        registration_ref=None,
    )


def complete(reason: str | None = Reason.HATE, **changes: object) -> DeletionState:
    """A deletion with every step done."""
    state = DeletionState(
        reason=reason,
        reason_text="Annet: lenke til svindel" if reason == Reason.OTHER else None,
        has_evidence=True,
        poster_notified=Notified.YES,
        approved_by="U0INFO",
        registration_ref="2026/1234-5",
    )
    return dataclasses.replace(state, **changes)  # type: ignore[arg-type]


# ---------------------------------------------------------------- the deletion checklist


def test_reasons_and_steps_are_the_documented_lists() -> None:
    assert [r.value for r in Reason] == [
        "attack",
        "hate",
        "violence",
        "crime",
        "copyright",
        "profanity",
        "confidential",
        "spam",
        "other",
    ]
    assert [n.value for n in Notified] == ["yes", "impossible", "not_yet"]


@pytest.mark.parametrize(
    ("rules", "reason", "expected"),
    [
        (PLAIN, Reason.HATE, [Step.DETAILS, Step.EVIDENCE, Step.NOTIFIED]),
        (APPROVAL, Reason.HATE, [Step.DETAILS, Step.EVIDENCE, Step.NOTIFIED, Step.APPROVAL]),
        (
            REGISTRATION,
            Reason.HATE,
            [Step.DETAILS, Step.EVIDENCE, Step.NOTIFIED, Step.REGISTRATION],
        ),
        (
            RAKKESTAD,
            Reason.SPAM,
            [Step.DETAILS, Step.EVIDENCE, Step.NOTIFIED, Step.APPROVAL, Step.REGISTRATION],
        ),
        (
            PLAIN,
            Reason.CONFIDENTIAL,
            [Step.DETAILS, Step.EVIDENCE, Step.NOTIFIED, Step.REGISTRATION],
        ),
        (
            APPROVAL,
            Reason.CONFIDENTIAL,
            [Step.DETAILS, Step.EVIDENCE, Step.NOTIFIED, Step.APPROVAL, Step.REGISTRATION],
        ),
        (PLAIN, None, [Step.DETAILS, Step.EVIDENCE, Step.NOTIFIED]),
    ],
)
def test_steps_in_the_order_people_do_them(
    rules: ArchiveRules, reason: str | None, expected: list[Step]
) -> None:
    assert steps(rules, reason) == expected


@pytest.mark.parametrize("rules", [PLAIN, APPROVAL, REGISTRATION, RAKKESTAD])
def test_fresh_deletion_lacks_details_evidence_and_notified(rules: ArchiveRules) -> None:
    missing = missing_steps(rules, fresh())
    assert missing[:3] == [Step.DETAILS, Step.EVIDENCE, Step.NOTIFIED]
    assert (Step.APPROVAL in missing) is rules.require_approval
    assert (Step.REGISTRATION in missing) is rules.require_registration


def test_fresh_deletion_under_plain_rules() -> None:
    assert missing_steps(PLAIN, fresh()) == [Step.DETAILS, Step.EVIDENCE, Step.NOTIFIED]


@pytest.mark.parametrize("reason", ALL_REASONS)
def test_complete_deletion_lacks_nothing(reason: Reason) -> None:
    for rules in (PLAIN, APPROVAL, REGISTRATION, RAKKESTAD):
        assert missing_steps(rules, complete(reason)) == []


@pytest.mark.parametrize("text", [None, ""])
def test_other_without_text_lacks_details(text: str | None) -> None:
    state = complete(Reason.OTHER, reason_text=text)
    assert missing_steps(PLAIN, state) == [Step.DETAILS]


def test_other_with_text_has_details() -> None:
    state = complete(Reason.OTHER, reason_text="Reklame for pyramidespill")
    assert missing_steps(PLAIN, state) == []


@pytest.mark.parametrize("reason", NAMED)
def test_a_named_reason_needs_no_text(reason: Reason) -> None:
    assert missing_steps(PLAIN, complete(reason, reason_text=None)) == []


def test_no_reason_lacks_details_even_with_a_text() -> None:
    state = complete(reason=None, reason_text="noe")
    assert missing_steps(PLAIN, state) == [Step.DETAILS]


def test_evidence_is_needed_until_a_file_or_archive_link_is_there() -> None:
    # The state carries one flag: a screenshot archived or a link to the archive system (KG2).
    assert missing_steps(PLAIN, complete(has_evidence=False)) == [Step.EVIDENCE]
    assert missing_steps(PLAIN, complete(has_evidence=True)) == []


@pytest.mark.parametrize(
    ("notified", "done"),
    [
        (Notified.YES, True),
        (Notified.IMPOSSIBLE, True),
        (Notified.NOT_YET, False),
        ("yes", True),  # the stored text value counts as well as the enum
        ("impossible", True),
        ("not_yet", False),
        ("", False),
        ("maybe", False),
    ],
)
def test_notified_counts_yes_and_impossible_only(notified: str, done: bool) -> None:
    missing = missing_steps(PLAIN, complete(poster_notified=notified))
    assert missing == ([] if done else [Step.NOTIFIED])


@pytest.mark.parametrize("approver", [None, ""])
def test_approval_missing_only_when_required(approver: str | None) -> None:
    state = complete(approved_by=approver)
    assert missing_steps(PLAIN, state) == []
    assert missing_steps(REGISTRATION, state) == []
    assert missing_steps(APPROVAL, state) == [Step.APPROVAL]
    assert missing_steps(RAKKESTAD, state) == [Step.APPROVAL]


@pytest.mark.parametrize("reason", ALL_REASONS)
@pytest.mark.parametrize("ref", [None, ""])
def test_registration_when_required_or_confidential(reason: Reason, ref: str | None) -> None:
    state = complete(reason, registration_ref=ref)
    confidential = reason is Reason.CONFIDENTIAL
    # KG3: confidential content is always registered, whatever the organisation requires.
    assert needs_reference(PLAIN, reason) is confidential
    assert needs_reference(APPROVAL, reason) is confidential
    assert needs_reference(REGISTRATION, reason) is True
    assert missing_steps(PLAIN, state) == ([Step.REGISTRATION] if confidential else [])
    assert missing_steps(APPROVAL, state) == ([Step.REGISTRATION] if confidential else [])
    assert missing_steps(REGISTRATION, state) == [Step.REGISTRATION]
    assert missing_steps(RAKKESTAD, state) == [Step.REGISTRATION]


def test_reason_given_as_plain_text_counts_as_confidential() -> None:
    # Rows store the reason as text; "confidential" from the database must trigger KG3 too.
    assert needs_reference(PLAIN, "confidential")
    assert missing_steps(PLAIN, complete("confidential", registration_ref=None)) == [
        Step.REGISTRATION
    ]
    assert not needs_reference(PLAIN, None)


def test_missing_steps_keep_the_checklist_order() -> None:
    state = dataclasses.replace(fresh(Reason.CONFIDENTIAL), has_evidence=True)
    assert missing_steps(RAKKESTAD, state) == [Step.NOTIFIED, Step.APPROVAL, Step.REGISTRATION]


def test_archive_rules_defaults_and_max_bytes() -> None:
    rules = ArchiveRules()
    assert (rules.require_approval, rules.require_registration) == (False, False)
    assert rules.snapshot_months == 0
    assert rules.review_date is None
    assert rules.max_bytes == 25 * 1024 * 1024
    assert ArchiveRules(max_file_mb=1).max_bytes == 1_048_576


# ---------------------------------------------------------------- add_months


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 8, 31), 6, date(2027, 2, 28)),  # 2027 is no leap year
        (date(2027, 8, 31), 6, date(2028, 2, 29)),  # 2028 is
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 5, 31), 6, date(2026, 11, 30)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2028, 2, 29), 48, date(2032, 2, 29)),
        (date(2026, 11, 15), 2, date(2027, 1, 15)),  # over the new year
        (date(2026, 12, 31), 1, date(2027, 1, 31)),
        (date(2026, 7, 1), 6, date(2027, 1, 1)),
        (date(2026, 6, 30), 12, date(2027, 6, 30)),
        (date(2026, 6, 30), 24, date(2028, 6, 30)),
        (date(2026, 1, 1), 0, date(2026, 1, 1)),
        (date(2026, 10, 31), 120, date(2036, 10, 31)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@given(day=DAYS, months=st.integers(min_value=0, max_value=240))
def test_add_months_properties(day: date, months: int) -> None:
    result = add_months(day, months)
    assert result.year * 12 + result.month == day.year * 12 + day.month + months
    assert result.day <= day.day
    last = pycal.monthrange(result.year, result.month)[1]
    # Either the same day, or clamped to the last day of a shorter month.
    assert result.day == day.day or (result.day == last and day.day > last)


@given(day=DAYS.filter(lambda d: d.day <= 28), months=st.integers(min_value=0, max_value=240))
def test_add_months_keeps_days_every_month_has(day: date, months: int) -> None:
    assert add_months(day, months).day == day.day


# ---------------------------------------------------------------- snapshot_due


@pytest.mark.parametrize("months", [0, -1])
def test_no_snapshot_without_an_interval(months: int) -> None:
    assert snapshot_due(None, date(2026, 1, 5), months) is None
    assert snapshot_due(date(2026, 3, 1), date(2026, 1, 5), months) is None


def test_first_snapshot_counts_from_registration() -> None:
    assert snapshot_due(None, date(2026, 1, 5), 6) == date(2026, 7, 5)  # KG5: twice a year
    assert snapshot_due(None, date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert snapshot_due(None, date(2026, 1, 5), 12) == date(2027, 1, 5)  # NB6: yearly


def test_next_snapshot_counts_from_the_last_one() -> None:
    registered = date(2025, 1, 5)
    assert snapshot_due(date(2026, 3, 10), registered, 6) == date(2026, 9, 10)
    assert snapshot_due(date(2026, 3, 10), registered, 12) == date(2027, 3, 10)
    # An early snapshot (e.g. before a big change, NB6) moves the next one forward from it.
    assert snapshot_due(date(2025, 2, 1), registered, 6) == date(2025, 8, 1)


# ---------------------------------------------------------------- snapshot reminders


def reminders(cal: WorkCalendar, due: date, start: date, days: int) -> dict[date, date]:
    """today -> the reminder day returned, for every day from start on that has one."""
    found: dict[date, date] = {}
    for offset in range(days):
        today = start + timedelta(days=offset)
        day = snapshot_reminder_day(cal, due, today)
        if day is not None:
            found[today] = day
    return found


def test_due_on_a_saturday_is_reminded_on_monday_then_weekly() -> None:
    due = date(2026, 11, 21)  # a Saturday
    found = reminders(NO, due, date(2026, 11, 14), 35)
    monday = date(2026, 11, 23)
    assert found == {
        monday: monday,
        monday + timedelta(days=7): monday + timedelta(days=7),
        monday + timedelta(days=14): monday + timedelta(days=14),
        monday + timedelta(days=21): monday + timedelta(days=21),
    }


@pytest.mark.parametrize(
    "today",
    [
        date(2026, 11, 20),  # the day before it falls due
        date(2026, 11, 21),  # due, but a Saturday
        date(2026, 11, 22),  # Sunday
        date(2026, 11, 24),  # the days between the weekly reminders
        date(2026, 11, 25),
        date(2026, 11, 26),
        date(2026, 11, 27),
        date(2026, 11, 28),  # weekend after the first reminder
        date(2026, 11, 29),
        date(2026, 12, 1),
    ],
)
def test_no_reminder_outside_the_weekly_day(today: date) -> None:
    assert snapshot_reminder_day(NO, date(2026, 11, 21), today) is None


def test_due_on_christmas_day_is_reminded_the_next_working_day() -> None:
    due = date(2026, 12, 25)  # Friday, Christmas Day; Monday 28 December is open in Norway
    found = reminders(NO, due, date(2026, 12, 20), 25)
    assert found == {
        date(2026, 12, 28): date(2026, 12, 28),
        date(2027, 1, 4): date(2027, 1, 4),
        date(2027, 1, 11): date(2027, 1, 11),
    }


def test_due_on_constitution_day_is_reminded_on_tuesday_weekly() -> None:
    due = date(2027, 5, 17)  # Monday, Constitution Day (and Whit Monday)
    assert snapshot_reminder_day(NO, due, due) is None
    found = reminders(NO, due, date(2027, 5, 10), 30)
    assert found == {
        date(2027, 5, 18): date(2027, 5, 18),
        date(2027, 5, 25): date(2027, 5, 25),
        date(2027, 6, 1): date(2027, 6, 1),
        date(2027, 6, 8): date(2027, 6, 8),
    }


def test_weekly_reminder_on_ascension_day_moves_to_friday() -> None:
    due = date(2027, 4, 29)  # a Thursday; a week later is Ascension Day, 6 May 2027
    found = reminders(NO, due, due, 21)
    assert found == {
        date(2027, 4, 29): date(2027, 4, 29),
        # Sent on Friday 7 May; the day it stands for is still the Thursday it replaces.
        date(2027, 5, 7): date(2027, 5, 6),
        date(2027, 5, 13): date(2027, 5, 13),
    }
    assert snapshot_reminder_day(NO, due, date(2027, 5, 6)) is None


def test_weekly_reminder_on_christmas_day_moves_over_the_weekend() -> None:
    due = date(2026, 12, 18)  # a Friday; a week later is Christmas Day
    found = reminders(NO, due, due, 22)
    assert found == {
        date(2026, 12, 18): date(2026, 12, 18),
        date(2026, 12, 28): date(2026, 12, 25),  # Monday after Christmas
        date(2027, 1, 4): date(2027, 1, 1),  # New Year's Day, then the weekend
        date(2027, 1, 8): date(2027, 1, 8),
    }
    assert snapshot_reminder_day(NO, due, date(2027, 1, 1)) is None


def test_weekly_reminder_in_easter_waits_for_the_tuesday() -> None:
    due = date(2027, 3, 18)  # a Thursday; a week later is Maundy Thursday 2027
    found = reminders(NO, due, due, 15)
    assert found == {
        date(2027, 3, 18): date(2027, 3, 18),
        date(2027, 3, 30): date(2027, 3, 25),  # after Good Friday and Easter Monday
        date(2027, 4, 1): date(2027, 4, 1),
    }


def test_closed_eves_move_the_weekly_reminders() -> None:
    due = date(2026, 12, 17)  # a Thursday; 24 and 31 December are closed in this office
    found = reminders(NO_EVES, due, due, 22)
    assert found == {
        date(2026, 12, 17): date(2026, 12, 17),
        date(2026, 12, 28): date(2026, 12, 24),
        date(2027, 1, 4): date(2026, 12, 31),  # 31 Dec closed, 1 Jan holiday, then weekend
        date(2027, 1, 7): date(2027, 1, 7),
    }
    # Without the closed eves the same weeks are reminded on their Thursdays.
    assert set(reminders(NO, due, due, 22).values()) == set(found.values())
    assert set(reminders(NO, due, due, 22)) == {
        date(2026, 12, 17),
        date(2026, 12, 24),
        date(2026, 12, 31),
        date(2027, 1, 7),
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    due=st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31)),
    cal=st.sampled_from([NO, NO_EVES, SE]),
)
def test_one_reminder_a_week_on_working_days(due: date, cal: WorkCalendar) -> None:
    first = cal.add_working_days(due, 0)
    weeks = 8
    end = first + timedelta(days=7 * weeks)
    found = reminders(cal, due, due - timedelta(days=3), (end - due).days + 4)
    for today, day in found.items():
        assert cal.is_working_day(today)
        assert today >= first >= due
        assert (day - first).days % 7 == 0
        assert cal.add_working_days(day, 0) == today
    # Every week's reminder comes exactly once, on its day or the next working day.
    expected = {
        first + timedelta(days=7 * k)
        for k in range(weeks + 1)
        if cal.add_working_days(first + timedelta(days=7 * k), 0) <= end
    }
    assert sorted(found.values()) == sorted(expected)
    assert first in found
    assert found[first] == first


# ---------------------------------------------------------------- the yearly review (KG7)


@pytest.mark.parametrize(
    ("cal", "year", "month_day", "expected"),
    [
        pytest.param(NO, 2026, (3, 2), date(2026, 3, 2), id="monday-itself"),
        pytest.param(NO, 2026, (3, 1), date(2026, 3, 2), id="sunday-to-monday"),
        pytest.param(NO, 2026, (11, 21), date(2026, 11, 23), id="saturday-to-monday"),
        pytest.param(NO, 2027, (5, 17), date(2027, 5, 18), id="constitution-day"),
        pytest.param(NO, 2026, (12, 25), date(2026, 12, 28), id="christmas"),
        pytest.param(NO, 2028, (2, 29), date(2028, 2, 29), id="leap-day-in-a-leap-year"),
        pytest.param(NO, 2029, (2, 29), date(2029, 2, 28), id="leap-day-on-28-feb"),
        # 28 February 2027 is a Sunday, 2026 a Saturday: the next working day is in March.
        pytest.param(NO, 2027, (2, 29), date(2027, 3, 1), id="leap-day-sunday"),
        pytest.param(NO, 2026, (2, 29), date(2026, 3, 2), id="leap-day-saturday"),
        pytest.param(NO_EVES, 2026, (12, 31), date(2027, 1, 4), id="new-years-eve-closed"),
    ],
)
def test_review_day(
    cal: WorkCalendar, year: int, month_day: tuple[int, int], expected: date
) -> None:
    assert review_day(cal, year, month_day) == expected


@pytest.mark.parametrize(
    ("year", "month_day", "in_sweden", "in_norway"),
    [
        # Epiphany (trettondedag jul) is a Swedish holiday, an ordinary Wednesday in Norway.
        (2027, (1, 6), date(2027, 1, 7), date(2027, 1, 6)),
        # Midsummer Eve is closed in Sweden (de facto holiday), open in Norway.
        (2026, (6, 19), date(2026, 6, 22), date(2026, 6, 19)),
        # Sweden's National Day, on a Tuesday in 2028.
        (2028, (6, 6), date(2028, 6, 7), date(2028, 6, 6)),
        # Christmas Eve and Boxing Day (a Saturday) in 2026.
        (2026, (12, 24), date(2026, 12, 28), date(2026, 12, 24)),
        # An ordinary working day is the same in both.
        (2026, (9, 15), date(2026, 9, 15), date(2026, 9, 15)),
    ],
)
def test_review_day_in_kungalv(
    year: int, month_day: tuple[int, int], in_sweden: date, in_norway: date
) -> None:
    assert review_day(KUNGALV, year, month_day) == in_sweden
    assert review_day(SE, year, month_day) == in_sweden
    assert review_day(NO, year, month_day) == in_norway


@given(year=st.integers(min_value=2025, max_value=2035), day=DAYS)
def test_review_day_is_a_working_day_on_or_after_the_date(year: int, day: date) -> None:
    month_day = (day.month, day.day)
    result = review_day(SE, year, month_day)
    assert SE.is_working_day(result)
    wanted = date(year, day.month, min(day.day, pycal.monthrange(year, day.month)[1]))
    assert result >= wanted
    # No working day is skipped in between.
    assert SE.working_days_between(wanted, result) == [result]


# ---------------------------------------------------------------- file types

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
JPEG_EXIF = b"\xff\xd8\xff\xe1\x1a\x2eExif\x00\x00MM\x00*"
GIF87 = b"GIF87a\x01\x00\x01\x00\x80\x00\x00"
GIF89 = b"GIF89a\x01\x00\x01\x00\x80\x00\x00"
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00"
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
HEIC_MIF1 = b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1heicmiaf"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        pytest.param(PNG, "image/png", id="png"),
        pytest.param(JPEG, "image/jpeg", id="jpeg-jfif"),
        pytest.param(JPEG_EXIF, "image/jpeg", id="jpeg-exif"),
        pytest.param(GIF87, "image/gif", id="gif87a"),
        pytest.param(GIF89, "image/gif", id="gif89a"),
        pytest.param(WEBP, "image/webp", id="webp"),
        pytest.param(HEIC, "image/heic", id="heic"),
        pytest.param(HEIC_MIF1, "image/heic", id="heic-mif1"),
        pytest.param(PDF, "application/pdf", id="pdf"),
        pytest.param(b"", None, id="empty"),
        pytest.param(b"Hei! Her er skjermbildet.\n", None, id="text"),
        pytest.param(b"<!DOCTYPE html><html><body>", None, id="html"),
        pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg">', None, id="svg"),
        pytest.param(b'<?xml version="1.0"?><svg>', None, id="svg-xml"),
        pytest.param(b"PK\x03\x04\x14\x00\x06\x00", None, id="zip"),
        pytest.param(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", None, id="exe"),
        pytest.param(b"\x7fELF\x02\x01\x01\x00", None, id="elf"),
        pytest.param(b"RIFF\x24\x00\x00\x00WAVEfmt ", None, id="wav-is-riff-too"),
        pytest.param(b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", None, id="mp4"),
        pytest.param(b"\x89PNG", None, id="png-cut-short"),
        pytest.param(b"GIF88a\x01\x00", None, id="not-a-gif-version"),
        pytest.param(b"%PDF", None, id="pdf-without-dash"),
        pytest.param(b" %PDF-1.7", None, id="pdf-not-at-the-start"),
        pytest.param(b"\xff\xd8", None, id="jpeg-cut-short"),
    ],
)
def test_sniff(head: bytes, expected: str | None) -> None:
    assert sniff(head) == expected
    if expected is not None:
        # Only the start counts: what follows does not change the answer.
        assert sniff(head + b"MZ<svg>" * 10) == expected
        assert expected in CONTENT_TYPES


def test_sniff_ignores_the_name_only_bytes_count() -> None:
    # An executable renamed to .png is still an executable.
    assert sniff(b"MZ" + b"\x89PNG\r\n\x1a\n") is None


def made(fmt: str, frames: int = 1, size: tuple[int, int] = (120, 80)) -> bytes:
    """A real image, made with Pillow (HEIC with pillow-heif): a diagonal line on white."""
    if fmt == "HEIF":
        pillow_heif.register_heif_opener()
    pictures = []
    for n in range(frames):
        picture = Image.new("RGB", size, (255, 255, 255))
        for x in range(size[0]):
            picture.putpixel((x, (x + n * 7) % size[1]), (20, 60, 140))
        pictures.append(picture)
    out = io.BytesIO()
    extra: dict[str, object] = (
        {"save_all": True, "append_images": pictures[1:]} if frames > 1 else {}
    )
    pictures[0].save(out, format=fmt, **extra)
    return out.getvalue()


IMAGES = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
    "image/heic": "HEIF",
}
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.mark.parametrize("content_type", IMAGES)
def test_a_real_image_is_whole(content_type: str) -> None:
    content = made(IMAGES[content_type])
    assert sniff(content[:64]) == content_type
    assert whole_image(content, content_type)


@pytest.mark.parametrize("content_type", ["image/gif", "image/webp"])
def test_every_frame_of_an_animation_is_decoded(content_type: str) -> None:
    content = made(IMAGES[content_type], frames=4)
    assert whole_image(content, content_type)
    assert not whole_image(content[: len(content) * 3 // 4], content_type)


@pytest.mark.parametrize("content_type", IMAGES)
def test_an_image_cut_short_is_not_whole(content_type: str) -> None:
    content = made(IMAGES[content_type])
    for keep in (len(content) // 3, len(content) // 2, len(content) - 1):
        assert not whole_image(content[:keep], content_type), keep


def test_a_png_signature_followed_by_html_is_not_an_image() -> None:
    polyglot = b"\x89PNG\r\n\x1a\n" + HTML
    assert sniff(polyglot[:64]) == "image/png"  # what the first bytes alone let through
    assert not whole_image(polyglot, "image/png")


@pytest.mark.parametrize("content_type", ["image/png", "image/gif", "image/webp", "image/heic"])
def test_a_valid_image_with_html_after_its_end_is_not_whole(content_type: str) -> None:
    content = made(IMAGES[content_type])
    assert whole_image(content, content_type)
    assert not whole_image(content + HTML, content_type)
    assert not whole_image(content + b"\x00", content_type)


def test_a_jpeg_may_carry_more_after_its_picture() -> None:
    # Phones append a motion photo's video or a depth map after the picture's end.
    content = made("JPEG") + b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    assert whole_image(content, "image/jpeg")


def test_a_png_with_a_damaged_chunk_is_not_whole() -> None:
    content = bytearray(made("PNG"))
    idat = content.index(b"IDAT")
    content[idat + 10] ^= 0xFF  # its CRC no longer matches
    assert not whole_image(bytes(content), "image/png")


def test_an_image_too_large_to_decode_safely_is_refused() -> None:
    # 9 000 x 9 000 pixels of one colour: a small file, 81 megapixels to decode.
    big = Image.new("1", (9_000, 9_000))
    out = io.BytesIO()
    big.save(out, format="PNG", optimize=True)
    assert len(out.getvalue()) < 1_000_000
    assert not whole_image(out.getvalue(), "image/png")


def test_a_pdf_is_taken_by_its_first_bytes() -> None:
    assert whole_image(PDF, "application/pdf")
    assert not whole_image(b"MZ", "application/x-msdownload")


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    content_type=st.sampled_from(sorted(IMAGES)),
    tail=st.binary(max_size=400),
)
def test_whole_image_never_fails_on_garbage(content_type: str, tail: bytes) -> None:
    head = {
        "image/png": PNG,
        "image/jpeg": JPEG,
        "image/gif": GIF89,
        "image/webp": WEBP,
        "image/heic": HEIC,
    }[content_type]
    assert whole_image(head + tail, content_type) in (True, False)


@pytest.mark.parametrize(
    ("mimetype", "expected"),
    [
        ("image/png", "image/png"),
        ("image/jpeg", "image/jpeg"),
        ("image/jpg", "image/jpeg"),
        ("IMAGE/JPG", "image/jpeg"),
        ("image/gif", "image/gif"),
        ("image/webp", "image/webp"),
        ("image/heic", "image/heic"),
        ("application/pdf", "application/pdf"),
        ("image/png; charset=binary", "image/png"),
        (" Image/PNG ;charset=binary", "image/png"),
        ("text/html", None),
        ("text/html; charset=utf-8", None),
        ("image/svg+xml", None),
        ("application/zip", None),
        ("application/x-msdownload", None),
        ("application/octet-stream", None),
        ("text/plain", None),
        ("", None),
        (None, None),
    ],
)
def test_declared_type(mimetype: str | None, expected: str | None) -> None:
    assert declared_type(mimetype) == expected


# ---------------------------------------------------------------- archive paths

SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
SHA2 = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"
DAY = date(2026, 3, 7)


def test_archive_path_by_year_and_month() -> None:
    path = archive_path("deletion", 42, "F0ABC123", SHA, "image/png", DAY)
    assert path == f"2026/03/deletion-42_F0ABC123_{SHA[:16]}.png"
    assert archive_path("snapshot", 7, "F1", SHA, "image/png", date(2027, 11, 30)).startswith(
        "2027/11/"
    )


@pytest.mark.parametrize(("content_type", "ext"), sorted(CONTENT_TYPES.items()))
def test_archive_path_extension_from_the_content_type(content_type: str, ext: str) -> None:
    path = archive_path("deletion", 1, "F0ABC", SHA, content_type, DAY)
    assert PurePosixPath(path).suffix == f".{ext}"


def test_archive_extensions() -> None:
    assert CONTENT_TYPES == {
        "image/png": "png",
        "image/jpeg": "jpg",
        "image/gif": "gif",
        "image/webp": "webp",
        "image/heic": "heic",
        "application/pdf": "pdf",
    }


def test_archive_path_is_stable() -> None:
    first = archive_path("deletion", 42, "F0ABC123", SHA, "image/png", DAY)
    assert archive_path("deletion", 42, "F0ABC123", SHA, "image/png", DAY) == first


def test_archive_paths_differ_for_different_things() -> None:
    base = ("deletion", 42, "F0ABC123", SHA, "image/png", DAY)
    variants = [
        base,
        ("snapshot", 42, "F0ABC123", SHA, "image/png", DAY),  # another owner kind
        ("deletion", 43, "F0ABC123", SHA, "image/png", DAY),  # another deletion
        ("deletion", 4, "F0ABC123", SHA, "image/png", DAY),
        ("deletion", 42, "F0ABC124", SHA, "image/png", DAY),  # another file
        ("deletion", 42, "F0ABC123", SHA2, "image/png", DAY),  # another content
        ("deletion", 42, "F0ABC123", SHA, "application/pdf", DAY),
        ("deletion", 42, "F0ABC123", SHA, "image/png", date(2026, 4, 7)),
    ]
    paths = [archive_path(*v) for v in variants]  # type: ignore[arg-type]
    assert len(set(paths)) == len(paths)


def test_long_file_ids_with_the_same_start_are_told_apart_by_the_hash() -> None:
    a = archive_path("deletion", 1, "F" + "A" * 30 + "1", SHA, "image/png", DAY)
    b = archive_path("deletion", 1, "F" + "A" * 30 + "2", SHA2, "image/png", DAY)
    assert a != b


@pytest.mark.parametrize(
    "file_id",
    ["../../etc", "../../etc/passwd", "F0 AB C", "F0\\..\\x", "/abs/path", "F0\x00\n", "F0æøå"],
)
def test_archive_path_sanitises_the_file_id(file_id: str) -> None:
    path = archive_path("deletion", 42, file_id, SHA, "image/png", DAY)
    parts = PurePosixPath(path).parts
    assert len(parts) == 3
    assert parts[:2] == ("2026", "03")
    name = parts[2]
    assert name not in ("..", ".")
    assert all(ch.isascii() and (ch.isalnum() or ch in "._-") for ch in name), name
    assert name.startswith("deletion-42_")
    assert name.endswith(f"_{SHA[:16]}.png")
    assert "\\" not in path and " " not in path
    # Resolved under an archive directory, the file stays inside its month folder.
    full = posixpath.normpath(posixpath.join("/srv/vakt/archive", path))
    assert posixpath.dirname(full) == "/srv/vakt/archive/2026/03"


def test_archive_path_file_id_spaces() -> None:
    assert archive_path("deletion", 1, "F0 AB", SHA, "image/gif", DAY) == (
        f"2026/03/deletion-1_F0_AB_{SHA[:16]}.gif"
    )


def test_archive_path_limits_the_file_id() -> None:
    path = archive_path("deletion", 1, "F" * 200, SHA, "image/png", DAY)
    assert path == f"2026/03/deletion-1_{'F' * 20}_{SHA[:16]}.png"


# ---------------------------------------------------------------- original file names


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("skjermbilde.png", "skjermbilde.png"),
        ("Skjermbilde 2026-03-07 kl. 10.15.png", "Skjermbilde 2026-03-07 kl. 10.15.png"),
        ("/home/anna/Bilder/kommentar.png", "kommentar.png"),
        ("C:\\Users\\anna\\Desktop\\kommentar.png", "kommentar.png"),
        ("..\\..\\windows/system32\\evil.exe", "evil.exe"),
        ("../../etc/passwd", "passwd"),
        ("kommentar\x00.png", "kommentar.png"),
        ("rad1\nrad2\r\t.png", "rad1rad2.png"),
        ("bell\x07\x1b[31m.png", "bell[31m.png"),
        ("del\x7f.png", "del.png"),
        ("høringssvar æøå ÆØÅ.pdf", "høringssvar æøå ÆØÅ.pdf"),
        ("Kungälv åäö ÅÄÖ.jpg", "Kungälv åäö ÅÄÖ.jpg"),
        ("  mellomrom.png  ", "mellomrom.png"),
        ("", "file"),
        ("   ", "file"),
        ("/", "file"),
        ("mappe/", "file"),
        ("C:\\", "file"),
        ("\x00\x01\x02", "file"),
        ("\n", "file"),
    ],
)
def test_clean_name(name: str, expected: str) -> None:
    assert clean_name(name) == expected


@pytest.mark.parametrize("length", [254, 255, 256, 1000])
def test_clean_name_is_at_most_255_characters(length: int) -> None:
    result = clean_name("ø" * length)
    assert result == "ø" * min(length, 255)


@given(st.text(max_size=250))
def test_clean_name_properties(name: str) -> None:
    result = clean_name(name)
    assert result
    assert len(result) <= 255
    assert "/" not in result and "\\" not in result
    assert result.isprintable()
    assert result == result.strip()


def test_clean_name_cut_at_255_leaves_no_trailing_space() -> None:
    result = clean_name("a" * 254 + " b")
    assert result == "a" * 254
    assert clean_name(result) == result
