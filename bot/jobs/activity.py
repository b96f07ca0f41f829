"""The weekly activity message per team, and the posting-volume notices (stub: issue 5)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.config import OrgConfig
from bot.core.calendar import WorkCalendar
from bot.services.outbox import Message


def activity_job(
    session: Session, config: OrgConfig, calendar: WorkCalendar, now: datetime
) -> list[Message]:
    """Each team's accounts and their last posts, once a week."""
    return []


def volume_job(
    session: Session, config: OrgConfig, calendar: WorkCalendar, now: datetime
) -> list[Message]:
    """More posts than an account's limit this week or today: the team is told once."""
    return []
