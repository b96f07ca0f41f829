"""What the platform connector hands the composition root."""

from __future__ import annotations

from bot.meta import jobs
from bot.slackkit.feature import Feature

FEATURE = Feature(name="meta", jobs=(("platform_purge", jobs.purge_job),))
