"""The weekly flags: inactive accounts, accounts past their end date, rota coverage (NB3, NB7,
VT4).

New flags are raised at the weekly slot (the first working day of the ISO week, from the first
reminder time, in office hours), so a condition that arises on a Tuesday is raised the next
week. A kept flag whose quiet period is over is raised again at the first daily slot on or
after its end – kept quiet for the chosen period and no longer – and a flag whose condition no
longer holds is resolved then too. Every message is keyed per flag, raise and recipient in the
outbox, so a second sweep, a restart or a second replica sends nothing twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.kernel.calendar import WorkCalendar
from bot.kernel.config import OrgConfig
from bot.kernel.slots import daily_slot, weekly_slot
from bot.lifecycle import service as lifecycle
from bot.slackkit.outbox import Message


def flag_job(
    session: Session, config: OrgConfig, calendar: WorkCalendar, now: datetime
) -> list[Message]:
    """Raise, raise again after a quiet period, or resolve each account's flags; and finish
    closures whose final snapshot arrived after the last press."""
    if daily_slot(calendar, config, now) is None:
        return []
    weekly = weekly_slot(calendar, config, now) is not None
    messages = lifecycle.sweep_flags(session, config, calendar, now, raise_new=weekly)
    return messages + lifecycle.finish_ready(session, config, calendar, now)
