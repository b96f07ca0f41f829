"""Every text exists in nb, sv and en with the same placeholders, formats, and reads in Slack as
it is written."""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path

import pytest

from bot.kernel.i18n import (
    LANGUAGES,
    catalog,
    fmt_date,
    fmt_week,
    language_of_locale,
    placeholders,
    plain,
    t,
)
from tests.mrkdwn import problems

ROOT = Path(__file__).resolve().parents[2]


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


# What the code puts into the placeholders: people and channels as Slack markup (by id inside
# the catalog's own `<@{user}>` / `<#{channel}>`), a linked account name, the rest plain words
# (escaped by the caller when people wrote them).
MENTIONS = {"who", "primary", "substitute", "members", "manager", "requester", "counterpart"}
SAMPLES = {
    "channel": "<#C0TEAM1>",
    "account": "<https://www.facebook.com/testrud?a=1&amp;b=2|Testrud kommune>",
    "url": "https://www.facebook.com/testrud?a=1&amp;b=2",
    "name": "Kultur &amp; fritid",
}


def sample_params(template: str) -> dict[str, str]:
    """Plausible values for a text's placeholders, the way the code fills them in."""
    inside = {
        name: ("C0TEAM1" if kind == "#" else "U0ANNA")
        for kind, name in re.findall(r"<([@#])\{(\w+)\}>", template)
    }
    return {
        name: inside.get(name)
        or SAMPLES.get(name)
        or ("<@U0BO>" if name in MENTIONS else "Testrud 3")
        for name in placeholders(template)
    }


def decoded(text: str) -> str:
    """The three entities Slack decodes, decoded."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def test_the_checker_finds_what_slack_would_misread() -> None:
    assert problems("`/vakt swap @colleague <week | from to>`")
    assert problems("Kultur & fritid") and problems("a &copy; b") and problems("5 > 3")
    assert problems("a < b")
    assert problems("> a quote", quotes=False)
    meant = "<@U0ANNA> in <#C0TEAM1|komm> &amp; <https://x.no/?a=1&amp;b=2|x &lt;y&gt;>"
    assert problems(f"{meant}\n> a quote <!here> <!date^1795421100^{{date}}|23 Nov>") == []


def test_t_is_mrkdwn_and_plain_is_the_text_as_written() -> None:
    assert "`/vakt swap @colleague &lt;week | from to&gt;`" in t("en", "usage.swap")
    assert "`/vakt swap @colleague <week | from to>`" in plain("en", "usage.swap")
    assert t("en", "away.none", user="U0ANNA").startswith("<@U0ANNA> has no absences")
    assert t("en", "rota.header", team="A &amp; B") == plain("en", "rota.header", team="A &amp; B")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_text_reads_in_slack_as_written(lang: str) -> None:
    # A catalog's own &, < and > are text (`<from>` in a usage line), escaped once for mrkdwn;
    # only `<@{...}>` / `<#{...}>` are markup. A catalog never opens a quote: code quotes what
    # people wrote, and a `>` written in a catalog is shown as it is.
    found = []
    for key, template in catalog(lang).items():
        params = sample_params(template)
        text = t(lang, key, **params)
        found += [f"{lang}:{key}: {problem}" for problem in problems(text, quotes=False)]
        # Escaped once: what Slack shows (entities decoded) is the text as written.
        assert decoded(text) == decoded(plain(lang, key, **params)), f"{lang}:{key}"
    assert found == []


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
