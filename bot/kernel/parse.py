"""Reading what people type after `/vakt`: dates, ISO weeks, mentions, in nb, sv and en.

Pure: `today` is an argument. Errors carry a catalog key so the Slack edge can answer in the
reader's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from bot.kernel.errors import UserInputError

# Words people write for today, tomorrow and yesterday in the three languages.
TODAY = {"today", "idag", "i dag"}
TOMORROW = {"tomorrow", "imorgon", "i morgon", "imorgen", "i morgen"}
YESTERDAY = {"yesterday", "igår", "i går", "igar", "i gar"}
WEEK_WORDS = {"v", "v.", "uke", "veke", "vecka", "veckan", "week", "w", "wk", "uge", "viikko"}

USER_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
CHANNEL_MENTION = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")
RAW_USER = re.compile(r"^([UW][A-Z0-9]{6,})$")
RAW_CHANNEL = re.compile(r"^([CG][A-Z0-9]{6,})$")
ISO_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
NORDIC_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.?(\d{4})?$")
ISO_WEEK = re.compile(r"^(\d{4})-?w(\d{1,2})$", re.IGNORECASE)
GLUED_WEEK = re.compile(r"^(?:v|w|uke|vecka|week)\.?(\d{1,2})$", re.IGNORECASE)


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date
    is_week: bool = False


def clean_text(text: str) -> str:
    """Text as it can be stored and sent on: without NUL characters (PostgreSQL's text refuses
    them) and with any lone surrogate (JSON's "\\ud800", never valid UTF-8) replaced by U+FFFD."""
    text = text.replace("\x00", "")
    if not text.isascii() and any("\ud800" <= c <= "\udfff" for c in text):
        text = "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text)
    return text


def clean(value: Any) -> Any:
    """`clean_text` on every text in JSON-like data (a request body, a form's state), keys too."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def tokens(text: str) -> list[str]:
    """Split command text into words, keeping Slack's escaped mentions whole."""
    return re.findall(r"<[^>]+>|\S+", clean_text(text).replace("\u00a0", " "))


def week_range(year: int, week: int) -> DateRange:
    """Monday to Sunday of an ISO week."""
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise UserInputError("error.bad_week", value=f"{week}") from None
    return DateRange(monday, monday + timedelta(days=6), is_week=True)


def _next_week_numbered(week: int, today: date) -> DateRange:
    year = today.isocalendar().year
    if not 1 <= week <= 53:
        raise UserInputError("error.bad_week", value=str(week))
    for candidate in (year, year + 1):
        try:
            found = week_range(candidate, week)
        except UserInputError:
            continue
        if found.end >= today:
            return found
    raise UserInputError("error.bad_week", value=str(week))


def parse_when(words: list[str], at: int, today: date) -> tuple[DateRange, int] | None:
    """Read one date or week at position `at`; returns it and the number of words used."""
    if at >= len(words):
        return None
    word = words[at].lower().rstrip(",")
    pair = f"{word} {words[at + 1].lower()}" if at + 1 < len(words) else ""
    if pair in TODAY:
        return DateRange(today, today), 2
    if pair in TOMORROW:
        return DateRange(today + timedelta(days=1), today + timedelta(days=1)), 2
    if pair in YESTERDAY:
        return DateRange(today - timedelta(days=1), today - timedelta(days=1)), 2
    if word in TODAY:
        return DateRange(today, today), 1
    if word in TOMORROW:
        return DateRange(today + timedelta(days=1), today + timedelta(days=1)), 1
    if word in YESTERDAY:
        return DateRange(today - timedelta(days=1), today - timedelta(days=1)), 1
    if word in WEEK_WORDS and at + 1 < len(words) and words[at + 1].isdigit():
        week = int(words[at + 1])
        if at + 2 < len(words) and re.fullmatch(r"\d{4}", words[at + 2]):
            return week_range(int(words[at + 2]), week), 3
        return _next_week_numbered(week, today), 2
    match = GLUED_WEEK.match(word)
    if match:
        week = int(match.group(1))
        if at + 1 < len(words) and re.fullmatch(r"\d{4}", words[at + 1]):
            return week_range(int(words[at + 1]), week), 2
        return _next_week_numbered(week, today), 1
    match = ISO_WEEK.match(word)
    if match:
        return week_range(int(match.group(1)), int(match.group(2))), 1
    if ISO_DATE.match(word):
        try:
            day = date.fromisoformat("-".join(part.zfill(2) for part in word.split("-")))
        except ValueError:
            raise UserInputError("error.bad_date", value=words[at]) from None
        return DateRange(day, day), 1
    match = NORDIC_DATE.match(word)
    if match:
        day_n, month_n = int(match.group(1)), int(match.group(2))
        year_n = int(match.group(3)) if match.group(3) else today.year
        try:
            day = date(year_n, month_n, day_n)
        except ValueError:
            raise UserInputError("error.bad_date", value=words[at]) from None
        if not match.group(3) and day < today:
            day = day.replace(year=day.year + 1)
        return DateRange(day, day), 1
    return None


def looks_like_date(word: str) -> bool:
    """True for words that were probably meant as a date but could not be read."""
    return bool(re.match(r"^\d", word)) and not word.isdigit()


def parse_range(words: list[str], at: int, today: date) -> tuple[DateRange, int]:
    """A `<from> [<to>]` range starting at `at`; a week alone means Monday to Sunday."""
    first = parse_when(words, at, today)
    if first is None:
        if at < len(words) and looks_like_date(words[at]):
            raise UserInputError("error.bad_date", value=words[at])
        raise UserInputError("error.missing_date")
    start_range, used = first
    second = parse_when(words, at + used, today)
    if second is None:
        if at + used < len(words) and looks_like_date(words[at + used]):
            raise UserInputError("error.bad_date", value=words[at + used])
        return start_range, used
    end_range, used2 = second
    return DateRange(start_range.start, end_range.end), used + used2


def user_id(word: str) -> str | None:
    """The Slack user id of a mention (`<@U123|anna>`), or None."""
    match = USER_MENTION.match(word) or RAW_USER.match(word)
    return match.group(1) if match else None


def channel_id(word: str) -> str | None:
    """The Slack channel id of a channel mention (`<#C123|general>`), or None."""
    match = CHANNEL_MENTION.match(word) or RAW_CHANNEL.match(word)
    return match.group(1) if match else None
