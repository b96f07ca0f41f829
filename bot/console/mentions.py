"""People and channels typed by name in a console command, made into the markup Slack's own
mention picker sends (`<@U0ANNA|anna>`, `<#C0KOMM|kommunikation>`): pure functions of the text
and the workspace's names."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

SPECIAL = ("here", "channel", "everyone")  # @here is sent as <!here>
MAX_LISTED = 12


@dataclass(frozen=True)
class Mention:
    """An @name in a text: where it is, what was typed after the @, and who it can mean (one
    person: it is them; several: ambiguous; none: nobody of that name)."""

    start: int  # the @
    end: int
    typed: str
    users: tuple[str, ...]
    candidates: tuple[str, ...] = ()  # for an unknown name: whom it may be a slip for


def handles(users: Mapping[str, str]) -> dict[str, str]:
    """Each user's short handle, as Slack's username: the first name in lower case, or the
    whole name with dots where two people share a first name."""
    firsts: dict[str, int] = {}
    for name in users.values():
        first = (name.split() or [""])[0].lower()
        firsts[first] = firsts.get(first, 0) + 1
    out: dict[str, str] = {}
    for user_id, name in users.items():
        first = (name.split() or [user_id])[0].lower()
        out[user_id] = first if firsts.get(first) == 1 else ".".join(name.lower().split())
    return out


def user_markup(user_id: str, users: Mapping[str, str]) -> str:
    """`<@U0ANNA|anna>`, as an escaped slash command carries a person."""
    handle = handles(users).get(user_id)
    return f"<@{user_id}|{handle}>" if handle else f"<@{user_id}>"


def _names(user_id: str, name: str, handle: str) -> set[str]:
    words = name.split()
    return {n.casefold() for n in (user_id, name, handle, *(words[:1])) if n}


def _ends_word(text: str, at: int) -> bool:
    """Nothing of a name goes on at `at`: the end, a space, or punctuation closing it."""
    if at >= len(text):
        return True
    ch = text[at]
    if ch.isalnum() or ch in "_-":
        return False
    return not (ch in ".'" and at + 1 < len(text) and text[at + 1].isalnum())


def _starts_mention(text: str, at: int) -> bool:
    return text[at] == "@" and (at == 0 or text[at - 1].isspace() or text[at - 1] in "(,")


def find(text: str, users: Mapping[str, str]) -> list[Mention]:
    """Every @name in `text`, left to right. The longest name that follows the @ wins
    (`@Anna Lindqvist` over `@Anna`); raw markup (`<@U0ANNA>`) and e-mail addresses are left
    alone."""
    short = handles(users)
    known = {user_id: _names(user_id, name, short[user_id]) for user_id, name in users.items()}
    found: list[Mention] = []
    at = 0
    while at < len(text):
        if not _starts_mention(text, at):
            at += 1
            continue
        rest = text[at + 1 :]
        folded = rest.casefold()
        best = 0
        meant: list[str] = []
        for user_id, names in known.items():
            for name in names:
                if folded.startswith(name) and _ends_word(rest, len(name)) and len(name) >= best:
                    if len(name) > best:
                        best, meant = len(name), []
                    if user_id not in meant:
                        meant.append(user_id)
        if meant:
            found.append(Mention(at, at + 1 + best, rest[:best], tuple(meant)))
            at += 1 + best
            continue
        word = re.match(r"[^\s,;:!?()]*", rest)
        typed = (word.group(0) if word else "").rstrip(".'")
        if typed.casefold() in SPECIAL or not typed:
            at += 1 + max(len(typed), 0)
            continue
        found.append(
            Mention(at, at + 1 + len(typed), typed, (), _slips(typed, users, short, known))
        )
        at += 1 + len(typed)
    return found


def _slips(
    typed: str,
    users: Mapping[str, str],
    short: Mapping[str, str],
    known: Mapping[str, set[str]],
) -> tuple[str, ...]:
    """Whom an unknown @name may be meant for: those with a name that starts with it or
    contains it, else everyone."""
    wanted = typed.casefold()
    starts = [
        u
        for u, names in known.items()
        if any(word.startswith(wanted) for n in names for word in n.split())
    ]
    if starts:
        return tuple(starts)
    inside = [u for u, names in known.items() if any(wanted in n for n in names)]
    return tuple(inside or users)


def special(text: str) -> str:
    """`@here`, `@channel` and `@everyone` as Slack sends them: `<!here>`."""
    return re.sub(
        r"(?<![\w<|@])@(here|channel|everyone)\b",
        lambda m: f"<!{m.group(1).lower()}>",
        text,
        flags=re.IGNORECASE,
    )


def channels(text: str, names: Mapping[str, str]) -> str:
    """A known `#channel` as Slack sends it: `<#C0KOMM|kommunikation>` (others as typed)."""
    by_name = {name.casefold(): channel_id for channel_id, name in names.items()}

    def swap(match: re.Match[str]) -> str:
        channel_id = by_name.get(match.group(1).casefold())
        return f"<#{channel_id}|{names[channel_id]}>" if channel_id else match.group(0)

    return re.sub(r"(?<![\w<&/])#([\w\-åäöæøÅÄÖÆØ]+)", swap, text)


def apply(text: str, chosen: Mapping[int, str], users: Mapping[str, str]) -> str:
    """`text` with each @name (by its start) replaced by the person chosen for it."""
    out = text
    for mention in sorted(find(text, users), key=lambda m: m.start, reverse=True):
        user_id = chosen.get(mention.start)
        if user_id is not None:
            out = out[: mention.start] + user_markup(user_id, users) + out[mention.end :]
    return out
