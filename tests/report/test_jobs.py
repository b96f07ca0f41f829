"""The weekly report job: from the first office hour of the week's first working day, once per
week and recipient (two sweeps, two threads), the coordinators' channel the whole
organisation, each manager one DM with their teams, the chart and CSV shared once."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.slackkit.gateway import SlackGateway, build_client
from bot.store.models import Outbox, OutboxFile
from bot.sweep import run_jobs, sweep
from tests.fakeslack import FakeSlack
from tests.harness import OSLO
from tests.report.test_service import CONFIG, MONDAY, Org, busy_week


def at(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=OSLO)


def report_rows(engine: Engine) -> list[Outbox]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(Outbox).where(col(Outbox.key).like("report%")).order_by(col(Outbox.key))
            ).all()
        )


def run(org: Org, now: datetime) -> list[str]:
    result = run_jobs(org.engine, org.config, org.calendar, now, only=["report"])
    assert result.failed_jobs == []
    return sorted(m.key for m in result.recorded)


EXPECTED = [
    "report-files:2026-W47:C0COMMS",
    "report-files:2026-W47:U0BOSS",
    "report-files:2026-W47:U0KBOSS",
    "report:2026-W47:C0COMMS",
    "report:2026-W47:U0BOSS",
    "report:2026-W47:U0KBOSS",
]


def test_nothing_before_the_first_office_hour_then_once_at_eight(engine: Engine) -> None:
    org = Org(engine)
    busy_week(org)
    assert run(org, at(11, 22, 12)) == []  # Sunday
    assert run(org, at(11, 23, 7, 59)) == []  # Monday before opening
    assert run(org, at(11, 23, 8, 0)) == EXPECTED
    assert run(org, at(11, 23, 8, 5)) == []  # the next sweep
    assert run(org, at(11, 23, 15, 55)) == []
    assert run(org, at(11, 24, 8, 0)) == []  # Tuesday
    assert len(report_rows(engine)) == 6


def test_a_late_start_still_sends_it_that_day(engine: Engine) -> None:
    org = Org(engine)
    assert run(org, at(11, 23, 14, 40)) == EXPECTED


def test_a_monday_holiday_moves_it_to_tuesday(engine: Engine) -> None:
    org = Org(engine)
    # Easter Monday 6 April 2026: the report of week 14 goes out on Tuesday 7 April at 08:00.
    assert run(org, at(4, 6, 9)) == []
    assert run(org, at(4, 7, 7, 59)) == []
    assert run(org, at(4, 7, 8)) == [key.replace("2026-W47", "2026-W14") for key in EXPECTED]


def test_two_replicas_at_the_same_instant_record_it_once(engine: Engine) -> None:
    org = Org(engine)
    busy_week(org)
    barrier = threading.Barrier(2)
    found: list[list[str]] = []

    def replica() -> None:
        barrier.wait()
        found.append(run(org, MONDAY))

    threads = [threading.Thread(target=replica) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(key for keys in found for key in keys) == EXPECTED
    assert [r.key for r in report_rows(engine)] == EXPECTED
    with Session(engine) as session:
        assert len(session.exec(select(OutboxFile)).all()) == 6  # a PNG and a CSV each


def test_sent_once_and_the_manager_sees_only_their_teams(engine: Engine, fake: FakeSlack) -> None:
    org = Org(engine)
    busy_week(org)
    gateway = SlackGateway(build_client("xoxb-test", fake.base_url))
    for minutes in (0, 5):  # two sweeps
        sweep(engine, org.config, org.calendar, gateway, MONDAY + timedelta(minutes=minutes))

    # The other jobs run in the sweep too (the week's handovers): the reports are ours.
    posts = [
        c.args
        for c in fake.calls_to("chat.postMessage")
        if c.ok and str(c.args.get("text", "")).startswith("Ukerapport")
    ]
    assert sorted(p["channel"] for p in posts) == ["C0COMMS", "U0BOSS", "U0KBOSS"]
    by = {p["channel"]: json.dumps(p["blocks"], ensure_ascii=False) for p in posts}
    assert "Ukerapport – uke 47 (16.–22. nov. 2026)" in by["C0COMMS"]
    assert all(team in by["C0COMMS"] for team in ("Kommunikasjon", "Kultur og fritid", "Idrett"))
    assert "Kommunikasjon" in by["U0BOSS"] and "Idrett" in by["U0BOSS"]
    assert "Kultur og fritid" not in by["U0BOSS"]
    assert "Kultur og fritid" in by["U0KBOSS"] and "Kommunikasjon" not in by["U0KBOSS"]

    uploads = [c.args for c in fake.calls_to("files.completeUploadExternal") if c.ok]
    assert len(uploads) == 3
    assert {u["initial_comment"] for u in uploads} == {"Graf og tall, uke 47"}
    pngs = [b for b in fake.uploads.values() if b.startswith(b"\x89PNG")]
    csvs = [b for b in fake.uploads.values() if b.startswith(b"\xef\xbb\xbfweek;")]
    assert len(pngs) == 3 and len(csvs) == 3
    # The manager's CSV holds their two teams and the total, eight weeks each.
    [boss] = [c for c in csvs if b"Kultur" not in c]
    assert boss.count(b"\n") == 1 + 3 * 8
    assert b";komm;" in boss and b";idrett;" in boss


def test_without_a_channel_each_coordinator_gets_it(engine: Engine) -> None:
    text = CONFIG.replace('coordinator_channel = "C0COMMS"\n', "").replace(
        'coordinators = ["U0COORD1"]', 'coordinators = ["U0COORD1", "U0BOSS"]'
    )
    org = Org(engine, text)
    keys = run(org, MONDAY)
    # U0BOSS gets the whole report as a coordinator, and no second one as a manager.
    assert keys == [
        "report-files:2026-W47:U0BOSS",
        "report-files:2026-W47:U0COORD1",
        "report-files:2026-W47:U0KBOSS",
        "report:2026-W47:U0BOSS",
        "report:2026-W47:U0COORD1",
        "report:2026-W47:U0KBOSS",
    ]
