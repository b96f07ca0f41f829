"""Tests of the Slack fakes themselves (tests/fakeslack), driven by Slack's own SDKs."""

from __future__ import annotations

import http.client
import json
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from slack_bolt import App, BoltRequest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.models.blocks import ActionsBlock, ButtonElement, SectionBlock
from slack_sdk.signature import Clock, SignatureVerifier
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.webhook import WebhookClient

from tests.fakeslack import (
    FILE_DOWNLOAD,
    MAX_MESSAGE_BLOCKS,
    RESPONSE_URL,
    FakeSlack,
    FakeSocketModeServer,
    block_actions_body,
    block_actions_payload,
    close_socket_mode_client,
    event_body,
    event_payload,
    load_sample,
    message_action_body,
    message_action_payload,
    sample_payload,
    shortcut_body,
    sign,
    signed_request,
    slash_command_body,
    slash_command_payload,
    socket_mode_envelope,
    view_submission_body,
    view_submission_payload,
)
from tests.fakeslack.spec import default_spec
from tests.waiting import PATIENCE

pytest_plugins = ["tests.fakeslack.fixtures"]

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TS_PATTERN = re.compile(r"^\d{10}\.\d{6}$")


@pytest.fixture
def client(fake_slack: FakeSlack) -> WebClient:
    return WebClient(base_url=fake_slack.base_url, token="xoxb-test")


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def api_error(exc: pytest.ExceptionInfo[SlackApiError]) -> dict[str, Any]:
    data = exc.value.response.data
    assert isinstance(data, dict)
    return data


# ---------------------------------------------------------------------- Web API basics


def test_post_message_is_answered_and_recorded(fake_slack: FakeSlack, client: WebClient) -> None:
    blocks = [
        SectionBlock(text="*Vakt*: on duty today"),
        ActionsBlock(elements=[ButtonElement(text="Take over", action_id="take", value="1")]),
    ]
    first = client.chat_postMessage(channel="C111", text="on duty", blocks=blocks)
    second = client.chat_postMessage(channel="C111", text="again")

    assert first["ok"] is True
    assert first["channel"] == "C111"
    assert TS_PATTERN.match(first["ts"])
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["text"] == "on duty"
    assert first["message"]["bot_id"] == "BBOT"
    assert first["message"]["ts"] == first["ts"]
    assert first["message"]["blocks"][1]["elements"][0]["action_id"] == "take"

    (call, _) = fake_slack.calls_to("chat.postMessage")
    assert call.ok and call.status == 200 and not call.rejected
    assert call.args["blocks"] == [b.to_dict() for b in blocks]  # decoded objects, not JSON text
    assert call.token == "xoxb-test"
    assert call.headers["Authorization"] == "Bearer xoxb-test"
    fake_slack.assert_no_errors()


def test_message_to_a_user_id_lands_in_a_dm_channel(client: WebClient) -> None:
    assert client.chat_postMessage(channel="U0ANNA", text="hi")["channel"] == "D0ANNA"
    assert client.chat_postMessage(channel="W111", text="hi")["channel"] == "D111"
    assert client.conversations_open(users="U0ANNA")["channel"]["id"] == "D0ANNA"


def test_auth_test_shape(client: WebClient) -> None:
    result = client.auth_test()
    assert {k: result[k] for k in ("team_id", "user_id", "bot_id")} == {
        "team_id": "T111",
        "user_id": "UBOT",
        "bot_id": "BBOT",
    }
    assert result["url"].startswith("https://") and result["team"] and result["user"]


