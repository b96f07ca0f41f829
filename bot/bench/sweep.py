"""Benchmark of the reminder sweep at scale: how its time grows with the open items.

    .venv/bin/python -m bot.bench.sweep [--sizes 10000,100000,1000000] [--repeat 3]
                                        [--database-url URL] [--databases sqlite,postgresql]

For each database (a temporary SQLite file; a throw-away database created on the PostgreSQL
server named by --database-url and dropped afterwards) and each size, a fresh database filled by
`bot.bench.items.build`: 50 teams of three on a weekly rota, 500 accounts, `size` open items
received over the last 60 days (nearly all overdue) and a fifth as many answered ones.

Then the sweeps of Tuesday 24 November 2026 in Oslo against a counting stand-in for Slack: the one
at 08:05 untimed (the week's handovers; it records no reminders), then the one at 09:05 (the
09:00 reminders: one digest per person on duty, one summary per team channel, the escalations)
--repeat times, each time on the outbox as the 08:05 sweep left it, so that every run really
records and sends its messages. A run is `runner.run_jobs` one job at a time (each in its own
transaction, as a sweep runs them) and then `outbox.deliver` until nothing is due; the best of
the runs is reported (each figure its own minimum), with every run's figures beside it. Last, the
same slot swept again (a dry run): what each later sweep of the scheduler costs.

Prints one JSON object on stdout: per database and size the jobs time, the reminders job's time,
the delivery time, their total, the messages recorded and Slack calls made; per database the
ratios of the jobs time (and the reminders job's) between successive sizes, e.g. 1000000/100000,
and the seconds each million more items adds (constant from step to step when the growth is
linear: the ratio alone also carries what does not grow with items, composing the messages).
Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from bot import sweep as runner
from bot.bench.items import CONFIG as ITEMS_CONFIG
from bot.bench.items import NOW, CountingSender, bench_database, build
from bot.items.core import Status
from bot.kernel.calendar import WorkCalendar
from bot.kernel.config import OrgConfig, parse_config
from bot.slackkit.outbox import deliver
from bot.store.db import make_engine, migrate
from bot.store.models import Item, Outbox

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TEAMS = 50
ACCOUNTS = 500
CLOSED_SHARE = 5  # one answered item for every five open ones, as bot.bench.items has it
# The targets: the whole sweep (jobs and delivery) in under so many seconds at so many items.
TARGETS = {100_000: 1.0, 1_000_000: 2.5}


def log(message: str) -> None:
    print(f"[sweep] {message}", file=sys.stderr, flush=True)


def _drain(engine: sa.Engine, sender: CountingSender, now: datetime) -> tuple[int, int]:
    """Deliver until nothing is due: (messages sent, deliver() calls)."""
    sent = calls = 0
    while True:
        counts = deliver(engine, sender, now)
        calls += 1
        sent += counts["sent"]
        if not any(counts.values()):
            return sent, calls


def _one_run(
    engine: sa.Engine, config: OrgConfig, calendar: WorkCalendar, now: datetime
) -> dict[str, Any]:
    """The sweep at `now`: every job, one by one as run_jobs runs them, then the delivery."""
    job_seconds: dict[str, float] = {}
    recorded = 0
    failed: list[str] = []
    kinds: dict[str, int] = {}
    start = time.perf_counter()
    for name in runner.JOBS:
        begin = time.perf_counter()
        result = runner.run_jobs(engine, config, calendar, now, only=[name])
        job_seconds[name] = time.perf_counter() - begin
        recorded += len(result.recorded)
        failed.extend(result.failed_jobs)
        for message in result.recorded:
            kinds[message.kind] = kinds.get(message.kind, 0) + 1
    jobs = time.perf_counter() - start
    sender = CountingSender()
    begin = time.perf_counter()
    sent, deliver_calls = _drain(engine, sender, now)
    delivery = time.perf_counter() - begin
    return {
        "jobs_seconds": jobs,
        "reminders_seconds": job_seconds.get("reminders", 0.0),
        "deliver_seconds": delivery,
        "total_seconds": jobs + delivery,
        "job_seconds": job_seconds,
        "messages_recorded": recorded,
        "messages_by_kind": kinds,
        "messages_sent": sent,
        "slack_calls": sender.calls,
        "deliver_calls": deliver_calls,
        "failed_jobs": failed,
    }


def _reset_outbox(engine: sa.Engine, baseline: int) -> None:
    """Forget what a timed run recorded: the outbox as the 08:05 sweep left it."""
    with engine.begin() as conn:
        conn.execute(sa.delete(Outbox).where(col(Outbox.id) > baseline))


def bench_size(
    engine: sa.Engine,
    config: OrgConfig,
    calendar: WorkCalendar,
    size: int,
    repeat: int,
) -> dict[str, Any]:
    start = time.perf_counter()
    migrate(engine)
    data = build(
        engine,
        calendar,
        teams=TEAMS,
        accounts=ACCOUNTS,
        items=size,
        closed=size // CLOSED_SHARE,
        seed=1,
    )
    built = time.perf_counter() - start
    log(f"{engine.dialect.name} {size:,}: built in {built:.1f}s; the 08:05 sweep")

    before = NOW.replace(hour=8, minute=5)
    begin = time.perf_counter()
    earlier = runner.sweep(engine, config, calendar, CountingSender(), before)
    _drain(engine, CountingSender(), before)
    earlier_seconds = time.perf_counter() - begin
    with engine.connect() as conn:
        baseline = conn.execute(sa.select(sa.func.max(Outbox.id))).scalar_one() or 0
        overdue = conn.execute(
            sa.select(sa.func.count())
            .select_from(Item)
            .where(col(Item.status) == Status.OPEN, col(Item.deadline) < NOW)
        ).scalar_one()

    runs: list[dict[str, Any]] = []
    for n in range(repeat):
        if n:
            _reset_outbox(engine, baseline)
        run = _one_run(engine, config, calendar, NOW)
        runs.append(run)
        log(
            f"{engine.dialect.name} {size:,} run {n + 1}/{repeat}: jobs {run['jobs_seconds']:.3f}s"
            f" (reminders {run['reminders_seconds']:.3f}s), delivery"
            f" {run['deliver_seconds']:.3f}s, {run['messages_recorded']} messages"
        )

    begin = time.perf_counter()
    again = runner.run_jobs(engine, config, calendar, NOW, dry_run=True)
    again_seconds = time.perf_counter() - begin

    def best(key: str) -> float:
        return round(min(float(r[key]) for r in runs), 3)

    return {
        "open_items": data["open_items"],
        "closed_items": data["closed_items"],
        "overdue_items": int(overdue),
        "build_seconds": round(built, 1),
        "jobs_seconds": best("jobs_seconds"),
        "reminders_seconds": best("reminders_seconds"),
        "deliver_seconds": best("deliver_seconds"),
        "total_seconds": best("total_seconds"),
        "job_seconds": {
            name: round(min(r["job_seconds"][name] for r in runs), 3) for name in runner.JOBS
        },
        "messages_recorded": runs[-1]["messages_recorded"],
        "messages_by_kind": runs[-1]["messages_by_kind"],
        "slack_calls": runs[-1]["slack_calls"],
        "deliver_calls": runs[-1]["deliver_calls"],
        "failed_jobs": sorted({name for r in runs for name in r["failed_jobs"]}),
        "runs": [
            {
                key: round(r[key], 3)
                for key in ("jobs_seconds", "reminders_seconds", "deliver_seconds", "total_seconds")
            }
            for r in runs
        ],
        "earlier_sweep": {
            "at": before.isoformat(),
            "seconds": round(earlier_seconds, 3),
            "messages_recorded": len(earlier.recorded),
        },
        "same_slot_again_seconds": round(again_seconds, 3),
        "same_slot_again_recorded": len(again.recorded),
    }


def _ratios(by_size: dict[int, dict[str, Any]], key: str) -> dict[str, float]:
    """The figure at each size over the one at the size before, e.g. "1000000/100000"."""
    return {
        f"{big}/{small}": round(by_size[big][key] / by_size[small][key], 2)
        for small, big in itertools.pairwise(sorted(by_size))
        if by_size[small][key] > 0
    }


def _per_million(by_size: dict[int, dict[str, Any]], key: str) -> dict[str, float]:
    """Seconds per million more open items between successive sizes: the same figure at every
    step when the time grows linearly (whatever part of it does not grow with items)."""
    return {
        f"{small}-{big}": round((by_size[big][key] - by_size[small][key]) / (big - small) * 1e6, 3)
        for small, big in itertools.pairwise(sorted(by_size))
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.bench.sweep", description=__doc__)
    parser.add_argument(
        "--sizes", default="10000,100000,1000000", help="open items, comma-separated"
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per size (best kept)")
    parser.add_argument(
        "--database-url", default=DEFAULT_POSTGRES, help="the PostgreSQL server to use"
    )
    parser.add_argument(
        "--databases", default="sqlite,postgresql", help="sqlite, postgresql or both"
    )
    args = parser.parse_args(argv)
    try:
        sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        parser.error("--sizes: whole numbers separated by commas, e.g. 10000,100000")
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    if not sizes or min(sizes) < 1 or args.repeat < 1:
        parser.error("need at least one size >= 1 and --repeat >= 1")
    if not set(databases) <= {"sqlite", "postgresql"} or not databases:
        parser.error("--databases: sqlite, postgresql or both")

    config = parse_config(ITEMS_CONFIG, "bench.toml")
    calendar = config.calendar()
    report: dict[str, Any] = {
        "now": NOW.isoformat(),
        "teams": TEAMS,
        "accounts": ACCOUNTS,
        "repeat": args.repeat,
        "databases": {},
    }
    for database in databases:
        by_size: dict[int, dict[str, Any]] = {}
        for size in sizes:
            server = None if database == "sqlite" else args.database_url
            name = f"vakt_sweep_{os.getpid()}"
            log(f"{database} {size:,}: building")
            with bench_database(server, name=name) as (url, _tmp):
                engine = make_engine(url)
                try:
                    by_size[size] = bench_size(engine, config, calendar, size, args.repeat)
                finally:
                    engine.dispose()
        report["databases"][database] = {
            "sizes": {str(size): figures for size, figures in by_size.items()},
            "jobs_ratio": _ratios(by_size, "jobs_seconds"),
            "reminders_ratio": _ratios(by_size, "reminders_seconds"),
            "total_ratio": _ratios(by_size, "total_seconds"),
            "jobs_seconds_per_million_items": _per_million(by_size, "jobs_seconds"),
            "reminders_seconds_per_million_items": _per_million(by_size, "reminders_seconds"),
        }
        report["databases"][database]["targets"] = {
            f"total_at_{size}_under_{seconds:g}s": by_size[size]["total_seconds"] < seconds
            for size, seconds in TARGETS.items()
            if size in by_size
        }
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
