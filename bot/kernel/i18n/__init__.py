"""Message catalogs (nb, sv, en) and Nordic date formatting.

Catalogs are TOML files beside this module (`en.toml`, and one file per feature in `en/`);
`[section] key = "text {placeholder}"` is looked up as "section.key". A test keeps the three
catalogs' keys and placeholders identical.

Catalog texts are written as people read them: `/vakt away <from> [<to>]` means the angle
brackets. `t` gives a text as Slack mrkdwn, where `&`, `<` and `>` are markup, so the catalog's
own are escaped (`&lt;from&gt;`); the only markup a catalog text may carry on purpose is a
mention or channel filled in from a placeholder, `<@{user}>` and `<#{channel}>`. Values are put
in as given: callers escape what people wrote (`bot.rota.blocks.escape`). `plain` gives the
text as written, for Slack's plain_text fields (buttons, headers, modal titles, input labels and
errors) and for everything that is not Slack (files, calendars, web pages, charts).

A text that depends on a number is a table of CLDR plural forms,
`key = { one = "{count} question", other = "{count} questions" }`: `t(lang, key, count=n)`
picks the form Babel's plural rule for the language gives `n` (in nb, sv and en: "one" for 1,
"other" for 0, 2 and 21). The forms are kept as `key.one`, `key.other`, so every check of a
text holds for each form.
"""

from __future__ import annotations

import re
import string
import tomllib
from datetime import date, datetime, time, timedelta, tzinfo
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_time

LANGUAGES = ("nb", "sv", "en")
CATALOG_DIR = Path(__file__).parent
# CLDR's plural categories: a table of only these (with "other") is one text's forms.
PLURAL_FORMS = ("zero", "one", "two", "few", "many", "other")


def is_plural(value: object) -> bool:
    """Whether a catalog table is one text's plural forms rather than a section."""
    return (
        isinstance(value, dict)
        and "other" in value
        and set(value) <= set(PLURAL_FORMS)
        and all(isinstance(form, str) for form in value.values())
    )


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            # A section's texts, or one text's plural forms (as `key.one`, `key.other`).
            flat.update(_flatten(value, f"{full}."))
        else:
            flat[full] = str(value)
    return flat


def _plural_keys(table: dict[str, Any], prefix: str = "") -> set[str]:
    found: set[str] = set()
    for key, value in table.items():
        if is_plural(value):
            found.add(f"{prefix}{key}")
        elif isinstance(value, dict):
            found |= _plural_keys(value, f"{prefix}{key}.")
    return found


@cache
def catalog(lang: str) -> dict[str, str]:
    """All texts of one language, by dotted key: `<lang>.toml` and `<lang>/*.toml` together
    (a key defined twice is an error, not a silent override)."""
    files = [CATALOG_DIR / f"{lang}.toml", *sorted((CATALOG_DIR / lang).glob("*.toml"))]
    texts: dict[str, str] = {}
    for path in files:
        with path.open("rb") as fh:
            part = _flatten(tomllib.load(fh))
        twice = sorted(set(part) & set(texts))
        if twice:
            raise ValueError(f"{path.name}: {twice[0]!r} is defined in another catalog file too")
        texts.update(part)
    return texts


@cache
def plural_texts(lang: str) -> frozenset[str]:
    """The keys of the texts that have plural forms (`key`, whose forms are `key.one` ...)."""
    found: set[str] = set()
    for path in [CATALOG_DIR / f"{lang}.toml", *sorted((CATALOG_DIR / lang).glob("*.toml"))]:
        with path.open("rb") as fh:
            found |= _plural_keys(tomllib.load(fh))
    return frozenset(found)


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(_BABEL.get(lang, "en_GB"))


def plural_form(lang: str, count: float) -> str:
    """The CLDR plural category of `count` in `lang`: "one" or "other" in nb, sv and en."""
    return _plural_form(lang, abs(count))


@lru_cache(maxsize=4096, typed=True)  # 1 and 1.0 apart, as Babel may tell them apart
def _plural_form(lang: str, count: float) -> str:
    # Cached: Babel evaluates the CLDR rule anew each time, and a list of 20 items asks it for
    # the same few counts dozens of times (a few per cent of a busy worker's CPU).
    return str(_locale(lang).plural_form(count))


def plural_forms_needed(lang: str) -> frozenset[str]:
    """The forms a plural text must have in `lang`: its rule's categories and "other"."""
    return frozenset(_locale(lang).plural_form.tags | {"other"})


