"""The connector's scheduled part that needs no network: purging what is no longer needed.
(Reading the platforms is the sweep's `platforms` step: bot.meta.connector.Connector.cycle.)"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.kernel.calendar import WorkCalendar
from bot.kernel.config import OrgConfig
from bot.meta import service
from bot.slackkit.outbox import Message


def purge_job(
    session: Session, config: OrgConfig, calendar: WorkCalendar, now: datetime
) -> list[Message]:
    """Captures of questions closed otherwise than deleted go with their excerpt
    (`[items] retention_days`); changes taken go after a week."""
    service.purge(session, config.items.retention_days, now)
    return []
