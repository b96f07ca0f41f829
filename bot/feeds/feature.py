"""What the feeds feature hands the composition root."""

from __future__ import annotations

from bot.feeds import commands
from bot.slackkit.feature import Feature

FEATURE = Feature(
    name="feeds",
    commands=commands.COMMANDS,
)
