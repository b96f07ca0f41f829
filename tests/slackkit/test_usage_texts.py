"""Usage hints (`<from> [<to>]`, `<week | from to>`, `<key>`) reach Slack as text, not as links:
`/vakt help` and an input error's usage line, in nb, sv and en, read as Slack would read them."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.console.render import Names, render_message
from bot.kernel.i18n import plain
from tests.harness import Vakt
from tests.mrkdwn import message_problems

LOCALES = {"nb": "nb-NO", "sv": "sv-SE", "en": "en-GB"}
SWAP = {
    "nb": "`/vakt bytt @kollega <uke | fra til>`",
    "sv": "`/vakt byt @kollega <vecka | från till>`",
    "en": "`/vakt swap @colleague <week | from to>`",
}
HELP = ("help.members", "help.coordinators", "help.register", "help.archive_coordinators")


def reply(vakt: Vakt, text: str, user: str) -> dict[str, Any]:
    """Run `/vakt <text>`; the message Vakt answered with, as Slack received it."""
    vakt.command(text, user=user)
    return vakt.fake.calls_to("response_url")[-1].args


def shown(args: dict[str, Any]) -> str:
    """The message as Slack shows it (the console's renderer), on one line."""
    rendered = render_message(str(args.get("text") or ""), args.get("blocks"), Names(), width=100)
    return " ".join(" ".join(rendered.lines).split())


def commands_in(lang: str, key: str) -> list[str]:
    """The `/vakt ...` examples of a catalog text, as written."""
    return re.findall(r"`/vakt [^`]+`", plain(lang, key))


@pytest.mark.parametrize("lang", list(LOCALES))
def test_help_shows_every_usage_as_written(vakt: Vakt, lang: str) -> None:
    vakt.fake.users["U0COORD1"] = {"locale": LOCALES[lang]}
    args = reply(vakt, "help", user="U0COORD1")
    assert message_problems(args) == []
    text = shown(args)
    assert SWAP[lang] in text
    for key in HELP:
        assert commands_in(lang, key)
        for command in commands_in(lang, key):
            assert command in text, (key, command)


@pytest.mark.parametrize("lang", list(LOCALES))
@pytest.mark.parametrize(
    ("command", "usage"), [("swap v49", "usage.swap"), ("away 2026-13-40", "usage.away")]
)
def test_an_input_error_shows_its_usage_as_written(
    vakt: Vakt, lang: str, command: str, usage: str
) -> None:
    vakt.fake.users["U0ANNA"] = {"locale": LOCALES[lang]}
    args = reply(vakt, command, user="U0ANNA")
    assert message_problems(args) == []
    text = shown(args)
    if usage == "usage.swap":
        assert SWAP[lang] in text
    assert commands_in(lang, usage)
    for example in commands_in(lang, usage):
        assert example in text, example
