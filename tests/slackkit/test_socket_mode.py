"""Socket Mode: the same app over a loopback WebSocket that speaks Slack's protocol."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.slackkit.socket_mode import SocketModeRunner
from tests.fakeslack import (
    FakeSlack,
    FakeSocketModeServer,
    close_socket_mode_client,
    slash_command_payload,
    socket_mode_envelope,
)
from tests.harness import CONFIG, OSLO, Vakt
from tests.waiting import PATIENCE, wait_until


def test_slash_command_over_socket_mode_and_reconnect(
    fake: FakeSlack, sqlite_url: str, tmp_path: Path
) -> None:
    harness = Vakt(fake, sqlite_url, tmp_path, datetime(2026, 11, 23, 10, 0, tzinfo=OSLO))
    server = FakeSocketModeServer().start()
    fake.socket_mode = server
    app = harness.runtime.app(signing_secret=None)
    handler = SocketModeHandler(app, app_token="xapp-1-test")
    try:
        handler.connect()  # calls apps.connections.open at SLACK_API_URL, then the WebSocket
        server.wait_connected(1)
        assert fake.calls_to("apps.connections.open")[0].token == "xapp-1-test"
        envelope = socket_mode_envelope(
            slash_command_payload("who", user_id="U0ANNA", response_url=fake.response_url("sm")),
            "slash_commands",
        )
        server.send_envelope(envelope)
        server.wait_ack(envelope["envelope_id"])
        (reply,) = fake.wait_for("response_url")
        assert "On duty: <@U0ANNA>" in Vakt.reply_text(reply.args)
        # Slack asks the client to refresh its connection: it reconnects and keeps working.
        server.send_disconnect("refresh_requested")
        server.wait_connected(2)
        second = socket_mode_envelope(
            slash_command_payload("who komm", user_id="U0BO", response_url=fake.response_url("s2")),
            "slash_commands",
        )
        server.send_envelope(second)
        server.wait_ack(second["envelope_id"])
        fake.wait_for("response_url", 2)
    finally:
        close_socket_mode_client(handler.client, server)
        server.stop()
        harness.close()
    fake.assert_no_errors()


def test_intake_event_over_socket_mode_and_its_retry(
    fake: FakeSlack, sqlite_url: str, tmp_path: Path
) -> None:
    from sqlmodel import Session, select

    from bot.store.models import Item
    from tests.fakeslack import event_payload
    from tests.items.test_slack import INTAKE, INTAKE_CONFIG, message_event, ts_of

    now = datetime(2026, 11, 23, 10, 0, tzinfo=OSLO)
    harness = Vakt(fake, sqlite_url, tmp_path, now, config_text=INTAKE_CONFIG)
    server = FakeSocketModeServer().start()
    fake.socket_mode = server
    app = harness.runtime.app(signing_secret=None, listener_executor=harness.executor)
    handler = SocketModeHandler(app, app_token="xapp-1-test")
    try:
        handler.connect()
        server.wait_connected(1)
        payload = event_payload(
            message_event("Når er biblioteket åpent?", ts_of(now)), event_id="EvS"
        )
        first = socket_mode_envelope(payload, "events_api")
        server.send_envelope(first)
        server.wait_ack(first["envelope_id"])
        card = fake.wait_for("chat.postMessage")[0]
        assert card.args["channel"] == INTAKE and card.args["thread_ts"] == ts_of(now)
        # Slack redelivers the event (retry_attempt 1): still one item, one card.
        retry = socket_mode_envelope(payload, "events_api", retry_attempt=1, retry_reason="timeout")
        server.send_envelope(retry)
        server.wait_ack(retry["envelope_id"])
        harness.idle()
        with Session(harness.runtime.engine) as session:
            assert len(session.exec(select(Item)).all()) == 1
        assert len(fake.calls_to("chat.postMessage")) == 1
    finally:
        close_socket_mode_client(handler.client, server)
        server.stop()
        harness.close()
    fake.assert_no_errors()


# ---------------------------------------------------------------------- reconnects and faults

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=OSLO)


@contextmanager
def watched(
    fake: FakeSlack, db_url: str, tmp_path: Path, config_text: str = CONFIG
) -> Iterator[tuple[Vakt, FakeSocketModeServer, SocketModeRunner]]:
    """The app in Socket Mode as `vakt run` serves it (bot.slackkit.socket_mode), with short intervals."""
    harness = Vakt(fake, db_url, tmp_path, NOW, config_text=config_text)
    server = FakeSocketModeServer().start()
    fake.socket_mode = server
    app = harness.runtime.app(signing_secret=None, listener_executor=harness.executor)
    runner = SocketModeRunner(
        app, "xapp-1-test", ping_interval=2.0, check_interval=0.1, max_backoff=0.4
    )
    try:
        runner.start()
        server.wait_connected(1)
        yield harness, server, runner
    finally:
        runner.close()
        server.stop()
        harness.close()
    fake.assert_no_errors()


def envelope_for(fake: FakeSlack, url_id: str) -> dict[str, Any]:
    """`/vakt who` by Anna, answered at the fake's response_url `url_id`."""
    payload = slash_command_payload("who", user_id="U0ANNA", response_url=fake.response_url(url_id))
    return socket_mode_envelope(payload, "slash_commands")


