"""Block Kit helpers every feature builds with: pure functions over Slack's own models."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.kernel.i18n import plain, t

SECTION_LIMIT = 3000


MESSAGE_BLOCKS = 50


@dataclass(frozen=True)
class Button:
    label: str
    action_id: str
    value: str
    style: str | None = None


def escape(text: str) -> str:
    """Text as Slack shows it literally: &, < and > escaped, so a citizen's words or a link
    from an automation can never become markup (a mention, a channel ping, a fake link)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def linked(url: str | None, name: str) -> str:
    """A name as a Slack link to `url`; the name alone when there is no web address (an
    account approved before it was created on the platform has none yet)."""
    label = escape(name).replace("|", "¦")
    if not url or not url.startswith(("https://", "http://")):
        return label
    return f"<{escape(url).replace('|', '%7C')}|{label}>"


def dicts(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]


# The same blocks as plain dicts, for the answers every command gives (who, rota, unanswered,
# errors, "busy"): building and validating slack_sdk's models cost more than the rest of such
# an answer. Each gives what the model's `to_dict()` gives (tests/slackkit/test_blocks.py).


def plain_dict(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def md_dict(text: str) -> dict[str, Any]:
    """A markdown text object within Slack's 3000 characters."""
    return {"type": "mrkdwn", "text": text[:SECTION_LIMIT]}


def section_dict(text: str, block_id: str | None = None) -> dict[str, Any]:
    block = {"type": "section", "text": md_dict(text)}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def header_dict(text: str) -> dict[str, Any]:
    """A header within Slack's 150 characters."""
    return {"type": "header", "text": plain_dict(text[:150])}


def context_dict(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [md_dict(text)]}


def button_dict(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    button = {"type": "button", "text": plain_dict(text), "action_id": action_id, "value": value}
    if style:
        button["style"] = style
    return button


def section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text[:SECTION_LIMIT]))


def md(text: str) -> MarkdownTextObject:
    """A markdown text object within Slack's 3000 characters."""
    return MarkdownTextObject(text=text[:SECTION_LIMIT])


def sections(text: str) -> list[Block]:
    """Long text split into sections on line breaks, each within Slack's 3000 characters."""
    return [section(chunk) for chunk in _chunks(text)]


def section_dicts(text: str) -> list[dict[str, Any]]:
    """`sections` as dicts."""
    return [section_dict(chunk) for chunk in _chunks(text)]


def _chunks(text: str) -> list[str]:
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        if len(current) + len(line) + 1 > SECTION_LIMIT and current:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks


def action_buttons(buttons: Sequence[Button], block_id: str | None = None) -> ActionsBlock:
    return ActionsBlock(
        block_id=block_id,
        elements=[
            ButtonElement(text=b.label[:75], action_id=b.action_id, value=b.value, style=b.style)
            for b in buttons
        ],
    )


def text_blocks(text: str) -> list[dict[str, Any]]:
    """Plain markdown text as blocks."""
    return section_dicts(text)


def text_with_buttons(text: str, buttons: Sequence[Button]) -> list[dict[str, Any]]:
    """Text followed by a row of buttons."""
    return dicts([*sections(text), action_buttons(buttons)])


def error_blocks(message: str, usage: str | None) -> list[dict[str, Any]]:
    """A short error, with the right way to write the command under it."""
    blocks = [section_dict(f":warning: {message}")]
    if usage:
        blocks.append(context_dict(usage))
    return blocks


def help_blocks(lang: str, coordinator: bool) -> list[dict[str, Any]]:
    """Every /vakt subcommand, coordinators' ones too when the reader is one."""
    blocks: list[Block] = [HeaderBlock(text=plain(lang, "help.header")[:150])]
    blocks.extend(sections(t(lang, "help.everyone")))
    blocks.extend(sections(t(lang, "help.members")))
    blocks.extend(sections(t(lang, "help.items")))
    blocks.extend(sections(t(lang, "help.archive")))
    blocks.extend(sections(t(lang, "help.register")))
    blocks.extend(sections(t(lang, "help.overview")))
    if coordinator:
        blocks.extend(sections(t(lang, "help.coordinators")))
        blocks.extend(sections(t(lang, "help.archive_coordinators")))
        blocks.extend(sections(t(lang, "help.register_coordinators")))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=t(lang, "help.dates"))]))
    return dicts(blocks)
