"""Every text exists in nb, sv and en with the same placeholders, and formats."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest

from bot.i18n import LANGUAGES, catalog, fmt_date, fmt_week, language_of_locale, placeholders, t

ROOT = Path(__file__).resolve().parents[1]


def test_same_keys_in_every_catalog() -> None:
    keys = {lang: set(catalog(lang)) for lang in LANGUAGES}
    for lang in LANGUAGES:
        assert keys[lang] == keys["en"], (
            f"{lang}: missing {keys['en'] - keys[lang]}, extra {keys[lang] - keys['en']}"
        )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_same_placeholders_and_formattable(lang: str) -> None:
    for key, text in catalog(lang).items():
        assert placeholders(text) == placeholders(catalog("en")[key]), f"{lang}:{key}"
        text.format(**dict.fromkeys(placeholders(text), "x"))


ERRORS = {"UserInputError", "NotAllowed", "NotFound", "Conflict", "VaktError"}


def _keys_used_in_code() -> set[str]:
    """Literal catalog keys passed to t(lang, key), plain(lang, key) or to a domain error in
    bot/."""
    used: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            index = 1 if name in ("t", "plain") else 0 if name in ERRORS else None
            if index is None or len(node.args) <= index:
                continue
            arg = node.args[index]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                used.add(arg.value)
    return used


def test_every_key_used_in_code_exists() -> None:
    missing = sorted(k for k in _keys_used_in_code() if k not in catalog("en"))
    assert missing == []


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("nb-NO", "nb"),
        ("no-NO", "nb"),
        ("nn-NO", "nb"),
        ("sv-SE", "sv"),
        ("en-GB", "en"),
        ("de-DE", "sv"),
        (None, "sv"),
    ],
)
def test_language_of_locale(locale: str | None, expected: str) -> None:
    assert language_of_locale(locale, "sv") == expected


def test_nordic_dates_and_iso_weeks() -> None:
    assert fmt_date(date(2026, 12, 24), "nb") == "torsdag 24. desember"
    assert fmt_date(date(2026, 12, 24), "sv") == "torsdag 24 december"
    assert fmt_week(date(2026, 12, 28), "nb") == "uke 53"
    assert fmt_week(date(2027, 1, 4), "sv") == "vecka 1"
    assert t("en", "common.week", week=51) == "week 51"
