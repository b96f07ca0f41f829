"""What the lifecycle feature hands the composition root."""

from __future__ import annotations

from bot.lifecycle import commands, jobs, listeners
from bot.slackkit.feature import Feature

FEATURE = Feature(
    name="lifecycle",
    commands=commands.COMMANDS,
    actions=commands.ACTIONS,
    listeners=listeners.register,
    jobs=(("flags", jobs.flag_job),),
    on_final_snapshot=listeners.on_final_snapshot,
)
