"""Account register commands: `/vakt accounts`, `/vakt account <key>|add|edit`."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import col, select

from bot.kernel.config import KEY
from bot.kernel.context import Ctx
from bot.kernel.errors import NotFound, UserInputError
from bot.kernel.i18n import t
from bot.register import blocks as rb
from bot.register import service as register
from bot.register.service import Show
from bot.rota.commands import ACCOUNT_ADD
from bot.slackkit import blocks as kit
from bot.slackkit.router import Action, Command, Reply
from bot.store.models import Team

SHOW_WORDS = {
    **dict.fromkeys(
        ("closed", "stengt", "stengte", "nedlagt", "avsluttet", "avsluttede", "stängda", "stängd"),
        Show.CLOSED,
    ),
    **dict.fromkeys(("avslutade", "avslutad", "nedlagda"), Show.CLOSED),
    **dict.fromkeys(("all", "alle", "alla"), Show.ALL),
}


def cmd_accounts(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    """`/vakt accounts [team] [closed|all]`: the register by team (everyone may read it)."""
    show = Show.LIVE
    team: str | None = None
    for word in words:
        found = SHOW_WORDS.get(word.lower())
        if found is not None:
            show = found
        elif team is None:
            team = word.lower().lstrip("#")
        else:
            raise UserInputError("error.unexpected", value=word[:40])
    registers = register.register_list(ctx, team, show)
    text, blocks = rb.register_list(lang, registers, ctx.today, show, team)
    return Reply(text, blocks)


def account_show(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    """`/vakt account <key>`: one account's register card."""
    if len(words) != 1:
        raise UserInputError("error.account_usage")
    card = register.account_card(ctx, words[0])
    text, blocks = rb.account_card(lang, card, ctx.today, ctx.config.path)
    return Reply(text, blocks)


def _teams(ctx: Ctx) -> list[Team]:
    teams = list(ctx.session.exec(select(Team).order_by(col(Team.name))).all())
    if not teams:
        raise NotFound("error.register_no_teams")
    return teams


def _opening(lang: str, view: dict[str, Any]) -> Reply:
    return Reply(t(lang, "new.opening"), kit.text_blocks(t(lang, "new.opening")), view=view)


def add_modal(ctx: Ctx, lang: str, key: str | None = None) -> dict[str, Any]:
    """The empty register form (coordinators only)."""
    ctx.require_coordinator()
    teams = _teams(ctx)
    view = rb.account_modal(
        lang,
        teams,
        ctx.config.register,
        ctx.config.archive.snapshot_months,
        json.dumps({"mode": "add"}),
        new_key=key,
    )
    return view


def edit_modal(ctx: Ctx, lang: str, key: str) -> dict[str, Any]:
    """The register form of an account, prefilled (coordinators, accounts not in the file)."""
    account = register.editable_account(ctx, key)
    view = rb.account_modal(
        lang,
        _teams(ctx),
        ctx.config.register,
        ctx.config.archive.snapshot_months,
        json.dumps({"mode": "edit", "key": account.key}),
        key=account.key,
        current=register.fields_of(ctx.session, account),
    )
    return view


def account_add(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    """`/vakt account add [key]`: the register form for a new account."""
    ctx.require_coordinator()
    if len(words) > 1:
        raise UserInputError("error.unexpected", value=words[1][:40])
    key = words[0].lower() if words else None
    if key is not None and not KEY.match(key):
        raise UserInputError("error.bad_key", key=key[:40])
    return _opening(lang, add_modal(ctx, lang, key))


def account_edit(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    """`/vakt account edit <key>`: the account's register form, prefilled."""
    ctx.require_coordinator()
    if len(words) != 1:
        raise UserInputError("error.register_edit_which")
    return _opening(lang, edit_modal(ctx, lang, words[0]))


ACCOUNT_EDIT = ("edit", "endre", "ändra", "rediger", "redigera")


def cmd_account(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    """`/vakt account [<key>]`: the register, or one account's card. The words after it
    (add, edit, close, intake) are actions, declared with them."""
    if not words:
        return cmd_accounts(ctx, lang, words)
    if len(words) == 1:
        return account_show(ctx, lang, words)
    raise UserInputError("error.account_usage")


COMMANDS = (
    Command(
        "accounts",
        ("accounts", "kontoer", "konton", "register", "registeret", "registret"),
        cmd_accounts,
    ),
    Command("account", ("account", "konto"), cmd_account),
)
ACTIONS = (
    Action("account", ACCOUNT_ADD, account_add),
    Action("account", ACCOUNT_EDIT, account_edit),
)