@pytest.mark.parametrize("reason", ["refresh_requested", "warning"])
def test_slack_asks_to_reconnect_and_no_envelope_is_lost_or_doubled(
    fake: FakeSlack,
    sqlite_url: str,
    tmp_path: Path,
    reason: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.slackkit.socket_mode")
    with watched(fake, sqlite_url, tmp_path) as (harness, server, runner):
        before = envelope_for(fake, "before")
        server.send_envelope(before)
        server.wait_ack(before["envelope_id"])
        # Slack asks for a new connection, and sends two more on the old one before closing it.
        late = [envelope_for(fake, "late1"), envelope_for(fake, "late2")]
        late_ids = server.send_disconnect(reason, then=late)
        server.wait_connected(2)
        for envelope_id in late_ids:
            server.wait_ack(envelope_id)
        after = envelope_for(fake, "after")
        server.send_envelope(after)
        server.wait_ack(after["envelope_id"])
        fake.wait_for("response_url", 4)
        wait_until(lambda: runner.reconnects == 1)
        harness.idle()
        assert len(fake.calls_to("apps.connections.open")) == 2
        assert server.connection_count == 2
        sent = [before["envelope_id"], *late_ids, after["envelope_id"]]
        acked = [f["envelope_id"] for f in server.received if "envelope_id" in f]
        assert sorted(acked) == sorted(sent)  # each acked once
        replies = Counter(c.path.rsplit("/", 1)[1] for c in fake.calls_to("response_url"))
        assert replies == Counter(["before", "late1", "late2", "after"])  # each handled once
        assert all(
            "On duty: <@U0ANNA>" in Vakt.reply_text(c.args) for c in fake.calls_to("response_url")
        )
    assert any("Socket Mode: reconnected" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("how", ["closed", "cut off"])
def test_lost_connection_and_slack_away_then_an_unacked_event_redelivered_once(
    fake: FakeSlack, sqlite_url: str, tmp_path: Path, how: str
) -> None:
    from sqlmodel import Session, select

    from bot.store.models import Item
    from tests.fakeslack import event_payload
    from tests.items.test_slack import INTAKE, INTAKE_CONFIG, message_event, ts_of

    with watched(fake, sqlite_url, tmp_path, INTAKE_CONFIG) as (harness, server, runner):
        payload = event_payload(
            message_event("Når er biblioteket åpent?", ts_of(NOW)), event_id="EvLost"
        )
        first = socket_mode_envelope(payload, "events_api")
        server.send_envelope(first)
        # No ack reaches Slack: the connection ends right away, and Slack stays away for a while.
        if how == "cut off":
            server.drop_connections()  # no close frame: a network failure
        server.suspend()  # closes what is left (1001), refuses new connections
        opened = len(fake.calls_to("apps.connections.open"))
        fake.wait_for("apps.connections.open", opened + 2)  # it keeps trying
        assert server.connection_count == 1
        server.resume()
        server.wait_connected(2)
        # Slack delivers the event again (same event_id): one item, one card.
        retry = socket_mode_envelope(payload, "events_api", retry_attempt=1, retry_reason="timeout")
        server.send_envelope(retry)
        server.wait_ack(retry["envelope_id"])
        harness.idle()
        with Session(harness.runtime.engine) as session:
            assert len(session.exec(select(Item)).all()) == 1
        (card,) = fake.calls_to("chat.postMessage")
        assert card.args["channel"] == INTAKE and card.args["thread_ts"] == ts_of(NOW)
        # Still connected and handling envelopes.
        wait_until(lambda: runner.reconnects == 1)
        last = envelope_for(fake, "last")
        server.send_envelope(last)
        server.wait_ack(last["envelope_id"])
        fake.wait_for("response_url")


def test_a_listener_that_raises_does_not_end_the_connection(
    fake: FakeSlack, sqlite_url: str, tmp_path: Path
) -> None:
    with watched(fake, sqlite_url, tmp_path) as (harness, server, runner):
        harness.runtime.deps.answer_in_ack_within = 0  # every answer to the response_url
        fake.fail_next("response_url", hang_up=True)  # respond() raises IncompleteRead
        boom = envelope_for(fake, "boom")
        server.send_envelope(boom)
        failed = fake.wait_for("response_url")[0]
        assert not failed.ok
        server.wait_ack(boom["envelope_id"])  # acked all the same: the listener is guarded
        harness.idle()
        after = envelope_for(fake, "after")
        server.send_envelope(after)
        server.wait_ack(after["envelope_id"])
        wait_until(lambda: any(c.path.endswith("/after") for c in fake.calls_to("response_url")))
        (answer,) = [c for c in fake.calls_to("response_url") if c.path.endswith("/after")]
        assert answer.ok and "On duty: <@U0ANNA>" in Vakt.reply_text(answer.args)
        assert server.connection_count == 1 and runner.reconnects == 0


def test_the_fake_server_can_refuse_cut_and_keep_talking_after_a_disconnect() -> None:
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    with FakeSocketModeServer() as server:
        port = server.port
        with connect(server.new_url(), open_timeout=PATIENCE) as ws:
            assert json.loads(ws.recv(timeout=PATIENCE))["type"] == "hello"
            ids = server.send_disconnect("warning", then=[{"type": "events_api", "payload": {}}])
            assert json.loads(ws.recv(timeout=PATIENCE))["reason"] == "warning"
            assert json.loads(ws.recv(timeout=PATIENCE))["envelope_id"] == ids[0]
            server.drop_connections()
            with pytest.raises(ConnectionClosed):
                ws.recv(timeout=PATIENCE)
        server.suspend()
        assert not server.listening and server.port == port
        with pytest.raises(OSError):
            connect(f"ws://127.0.0.1:{port}/link/", open_timeout=PATIENCE)
        server.resume()
        with connect(server.new_url(), open_timeout=PATIENCE) as ws:
            assert json.loads(ws.recv(timeout=PATIENCE))["type"] == "hello"
        assert server.port == port and server.connection_count == 2
