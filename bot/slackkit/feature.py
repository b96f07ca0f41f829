"""What a feature hands the composition root: its `/vakt` subcommands, its listeners, its
scheduled jobs and the Events API messages and reactions it takes.

`bot.runtime.FEATURES` lists one `Feature` per folder; adding a feature is adding a folder and
its line there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_bolt import App
from sqlmodel import Session

from bot.kernel.calendar import WorkCalendar
from bot.kernel.config import OrgConfig
from bot.slackkit.deps import Deps, FinalSnapshotHook
from bot.slackkit.outbox import Message
from bot.slackkit.router import Action, Command

# A scheduled job: what is due at `now`, recorded in the session; the messages it recorded.
Job = Callable[[Session, OrgConfig, WorkCalendar, datetime], list[Message]]
# Takes an Events API event (True, or an id: taken) or leaves it to the next handler.
EventHandler = Callable[[Deps, dict[str, Any], dict[str, Any]], object]


@dataclass(frozen=True)
class OnEvent:
    """An Events API handler; handlers run by ascending `precedence` until one takes it."""

    handle: EventHandler
    precedence: int


@dataclass(frozen=True)
class Feature:
    name: str
    commands: tuple[Command, ...] = ()
    actions: tuple[Action, ...] = ()
    listeners: Callable[[App, Deps], None] | None = None
    # Run by every sweep, in the order of the features, each by a stable name.
    jobs: tuple[tuple[str, Job], ...] = ()
    messages: OnEvent | None = None
    reactions: OnEvent | None = None
    on_final_snapshot: FinalSnapshotHook | None = None
