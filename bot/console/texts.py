"""The console's own words in the organisation's (or `--lang`) language: the `console.*` texts
of the catalogs, as written (a terminal is no Slack: nothing to escape)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from bot.kernel.i18n import LANGUAGES, fmt_week, plain

BABEL = {"nb": "nb_NO", "sv": "sv_SE", "en": "en_GB"}


def tr(lang: str, key: str, /, **params: Any) -> str:
    """The console text `key` (without its `console.` section) in `lang`."""
    return plain(lang if lang in LANGUAGES else "en", f"console.{key}", **params)


def short_moment(instant: datetime, tz: ZoneInfo, lang: str, *, year: bool = False) -> str:
    """Mon 23 Nov 09:05 / mån 23 nov. 09:05 / man. 23 nov. 09:05 (with the year when asked)."""
    pattern = "EEE d MMM y HH:mm" if year else "EEE d MMM HH:mm"
    return format_datetime(instant.astimezone(tz), pattern, locale=BABEL.get(lang, "en_GB"))


def when_text(instant: datetime, tz: ZoneInfo, lang: str = "en") -> str:
    """Mon 23 Nov 2026 09:05 (week 48)."""
    local = instant.astimezone(tz)
    week = fmt_week(local.date(), lang).split()[-1]
    return tr(lang, "when", moment=short_moment(local, tz, lang, year=True), week=week)
