"""Operations over real HTTP: /healthz, /readyz, /metrics, the intake while PostgreSQL is away
(its connections cut by a TCP proxy), and JSON logs from real `vakt` processes."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from wsgiref.simple_server import make_server

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url

from bot.logs import JsonFormatter, gunicorn_logconfig
from bot.runtime import build_runtime
from bot.settings import SettingsError, load_settings
from bot.store.db import MIGRATIONS, head_revision, make_engine, migrate
from bot.web.app import WebApp
from tests.conftest import PG_URL
from tests.fakeslack import FakeSlack
from tests.faults import TcpProxy
from tests.harness import (
    CONFIG,
    INTAKE_TOKEN,
    OSLO,
    SECRET,
    Clock,
    HttpReply,
    Vakt,
    _QuietHandler,
    _ThreadingWSGIServer,
)
from tests.waiting import PATIENCE

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=OSLO)  # Monday, the office open
AUTH = {"Authorization": f"Bearer {INTAKE_TOKEN}", "Content-Type": "application/json"}
METRICS_TOKEN = "metrics-token-0123456789"

TEAMS = (
    CONFIG
    + """
[[team]]
key = "kultur"
name = "Kultur"
channel = "C0TEAM2"
manager = "U0BOSS2"
members = ["U0DAG", "U0EVA"]
rotation = "weekly"
start = "2026-11-02"

[[team]]
key = "idle"
name = "Stille"
channel = "C0TEAM3"
manager = "U0BOSS3"
members = ["U0FRID"]
rotation = "weekly"
start = "2026-11-02"

[[account]]
key = "ig-kultur"
platform = "instagram"
name = "Testrud kultur"
url = "https://www.instagram.com/testrudkultur"
team = "kultur"
"""
)


def question(external_id: str, received: datetime, account: str = "fb-main") -> dict[str, Any]:
    return {
        "account": account,
        "external_id": external_id,
        "url": f"https://www.facebook.com/testrud/posts/{external_id}",
        "received_at": received.isoformat(),
    }


def intake(vakt: Vakt, data: dict[str, Any], path: str = "/intake") -> HttpReply:
    return vakt.post(path, json.dumps(data).encode(), AUTH)


def get(url: str, headers: dict[str, str] | None = None) -> HttpReply:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=PATIENCE) as response:
            return HttpReply(response.status, response.read(), dict(response.headers))
    except urllib.error.HTTPError as error:
        return HttpReply(error.code, error.read(), dict(error.headers))


def metrics(reply: HttpReply) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a /metrics answer, by name and labels."""
    assert reply.status == 200, reply.body
    assert reply.headers["Content-Type"].startswith("text/plain"), reply.headers
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(reply.body.decode())
        for sample in family.samples
    }


def through(proxy: TcpProxy, url: str) -> str:
    """The database URL, by way of the proxy."""
    return make_url(url).set(port=proxy.port).render_as_string(hide_password=False)


