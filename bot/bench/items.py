"""Benchmark of unanswered items at scale: the reminder sweep and `/vakt unanswered` / `status`.

    .venv/bin/python -m bot.bench.items [--items 100000] [--accounts 500] [--teams 50]
                                        [--database-url URL] [--cold]

Builds a fresh database (a temporary SQLite file, or a throw-away `vakt_bench` database on the
PostgreSQL server named by --database-url, dropped afterwards), migrated and filled: teams of
three on a weekly rota, with a channel and a manager; accounts spread over them; open items
received over the last 60 days (nearly all overdue) and some answered ones, loaded in bulk (COPY
on PostgreSQL, one `executemany` transaction on SQLite: a million items in about 20 seconds).

Then one sweep (`bot.sweep.sweep`) as of Tuesday 24 November 2026 09:05 in Oslo, with a
counting stand-in for Slack. The sweep at 08:05 that the scheduler would have run before it is
run first, untimed, so the timed one is the 09:00 reminders alone; --cold skips it (the first
sweep ever: the week's handovers too, and more than one sweep delivers).

Last, the real app in HTTP mode on loopback, its clock fixed at that instant, against a loopback
FakeSlack: signed `/vakt unanswered`, `/vakt unanswered overdue` and `/vakt status` from a
coordinator, each timed until the HTTP 200 (the ack) and until the answer reaches response_url.

Prints one JSON object on stdout (progress goes to stderr). Run it from the repository root:
the Slack fake lives in `tests.fakeslack`.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import math
import random
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlmodel import col

from bot import sweep as runner
from bot.items.core import CLOSED, Status, deadline_for
from bot.kernel.calendar import WorkCalendar
from bot.kernel.config import OrgConfig, parse_config
from bot.runtime import Runtime, build_runtime, prepare_database
from bot.settings import load_settings
from bot.slackkit.outbox import Message, deliver
from bot.store.db import make_engine, migrate
from bot.store.models import Account, Item, Outbox, Team, TeamMember
from bot.web.app import WebApp

OSLO = ZoneInfo("Europe/Oslo")
NOW = datetime(2026, 11, 24, 9, 5, tzinfo=OSLO)  # a Tuesday, just after the 09:00 reminders
COORDINATOR = "U0COORD1"
SIGNING_SECRET = "bench-signing-secret"  # noqa: S105 - a loopback fake's secret
BENCH_DATABASE = "vakt_bench"
HISTORY_DAYS = 60

CONFIG = """
[organisation]
name = "Benchrud kommune"
country = "NO"
timezone = "Europe/Oslo"
language = "en"
coordinators = ["U0COORD1"]
coordinator_channel = "C0COMMS"

[office_hours]
monday = "08:00-16:00"
tuesday = "08:00-16:00"
wednesday = "08:00-16:00"
thursday = "08:00-16:00"
friday = "08:00-16:00"

[closed_days]
recurring = ["12-24", "12-31"]
"""


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the database


@contextmanager
def bench_database(url: str | None, name: str = BENCH_DATABASE) -> Iterator[tuple[str, Path]]:
    """(database URL, scratch directory): a temporary SQLite file, or a fresh PostgreSQL
    database `name` created on the given server and dropped afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix="vakt-bench-"))
    try:
        if url is None:
            yield f"sqlite:///{tmp / 'bench.sqlite3'}", tmp
            return
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        drop = sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        try:
            with admin.connect() as conn:
                conn.execute(drop)
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            yield make_url(url).set(database=name).render_as_string(False), tmp
        finally:
            with admin.connect() as conn:
                conn.execute(drop)
            admin.dispose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


ITEM_COLUMNS = (
    "account_id",
    "source",
    "external_id",
    "url",
    "received_at",
    "excerpt",
    "status",
    "deadline",
    "closed_by",
    "closed_at",
    "must_register",
    "registration_ref",
    "registered_by",
    "registered_at",
    "created_by",
    "created_at",
    "slack_channel",
    "slack_ts",
    "excerpt_purged_at",
)
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_LOAD_CHUNK = 50_000


