"""The Bolt app: listeners that ack, parse, call one service and answer in the reader's language."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from slack_bolt import Ack, App, BoltRequest, BoltResponse, Respond
from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.archive.files import Downloader, slack_downloader
from bot.config import OrgConfig
from bot.kernel.calendar import WorkCalendar
from bot.kernel.context import Ctx, open_ctx
from bot.kernel.errors import UserInputError, VaktError
from bot.kernel.i18n import language_of_locale, t
from bot.kernel.links import FeedKeys
from bot.kernel.parse import tokens
from bot.rota import ids
from bot.rota import service as rota
from bot.slack import commands
from bot.slackkit import blocks as kit
from bot.slackkit import guard, payload
from bot.slackkit.gateway import Identity, SlackGateway, SlackSendError
from bot.slackkit.outbox import deliver, recorded_since_last_check
from bot.store.db import is_storage_full, is_unavailable, session_scope
from bot.store.models import Person

log = logging.getLogger(__name__)
LOCALE_TTL = timedelta(days=7)


@dataclass
class Deps:
    """Everything the listeners need, built once by the composition root."""

    config: OrgConfig
    calendar: WorkCalendar
    engine: Engine
    client: WebClient
    gateway: SlackGateway
    clock: Callable[[], datetime]
    identity: Identity | None = None  # asked of Slack once (auth.test)
    archive_dir: Path = Path("data/archive")
    bot_token: str | None = None  # for downloading files shared with Vakt
    download_deadline: float = 120.0  # seconds one such download may take in all
    feed_keys: FeedKeys | None = None  # calendar links (HTTP mode with a public URL)

    def downloader(self) -> Downloader:
        """How files shared with Vakt are downloaded: with the bot token, from Slack only."""
        return slack_downloader(
            self.bot_token, str(self.client.base_url), deadline=self.download_deadline
        )

    def bot_identity(self) -> Identity:
        """Who Vakt is in Slack: to recognise (and skip) its own messages, and to serve its
        own workspace only. Asked once; SlackSendError while Slack cannot say."""
        if self.identity is None:
            self.identity = self.gateway.identity()
        return self.identity


def user_language(deps: Deps, user: str, now: datetime) -> str:
    """The reader's language: their Slack locale (cached a week), else the organisation's."""
    with session_scope(deps.engine) as session:
        person = session.get(Person, user)
        if person is not None and now - person.fetched_at < LOCALE_TTL:
            return language_of_locale(person.locale, deps.config.language)
    locale, name = deps.gateway.user_profile(user)
    try:
        with session_scope(deps.engine) as session:
            person = session.get(Person, user) or Person(user_id=user, fetched_at=now)
            person.locale, person.fetched_at = locale, now
            person.name = name or person.name
            session.add(person)
    except sa.exc.IntegrityError:
        pass  # a concurrent request by the same person stored it first: same answer
    return language_of_locale(locale, deps.config.language)


@contextmanager
def request_ctx(deps: Deps, actor: str, now: datetime) -> Iterator[Ctx]:
    """One transaction for one user action: committed on success, rolled back on any error."""
    with open_ctx(deps.engine, deps.config, deps.calendar, actor, now, deps.feed_keys) as ctx:
        yield ctx


def _error_text(lang: str, error: VaktError, usage_key: str | None) -> tuple[str, str | None]:
    message = t(lang, error.key, **error.params)
    usage = t(lang, usage_key) if usage_key and isinstance(error, UserInputError) else None
    return message, usage


def handle_command(deps: Deps, user: str, text: str, now: datetime) -> commands.Reply:
    """Run one `/vakt ...` command; every domain error becomes a short localised answer."""
    lang = user_language(deps, user, now)
    words = tokens(text)
    command = commands.find(words[0]) if words else commands.find("who")
    if command is None:
        message = t(lang, "error.unknown_command", value=words[0][:40])
        return commands.Reply(message, kit.error_blocks(message, t(lang, "usage.all")))
    usage_key = f"usage.{command.name}"
    try:
        with request_ctx(deps, user, now) as ctx:
            commands.check_allowed(ctx, command)
            reply = command.handler(ctx, lang, words[1:])
    except VaktError as error:
        message, usage = _error_text(lang, error, usage_key)
        return commands.Reply(message, kit.error_blocks(message, usage))
    return reply


def _deliver_now(deps: Deps) -> None:
    """Send what a user action recorded (swap requests ...) straight away; the scheduler
    retries whatever fails. An action that recorded nothing (a read-only command) skips it."""
    if recorded_since_last_check():
        deliver(deps.engine, deps.gateway, deps.clock())


def _send_upload(
    deps: Deps,
    user: str,
    upload: commands.Upload,
    done: str,
    respond: Respond,
    now: datetime,
) -> None:
    """Send a file a command made (an export) to the user as a direct message."""
    lang = user_language(deps, user, now)
    try:
        channel = deps.gateway.open_dm(user)
        deps.gateway.upload_file(
            channel, upload.filename, upload.content, upload.title, upload.comment
        )
    except SlackSendError as exc:
        log.warning("upload of %s failed: %s", upload.filename, exc.code)
        message = t(lang, "error.upload_failed")
        respond(text=message, blocks=kit.error_blocks(message, None), response_type="ephemeral")
        return
    respond(text=done, blocks=kit.text_blocks(done), response_type="ephemeral")


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
        now = deps.clock()
        user = body["user"]["id"]
        lang = user_language(deps, user, now)
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


def register(app: App, deps: Deps) -> None:
    """Wire every listener."""

    @app.command("/vakt")
    def on_vakt(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        now = deps.clock()
        reply = handle_command(deps, body["user_id"], body.get("text") or "", now)
        if reply.view is not None and body.get("trigger_id"):
            try:
                deps.gateway.open_view(body["trigger_id"], reply.view)
                return
            except SlackSendError as exc:
                # The trigger expired (3 seconds) or Slack refused: say so instead of nothing.
                log.info("views.open failed: %s", exc.code)
                lang = user_language(deps, body["user_id"], now)
                message = t(lang, "error.modal_failed")
                respond(
                    text=message, blocks=kit.error_blocks(message, None), response_type="ephemeral"
                )
                return
        if reply.upload is not None:
            _send_upload(deps, body["user_id"], reply.upload, reply.text, respond, now)
            return
        respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral")
        _deliver_now(deps)

    def _button(
        action: Callable[[Ctx, int], Any], done_key: str, replace: bool
    ) -> Callable[[Ack, dict[str, Any], Respond], None]:
        def listener(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
            ack()
            now = deps.clock()
            user = body["user"]["id"]
            lang = user_language(deps, user, now)
            try:
                value = payload.value_id(body)
                with request_ctx(deps, user, now) as ctx:
                    action(ctx, value)
            except ValueError:
                respond(text=t(lang, "error.bad_button"), replace_original=False)
                return
            except VaktError as error:
                message = t(lang, error.key, **error.params)
                respond(
                    text=message, blocks=kit.error_blocks(message, None), replace_original=False
                )
                return
            message = t(lang, done_key)
            respond(text=message, blocks=kit.text_blocks(message), replace_original=replace)
            _deliver_now(deps)

        return listener

    app.action(ids.SWAP_ACCEPT)(
        _button(lambda ctx, i: rota.decide_swap(ctx, i, True), "swap.you_accepted", True)
    )
    app.action(ids.SWAP_DECLINE)(
        _button(lambda ctx, i: rota.decide_swap(ctx, i, False), "swap.you_declined", True)
    )
    app.action(ids.SWAP_WITHDRAW)(_button(rota.withdraw_swap, "swap.you_withdrew", True))
    app.action(ids.ABSENCE_CANCEL)(_button(rota.cancel_absence, "away.cancelled", False))


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
    deps: Deps, *, signing_secret: str | None, listener_executor: Executor | None = None
) -> App:
    """A Bolt app over the given client; HTTP mode passes the signing secret, Socket Mode not."""
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
    register(app, deps)
    app.middleware(_events_wait_for_the_database(deps))
    from bot.items import listeners as item_listeners

    item_listeners.register(app, deps)
    from bot.archive import listeners as archive_listeners

    archive_listeners.register(app, deps)
    from bot.activity import listeners as activity_listeners
    from bot.home import listeners as home_listeners
    from bot.lifecycle import listeners as lifecycle_listeners
    from bot.register import listeners as register_listeners
    from bot.report import listeners as report_listeners
    from bot.requests import listeners as request_listeners

    for module in (
        register_listeners,
        request_listeners,
        activity_listeners,
        lifecycle_listeners,
        home_listeners,
        report_listeners,
    ):
        module.register(app, deps)
    return app
