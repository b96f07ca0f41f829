"""The weekly flags: inactive accounts, accounts past their end date, rota coverage
(stub: issue 5)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.config import OrgConfig
from bot.core.calendar import WorkCalendar
from bot.services.outbox import Message


def flag_job(
    session: Session, config: OrgConfig, calendar: WorkCalendar, now: datetime
) -> list[Message]:
    """Raise, raise again after a quiet period, or resolve each account's flags."""
    return []
