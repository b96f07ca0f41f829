"""The database goes away under load, or is locked: requests fail cleanly, nothing is half
written, nothing acked is lost, and Vakt carries on when the database is back.

PostgreSQL is reached through a TCP proxy (`tests/faults.py`) that can cut every connection
and refuse new ones, as a restart does, without touching the server other tests use.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, func, select

from bot.kernel.i18n import t
from bot.store.models import Item, Outbox
from tests.fakeslack import FakeSlack, event_body, slash_command_body
from tests.faults import TcpProxy
from tests.harness import INTAKE_TOKEN, OSLO, Vakt
from tests.items.test_slack import INTAKE_CONFIG, message_event
from tests.waiting import PATIENCE, wait_until

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=OSLO)
AUTH = {"Authorization": f"Bearer {INTAKE_TOKEN}", "Content-Type": "application/json"}
DOWN = t("en", "error.database_unavailable")


@pytest.fixture
def proxied(
    clean_postgres_url: str, fake: FakeSlack, tmp_path: Path
) -> Iterator[tuple[Vakt, TcpProxy]]:
    url = make_url(clean_postgres_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    via = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    vakt = Vakt(fake, via, tmp_path, NOW, config_text=INTAKE_CONFIG)
    yield vakt, proxy
    proxy.restore()
    vakt.close()
    proxy.close()


def question(n: int) -> bytes:
    received = (NOW - timedelta(minutes=5)).isoformat()
    return json.dumps(
        {
            "account": "fb-main",
            "external_id": f"q{n}",
            "url": f"https://www.facebook.com/testrud/posts/{n}",
            "received_at": received,
            "text": f"Spørsmål {n}",
        }
    ).encode()


def counts(vakt: Vakt) -> tuple[int, int]:
    """(items, item cards in the outbox)."""
    with Session(vakt.runtime.engine) as session:
        items = session.exec(select(func.count()).select_from(Item)).one()
        cards = session.exec(
            select(func.count()).select_from(Outbox).where(col(Outbox.kind) == "item_card")
        ).one()
    return int(items), int(cards)


def replies_by_id(fake: FakeSlack) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for call in fake.calls_to("response_url"):
        found.setdefault(call.path.rsplit("/", 1)[-1], []).append(Vakt.reply_text(call.args))
    return found


def test_postgres_restart_under_load(proxied: tuple[Vakt, TcpProxy], fake: FakeSlack) -> None:
    vakt, proxy = proxied
    commands: list[tuple[str, int]] = []  # (response id, HTTP status)
    intakes: list[tuple[int, int]] = []  # (question number, HTTP status)
    stop = threading.Event()
    seen = threading.Condition()

    def load() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            rid = f"load{n}"
            body = slash_command_body("who", user_id="U0ANNA", response_url=fake.response_url(rid))
            status = vakt.signed_post(body).status
            answered = vakt.post("/intake", question(n), AUTH).status
            with seen:
                commands.append((rid, status))
                intakes.append((n, answered))
                seen.notify_all()
            stop.wait(0.02)  # a steady load, not a busy loop

    def wait_for_intake(status: int, after: int = 0) -> None:
        """Wait until the load got `status` from the intake for a question after `after`."""
        with seen:
            assert seen.wait_for(
                lambda: any(n > after and s == status for n, s in intakes), timeout=PATIENCE
            ), f"no intake answered {status} after question {after}: {intakes}"

    worker = threading.Thread(target=load)
    worker.start()
    try:
        wait_for_intake(201)  # the load is under way
        proxy.cut()  # PostgreSQL "restarts": every connection dies, new ones are refused
        # The question under way may have been stored before the cut: wait for the next one's.
        wait_for_intake(503, after=len(intakes) + 1)
        wait_until(
            lambda: any(DOWN in text for texts in replies_by_id(fake).values() for text in texts),
            what="for a command told that the database is away",
        )
        # An event Slack delivers meanwhile is refused (503), so Slack sends it again later.
        event = event_body(
            message_event("Er bassenget åpent?", f"{NOW.timestamp():.6f}"), event_id="EvDown"
        )
        assert vakt.signed_post(event).status == 503
        proxy.restore()
        # The next question (and the command before it) started after the restore.
        wait_for_intake(201, after=len(intakes) + 1)
    finally:
        stop.set()
        worker.join(timeout=PATIENCE)
    vakt.idle()

    # Slack's requests were acked (200) throughout; the intake said 201 or 503, never 500.
    assert {status for _, status in commands} == {200}
    statuses = [status for _, status in intakes]
    assert set(statuses) == {201, 503}, statuses
    # Every command got exactly one answer: the duty, or "cannot reach its database".
    replies = replies_by_id(fake)
    answers = [replies.get(rid, []) for rid, _ in commands]
    assert all(len(answer) == 1 for answer in answers), answers
    texts = [answer[0] for answer in answers]
    assert any(DOWN in text for text in texts)
    assert all(DOWN in text or "On duty: <@U0ANNA>" in text for text in texts)
    assert "On duty: <@U0ANNA>" in texts[-1]  # and it works again

    # Nothing half-written: each item has its card; every 201 was stored.
    items, cards = counts(vakt)
    assert items == cards
    with Session(vakt.runtime.engine) as session:
        stored = set(session.exec(select(Item.external_id)))
    assert {f"q{n}" for n, status in intakes if status == 201} <= stored

    # Slack's retry of the refused event is taken now: one item for it.
    retry = event_body(
        message_event("Er bassenget åpent?", f"{NOW.timestamp():.6f}"), event_id="EvDown"
    )
    assert vakt.signed_post(retry).status == 200
    vakt.idle()
    wait_until(lambda: counts(vakt)[0] == items + 1, what="for the retried event's item")
    fake.assert_no_errors()


def test_connections_killed_by_the_server_are_replaced(
    clean_postgres_url: str, fake: FakeSlack, tmp_path: Path
) -> None:
    """What a real restart leaves behind: every pooled connection dead on the server's side.
    Pre-ping notices and reconnects; the user sees nothing."""
    vakt = Vakt(fake, clean_postgres_url, tmp_path, NOW, config_text=INTAKE_CONFIG)
    try:
        assert "On duty: <@U0ANNA>" in vakt.command("who")
        name = make_url(clean_postgres_url).database
        admin = sa.create_engine(
            make_url(clean_postgres_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            killed = conn.execute(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            ).scalar_one()
        admin.dispose()
        assert killed >= 1
        assert "On duty: <@U0ANNA>" in vakt.command("who")
        assert vakt.post("/intake", question(1), AUTH).status == 201
    finally:
        vakt.close()
    fake.assert_no_errors()


def hold_sqlite_lock(path: str, held: threading.Event, release: threading.Event) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    held.set()
    release.wait(PATIENCE)
    conn.execute("ROLLBACK")
    conn.close()


def test_a_locked_sqlite_database_is_waited_for(
    sqlite_url: str, fake: FakeSlack, tmp_path: Path
) -> None:
    """Another writer holds SQLite's lock: commands, the intake and the sweep wait for it
    (busy timeout) and then succeed, instead of failing with "database is locked"."""
    vakt = Vakt(fake, sqlite_url, tmp_path, NOW, config_text=INTAKE_CONFIG)
    path = sqlite_url.split("///", 1)[1]
    try:
        results: dict[str, Any] = {}
        held, release = threading.Event(), threading.Event()
        locker = threading.Thread(target=hold_sqlite_lock, args=(path, held, release))
        locker.start()
        assert held.wait(PATIENCE)
        calls = {
            "command": lambda: vakt.command("who"),
            "intake": lambda: vakt.post("/intake", question(1), AUTH).status,
            "sweep": lambda: vakt.runtime.sweep(NOW + timedelta(days=1, hours=-1)),
        }
        done: dict[str, float] = {}

        def run(name: str) -> None:
            results[name] = calls[name]()
            done[name] = time.monotonic()

        writers = [threading.Thread(target=run, args=(name,)) for name in calls]
        for writer in writers:
            writer.start()
        # Nothing can finish while the lock is held (a moment to show that they wait).
        time.sleep(0.5)
        assert done == {}, done
        released = time.monotonic()
        release.set()
        locker.join()
        for writer in writers:
            writer.join(PATIENCE)
        assert set(done) == set(calls)
        assert all(at >= released for at in done.values())  # they waited for the other writer
        assert "On duty: <@U0ANNA>" in results["command"]
        assert results["intake"] == 201
        assert results["sweep"].failed_jobs == []
        assert counts(vakt) == (1, 1)
    finally:
        vakt.close()
    fake.assert_no_errors()


def test_a_full_sqlite_database_tells_the_user_so(
    fake: FakeSlack, sqlite_url: str, tmp_path: Path
) -> None:
    """SQLite at its size limit (max_page_count, refused exactly as on a full disk): a command
    that writes is answered "storage is full" in the user's language, not "cannot reach"."""
    vakt = Vakt(fake, sqlite_url, tmp_path, NOW, config_text=INTAKE_CONFIG)
    try:
        engine = vakt.runtime.engine
        with engine.connect() as conn:
            pages = int(conn.exec_driver_sql("PRAGMA page_count").scalar_one())

        @sa.event.listens_for(engine, "connect")
        def _no_room(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

        engine.dispose()  # every connection from here on has no room to grow
        day = datetime(2027, 1, 4)
        for n in range(200):  # until the pages it had free are used up too
            on = (day + timedelta(days=n)).date().isoformat()
            reply = vakt.command(f"away {on} {on} vacation")
            if not reply.startswith(":palm_tree: Saved"):
                break
        assert t("en", "error.storage_full") in reply and DOWN not in reply, reply
        assert "On duty" in vakt.command("who")  # reading still works
    finally:
        vakt.close()
