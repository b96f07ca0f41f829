"""What the activity feature hands the composition root."""

from __future__ import annotations

from bot.activity import commands, jobs, listeners
from bot.slackkit.feature import Feature, OnEvent

FEATURE = Feature(
    name="activity",
    commands=commands.COMMANDS,
    listeners=listeners.register,
    jobs=(("activity", jobs.activity_job), ("volume", jobs.volume_job)),
    # A post mirrored into an account's feed channel, before the items see it.
    messages=OnEvent(listeners.handle_feed_message, precedence=20),
)
