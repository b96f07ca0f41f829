"""What the archive feature hands the composition root."""

from __future__ import annotations

from bot.archive import commands, jobs, listeners
from bot.slackkit.feature import Feature, OnEvent

FEATURE = Feature(
    name="archive",
    commands=commands.COMMANDS,
    listeners=listeners.register,
    jobs=(
        ("deletions", jobs.deletion_job),
        ("snapshots", jobs.snapshot_job),
        ("review", jobs.review_job),
    ),
    # Files in a checklist's thread, and a wastebasket on a question, before the items see them.
    messages=OnEvent(listeners.handle_thread_files, precedence=10),
    reactions=OnEvent(listeners.on_reaction, precedence=10),
)
