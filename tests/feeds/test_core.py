"""The rota as iCalendar: runs of working days, ISO week titles (week 53!), holidays, DST, and
a VCALENDAR that two independent parsers (icalendar, vobject) read the same way."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from itertools import pairwise
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from bot.feeds import core as ical
from bot.kernel.calendar import CalendarRules, Hours, WorkCalendar
from bot.kernel.i18n import t
from bot.rota.core import (
    Absence,
    AbsenceKind,
    Override,
    OverrideKind,
    Rotation,
    TeamRota,
    duty_on,
)

OSLO = ZoneInfo("Europe/Oslo")
CAL = WorkCalendar(
    CalendarRules(
        timezone="Europe/Oslo",
        country="NO",
        week={d: Hours(time(8), time(16)) for d in range(5)},
        closed_recurring=frozenset({(12, 24), (12, 31)}),
    )
)
WEEKLY = TeamRota("komm", ("A", "B", "C"), Rotation.WEEKLY, date(2026, 11, 2))
PAIR = TeamRota("web", ("A", "B"), Rotation.WEEKLY, date(2026, 11, 2))  # A: weeks 45, 47, 49 …
DAILY = TeamRota("komm", ("A", "B", "C"), Rotation.DAILY, date(2026, 11, 2))
INFO = ical.TeamInfo(WEEKLY, "Kommunikasjon", "C0TEAM1", ("Testrud kommune",))
NB = partial(t, "nb")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=OSLO)


def spans(runs: list[ical.Run]) -> list[tuple[date, date, str | None, str | None]]:
    return [(r.first, r.end, r.primary, r.substitute) for r in runs]


def test_a_week_is_one_run_ending_the_day_after_its_last_working_day() -> None:
    runs = ical.team_runs(WEEKLY, date(2026, 11, 23), date(2026, 12, 6), CAL)
    assert spans(runs) == [
        (date(2026, 11, 23), date(2026, 11, 28), "A", "B"),  # week 48
        (date(2026, 11, 30), date(2026, 12, 5), "B", "C"),  # week 49
    ]


def test_every_day_of_a_run_has_the_runs_duty() -> None:
    absences = [Absence("B", date(2026, 12, 2), date(2026, 12, 3), AbsenceKind.SICK)]
    runs = ical.team_runs(WEEKLY, date(2026, 11, 16), date(2027, 1, 17), CAL, absences)
    for run in runs:
        for day in CAL.working_days_between(run.first, run.last):
            duty = duty_on(WEEKLY, day, CAL, absences)
            assert (duty.primary, duty.substitute) == (run.primary, run.substitute)
    # Runs are maximal: neighbours differ.
    assert all((a.primary, a.substitute) != (b.primary, b.substitute) for a, b in pairwise(runs))


def test_the_same_duty_over_two_weeks_is_one_event_titled_with_both_weeks() -> None:
    # A and B swap week 48, so A is primary in weeks 47, 48 and 49 with B substituting.
    swap = Override(OverrideKind.SWAP, "A", "B", date(2026, 11, 23), date(2026, 11, 29))
    runs = ical.team_runs(PAIR, date(2026, 11, 16), date(2026, 12, 6), CAL, overrides=[swap])
    assert spans(runs) == [(date(2026, 11, 16), date(2026, 12, 5), "A", "B")]
    info = ical.TeamInfo(PAIR, "Nett", None)
    (event,) = ical.person_events("A", [info], {"web": runs}, NB, {}, "vakt.example")
    assert event.summary == "Vakt uke 47–49: Nett (primær)"
    (sub,) = ical.person_events("B", [info], {"web": runs}, NB, {}, "vakt.example")
    assert sub.summary == "Vakt uke 47–49: Nett (stedfortreder)"


@pytest.mark.parametrize(
    ("first", "last", "lang", "label"),
    [
        (date(2026, 11, 23), date(2026, 11, 27), "nb", "uke 48"),
        (date(2026, 11, 23), date(2026, 12, 4), "nb", "uke 48–49"),
        (date(2026, 12, 28), date(2026, 12, 30), "nb", "uke 53"),  # 2026 has 53 ISO weeks
        (date(2026, 12, 28), date(2027, 1, 8), "nb", "uke 53–1"),
        (date(2027, 1, 1), date(2027, 1, 1), "sv", "v. 53"),  # 1 Jan 2027 is in week 53
        (date(2025, 12, 29), date(2025, 12, 30), "en", "week 1"),  # …and 29 Dec 2025 in week 1
        (date(2026, 11, 23), date(2026, 12, 4), "en", "weeks 48–49"),
    ],
)
def test_week_labels_follow_iso_weeks(first: date, last: date, lang: str, label: str) -> None:
    assert ical.weeks_label(first, last, partial(t, lang)) == label


def test_week_53_and_the_new_year_closures() -> None:
    # Week 53 of 2026: Mon 28–Wed 30 December are working days; 31 December (closed) and
    # 1 January (a holiday) are not, so the run ends on the 30th.
    runs = ical.team_runs(WEEKLY, date(2026, 12, 28), date(2027, 1, 10), CAL)
    assert spans(runs)[0] == (date(2026, 12, 28), date(2026, 12, 31), "C", "A")  # period 8
    events = ical.team_events(INFO, runs, NB, {}, "vakt.example")
    assert events[0].summary.startswith("Vakt uke 53: Kommunikasjon")
    assert events[1].summary.startswith("Vakt uke 1: Kommunikasjon")
    assert events[1].first == date(2027, 1, 4)


def test_a_holiday_inside_a_week_stays_in_the_run_but_holidays_at_its_end_do_not() -> None:
    # Ascension Day, Thursday 6 May 2027: the week's duty holds through it.
    (run,) = ical.team_runs(WEEKLY, date(2027, 5, 3), date(2027, 5, 9), CAL)
    assert (run.first, run.end) == (date(2027, 5, 3), date(2027, 5, 8))
    # Easter 2027: Maundy Thursday and Good Friday end week 12 early, Easter Monday starts 13 late.
    runs = ical.team_runs(WEEKLY, date(2027, 3, 22), date(2027, 4, 4), CAL)
    assert [(r.first, r.end) for r in runs] == [
        (date(2027, 3, 22), date(2027, 3, 25)),
        (date(2027, 3, 30), date(2027, 4, 3)),
    ]


def test_daily_rotation_has_one_event_per_working_day_and_none_at_weekends() -> None:
    runs = ical.team_runs(DAILY, date(2026, 11, 26), date(2026, 12, 1), CAL)
    assert [(r.first, r.end, r.primary) for r in runs] == [
        (date(2026, 11, 26), date(2026, 11, 27), duty_on(DAILY, date(2026, 11, 26), CAL).primary),
        (date(2026, 11, 27), date(2026, 11, 28), duty_on(DAILY, date(2026, 11, 27), CAL).primary),
        (date(2026, 11, 30), date(2026, 12, 1), duty_on(DAILY, date(2026, 11, 30), CAL).primary),
        (date(2026, 12, 1), date(2026, 12, 2), duty_on(DAILY, date(2026, 12, 1), CAL).primary),
    ]


def test_an_absence_splits_the_run_and_its_kind_never_shows() -> None:
    sick = [Absence("A", date(2026, 11, 25), date(2026, 11, 26), AbsenceKind.SICK)]
    runs = ical.team_runs(WEEKLY, date(2026, 11, 23), date(2026, 11, 29), CAL, sick)
    assert spans(runs) == [
        (date(2026, 11, 23), date(2026, 11, 25), "A", "B"),
        (date(2026, 11, 25), date(2026, 11, 27), "B", "C"),
        (date(2026, 11, 27), date(2026, 11, 28), "A", "B"),
    ]
    anna = ical.person_events("A", [INFO], {"komm": runs}, NB, {}, "vakt.example")
    assert [(e.first, e.end) for e in anna] == [
        (date(2026, 11, 23), date(2026, 11, 25)),
        (date(2026, 11, 27), date(2026, 11, 28)),
    ]
    bo = ical.person_events("B", [INFO], {"komm": runs}, NB, {"C": "Carl"}, "vakt.example")
    assert [e.summary for e in bo] == [
        "Vakt uke 48: Kommunikasjon (stedfortreder)",
        "Vakt uke 48: Kommunikasjon (primær)",
        "Vakt uke 48: Kommunikasjon (stedfortreder)",
    ]
    assert "Stedfortreder: Carl" in bo[1].description
    assert "På vakt: @A" in bo[0].description
    body = ical.to_ical("x", "y", "Europe/Oslo", [*anna, *bo], NOW).decode()
    for word in ("sick", "syk", "SICK", "borte", "fravær"):
        assert word not in body


def test_nobody_available_shows_in_the_team_feed_only() -> None:
    away = [Absence(m, date(2026, 11, 23), date(2026, 11, 27)) for m in WEEKLY.members]
    runs = ical.team_runs(WEEKLY, date(2026, 11, 23), date(2026, 11, 27), CAL, away)
    (event,) = ical.team_events(INFO, runs, NB, {}, "vakt.example")
    assert event.summary == "Vakt uke 48: Kommunikasjon – ingen, stedfortreder ingen"
    assert ical.person_events("A", [INFO], {"komm": runs}, NB, {}, "vakt.example") == []


def test_uids_are_stable_and_distinct() -> None:
    runs = ical.team_runs(WEEKLY, date(2026, 11, 2), date(2027, 2, 28), CAL)
    first = ical.team_events(INFO, runs, NB, {}, "vakt.example")
    again = ical.team_events(INFO, list(runs), NB, {}, "vakt.example")
    assert [e.uid for e in first] == [e.uid for e in again]
    anna = ical.person_events("A", [INFO], {"komm": runs}, NB, {}, "vakt.example")
    uids = [e.uid for e in first + anna]
    assert len(set(uids)) == len(uids)
    assert all(u.endswith("@vakt.example") and "A" not in u.split("@")[0] for u in uids)


def test_feed_range_is_whole_weeks_around_today() -> None:
    for today in (date(2026, 11, 23), date(2026, 11, 25), date(2026, 11, 29)):
        start, end = ical.feed_range(today, 4, 26)
        assert (start, end) == (date(2026, 10, 26), date(2027, 5, 23))
        assert start.weekday() == 0 and end.weekday() == 6


def _calendar(now: datetime = NOW) -> bytes:
    sick = [Absence("A", date(2026, 11, 25), date(2026, 11, 26), AbsenceKind.SICK)]
    start, end = date(2026, 10, 19), date(2027, 1, 10)  # over the October DST change
    runs = ical.team_runs(WEEKLY, start, end, CAL, sick)
    events = ical.team_events(INFO, runs, NB, {}, "vakt.example")
    return ical.to_ical("Vakt – Kommunikasjon", "Hvem som har vakt", "Europe/Oslo", events, now)


def test_the_calendar_is_rfc5545_text() -> None:
    raw = _calendar()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))  # folded
    text = raw.decode()
    assert "DTSTART;VALUE=DATE:20261026\r\n" in text  # the week after the DST change
    assert "DTEND;VALUE=DATE:20261031\r\n" in text
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in text
    assert "X-PUBLISHED-TTL:PT1H\r\n" in text
    assert "X-WR-TIMEZONE:Europe/Oslo\r\n" in text
    assert "DTSTAMP:20261123T090000Z\r\n" in text  # 10:00 in Oslo is 09:00 UTC in November
    summer = _calendar(datetime(2026, 10, 24, 10, 0, tzinfo=OSLO)).decode()
    assert "DTSTAMP:20261024T080000Z\r\n" in summer  # …and 08:00 UTC in summer time


def test_icalendar_and_vobject_read_the_same_events() -> None:
    raw = _calendar()
    parsed = icalendar.Calendar.from_ical(raw)
    assert parsed.errors == []
    by_icalendar = sorted(
        (str(e["UID"]), e.decoded("DTSTART"), e.decoded("DTEND"), str(e["SUMMARY"]))
        for e in parsed.walk("VEVENT")
    )
    assert str(parsed["X-WR-CALNAME"]) == "Vakt – Kommunikasjon"
    assert parsed.decoded("REFRESH-INTERVAL") == timedelta(hours=1)

    comp = vobject.readOne(raw.decode())
    by_vobject = sorted(
        (e.uid.value, e.dtstart.value, e.dtend.value, e.summary.value) for e in comp.vevent_list
    )
    assert by_icalendar == by_vobject
    # 12 weeks from 19 October to 10 January: one run a week, and week 48 split in three by
    # A's sick leave.
    assert len(by_vobject) == 12 + 2
    for _uid, start, end, summary in by_vobject:
        assert type(start) is date and type(end) is date and start < end
        assert start.weekday() < 5 and summary.startswith("Vakt uke ")
    week48 = [s for _, d, _, s in by_vobject if d.isocalendar().week == 48]
    assert week48 == [
        "Vakt uke 48: Kommunikasjon – @A, stedfortreder @B",
        "Vakt uke 48: Kommunikasjon – @B, stedfortreder @C",
        "Vakt uke 48: Kommunikasjon – @A, stedfortreder @B",
    ]
    stamp = next(iter(comp.vevent_list)).dtstamp.value
    assert stamp == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
