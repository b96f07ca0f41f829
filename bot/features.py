"""The features Vakt is made of, in the order their jobs run and their listeners are wired.

A feature is a folder under bot/ with a `feature.py`; adding one is adding its line here.
"""

from __future__ import annotations

from bot.activity.feature import FEATURE as activity
from bot.archive.feature import FEATURE as archive
from bot.feeds.feature import FEATURE as feeds
from bot.home.feature import FEATURE as home
from bot.items.feature import FEATURE as items
from bot.lifecycle.feature import FEATURE as lifecycle
from bot.meta.feature import FEATURE as meta
from bot.register.feature import FEATURE as register
from bot.report.feature import FEATURE as report
from bot.requests.feature import FEATURE as requests
from bot.rota.feature import FEATURE as rota
from bot.slackkit.feature import Feature

FEATURES: tuple[Feature, ...] = (
    rota,
    feeds,
    items,
    meta,
    archive,
    register,
    requests,
    activity,
    lifecycle,
    report,
    home,
)
