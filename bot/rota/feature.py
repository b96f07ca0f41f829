"""What the rota feature hands the composition root."""

from __future__ import annotations

from bot.rota import commands, jobs, listeners
from bot.slackkit.feature import Feature

FEATURE = Feature(
    name="rota",
    commands=commands.COMMANDS,
    actions=commands.ACTIONS,
    listeners=listeners.register,
    jobs=(("handover", jobs.handover_job), ("gaps", jobs.gap_job)),
)
