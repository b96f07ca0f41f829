"""Loopback fakes of Slack for tests: Web API, response_url, Socket Mode, signed requests.

Fed with Slack's own samples (``/work/shared/slack/payloads``) and validated against Slack's
own Web API spec (``/work/shared/slack/specs``) and slack_sdk's Block Kit models::

    with FakeSlack() as fake:
        app = App(client=WebClient(base_url=fake.base_url, token="xoxb-test"),
                  signing_secret=SECRET)          # auth.test is answered by the fake
        body = slash_command_body("who", response_url=fake.response_url("1"))
        raw, headers = signed_request(body, SECRET)
        app.dispatch(BoltRequest(body=raw.decode(), headers=headers))
        (reply,) = fake.wait_for("response_url")
        fake.assert_no_errors()
"""

from .payloads import (
    block_actions_body,
    block_actions_payload,
    event_body,
    event_payload,
    form_body,
    interactivity_body,
    load_sample,
    message_action_body,
    message_action_payload,
    sample_payload,
    shortcut_body,
    shortcut_payload,
    slash_command_body,
    slash_command_payload,
    socket_mode_envelope,
    view_submission_body,
    view_submission_payload,
)
from .signing import sign, signed_request
from .socket_mode import FakeSocketModeServer, close_socket_mode_client
from .spec import MethodSpec, WebApiSpec
from .validation import MAX_MESSAGE_BLOCKS, MAX_MESSAGE_TEXT, MAX_VIEW_BLOCKS
from .web import FILE_DOWNLOAD, FILE_UPLOAD, RESPONSE_URL, Call, FakeSlack

__all__ = [
    "FILE_DOWNLOAD",
    "FILE_UPLOAD",
    "MAX_MESSAGE_BLOCKS",
    "MAX_MESSAGE_TEXT",
    "MAX_VIEW_BLOCKS",
    "RESPONSE_URL",
    "Call",
    "FakeSlack",
    "FakeSocketModeServer",
    "MethodSpec",
    "WebApiSpec",
    "block_actions_body",
    "block_actions_payload",
    "close_socket_mode_client",
    "event_body",
    "event_payload",
    "form_body",
    "interactivity_body",
    "load_sample",
    "message_action_body",
    "message_action_payload",
    "sample_payload",
    "shortcut_body",
    "shortcut_payload",
    "sign",
    "signed_request",
    "slash_command_body",
    "slash_command_payload",
    "socket_mode_envelope",
    "view_submission_body",
    "view_submission_payload",
]
