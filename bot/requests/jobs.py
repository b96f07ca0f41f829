"""Pending account requests, reminded weekly to whoever must still decide (PG1, NB1)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.kernel.calendar import WorkCalendar
from bot.kernel.config import OrgConfig
from bot.kernel.slots import weekly_slot
from bot.requests.service import weekly_reminders
from bot.slackkit.outbox import Message, enqueue


def request_reminder_job(
    session: Session, config: OrgConfig, calendar: WorkCalendar, now: datetime
) -> list[Message]:
    """On the first working day of the week, from the first reminder time: each decider still
    awaited gets one message listing the requests pending since before this week. Keyed by
    decider and week, so repeated sweeps, restarts and replicas send it once."""
    slot = weekly_slot(calendar, config, now)
    if slot is None:
        return []
    week, day = slot
    messages = weekly_reminders(session, config, calendar, week, day)
    return [m for m in messages if enqueue(session, m, now)]
