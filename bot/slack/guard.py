"""What reaches the listeners: a payload shaped as Slack shapes it.

Bolt and the listeners read a payload the way Slack sends it (`actions` a list of objects, `view`
an object, `user.id` a text ...); a signed payload of another shape crashed them, and a crash
before the ack is a 500 that Slack sends again. `problem` names what is not Slack's shape in a
payload (Bolt's envelope and the parts every listener reads); `refuse` answers such a request
before Bolt sees it: a plain ack, and one line in the log. What the listeners read beyond the
envelope (a button's value, a form's private_metadata) they parse themselves, with
bot.slack.payload.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import urlsplit

from slack_bolt import BoltResponse

log = logging.getLogger(__name__)

INTERACTIVE = frozenset(
    {
        "block_actions",
        "block_suggestion",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
        "interactive_message",
        "dialog_submission",
        "dialog_suggestion",
        "dialog_cancellation",
        "workflow_step_edit",
    }
)
OTHER_TYPES = frozenset({"event_callback", "url_verification", "app_rate_limited"})
# Texts wherever they appear at the top of a payload (events, commands, interactivity).
TEXTS = (
    "type",
    "token",
    "team_id",
    "team_domain",
    "enterprise_id",
    "user_id",
    "user_name",
    "channel_id",
    "api_app_id",
    "command",
    "text",
    "trigger_id",
    "response_url",
    "callback_id",
    "action_id",
    "action_ts",
    "message_ts",
    "event_id",
    "challenge",
)
# Objects Bolt reads ids from; Slack sends some as a bare id.
IDENTIFIED = ("team", "enterprise", "user", "channel")
OBJECTS = ("container", "message", "view", "event")
# A Slack id (user, channel): what Vakt stores and passes on to Slack's Web API.
SLACK_ID = re.compile(r"[A-Z0-9]{1,40}")


# ---------------------------------------------------------------- the shape


def _text(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _identified(value: Any) -> bool:
    """A bare id, or an object whose ids are texts."""
    if value is None or isinstance(value, str):
        return True
    return isinstance(value, dict) and all(
        _text(value.get(k)) for k in ("id", "team_id", "enterprise_id")
    )


def _id(value: Any) -> bool:
    """No id, or one shaped like Slack's."""
    return value is None or (isinstance(value, str) and bool(SLACK_ID.fullmatch(value)))


def _id_of(value: Any) -> bool:
    """The id of a bare id or of an object (`user`, `channel`) is shaped like Slack's."""
    return _id(value.get("id") if isinstance(value, dict) else value)


def _url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("https", "http") and bool(parts.netloc)


def _top(body: dict[str, Any]) -> str | None:
    """What every payload shares: its texts, ids and objects."""
    for name in TEXTS:
        if not _text(body.get(name)):
            return f"{name} is not a text"
    for name in IDENTIFIED:
        if not _identified(body.get(name)):
            return f"{name} is not an id or an object with one"
    for name in ("user", "channel"):
        if not _id_of(body.get(name)):
            return f"{name} is not a Slack id"
    for name in ("user_id", "channel_id"):
        if not _id(body.get(name)):
            return f"{name} is not a Slack id"
    for name in OBJECTS:
        if body.get(name) is not None and not isinstance(body[name], dict):
            return f"{name} is not an object"
    if "event" in body and not isinstance(body["event"], dict):  # Bolt reads it when present
        return "event is not an object"
    authorizations = body.get("authorizations")
    if authorizations is not None and not (
        isinstance(authorizations, list)
        and all(
            isinstance(a, dict) and all(_text(a.get(k)) for k in ("team_id", "enterprise_id"))
            for a in authorizations
        )
    ):
        return "authorizations is not a list of objects with text ids"
    if body.get("response_url") and not _url(body["response_url"]):
        return "response_url is not a web address"
    urls = body.get("response_urls", [])  # a modal's, when it asks for them
    if not isinstance(urls, list) or not all(
        isinstance(u, dict) and _text(u.get("response_url")) for u in urls
    ):
        return "response_urls is not a list of objects with a web address"
    return None


def _event(body: dict[str, Any]) -> str | None:
    event = body.get("event")
    if not isinstance(event, dict):
        return "event is not an object"
    if not isinstance(event.get("type"), str):
        return "event.type is not a text"
    for name in ("user", "channel"):
        if not _identified(event.get(name)) or not _id_of(event.get(name)):
            return f"event.{name} is not a Slack id or an object with one"
    for name in ("message", "previous_message"):
        if event.get(name) is not None and not isinstance(event[name], dict):
            return f"event.{name} is not an object"
    return None


def _command(body: dict[str, Any]) -> str | None:
    for name in ("command", "user_id"):
        if not body.get(name):
            return f"{name} is missing"
    if not _url(body.get("response_url")):  # where the answer goes: Slack always sends it
        return "response_url is missing"
    return None


