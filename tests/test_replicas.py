"""Several replicas on one database: each scheduled message exactly once, and faults survived.

Real `vakt sweep --at` processes (what every replica's scheduler runs) share one database and
one fake Slack: started at the same instant they record and send each message once; one killed
with SIGKILL mid-delivery leaves what it did not send to the next sweep (at most one duplicate:
the message in flight); one stopped with SIGTERM finishes the message in flight and leaves the
rest, with no duplicate at all.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.items.service import NewItem, create_item
from bot.kernel.config import OrgConfig, parse_config
from bot.kernel.context import Ctx
from bot.register.sync import apply_config
from bot.store.db import make_engine, migrate
from bot.store.models import Account, Item, Outbox
from bot.sweep import run_jobs
from tests.fakeslack import (
    FakeSlack,
    FakeSocketModeServer,
    event_payload,
    signed_request,
    socket_mode_envelope,
)
from tests.fakeslack.responses import DEFAULT_RESPONDERS
from tests.harness import OSLO, SECRET
from tests.items.test_slack import INTAKE_CONFIG, message_event
from tests.test_serve import free_port
from tests.waiting import PATIENCE

ROOT = Path(__file__).resolve().parents[1]
RECEIVED = datetime(2026, 11, 16, 10, 0, tzinfo=OSLO)  # a Monday, a week before
SWEEP_AT = datetime(2026, 11, 23, 9, 5, tzinfo=OSLO)  # Monday: handovers, then the 09:00 reminders
TOKEN = "xoxb-replica-test"


def replica_config(teams: int) -> str:
    """`teams` teams of three on weekly rotas, each with a manager, a channel and an account."""
    head = """
[organisation]
name = "Replikrud kommune"
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
"""
    parts = [head]
    for n in range(1, teams + 1):
        parts.append(
            f"""
[[team]]
key = "t{n:02}"
name = "Team {n:02}"
channel = "C0TEAM{n:02}"
manager = "U0MGR{n:02}"
members = ["U0A{n:02}", "U0B{n:02}", "U0C{n:02}"]
rotation = "weekly"
start = "2026-11-02"

[[account]]
key = "acc{n:02}"
platform = "facebook"
name = "Konto {n:02}"
url = "https://www.facebook.com/konto{n:02}"
team = "t{n:02}"
"""
        )
    return "".join(parts)


def seed(engine: Engine, config: OrgConfig, items: int) -> None:
    """The teams and accounts of the file, and `items` open items received a week ago, spread
    over the accounts (their cards wait in the outbox too)."""
    migrate(engine)
    calendar = config.calendar()
    with Session(engine, expire_on_commit=False) as session:
        apply_config(session, config, RECEIVED)
        session.commit()
        accounts = session.exec(select(Account).order_by(col(Account.key))).all()
        ctx = Ctx(session, config, calendar, RECEIVED, "test")
        for n in range(items):
            account = accounts[n % len(accounts)]
            create_item(
                ctx,
                NewItem(
                    account=account,
                    source="http",
                    external_id=f"q{n}",
                    received_at=RECEIVED - timedelta(minutes=n % 300),
                    url=f"https://www.facebook.com/q/{n}",
                    text=f"Spørsmål nummer {n}",
                ),
            )
        session.commit()


def expected_keys(engine: Engine, config: OrgConfig, at: datetime) -> set[str]:
    """What a sweep at `at` must send: the jobs' messages (a dry run) and what already waits."""
    dry = run_jobs(engine, config, config.calendar(), at, dry_run=True)
    with Session(engine) as session:
        waiting = set(session.exec(select(Outbox.key).where(col(Outbox.status) == "pending")))
    return {message.key for message in dry.recorded} | waiting


def env_for(db_url: str, fake: FakeSlack, tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": db_url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": fake.base_url,
        "VAKT_CONFIG": str(tmp_path / "vakt.toml"),
        "VAKT_DATA_DIR": str(tmp_path / "data"),
        "VAKT_LOG_LEVEL": "INFO",
    }


def start_sweep(env: dict[str, str], at: datetime, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "sweep", "--at", at.isoformat()],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str], timeout: float = 180) -> tuple[int, str]:
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    return process.returncode, (out or "") + (err or "")


def posted(fake: FakeSlack) -> Counter[tuple[str, str]]:
    """Every message Slack received, as (channel, text), counted: posts, and files shared with
    a comment (the weekly report's chart and CSV)."""
    return Counter(
        (str(call.args["channel"]), str(call.args["text"]))
        for call in fake.calls_to("chat.postMessage")
        if call.ok
    ) + Counter(
        (str(call.args["channel_id"]), str(call.args["initial_comment"]))
        for call in fake.calls_to("files.completeUploadExternal")
        if call.ok
    )


