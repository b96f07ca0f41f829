"""`/vakt report [week]` end to end: real signed HTTP in, the fake Slack out. Coordinators see
everything, a manager their teams, others are refused; the chart and the CSV come as one DM."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from bot.store.db import session_scope
from bot.store.models import Account, AuditLog, Item
from tests.fakeslack import FakeSlack
from tests.harness import CONFIG, OSLO, Vakt

# A second team with its own manager, so a manager's report can leave something out.
TWO_TEAMS = (
    CONFIG
    + """
[[team]]
key = "kultur"
name = "Kultur og fritid"
manager = "U0KBOSS"
members = ["U0KARI"]
rotation = "weekly"
start = "2026-11-02"
"""
)


def at(day: int, hour: int) -> datetime:
    """An instant in November 2026, Oslo time."""
    return datetime(2026, 11, day, hour, tzinfo=OSLO)


def answered_item(vakt: Vakt, received: datetime, closed: datetime) -> None:
    with session_scope(vakt.runtime.engine) as session:
        account = session.exec(select(Account).where(Account.key == "fb-main")).one()
        assert account.id is not None
        session.add(
            Item(
                account_id=account.id,
                source="command",
                external_id=f"x{received.isoformat()}",
                received_at=received,
                deadline=vakt.runtime.deps.calendar.deadline(received, 1),
                status="answered",
                closed_at=closed,
                closed_by="U0ANNA",
                created_by="U0ANNA",
                created_at=received,
            )
        )


def uploads_to_dm(vakt: Vakt, count: int = 1) -> list[dict[str, object]]:
    calls = vakt.fake.wait_for("files.completeUploadExternal", count)
    return [c.args for c in calls if c.ok]


def test_a_coordinator_sees_last_weeks_report_and_gets_the_files(vakt: Vakt) -> None:
    # Week 47: answered after 2 h and 4 h of office time.
    answered_item(vakt, at(17, 9), at(17, 11))
    answered_item(vakt, at(18, 9), at(18, 13))
    answer = vakt.command("report", user="U0COORD1")
    assert "Weekly report – week 47 (16–22 Nov 2026)" in answer
    assert "*2* received · *2* answered · *0* closed otherwise · *0* overdue now" in answer
    assert (
        "median *3 h*, 90th percentile *3 h 48 min* · *100%* answered within the deadline" in answer
    )
    assert "Working time: office hours only" in answer
    assert "The chart and the figures (CSV) come as a direct message." in answer

    (upload,) = uploads_to_dm(vakt)
    assert str(upload["channel_id"]).startswith("D")  # a DM with the coordinator
    assert upload["initial_comment"] == "Chart and figures, week 47"
    files = list(vakt.fake.uploads.values())
    assert any(f.startswith(b"\x89PNG\r\n\x1a\n") for f in files)
    [data] = [f for f in files if f.startswith(b"\xef\xbb\xbf")]
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    total = next(r for r in rows if r["team_key"] == "total" and r["week"] == "2026-W47")
    assert (total["answered"], total["median_minutes"], total["p90_minutes"]) == ("2", "180", "228")

    with Session(vakt.runtime.engine) as session:
        audit = session.exec(select(AuditLog).where(col(AuditLog.action) == "report.view")).one()
    assert (audit.actor, audit.target) == ("U0COORD1", "2026-W47")


@pytest.fixture
def two(fake: FakeSlack, db_url: str, tmp_path: Path) -> Iterator[Vakt]:
    harness = Vakt(fake, db_url, tmp_path, datetime(2026, 11, 23, 10, tzinfo=OSLO), TWO_TEAMS)
    yield harness
    harness.close()
    fake.assert_no_errors()


def test_a_manager_sees_only_their_teams_for_a_named_week(two: Vakt) -> None:
    two.fake.users["U0BOSS"] = {"locale": "nb-NO"}
    answer = two.command("report uke 46", user="U0BOSS")
    assert "Ukerapport – uke 46 (9.–15. nov. 2026)" in answer
    assert "dine team: Kommunikasjon" in answer
    assert "Kultur og fritid" not in answer
    (upload,) = uploads_to_dm(two)
    assert upload["initial_comment"] == "Graf og tall, uke 46"
    csv_bytes = next(f for f in two.fake.uploads.values() if f.startswith(b"\xef\xbb\xbf"))
    assert b"kultur" not in csv_bytes and b";komm;" in csv_bytes

    other = two.command("report", user="U0KBOSS")
    assert "your teams: Kultur og fritid" in other and "Kommunikasjon" not in other


def test_others_are_refused_and_bad_weeks_answered(vakt: Vakt) -> None:
    refused = vakt.command("report", user="U0ANNA")
    assert "Only the coordinators and the teams' managers can see the weekly report." in refused
    future = vakt.command("report w48", user="U0COORD1")
    assert "has not ended yet" in future and "`/vakt report w47`" in future
    bad = vakt.command("report soon", user="U0COORD1")
    assert "“soon” is not a week" in bad
    assert vakt.fake.calls_to("files.completeUploadExternal") == []
    with Session(vakt.runtime.engine) as session:
        assert (
            session.exec(select(AuditLog).where(col(AuditLog.action) == "report.view")).all() == []
        )
