"""Listeners for items: intake channel messages, check-mark reactions, the message shortcut, the
`/vakt new` and registration modals, and the outcome buttons on cards, digests and lists."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from slack_bolt import Ack, App, Respond
from sqlmodel import select

from bot.items import blocks as ib
from bot.items import ids
from bot.items import messages as item_messages
from bot.items import service as items
from bot.items.commands import unanswered_page
from bot.items.core import Status, excerpt_of, first_link
from bot.kernel.context import Ctx
from bot.kernel.errors import NotAllowed, UserInputError, VaktError
from bot.kernel.i18n import fmt_moment, plain, t
from bot.rota.teams import team_views
from bot.slackkit import blocks as kit
from bot.slackkit import payload
from bot.slackkit.deps import Deps, acting, request_ctx
from bot.slackkit.events import own, seen
from bot.slackkit.gateway import SlackSendError
from bot.slackkit.listen import deliver_now
from bot.slackkit.payload import (
    Stale,
    as_dict,
    form_field,
    form_selected,
    form_values,
    instant,
    message_blocks,
    moment,
    text_of,
)
from bot.store.db import session_scope
from bot.store.models import Item, SlackEvent

log = logging.getLogger(__name__)

# Top-level messages that become items: people's, integrations' (Zapier, Make, Power
# Automate post as bot_message or with a bot_id), files shared with a text.
INTAKE_SUBTYPES = (None, "bot_message", "file_share", "thread_broadcast")
ANSWERED_REACTIONS = ("white_check_mark", "heavy_check_mark")


def message_text(message: dict[str, Any]) -> str:
    """All the readable text of a message: its text and its attachments' (integrations often
    put the comment in an attachment)."""
    parts = [str(message.get("text") or "")]
    attachments = message.get("attachments")
    for attachment in attachments if isinstance(attachments, list) else []:
        if isinstance(attachment, dict):
            for key in ("pretext", "title", "text", "fallback"):
                value = attachment.get(key)
                if isinstance(value, str) and value and value not in parts:
                    parts.append(value)
    return "\n".join(p for p in parts if p)


def handle_message(deps: Deps, body: dict[str, Any], event: dict[str, Any]) -> int | None:
    """A message in an intake channel becomes an item; returns its id (None: not an intake)."""
    channel, ts = event.get("channel"), event.get("ts")
    received = instant(ts)
    if not isinstance(channel, str) or not isinstance(ts, str) or received is None:
        return None
    if event.get("subtype") not in INTAKE_SUBTYPES:
        return None
    if event.get("thread_ts") and event.get("thread_ts") != ts:
        return None  # a reply in a thread: the conversation about an item, not a new one
    now = deps.clock()
    event_id = body.get("event_id")
    with session_scope(deps.engine) as session:
        if not items.is_intake_channel(session, channel):
            return None
        if event_id and session.get(SlackEvent, str(event_id)[:40]) is not None:
            return None  # a retry of an event already handled: no Slack call, no work
    if own(deps, event):
        return None
    text = message_text(event)
    url = first_link(text) or deps.gateway.permalink(channel, ts)
    actor = str(event.get("user") or event.get("bot_id") or "integration")[:40]
    try:
        with request_ctx(deps, actor, now) as ctx:
            if seen(ctx, event_id):
                return None
            account = items.account_for_channel(ctx.session, channel, text)
            if account is None:
                return None
            created = items.create_item(
                ctx,
                items.NewItem(
                    account=account,
                    source="channel",
                    external_id=f"slack:{channel}:{ts}",
                    received_at=received,
                    url=url,
                    text=text,
                    slack_channel=channel,
                    slack_ts=ts,
                ),
            )
            item_id = created.item.id
    except VaktError as error:
        log.warning("message %s in %s not taken in: %s", ts, channel, error.key)
        return None
    deliver_now(deps)
    return item_id


def refresh_card(deps: Deps, item_id: int, skip: tuple[str, str] | None = None) -> None:
    """Show an item's outcome on its card, wherever it was closed. Best effort: the card is a
    view of the item, and the item itself is already saved."""
    now = deps.clock()
    with request_ctx(deps, "vakt", now) as ctx:
        where = items.card_location(ctx.session, item_id)
        if where is None or where == skip:
            return
        item, account, view = items.get_item(ctx, item_id)
        text, blocks = item_messages.card_content(ctx, item, account, view)
    try:
        deps.gateway.update_message(where[0], where[1], text, blocks)
    except SlackSendError as exc:
        log.info("card of item %s not updated: %s", item_id, exc.code)


def handle_reaction(deps: Deps, body: dict[str, Any], event: dict[str, Any]) -> int | None:
    """A check mark from a team member on an intake message marks its item answered."""
    if event.get("reaction") not in ANSWERED_REACTIONS:
        return None
    target = as_dict(event.get("item"))
    channel, ts = text_of(target.get("channel")), text_of(target.get("ts"))
    user = text_of(event.get("user"))
    if target.get("type") != "message" or not channel or not ts or not user:
        return None
    now = deps.clock()
    with request_ctx(deps, user, now) as ctx:
        item = ctx.session.exec(
            select(Item).where(Item.slack_channel == channel, Item.slack_ts == ts)
        ).first()
        if item is None or item.status != Status.OPEN or item.id is None:
            return None
        if seen(ctx, body.get("event_id")):
            return None
        _, _, view = items.get_item(ctx, item.id)
        if not items.may_handle(ctx, view):
            log.info(
                "reaction by %s on item %s ignored: not in team %s", user, item.id, view.team.key
            )
            return None
        items.close_item(ctx, item.id, Status.ANSWERED)
        item_id = item.id
    refresh_card(deps, item_id)
    return item_id


def _url(raw: Any) -> str | None:
    if not isinstance(raw, str) or not raw.strip():
        return None
    url = raw.strip()
    if not url.startswith(("https://", "http://")) or len(url) > 1000 or " " in url:
        raise UserInputError("error.bad_url", value=url[:80])
    return url


def register(app: App, deps: Deps) -> None:
    """Wire the item listeners."""

    # ------------------------------------------------------------ outcome buttons

    def outcome(status: Status | None) -> Callable[[Ack, dict[str, Any], Respond], None]:
        def listener(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
            ack()
            user, now, lang = acting(deps, body)
            try:
                item_id = payload.value_id(body)
            except Stale:
                respond(text=t(lang, "error.bad_button"), replace_original=False)
                return
            container = body.get("container") or {}
            clicked = (str(container.get("channel_id", "")), str(container.get("message_ts", "")))
            try:
                with request_ctx(deps, user, now) as ctx:
                    if status is None:
                        item, account, view = items.reopen_item(ctx, item_id)
                    else:
                        item, account, view = items.close_item(ctx, item_id, status)
                    is_card = items.card_location(ctx.session, item_id) == clicked
                    if is_card:
                        text, new_blocks = item_messages.card_content(ctx, item, account, view)
                    else:
                        text = t(lang, f"item.done_{status or 'open'}", id=item_id)
                        line = ib.line_of(item, account)
                        new_blocks = ib.item_row(lang, ctx.calendar, now, line)
            except VaktError as error:
                message = t(lang, error.key, **error.params)
                respond(
                    text=message, blocks=kit.error_blocks(message, None), replace_original=False
                )
                return
            pressed_on = message_blocks(body.get("message"))
            if is_card:
                respond(text=text, blocks=new_blocks, replace_original=True)
            elif pressed_on:
                respond(
                    text=str((body.get("message") or {}).get("text") or text),
                    blocks=ib.replace_item(pressed_on, item_id, new_blocks),
                    replace_original=True,
                )
            else:
                respond(text=text, blocks=kit.text_blocks(text), replace_original=False)
            refresh_card(deps, item_id, skip=clicked)

        return listener

    app.action(ids.ITEM_ANSWERED)(outcome(Status.ANSWERED))
    app.action(ids.ITEM_NO_REPLY)(outcome(Status.NO_REPLY))
    app.action(ids.ITEM_REFERRED)(outcome(Status.REFERRED))
    app.action(ids.ITEM_REOPEN)(outcome(None))

    @app.action(ids.UNANSWERED_MORE)
    def on_more(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        user, now, lang = acting(deps, body)
        try:
            offset_text, overdue, query = payload.value(body).split("|", 2)
            offset = payload.position(offset_text)
            with request_ctx(deps, user, now) as ctx:
                words = [w for w in (query, "overdue" if overdue == "1" else "") if w]
                reply = unanswered_page(ctx, lang, words, offset)
        except (KeyError, ValueError):
            respond(text=t(lang, "error.bad_button"), replace_original=False)
            return
        except VaktError as error:
            message = t(lang, error.key, **error.params)
            respond(text=message, blocks=kit.error_blocks(message, None), replace_original=False)
            return
        respond(text=reply.text, blocks=reply.blocks, replace_original=False)

    # ------------------------------------------------------------ registration

    @app.action(ids.ITEM_REGISTER)
    def on_register(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        user, now, lang = acting(deps, body)
        try:
            item_id = payload.value_id(body)
            with request_ctx(deps, user, now) as ctx:
                item, account, view = items.get_item(ctx, item_id)
                if not items.may_handle(ctx, view):
                    raise NotAllowed("error.not_your_item", team=view.team.name)
                line = ib.line_of(item, account)
        except (KeyError, ValueError):
            respond(text=t(lang, "error.bad_button"), replace_original=False)
            return
        except VaktError as error:
            message = t(lang, error.key, **error.params)
            respond(text=message, blocks=kit.error_blocks(message, None), replace_original=False)
            return
        metadata = json.dumps({"item": item_id})
        try:
            deps.gateway.open_view(body["trigger_id"], ib.register_modal(lang, line, metadata))
        except SlackSendError as exc:
            log.info("views.open failed: %s", exc.code)
            respond(text=t(lang, "error.modal_failed"), replace_original=False)

    @app.view(ids.REGISTER_VIEW)
    def on_register_submit(ack: Ack, body: dict[str, Any]) -> None:
        user, now, lang = acting(deps, body)
        values = form_values(body)
        reference = text_of(form_field(values, ids.FIELD_REFERENCE).get("value"))
        try:
            item_id = payload.meta_id(payload.metadata(body), "item")
        except Stale:
            ack(
                response_action="errors",
                errors={ids.FIELD_REFERENCE: plain(lang, "error.stale_form")},
            )
            return
        try:
            with request_ctx(deps, user, now) as ctx:
                item, _, _ = items.set_registration(ctx, item_id, must=True, reference=reference)
                done = (
                    t(lang, "item.reference_saved", id=item_id, reference=item.registration_ref)
                    if item.registration_ref
                    else t(lang, "item.flagged", id=item_id)
                )
        except VaktError as error:
            ack(
                response_action="errors",
                errors={ids.FIELD_REFERENCE: plain(lang, error.key, **error.params)},
            )
            return
        ack(
            response_action="update",
            view=ib.done_modal(lang, plain(lang, "modal.register_title"), done),
        )
        refresh_card(deps, item_id)

    # ------------------------------------------------------------ /vakt new and the shortcut

    def _created_text(lang: str, ctx: Ctx, created: items.Created) -> str:
        item = created.item
        key = "item.created" if created.created else "item.already"
        return t(
            lang,
            key,
            id=item.id,
            deadline=fmt_moment(item.deadline, ctx.calendar.tz, lang),
        )

    def _submit(
        ack: Ack,
        user: str,
        lang: str,
        now: datetime,
        account_key: str,
        new: Callable[..., items.NewItem],
        title_key: str,
    ) -> None:
        """Create the item a form describes; a refusal goes back as the form's field error
        (the account field for a wrong account, the time field for a bad time)."""
        try:
            with request_ctx(deps, user, now) as ctx:
                account = items.account_by_key(ctx.session, account_key)
                done = _created_text(lang, ctx, items.create_item(ctx, new(account=account)))
        except VaktError as error:
            field = (
                ids.FIELD_RECEIVED if error.key.startswith("error.received") else ids.FIELD_ACCOUNT
            )
            ack(response_action="errors", errors={field: plain(lang, error.key, **error.params)})
            return
        ack(response_action="update", view=ib.done_modal(lang, plain(lang, title_key), done))
        deliver_now(deps)

    @app.view(ids.NEW_ITEM_VIEW)
    def on_new_submit(ack: Ack, body: dict[str, Any]) -> None:
        user, now, lang = acting(deps, body)
        values = form_values(body)
        errors: dict[str, str] = {}
        account_key = form_selected(values, ids.FIELD_ACCOUNT)
        try:
            url = _url(form_field(values, ids.FIELD_URL).get("value"))
        except UserInputError as error:
            errors[ids.FIELD_URL] = plain(lang, error.key, **error.params)
            url = None
        if url is None and ids.FIELD_URL not in errors:
            errors[ids.FIELD_URL] = plain(lang, "error.url_needed")
        received = moment(form_field(values, ids.FIELD_RECEIVED).get("selected_date_time"))
        if received is None:
            errors[ids.FIELD_RECEIVED] = plain(lang, "error.received_needed")
        if account_key is None:
            errors[ids.FIELD_ACCOUNT] = plain(lang, "error.account_needed")
        note = text_of(form_field(values, ids.FIELD_NOTE).get("value"))
        register_box = form_field(values, ids.FIELD_REGISTER).get("selected_options") or []
        if errors:
            ack(response_action="errors", errors=errors)
            return
        assert url is not None and received is not None and account_key is not None
        new = partial(
            items.NewItem,
            source="command",
            external_id=url,
            received_at=received,
            url=url,
            text=note,
            must_register=True if register_box else None,
        )
        _submit(ack, user, lang, now, account_key, new, "modal.new_title")

    @app.shortcut(ids.TRACK_SHORTCUT)
    def on_track(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        user, now, lang = acting(deps, body)
        message = body.get("message") or {}
        channel = text_of((body.get("channel") or {}).get("id")) or ""
        ts = text_of(message.get("ts")) or text_of(body.get("message_ts")) or ""
        if instant(ts) is None:
            ts = ""  # not a message Slack has: nothing to track
        text = message_text(message)
        with request_ctx(deps, user, now) as ctx:
            accounts = sorted(
                (a for v in team_views(ctx) for a in v.accounts), key=lambda a: a.name.lower()
            )
            guess = items.account_for_channel(ctx.session, channel, text)
        if not accounts or not channel or not ts:
            key = "error.no_accounts" if not accounts else "error.bad_button"
            respond(text=t(lang, key), response_type="ephemeral")
            return
        excerpt = excerpt_of(text, deps.config.items.excerpt_chars)
        metadata = json.dumps({"c": channel, "ts": ts, "x": excerpt, "l": first_link(text)})
        try:
            deps.gateway.open_view(
                body["trigger_id"], ib.track_modal(lang, accounts, guess, metadata[:3000], excerpt)
            )
        except SlackSendError as exc:
            log.info("views.open failed: %s", exc.code)
            respond(text=t(lang, "error.modal_failed"), response_type="ephemeral")

    @app.view(ids.TRACK_VIEW)
    def on_track_submit(ack: Ack, body: dict[str, Any]) -> None:
        user, now, lang = acting(deps, body)
        try:
            meta = payload.metadata(body)
            channel, ts = payload.meta_slack_id(meta, "c"), payload.meta_text(meta, "ts")
            received = instant(ts)
            if received is None:
                raise Stale(ts)
        except Stale:
            ack(
                response_action="errors",
                errors={ids.FIELD_ACCOUNT: plain(lang, "error.stale_form")},
            )
            return
        values = form_values(body)
        account_key = form_selected(values, ids.FIELD_ACCOUNT)
        register_box = form_field(values, ids.FIELD_REGISTER).get("selected_options") or []
        try:
            url = _url(form_field(values, ids.FIELD_URL).get("value"))
        except UserInputError as error:
            ack(
                response_action="errors",
                errors={ids.FIELD_URL: plain(lang, error.key, **error.params)},
            )
            return
        if account_key is None:
            ack(
                response_action="errors",
                errors={ids.FIELD_ACCOUNT: plain(lang, "error.account_needed")},
            )
            return
        link = url or text_of(meta.get("l")) or deps.gateway.permalink(channel, ts)
        new = partial(
            items.NewItem,
            source="shortcut",
            external_id=f"slack:{channel}:{ts}",
            received_at=received,
            url=link,
            text=text_of(meta.get("x")),
            slack_channel=channel,
            slack_ts=ts,
            must_register=True if register_box else None,
        )
        _submit(ack, user, lang, now, account_key, new, "modal.track_title")