def recorded(rows: list[Outbox]) -> Counter[tuple[str, str]]:
    """The outbox's messages as Slack should have received them: a post to a person names the
    person; files shared with a person go to the direct message Vakt opened."""
    return Counter(
        ((row.slack_channel if row.has_files else None) or row.channel, row.text) for row in rows
    )


def outbox_rows(engine: Engine) -> list[Outbox]:
    with Session(engine) as session:
        return list(session.exec(select(Outbox)))


def slow_posts(fake: FakeSlack, seconds: float) -> None:
    """Slack takes `seconds` over every chat.postMessage (so a process can be caught mid-way)."""
    default = DEFAULT_RESPONDERS["chat.postMessage"]

    def answer(args: dict[str, Any]) -> dict[str, Any]:
        time.sleep(seconds)
        return default(fake.workspace, args)

    fake.set_handler("chat.postMessage", answer)


@pytest.fixture
def site(db_url: str, tmp_path: Path) -> Iterator[tuple[Engine, OrgConfig]]:
    text = replica_config(20)
    (tmp_path / "vakt.toml").write_text(text)
    config = parse_config(text, str(tmp_path / "vakt.toml"))
    engine = make_engine(db_url)
    yield engine, config
    engine.dispose()


def test_three_replicas_send_each_message_exactly_once(
    site: tuple[Engine, OrgConfig], db_url: str, fake: FakeSlack, tmp_path: Path
) -> None:
    engine, config = site
    seed(engine, config, 1000)
    with Session(engine) as session:
        overdue = session.exec(select(Item).where(col(Item.deadline) < SWEEP_AT)).all()
    assert len(overdue) == 1000
    expected = expected_keys(engine, config, SWEEP_AT)
    # 1,000 cards, and for 20 teams: handover notices, the weekly activity message, a digest to
    # whoever is on duty, a summary in the team's channel, escalations.
    assert len(expected) > 1100
    env = env_for(db_url, fake, tmp_path)
    replicas = [start_sweep(env, SWEEP_AT, tmp_path) for _ in range(3)]
    outcomes = [finish(process) for process in replicas]
    for code, output in outcomes:
        assert code == 0, output
        assert "Traceback" not in output, output

    rows = outbox_rows(engine)
    assert {row.key for row in rows} == expected
    assert {row.status for row in rows} == {"sent"}
    got = posted(fake)
    assert got == recorded(rows)
    assert {row.kind for row in rows} >= {
        "item_card",
        "handover",
        "activity",
        "item_digest",
        "item_summary",
        "item_escalation",
    }
    # The work was shared, not done by one while the others waited.
    assert len({row.claimed_by for row in rows}) >= 2
    fake.assert_no_errors()


def test_a_replica_killed_mid_delivery_loses_nothing(
    site: tuple[Engine, OrgConfig], db_url: str, fake: FakeSlack, tmp_path: Path
) -> None:
    engine, config = site
    seed(engine, config, 200)
    expected = expected_keys(engine, config, SWEEP_AT)
    slow_posts(fake, 0.02)
    env = env_for(db_url, fake, tmp_path)
    victim = start_sweep(env, SWEEP_AT, tmp_path)
    fake.wait_for("chat.postMessage", 40)
    victim.send_signal(signal.SIGKILL)
    finish(victim)
    sent_before = len(fake.calls_to("chat.postMessage"))
    assert sent_before < len(expected), "the sweep finished before it could be killed"

    fake.set_handler("chat.postMessage", None)
    # The next sweep, by another replica (a few minutes later: a claim left by a dead sender
    # on SQLite is taken over after five minutes; PostgreSQL's row lock died with it).
    code, output = finish(start_sweep(env, SWEEP_AT + timedelta(minutes=6), tmp_path))
    assert code == 0, output
    rows = outbox_rows(engine)
    assert {row.key for row in rows} == expected
    assert {row.status for row in rows} == {"sent"}
    got = posted(fake)
    want = recorded(rows)
    assert set(got) == set(want)  # nothing lost
    duplicates = sum(got[pair] - want[pair] for pair in want)
    assert duplicates <= 1  # at most the message in flight when it died
    fake.assert_no_errors()