def test_missing_required_argument_is_rejected(fake_slack: FakeSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.api_call("chat.postMessage", json={"text": "no channel"})
    assert api_error(exc) == {
        "ok": False,
        "error": "invalid_arguments",
        "response_metadata": {"messages": ["[ERROR] missing required field: channel"]},
    }
    assert [c.error for c in fake_slack.errors] == ["invalid_arguments"]
    with pytest.raises(AssertionError, match="missing required field: channel"):
        fake_slack.assert_no_errors()


def test_unknown_argument_is_rejected_but_newer_sdk_arguments_pass(
    fake_slack: FakeSlack, client: WebClient
) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C111", text="hi", colour="red")
    assert api_error(exc)["error"] == "invalid_arguments"
    assert "unexpected argument: colour" in api_error(exc)["response_metadata"]["messages"][0]

    # markdown_text and metadata are newer than Slack's 2020 spec but WebClient has them.
    client.chat_postMessage(
        channel="C111",
        markdown_text="**hi**",
        metadata={"event_type": "duty", "event_payload": {"id": 1}},
    )
    assert len(fake_slack.errors) == 1


def test_unknown_method_and_missing_token(fake_slack: FakeSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.api_call("chat.postMessageLater", json={"channel": "C111"})
    assert api_error(exc)["error"] == "unknown_method"

    anonymous = WebClient(base_url=fake_slack.base_url)
    with pytest.raises(SlackApiError) as exc:
        anonymous.auth_test()
    assert api_error(exc)["error"] == "not_authed"

    with pytest.raises(SlackApiError) as exc:
        client.apps_connections_open(app_token="xoxb-not-an-app-token")
    assert api_error(exc)["error"] == "not_allowed_token_type"
    assert [c.error for c in fake_slack.errors] == [
        "unknown_method",
        "not_authed",
        "not_allowed_token_type",
    ]


def test_get_with_query_string_and_form_encoded_json_fields(fake_slack: FakeSlack) -> None:
    url = f"{fake_slack.base_url}users.info?token=xoxb-test&user=U0ANNA&include_locale=true"
    with urllib.request.urlopen(url) as response:
        assert json.load(response)["user"]["locale"] == "en-US"

    # slack_sdk form-encodes params and JSON-encodes blocks inside the form body.
    client = WebClient(base_url=fake_slack.base_url, token="xoxb-test")
    client.api_call(
        "chat.postEphemeral",
        params={"channel": "C111", "user": "U0ANNA", "blocks": json.dumps([section("psst")])},
    )
    (call,) = fake_slack.calls_to("chat.postEphemeral")
    assert call.args["blocks"] == [section("psst")]
    assert TS_PATTERN.match(call.response["message_ts"])
    fake_slack.assert_no_errors()


# ---------------------------------------------------------------------- Block Kit validation

BUTTON_76 = {
    "type": "actions",
    "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": "x" * 76}, "action_id": "a"}
    ],
}


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (section("x" * 3001), "cannot exceed 3000 characters"),
        (BUTTON_76, "cannot exceed 75 characters"),
        ({"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}, "150"),
        ({"type": "no_such_block"}, "unsupported block type"),
        ({"type": "section"}, "text or fields attribute must be specified"),
    ],
    ids=["section-3001", "button-76", "header-151", "unknown-type", "empty-section"],
)
def test_invalid_blocks_are_rejected(
    fake_slack: FakeSlack, client: WebClient, block: dict[str, Any], expected: str
) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C111", text="t", blocks=[section("fine"), block])
    data = api_error(exc)
    assert data["error"] == "invalid_blocks"
    (message,) = data["response_metadata"]["messages"]
    assert expected in message and "[json-pointer:/blocks/1]" in message
    assert fake_slack.errors


def test_block_count_and_text_length_limits(fake_slack: FakeSlack, client: WebClient) -> None:
    client.chat_postMessage(channel="C111", text="t", blocks=[section("b")] * MAX_MESSAGE_BLOCKS)
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C111", text="t", blocks=[section("b")] * 51)
    assert api_error(exc)["error"] == "invalid_blocks"
    assert "no more than 50 items" in api_error(exc)["response_metadata"]["messages"][0]

    with pytest.raises(SlackApiError) as exc:
        client.chat_update(channel="C111", ts="1700000000.000100", text="x" * 40_001)
    assert api_error(exc)["error"] == "msg_too_long"

    with pytest.raises(SlackApiError) as exc:
        client.api_call("chat.postMessage", json={"channel": "C111"})
    assert api_error(exc)["error"] == "no_text"
    assert [c.error for c in fake_slack.errors] == ["invalid_blocks", "msg_too_long", "no_text"]


