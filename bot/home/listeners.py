"""Listeners of the App Home tab: publish it when it is opened, and answer its buttons.

A press on a home has no response_url, so the item listeners (which answer with `respond`)
cannot serve it: the home's buttons have their own action ids. A press closes the item with
the same service as a card's button, updates the item's card like they do, and republishes the
presser's home at once with the outcome as a notice on top; a refusal (someone else closed it
first, not their team) is that notice too. Show all opens a modal; when Slack refuses it, the
home says so. Nothing a press does fails silently.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App

from bot.home import blocks as hb
from bot.home import publish as home_publish
from bot.items import service as items
from bot.items.core import Status
from bot.items.listeners import refresh_card
from bot.kernel.errors import VaktError
from bot.kernel.i18n import t
from bot.slackkit import payload
from bot.slackkit.deps import Deps, acting, request_ctx, user_language
from bot.slackkit.gateway import SlackSendError
from bot.store.db import session_scope

log = logging.getLogger(__name__)


def publish(deps: Deps, user: str, *, opened: bool = False, notice: str | None = None) -> bool:
    """Publish a person's home now, in their language."""
    now = deps.clock()
    lang = user_language(deps, user, now)
    return home_publish.publish_home(
        deps.engine,
        deps.config,
        deps.calendar,
        deps.gateway,
        user,
        lang,
        now,
        opened=opened,
        notice=notice,
    )


def press_outcome(deps: Deps, user: str, action_id: str, raw: Any) -> str:
    """Close an item from the home; returns the notice to show (done, or why not)."""

    now = deps.clock()
    lang = user_language(deps, user, now)
    try:
        item_id = payload.number(raw)
    except payload.Stale:
        return t(lang, "home.refused", message=t(lang, "error.bad_button"))
    status = Status(hb.HOME_OUTCOMES[action_id])
    try:
        with request_ctx(deps, user, now) as ctx:
            items.close_item(ctx, item_id, status)
    except VaktError as error:
        return t(lang, "home.refused", message=t(lang, error.key, **error.params))
    refresh_card(deps, item_id)
    return t(lang, f"home.done_{status}", id=item_id)


def register(app: App, deps: Deps) -> None:
    """Wire the listeners."""

    @app.event("app_home_opened")
    def on_home_opened(body: dict[str, Any]) -> None:
        event = body.get("event") or {}
        user = event.get("user")
        # The Messages and About tabs open this event too; only the Home tab is ours.
        if event.get("tab") != "home" or not isinstance(user, str) or not user:
            return
        publish(deps, user, opened=True)

    def on_outcome(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        user = body["user"]["id"]
        action = payload.action(body)
        notice = press_outcome(deps, user, action["action_id"], action.get("value"))
        publish(deps, user, notice=notice)

    for action_id in hb.HOME_OUTCOMES:
        app.action(action_id)(on_outcome)

    @app.action(hb.HOME_SHOW_ALL)
    def on_show_all(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        user, now, lang = acting(deps, body)
        section = str((body.get("actions") or [{}])[0].get("value") or "")
        try:
            with session_scope(deps.engine) as session:
                modal = home_publish.show_all_view(
                    session, deps.config, deps.calendar, user, section, lang, now
                )
            deps.gateway.open_view(body["trigger_id"], modal)
        except (KeyError, SlackSendError) as exc:
            # An unknown list, an expired trigger (3 seconds) or a refusal: said on the home.
            log.info("show all of %r for %s failed: %s", section, user, exc)
            publish(deps, user, notice=t(lang, "home.modal_failed"))
