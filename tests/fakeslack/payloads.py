"""Request bodies built from Slack's own samples in ``/work/shared/slack/payloads``.

Every builder starts from a real sample (taken from slackapi/bolt-python's tests) and replaces
only the fields named by its parameters. ``*_payload`` functions return the payload as a dict
(for Socket Mode envelopes); ``*_body`` functions return it encoded the way Slack sends it over
HTTP (form encoding, ``payload=<JSON>`` for interactivity, JSON for the Events API).
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from collections.abc import Mapping
from functools import cache
from typing import Any
from urllib.parse import urlencode

from ._paths import PAYLOADS_DIR

STRIPPED_KEYS = frozenset({"_source", "_transport"})
DEFAULT_USER = "U0ANNA"
DEFAULT_CHANNEL = "C111"


def _strip_notes(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_notes(v) for k, v in value.items() if k != "_note"}
    if isinstance(value, list):
        return [_strip_notes(v) for v in value]
    return value


@cache
def _load(name: str) -> dict[str, Any]:
    candidates = [name] if name.endswith(".json") else [f"{name}.json", f"{name}.form.json"]
    for candidate in candidates:
        path = PAYLOADS_DIR / candidate
        if path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            cleaned = {k: v for k, v in data.items() if k not in STRIPPED_KEYS}
            result: dict[str, Any] = _strip_notes(cleaned)
            return result
    raise FileNotFoundError(f"no Slack sample {name!r} in {PAYLOADS_DIR}")


def load_sample(name: str) -> dict[str, Any]:
    """A sample file as a dict without ``_source``/``_transport`` (and ``_note`` anywhere).

    ``name`` may omit ``.json``/``.form.json``: ``load_sample("slash_command")``,
    ``load_sample("java-sdk-shapes/api_users.info")``. Returns a fresh copy.
    """
    return copy.deepcopy(_load(name))


def sample_payload(name: str) -> dict[str, Any]:
    """The ``payload`` of a sample (what Slack puts in the request)."""
    payload: dict[str, Any] = load_sample(name)["payload"]
    return payload


def form_body(fields: Mapping[str, Any]) -> str:
    """``application/x-www-form-urlencoded`` the way Slack encodes it (``/`` -> ``%2F``)."""
    return urlencode({k: "" if v is None else str(v) for k, v in fields.items()})


def interactivity_body(payload: Mapping[str, Any]) -> str:
    """Interactivity bodies: one form field ``payload`` holding compact JSON."""
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))})


def json_body(payload: Mapping[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"))


# ---------------------------------------------------------------------- slash commands


def slash_command_payload(
    text: str,
    *,
    user_id: str = DEFAULT_USER,
    channel_id: str = DEFAULT_CHANNEL,
    command: str = "/vakt",
    response_url: str | None = None,
    trigger_id: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Fields of ``slash_command.form.json`` with these values replaced (None keeps the sample)."""
    payload: dict[str, str] = sample_payload("slash_command.form.json")
    payload.update(text=text, user_id=user_id, channel_id=channel_id, command=command)
    if response_url is not None:
        payload["response_url"] = response_url
    if trigger_id is not None:
        payload["trigger_id"] = trigger_id
    payload.update(extra or {})
    return payload


