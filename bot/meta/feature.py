"""What the platform connector hands the composition root."""

from __future__ import annotations

from bot.meta import jobs, listeners
from bot.slackkit.feature import Feature

FEATURE = Feature(
    name="meta",
    listeners=listeners.register,
    jobs=(("platform_purge", jobs.purge_job),),
)
