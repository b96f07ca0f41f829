"""Slack's mrkdwn read the way Slack reads it, to find what would go wrong in a text we send.

Slack takes every `<...>` as markup (a link, a mention, a channel, a date, a special mention)
and decodes only `&amp;`, `&lt;` and `&gt;`; everything else is shown as it is. So a text is
safe when each `<...>` in it is markup Vakt means, each `&` starts one of the three entities
and each `>` left is the quote mark at the start of a line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

_LABEL = r"(?:\|[^|<>]+)?"
MARKUP = (
    re.compile(rf"@[UW][A-Z0-9]+{_LABEL}"),  # a person
    re.compile(rf"#C[A-Z0-9]+{_LABEL}"),  # a channel
    re.compile(rf"!subteam\^S[A-Z0-9]+{_LABEL}"),  # a user group
    re.compile(rf"!(?:here|channel|everyone){_LABEL}"),
    re.compile(r"!date\^\d+\^[^|<>^]+(?:\^[^|<>\s]+)?\|[^|<>]+"),  # a date with its fallback
    re.compile(rf"(?:https?://|mailto:)[^\s|<>]+{_LABEL}"),  # a link
)
_TOKEN = re.compile(r"<([^<>]*)>")
_BAD_AMPERSAND = re.compile(r"&(?!(?:amp|lt|gt);)")
_QUOTE = re.compile(r"^>", re.MULTILINE)


def problems(text: str, *, quotes: bool = True) -> list[str]:
    """What Slack would read differently from what the text means: markup nobody meant, a `&`
    that starts no entity, a `<` or `>` left over (a `>` opening a line is a quote when
    `quotes`)."""
    found = [
        f"<{m.group(1)}> is read as a link or mention"
        for m in _TOKEN.finditer(text)
        if not any(p.fullmatch(m.group(1)) for p in MARKUP)
    ]
    found += [
        f"raw & before {text[m.start() : m.start() + 12]!r}" for m in _BAD_AMPERSAND.finditer(text)
    ]
    rest = _TOKEN.sub("\0", text)
    if quotes:
        rest = _QUOTE.sub("\0", rest)
    found += [f"stray {ch!r} in {line!r}" for line in rest.split("\n") for ch in "<>" if ch in line]
    return found


def texts(node: Any, kind: str) -> Iterator[str]:
    """Every text object's text of one kind ("mrkdwn" or "plain_text") in blocks or a view."""
    if isinstance(node, dict):
        if node.get("type") == kind and isinstance(node.get("text"), str):
            yield node["text"]
            return
        for value in node.values():
            yield from texts(value, kind)
    elif isinstance(node, list):
        for value in node:
            yield from texts(value, kind)


def message_problems(args: dict[str, Any]) -> list[str]:
    """Problems of a message as sent (its blocks and its `text`, both read as mrkdwn), and any
    entity in a plain_text field, which Slack would show literally (`&lt;`)."""
    found = [p for text in texts(args.get("blocks") or [], "mrkdwn") for p in problems(text)]
    if isinstance(args.get("text"), str):
        found += problems(args["text"])
    found += [
        f"entity shown literally in plain_text {text!r}"
        for text in texts(args.get("blocks") or [], "plain_text")
        if re.search(r"&(?:amp|lt|gt);", text)
    ]
    return found
