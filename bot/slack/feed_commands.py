"""`/vakt calendar`: a person's calendar links (issue 7)."""

from __future__ import annotations

from bot.i18n import t
from bot.services.rota import Ctx
from bot.slack.blocks import text_blocks
from bot.slack.commands import Reply


def cmd_calendar(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    """`/vakt calendar`: the user's calendar links."""
    text = t(lang, "error.internal")
    return Reply(text, text_blocks(text))
