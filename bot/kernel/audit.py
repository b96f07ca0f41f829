"""The audit log: who changed what, when, and the state before and after."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.store.models import AuditLog


def audit(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str,
    now: datetime,
    before: Any = None,
    after: Any = None,
) -> None:
    """Record a change: who, what, when, and the state before and after."""
    session.add(
        AuditLog(
            at=now,
            actor=actor,
            action=action,
            target=target,
            before=None if before is None else json.dumps(before, default=str, sort_keys=True),
            after=None if after is None else json.dumps(after, default=str, sort_keys=True),
        )
    )
