"""What the requests feature hands the composition root."""

from __future__ import annotations

from bot.requests import commands, jobs, listeners
from bot.slackkit.feature import Feature

FEATURE = Feature(
    name="requests",
    commands=commands.COMMANDS,
    listeners=listeners.register,
    jobs=(("requests", jobs.request_reminder_job),),
)