def test_sigterm_finishes_the_message_in_flight_and_leaves_the_rest(
    site: tuple[Engine, OrgConfig], db_url: str, fake: FakeSlack, tmp_path: Path
) -> None:
    engine, config = site
    seed(engine, config, 200)
    expected = expected_keys(engine, config, SWEEP_AT)
    slow_posts(fake, 0.05)
    env = env_for(db_url, fake, tmp_path)
    stopped = start_sweep(env, SWEEP_AT, tmp_path)
    fake.wait_for("chat.postMessage", 20)
    stopped.send_signal(signal.SIGTERM)
    code, output = finish(stopped, timeout=PATIENCE)
    assert code == 0, output
    assert "stopped by SIGTERM" in output
    rows = outbox_rows(engine)
    statuses = Counter(row.status for row in rows)
    assert statuses["sending"] == 0  # the message in flight was recorded as sent
    assert statuses["pending"] > 0  # the rest was left for others
    assert statuses["sent"] == sum(posted(fake).values())

    # Another replica, at the same instant, sends the rest: nothing twice.
    fake.set_handler("chat.postMessage", None)
    code, output = finish(start_sweep(env, SWEEP_AT, tmp_path))
    assert code == 0, output
    rows = outbox_rows(engine)
    assert {row.key for row in rows} == expected
    assert {row.status for row in rows} == {"sent"}
    assert posted(fake) == recorded(rows)
    fake.assert_no_errors()


# ------------------------------------------------------- HTTP and Socket Mode replicas at once


def wait_healthy(url: str, process: subprocess.Popen[str], timeout: float = PATIENCE) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            _, output = finish(process, timeout=5)
            raise AssertionError(f"replica did not start:\n{output}")
        time.sleep(0.2)


def test_http_and_socket_mode_replicas_take_a_redelivered_event_once(
    postgres_url: str, fake: FakeSlack, tmp_path: Path
) -> None:
    """Two `vakt serve` and one `vakt run` start together on an empty database (one migrates,
    the others wait); Slack delivers one message event to all three (its retries): one item,
    one card."""
    (tmp_path / "vakt.toml").write_text(INTAKE_CONFIG)
    server = FakeSocketModeServer().start()
    fake.socket_mode = server
    base = env_for(postgres_url, fake, tmp_path) | {
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_APP_TOKEN": "xapp-1-replica",
        "WEB_CONCURRENCY": "1",
    }
    ports = [free_port(), free_port()]
    commands = [["serve"], ["serve"], ["run"]]
    envs = [base | {"PORT": str(ports[0])}, base | {"PORT": str(ports[1])}, base]
    replicas = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", *command],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for command, env in zip(commands, envs, strict=True)
    ]
    outputs: list[str] = []
    try:
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for url, process in zip(urls, replicas, strict=False):
            wait_healthy(url, process)
        server.wait_connected(1)

        ts = f"{time.time() - 60:.6f}"
        payload = event_payload(message_event("Når stenger svømmehallen?", ts), event_id="EvR1")
        body = json.dumps(payload)

        def over_http(url: str, retry: int) -> int:
            _, headers = signed_request(body, SECRET)
            if retry:
                headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "timeout"}
            request = urllib.request.Request(
                f"{url}/slack/events", data=body.encode(), headers=headers, method="POST"
            )
            with urllib.request.urlopen(request, timeout=PATIENCE) as response:
                return int(response.status)

        envelope = socket_mode_envelope(
            payload, "events_api", retry_attempt=2, retry_reason="timeout"
        )
        with ThreadPoolExecutor(3) as pool:
            answers = [pool.submit(over_http, urls[0], 0), pool.submit(over_http, urls[1], 1)]
            pool.submit(server.send_envelope, envelope)
            assert [answer.result() for answer in answers] == [200, 200]
        server.wait_ack(envelope["envelope_id"])

        engine = make_engine(postgres_url)
        try:
            deadline = time.monotonic() + PATIENCE
            while True:
                with Session(engine) as session:
                    items = session.exec(select(Item)).all()
                cards = [
                    call
                    for call in fake.calls_to("chat.postMessage")
                    if call.args.get("thread_ts") == ts
                ]
                if (items and cards) or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            # A second item or card, if any, would show by now. (This only looks for what should
            # not happen: a slow machine can make it miss a duplicate, never fail a good run.)
            time.sleep(1.0)
            with Session(engine) as session:
                items = session.exec(select(Item)).all()
        finally:
            engine.dispose()
        assert len(items) == 1
        cards = [c for c in fake.calls_to("chat.postMessage") if c.args.get("thread_ts") == ts]
        assert len(cards) == 1
    finally:
        for process in replicas:
            process.send_signal(signal.SIGTERM)
        for process in replicas:
            code, output = finish(process, timeout=40)
            outputs.append(output)
            assert code == 0, output
        server.stop()
    for output in outputs:
        assert "Traceback" not in output, output
    fake.assert_no_errors()