def count(url: str, sql: str, **params: Any) -> int:
    """One number, straight from the database (never through the proxy)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(sql), params).scalar_one())
    finally:
        engine.dispose()


@contextmanager
def serving(web: WebApp) -> Iterator[str]:
    """A WebApp on a loopback port (for apps the harness does not build)."""
    server = make_server(
        "127.0.0.1", 0, web, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    server = make_url(PG_URL)
    with TcpProxy(server.host or "127.0.0.1", server.port or 5432) as proxy:
        yield proxy


@pytest.fixture
def cut_vakt(
    fake: FakeSlack, clean_postgres_url: str, proxy: TcpProxy, tmp_path: Path
) -> Iterator[Vakt]:
    """The app on PostgreSQL by way of a proxy the test can cut."""
    harness = Vakt(fake, through(proxy, clean_postgres_url), tmp_path, NOW)
    yield harness
    proxy.restore()
    harness.close()
    fake.assert_no_errors()


# ---------------------------------------------------------------- /healthz and /readyz


def test_health_and_readiness_on_a_healthy_database(vakt: Vakt) -> None:
    assert vakt.get("/healthz").json() == {"ok": True}
    ready = vakt.get("/readyz")
    assert ready.status == 200
    assert ready.json() == {"ok": True, "database": "ok", "migration": head_revision()}
    assert vakt.post("/readyz", b"", {}).status == 405


def test_while_postgres_is_cut_away(
    cut_vakt: Vakt, proxy: TcpProxy, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    vakt = cut_vakt
    assert intake(vakt, question("before", NOW - timedelta(minutes=5))).status == 201
    assert vakt.get("/readyz").status == 200

    proxy.cut()
    # Alive: an orchestrator must not restart a process whose database is away.
    assert vakt.get("/healthz").status == 200
    ready = vakt.get("/readyz")
    assert (ready.status, ready.json()) == (503, {"ok": False, "database": "down"})
    scraped = metrics(vakt.get("/metrics"))
    assert scraped == {("vakt_up", ()): 0.0}
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        refused = intake(vakt, question("during", NOW - timedelta(minutes=4)))
    assert refused.status == 503, refused.body
    assert refused.json()["error"] == "unavailable" and refused.json()["ok"] is False
    assert refused.headers["Retry-After"] == "30"
    # One line, no traceback; the driver names host and port, never a secret.
    (record,) = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert record.name == "bot.web.app" and record.exc_info is None
    assert all(r.exc_info is None for r in caplog.records)
    assert "database is unavailable" in record.getMessage()
    assert INTAKE_TOKEN not in caplog.text
    closed = {"account": "fb-main", "external_id": "before", "answered_at": NOW.isoformat()}
    assert intake(vakt, closed, "/intake/answered").status == 503

    proxy.restore()
    # The pool's connections died with the cut: pre-ping replaces them on the next request.
    again = intake(vakt, question("during", NOW - timedelta(minutes=4)))
    assert again.status == 201 and again.json()["created"] is True, again.body
    assert vakt.get("/readyz").status == 200
    assert metrics(vakt.get("/metrics"))[("vakt_up", ())] == 1.0
    vakt.wait_sent("C0TEAM1", 2)


def test_a_cut_in_mid_transaction_leaves_nothing_half_written(
    cut_vakt: Vakt, proxy: TcpProxy, clean_postgres_url: str
) -> None:
    vakt = cut_vakt
    assert intake(vakt, question("first", NOW - timedelta(minutes=5))).status == 201
    used = count(clean_postgres_url, "SELECT last_value FROM item_id_seq")

    # The item's INSERT reaches the server; the connection dies as its card is queued.
    proxy.cut_on(b"INSERT INTO outbox")
    refused = intake(vakt, question("second", NOW - timedelta(minutes=4)))
    assert refused.status == 503, refused.body
    assert proxy.cuts == 1  # the cut did happen inside the transaction
    assert count(clean_postgres_url, "SELECT last_value FROM item_id_seq") == used + 1
    assert count(clean_postgres_url, "SELECT count(*) FROM item WHERE external_id = 'second'") == 0
    # Every stored item has its card queued: nothing half-written.
    assert count(clean_postgres_url, "SELECT count(*) FROM item") == 1
    assert count(clean_postgres_url, "SELECT count(*) FROM outbox WHERE kind = 'item_card'") == 1

    proxy.restore()
    again = intake(vakt, question("second", NOW - timedelta(minutes=4)))
    assert again.status == 201 and again.json()["created"] is True, again.body
    assert count(clean_postgres_url, "SELECT count(*) FROM item") == 2
    assert count(clean_postgres_url, "SELECT count(*) FROM outbox WHERE kind = 'item_card'") == 2
    vakt.wait_sent("C0TEAM1", 2)


def test_readiness_answers_when_the_database_host_stops_answering(
    cut_vakt: Vakt, proxy: TcpProxy
) -> None:
    # A host that drops packets: without a connect timeout libpq waits for TCP's (minutes).
    proxy.stall()
    ready = get(cut_vakt.url + "/readyz")  # gives up after 10 s
    assert (ready.status, ready.json()) == (503, {"ok": False, "database": "down"})
    assert metrics(get(cut_vakt.url + "/metrics")) == {("vakt_up", ()): 0.0}
    assert get(cut_vakt.url + "/healthz").status == 200


def test_probes_do_not_wait_for_a_sqlite_writer(
    fake: FakeSlack, sqlite_url: str, tmp_path: Path
) -> None:
    # The app's own SQLite transactions start with BEGIN IMMEDIATE and queue for the write
    # lock (30 s busy timeout); the probes and the metrics only read, beside any writer.
    vakt = Vakt(fake, sqlite_url, tmp_path, NOW)
    try:
        with vakt.runtime.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE team SET name = name")  # holds the write lock
            assert vakt.get("/readyz").status == 200  # the client gives up after 10 s
            assert metrics(vakt.get("/metrics"))[("vakt_items_open", (("team", "komm"),))] == 0
    finally:
        vakt.close()


def _alembic(engine: sa.engine.Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def test_readiness_while_migrations_are_behind_or_ahead(
    fake: FakeSlack, any_db_url: str, tmp_path: Path
) -> None:
    engine = make_engine(any_db_url)
    command.upgrade(_alembic(engine), "0003")
    (tmp_path / "vakt.toml").write_text(CONFIG)
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_API_URL": fake.base_url,
            "DATABASE_URL": any_db_url,
            "VAKT_CONFIG": str(tmp_path / "vakt.toml"),
        },
        env_file=tmp_path / "no.env",
    )
    runtime = build_runtime(settings, engine=engine, clock=Clock(NOW))
    web = WebApp(runtime.app(signing_secret=SECRET), runtime.deps)
    try:
        with serving(web) as url:
            assert get(url + "/healthz").status == 200
            behind = get(url + "/readyz")
            assert behind.status == 503
            assert behind.json() == {
                "ok": False,
                "database": "ok",
                "migration": "behind",
                "current": "0003",
                "head": head_revision(),
            }
            migrate(engine)
            assert get(url + "/readyz").status == 200
            # A newer Vakt migrated past what this one knows (a rolling deploy).
            with engine.begin() as conn:
                conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
            ahead = get(url + "/readyz")
            assert ahead.status == 503 and ahead.json()["migration"] == "ahead", ahead.body
    finally:
        engine.dispose()


# ---------------------------------------------------------------- /metrics


@pytest.fixture
def teams_vakt(fake: FakeSlack, db_url: str, tmp_path: Path) -> Iterator[Vakt]:
    harness = Vakt(fake, db_url, tmp_path, NOW, config_text=TEAMS)
    yield harness
    harness.close()
    fake.assert_no_errors()


def test_metrics_report_what_the_database_holds(
    teams_vakt: Vakt, fake: FakeSlack, db_url: str
) -> None:
    vakt = teams_vakt
    old = datetime(2026, 11, 18, 9, 0, tzinfo=OSLO)  # last Wednesday: long overdue
    deadlines: dict[str, datetime] = {}

    def take(external_id: str, received: datetime, account: str = "fb-main") -> None:
        reply = intake(vakt, question(external_id, received, account))
        assert reply.status == 201, reply.body
        deadlines[external_id] = datetime.fromisoformat(reply.json()["deadline"])

    take("k1", old)
    take("k2", old + timedelta(hours=1))
    take("k3", NOW - timedelta(minutes=30))  # due tomorrow
    take("k4", NOW - timedelta(minutes=20))  # answered below: no longer open
    vakt.wait_sent("C0TEAM1", 4)
    fake.fail_next("chat.postMessage", error="channel_not_found")  # for good
    take("c1", old, "ig-kultur")
    fake.fail_next("chat.postMessage", error="internal_error")  # retried later
    take("c2", NOW - timedelta(minutes=10), "ig-kultur")
    answered = {"account": "fb-main", "external_id": "k4", "answered_at": NOW.isoformat()}
    assert intake(vakt, answered, "/intake/answered").status == 200
    assert deadlines["k1"] < NOW and deadlines["k2"] < NOW and deadlines["c1"] < NOW
    assert deadlines["k3"] > NOW and deadlines["c2"] > NOW

    # Ten minutes on, the retry is due (its backoff was shorter) and has not been sent yet.
    engine = make_engine(db_url)
    with engine.connect() as conn:
        retry_at = conn.execute(
            sa.text("SELECT next_attempt_at FROM outbox WHERE status = 'pending'")
        ).scalar_one()
    engine.dispose()
    retry_at = retry_at if isinstance(retry_at, datetime) else datetime.fromisoformat(retry_at)
    retry_at = retry_at.replace(tzinfo=UTC) if retry_at.tzinfo is None else retry_at
    vakt.clock.now = NOW + timedelta(minutes=10)
    assert retry_at <= vakt.clock.now

    scraped = metrics(vakt.get("/metrics"))
    card = (("kind", "item_card"),)

    def team(key: str) -> tuple[tuple[str, str], ...]:
        return (("team", key),)

    assert scraped[("vakt_up", ())] == 1.0
    assert scraped[("vakt_items_open", team("komm"))] == 3
    assert scraped[("vakt_items_overdue", team("komm"))] == 2
    assert scraped[("vakt_items_open", team("kultur"))] == 2
    assert scraped[("vakt_items_overdue", team("kultur"))] == 1
    # A team with nothing open reports 0 rather than nothing (alerts see the difference).
    assert scraped[("vakt_items_open", team("idle"))] == 0
    assert scraped[("vakt_items_overdue", team("idle"))] == 0
    assert scraped[("vakt_messages_sent_total", card)] == 4
    assert scraped[("vakt_messages_failed_total", card)] == 1
    assert scraped[("vakt_outbox_messages", (*card, ("status", "sent")))] == 4
    assert scraped[("vakt_outbox_messages", (*card, ("status", "failed")))] == 1
    assert scraped[("vakt_outbox_messages", (*card, ("status", "pending")))] == 1
    assert scraped[("vakt_outbox_depth", ())] == 1
    waited = (vakt.clock.now - retry_at).total_seconds()
    assert scraped[("vakt_outbox_oldest_due_seconds", ())] == pytest.approx(waited)

    # The same figures, counted directly.
    assert count(db_url, "SELECT count(*) FROM item WHERE status = 'open'") == 5
    assert count(db_url, "SELECT count(*) FROM outbox WHERE status = 'sent'") == 4

    # Past k3's deadline it is overdue too: the runtime's clock decides, not the wall's.
    vakt.clock.now = deadlines["k3"] + timedelta(minutes=1)
    later = metrics(vakt.get("/metrics"))
    assert later[("vakt_items_overdue", team("komm"))] == 3
    assert later[("vakt_items_open", team("komm"))] == 3


def test_metrics_token(vakt: Vakt) -> None:
    web = WebApp(vakt.app, vakt.runtime.deps, metrics_token=METRICS_TOKEN)
    with serving(web) as url:
        refused = get(url + "/metrics")
        assert refused.status == 401
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
        assert get(url + "/metrics", {"Authorization": "Bearer wrong-token"}).status == 401
        assert get(url + "/metrics", {"Authorization": METRICS_TOKEN}).status == 401
        allowed = get(url + "/metrics", {"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert metrics(allowed)[("vakt_up", ())] == 1.0
        # The probes stay open: orchestrators call them without credentials.
        assert get(url + "/readyz").status == 200
    assert "metrics=token" in repr(web) and METRICS_TOKEN not in repr(web)


def test_settings_refuse_a_bad_log_format_and_a_weak_metrics_token(tmp_path: Path) -> None:
    def load(**values: str) -> Any:
        return load_settings(values, env_file=tmp_path / "no.env")

    assert load().log_format == "text" and load().metrics_token is None
    assert load(VAKT_LOG_FORMAT="JSON").log_format == "json"
    with pytest.raises(SettingsError, match=r"VAKT_LOG_FORMAT='xml' is not one of: text, json"):
        load(VAKT_LOG_FORMAT="xml")
    with pytest.raises(SettingsError, match="VAKT_METRICS_TOKEN is too short"):
        load(VAKT_METRICS_TOKEN="short")
    settings = load(VAKT_METRICS_TOKEN=METRICS_TOKEN)
    assert settings.metrics_token == METRICS_TOKEN and METRICS_TOKEN not in repr(settings)


def test_settings_take_the_http_deadlines_in_seconds(tmp_path: Path) -> None:
    def load(**values: str) -> Any:
        return load_settings(values, env_file=tmp_path / "no.env")

    assert (load().http_header_timeout, load().http_body_timeout) == (10.0, 20.0)
    given = load(VAKT_HTTP_HEADER_TIMEOUT="5", VAKT_HTTP_BODY_TIMEOUT=" 2.5 ")
    assert (given.http_header_timeout, given.http_body_timeout) == (5.0, 2.5)
    for bad in ("soon", "0", "-3", "601", "nan"):
        with pytest.raises(SettingsError, match=r"VAKT_HTTP_HEADER_TIMEOUT=.* is not a number"):
            load(VAKT_HTTP_HEADER_TIMEOUT=bad)


# ---------------------------------------------------------------- JSON logs


def vakt_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every line as a JSON object with Vakt's fields (fails on any other line)."""
    lines = []
    for line in text.splitlines():
        entry = json.loads(line)
        assert isinstance(entry, dict), line
        assert {"time", "level", "logger", "message"} <= entry.keys(), line
        stamp = datetime.fromisoformat(entry["time"])
        assert stamp.utcoffset() == timedelta(0), line
        lines.append(entry)
    return lines


