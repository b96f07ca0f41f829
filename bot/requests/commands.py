"""Account requests: `/vakt request` opens the form, `/vakt requests` lists them."""

from __future__ import annotations

from bot.kernel.context import Ctx
from bot.kernel.errors import NotFound, UserInputError
from bot.kernel.i18n import t
from bot.requests import blocks as rb
from bot.requests import service as requests
from bot.requests.core import NAME_LIMIT
from bot.rota.teams import team_views
from bot.slackkit import blocks as kit
from bot.slackkit.router import Command, Reply


def cmd_request(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    """`/vakt request [name]`: anyone asks for a new account; a form opens (the words, if any,
    fill in the account's name)."""
    teams = [view.team for view in team_views(ctx)]
    if not teams:
        raise NotFound("request.error.no_teams")
    name = " ".join(words)[:NAME_LIMIT] or None
    opening = t(lang, "new.opening")
    return Reply(opening, kit.text_blocks(opening), view=rb.request_modal(lang, teams, name))


def cmd_requests(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    """`/vakt requests`: pending requests (with buttons where the reader decides) and the
    decisions of the last weeks."""
    if words:
        raise UserInputError("error.unexpected", value=words[0][:40])
    text, blocks = rb.listing(lang, ctx.calendar.tz, requests.listing(ctx))
    return Reply(text, blocks)


COMMANDS = (
    Command(
        "request",
        ("request", "søknad", "soknad", "ansökan", "ansokan", "bestill", "beställ"),
        cmd_request,
    ),
    Command(
        "requests", ("requests", "søknader", "soknader", "ansökningar", "ansokningar"), cmd_requests
    ),
)
