"""Keep / Start closure on flags, the closure checklist (issue 5)."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.app import Deps


def register(app: App, deps: Deps) -> None:
    """Wire the listeners."""
