"""Account requests in Slack: the request form submitted, Approve, Decline with its reason
modal; after each decision the request's messages are updated so nobody acts on a stale one."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.items.blocks import done_modal
from bot.kernel.context import Ctx
from bot.kernel.errors import VaktError
from bot.kernel.i18n import plain, t
from bot.requests import blocks as rb
from bot.requests import service as requests
from bot.requests.core import RequestForm
from bot.slackkit import blocks as kit
from bot.slackkit import payload
from bot.slackkit.blocks import escape
from bot.slackkit.deps import Deps, acting, request_ctx
from bot.slackkit.gateway import SlackSendError
from bot.slackkit.listen import button, deliver_now, open_modal, refuse
from bot.slackkit.payload import as_list, form_field, form_selected, form_values
from bot.store.db import session_scope

log = logging.getLogger(__name__)


def _text(values: dict[str, dict[str, Any]], field: str) -> str:
    value = form_field(values, rb.block_id(field)).get("value")
    return str(value) if value else ""


def _end_date(values: dict[str, dict[str, Any]]) -> date | None:
    raw = form_field(values, rb.block_id("end_date")).get("selected_date")
    if not raw:
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        return date.min  # refused by the form's check: "must be after today"


def form_of(values: dict[str, dict[str, Any]]) -> RequestForm:
    """The request modal's state as the service's form."""
    admins = as_list(form_field(values, rb.block_id("admins")).get("selected_users"))
    substitute = form_field(values, rb.block_id("substitute")).get("selected_user")
    return RequestForm(
        name=_text(values, "name"),
        platform=form_selected(values, rb.block_id("platform")),
        kind=form_selected(values, rb.block_id("kind")),
        url=_text(values, "url") or None,
        team=form_selected(values, rb.block_id("team")),
        unit=_text(values, "unit"),
        purpose=_text(values, "purpose"),
        audience=_text(values, "audience"),
        dialogue=_text(values, "dialogue"),
        privacy=_text(values, "privacy"),
        resources=_text(values, "resources"),
        plan=_text(values, "plan"),
        admins=tuple(str(u) for u in admins if u),
        substitute=str(substitute) if substitute else None,
        end_date=_end_date(values),
    )


def _receipt(lang: str, view: requests.RequestView) -> str:
    manager = view.team.manager
    deciders = (
        t(lang, "request.receipt_both", who=f"<@{manager}>")
        if manager
        else t(lang, "request.receipt_coordinators")
    )
    return t(lang, "request.receipt", id=view.id, name=escape(view.request.name), deciders=deciders)


def refresh_messages(deps: Deps, request_id: int) -> None:
    """Show a request's decision on every message of it already in Slack. Best effort: the
    decision is saved, and a stale button is refused anyway."""
    now = deps.clock()
    with session_scope(deps.engine) as session:
        updates = requests.message_updates(session, deps.config, deps.calendar, request_id, now)
    for update in updates:
        try:
            deps.gateway.update_message(update.channel, update.ts, update.text, update.blocks)
        except SlackSendError as exc:
            log.info("message of request %s not updated: %s", request_id, exc.code)


def _ephemeral(body: dict[str, Any]) -> bool:
    return bool((body.get("container") or {}).get("is_ephemeral"))


def _listing_blocks(ctx: Ctx, lang: str) -> list[dict[str, Any]]:
    return rb.listing(lang, ctx.calendar.tz, requests.listing(ctx))[1]


def register(app: App, deps: Deps) -> None:
    """Wire the request listeners."""

    def _answer(respond: Respond, body: dict[str, Any], done: str, listing: Any) -> None:
        """The clicker's answer; a `/vakt requests` list (ephemeral, so not updatable by Vakt)
        is replaced by a fresh one under it."""
        if listing is not None:
            respond(text=done, blocks=[*kit.text_blocks(done), *listing], replace_original=True)
        else:
            respond(text=done, blocks=kit.text_blocks(done), replace_original=False)

    @app.view(rb.REQUEST_VIEW)
    def on_request_submit(ack: Ack, body: dict[str, Any]) -> None:
        user, now, lang = acting(deps, body)
        form = form_of(form_values(body))
        try:
            with request_ctx(deps, user, now) as ctx:
                view = requests.submit(ctx, form)
                done = _receipt(lang, view)
        except requests.InvalidRequest as invalid:
            errors = {
                rb.block_id(field): plain(lang, error.key, **error.params)
                for field, error in invalid.problems.items()
            }
            ack(response_action="errors", errors=errors)
            return
        except VaktError as error:
            ack(
                response_action="errors",
                errors={rb.block_id("name"): plain(lang, error.key, **error.params)},
            )
            return
        ack(response_action="update", view=done_modal(lang, plain(lang, "request.title"), done))
        deliver_now(deps)

    @app.action(rb.APPROVE)
    def on_approve(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        user, now, lang = acting(deps, body)
        listing = None
        try:
            request_id = payload.value_id(body)
            with request_ctx(deps, user, now) as ctx:
                decision = requests.approve(ctx, request_id)
                view = decision.view
                if decision.account is not None:
                    done = t(
                        lang,
                        "request.you_approved_done",
                        id=view.id,
                        key=decision.account.key,
                        team=escape(view.team.name),
                        requester=f"<@{view.request.requester}>",
                    )
                else:
                    done = t(
                        lang,
                        "request.you_approved_partial",
                        id=view.id,
                        awaiting=rb.awaiting(lang, view),
                    )
                if _ephemeral(body):
                    listing = _listing_blocks(ctx, lang)
        except (KeyError, IndexError, ValueError):
            respond(text=t(lang, "error.bad_button"), replace_original=False)
            return
        except VaktError as error:
            refuse(respond, lang, error)
            return
        _answer(respond, body, done, listing)
        deliver_now(deps)
        refresh_messages(deps, request_id)

    def decline(
        body: dict[str, Any], respond: Respond, ctx: Ctx, lang: str, value: str
    ) -> Callable[[], None]:
        request_id = payload.number(value)
        view = requests.check_decider(ctx, request_id)
        modal = rb.decline_modal(lang, view, json.dumps({"request": request_id}))
        return lambda: open_modal(deps, body, modal, respond, lang)

    app.action(rb.DECLINE)(button(deps, decline))

    @app.view(rb.DECLINE_VIEW)
    def on_decline_submit(ack: Ack, body: dict[str, Any]) -> None:
        user, now, lang = acting(deps, body)
        reason = form_field(form_values(body), rb.FIELD_REASON).get("value")
        try:
            request_id = payload.meta_id(payload.metadata(body), "request")
        except payload.Stale:
            ack(response_action="errors", errors={rb.FIELD_REASON: plain(lang, "error.stale_form")})
            return
        try:
            with request_ctx(deps, user, now) as ctx:
                view = requests.decline(ctx, request_id, str(reason) if reason else None)
                done = t(
                    lang,
                    "request.you_declined",
                    id=view.id,
                    requester=f"<@{view.request.requester}>",
                )
        except VaktError as error:
            ack(
                response_action="errors",
                errors={rb.FIELD_REASON: plain(lang, error.key, **error.params)},
            )
            return
        ack(
            response_action="update",
            view=done_modal(lang, plain(lang, "request.decline_title"), done),
        )
        deliver_now(deps)
        refresh_messages(deps, request_id)
