"""Each reader is shown the `/vakt` words of their own language (`/vakt borte` in nb, `/vakt
borta` in sv), and every word shown is one Vakt accepts, for the same command as the English
one; the English words are accepted too."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from bot.archive.commands import EXPORT_WORDS, SNAPSHOT_KINDS
from bot.features import FEATURES
from bot.feeds.commands import RENEW_WORDS, REVOKE_WORDS
from bot.items.commands import OVERDUE_WORDS
from bot.kernel.i18n import LANGUAGES, catalog, plain
from bot.register.commands import SHOW_WORDS
from bot.rota.commands import KIND_WORDS, OFF_WORDS, ROTATION_WORDS, TEAM_WORDS
from bot.slackkit.app import router_of
from bot.slackkit.router import Router

ROUTER: Router = router_of(FEATURES)


def _by_value(words: dict[str, str]) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for word, value in words.items():
        found.setdefault(str(value), set()).add(word)
    return {value: frozenset(same) for value, same in found.items()}


def subwords() -> dict[str, dict[str, frozenset[str]]]:
    """For each subcommand, the words after it that Vakt reads, by what they mean (in nb, sv
    and en alike), as the code itself knows them."""
    found: dict[str, dict[str, frozenset[str]]] = {
        "team": {
            **{action: frozenset(words) for action, words in TEAM_WORDS.items()},
            **_by_value(ROTATION_WORDS),
            "off": frozenset(OFF_WORDS),
        },
        "away": _by_value(dict(KIND_WORDS)),
        "snapshot": _by_value(dict(SNAPSHOT_KINDS)),
        "export": {"deletions": frozenset(EXPORT_WORDS)},
        "unanswered": {"overdue": frozenset(OVERDUE_WORDS)},
        "accounts": _by_value(dict(SHOW_WORDS)),
        "calendar": {"new": frozenset(RENEW_WORDS), "revoke": frozenset(REVOKE_WORDS)},
    }
    for command, actions in ROUTER.actions.items():
        for action in actions:  # `account add` (a form) and `account new ...` share their words
            found.setdefault(command, {})[action.words[0]] = frozenset(action.words)
    return found


SUBWORDS = subwords()


def shown_word(lang: str, command: str) -> str:
    return plain(lang, f"word.{command}")


def shown_subwords(lang: str) -> dict[str, dict[str, str]]:
    """What each reader is shown for a sub-word: `subword.<command>.<meaning>` in the catalog."""
    shown: dict[str, dict[str, str]] = {}
    for key, word in catalog(lang).items():
        if key.startswith("subword."):
            command, meaning = key.removeprefix("subword.").split(".", 1)
            shown.setdefault(command, {})[meaning] = word
    return shown


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_shown_word_routes_to_its_command(lang: str) -> None:
    for command in ROUTER.commands:
        found = ROUTER.find(shown_word(lang, command.name))
        assert found is command, f"{lang}: `/vakt {shown_word(lang, command.name)}`"
        assert ROUTER.find(command.name) is command  # the English word, as before
    assert {key.removeprefix("word.") for key in catalog(lang) if key.startswith("word.")} == {
        command.name for command in ROUTER.commands
    }


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_shown_subword_means_what_the_english_one_means(lang: str) -> None:
    shown = shown_subwords(lang)
    assert set(shown) <= set(SUBWORDS)
    for command, meanings in shown.items():
        for meaning, word in meanings.items():
            english = shown_subwords("en")[command][meaning]
            accepted = [m for m, words in SUBWORDS[command].items() if word.lower() in words]
            assert accepted == [meaning_of(command, english)], f"{lang}: {command} {word}"


def meaning_of(command: str, word: str) -> str:
    (meaning,) = (m for m, words in SUBWORDS[command].items() if word in words)
    return meaning


def test_no_word_means_two_things_after_one_command() -> None:
    # Between commands the router refuses a word twice when it starts; after one command, two
    # meanings share no word (`account new` is `account add` with all its fields given).
    for command, meanings in SUBWORDS.items():
        seen: dict[str, str] = {}
        for meaning, words in meanings.items():
            for word in words:
                assert seen.setdefault(word, meaning) == meaning, f"{command} {word}"


def commands_written(text: str) -> Iterator[list[str]]:
    """The `/vakt ...` commands a text writes, as words: without `<placeholders>`,
    `{values}`, mentions and channels, and `[a|b]` split into its choices."""
    for span in re.findall(r"`(/vakt(?: [^`]*)?)`|(/vakt [a-zæøåäö]+)", text):
        written = re.sub(r"<[^<>]*>|\{[^{}]*\}|[@#]\S+", " ", span[0] or span[1])
        yield [w for w in re.split(r"[\s\[\]|]+", written) if w][1:]


@pytest.mark.parametrize("lang", ["nb", "sv"])
def test_nb_and_sv_texts_write_the_readers_own_words(lang: str) -> None:
    wrong = []
    shown = shown_subwords(lang)
    for key, text in catalog(lang).items():
        for words in commands_written(text):
            if not words:
                continue
            command = ROUTER.find(words[0])
            if command is None:
                continue
            if words[0] != shown_word(lang, command.name):
                wrong.append(f"{key}: /vakt {words[0]}, not {shown_word(lang, command.name)}")
            for word in words[1:]:
                for meaning, accepted in SUBWORDS.get(command.name, {}).items():
                    own = shown.get(command.name, {}).get(meaning)
                    if word.lower() in accepted and own is not None and word != own:
                        wrong.append(f"{key}: /vakt {words[0]} … {word}, not {own}")
    assert wrong == []


def test_the_help_names_the_shortcut_as_slack_shows_it() -> None:
    # Slack shows a message shortcut by the one name the app manifest gives it: that name,
    # in every language, is what a reader looks for in the message's menu.
    from tests.test_manifest import _manifest

    features = _manifest()["features"]
    assert isinstance(features, dict)
    (name,) = (s["name"] for s in features["shortcuts"])
    for lang in LANGUAGES:
        assert f"*{name}*" in plain(lang, "help.items")
