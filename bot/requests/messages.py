"""The requests' messages, built from the service's views: a request's card for each decider,
the requester's answer and the weekly reminder; and which requests a sent message shows."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, tzinfo
from typing import TYPE_CHECKING, Any

from bot.requests import blocks as rb
from bot.slackkit import blocks as kit

if TYPE_CHECKING:
    from bot.requests.service import RequestView


def card(lang: str, tz: tzinfo, view: RequestView, *, buttons: bool) -> tuple[str, list[Any]]:
    """A request's card for one decider (with Approve / Decline when it awaits them)."""
    return rb.card(lang, tz, view, buttons=buttons)


def outcome(lang: str, view: RequestView) -> tuple[str, list[dict[str, Any]]]:
    """What the requester is told of the decision."""
    text = rb.outcome(lang, view)
    return text, kit.text_blocks(text)


def reminder(
    lang: str, tz: tzinfo, day: date, views: Sequence[RequestView]
) -> tuple[str, list[dict[str, Any]]]:
    """The weekly reminder to one decider."""
    return rb.reminder(lang, tz, day, views)


def request_ids(blocks: str | None) -> set[int]:
    """The requests a recorded reminder lists: the values of its buttons."""
    found: set[int] = set()
    for block in json.loads(blocks or "[]"):
        for element in block.get("elements") or []:
            if element.get("action_id") in rb.BUTTONS and str(element.get("value", "")).isdigit():
                found.add(int(element["value"]))
    return found
