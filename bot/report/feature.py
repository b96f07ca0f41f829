"""What the report feature hands the composition root."""

from __future__ import annotations

from bot.report import commands, jobs
from bot.slackkit.feature import Feature

FEATURE = Feature(
    name="report",
    commands=commands.COMMANDS,
    jobs=(("report", jobs.weekly_report_job),),
)