def test_views_are_validated_with_the_view_model(fake_slack: FakeSlack, client: WebClient) -> None:
    home = {"type": "home", "blocks": [section("Home")]}
    published = client.views_publish(user_id="U0ANNA", view=home)["view"]
    assert published["id"].startswith("V") and published["hash"] and published["type"] == "home"

    with pytest.raises(SlackApiError) as exc:
        client.views_publish(
            user_id="U0ANNA", view={"type": "home", "blocks": [section("b")] * 101}
        )
    assert api_error(exc)["error"] == "invalid_arguments"
    assert "no more than 100 items" in api_error(exc)["response_metadata"]["messages"][0]

    modal = {
        "type": "modal",
        "callback_id": "swap",
        "title": {"type": "plain_text", "text": "Swap duty"},
        "blocks": [section("Who?")],
        "private_metadata": "m" * 3001,
    }
    with pytest.raises(SlackApiError) as exc:
        client.views_open(trigger_id="111.222.valid", view=modal)
    assert "private_metadata cannot exceed 3000" in str(api_error(exc))

    modal["private_metadata"] = "{}"
    opened = client.views_open(trigger_id="111.222.valid", view=modal)["view"]
    assert opened["callback_id"] == "swap" and opened["private_metadata"] == "{}"
    # interactivity_pointer replaces trigger_id (newer than the spec, which requires trigger_id)
    client.views_open(interactivity_pointer="ptr", view=modal)
    updated = client.views_update(view_id=opened["id"], view=modal)["view"]
    assert updated["id"] == opened["id"]
    with pytest.raises(SlackApiError) as exc:
        client.views_open(view=modal)
    assert "missing required field: trigger_id" in str(api_error(exc))
    assert len(fake_slack.errors) == 3


# ---------------------------------------------------------------------- faults and handlers


def test_rate_limit_is_retried_by_the_retry_handler(
    fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The handler sleeps Retry-After + random() seconds; drop the jitter to keep this fast.
    monkeypatch.setattr("slack_sdk.http_retry.builtin_handlers.random.random", lambda: 0.0)
    fake_slack.fail_next("chat.postMessage", status=429, headers={"Retry-After": "0"})
    client = WebClient(base_url=fake_slack.base_url, token="xoxb-test")
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))

    assert client.chat_postMessage(channel="C111", text="hi")["ok"] is True
    limited, succeeded = fake_slack.calls_to("chat.postMessage")
    assert (limited.status, limited.error) == (429, "ratelimited")
    assert (succeeded.status, succeeded.ok) == (200, True)
    fake_slack.assert_no_errors()  # programmed faults are not validation errors


