"""The App Home tab: each user's duties in one place, published when it changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.engine import Engine

from bot.config import OrgConfig
from bot.core.calendar import WorkCalendar


class Publisher(Protocol):
    def publish_home(self, user: str, view: dict[str, Any]) -> None: ...


def refresh_homes(
    engine: Engine,
    config: OrgConfig,
    calendar: WorkCalendar,
    publisher: Publisher,
    now: datetime,
) -> int:
    """Publish the home tabs whose content changed; returns how many were published."""
    return 0
