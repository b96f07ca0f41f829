"""Socket Mode: the same app over a loopback WebSocket that speaks Slack's protocol."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from slack_bolt.adapter.socket_mode import SocketModeHandler

from tests.fakeslack import (
    FakeSlack,
    FakeSocketModeServer,
    close_socket_mode_client,
    slash_command_payload,
    socket_mode_envelope,
)
from tests.harness import OSLO, Vakt


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
        server.wait_connected(2, timeout=15)
        second = socket_mode_envelope(
            slash_command_payload("who komm", user_id="U0BO", response_url=fake.response_url("s2")),
            "slash_commands",
        )
        server.send_envelope(second)
        server.wait_ack(second["envelope_id"], timeout=15)
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
    from tests.slack.test_items_slack import INTAKE, INTAKE_CONFIG, message_event, ts_of

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