def placeholders(text: str) -> set[str]:
    """The `{name}` placeholders a text uses."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


# A mention or channel from a placeholder is kept as markup; a placeholder (with its format
# spec) and escaped braces are left to str.format; any other &, < or > is text.
_MARKUP = re.compile(r"<[@#]\{\w+\}>|\{\{|\}\}|\{[^{}]*\}|([&<>])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def _as_mrkdwn(template: str) -> str:
    """A catalog template with its own `&`, `<` and `>` escaped for Slack mrkdwn, keeping
    `<@{user}>` / `<#{channel}>` and the placeholders."""
    return _MARKUP.sub(lambda m: _ENTITIES[m.group(1)] if m.group(1) else m.group(0), template)


@cache
def _mrkdwn_catalog(lang: str) -> dict[str, str]:
    return {key: _as_mrkdwn(text) for key, text in catalog(lang).items()}


def _form(lang: str, key: str, params: dict[str, Any]) -> str:
    """`key` itself, or for a text with plural forms the form `count` takes in `lang`."""
    if key not in plural_texts(lang) and key not in plural_texts("en"):
        return key
    if "count" not in params:
        raise KeyError(f"the text {key!r} has plural forms: give it a count")
    return f"{key}.{plural_form(lang, params['count'])}"


def _template(
    lang: str, texts: dict[str, str], fallback: dict[str, str], key: str, params: dict[str, Any]
) -> str:
    form = _form(lang, key, params)
    template = texts.get(form)
    if not template and form != key:
        template = texts.get(f"{key}.other")
    template = template or fallback.get(_form("en", key, params))
    if template is None:
        raise KeyError(f"no text {key!r} in the catalogs")
    return template


def t(lang: str, key: str, /, **params: Any) -> str:
    """The text for `key` in `lang` (falling back to English) as Slack mrkdwn, with
    placeholders filled in (values as given: escape what people wrote before passing it).
    A text with plural forms takes the form for `count`."""
    lang = lang if lang in LANGUAGES else "en"
    template = _template(lang, _mrkdwn_catalog(lang), _mrkdwn_catalog("en"), key, params)
    return template.format(**params) if params else template


def plain(lang: str, key: str, /, **params: Any) -> str:
    """The text for `key` in `lang` as written, for Slack's plain_text fields and for files,
    calendars and web pages (which escape in their own way)."""
    lang = lang if lang in LANGUAGES else "en"
    template = _template(lang, catalog(lang), catalog("en"), key, params)
    return template.format(**params) if params else template


def language_of_locale(locale: str | None, default: str) -> str:
    """Our language for a Slack locale such as "nb-NO", "sv-SE" or "en-GB"."""
    if not locale:
        return default
    head = locale.replace("_", "-").split("-")[0].lower()
    if head in ("nb", "no", "nn"):
        return "nb"
    if head == "sv":
        return "sv"
    if head == "en":
        return "en"
    return default


_BABEL = {"nb": "nb_NO", "sv": "sv_SE", "en": "en_GB"}


# Babel parses its pattern and looks up the locale's data for every call: a page of twenty items
# formats forty dates and times, mostly the same few days. Pure functions of their arguments.
@lru_cache(maxsize=4096)
def fmt_date(day: date, lang: str, *, weekday: bool = True, year_unless: int | None = None) -> str:
    """ "tirsdag 24. desember" / "tisdag 24 december" / "Tuesday 24 December"; with the year
    ("fredag 1. mars 2019") when `year_unless` is given and is another year."""
    pattern = "EEEE d. MMMM" if lang == "nb" else "EEEE d MMMM"
    if not weekday:
        pattern = pattern.removeprefix("EEEE ")
    if year_unless is not None and day.year != year_unless:
        pattern += " y"
    return format_date(day, pattern, locale=_BABEL.get(lang, "en_GB"))


def fmt_short_date(day: date, lang: str) -> str:
    """ "24.12." / "24/12" / "24 Dec" – compact dates for lists."""
    if lang == "nb":
        return f"{day.day}.{day.month}."
    if lang == "sv":
        return f"{day.day}/{day.month}"
    return format_date(day, "d MMM", locale="en_GB")


def fmt_time(moment: time | datetime, lang: str) -> str:
    """24-hour clock, "08:00", as Nordic offices write it."""
    return _clock(moment.hour, moment.minute, lang)


@lru_cache(maxsize=4096)
def _clock(hour: int, minute: int, lang: str) -> str:
    return format_time(time(hour, minute), "HH:mm", locale=_BABEL.get(lang, "en_GB"))


def fmt_week(day: date, lang: str) -> str:
    """The ISO week of a date: "uke 51" / "vecka 51" / "week 51"."""
    return t(lang, "common.week", week=day.isocalendar().week)


def fmt_range(start: date, end: date, lang: str) -> str:
    """A date range, compact when it is one day."""
    if start == end:
        return fmt_date(start, lang)
    return f"{fmt_date(start, lang)} – {fmt_date(end, lang)}"


def fmt_moment(instant: datetime, tz: tzinfo, lang: str) -> str:
    """An instant in the organisation's zone: "mandag 23. november 16:00"."""
    local = instant.astimezone(tz)
    return f"{fmt_date(local.date(), lang)} {fmt_time(local, lang)}"


def fmt_duration(span: timedelta, lang: str) -> str:
    """Working time as "3 t 20 min" / "3 tim 20 min" / "3 h 20 min"."""
    minutes = round(span.total_seconds() / 60)
    hours, minutes = divmod(minutes, 60)
    if hours == 0:
        return t(lang, "common.minutes", minutes=minutes)
    return t(lang, "common.hours_minutes", hours=hours, minutes=minutes)


def fmt_working_days(days: int, lang: str) -> str:
    """A number of working days: "1 virkedag" / "2 arbetsdagar" / "21 working days"."""
    return t(lang, "common.working_days", count=days)