def test_rate_limit_without_retry_handler_surfaces_retry_after(fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("chat.postMessage", status=429)
    client = WebClient(base_url=fake_slack.base_url, token="xoxb-test")
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C111", text="hi")
    assert exc.value.response.status_code == 429
    assert exc.value.response.headers["Retry-After"] == "1"
    assert client.chat_postMessage(channel="C111", text="hi")["ok"]


def test_fail_next_errors_and_custom_handler(fake_slack: FakeSlack, client: WebClient) -> None:
    fake_slack.fail_next("chat.postMessage", error="channel_not_found", times=2)
    fake_slack.fail_next("reactions.add", status=500)
    for _ in range(2):
        with pytest.raises(SlackApiError) as exc:
            client.chat_postMessage(channel="C404", text="hi")
        assert api_error(exc)["error"] == "channel_not_found"
    assert client.chat_postMessage(channel="C111", text="hi")["ok"]
    with pytest.raises(SlackApiError) as exc:
        client.reactions_add(channel="C111", name="eyes", timestamp="1700000000.000100")
    assert exc.value.response.status_code == 500

    fake_slack.set_handler("conversations.members", lambda args: {"ok": True, "members": ["U1"]})
    assert client.conversations_members(channel="C111")["members"] == ["U1"]
    with pytest.raises(ValueError, match="unknown Slack method"):
        fake_slack.fail_next("chat.postMesage", error="x")


def test_users_info_locale(fake_slack: FakeSlack, client: WebClient) -> None:
    fake_slack.users["U0ANNA"] = {"locale": "sv-SE", "real_name": "Anna"}
    user = client.users_info(user="U0ANNA", include_locale=True)["user"]
    assert (user["id"], user["locale"], user["real_name"]) == ("U0ANNA", "sv-SE", "Anna")
    assert user["tz"] == "Europe/Oslo" and user["tz_offset"] in (3600, 7200)
    assert "locale" not in client.users_info(user="U0ANNA")["user"]

    with pytest.raises(SlackApiError) as exc:
        client.users_info(user="U0NOBODY")
    assert api_error(exc)["error"] == "user_not_found"
    fake_slack.assert_no_errors()  # an unknown user is an answer, not a rejected call


def test_wait_for_blocks_until_calls_arrive(fake_slack: FakeSlack, client: WebClient) -> None:
    timer = threading.Timer(0.05, lambda: client.chat_postMessage(channel="C111", text="later"))
    timer.start()
    (call,) = fake_slack.wait_for("chat.postMessage")
    timer.join()
    assert call.args["text"] == "later"
    with pytest.raises(AssertionError, match=r"expected 2 call\(s\) to chat.postMessage"):
        fake_slack.wait_for("chat.postMessage", count=2, timeout=0.05)
    fake_slack.reset()
    assert fake_slack.calls == []


def test_response_url_is_recorded_validated_and_limited(fake_slack: FakeSlack) -> None:
    webhook = WebhookClient(fake_slack.response_url("abc"))
    assert webhook.send(text="done", response_type="ephemeral").status_code == 200
    assert webhook.send(blocks=[section("x" * 3001)]).status_code == 400
    for _ in range(3):
        webhook.send(text="more")
    sixth = webhook.send(text="one too many")
    assert sixth.status_code == 404 and json.loads(sixth.body)["error"] == "used_url"

    calls = fake_slack.calls_to(RESPONSE_URL)
    assert calls[0].args == {"text": "done", "response_type": "ephemeral"}
    assert calls[0].path == "/response/abc"
    assert [c.error for c in fake_slack.errors] == ["invalid_blocks", "used_url"]


def test_files_upload_v2_round_trip(fake_slack: FakeSlack, client: WebClient) -> None:
    result = client.files_upload_v2(channel="C111", content="rota", filename="rota.txt")
    file_id = result["file"]["id"]
    assert fake_slack.uploads[file_id] == b"rota"
    assert [c.method for c in fake_slack.calls] == [
        "files.getUploadURLExternal",
        "file_upload",
        "files.completeUploadExternal",
    ]
    fake_slack.assert_no_errors()


def test_spec_lookup() -> None:
    spec = default_spec()
    post = spec.lookup("chat.postMessage")
    assert post is not None and post.in_spec and post.required == {"channel"}
    socket = spec.lookup("apps.connections.open")  # not in the 2020 spec, known to WebClient
    assert socket is not None and not socket.in_spec
    assert spec.lookup("api.call") is None  # BaseClient helpers are not API methods


# ---------------------------------------------------------------------- Socket Mode


def test_socket_mode_round_trip_with_the_builtin_client(
    fake_slack: FakeSlack, socket_mode_server: FakeSocketModeServer
) -> None:
    received: list[SocketModeRequest] = []

    def ack(client: SocketModeClient, request: SocketModeRequest) -> None:
        received.append(request)
        payload = {"text": "ok"} if request.accepts_response_payload else None
        client.send_socket_mode_response(
            SocketModeResponse(envelope_id=request.envelope_id, payload=payload)
        )

    client = SocketModeClient(
        app_token="xapp-1-test",
        web_client=WebClient(base_url=fake_slack.base_url, token="xoxb-test"),
    )
    client.socket_mode_request_listeners.append(ack)  # type: ignore[arg-type]
    try:
        client.connect()
        socket_mode_server.wait_connected(1)
        envelopes = load_sample("socket_mode_envelopes")["envelopes"]
        for envelope in envelopes:
            socket_mode_server.send_envelope(envelope)
            frame = socket_mode_server.wait_ack(envelope["envelope_id"])
            if envelope["accepts_response_payload"]:
                assert frame == {"envelope_id": envelope["envelope_id"], "payload": {"text": "ok"}}
            else:
                assert frame == {"envelope_id": envelope["envelope_id"]}
        assert [r.type for r in received] == ["interactive", "slash_commands", "events_api"]
        assert received[2].retry_attempt == 1 and received[2].retry_reason == "timeout"

        socket_mode_server.send_disconnect("refresh_requested")
        socket_mode_server.wait_connected(2)
        again = socket_mode_server.send_envelope(
            socket_mode_envelope(slash_command_payload("status"), "slash_commands")
        )
        assert socket_mode_server.wait_ack(again)["payload"] == {"text": "ok"}
        assert len(fake_slack.calls_to("apps.connections.open")) == 2
        assert socket_mode_server.paths[0].startswith("/link/?ticket=")
    finally:
        close_socket_mode_client(client, socket_mode_server)
    fake_slack.assert_no_errors()


def test_apps_connections_open_without_server(fake_slack: FakeSlack) -> None:
    client = WebClient(base_url=fake_slack.base_url)
    with pytest.raises(SlackApiError) as exc:
        client.apps_connections_open(app_token="xapp-1-test")
    assert api_error(exc)["error"] == "socket_mode_not_enabled"


# ---------------------------------------------------------------------- signing and builders


def test_sign_matches_slack_sdk_signature_verifier() -> None:
    body = slash_command_body("status")
    headers = sign(body, SECRET, 1_700_000_000)
    verifier = SignatureVerifier(SECRET, clock=_FixedClock(1_700_000_010))
    assert verifier.is_valid(
        body=body,
        timestamp=headers["X-Slack-Request-Timestamp"],
        signature=headers["X-Slack-Signature"],
    )
    assert (
        verifier.generate_signature(timestamp="1700000000", body=body)
        == (headers["X-Slack-Signature"])
    )
    assert not verifier.is_valid(
        body=body + "&x=1",
        timestamp=headers["X-Slack-Request-Timestamp"],
        signature=headers["X-Slack-Signature"],
    )

    raw, request_headers = signed_request(event_body({"type": "app_mention"}), SECRET)
    assert request_headers["Content-Type"] == "application/json"
    assert SignatureVerifier(SECRET).is_valid_request(raw, request_headers)


class _FixedClock(Clock):
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


def test_builders_start_from_slacks_samples() -> None:
    sample = load_sample("slash_command")
    assert "_source" not in sample and "_transport" not in sample
    original = sample["payload"]
    rebuilt = slash_command_body(
        original["text"],
        user_id=original["user_id"],
        channel_id=original["channel_id"],
        command=original["command"],
    )
    assert rebuilt == sample["raw_body"]  # byte for byte like Slack's encoding
    assert "_note" not in load_sample("socket_mode_envelopes")["hello_frame_example"]

    event = event_payload({"type": "app_mention", "text": "hi", "ts": "1700000001.000100"})
    assert event["authed_users"] == ["W111"] and event["event_time"] == 1_700_000_001

    # Built payloads carry only fields that Slack's sample or the java-sdk shape also have.
    shapes = {
        "java-sdk-shapes/app-backend_interactive-components_BlockActionPayload": (
            "interactivity_block_actions",
            block_actions_payload("a", "v", message={"ts": "1"}, view=None),
        ),
        "java-sdk-shapes/app-backend_views_ViewSubmissionPayload": (
            "interactivity_view_submission",
            view_submission_payload("cb", {"b": {"a": {"type": "plain_text_input"}}}),
        ),
        "java-sdk-shapes/app-backend_interactive-components_MessageShortcutPayload": (
            "interactivity_message_action",
            message_action_payload("cb", {"type": "message", "text": "t", "ts": "1.2"}),
        ),
        "java-sdk-shapes/app-backend_slash-commands_SlashCommandPayload": (
            "slash_command",
            slash_command_payload("t"),
        ),
        "java-sdk-shapes/events_MessagePayload": ("event_message", event),
    }
    for shape_name, (sample_name, built) in shapes.items():
        unknown = _unknown_keys(built, load_sample(shape_name), sample_payload(sample_name))
        assert not unknown, f"{sample_name}: {unknown}"


def _unknown_keys(built: Any, shape: Any, sample: Any, path: str = "") -> list[str]:
    if not isinstance(built, dict):
        return []
    shape = shape if isinstance(shape, dict) else {}
    sample = sample if isinstance(sample, dict) else {}
    unknown = []
    for key, value in built.items():
        if key not in shape and key not in sample:
            unknown.append(f"{path}/{key}")
        elif key not in ("event", "values"):  # the inner event and state are the caller's
            unknown += _unknown_keys(value, shape.get(key), sample.get(key), f"{path}/{key}")
    return unknown


# ---------------------------------------------------------------------- Bolt round trips


@pytest.fixture
def bolt_app(fake_slack: FakeSlack) -> App:
    app = App(
        client=WebClient(base_url=fake_slack.base_url, token="xoxb-test"),
        signing_secret=SECRET,
    )
    # App(client=...) still verifies the client's token with auth.test at build time.
    assert len(fake_slack.calls_to("auth.test")) == 1
    return app


def dispatch(app: App, body: str) -> int:
    raw, headers = signed_request(body, SECRET)
    bolt_headers: dict[str, str | Sequence[str]] = dict(headers)
    return app.dispatch(BoltRequest(body=raw.decode("utf-8"), headers=bolt_headers)).status


def test_bolt_slash_command_respond_lands_at_the_fake(fake_slack: FakeSlack, bolt_app: App) -> None:
    @bolt_app.command("/vakt")
    def on_vakt(ack: Any, respond: Any, command: dict[str, Any]) -> None:
        ack()
        respond(text=f"status for {command['user_id']}: {command['text']}")

    body = slash_command_body("status", response_url=fake_slack.response_url("cmd1"))
    assert dispatch(bolt_app, body) == 200
    (call,) = fake_slack.wait_for(RESPONSE_URL)
    assert call.args["text"] == "status for U0ANNA: status"
    assert call.path == "/response/cmd1"
    fake_slack.assert_no_errors()


def test_bolt_block_action_calls_the_web_api(fake_slack: FakeSlack, bolt_app: App) -> None:
    @bolt_app.action("take_over")
    def on_take_over(ack: Any, body: dict[str, Any], client: WebClient, respond: Any) -> None:
        ack()
        client.chat_update(
            channel=body["container"]["channel_id"],
            ts=body["container"]["message_ts"],
            text=f"taken over by <@{body['user']['id']}>",
        )
        respond(text="done", replace_original=False)

    body = block_actions_body(
        "take_over",
        "shift-42",
        user_id="U0ANNA",
        message_ts="1700000000.000100",
        response_url=fake_slack.response_url("act"),
    )
    assert dispatch(bolt_app, body) == 200
    (update,) = fake_slack.wait_for("chat.update")
    assert update.args == {
        "channel": "C111",
        "ts": "1700000000.000100",
        "text": "taken over by <@U0ANNA>",
        "team_id": "T111",  # Bolt's per-request client adds the payload's team_id
    }
    fake_slack.wait_for(RESPONSE_URL)
    fake_slack.assert_no_errors()


def test_bolt_dispatches_every_builder(bolt_app: App) -> None:
    seen: dict[str, threading.Event] = {
        k: threading.Event() for k in ("view", "shortcut", "message_shortcut", "event")
    }

    @bolt_app.view("swap_modal")
    def on_view(ack: Any, view: dict[str, Any]) -> None:
        ack()
        if view["state"]["values"]["who"]["user"]["selected_user"] == "U222":
            seen["view"].set()

    @bolt_app.shortcut("new_duty")
    def on_shortcut(ack: Any) -> None:
        ack()
        seen["shortcut"].set()

    @bolt_app.shortcut("archive_message")
    def on_message_shortcut(ack: Any, shortcut: dict[str, Any]) -> None:
        ack()
        if shortcut["message"]["text"] == "archive me":
            seen["message_shortcut"].set()

    @bolt_app.event("app_mention")
    def on_mention(event: dict[str, Any]) -> None:
        seen["event"].set()

    state = {"who": {"user": {"type": "users_select", "selected_user": "U222"}}}
    message = {"type": "message", "text": "archive me", "user": "U111", "ts": "1700000000.000100"}
    mention = {"type": "app_mention", "text": "<@UBOT> hi", "user": "U0ANNA", "channel": "C111"}
    bodies = [
        view_submission_body("swap_modal", state, private_metadata="{}"),
        shortcut_body("new_duty"),
        message_action_body("archive_message", message),
        event_body({**mention, "ts": "1700000000.000200", "event_ts": "1700000000.000200"}),
    ]
    for body in bodies:
        assert dispatch(bolt_app, body) == 200
    for name, event in seen.items():
        assert event.wait(2), f"listener for {name} was not called"


@pytest.fixture
def socket_mode_handler(
    bolt_app: App, socket_mode_server: FakeSocketModeServer
) -> Iterator[SocketModeHandler]:
    handler = SocketModeHandler(bolt_app, app_token="xapp-1-test")
    handler.client.connect()  # what handler.connect() does (it is untyped)
    socket_mode_server.wait_connected(1)
    yield handler
    close_socket_mode_client(handler.client, socket_mode_server)


def test_bolt_socket_mode_handler_acks_with_payload(
    fake_slack: FakeSlack,
    bolt_app: App,
    socket_mode_server: FakeSocketModeServer,
    socket_mode_handler: SocketModeHandler,
) -> None:
    @bolt_app.command("/vakt")
    def on_vakt(ack: Any, command: dict[str, Any]) -> None:
        ack(text=f"on duty: {command['text']}")

    payload = slash_command_payload("who", response_url=fake_slack.response_url())
    envelope_id = socket_mode_server.send_envelope(socket_mode_envelope(payload, "slash_commands"))
    ack = socket_mode_server.wait_ack(envelope_id)
    assert ack["payload"]["text"] == "on duty: who"
    fake_slack.assert_no_errors()


# ---------------------------------------------------------------------- files shared in Slack

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


BOT_TOKEN = "xoxb-test"


def download(url: str, token: str | None = BOT_TOKEN) -> tuple[int, str, bytes]:
    """GET ``url`` like the app would: status, Content-Type and body (also for 4xx/5xx)."""
    request = urllib.request.Request(url)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=PATIENCE) as response:
            body = response.read()
            assert int(response.headers["Content-Length"]) == len(body)
            return response.status, response.headers["Content-Type"], body
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers["Content-Type"], exc.read()


