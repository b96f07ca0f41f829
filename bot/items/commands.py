"""The items' `/vakt` subcommands: what is unanswered, the status overview, a new item."""

from __future__ import annotations

from bot.items import blocks as ib
from bot.items import service as items
from bot.kernel.context import Ctx
from bot.kernel.errors import NotFound, UserInputError
from bot.kernel.i18n import t
from bot.rota.teams import team_views
from bot.slackkit import blocks as kit
from bot.slackkit.router import Command, Reply

OVERDUE_WORDS = ("overdue", "forfalt", "forfalte", "försenade", "forsenade", "sen", "late")


def cmd_unanswered(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    return unanswered_page(ctx, lang, words, 0)


def unanswered_page(ctx: Ctx, lang: str, words: list[str], offset: int) -> Reply:
    """A page of `/vakt unanswered [team|account] [overdue]` (the More button pages on)."""
    overdue = False
    query: str | None = None
    for word in words:
        if word.lower() in OVERDUE_WORDS:
            overdue = True
        elif query is None:
            query = word
        else:
            raise UserInputError("error.unexpected", value=word[:40])
    page = items.unanswered(ctx, query, overdue=overdue, offset=offset, limit=PAGE_ITEMS)
    text, blocks = ib.unanswered(lang, ctx.calendar, ctx.now, page, query, overdue)
    return Reply(text, blocks)


PAGE_ITEMS = 20  # two blocks each: 40 of Slack's 50, with room for the header and More


def cmd_status(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    if words:
        raise UserInputError("error.unexpected", value=words[0][:40])
    text, blocks = ib.status(lang, ctx.calendar, ctx.now, items.status(ctx))
    return Reply(text, blocks)


def cmd_new(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    accounts = [a for v in team_views(ctx) for a in v.accounts]
    if not accounts:
        raise NotFound("error.no_accounts")
    accounts.sort(key=lambda a: a.name.lower())
    view = ib.new_item_modal(lang, accounts, ctx.now)
    return Reply(t(lang, "new.opening"), kit.text_blocks(t(lang, "new.opening")), view=view)


COMMANDS = (
    Command(
        "unanswered",
        ("unanswered", "ubesvart", "ubesvarte", "obesvarade", "obesvarat", "open", "åpne", "öppna"),
        cmd_unanswered,
    ),
    Command("status", ("status", "oversikt", "översikt", "overview"), cmd_status),
    Command("new", ("new", "ny", "nytt", "nyhenvendelse", "track"), cmd_new),
)
