"""`/vakt` routing: each feature declares its subcommands as data; the router reads them.

A subcommand is a `Command`: its name, the words that call it in nb, sv and en, and a handler
that takes the request context, the reader's language and the words after it, and returns a
`Reply`. A feature may answer a word after another feature's subcommand with an `Action`
(`/vakt account close ...` is the lifecycle's, `/vakt account` the register's). Domain errors
become a short localised answer with the subcommand's usage line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from time import perf_counter
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from bot.kernel.context import Ctx
from bot.kernel.errors import NotAllowed, UserInputError, VaktError
from bot.kernel.i18n import t
from bot.kernel.parse import tokens
from bot.slackkit import blocks as kit
from bot.slackkit.deps import Deps, request_ctx, user_language
from bot.slackkit.early import ARRIVED, DEADLINES
from bot.slackkit.gateway import SlackSendError
from bot.slackkit.listen import deliver_now

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reply:
    text: str
    blocks: list[dict[str, Any]]
    view: dict[str, Any] | None = None  # a modal to open instead of answering
    upload: Upload | None = None  # a file to send the user as a direct message


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes
    title: str
    comment: str


Handler = Callable[[Ctx, str, list[str]], Reply]


def reply(text: str) -> Reply:
    """A plain text answer."""
    return Reply(text, kit.text_blocks(text))


@dataclass(frozen=True)
class Command:
    """A `/vakt` subcommand. `coordinators_only` ones are refused before anything is parsed."""

    name: str
    words: tuple[str, ...]
    handler: Handler
    coordinators_only: bool = False


@dataclass(frozen=True)
class Action:
    """A word after the subcommand `command` that this handler answers, given the words after
    it. With several actions for one word, the one needing the most words (`min_words`) that
    are there takes it."""

    command: str
    words: tuple[str, ...]
    handler: Handler
    min_words: int = 0


def cmd_help(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    return Reply(t(lang, "help.header"), kit.help_blocks(lang, ctx.is_coordinator))


HELP = Command("help", ("help", "hjelp", "hjälp", "?"), cmd_help)


class Router:
    """The subcommands of every feature, found by any of their words."""

    def __init__(self, commands: Iterable[Command], actions: Iterable[Action] = ()):
        self.commands = (*commands, HELP)
        self.by_word: dict[str, Command] = {}
        for command in self.commands:
            for word in command.words:
                taken = self.by_word.setdefault(word.lower(), command)
                if taken is not command:
                    raise ValueError(f"{word!r} names both {taken.name} and {command.name}")
        self.actions: dict[str, list[Action]] = {}
        for action in actions:
            if action.command not in {c.name for c in self.commands}:
                raise ValueError(f"an action for {action.command!r}, which is no subcommand")
            self.actions.setdefault(action.command, []).append(action)
        for listed in self.actions.values():
            listed.sort(key=lambda a: -a.min_words)

    def find(self, word: str) -> Command | None:
        """The subcommand a word names, in any of the three languages."""
        return self.by_word.get(word.lower())

    def run(self, ctx: Ctx, lang: str, command: Command, words: list[str]) -> Reply:
        """Run `command` with the words after it (an action's handler when one takes them)."""
        if command.coordinators_only and not ctx.is_coordinator:
            raise NotAllowed("error.coordinators_only")
        if words:
            first = words[0].lower()
            for action in self.actions.get(command.name, ()):
                if first in action.words and len(words) - 1 >= action.min_words:
                    return action.handler(ctx, lang, words[1:])
        return command.handler(ctx, lang, words)

    def handle(self, deps: Deps, user: str, text: str, now: datetime) -> Reply:
        """Run one `/vakt ...` command; every domain error becomes a short localised answer."""
        lang = user_language(deps, user, now)
        words = tokens(text)
        command = self.find(words[0]) if words else self.find("who")
        if command is None:
            message = t(lang, "error.unknown_command", value=words[0][:40])
            return Reply(message, kit.error_blocks(message, t(lang, "usage.all")))
        try:
            with request_ctx(deps, user, now) as ctx:
                return self.run(ctx, lang, command, words[1:])
        except VaktError as error:
            message = t(lang, error.key, **error.params)
            usage_key = f"usage.{command.name}"
            usage = t(lang, usage_key) if isinstance(error, UserInputError) else None
            return Reply(message, kit.error_blocks(message, usage))

    def register(self, app: App, deps: Deps) -> None:
        """The `/vakt` slash command: routed, answered ephemerally in its ack when the answer is
        ready in time, else at its response_url (or a modal opened, or a file sent by direct
        message, after an empty ack)."""

        @app.command("/vakt")
        def on_vakt(ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
            # The answer goes in the ack when it is ready in time (bot.slackkit.early), else
            # the ack goes out empty at the deadline and the answer to the response_url.
            arrived = context.get(ARRIVED)
            start = arrived if isinstance(arrived, float) else perf_counter()
            answering = DEADLINES.watch(ack, start + deps.answer_in_ack_within)
            now = deps.clock()
            user = body["user_id"]
            try:
                answer = self.handle(deps, user, body.get("text") or "", now)
            except BaseException:
                answering.ack_empty()  # acked: the failure is told at the response_url
                raise
            if answer.view is not None and body.get("trigger_id"):
                answering.ack_empty()
                try:
                    deps.gateway.open_view(body["trigger_id"], answer.view)
                    return
                except SlackSendError as exc:
                    # The trigger expired (3 seconds) or Slack refused: say so instead of nothing.
                    log.info("views.open failed: %s", exc.code)
                    message = t(user_language(deps, user, now), "error.modal_failed")
                    respond(
                        text=message,
                        blocks=kit.error_blocks(message, None),
                        response_type="ephemeral",
                    )
                    return
            if answer.upload is not None:
                answering.ack_empty()
                _send_upload(deps, user, answer.upload, answer.text, respond, now)
                return
            if answering.claim():
                ack(text=answer.text, blocks=answer.blocks, response_type="ephemeral")
            else:
                respond(text=answer.text, blocks=answer.blocks, response_type="ephemeral")
            deliver_now(deps)


def _send_upload(
    deps: Deps, user: str, upload: Upload, done: str, respond: Respond, now: datetime
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
