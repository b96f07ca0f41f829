"""What a listener reads from a payload beyond its envelope: the value of the button pressed
and the private_metadata of the form submitted, as Vakt wrote them. Anything else – a value
that is not a text, metadata that is not the JSON object Vakt put there, an id that is not a
plain number – is `Stale`: a button or form Vakt did not make as it is, answered as out of
date rather than acted upon."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from bot.kernel.parse import clean

# An id as Vakt writes it in a button or a form: ASCII digits, within a database integer.
ID = re.compile(r"[0-9]{1,18}")


class Stale(ValueError):
    """A button's value or a form's private_metadata that is not what Vakt wrote."""


def action(body: dict[str, Any]) -> dict[str, Any]:
    """The action pressed (the guard let in only a list of action objects)."""
    pressed = body["actions"][0]
    if not isinstance(pressed, dict):
        raise Stale("the action is not an object")
    return pressed


def value(body: dict[str, Any]) -> str:
    """The pressed button's value, a text as Vakt wrote it."""
    found = action(body).get("value")
    if not isinstance(found, str):
        raise Stale("the button has no text value")
    return found


def number(text: Any) -> int:
    """An id as Vakt writes one into a button's value (or a form's plain metadata)."""
    if not isinstance(text, str) or not ID.fullmatch(text) or int(text) == 0:
        raise Stale("the id is not a number")
    return int(text)


def position(text: Any) -> int:
    """A position in a list (0 or more) as Vakt writes one into a "more" button's value."""
    if not isinstance(text, str) or not ID.fullmatch(text):
        raise Stale("the position is not a number")
    return int(text)


def value_id(body: dict[str, Any]) -> int:
    """The pressed button's value as the id Vakt put there."""
    return number(value(body))


def raw_metadata(body: dict[str, Any]) -> str:
    """A submitted form's private_metadata as it came ("" when there is none)."""
    view = body.get("view")
    found = view.get("private_metadata") if isinstance(view, dict) else None
    if found is not None and not isinstance(found, str):
        raise Stale("private_metadata is not a text")
    return found or ""


def metadata(body: dict[str, Any]) -> dict[str, Any]:
    """A submitted form's private_metadata as the JSON object Vakt wrote ({} when there is
    none), its texts storable."""
    raw = raw_metadata(body)
    if not raw:
        return {}
    try:
        found = json.loads(raw)
    except (ValueError, RecursionError):
        raise Stale("private_metadata is not JSON") from None
    if not isinstance(found, dict):
        raise Stale("private_metadata is not an object")
    return dict(clean(found))


def meta_id(meta: dict[str, Any], key: str) -> int:
    """An id Vakt put in a form's metadata: a JSON integer, as json.dumps wrote it."""
    found = meta.get(key)
    if isinstance(found, bool) or not isinstance(found, int) or not 0 < found < 2**63:
        raise Stale(f"private_metadata has no id {key}")
    return found


def meta_optional_id(meta: dict[str, Any], key: str) -> int | None:
    """An id Vakt may have put in a form's metadata (None: it did not)."""
    return None if meta.get(key) is None else meta_id(meta, key)


def meta_text(meta: dict[str, Any], key: str) -> str:
    """A text Vakt put in a form's metadata."""
    found = meta.get(key)
    if not isinstance(found, str) or not found:
        raise Stale(f"private_metadata has no text {key}")
    return found


# A Slack id (channel, user): upper-case letters and digits.
SLACK_ID = re.compile(r"[A-Z][A-Z0-9]{1,20}")


def meta_slack_id(meta: dict[str, Any], key: str) -> str:
    """A Slack id (a channel's) Vakt put in a form's metadata."""
    found = meta_text(meta, key)
    if not SLACK_ID.fullmatch(found):
        raise Stale(f"private_metadata has no Slack id {key}")
    return found


# A Slack message timestamp: seconds since 1970, a dot, a sequence number ("1700000000.000100").
SLACK_TS = re.compile(r"\d{1,11}(\.\d{1,6})?")


# The latest instant a date-time picker may stand for (the end of year 9999).
LATEST_STAMP = 253_402_300_799


def instant(ts: Any) -> datetime | None:
    """The instant of a Slack message timestamp; None when it is not one."""
    if not isinstance(ts, str) or not SLACK_TS.fullmatch(ts):
        return None
    return datetime.fromtimestamp(float(ts), UTC)


def moment(stamp: Any) -> datetime | None:
    """A date-time picker's value (seconds since 1970) as an instant; None when it is not one."""
    if isinstance(stamp, bool) or not isinstance(stamp, int) or not 0 <= stamp <= LATEST_STAMP:
        return None
    return datetime.fromtimestamp(stamp, UTC)


def text_of(value: Any) -> str | None:
    """A text a form or an event gave, or None when it gave something else."""
    return value if isinstance(value, str) else None


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def form_values(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A modal's submitted state by block, its texts storable; anything not shaped like one is
    no answer."""
    return as_dict(clean(as_dict(as_dict(body.get("view")).get("state")).get("values")))


def message_blocks(message: Any) -> list[dict[str, Any]] | None:
    """The blocks of the message a button was pressed on (None: not blocks Vakt drew)."""
    blocks = as_dict(message).get("blocks")
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        return None
    return blocks


def as_list(value: Any) -> list[Any]:
    """A multi-select's choices; anything but a list (a forged payload) is no choice."""
    return value if isinstance(value, list) else []


def form_field(values: dict[str, dict[str, Any]], block: str) -> dict[str, Any]:
    """The state of the input in `block` (whose action id is the block id), else empty."""
    return dict(as_dict(as_dict(values.get(block)).get(block)))


def form_selected(values: dict[str, dict[str, Any]], block: str) -> str | None:
    value = as_dict(form_field(values, block).get("selected_option")).get("value")
    return str(value) if isinstance(value, str | int) and value else None
