"""Listener helpers: a button pressed in one transaction, a modal opened, a refusal said, and
what an action recorded sent at once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, Respond

from bot.kernel.context import Ctx
from bot.kernel.errors import VaktError
from bot.kernel.i18n import t
from bot.slackkit import blocks as kit
from bot.slackkit import payload
from bot.slackkit.deps import Deps, acting, request_ctx
from bot.slackkit.gateway import SlackSendError
from bot.slackkit.outbox import deliver, recorded_since_last_check

log = logging.getLogger(__name__)


class FormErrors(Exception):
    """What a submitted modal got wrong, by block id: shown under its fields, the modal kept
    open (`ack(response_action="errors", errors=...)`)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


def deliver_now(deps: Deps) -> None:
    """Send what a user action recorded (swap requests ...) straight away; the scheduler
    retries whatever fails. An action that recorded nothing (a read-only command) skips it."""
    if recorded_since_last_check():
        deliver(deps.engine, deps.gateway, deps.clock())


After = Callable[[], None] | None


Press = Callable[[dict[str, Any], Respond, Ctx, str, str], After]


def open_modal(
    deps: Deps, body: dict[str, Any], view: dict[str, Any], respond: Respond, lang: str
) -> None:
    """Open a modal on a button's trigger; an expired trigger or a refusal is said, not lost."""
    try:
        deps.gateway.open_view(body["trigger_id"], view)
    except (SlackSendError, KeyError) as exc:
        log.info("views.open failed: %s", exc)
        respond(text=t(lang, "error.modal_failed"), replace_original=False)


def refuse(respond: Respond, lang: str, error: VaktError) -> None:
    """A domain error as a short answer to the one who pressed, the message left as it was."""
    message = t(lang, error.key, **error.params)
    respond(text=message, blocks=kit.error_blocks(message, None), replace_original=False)


def button(deps: Deps, press: Press) -> Callable[[Ack, dict[str, Any], Respond], None]:
    """A button listener: acked, `press` run in one transaction as the presser with the
    button's value, a bad value (ValueError, KeyError) or a refusal answered in their language;
    what `press` returns runs after the commit (opening a modal, updating a message)."""

    def listener(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        user, now, lang = acting(deps, body)
        try:
            value = payload.value(body)
            with request_ctx(deps, user, now) as ctx:
                after = press(body, respond, ctx, lang, value)
        except (KeyError, IndexError, ValueError):
            respond(text=t(lang, "error.bad_button"), replace_original=False)
            return
        except VaktError as error:
            refuse(respond, lang, error)
            return
        if after is not None:
            after()

    return listener


def done_button(
    deps: Deps, action: Callable[[Ctx, int], Any], done_key: str, replace: bool
) -> Callable[[Ack, dict[str, Any], Respond], None]:
    """A button whose value is an id: `action(ctx, id)` in one transaction as the presser, then
    `done_key` said in their language (in place of the message when `replace`); a bad value or
    a refusal answered without touching the message."""

    def listener(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        user, now, lang = acting(deps, body)
        try:
            value = payload.value_id(body)
            with request_ctx(deps, user, now) as ctx:
                action(ctx, value)
        except ValueError:
            respond(text=t(lang, "error.bad_button"), replace_original=False)
            return
        except VaktError as error:
            refuse(respond, lang, error)
            return
        message = t(lang, done_key)
        respond(text=message, blocks=kit.text_blocks(message), replace_original=replace)
        deliver_now(deps)

    return listener
