"""Listeners of issue 7 (report)."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.app import Deps


def register(app: App, deps: Deps) -> None:
    """Wire the listeners."""