def test_add_file_is_answered_by_files_info(fake_slack: FakeSlack, client: WebClient) -> None:
    file = fake_slack.add_file(PNG)
    file_id = file["id"]
    assert file_id.startswith("F")
    assert file["name"] == "screenshot.png" and file["title"] == "screenshot.png"
    assert (file["mimetype"], file["filetype"], file["pretty_type"]) == ("image/png", "png", "PNG")
    assert (file["user"], file["user_team"], file["size"]) == ("U0ANNA", "T111", len(PNG))
    assert (file["mode"], file["is_external"], file["is_public"]) == ("hosted", False, False)
    assert file["url_private"] == f"{fake_slack.url}files-pri/T111-{file_id}/screenshot.png"
    assert file["url_private_download"] == (
        f"{fake_slack.url}files-pri/T111-{file_id}/download/screenshot.png"
    )
    assert file["permalink"] == f"https://vakt-test.slack.com/files/U0ANNA/{file_id}/screenshot.png"

    answer = client.files_info(file=file_id)
    assert answer.data == {
        "ok": True,
        "file": file,
        "comments": [],
        "response_metadata": {"next_cursor": ""},
    }
    fake_slack.assert_no_errors()


def test_add_file_options(fake_slack: FakeSlack, client: WebClient) -> None:
    file = fake_slack.add_file(
        b"%PDF-1.4",
        name="rota.pdf",
        mimetype="application/pdf",
        user="U111",
        file_id="F123",
        size=99,
    )
    assert (file["id"], file["filetype"], file["pretty_type"]) == ("F123", "pdf", "PDF")
    assert (file["user"], file["size"]) == ("U111", 99)  # size may lie about the content
    assert fake_slack.add_file(b"x", name="notes.txt", mimetype="text/plain")["filetype"] == "text"
    assert fake_slack.add_file(b"x", name="a.heic", filetype="heic")["filetype"] == "heic"
    assert client.files_info(file="F123")["file"] == file

    status, content_type, body = download(file["url_private"])
    assert (status, content_type, body) == (200, "application/pdf", b"%PDF-1.4")


