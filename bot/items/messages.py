"""Messages about items that Vakt posts on its own: the card, recorded in the outbox."""

from __future__ import annotations

from typing import Any

from bot.items import blocks as ib
from bot.kernel.context import Ctx
from bot.rota import core as rota
from bot.rota.service import duty_inputs
from bot.rota.teams import TeamView
from bot.slackkit.outbox import Message
from bot.store.models import Account, Item


def card_content(
    ctx: Ctx, item: Item, account: Account, view: TeamView
) -> tuple[str, list[dict[str, Any]]]:
    """The card's text and blocks as the item stands now, in the organisation's language."""
    primary = substitute = None
    if view.members:
        absences, overrides = duty_inputs(ctx)
        duty = rota.duty_at(view.rota, ctx.now, ctx.calendar, absences, overrides)
        primary, substitute = duty.primary, duty.substitute
    return ib.card(
        ctx.config.language, ctx.calendar, ib.line_of(item, account), primary, substitute
    )


def card(ctx: Ctx, item: Item, account: Account, view: TeamView) -> list[Message]:
    """The card for a new item: in the thread of the message it came from (intake channel), or
    in the team's channel for the other doors. None when there is nowhere to post it."""
    if item.source == "channel" and item.slack_channel and item.slack_ts:
        channel, thread = item.slack_channel, item.slack_ts
    elif view.team.channel:
        channel, thread = view.team.channel, None
    else:
        return []
    text, blocks = card_content(ctx, item, account, view)
    return [
        Message(
            key=f"card:{item.id}",
            kind="item_card",
            channel=channel,
            text=text,
            blocks=blocks,
            thread_ts=thread,
        )
    ]
