"""Benchmark of the rota's cost against the team's age: duty at an instant for teams started
yesterday and ten years ago, daily and weekly.

    .venv/bin/python -m bot.bench.rota [--repeat 2000] [--at 2026-12-03]

For each team (three members; daily or weekly; started the day before `--at` or on 4 January
2016) the best of five rounds of `--repeat` calls of `rota.duty_at` at 10:00 on `--at`, on a
calendar whose years have already been counted once (as in a running worker, where the calendar
lives as long as the process), and of `rota.period_of` alone. Beside it, in the same run, the
period counted day by day, as `period_of` did before, for the same daily teams. A team's cost is
the same whatever its age when `aged_over_new` stays near 1.

Prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as clock
from functools import partial
from zoneinfo import ZoneInfo

from bot.kernel.calendar import CalendarRules, Hours, WorkCalendar
from bot.rota.core import Rotation, TeamRota, duty_at, period_of

OSLO = ZoneInfo("Europe/Oslo")
TEN_YEARS_AGO = date(2016, 1, 4)


def counted_index(team: TeamRota, day: date, calendar: WorkCalendar) -> int:
    """The daily period index counted one working day at a time (the cost before)."""
    if day >= team.start:
        index = len(calendar.working_days_between(team.start, day))
        return index - (1 if calendar.is_working_day(day) else 0)
    return -len(calendar.working_days_between(day, team.start - timedelta(days=1)))


def best_of(call: Callable[[], object], repeat: int, rounds: int = 5) -> float:
    """Microseconds per call: the best round's mean."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(repeat):
            call()
        best = min(best, (time.perf_counter() - started) / repeat)
    return round(best * 1e6, 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.bench.rota", description=__doc__)
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--at", type=date.fromisoformat, default=date(2026, 12, 3))
    args = parser.parse_args(argv)
    calendar = WorkCalendar(
        CalendarRules(
            timezone="Europe/Oslo",
            country="NO",
            week={d: Hours(clock(8), clock(16)) for d in range(5)},
        )
    )
    instant = datetime.combine(args.at, clock(10), tzinfo=OSLO)
    report: dict[str, object] = {"at": instant.isoformat(), "repeat": args.repeat, "teams": {}}
    teams = report["teams"]
    assert isinstance(teams, dict)
    for rotation in Rotation:
        for age, start in (("new", args.at - timedelta(days=1)), ("aged", TEN_YEARS_AGO)):
            team = TeamRota(f"{rotation}-{age}", ("A", "B", "C"), rotation, start)
            duty_at(team, instant, calendar)  # the years counted once, as a worker's first call
            entry: dict[str, object] = {
                "started": start.isoformat(),
                "duty_at_us": best_of(partial(duty_at, team, instant, calendar), args.repeat),
            }
            entry["period_of_us"] = best_of(
                partial(period_of, team, args.at, calendar), args.repeat
            )
            if rotation == Rotation.DAILY:
                entry["floor_period_counted_day_by_day_us"] = best_of(
                    partial(counted_index, team, args.at, calendar),
                    max(1, args.repeat // 20),
                )
            teams[f"{rotation}_{age}"] = entry
    for rotation in Rotation:
        new, aged = teams[f"{rotation}_new"], teams[f"{rotation}_aged"]
        report[f"{rotation}_aged_over_new"] = round(aged["duty_at_us"] / new["duty_at_us"], 2)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