def _column_texts(rows: list[tuple[Any, ...]], sqlite: bool) -> list[list[Any]]:
    """The rows' values column by column as the database stores them: datetimes as text
    (SQLite: SQLAlchemy's naive UTC format; PostgreSQL: with the offset), flags as 1/0 or t/f,
    None as NULL or COPY's \\N. One comprehension per column, not a call per value."""
    null = None if sqlite else "\\N"
    # A UTC datetime's isoformat ends in "+00:00"; SQLite stores the 26 characters before it.
    width = 26 if sqlite else None
    texts: list[list[Any]] = []
    for name, values in zip(ITEM_COLUMNS, zip(*rows, strict=True), strict=True):
        if name.endswith("_at") or name == "deadline":
            sample = next((v for v in values if v is not None), None)
            if sample is not None and sample.utcoffset() != timedelta(0):
                raise ValueError(f"{name}: UTC datetimes expected, got {sample.isoformat()}")
            texts.append(
                [null if v is None else v.isoformat(" ", "microseconds")[:width] for v in values]
            )
        elif name == "must_register":
            texts.append(
                [int(v) for v in values] if sqlite else ["t" if v else "f" for v in values]
            )
        elif sqlite:
            texts.append(list(values))
        elif name == "account_id":
            texts.append([str(v) for v in values])
        else:
            present = "".join(v for v in values if v is not None)
            if any(c in present for c in "\\\t\n\r"):  # escaped only when needed: slow
                texts.append([null if v is None else v.translate(_COPY_ESCAPES) for v in values])
            else:
                texts.append([null if v is None else v for v in values])
    return texts


def _load_items(engine: Engine, rows: list[tuple[Any, ...]]) -> None:
    """Bulk load of item rows (UTC datetimes, in ITEM_COLUMNS' order) in one transaction, past
    the ORM and the per-row bind processing: COPY on PostgreSQL, executemany on SQLite."""
    columns = ", ".join(ITEM_COLUMNS)
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as conn:
        raw: Any = conn.connection.driver_connection
        if sqlite:  # room for the indexes being filled (1 GB at most, for this load only)
            cache = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
            conn.exec_driver_sql("PRAGMA cache_size=-1000000")
        for start in range(0, len(rows), _LOAD_CHUNK):
            texts = _column_texts(rows[start : start + _LOAD_CHUNK], sqlite)
            if sqlite:
                marks = ", ".join("?" * len(ITEM_COLUMNS))
                raw.executemany(
                    f"INSERT INTO item ({columns}) VALUES ({marks})",  # noqa: S608 - constant names
                    zip(*texts, strict=True),
                )
                continue
            with raw.cursor().copy(f"COPY item ({columns}) FROM STDIN") as copy:
                copy.write("".join("\t".join(row) + "\n" for row in zip(*texts, strict=True)))
        if sqlite:
            conn.exec_driver_sql(f"PRAGMA cache_size={int(cache)}")


def build(
    engine: Engine,
    calendar: WorkCalendar,
    *,
    teams: int,
    accounts: int,
    items: int,
    closed: int,
    seed: int,
) -> dict[str, int]:
    """Teams (3 members, weekly rota, channel, manager), accounts spread over them, `items`
    open items over the last HISTORY_DAYS days and `closed` answered ones."""
    rng = random.Random(seed)
    created = NOW - timedelta(days=HISTORY_DAYS + 30)
    team_rows = [
        {
            "key": f"team-{t:03d}",
            "name": f"Team {t:03d}",
            "channel": f"C0TEAM{t:03d}",
            "manager": f"U0MGR{t:03d}",
            "rotation": "weekly",
            "start": date(2026, 1, 5),
            "intake_channel": None,
            "managed": False,
            "created_at": created,
            "updated_at": created,
        }
        for t in range(teams)
    ]
    with engine.begin() as conn:
        conn.execute(sa.insert(Team), team_rows)
        team_ids = list(conn.execute(sa.select(col(Team.id)).order_by(col(Team.key))).scalars())
        conn.execute(
            sa.insert(TeamMember),
            [
                {"team_id": team_id, "user_id": f"U0T{t:03d}{who}", "position": p}
                for t, team_id in enumerate(team_ids)
                for p, who in enumerate("ABC")
            ],
        )
        conn.execute(
            sa.insert(Account),
            [
                {
                    "key": f"acct-{a:04d}",
                    "platform": "facebook",
                    "name": f"Account {a:04d}",
                    "url": f"https://www.facebook.com/benchrud{a:04d}",
                    "team_id": team_ids[a % teams],
                    "intake_channel": None,
                    "deadline_working_days": None,
                    "must_register": a % 10 == 0,
                    "managed": False,
                    "created_at": created,
                    "updated_at": created,
                }
                for a in range(accounts)
            ],
        )
        account_ids = [
            i
            for i in conn.execute(sa.select(col(Account.id)).order_by(col(Account.id))).scalars()
            if i is not None
        ]

    # A million rows of tuples: the cyclic garbage collector would walk them all again and
    # again while they are made (they hold no cycles), so it waits until they are loaded.
    with _collector_paused():
        _load_items(
            engine,
            _item_rows(calendar, rng, account_ids, accounts=accounts, items=items, closed=closed),
        )
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))
    return {"teams": teams, "accounts": accounts, "open_items": items, "closed_items": closed}


