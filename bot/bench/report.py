"""Benchmark of the weekly report at scale: gathering, figures, chart, CSV and message.

    .venv/bin/python -m bot.bench.report [--items 100000] [--teams 40] [--repeat 3]

Builds a temporary SQLite database, migrated and filled in one transaction: teams with a
manager (one manager for every two teams), an account each, and items received over the
8 weeks the chart covers (most answered within a few working hours, some referred, some still
open). Then, as of Monday 23 November 2026 08:00 in Oslo (the report of week 47):

- `load`: the one read of the database the job makes for every recipient;
- `build_all` / `build_managers`: the whole organisation's report, and every manager's;
- `chart`, `csv`, `message`: one recipient's PNG, CSV and Block Kit message;
- `job`: the weekly job as the scheduler runs it (everything, for every recipient, recorded in
  the outbox), and `job_again`: the next sweep, which finds it recorded and draws nothing.

Prints one JSON object (best of --repeat, seconds) on stdout.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from bot.items.core import Status
from bot.kernel.config import parse_config
from bot.report import core
from bot.report import service as report
from bot.report.blocks import report_message
from bot.report.chart import chart_png
from bot.report.jobs import weekly_report_job
from bot.store.db import make_engine, migrate
from bot.store.models import Account, Item, Team

OSLO = ZoneInfo("Europe/Oslo")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=OSLO)
CONFIG = """
[organisation]
name = "Benchmark kommune"
country = "NO"
timezone = "Europe/Oslo"
language = "nb"
coordinators = ["U0COORD"]
coordinator_channel = "C0COMMS"

[office_hours]
monday = "08:00-16:00"
tuesday = "08:00-16:00"
wednesday = "08:00-16:00"
thursday = "08:00-16:00"
friday = "08:00-16:00"
"""


def _best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return round(best, 4), result


def fill(engine: sa.Engine, teams: int, items: int, seed: int = 7) -> None:
    """Teams, one account each, and `items` items over the chart's 8 weeks."""
    config = parse_config(CONFIG, "bench.toml")
    calendar = config.calendar()
    rnd = random.Random(seed)
    first = core.weeks_before(core.report_week(calendar, NOW))[0].start(OSLO)
    span = (NOW - first).total_seconds()
    with Session(engine) as session:
        for n in range(teams):
            session.add(
                Team(
                    key=f"t{n:03d}",
                    name=f"Team {n}",
                    manager=f"U0M{n // 2:03d}",
                    start=date(2026, 9, 7),
                    created_at=first,
                    updated_at=first,
                )
            )
        session.flush()
        for n in range(teams):
            session.add(
                Account(
                    key=f"a{n:03d}",
                    platform="facebook",
                    name=f"Konto {n}",
                    url=f"https://www.facebook.com/bench{n}",
                    team_id=n + 1,
                    created_at=first,
                    updated_at=first,
                )
            )
        session.commit()
    rows: list[dict[str, Any]] = []
    for n in range(items):
        received = first + timedelta(seconds=rnd.uniform(0, span))
        roll = rnd.random()
        closed = received + timedelta(hours=rnd.expovariate(1 / 10))
        status = Status.ANSWERED if roll < 0.8 else Status.REFERRED if roll < 0.9 else Status.OPEN
        if status == Status.OPEN or closed >= NOW:
            status, closed_at = Status.OPEN, None
        else:
            closed_at = closed
        rows.append(
            {
                "account_id": n % teams + 1,
                "source": "http",
                "external_id": f"b{n}",
                "received_at": received,
                "excerpt": None,
                "status": status.value,
                "deadline": calendar.deadline(received, 1),
                "closed_at": closed_at,
                "must_register": False,
                "created_by": "bench",
                "created_at": received,
            }
        )
    with engine.begin() as conn:
        conn.execute(sa.insert(Item), rows)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--teams", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    config = parse_config(CONFIG, "bench.toml")
    calendar = config.calendar()
    week = core.report_week(calendar, NOW)
    tmp = Path(tempfile.mkdtemp(prefix="vakt-bench-report-"))
    try:
        engine = make_engine(f"sqlite:///{tmp / 'bench.sqlite3'}")
        migrate(engine)
        print(f"filling {args.items} items in {args.teams} teams", file=sys.stderr)
        started = time.perf_counter()
        fill(engine, args.teams, args.items)
        filled = round(time.perf_counter() - started, 2)
        with Session(engine) as session:
            t_load, data = _best(
                lambda: report.load(session, config, calendar, week, NOW), args.repeat
            )
        t_all, whole = _best(lambda: report.build(calendar, config, data), args.repeat)
        managers = sorted({t.manager for t in data.teams if t.manager})

        def every_manager() -> int:
            for manager in managers:
                report.build(calendar, config, data, report.managed_teams(data.teams, manager))
            return len(managers)

        t_managers, _ = _best(every_manager, args.repeat)
        t_chart, png = _best(lambda: chart_png(whole, "nb"), args.repeat)
        t_csv, data_csv = _best(lambda: report.report_csv(whole, "Alle team"), args.repeat)
        t_message, (_, blocks) = _best(lambda: report_message(whole, "nb", OSLO), args.repeat)
        with Session(engine) as session:
            started = time.perf_counter()
            recorded = weekly_report_job(session, config, calendar, NOW)
            session.commit()
            t_job = round(time.perf_counter() - started, 4)
            started = time.perf_counter()
            again = weekly_report_job(session, config, calendar, NOW + timedelta(minutes=5))
            t_again = round(time.perf_counter() - started, 4)
        engine.dispose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(
        json.dumps(
            {
                "items": args.items,
                "teams": args.teams,
                "managers": len(managers),
                "items_read": len(data.items),
                "fill_s": filled,
                "load_s": t_load,
                "build_all_s": t_all,
                "build_managers_s": t_managers,
                "chart_s": t_chart,
                "chart_bytes": len(png),
                "csv_s": t_csv,
                "csv_bytes": len(data_csv),
                "message_s": t_message,
                "message_blocks": len(blocks),
                "job_s": t_job,
                "job_messages": len(recorded),
                "job_again_s": t_again,
                "job_again_messages": len(again),
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