def test_download_with_bearer_token(fake_slack: FakeSlack) -> None:
    file = fake_slack.add_file(PNG)
    for url in (file["url_private_download"], file["url_private"]):
        assert download(url) == (200, "image/png", PNG)
    calls = fake_slack.calls_to(FILE_DOWNLOAD)
    assert [c.args for c in calls] == [{"file_id": file["id"], "authorized": True}] * 2
    assert [(c.status, c.ok, c.http_method, c.token) for c in calls] == [
        (200, True, "GET", "xoxb-test")
    ] * 2
    assert calls[0].path == f"/files-pri/T111-{file['id']}/download/screenshot.png"
    fake_slack.assert_no_errors()


def test_download_without_or_with_bad_token_is_refused(fake_slack: FakeSlack) -> None:
    url = fake_slack.add_file(PNG)["url_private_download"]
    for token in (None, "xapp-1-test", "not-a-token"):
        status, content_type, body = download(url, token)
        assert (status, content_type) == (403, "text/html; charset=utf-8")
        assert b"Sign in" in body and PNG not in body
    calls = fake_slack.calls_to(FILE_DOWNLOAD)
    assert [(c.args["authorized"], c.error) for c in calls] == [
        (False, "not_authed"),
        (False, "invalid_auth"),
        (False, "invalid_auth"),
    ]
    fake_slack.assert_no_errors()  # a refusal is an answer, not a rejected call