@contextmanager
def _collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _item_rows(
    calendar: WorkCalendar,
    rng: random.Random,
    account_ids: list[int],
    *,
    accounts: int,
    items: int,
    closed: int,
) -> list[tuple[Any, ...]]:
    """`items` open and `closed` answered items, in ITEM_COLUMNS' order (UTC datetimes),
    oldest first."""
    # The deadline depends on the local date received only (see WorkCalendar.deadline).
    deadlines: dict[date, datetime] = {}

    def deadline(received: datetime) -> datetime:
        day = calendar.local_date(received)
        if day not in deadlines:
            deadlines[day] = deadline_for(calendar, received, 1).astimezone(UTC)
        return deadlines[day]

    registering = {account_ids[a] for a in range(accounts) if a % 10 == 0}
    span = HISTORY_DAYS * 86400
    answered = [s for s in CLOSED if s != Status.DELETED]
    item_rows: list[tuple[Any, ...]] = []
    for i in range(items + closed):
        account_id = account_ids[i % accounts]
        # Local (wall-clock) arithmetic, as the benchmark always did; stored as UTC.
        local = NOW - timedelta(seconds=rng.randrange(60, span))
        received = local.astimezone(UTC)
        is_open = i < items
        closed_at = (
            None
            if is_open
            else min(local + timedelta(hours=rng.uniform(0.2, 30)), NOW).astimezone(UTC)
        )
        must_register = i % 10 == 0 or account_id in registering
        # In ITEM_COLUMNS' order.
        item_rows.append(
            (
                account_id,
                "http",
                f"post-{i}",
                f"https://www.facebook.com/benchrud/posts/{i}",
                received,
                f"Spørsmål {i}: når åpner biblioteket igjen etter oppussingen?",
                Status.OPEN.value if is_open else answered[i % len(answered)].value,
                deadline(local),
                None if is_open else "U0T000A",
                closed_at,
                must_register,
                # Answered, but a third of those to register still wait for their reference.
                None if is_open or not must_register or i % 3 == 0 else f"2026/{i}",
                None,
                None,
                "http",
                received,
                None,
                None,
                None,
            )
        )
    # Items arrive over time: ids ascend with received_at, as in a live database.
    item_rows.sort(key=lambda row: row[4])
    return item_rows


# ---------------------------------------------------------------- the sweep


class CountingSender:
    """A stand-in for the Slack gateway: counts posts, answers with a fake ts."""

    def __init__(self) -> None:
        self.calls = 0
        self.channels: dict[str, int] = {}

    def post_message(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
    ) -> tuple[str, str]:
        self.calls += 1
        self.channels[channel] = self.channels.get(channel, 0) + 1
        return channel, f"1700000000.{self.calls:06d}"

    def upload_files(
        self, channel: str, files: Sequence[Any], comment: str, thread_ts: str | None = None
    ) -> tuple[str, str]:
        self.calls += 1
        self.channels[channel] = self.channels.get(channel, 0) + 1
        return channel, ""


def _drain(engine: Engine, sender: CountingSender, now: datetime) -> int:
    """Deliver until the outbox has nothing due (deliver() sends at most 200 a call)."""
    sent = 0
    while True:
        counts = deliver(engine, sender, now)
        sent += counts["sent"]
        if not any(counts.values()):
            return sent


