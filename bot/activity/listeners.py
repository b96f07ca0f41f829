"""Posts from a published feed channel and the Posted today button."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.activity import service as activity
from bot.activity.blocks import ACTIVITY_POSTED, account_label
from bot.activity.commands import week_lines
from bot.items.listeners import INTAKE_SUBTYPES
from bot.kernel.errors import VaktError
from bot.kernel.i18n import t
from bot.slackkit import blocks as kit
from bot.slackkit import payload
from bot.slackkit.deps import Deps, acting, request_ctx
from bot.slackkit.events import own, seen
from bot.slackkit.payload import instant
from bot.store.db import session_scope
from bot.store.models import Account

log = logging.getLogger(__name__)


def handle_feed_message(deps: Deps, body: dict[str, Any], event: dict[str, Any]) -> bool:
    """A message in an account's published feed channel counts as a post of the account;
    deleting the message withdraws the post. True when the channel was a feed (the message
    needs nothing more: it is never an intake question)."""
    channel = event.get("channel")
    if not isinstance(channel, str):
        return False
    with session_scope(deps.engine) as session:
        account = activity.account_for_feed(session, channel)
        if account is None:
            return False
        account_id = account.id
    subtype = event.get("subtype")
    if subtype == "message_deleted":
        deleted_ts = event.get("deleted_ts")
        if isinstance(deleted_ts, str):
            _withdraw(deps, account_id, f"slack:{channel}:{deleted_ts}")
        return True
    ts = event.get("ts")
    posted = instant(ts)
    if subtype not in INTAKE_SUBTYPES or not isinstance(ts, str) or posted is None:
        return True  # edits, joins, topic changes: not posts
    if event.get("thread_ts") and event.get("thread_ts") != ts:
        return True  # a reply in a thread is talk about a post, not a new one
    if own(deps, event):
        return True
    now = deps.clock()
    actor = str(event.get("user") or event.get("bot_id") or "integration")[:40]
    try:
        with request_ctx(deps, actor, now) as ctx:
            if seen(ctx, body.get("event_id")):
                return True
            account = ctx.session.get(Account, account_id)
            assert account is not None
            _, created = activity.record_post(ctx, account, f"slack:{channel}:{ts}", posted, "feed")
    except VaktError as error:
        log.info("feed message %s in %s not counted: %s", ts, channel, error.key)
        return True
    if created:
        log.info("post of %s recorded from its feed channel", account.key)
    return True


def _withdraw(deps: Deps, account_id: int | None, external_id: str) -> None:
    with session_scope(deps.engine) as session:
        account = session.get(Account, account_id)
        if account is not None and activity.remove_post(session, account, external_id):
            log.info("post of %s withdrawn: its feed message was deleted", account.key)


def register(app: App, deps: Deps) -> None:
    """Wire the Posted today button of the weekly activity message."""

    @app.action(ACTIVITY_POSTED)
    def on_posted(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        user, now, lang = acting(deps, body)
        try:
            account_id = payload.value_id(body)
        except payload.Stale:
            respond(text=t(lang, "error.bad_button"), replace_original=False)
            return
        try:
            with request_ctx(deps, user, now) as ctx:
                account = ctx.session.get(Account, account_id)
                if account is None:
                    respond(text=t(lang, "error.bad_button"), replace_original=False)
                    return
                activity.check_recorder(ctx, account)
                # One press per person, account and day counts: pressing again changes nothing.
                # One press per account and day counts, whoever presses: two colleagues
                # pressing for the same post must not make two (and a false VT5 notice).
                external_id = f"button:{account.id}:{ctx.today.isoformat()}"
                post, created = activity.record_post(ctx, account, external_id, now, "button")
                head = t(
                    lang,
                    "activity.button_done" if created else "activity.button_already",
                    account=account_label(account),
                )
                text = "\n".join([head, *week_lines(ctx, lang, account, post)])
        except VaktError as error:
            message = t(lang, error.key, **error.params)
            respond(text=message, blocks=kit.error_blocks(message, None), replace_original=False)
            return
        respond(
            text=text,
            blocks=kit.text_blocks(text),
            response_type="ephemeral",
            replace_original=False,
        )
