"""Pending account requests, reminded weekly to whoever must decide (stub: issue 5)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.config import OrgConfig
from bot.core.calendar import WorkCalendar
from bot.services.outbox import Message


def request_reminder_job(
    session: Session, config: OrgConfig, calendar: WorkCalendar, now: datetime
) -> list[Message]:
    """Remind the deciders of requests still pending, once a week."""
    return []
