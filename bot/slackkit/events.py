"""Events API helpers: a delivery handled once, and Vakt's own messages told apart."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa

from bot.kernel.context import Ctx
from bot.slackkit.deps import Deps
from bot.slackkit.gateway import SlackSendError
from bot.store.models import SlackEvent

log = logging.getLogger(__name__)


def seen(ctx: Ctx, event_id: str | None) -> bool:
    """Record an Events API delivery; True when it was handled before (a retry, a copy sent to
    a second replica)."""
    if not event_id:
        return False
    try:
        with ctx.session.begin_nested():
            ctx.session.add(SlackEvent(event_id=event_id[:40], received_at=ctx.now))
    except sa.exc.IntegrityError:
        return True
    return False


def own(deps: Deps, event: dict[str, Any]) -> bool:
    try:
        identity = deps.bot_identity()
        user_id, bot_id = identity.user_id, identity.bot_id
    except SlackSendError as exc:
        log.warning("cannot tell Vakt's own messages apart (auth.test: %s)", exc.code)
        user_id, bot_id = "", ""
    return bool(
        (bot_id and event.get("bot_id") == bot_id) or (user_id and event.get("user") == user_id)
    )
