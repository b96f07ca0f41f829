"""Messages Vakt sends on its own: built here, recorded in the outbox by the caller."""

from __future__ import annotations

from sqlmodel import Session

from bot.kernel.audience import lang_for
from bot.kernel.config import OrgConfig
from bot.kernel.i18n import fmt_range, plain, t
from bot.rota import ids
from bot.slackkit import blocks as kit
from bot.slackkit.outbox import Message
from bot.store.models import SwapRequest, Team


def swap_requested(
    session: Session, config: OrgConfig, request: SwapRequest, team: Team
) -> list[Message]:
    """B gets Accept / Decline; A gets a receipt with Withdraw."""
    when_b = fmt_range(request.start, request.end, lang_for(session, config, request.counterpart))
    lang_b = lang_for(session, config, request.counterpart)
    lang_a = lang_for(session, config, request.requester)
    text_b = t(lang_b, "swap.asked", requester=request.requester, when=when_b, team=team.name)
    text_a = t(
        lang_a,
        "swap.sent",
        counterpart=request.counterpart,
        when=fmt_range(request.start, request.end, lang_a),
        team=team.name,
    )
    value = str(request.id)
    return [
        Message(
            key=f"swap:{request.id}:asked",
            kind="swap",
            channel=request.counterpart,
            text=text_b,
            blocks=kit.text_with_buttons(
                text_b,
                [
                    kit.Button(plain(lang_b, "swap.accept"), ids.SWAP_ACCEPT, value, "primary"),
                    kit.Button(plain(lang_b, "swap.decline"), ids.SWAP_DECLINE, value, "danger"),
                ],
            ),
        ),
        Message(
            key=f"swap:{request.id}:sent",
            kind="swap",
            channel=request.requester,
            text=text_a,
            blocks=kit.text_with_buttons(
                text_a, [kit.Button(plain(lang_a, "swap.withdraw"), ids.SWAP_WITHDRAW, value, None)]
            ),
        ),
    ]


def swap_decided(
    session: Session, config: OrgConfig, request: SwapRequest, team: Team
) -> list[Message]:
    """Both parties hear the outcome of a swap request."""
    messages: list[Message] = []
    for user in (request.requester, request.counterpart):
        lang = lang_for(session, config, user)
        text = t(
            lang,
            f"swap.{request.status}",
            requester=request.requester,
            counterpart=request.counterpart,
            when=fmt_range(request.start, request.end, lang),
            team=team.name,
        )
        messages.append(
            Message(
                key=f"swap:{request.id}:{request.status}:{user}",
                kind="swap",
                channel=user,
                text=text,
                blocks=kit.text_blocks(text),
            )
        )
    return messages
