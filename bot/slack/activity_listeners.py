"""Posts from a published feed channel and the Posted button (issue 5)."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.slack.app import Deps


def register(app: App, deps: Deps) -> None:
    """Wire the listeners."""


def handle_feed_message(deps: Deps, body: dict[str, Any], event: dict[str, Any]) -> bool:
    """A message in an account's published feed channel counts as a post of the account.
    True when the channel was a feed (the message needs nothing more)."""
    return False
