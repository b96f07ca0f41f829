"""What the home feature hands the composition root."""

from __future__ import annotations

from bot.home import listeners
from bot.slackkit.feature import Feature

FEATURE = Feature(
    name="home",
    listeners=listeners.register,
)
