"""The console's own words exist in en, nb and sv, and the console speaks the language asked."""

from __future__ import annotations

import ast
import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.console import demo
from bot.console.repl import Repl, stream_reader
from bot.kernel.i18n import LANGUAGES, catalog

CONSOLE = Path(__file__).resolve().parents[2] / "bot" / "console"


def _trees() -> list[ast.AST]:
    return [ast.parse(path.read_text()) for path in sorted(CONSOLE.glob("*.py"))]


def _keys_called() -> set[str]:
    """Keys passed as literals to tr(lang, key), self.tr(key) and TimeError(key)."""
    keys: set[str] = set()
    for tree in _trees():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            plain_call = isinstance(node.func, ast.Name)
            index = {"tr": 1 if plain_call else 0, "TimeError": 0}.get(str(name))
            if index is None or len(node.args) <= index:
                continue
            arg = node.args[index]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                keys.add(arg.value)
    return keys


def _literals() -> set[str]:
    return {
        node.value
        for tree in _trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


PLURAL_FORMS = (".zero", ".one", ".two", ".few", ".many", ".other")


def _console(lang: str) -> dict[str, str]:
    """The console's texts by key; a text with plural forms is one key (its forms joined)."""
    prefix = "console."
    found: dict[str, str] = {}
    for key, text in catalog(lang).items():
        if not key.startswith(prefix):
            continue
        key = key[len(prefix) :]
        for form in PLURAL_FORMS:
            if key.endswith(form):
                key = key.removesuffix(form)
                text = found.get(key, "") + "|" + text
                break
        found[key] = text
    return found


def test_every_console_text_the_code_asks_for_is_in_all_three_catalogs() -> None:
    called = _keys_called()
    assert len(called) > 50  # the collector finds the calls
    known = set(_console("en"))
    asked = called | (_literals() & known)  # keys chosen from a table (hints, notes)
    for lang in LANGUAGES:
        texts = _console(lang)
        missing = sorted(key for key in asked if not texts.get(key, "").strip())
        assert missing == [], f"{lang}: {missing}"


def test_every_console_text_is_used_and_each_language_has_the_same() -> None:
    assert sorted(set(_console("en")) - _literals()) == []
    for lang in LANGUAGES:
        assert set(_console(lang)) == set(_console("en")), lang


# The same in every language: commands, formats and the try line's commands are typed as they are.
SAME_EVERYWHERE = {"refused"}


@pytest.mark.parametrize("lang", ["nb", "sv"])
def test_console_texts_are_translated(lang: str) -> None:
    english = _console("en")
    same = sorted(key for key, text in _console(lang).items() if text == english[key])
    assert set(same) <= SAME_EVERYWHERE, same


def _run(tmp_path: Path, lang: str, *lines: str) -> str:
    session = demo.start(
        "norberg",
        tmp_path,
        lang=lang,
        at=lambda text, tz: datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz)),
        at_text="2026-11-23T09:05",
    )
    out = io.StringIO()
    try:
        Repl(session, out).run(stream_reader(io.StringIO("".join(f"{x}\n" for x in lines)), out))
    finally:
        session.close()
    return out.getvalue()


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            (
                "Vakt console · Norbergs kommun",
                "You are @Karin Sjöberg (coordinator) · Mon 23 Nov 2026 09:05 (week 48)",
                "Karin Sjöberg · Mon 23 Nov 09:05 › ",
                ":as @name            act as another person",
                "Unknown :bogus",
                "Cannot read that time: 'soon': try 2026-12-28 09:05",
                "Nobody here is called @nobody. Who is meant?",
                "a number (Enter: not sent) › ",
            ),
        ),
        (
            "nb",
            (
                "Vakts konsoll · Norbergs kommun",
                "Du er @Karin Sjöberg (koordinator) · man. 23 nov. 2026 09:05 (uke 48)",
                "Karin Sjöberg · man. 23 nov. 09:05 › ",
                ":as @navn            opptre som en annen",
                "Ukjent :bogus",
                "Kan ikke lese det tidspunktet: 'soon': prøv 2026-12-28 09:05",
                "Ingen her heter @nobody. Hvem menes?",
                "et tall (Enter: sendes ikke) › ",
            ),
        ),
    ],
)
def test_the_console_speaks_the_language_asked(
    tmp_path: Path, lang: str, expected: tuple[str, ...]
) -> None:
    out = _run(tmp_path, lang, ":help", ":bogus", ":time soon", "/vakt away @nobody", "")
    for text in expected:
        assert text in out, text
