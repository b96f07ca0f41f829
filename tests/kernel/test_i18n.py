"""Every text exists in nb, sv and en with the same placeholders, formats, and reads in Slack as
it is written."""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path

import pytest
from babel import Locale
from hypothesis import given
from hypothesis import strategies as st

from bot.kernel.i18n import (
    LANGUAGES,
    catalog,
    fmt_date,
    fmt_week,
    fmt_working_days,
    language_of_locale,
    placeholders,
    plain,
    plural_form,
    plural_forms_needed,
    plural_texts,
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
    known = set(catalog("en")) | plural_texts("en")
    missing = sorted(k for k in _keys_used_in_code() if k not in known)
    assert missing == []


# ---------------------------------------------------------------- plurals

COUNTS = (0, 1, 2, 21)
WORKING_DAYS = {
    "en": ("0 working days", "1 working day", "2 working days", "21 working days"),
    "nb": ("0 virkedager", "1 virkedag", "2 virkedager", "21 virkedager"),
    "sv": ("0 arbetsdagar", "1 arbetsdag", "2 arbetsdagar", "21 arbetsdagar"),
}
ACCOUNTS = {
    "en": ("0 accounts", "1 account", "2 accounts", "21 accounts"),
    "nb": ("0 kontoer", "1 konto", "2 kontoer", "21 kontoer"),
    "sv": ("0 konton", "1 konto", "2 konton", "21 konton"),
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_count_picks_the_plural_form_babel_gives_it(lang: str) -> None:
    # CLDR: in nb, sv and en only 1 is "one"; 0, 2 and 21 are "other" (unlike, say, Russian).
    assert [fmt_working_days(n, lang) for n in COUNTS] == list(WORKING_DAYS[lang])
    heads = [t(lang, "register.team_head", team="Komm", key="komm", count=n) for n in COUNTS]
    assert [head.rsplit(": ", 1)[1] for head in heads] == list(ACCOUNTS[lang])
    monthly = [plain(lang, "register.snapshot_every", count=n) for n in COUNTS]
    assert "0" in monthly[0] and "1" not in monthly[1] and "21" in monthly[3]


@given(
    lang=st.sampled_from(LANGUAGES),
    counts=st.lists(
        st.one_of(st.integers(-1000, 1000), st.floats(-1000, 1000, allow_nan=False)), max_size=30
    ),
)
def test_the_kept_plural_forms_are_babels_for_any_count_in_any_order(
    lang: str, counts: list[float]
) -> None:
    # plural_form keeps what Babel said per count (and per type: 1 and 1.0 apart).
    for count in counts:
        assert plural_form(lang, count) == str(
            Locale.parse({"nb": "nb_NO", "sv": "sv_SE", "en": "en_GB"}[lang]).plural_form(
                abs(count)
            )
        )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_plural_text_has_the_forms_its_language_needs(lang: str) -> None:
    texts = catalog(lang)
    assert "common.working_days" in plural_texts(lang)
    for key in plural_texts(lang):
        forms = {k.removeprefix(f"{key}.") for k in texts if k.startswith(f"{key}.")}
        assert forms == plural_forms_needed(lang), f"{lang}:{key} has the forms {forms}"
        for n in COUNTS:
            assert t(
                lang, key, **{**dict.fromkeys(placeholders(texts[f"{key}.other"]), n), "count": n}
            )


def test_a_plural_text_needs_its_count_and_keeps_the_mrkdwn_escaping() -> None:
    with pytest.raises(KeyError, match="count"):
        t("en", "common.working_days")
    # A form's own `&`, `<` and `>` are escaped like any text's; the values go in as given.
    more = t("nb", "activity.more", count=1, team="a &amp; b")
    assert more == "… og 1 konto til: se `/vakt kontoer a &amp; b`."


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_text_writes_a_plural_in_brackets(lang: str) -> None:
    # "question(s)", "virkedag(er)", "dag(ar)", "tilgjengelig(e)": a count picks the form.
    bracketed = re.compile(r"\w\((s|e|r|n|a|er|ar|en|mer|mar|or)\)")
    assert [key for key, text in catalog(lang).items() if bracketed.search(text)] == []


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
