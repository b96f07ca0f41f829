"""The Bolt app: every listener guarded, every request through the gate, the features wired.

`build_app` makes one app from the features the composition root lists: their `/vakt`
subcommands (one router), their listeners, and the Events API messages and reactions they take.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Any

import sqlalchemy as sa
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.logger import messages as bolt_messages

from bot.kernel.i18n import t
from bot.kernel.parse import clean
from bot.slackkit import blocks as kit
from bot.slackkit import guard, payload
from bot.slackkit.deps import Deps, user_language
from bot.slackkit.feature import Feature
from bot.slackkit.router import Router
from bot.slackkit.shed import Shedder
from bot.store.db import is_storage_full, is_unavailable

log = logging.getLogger(__name__)


class _ClientTokenNotice(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment even when given a client, and then warns
    that the token "will be unused": Vakt's client carries that very token, so the warning (on
    every start where the token is in the environment, as under systemd) says nothing. Only
    that one message is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != bolt_messages.warning_client_prioritized_and_token_skipped()


def _quiet_the_client_token_notice() -> None:
    bolt_log = logging.getLogger(f"slack_bolt.{App.__name__}")  # Bolt's own logger of App
    if not any(isinstance(f, _ClientTokenNotice) for f in bolt_log.filters):
        bolt_log.addFilter(_ClientTokenNotice())


def _events_wait_for_the_database(deps: Deps) -> Callable[..., BoltResponse | None]:
    """An event is acked before it is handled, and Slack does not send an acked event again:
    while the database does not answer, answer 503 instead, and Slack retries it later."""

    def middleware(body: dict[str, Any], next: Callable[[], BoltResponse]) -> BoltResponse | None:
        if body.get("type") != "event_callback":
            return next()
        try:
            # A checkout is enough: the pool pings the connection it hands out (pre-ping).
            with deps.engine.connect():
                pass
        except sa.exc.SQLAlchemyError as exc:
            log.warning(
                "event %s left for Slack to retry: %s", body.get("event_id"), exc.__class__.__name__
            )
            return BoltResponse(status=503, body="")
        return next()

    return middleware


def _on_failure(deps: Deps) -> Callable[[Exception, dict[str, Any]], None]:
    """A listener failed after its ack: tell the user in their language that nothing was done
    (their change was rolled back with its transaction) instead of leaving them in silence."""

    def report(error: Exception, kwargs: dict[str, Any]) -> None:
        down, full = is_unavailable(error), is_storage_full(error)
        if down:
            what = "the database's storage is full" if full else "the database did not answer"
            log.warning("a request failed, %s: %s", what, type(error).__name__)
        else:
            log.error("a listener failed", exc_info=error)
        body = kwargs.get("body") or {}
        respond = kwargs.get("respond")
        if respond is None or not isinstance(body, dict) or not body.get("response_url"):
            return
        user = body.get("user_id") or (body.get("user") or {}).get("id")
        lang = deps.config.language
        if user and not down:
            try:
                lang = user_language(deps, str(user), deps.clock())
            except Exception:  # the language is a nicety; the answer still goes out
                lang = deps.config.language
        key = "error.storage_full" if full else "error.database_unavailable"
        message = t(lang, key if down else "error.internal")
        try:
            respond(
                text=message,
                blocks=kit.error_blocks(message, None),
                response_type="ephemeral",
                replace_original=False,
            )
        except Exception as exc:  # Slack unreachable too: the log above has it
            log.info("could not tell the user: %s", type(exc).__name__)

    return report


def _guarded(
    fn: Callable[..., Any], report: Callable[[Exception, dict[str, Any]], None]
) -> Callable[..., Any]:
    @functools.wraps(fn)  # Bolt reads the wrapped function's argument names
    def listener(**kwargs: Any) -> Any:
        try:
            return fn(**kwargs)
        except Exception as error:
            ack = kwargs.get("ack")
            if ack is not None and ack.response is None:
                raise  # not acked yet: Bolt answers 500 (and Slack retries an event)
            report(error, kwargs)
            return None

    return listener


class VaktApp(App):
    """Bolt's App, with every listener guarded: an exception is reported to the user and logged
    here. Left to Bolt, a listener that fails right after ack() can race Bolt's own error path
    and turn the already given 200 into a 404 (or a Socket Mode envelope left unacked).

    Every request passes `gate` first (over HTTP, in Socket Mode and in the console alike): a
    payload not shaped as Slack sends it, or from another workspace, is answered there and
    reaches neither Bolt's middleware nor a listener. Over HTTP, bot.web.app has checked Slack's
    signature before."""

    def __init__(
        self,
        *,
        report: Callable[[Exception, dict[str, Any]], None],
        gate: Callable[[Any], BoltResponse | None],
        **kwargs: Any,
    ):
        self._report = report
        self._gate = gate
        super().__init__(**kwargs)

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        refused = self._gate(req.body)
        return refused if refused is not None else super().dispatch(req)

    def _handle_unmatched_requests(self, req: BoltRequest, resp: BoltResponse) -> BoltResponse:
        # Bolt's own warning spans a dozen lines of sample code for the developer.
        log.warning("no listener for a request: %s", guard.summary(req.body))
        return resp

    def _register_listener(
        self, functions: Sequence[Callable[..., Any]], *args: Any, **kwargs: Any
    ) -> Callable[..., Any] | None:
        functions = list(functions)
        super()._register_listener([_guarded(f, self._report) for f in functions], *args, **kwargs)
        return functions[0] if len(functions) == 1 else None


def build_app(
    deps: Deps,
    features: Sequence[Feature],
    *,
    signing_secret: str | None,
    listener_executor: Executor | None = None,
    shed: Shedder | None = None,
) -> App:
    """A Bolt app over the given client; HTTP mode passes the signing secret, Socket Mode not.
    With `shed`, a command the listener pool cannot start at once is answered "busy" instead."""
    _quiet_the_client_token_notice()
    app = VaktApp(
        report=_on_failure(deps),
        gate=guard.Gate(lambda: deps.bot_identity().workspace, deps.config.language),
        listener_executor=listener_executor,
        client=deps.client,
        signing_secret=signing_secret,
        request_verification_enabled=signing_secret is not None,
        token_verification_enabled=False,
        raise_error_for_unhandled_request=False,
    )
    router_of(features).register(app, deps)
    if shed is not None:
        app.middleware(shed.middleware)  # first: a shed command costs no more than its ack
    app.middleware(_events_wait_for_the_database(deps))
    for feature in features:
        if feature.listeners is not None:
            feature.listeners(app, deps)
    _events(app, deps, features)
    return app


def router_of(features: Sequence[Feature]) -> Router:
    """One `/vakt` router over every feature's subcommands and actions."""
    return Router(
        [c for f in features for c in f.commands], [a for f in features for a in f.actions]
    )


def _events(app: App, deps: Deps, features: Sequence[Feature]) -> None:
    """Messages and reactions go to the features' handlers, by precedence, until one takes it."""
    messages = sorted((f.messages for f in features if f.messages), key=lambda h: h.precedence)
    reactions = sorted((f.reactions for f in features if f.reactions), key=lambda h: h.precedence)

    @app.event("message")
    def on_message(body: dict[str, Any]) -> None:
        body = clean(body)  # texts as they can be stored (no NUL, no lone surrogate)
        event = payload.as_dict(body.get("event"))
        for handler in messages:
            if handler.handle(deps, body, event):
                return

    @app.event("reaction_added")
    def on_reaction(body: dict[str, Any]) -> None:
        body = clean(body)
        event = payload.as_dict(body.get("event"))
        for handler in reactions:
            if handler.handle(deps, body, event):
                return