def _interaction(body: dict[str, Any]) -> str | None:
    kind = body["type"]
    user = body.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        return "user.id is missing"
    for name in ("team", "channel"):  # objects in interactivity, never bare ids
        if body.get(name) is not None and not isinstance(body[name], dict):
            return f"{name} is not an object"
    if kind == "block_actions":
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions:
            return "actions is not a list of actions"
        for action in actions:
            if not isinstance(action, dict) or not isinstance(action.get("action_id"), str):
                return "an action has no action_id"
            if not _text(action.get("block_id")) or not _text(action.get("type")):
                return "an action's block_id or type is not a text"
        container = body.get("container") or {}
        for name in ("type", "channel_id", "message_ts", "view_id"):
            if not _text(container.get(name)):
                return f"container.{name} is not a text"
        if not _id(container.get("channel_id")):
            return "container.channel_id is not a Slack id"
        # A press on a message is answered at its response_url: Slack always sends one.
        if container.get("type") == "message" and not body.get("response_url"):
            return "response_url is missing"
    if kind in ("view_submission", "view_closed") or body.get("view") is not None:
        view = body.get("view")
        if not isinstance(view, dict):
            return "view is not an object"
        for name in ("id", "type", "callback_id", "private_metadata", "app_installed_team_id"):
            if not _text(view.get(name)):
                return f"view.{name} is not a text"
        if kind in ("view_submission", "view_closed") and (
            view.get("callback_id") is None or view.get("type") is None
        ):
            return "view.callback_id or view.type is missing"
    if kind in ("shortcut", "message_action") and not isinstance(body.get("callback_id"), str):
        return "callback_id is missing"
    if kind in ("block_actions", "shortcut", "message_action") and not body.get("trigger_id"):
        return "trigger_id is missing"  # a form opens on it: Slack always sends one
    if kind == "message_action" and not body.get("response_url"):
        return "response_url is missing"
    return None


def problem(body: Any) -> str | None:
    """What is not shaped as Slack sends it in a payload (None: nothing), in a few words."""
    if not isinstance(body, dict):
        return "the payload is not an object"
    found = _top(body)
    if found is not None:
        return found
    if "command" in body:
        return _command(body)
    kind = body.get("type")
    if kind == "event_callback":
        return _event(body)
    if kind == "url_verification" and not isinstance(body.get("challenge"), str):
        return "challenge is missing"
    if kind in INTERACTIVE:
        return _interaction(body)
    if kind not in OTHER_TYPES and "ssl_check" not in body:
        return "its type is not one Slack sends"
    return None


def frame_problem(frame: str) -> tuple[str | None, str | None]:
    """What is wrong with a Socket Mode frame, and the envelope id to acknowledge it by
    (None: nothing is wrong, or there is nothing to acknowledge)."""
    try:
        message = json.loads(frame)
    except (ValueError, RecursionError):
        return "the frame is not JSON", None
    if not isinstance(message, dict):
        return "the frame is not an object", None
    if "envelope_id" not in message:
        return None, None  # hello, disconnect: the client's own business
    envelope_id = message["envelope_id"]
    if not isinstance(envelope_id, str) or not envelope_id:
        return "envelope_id is not a text", None
    if not isinstance(message.get("type"), str):
        return "the envelope's type is not a text", envelope_id
    if not isinstance(message.get("payload"), dict):
        return "the envelope's payload is not an object", envelope_id
    if not isinstance(message.get("accepts_response_payload"), bool | None):
        return "accepts_response_payload is not true or false", envelope_id
    retry = message.get("retry_attempt")
    if retry is not None and (isinstance(retry, bool) or not isinstance(retry, int)):
        return "retry_attempt is not a number", envelope_id
    if not _text(message.get("retry_reason")):
        return "retry_reason is not a text", envelope_id
    return problem(message["payload"]), envelope_id


# ---------------------------------------------------------------- the log


def _shown(value: Any) -> str:
    """A text from a payload for the log: shortened, as Python writes texts (one line)."""
    return ascii(value[:40]) if isinstance(value, str) else "-"


def summary(body: dict[str, Any]) -> str:
    """What a request is, for one line in the log: its kind and the id a listener goes by
    (never what a person wrote)."""
    if "command" in body:
        return f"command {_shown(body.get('command'))}"
    kind = body.get("type")
    if kind == "event_callback":
        return f"event {_shown(body['event'].get('type'))}"
    if kind == "block_actions":
        return f"block_actions {_shown(body['actions'][0].get('action_id'))}"
    view = body.get("view")
    if kind in ("view_submission", "view_closed") and isinstance(view, dict):
        return f"{kind} {_shown(view.get('callback_id'))}"
    return f"{_shown(kind)} {_shown(body.get('callback_id'))}"


# ---------------------------------------------------------------- the gate


def refuse(body: Any) -> BoltResponse | None:
    """The answer to a request no listener should see (None: let it through)."""
    wrong = problem(body)
    if wrong is None:
        return None
    log.warning("ignored a request not shaped as Slack sends it: %s", wrong)
    return BoltResponse(status=200, body="")
