"""The weekly reminder of pending account requests: on the first working day of the week from
the first reminder time, once per week and decider, not for a request made that week, and
never again once it is decided."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.requests import blocks as rb
from bot.requests import service as requests
from bot.store.models import Outbox
from bot.sweep import run_jobs
from tests.harness import OSLO
from tests.requests.test_service import FORM, Org, make_config

REMINDER = requests.REMINDER_KIND


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=OSLO)


def sweep(org: Org, now: datetime) -> list[str]:
    """Run the reminder job as the scheduler does; the keys it recorded."""
    result = run_jobs(org.engine, org.config, org.calendar, now, only=["requests"])
    assert result.failed_jobs == []
    return [m.key for m in result.recorded]


def reminders(org: Org) -> list[Outbox]:
    with Session(org.engine) as session:
        return list(
            session.exec(select(Outbox).where(Outbox.kind == REMINDER).order_by(col(Outbox.id)))
        )


def listed(row: Outbox) -> list[int]:
    return [
        int(e["value"])
        for block in json.loads(row.blocks or "[]")
        for e in block.get("elements") or []
        if e.get("action_id") == rb.APPROVE
    ]


def org_with_items(engine: Engine, approvals: str = "either") -> Org:
    config = make_config(approvals)
    # The first reminder time is 09:00 (the slot of the daily and weekly messages).
    items = replace(
        config.items, reminder_times=(at(2026, 1, 1, 9).time(), at(2026, 1, 1, 13).time())
    )
    return Org(engine, replace(config, items=items))


def test_the_weekly_reminder_goes_on_monday_from_the_first_reminder_time_once(
    engine: Engine,
) -> None:
    org = org_with_items(engine)
    request_id = org.submit(now=at(2026, 11, 18, 11))  # Wednesday, week 47
    assert sweep(org, at(2026, 11, 19, 9)) == []  # Thursday: not the slot
    assert sweep(org, at(2026, 11, 23, 8, 55)) == []  # Monday, before the first reminder time
    assert sweep(org, at(2026, 11, 23, 9)) == [
        "requests:C0COMMS:2026-W48",
        "requests:U0BOSS:2026-W48",
    ]
    for later in (at(2026, 11, 23, 9, 5), at(2026, 11, 23, 13), at(2026, 11, 24, 9)):
        assert sweep(org, later) == []
    rows = reminders(org)
    assert [listed(r) for r in rows] == [[request_id], [request_id]]
    assert "week 48" in (rows[0].blocks or "")
    assert sweep(org, at(2026, 11, 30, 9, 30)) == [
        "requests:C0COMMS:2026-W49",
        "requests:U0BOSS:2026-W49",
    ]


def test_not_outside_office_hours(engine: Engine) -> None:
    org = org_with_items(engine)
    org.submit(now=at(2026, 11, 18, 11))
    assert sweep(org, at(2026, 11, 23, 16, 30)) == []  # Monday, the office has closed


def test_a_request_made_this_week_waits_for_next_week(engine: Engine) -> None:
    org = org_with_items(engine)
    old = org.submit(now=at(2026, 11, 20, 15))  # Friday, week 47
    new = org.submit(replace(FORM, name="Ny konto"), now=at(2026, 11, 23, 8, 30))  # Monday
    sweep(org, at(2026, 11, 23, 9))
    assert [listed(r) for r in reminders(org)] == [[old], [old]]
    sweep(org, at(2026, 11, 30, 9))
    assert [listed(r) for r in reminders(org)][2:] == [[old, new], [old, new]]


def test_a_holiday_monday_moves_the_reminder_to_the_next_working_day(engine: Engine) -> None:
    org = org_with_items(engine)
    org.submit(now=at(2027, 5, 12, 10))
    # Monday 17 May 2027 is Constitution Day (and Whit Monday): Tuesday is the slot.
    assert sweep(org, at(2027, 5, 17, 9)) == []
    assert sweep(org, at(2027, 5, 18, 9)) == [
        "requests:C0COMMS:2027-W20",
        "requests:U0BOSS:2027-W20",
    ]
    assert sweep(org, at(2027, 5, 19, 9)) == []


def test_decided_requests_are_never_reminded_again(engine: Engine) -> None:
    org = org_with_items(engine)
    approved = org.submit(now=at(2026, 11, 18, 11))
    declined = org.submit(replace(FORM, name="Annen konto"), now=at(2026, 11, 18, 12))
    sweep(org, at(2026, 11, 23, 9))
    assert [listed(r) for r in reminders(org)] == [[approved, declined]] * 2
    org.approve(approved, "U0COORD1", now=at(2026, 11, 24, 10))
    org.decline(declined, "U0BOSS", "Dekkes av hovedsiden")
    assert sweep(org, at(2026, 11, 30, 9)) == []
    # This week's reminders, not sent yet, no longer offer the decided requests.
    for row in reminders(org):
        assert listed(row) == []


def test_both_only_the_deciders_still_awaited_are_reminded(engine: Engine) -> None:
    org = org_with_items(engine, "both")
    request_id = org.submit(now=at(2026, 11, 18, 11))
    org.approve(request_id, "U0BOSS", now=at(2026, 11, 19, 10))
    assert sweep(org, at(2026, 11, 23, 9)) == ["requests:C0COMMS:2026-W48"]
    org.approve(request_id, "U0COORD1", now=at(2026, 11, 24, 10))
    assert sweep(org, at(2026, 11, 30, 9)) == []