def slash_command_body(
    text: str,
    *,
    user_id: str = DEFAULT_USER,
    channel_id: str = DEFAULT_CHANNEL,
    command: str = "/vakt",
    response_url: str | None = None,
    trigger_id: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> str:
    """A slash command request body, form-encoded like Slack."""
    return form_body(
        slash_command_payload(
            text,
            user_id=user_id,
            channel_id=channel_id,
            command=command,
            response_url=response_url,
            trigger_id=trigger_id,
            extra=extra,
        )
    )


# ---------------------------------------------------------------------- interactivity


def block_actions_payload(
    action_id: str,
    value: str | None,
    *,
    user_id: str = DEFAULT_USER,
    channel_id: str = DEFAULT_CHANNEL,
    message_ts: str = "1700000000.000100",
    response_url: str | None = None,
    container: dict[str, Any] | None = None,
    block_id: str | None = None,
    action: Mapping[str, Any] | None = None,
    message: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
    trigger_id: str | None = None,
) -> dict[str, Any]:
    """``interactivity_block_actions.json`` for a click on ``action_id``.

    By default a button in a (non-ephemeral) channel message. ``action`` is merged into the
    action (e.g. ``{"type": "static_select", "selected_option": {...}}``; value None drops
    ``value``); ``message`` adds the clicked message; ``view`` makes it a click inside a modal
    or Home tab (container type ``view``, no channel).
    """
    payload = sample_payload("interactivity_block_actions")
    payload["user"]["id"] = user_id
    if view is not None:
        payload.pop("channel", None)
        payload.pop("response_url", None)
        payload["view"] = view
        payload["container"] = container or {"type": "view", "view_id": view.get("id", "V111")}
    else:
        payload["channel"]["id"] = channel_id
        payload["container"] = container or {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": False,
        }
        if response_url is not None:
            payload["response_url"] = response_url
    if message is not None:
        payload["message"] = message
    if trigger_id is not None:
        payload["trigger_id"] = trigger_id
    clicked: dict[str, Any] = payload["actions"][0]
    clicked["action_id"] = action_id
    if block_id is not None:
        clicked["block_id"] = block_id
    clicked["value"] = value
    clicked.update(action or {})
    if clicked.get("value") is None:
        clicked.pop("value")
    return payload


def block_actions_body(
    action_id: str,
    value: str | None,
    *,
    user_id: str = DEFAULT_USER,
    channel_id: str = DEFAULT_CHANNEL,
    message_ts: str = "1700000000.000100",
    response_url: str | None = None,
    container: dict[str, Any] | None = None,
    block_id: str | None = None,
    action: Mapping[str, Any] | None = None,
    message: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
    trigger_id: str | None = None,
) -> str:
    """A block_actions request body (``payload=<JSON>``)."""
    return interactivity_body(
        block_actions_payload(
            action_id,
            value,
            user_id=user_id,
            channel_id=channel_id,
            message_ts=message_ts,
            response_url=response_url,
            container=container,
            block_id=block_id,
            action=action,
            message=message,
            view=view,
            trigger_id=trigger_id,
        )
    )


def view_submission_payload(
    callback_id: str,
    state_values: dict[str, Any],
    *,
    user_id: str = DEFAULT_USER,
    private_metadata: str = "",
    view_id: str | None = None,
    blocks: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """``interactivity_view_submission.json`` with the modal's callback_id and state.

    ``state_values`` is ``{block_id: {action_id: {"type": ..., "value": ...}}}``.
    """
    payload = sample_payload("interactivity_view_submission")
    payload["user"]["id"] = user_id
    view: dict[str, Any] = payload["view"]
    view["callback_id"] = callback_id
    view["state"] = {"values": state_values}
    view["private_metadata"] = private_metadata
    if view_id is not None:
        view["id"] = view["root_view_id"] = view_id
    if blocks is not None:
        view["blocks"] = blocks
    return payload


def view_submission_body(
    callback_id: str,
    state_values: dict[str, Any],
    *,
    user_id: str = DEFAULT_USER,
    private_metadata: str = "",
    view_id: str | None = None,
    blocks: list[dict[str, Any]] | None = None,
) -> str:
    return interactivity_body(
        view_submission_payload(
            callback_id,
            state_values,
            user_id=user_id,
            private_metadata=private_metadata,
            view_id=view_id,
            blocks=blocks,
        )
    )


def message_action_payload(
    callback_id: str,
    message: dict[str, Any],
    *,
    user_id: str = DEFAULT_USER,
    channel_id: str = DEFAULT_CHANNEL,
    response_url: str | None = None,
) -> dict[str, Any]:
    """``interactivity_message_action.json``: a message shortcut on ``message``."""
    payload = sample_payload("interactivity_message_action")
    payload["callback_id"] = callback_id
    payload["message"] = message
    payload["message_ts"] = message.get("ts", payload["message_ts"])
    payload["user"]["id"] = user_id
    payload["channel"]["id"] = channel_id
    if response_url is not None:
        payload["response_url"] = response_url
    return payload


def message_action_body(
    callback_id: str,
    message: dict[str, Any],
    *,
    user_id: str = DEFAULT_USER,
    channel_id: str = DEFAULT_CHANNEL,
    response_url: str | None = None,
) -> str:
    return interactivity_body(
        message_action_payload(
            callback_id,
            message,
            user_id=user_id,
            channel_id=channel_id,
            response_url=response_url,
        )
    )


def shortcut_payload(callback_id: str, *, user_id: str = DEFAULT_USER) -> dict[str, Any]:
    """``interactivity_shortcut_global.json``: a global shortcut."""
    payload = sample_payload("interactivity_shortcut_global")
    payload["callback_id"] = callback_id
    payload["user"]["id"] = user_id
    return payload


def shortcut_body(callback_id: str, *, user_id: str = DEFAULT_USER) -> str:
    return interactivity_body(shortcut_payload(callback_id, user_id=user_id))


# ---------------------------------------------------------------------- Events API


def event_payload(
    event: dict[str, Any],
    *,
    event_id: str = "Ev0001",
    team_id: str = "T111",
    event_time: int | None = None,
) -> dict[str, Any]:
    """An ``event_callback`` envelope from ``event_message.json`` around ``event``.

    The sample's ``authed_users`` is kept (older shape; current Slack sends
    ``authorizations``: see ``load_sample("event_app_home_opened")``).
    """
    payload = sample_payload("event_message")
    payload["event"] = event
    payload["event_id"] = event_id
    payload["team_id"] = team_id
    if event_time is None:
        stamp = event.get("event_ts") or event.get("ts")
        event_time = int(float(stamp)) if stamp else int(time.time())
    payload["event_time"] = event_time
    return payload


def event_body(
    event: dict[str, Any],
    *,
    event_id: str = "Ev0001",
    team_id: str = "T111",
    event_time: int | None = None,
) -> str:
    """An Events API request body (JSON)."""
    return json_body(
        event_payload(event, event_id=event_id, team_id=team_id, event_time=event_time)
    )


# ---------------------------------------------------------------------- Socket Mode


def socket_mode_envelope(
    payload: dict[str, Any],
    envelope_type: str,
    *,
    envelope_id: str | None = None,
    accepts_response_payload: bool | None = None,
    retry_attempt: int = 0,
    retry_reason: str = "",
) -> dict[str, Any]:
    """Wrap a payload like ``socket_mode_envelopes.json``.

    ``envelope_type``: ``slash_commands``, ``interactive`` or ``events_api``.
    ``accepts_response_payload`` defaults to True for slash commands, view submissions and
    block suggestions, else False.
    """
    if accepts_response_payload is None:
        accepts_response_payload = envelope_type == "slash_commands" or payload.get("type") in (
            "view_submission",
            "block_suggestion",
        )
    envelope: dict[str, Any] = {
        "envelope_id": envelope_id or str(uuid.uuid4()),
        "payload": payload,
        "type": envelope_type,
        "accepts_response_payload": accepts_response_payload,
    }
    if envelope_type == "events_api":
        envelope["retry_attempt"] = retry_attempt
        envelope["retry_reason"] = retry_reason
    return envelope
