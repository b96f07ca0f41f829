"""What the register feature hands the composition root."""

from __future__ import annotations

from bot.register import commands, listeners
from bot.slackkit.feature import Feature

FEATURE = Feature(
    name="register",
    commands=commands.COMMANDS,
    actions=commands.ACTIONS,
    listeners=listeners.register,
)
