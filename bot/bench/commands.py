"""Benchmark of what a `/vakt` command costs in CPU, without HTTP, Bolt or the load around it.

    .venv/bin/python -m bot.bench.commands [--database-url URL] [--requests 300]
                                           [--items 100000] [--accounts 500] [--teams 50]
                                           [--profile COMMAND]

Builds the load benchmark's database (50 teams, 500 accounts, 100,000 open and 20,000 answered
items; a throw-away PostgreSQL database on the server of --database-url, or a temporary SQLite
file with --database-url sqlite), then runs each command through the router, as the `/vakt`
listener does after its ack (language, one transaction, the service, the blocks), from a
coordinator, `--requests` times after a few untimed ones. Measured per command: the CPU time of
the thread that runs it (`time.thread_time`: Python, SQLAlchemy and the driver), the CPU the
PostgreSQL backends spent meanwhile, and the wall time. Printed beside them:

- **the floor**: an unknown subcommand, which the router answers with its error and usage after
  looking up the reader's language: what every command costs before its own work;
- **after a change**: `/vakt who` right after a change to an absence, so the read model is read
  afresh: what the first command after any change costs.
- **status**: `/vakt status`, a manager's overview of every team (fewer runs; not a target).

Prints one JSON object on stdout (progress goes to stderr). Run it from the repository root: the
Slack fake (for the one users.info) lives in `tests.fakeslack`.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.bench.items import CONFIG, COORDINATOR, NOW, bench_database, bench_runtime, build
from bot.bench.load import cpu_seconds, postgres_pids
from bot.features import FEATURES
from bot.kernel.config import parse_config
from bot.slackkit.app import router_of
from bot.slackkit.router import Router
from bot.store.db import make_engine, migrate

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
COMMANDS = ("who", "unanswered", "rota team-001", "unanswered overdue")
FLOOR = "nosuchcommand"
TARGET_MS = 4.0  # worker CPU per command (the speed issue)


def log(message: str) -> None:
    print(f"[commands] {message}", file=sys.stderr, flush=True)


def _summary(cpu: list[float], pg: list[float], wall: list[float]) -> dict[str, Any]:
    def ms(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)

    return {
        "runs": len(cpu),
        "cpu_ms": {"mean": round(statistics.fmean(cpu) * 1000, 2), "p50": ms(cpu, 0.5)},
        "postgres_cpu_ms_mean": round(statistics.fmean(pg) * 1000, 2),
        "wall_ms": {"p50": ms(wall, 0.5), "p99": ms(wall, 0.99)},
    }


def _measure(run: Callable[[], object], requests: int, warmup: int) -> dict[str, Any]:
    for _ in range(warmup):
        run()
    cpu: list[float] = []
    pg: list[float] = []
    wall: list[float] = []
    for _ in range(requests):
        backends = postgres_pids()
        pg_before = cpu_seconds(backends)
        start_wall, start_cpu = time.perf_counter(), time.thread_time()
        run()
        cpu.append(time.thread_time() - start_cpu)
        wall.append(time.perf_counter() - start_wall)
        pg.append(max(0.0, cpu_seconds(backends) - pg_before))
    return _summary(cpu, pg, wall)


def _profile(run: Callable[[], object], requests: int) -> None:
    """Where one command's CPU goes: cProfile over `requests` runs, the top to stderr."""
    profiler = cProfile.Profile(time.thread_time)
    profiler.enable()
    for _ in range(requests):
        run()
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stderr)
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(40)


def run(
    database_url: str, tmp: Path, requests: int, warmup: int, profile: str | None = None
) -> dict[str, Any]:
    from tests.fakeslack import FakeSlack

    results: dict[str, Any] = {}
    with FakeSlack() as fake:
        fake.users[COORDINATOR] = {"locale": "en-US"}
        runtime = bench_runtime(database_url, tmp, CONFIG, fake.base_url)
        router: Router = router_of(FEATURES)
        deps = runtime.deps

        def command(text: str) -> Callable[[], object]:
            return lambda: router.handle(deps, COORDINATOR, text, NOW)

        try:
            if profile is not None:
                _measure(command(profile), 1, warmup)
                _profile(command(profile), requests)
                return results
            results["floor"] = _measure(command(FLOOR), requests, warmup)
            for text in COMMANDS:
                log(f"/vakt {text}")
                results[text] = _measure(command(text), requests, warmup)
            day = NOW.date() + timedelta(days=30)

            def after_a_change() -> object:
                with runtime.engine.begin() as conn:  # a change anyone could make
                    conn.execute(
                        sa.text(
                            "UPDATE absence SET note = :n WHERE id = (SELECT min(id) FROM absence)"
                        ),
                        {"n": str(time.perf_counter())},
                    )
                    conn.execute(
                        sa.text(
                            'INSERT INTO absence (user_id, start, "end", kind, created_by, '
                            "created_at) SELECT 'U0BENCH', :d, :d, 'vacation', 'U0BENCH', :at "
                            "WHERE NOT EXISTS (SELECT 1 FROM absence)"
                        ),
                        {"d": day, "at": NOW},
                    )
                return router.handle(deps, COORDINATOR, "who", NOW)

            # The change itself is inside the timing: its CPU is a few hundred microseconds.
            results["who after a change"] = _measure(after_a_change, max(20, requests // 10), 2)
            # A manager's overview of every team (not a target: asked for a few times a day).
            log("/vakt status")
            results["status"] = _measure(command("status"), max(20, requests // 10), 2)
        finally:
            runtime.engine.dispose()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.bench.commands", description=__doc__)
    parser.add_argument("--database-url", default=DEFAULT_SERVER, help="PostgreSQL, or sqlite")
    parser.add_argument("--requests", type=int, default=300, help="timed runs per command")
    parser.add_argument("--warmup", type=int, default=10, help="untimed runs per command")
    parser.add_argument("--items", type=int, default=100_000, help="open items")
    parser.add_argument("--closed", type=int, default=20_000, help="answered items")
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--teams", type=int, default=50)
    parser.add_argument("--profile", metavar="COMMAND", help="profile one command (to stderr)")
    args = parser.parse_args(argv)
    if args.teams < 1 or args.accounts < args.teams or args.requests < 1 or args.warmup < 0:
        parser.error("need teams >= 1, accounts >= teams, requests >= 1 and warmup >= 0")
    server = None if args.database_url == "sqlite" else args.database_url
    config = parse_config(CONFIG, "bench.toml")
    report: dict[str, Any] = {"now": NOW.isoformat()}
    with bench_database(server, name="vakt_bench_commands") as (url, tmp):
        engine = make_engine(url)
        report["database"] = engine.dialect.name
        try:
            migrate(engine)
            log("migrated; inserting")
            report["data"] = build(
                engine,
                config.calendar(),
                teams=args.teams,
                accounts=args.accounts,
                items=args.items,
                closed=args.closed,
                seed=1,
            )
        finally:
            engine.dispose()
        report["commands"] = run(url, tmp, args.requests, args.warmup, args.profile)
    if args.profile is not None:
        return 0
    commands = report["commands"]
    floor = commands["floor"]["cpu_ms"]["mean"]
    report["vs_floor"] = {
        name: round(result["cpu_ms"]["mean"] / floor, 1) if floor else None
        for name, result in commands.items()
        if name != "floor"
    }
    report["targets"] = {
        f"cpu_at_most_{TARGET_MS:g}ms_{name.split()[0]}": commands[name]["cpu_ms"]["mean"]
        <= TARGET_MS
        for name in ("who", "unanswered", "rota team-001")
    }
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
