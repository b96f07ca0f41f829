"""The item card's *Hide on Facebook* / *Delete on Facebook* (and Instagram): evidence before
deletion by construction — the capture is archived and the deletion logged first (one
transaction, committed), then the platform is asked, then the person says why (the deletion
modal, prefilled)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, Respond

from bot.archive import blocks as ab
from bot.archive import service as archive
from bot.items import ids
from bot.items import service as items
from bot.items.listeners import refresh_card
from bot.kernel.context import Ctx
from bot.kernel.errors import Conflict, NotAllowed
from bot.kernel.i18n import t
from bot.meta import core, service
from bot.meta.check import explain
from bot.meta.connector import Connector
from bot.meta.graph import GraphError
from bot.slackkit import blocks as kit
from bot.slackkit import payload
from bot.slackkit.deps import Deps, request_ctx
from bot.slackkit.listen import button, deliver_now, open_modal

log = logging.getLogger(__name__)

PLATFORM_NAMES = {core.FACEBOOK: "Facebook", core.INSTAGRAM: "Instagram"}


def connector_of(deps: Deps) -> Connector:
    connector = deps.services.get("meta")
    if not isinstance(connector, Connector) or connector.graph is None:
        raise Conflict("error.meta_unavailable")
    return connector


def register(app: App, deps: Deps) -> None:
    """Wire the card's platform buttons."""

    def removal(hide: bool) -> Callable[..., Callable[[], None]]:
        def press(
            body: dict[str, Any], respond: Respond, ctx: Ctx, lang: str, value: str
        ) -> Callable[[], None]:
            item, account, view = items.get_item(ctx, payload.number(value))
            if not items.may_handle(ctx, view):
                raise NotAllowed("error.not_your_item", team=view.team.name)
            connector = connector_of(deps)
            assert item.id is not None
            if not connector.may_remove(item.source, ctx.now):
                raise Conflict("error.meta_no_permission", account=account.name)
            removed = service.archive_before_removal(ctx, item.id, deps.archive_dir)
            user, now = ctx.actor, ctx.now

            def after() -> None:
                deliver_now(deps)
                refresh_card(deps, removed.item_id)
                platform = PLATFORM_NAMES[removed.platform]
                try:
                    connector.remove(removed, hide=hide)
                except GraphError as error:
                    log.warning("removing a comment on %s failed: %s", platform, error.kind)
                    text = t(
                        lang,
                        "meta.removal_failed",
                        id=removed.deletion_id,
                        platform=platform,
                        problem=explain(error),
                    )
                    respond(text=text, blocks=kit.text_blocks(text), replace_original=False)
                    return
                text = t(
                    lang,
                    "meta.removed_hidden" if hide else "meta.removed_deleted",
                    id=removed.deletion_id,
                    platform=platform,
                )
                respond(text=text, blocks=kit.text_blocks(text), replace_original=False)
                with request_ctx(deps, user, now) as again:
                    current = archive.view_of(again, removed.deletion_id)
                    view = ab.deletion_modal(
                        lang,
                        again.config.archive,
                        [current.account],
                        now,
                        json.dumps({"deletion": removed.deletion_id}),
                        account=current.account,
                        deletion=current.deletion,
                    )
                open_modal(deps, body, view, respond, lang)

            return after

        return press

    app.action(ids.ITEM_HIDE_ON_PLATFORM)(button(deps, removal(hide=True)))
    app.action(ids.ITEM_DELETE_ON_PLATFORM)(button(deps, removal(hide=False)))