def run_sweep(
    engine: Engine, config: OrgConfig, calendar: WorkCalendar, *, cold: bool
) -> dict[str, Any]:
    # The scheduler sweeps every few minutes: the one before 09:00 has already sent the week's
    # handovers, so the timed sweep is the 09:00 reminders alone, as on any working morning.
    # Cold: the first sweep ever, handovers and reminders together, and what one sweep cannot
    # deliver left in the outbox (the commands below then find it).
    before = NOW.replace(hour=8, minute=5)
    previous: dict[str, Any] = {"at": None}
    if not cold:
        start = time.perf_counter()
        swept = runner.sweep(engine, config, calendar, CountingSender(), before)
        previous = {
            "at": before.isoformat(),
            "seconds": round(time.perf_counter() - start, 3),
            "messages_recorded": len(swept.recorded),
        }
        _drain(engine, CountingSender(), before)

    sender = CountingSender()
    # sweep() is run_jobs() then deliver(): time the delivery from inside, the rest is the jobs.
    delivering: list[float] = []
    real_deliver = runner.deliver

    def timed_deliver(*args: Any, **kwargs: Any) -> dict[str, int]:
        begin = time.perf_counter()
        try:
            return real_deliver(*args, **kwargs)
        finally:
            delivering.append(time.perf_counter() - begin)

    per_job: dict[str, float] = {}
    real_jobs = dict(runner.JOBS)

    def timed(name: str, job: runner.Job) -> runner.Job:
        def run(*args: Any) -> list[Message]:
            begin = time.perf_counter()
            try:
                return job(*args)
            finally:
                per_job[name] = time.perf_counter() - begin

        return run

    runner.deliver = timed_deliver
    runner.JOBS.update({name: timed(name, job) for name, job in real_jobs.items()})
    try:
        start = time.perf_counter()
        result = runner.sweep(engine, config, calendar, sender, NOW)
        sweep_seconds = time.perf_counter() - start
    finally:
        runner.deliver = real_deliver
        runner.JOBS.update(real_jobs)
    deliver_seconds = sum(delivering)
    with engine.connect() as conn:
        left_over = conn.execute(
            sa.select(sa.func.count())
            .select_from(Outbox)
            .where(col(Outbox.status) == "pending", col(Outbox.next_attempt_at) <= NOW)
        ).scalar_one()
    if not cold:
        _drain(engine, CountingSender(), NOW)  # so the commands below find none
    # The same slot again: every key is recorded, so nothing new, but the same reading and
    # composing (a dry run, so nothing is kept either way).
    start = time.perf_counter()
    again = runner.run_jobs(engine, config, calendar, NOW, dry_run=True)
    rerun_seconds = time.perf_counter() - start
    with engine.connect() as conn:
        overdue = conn.execute(
            sa.select(sa.func.count())
            .select_from(Item)
            .where(col(Item.status) == Status.OPEN, col(Item.deadline) < NOW)
        ).scalar_one()
    kinds: dict[str, int] = {}
    for message in result.recorded:
        kinds[message.kind] = kinds.get(message.kind, 0) + 1
    return {
        "previous_sweep": previous,
        "sweep_seconds": round(sweep_seconds, 3),
        "jobs_seconds": round(sweep_seconds - deliver_seconds, 3),
        "deliver_seconds": round(deliver_seconds, 3),
        "job_seconds": {name: round(seconds, 3) for name, seconds in per_job.items()},
        "rerun_jobs_seconds": round(rerun_seconds, 3),
        "rerun_recorded": len(again.recorded),
        "messages_recorded": len(result.recorded),
        "messages_by_kind": kinds,
        "delivery": result.delivery,
        "left_for_later_sweeps": int(left_over),
        "slack_calls": sender.calls,
        "slack_calls_to_coordinator_channel": sender.channels.get(
            config.coordinator_channel or "", 0
        ),
        "items_considered": int(overdue),
        "recipients": kinds.get("item_digest", 0),
        "failed_jobs": result.failed_jobs,
    }


# ---------------------------------------------------------------- slash commands over HTTP


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _post(port: int, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """One POST on a new connection, as Slack makes them."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _quantile(values: list[float], q: float) -> float:
    """Nearest-rank quantile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _summary(values: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in values]
    return {
        "p50_ms": round(_quantile(ms, 0.50), 1),
        "p95_ms": round(_quantile(ms, 0.95), 1),
        "max_ms": round(max(ms), 1),
    }


def bench_runtime(database_url: str, tmp: Path, config_text: str, slack_url: str) -> Runtime:
    """The app's runtime on the bench database, its clock fixed at NOW, Slack at `slack_url`
    (a FakeSlack), the database migrated and the configuration applied."""
    config_path = tmp / "vakt.toml"
    config_path.write_text(config_text)
    config = parse_config(config_text, str(config_path))
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-bench-token",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack_url,
            "DATABASE_URL": database_url,
            "VAKT_CONFIG": str(config_path),
            "VAKT_DATA_DIR": str(tmp / "data"),
        },
        env_file=tmp / "no.env",
    )
    clock: Callable[[], datetime] = lambda: NOW  # noqa: E731
    runtime = build_runtime(settings, config, clock=clock)
    prepare_database(runtime)
    return runtime


