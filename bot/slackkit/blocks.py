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


def section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text[:SECTION_LIMIT]))


def md(text: str) -> MarkdownTextObject:
    """A markdown text object within Slack's 3000 characters."""
    return MarkdownTextObject(text=text[:SECTION_LIMIT])


def sections(text: str) -> list[Block]:
    """Long text split into sections on line breaks, each within Slack's 3000 characters."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        if len(current) + len(line) + 1 > SECTION_LIMIT and current:
            chunks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return [section(chunk) for chunk in chunks]


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
    return dicts(sections(text))


def text_with_buttons(text: str, buttons: Sequence[Button]) -> list[dict[str, Any]]:
    """Text followed by a row of buttons."""
    return dicts([*sections(text), action_buttons(buttons)])


def error_blocks(message: str, usage: str | None) -> list[dict[str, Any]]:
    """A short error, with the right way to write the command under it."""
    blocks: list[Block] = [section(f":warning: {message}")]
    if usage:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=usage[:SECTION_LIMIT])]))
    return dicts(blocks)


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
