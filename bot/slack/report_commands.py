"""`/vakt report`: the weekly report on demand (issue 7)."""

from __future__ import annotations

from bot.i18n import t
from bot.services.rota import Ctx
from bot.slack.blocks import text_blocks
from bot.slack.commands import Reply


def cmd_report(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    """`/vakt report`: the latest weekly report."""
    text = t(lang, "error.internal")
    return Reply(text, text_blocks(text))