def run_commands(
    database_url: str, tmp: Path, config_text: str, requests: int, warmup: int
) -> dict[str, Any]:
    from tests.fakeslack import FakeSlack, signed_request, slash_command_body

    results: dict[str, Any] = {}
    with FakeSlack() as fake:
        fake.users[COORDINATOR] = {"locale": "en-US"}
        runtime = bench_runtime(database_url, tmp, config_text, fake.base_url)
        # Bolt runs each listener here after its ack; shut down (waiting) before the database.
        listeners = ThreadPoolExecutor(max_workers=8)
        app = runtime.app(signing_secret=SIGNING_SECRET, listener_executor=listeners)
        web = WebApp(app, runtime.deps)
        server = make_server(
            "127.0.0.1", 0, web, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
        )
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        port = int(server.server_port)
        answered = 0
        try:
            for text in ("unanswered", "unanswered overdue", "status"):
                acks: list[float] = []
                replies: list[float] = []
                statuses: set[int] = set()
                rejected = 0
                first_text = ""
                for n in range(warmup + requests):
                    body = slash_command_body(
                        text,
                        user_id=COORDINATOR,
                        response_url=fake.response_url(f"{text.replace(' ', '-')}-{n}"),
                    )
                    raw, headers = signed_request(body, SIGNING_SECRET)
                    start = time.perf_counter()
                    status, _ = _post(port, "/slack/events", raw, headers)
                    acked = time.perf_counter()
                    answered += 1
                    calls = fake.wait_for("response_url", answered, timeout=60)
                    done = time.perf_counter()
                    reply = calls[answered - 1]
                    statuses.add(status)
                    rejected += int(reply.rejected or reply.status != 200)
                    if not first_text:
                        first_text = str(reply.args.get("text", ""))[:160]
                    if n >= warmup:
                        acks.append(acked - start)
                        replies.append(done - start)
                results[text.replace(" ", "_")] = {
                    "requests": requests,
                    "slowest_ack_at": acks.index(max(acks)) + warmup,
                    "http_statuses": sorted(statuses),
                    "ack": _summary(acks),
                    "response_url": _summary(replies),
                    "replies_rejected_by_slack": rejected,
                    "reply_text": first_text,
                }
            results["slack_errors"] = [c.describe()[:300] for c in fake.errors][:5]
        finally:
            server.shutdown()
            server.server_close()
            listeners.shutdown(wait=True)
            runtime.engine.dispose()
    return results


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.bench.items", description=__doc__)
    parser.add_argument("--items", type=int, default=100_000, help="open items")
    parser.add_argument("--closed", type=int, default=20_000, help="answered items")
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--teams", type=int, default=50)
    parser.add_argument("--database-url", default=None, help="PostgreSQL server (default SQLite)")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per command")
    parser.add_argument("--warmup", type=int, default=2, help="untimed requests per command")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--cold",
        action="store_true",
        help="no sweep before the timed one; leave what it cannot deliver for the commands",
    )
    args = parser.parse_args(argv)
    if args.teams < 1 or args.accounts < args.teams or min(args.items, args.closed) < 0:
        parser.error("need teams >= 1, accounts >= teams, items and closed >= 0")
    if args.requests < 1 or args.warmup < 0:
        parser.error("need requests >= 1 and warmup >= 0")

    config = parse_config(CONFIG, "bench.toml")
    calendar = config.calendar()
    report: dict[str, Any] = {}
    with bench_database(args.database_url) as (url, tmp):
        engine = make_engine(url)
        report["database"] = engine.dialect.name
        report["now"] = NOW.isoformat()
        try:
            start = time.perf_counter()
            migrate(engine)
            migrate_seconds = time.perf_counter() - start
            log(f"migrated {engine.dialect.name} in {migrate_seconds:.2f}s; inserting")
            start = time.perf_counter()
            report["data"] = build(
                engine,
                calendar,
                teams=args.teams,
                accounts=args.accounts,
                items=args.items,
                closed=args.closed,
                seed=args.seed,
            )
            report["migrate_seconds"] = round(migrate_seconds, 3)
            report["build_seconds"] = round(time.perf_counter() - start, 3)
            log(f"built in {report['build_seconds']}s; sweeping")
            report["sweep"] = run_sweep(engine, config, calendar, cold=args.cold)
        finally:
            engine.dispose()
        log("sweep done; timing slash commands over HTTP")
        report["commands"] = run_commands(url, tmp, CONFIG, args.requests, args.warmup)

    sweep_report = report["sweep"]
    report["targets"] = {
        "sweep_under_2s": sweep_report["sweep_seconds"] < 2.0,
        "slack_calls_within_budget": sweep_report["slack_calls"]
        <= 4 * args.teams + sweep_report["recipients"],
        "unanswered_ack_p95_under_300ms": report["commands"]["unanswered"]["ack"]["p95_ms"] < 300,
    }
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