def test_unknown_file_is_not_found_but_not_an_error(
    fake_slack: FakeSlack, client: WebClient
) -> None:
    status, content_type, _ = download(f"{fake_slack.url}files-pri/T111-F0NOPE/download/x.png")
    assert (status, content_type) == (404, "text/html; charset=utf-8")
    with pytest.raises(SlackApiError) as exc:
        client.files_info(file="F0NOPE")
    assert api_error(exc) == {"ok": False, "error": "file_not_found"}
    assert [c.error for c in fake_slack.calls] == ["file_not_found", "file_not_found"]
    fake_slack.assert_no_errors()


def test_made_up_file_urls_are_rejected(fake_slack: FakeSlack) -> None:
    file = fake_slack.add_file(PNG)
    bad = [
        f"{fake_slack.url}files-pri/T999-{file['id']}/screenshot.png",
        f"{fake_slack.url}files-pri/T111-{file['id']}/other.png",
        f"{fake_slack.url}files-pri/screenshot.png",
    ]
    for url in bad:
        assert download(url)[0] == 404
    assert [c.method for c in fake_slack.errors] == [FILE_DOWNLOAD] * 3


def test_download_faults(fake_slack: FakeSlack) -> None:
    url = fake_slack.add_file(PNG)["url_private_download"]
    fake_slack.fail_next(FILE_DOWNLOAD, status=500)
    assert download(url)[0] == 500
    assert download(url) == (200, "image/png", PNG)

    fake_slack.fail_next(FILE_DOWNLOAD, status=200, error="login_page")  # Slack's sign-in trap
    status, content_type, body = download(url)
    assert (status, content_type) == (200, "text/html; charset=utf-8") and b"<html>" in body

    fake_slack.fail_next(FILE_DOWNLOAD, hang_up=True)
    with pytest.raises(http.client.IncompleteRead) as exc:
        download(url)
    assert exc.value.partial == PNG[: len(PNG) // 2]
    assert download(url)[2] == PNG

    statuses = [(c.status, c.error) for c in fake_slack.calls_to(FILE_DOWNLOAD)]
    assert statuses == [
        (500, "internal_error"),
        (200, None),
        (200, "login_page"),
        (200, "connection_closed"),
        (200, None),
    ]
    fake_slack.assert_no_errors()  # programmed faults are not validation errors
    with pytest.raises(ValueError, match="add_file"):
        fake_slack.set_handler(FILE_DOWNLOAD, lambda args: {"ok": True})


def test_files_the_app_uploads_are_known_to_files_info(
    fake_slack: FakeSlack, client: WebClient
) -> None:
    uploaded = client.files_upload_v2(channel="C111", content="rota", filename="rota.txt")
    file_id = uploaded["file"]["id"]
    assert client.files_info(file=file_id)["file"] == uploaded["file"]
    fake_slack.assert_no_errors()


def test_add_file_needs_a_running_fake() -> None:
    with pytest.raises(RuntimeError, match="not started"):
        FakeSlack().add_file(PNG)
