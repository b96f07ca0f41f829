"""Flags and closure: `/vakt flags`, `/vakt account close <key> [reason]`."""

from __future__ import annotations

from bot.items.service import account_by_key
from bot.kernel.context import Ctx
from bot.kernel.errors import UserInputError
from bot.kernel.i18n import t
from bot.lifecycle import blocks as lb
from bot.lifecycle import service as lifecycle
from bot.slackkit.blocks import text_blocks
from bot.slackkit.router import Action, Command, Reply


def cmd_flags(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    """`/vakt flags`: open flags and closures in progress, with buttons for who may act."""
    if words:
        raise UserInputError("error.unexpected", value=words[0][:40])
    # Only the rows shown are built (a message holds 15 flags and 8 closures); the rest counted.
    shown_flags, flag_total = lifecycle.open_flags(ctx, lb.MAX_FLAG_ROWS)
    shown_closures, closure_total = lifecycle.open_closures(ctx, lb.MAX_CLOSURE_ROWS)
    flags = [(v, lifecycle.may_manage(ctx, v.account)) for v in shown_flags]
    closures = [(v, lifecycle.may_tick(ctx, v), ctx.is_coordinator) for v in shown_closures]
    blocks = lb.flags_list(
        lang, flags, closures, ctx.today, ctx.calendar, totals=(flag_total, closure_total)
    )
    text = t(
        lang,
        "lifecycle.flags_summary",
        count=flag_total,
        closures=t(lang, "lifecycle.closures", count=closure_total),
    )
    return Reply(text, blocks)


def account_close(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    """`/vakt account close <key> [reason]`: start the closure checklist."""
    if not words:
        raise UserInputError("error.lifecycle_close_key")
    account = account_by_key(ctx.session, words[0])
    view = lifecycle.start_closure(ctx, account, " ".join(words[1:]) or None)
    text = started_text(ctx, lang, view.account.name)
    return Reply(text, text_blocks(text))


def started_text(ctx: Ctx, lang: str, account: str) -> str:
    """Where the checklist went: the coordinators' channel, else the starter's messages."""
    target = lifecycle.checklist_target(ctx.config, ctx.actor)
    where = t(lang, "lifecycle.where_dm") if target == ctx.actor else f"<#{target}>"
    return t(lang, "lifecycle.started", account=account, where=where)


ACCOUNT_CLOSE = ("close", "avslutt", "avslut", "steng", "stäng", "avsluta")


COMMANDS = (Command("flags", ("flags", "flagg", "flagga", "flaggor", "flagget"), cmd_flags),)
ACTIONS = (Action("account", ACCOUNT_CLOSE, account_close),)
