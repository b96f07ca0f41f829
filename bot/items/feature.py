"""What the items feature hands the composition root."""

from __future__ import annotations

from bot.items import commands, jobs, listeners
from bot.slackkit.feature import Feature, OnEvent

FEATURE = Feature(
    name="items",
    commands=commands.COMMANDS,
    listeners=listeners.register,
    jobs=(("reminders", jobs.reminder_job), ("retention", jobs.retention_job)),
    # Whatever no other feature took: a question in an intake channel, an answer's reaction.
    messages=OnEvent(listeners.handle_message, precedence=100),
    reactions=OnEvent(listeners.handle_reaction, precedence=100),
)
