"""The weekly report: Monday at the first office hour, to the coordinators and each manager."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.config import OrgConfig
from bot.core.calendar import WorkCalendar
from bot.services.outbox import Message


def weekly_report_job(
    session: Session, config: OrgConfig, calendar: WorkCalendar, now: datetime
) -> list[Message]:
    """Record this week's report once, when its first office hour has come."""
    return []
