"""The lifecycle's messages, built from the service's views: a flag as its recipients see it,
a closure's checklist, and the note when a closure finished on its own."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from bot.kernel.calendar import WorkCalendar
from bot.lifecycle import blocks as lb
from bot.slackkit import blocks as kit

if TYPE_CHECKING:
    from bot.lifecycle.service import ClosureView, FlagView


def flag(lang: str, view: FlagView, today: date) -> tuple[str, list[dict[str, Any]]]:
    """A flag: what is wrong, since when, and Keep / Start closure (or who did what)."""
    return lb.flag_message(lang, view, today)


def checklist(
    lang: str, view: ClosureView, calendar: WorkCalendar
) -> tuple[str, list[dict[str, Any]]]:
    """A closure's checklist as it should look now."""
    return lb.checklist(lang, view, calendar)


def closed_note(lang: str, view: ClosureView) -> tuple[str, list[dict[str, Any]]]:
    """The note in a checklist's thread when the closure finished on its own."""
    text = lb.closed_note(lang, view)
    return text, kit.text_blocks(text)