def test_cli_logs_json_lines(tmp_path: Path) -> None:
    (tmp_path / "vakt.toml").write_text(CONFIG)
    env = {
        "VAKT_CONFIG": str(tmp_path / "vakt.toml"),
        "VAKT_DATA_DIR": str(tmp_path / "data"),
        "VAKT_LOG_FORMAT": "json",
    }
    # A user's terminal gets the one line that says what happened; Alembic's steps only at DEBUG.
    quiet = vakt_cli("migrate", env={**env, "VAKT_DATA_DIR": str(tmp_path / "quiet")}, cwd=tmp_path)
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
    assert "migrated from empty to" in quiet.stdout
    migrated = vakt_cli("migrate", env={**env, "VAKT_LOG_LEVEL": "debug"}, cwd=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    lines = json_lines(migrated.stderr)
    upgrades = [e for e in lines if e["message"].startswith("Running upgrade")]
    assert upgrades and all(e["level"] == "INFO" for e in upgrades), lines
    assert {e["logger"] for e in upgrades} == {"alembic.runtime.migration"}

    # Vakt's own lines too: each change the file made, at DEBUG.
    applied = [e for e in lines if e["logger"] == "bot.runtime"]
    assert [e["message"] for e in applied] == [
        "configuration: team komm created",
        "configuration: account fb-main created",
    ], lines
    swept = vakt_cli("sweep", "--dry-run", "--at", "2026-11-23T09:05", env=env, cwd=tmp_path)
    assert swept.returncode == 0 and swept.stderr == "", swept.stderr

    # The default stays today's text.
    text = vakt_cli(
        "migrate",
        env={**env, "VAKT_LOG_FORMAT": "", "VAKT_DATA_DIR": "t", "VAKT_LOG_LEVEL": "debug"},
        cwd=tmp_path,
    )
    assert (
        text.returncode == 0 and " INFO alembic.runtime.migration: Running upgrade" in text.stderr
    )

    bad = vakt_cli("migrate", env={**env, "VAKT_LOG_FORMAT": "xml"}, cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr.strip() == "vakt: VAKT_LOG_FORMAT='xml' is not one of: text, json"


def test_json_lines_carry_the_exception_and_extra_fields() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("vakt.test_ops")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise ValueError("ikke et tall: «fem»")
        except ValueError:
            logger.exception("sending %s failed", "card:7", extra={"item_id": 7})
        logger.warning("plain")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    failed, plain = json_lines(stream.getvalue())
    assert failed["level"] == "ERROR" and failed["logger"] == "vakt.test_ops"
    assert failed["message"] == "sending card:7 failed" and failed["item_id"] == 7
    assert failed["exception"].startswith("Traceback") and "«fem»" in failed["exception"]
    assert next(iter(failed)) == "time"
    assert "exception" not in plain and plain["message"] == "plain"


CRASHES = """
import threading, warnings
from bot.logs import setup_logging
setup_logging("INFO", "json")
warnings.warn("an old API")
thread = threading.Thread(target=lambda: 1 / 0, name="sweeper")
thread.start()
thread.join()
raise RuntimeError("the end")
"""


def test_warnings_and_uncaught_exceptions_are_json_lines_too(tmp_path: Path) -> None:
    crashed = subprocess.run(
        [sys.executable, "-c", CRASHES],
        cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert crashed.returncode == 1
    warned, thread, uncaught = json_lines(crashed.stderr)
    assert warned["logger"] == "py.warnings" and "an old API" in warned["message"]
    assert thread["message"] == "uncaught exception in thread sweeper"
    assert "ZeroDivisionError" in thread["exception"]
    assert uncaught["level"] == "CRITICAL" and "RuntimeError: the end" in uncaught["exception"]


def test_gunicorn_logconfig_is_only_for_json() -> None:
    assert gunicorn_logconfig("INFO", "text") == {}
    config = gunicorn_logconfig("DEBUG", "json")
    assert config["root"]["level"] == "DEBUG"
    assert config["formatters"]["json"]["()"] == "bot.logs.JsonFormatter"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_logs_json_lines_and_answers_probes(tmp_path: Path) -> None:
    (tmp_path / "vakt.toml").write_text(CONFIG)
    port = free_port()
    out, err = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with FakeSlack() as fake, out.open("wb") as stdout, err.open("wb") as stderr:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(ROOT),
            "SLACK_BOT_TOKEN": "xoxb-serve-test",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.base_url,
            "VAKT_CONFIG": str(tmp_path / "vakt.toml"),
            "VAKT_DATA_DIR": str(tmp_path / "data"),
            "PORT": str(port),
            "VAKT_INTAKE_TOKEN": INTAKE_TOKEN,
            "VAKT_LOG_FORMAT": "json",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"],
            cwd=tmp_path,
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                        break
                except OSError:
                    assert process.poll() is None, err.read_text()
                    assert time.monotonic() < deadline, err.read_text()
                    time.sleep(0.2)
            assert get(url + "/readyz").json()["ok"] is True
            assert metrics(get(url + "/metrics"))[("vakt_up", ())] == 1.0
            body = json.dumps(question("serve-1", datetime.now(UTC) - timedelta(minutes=1)))
            request = urllib.request.Request(
                url + "/intake", data=body.encode(), headers=AUTH, method="POST"
            )
            with urllib.request.urlopen(request, timeout=PATIENCE) as response:
                assert response.status == 201
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=PATIENCE)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    errors, access = json_lines(err.read_text()), json_lines(out.read_text())
    assert any(e["logger"] == "gunicorn.error" and "Booting worker" in e["message"] for e in errors)
    assert any(e["logger"] == "bot.web.app" and "HTTP intake: item" in e["message"] for e in errors)
    (taken,) = [e for e in access if e.get("path") == "/intake"]
    assert taken["logger"] == "gunicorn.access" and taken["status"] == 201
    assert taken["method"] == "POST" and taken["duration_ms"] >= 0
    everything = err.read_text() + out.read_text()
    assert INTAKE_TOKEN not in everything and "xoxb-serve-test" not in everything
    assert SECRET not in everything


def test_the_access_log_never_holds_a_calendar_token() -> None:
    """gunicorn's access log (text and JSON) shows a feed's path with its token cut out."""
    from types import SimpleNamespace

    from gunicorn.config import Config as GunicornConfig

    from bot.logs import RedactingLogger

    token = "Zk3v9QpL0aXbY7cD2eF4gH6iJ8kLmN1o"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/calendar/{token}/komm.ics",
        "PATH_INFO": f"/calendar/{token}/komm.ics",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_X_SLACK_SIGNATURE": "v0=secret-signature",
    }
    request = SimpleNamespace(
        headers=[("X-Slack-Signature", "v0=secret-signature")], method="GET", uri=environ["RAW_URI"]
    )
    response = SimpleNamespace(
        status="200 OK",
        status_code=200,
        response_length=10,
        sent=10,
        headers=[("Location", f"https://vakt.test/calendar/{token}/komm.ics")],
    )
    atoms = RedactingLogger(GunicornConfig()).atoms(
        response, request, environ, timedelta(milliseconds=5)
    )
    assert token not in json.dumps(atoms, default=str)
    assert atoms["r"] == "GET /calendar/[redacted] HTTP/1.1"
    assert (atoms["s"], atoms["b"], atoms["L"], atoms["D"]) == ("200", "10", "0.005000", 5000)
    assert not [k for k in atoms if k.endswith(("}i", "}e"))]  # no header, no environ entry
    assert "secret-signature" not in json.dumps(atoms, default=str)
