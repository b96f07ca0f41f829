"""The console's composition root: the real runtime (database, listeners, jobs) wired to the
in-process Slack stand-in, a clock of its own, and the actions a console line turns into:
a slash command, a button press, a modal submitted, an App Home opened, an item taken in."""

from __future__ import annotations

import dataclasses
import itertools
import json
import logging
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.request import BoltRequest

from bot.console.graph import StandInGraph
from bot.console.mentions import handles
from bot.console.render import Button, Names
from bot.console.slack import BOT_ID, BOT_USER, TEAM, Event, Respond, StandInSlack, User
from bot.items import service as items
from bot.kernel.config import OrgConfig, load_config
from bot.kernel.errors import Conflict, NotFound
from bot.runtime import Runtime, build_runtime, prepare_database
from bot.settings import Settings, load_settings, redact_url
from bot.slackkit.deps import request_ctx
from bot.slackkit.outbox import deliver
from bot.store.db import session_scope
from bot.store.models import Item
from bot.sweep import SweepResult

log = logging.getLogger(__name__)

CONSOLE_CHANNEL = "C0CONSOLE"  # where the console user types their commands
LOCALES = {"nb": "nb-NO", "sv": "sv-SE", "en": "en-GB"}
LISTENER_TIMEOUT = 30.0


class Clock:
    """The one clock the console's app reads; `:time` moves it (never backwards). The tests'
    harness runs the app on it too."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class TrackingExecutor(ThreadPoolExecutor):
    """Bolt runs listeners here after their ack; the console waits until they are done before
    it shows what they sent."""

    def __init__(self, max_workers: int = 4) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix="vakt-listener")
        self._futures: list[Future[Any]] = []
        self._lock = threading.Lock()

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = super().submit(fn, *args, **kwargs)
        with self._lock:
            self._futures.append(future)
        return future

    def idle(self, timeout: float = LISTENER_TIMEOUT) -> None:
        """Wait until every listener started so far (and any they started) has finished, or
        `timeout` seconds have passed; one still running then is waited for next time."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                pending, self._futures = self._futures, []
            if not pending:
                return
            _, running = wait(pending, timeout=max(deadline - time.monotonic(), 0))
            if running:
                with self._lock:
                    self._futures[:0] = running
                return

    @property
    def busy(self) -> bool:
        """A listener is still running (after `idle` gave up waiting for it)."""
        with self._lock:
            return any(not future.done() for future in self._futures)


@dataclass
class Workspace:
    """The stand-in workspace's people and channels."""

    users: dict[str, str] = field(default_factory=dict)  # id -> display name
    channels: dict[str, str] = field(default_factory=dict)  # id -> name without #
    # Who is in which channel; a channel not listed is open to everyone.
    members: dict[str, frozenset[str]] = field(default_factory=dict)


def memberships(config: OrgConfig) -> dict[str, frozenset[str]]:
    """Who is in the channels the organisation declares: the coordinators in theirs, each
    team's members and manager (and the coordinators, who oversee every team) in the team's
    channels."""
    coordinators = frozenset(config.coordinators)
    members: dict[str, frozenset[str]] = {}
    if config.coordinator_channel:
        members[config.coordinator_channel] = coordinators
    for team in config.teams:
        people = coordinators | set(team.members) | ({team.manager} if team.manager else set())
        for channel in (team.channel, team.intake_channel):
            if channel:
                members[channel] = members.get(channel, frozenset()) | people
    return members


@dataclass
class ConsoleSession:
    """Everything a console runs on; `close()` stops the stand-in and the listeners."""

    runtime: Runtime
    app: App
    slack: StandInSlack
    clock: Clock
    executor: TrackingExecutor
    workspace: Workspace
    user: str
    temp_dir: Path
    # What the banner says about the database: a console text's key and where it is.
    note: tuple[str, str] = ("note_database", "")
    # The stand-in Facebook and Instagram (`:comment`, `:reply`, `:remove`); None: not connected.
    graph: StandInGraph | None = None
    _serial: Callable[[], int] = field(default_factory=lambda: itertools.count(1).__next__)

    @property
    def config(self) -> OrgConfig:
        return self.runtime.config

    def names(self) -> Names:
        return Names(users=self.workspace.users, channels=self.workspace.channels)

    def close(self) -> None:
        self.executor.idle()
        self.executor.shutdown(wait=True)
        self.slack.close()
        self.runtime.engine.dispose()

    def can_see(self, place: ButtonPlace, user: str | None = None) -> bool:
        """Whether `user` (the console's user) sees what is at `place`: their own Home tab or
        form, their DM, a message only they see, a channel they are in."""
        user = user or self.user
        if place.view is not None:
            return place.owner == user
        posted = self.slack.message(place.channel, place.ts)
        if posted is not None and posted.user:
            return posted.user == user
        if place.channel in self.slack.dms:
            return self.slack.dms[place.channel] == user
        members = self.workspace.members.get(place.channel)
        return members is None or user in members

    def owner(self, place: ButtonPlace) -> str | None:
        """Whose a place is, when it is one person's: a DM, a Home tab, a message only one
        sees."""
        if place.view is not None:
            return place.owner or None
        posted = self.slack.message(place.channel, place.ts)
        if posted is not None and posted.user:
            return posted.user
        return self.slack.dms.get(place.channel)

    def user_by_name(self, text: str) -> str | None:
        """A user by id, mention, @name, first name or full name (case-insensitive)."""
        wanted = text.strip().lstrip("@").strip("<>").lstrip("@").split("|")[0].strip().lower()
        if not wanted:
            return None
        for user_id, name in self.workspace.users.items():
            if wanted in (user_id.lower(), name.lower(), name.split()[0].lower()):
                return user_id
        if wanted.upper().startswith(("U", "W")) and wanted.isalnum() and len(wanted) >= 3:
            return wanted.upper()
        return None

    # ------------------------------------------------------------ payloads

    def _dispatch(self, body: dict[str, Any]) -> BoltResponse:
        response = self.app.dispatch(BoltRequest(body=body, mode="socket_mode"))
        if "command" in body:  # an answer in the ack is shown as if posted to the response_url
            self._show_ack(str(body.get("response_url") or ""), response)
        self.executor.idle()
        return response

    def _show_ack(self, url: str, response: BoltResponse) -> None:
        try:
            message = json.loads(response.body) if response.body else None
        except ValueError:
            message = {"text": response.body}
        if isinstance(message, dict) and (message.get("text") or message.get("blocks")):
            self.slack.respond(url.rsplit("/", 1)[-1], message)

    def _user(self) -> dict[str, Any]:
        name = self.workspace.users.get(self.user, self.user)
        return {"id": self.user, "username": name, "name": name, "team_id": TEAM}

    def _trigger(self) -> str:
        return f"{self._serial()}.{int(self.clock().timestamp())}.console"

    def command(self, text: str) -> BoltResponse:
        """`/vakt <text>` as the current user, shaped like Slack's slash command payload."""
        url = self.slack.response_url(Respond(self.user, CONSOLE_CHANNEL))
        body = {
            "token": "console",
            "team_id": TEAM,
            "team_domain": "demo",
            "channel_id": CONSOLE_CHANNEL,
            "channel_name": self.workspace.channels.get(CONSOLE_CHANNEL, "console"),
            "user_id": self.user,
            "user_name": handles(self.workspace.users).get(self.user, self.user),
            "command": "/vakt",
            "text": text,
            "api_app_id": "A0VAKT",
            "is_enterprise_install": "false",
            "response_url": url,
            "trigger_id": self._trigger(),
        }
        return self._dispatch(body)

    def press(self, button: Button, where: ButtonPlace) -> BoltResponse:
        """Press a button: a block_actions payload from the message (or view) it is on."""
        action = {
            "action_id": button.action_id,
            "block_id": button.block_id or "console",
            "text": dict(button.element.get("text") or {"type": "plain_text", "text": ""}),
            "type": "button",
            "action_ts": f"{self.clock().timestamp():.6f}",
        }
        if button.value is not None:
            action["value"] = button.value
        body: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user(),
            "api_app_id": "A0VAKT",
            "token": "console",
            "trigger_id": self._trigger(),
            "team": {"id": TEAM, "domain": "demo"},
            "actions": [action],
        }
        if where.view is not None:
            body["container"] = {"type": "view", "view_id": where.view.get("id", "")}
            body["view"] = where.view
        else:
            posted = self.slack.message(where.channel, where.ts)
            ephemeral = bool(posted and posted.user)
            body["container"] = {
                "type": "message",
                "message_ts": where.ts,
                "channel_id": where.channel,
                "is_ephemeral": ephemeral,
            }
            body["channel"] = {
                "id": where.channel,
                "name": self.workspace.channels.get(where.channel, where.channel),
            }
            if posted is not None:
                body["message"] = {
                    "type": "message",
                    "user": BOT_USER,
                    "bot_id": BOT_ID,
                    "ts": posted.ts,
                    "text": posted.text,
                    "blocks": posted.blocks or [],
                    **({"thread_ts": posted.thread_ts} if posted.thread_ts else {}),
                }
            body["response_url"] = self.slack.response_url(
                Respond(self.user, where.channel, where.ts, ephemeral)
            )
        return self._dispatch(body)

    def submit(self, view: Mapping[str, Any], values: dict[str, Any]) -> dict[str, Any]:
        """Submit a modal with `values` (view.state.values); the app's ack body, if any
        (`response_action`: errors, update, push, clear)."""
        submitted = {**view, "state": {"values": values}}
        body = {
            "type": "view_submission",
            "team": {"id": TEAM, "domain": "demo"},
            "user": self._user(),
            "api_app_id": "A0VAKT",
            "token": "console",
            "trigger_id": self._trigger(),
            "view": {
                "team_id": TEAM,
                "private_metadata": "",
                "callback_id": "",
                "previous_view_id": None,
                "root_view_id": view.get("id"),
                "app_id": "A0VAKT",
                "bot_id": BOT_ID,
                **submitted,
            },
            "response_urls": [],
        }
        response = self._dispatch(body)
        if response.status != 200:
            return {"response_action": "errors", "errors": {}, "_status": response.status}
        try:
            answer = json.loads(response.body) if response.body else {}
        except ValueError:
            return {}
        return answer if isinstance(answer, dict) else {}

    def open_home(self) -> None:
        """The current user opens Vakt's App Home: an app_home_opened event."""
        serial = self._serial()
        now = self.clock().timestamp()
        body = {
            "token": "console",
            "team_id": TEAM,
            "api_app_id": "A0VAKT",
            "event": {
                "type": "app_home_opened",
                "user": self.user,
                "channel": "D" + self.user[1:],
                "tab": "home",
                "event_ts": f"{now:.6f}",
                **({"view": self.slack.homes[self.user]} if self.user in self.slack.homes else {}),
            },
            "type": "event_callback",
            "event_id": f"Ev{serial:08d}",
            "event_time": int(now),
            "authorizations": [
                {
                    "team_id": TEAM,
                    "user_id": BOT_USER,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        self._dispatch(body)

    def intake(self, account_key: str, text: str) -> int:
        """A citizen's question on an account, through the same service the HTTP intake calls;
        its card is sent at once. Returns the item's id."""
        now = self.clock()
        serial = self._serial()
        with request_ctx(self.runtime.deps, "http", now) as ctx:
            account = items.account_by_key(ctx.session, account_key)
            created = items.create_item(
                ctx,
                items.NewItem(
                    account=account,
                    source="http",
                    external_id=f"console-{int(now.timestamp())}-{serial}",
                    received_at=now,
                    url=f"{account.url.rstrip('/')}/posts/console{serial}",
                    text=text,
                ),
            )
            item_id = created.item.id
        deliver(self.runtime.engine, self.runtime.deps.gateway, now)
        assert item_id is not None
        return item_id

    def platform(self) -> StandInGraph:
        if self.graph is None or self.runtime.connector is None:
            raise Conflict("error.meta_unavailable")
        return self.graph

    def read_platforms(self) -> None:
        """What the stand-in platforms hold, read by the real connector (a poll of every
        account, every open question looked at again) and taken; then sent."""
        connector = self.runtime.connector
        assert connector is not None
        now = self.clock()
        connector.poll(now, everything=True)
        connector.process(now)
        deliver(self.runtime.engine, self.runtime.deps.gateway, now)
        self.executor.idle()

    def platform_comment(self, account_key: str, text: str) -> str:
        """A citizen's comment on a connected account, on the stand-in platform."""
        graph = self.platform()
        with session_scope(self.runtime.engine) as session:
            account = items.account_by_key(session, account_key)
            object_id = account.facebook_page_id or account.instagram_user_id
        if object_id is None:
            raise Conflict("error.meta_not_connected", account=account_key[:40])
        comment_id = graph.comment(object_id, text, self.clock())
        self.read_platforms()
        return comment_id

    def platform_act(self, item_id: int, text: str | None) -> None:
        """The account's own reply under question #item_id (`text`), or its removal (None)."""
        graph = self.platform()
        with session_scope(self.runtime.engine) as session:
            item = session.get(Item, item_id)
            if item is None or item.external_id not in graph.comments:
                raise NotFound("error.no_item", id=item_id)
            comment_id = item.external_id
        if text is None:
            graph.remove(comment_id)
        else:
            graph.reply(comment_id, text, self.clock())
        self.read_platforms()

    def move_clock(self, to: datetime) -> SweepResult:
        """Move the clock forward and run what is due, as the scheduler would: the jobs, the
        delivery of what they recorded, the App Home refresh."""
        self.clock.now = to
        result = self.runtime.sweep(to)
        self.executor.idle()
        return result

    def events(self) -> list[Event]:
        return self.slack.take_events()


@dataclass(frozen=True)
class ButtonPlace:
    """Where a rendered button is: a message (channel, ts) or a view (modal, Home tab)."""

    channel: str = ""
    ts: str = ""
    view: dict[str, Any] | None = None
    owner: str = ""  # a view's: whose Home tab, who opened the form


# ---------------------------------------------------------------- start


DEMO_DIR = Path(__file__).parent / "demo"
PRESETS = ("norberg",)


def _settings(environ: Mapping[str, str], temp: Path, slack: StandInSlack) -> Settings:
    """Settings that point Vakt at the stand-in instead of Slack (no real token needed)."""
    return load_settings(
        {**environ, "SLACK_API_URL": slack.api_url, "SLACK_BOT_TOKEN": "xoxb-console"},
        env_file=temp / "no.env",
    )


def _stand_in(workspace: Workspace, clock: Clock, temp: Path, locale: str) -> StandInSlack:
    users = [User(i, name, locale) for i, name in workspace.users.items()]
    return StandInSlack(
        users, workspace.channels, clock=clock, files_dir=temp / "files", default_locale=locale
    ).start()


def start(
    *,
    lang: str | None,
    at: Callable[[str, str], datetime] | None,
    at_text: str | None,
    wall_clock: Callable[[], datetime],
    environ: Mapping[str, str],
    temp: Path | None = None,
) -> ConsoleSession:
    """A console on the configured database and organisation file (like `vakt run`), with
    the stand-in as Slack. (`demo.start` builds the demo municipality's.)"""
    temp = temp or Path(tempfile.mkdtemp(prefix="vakt-console-"))
    env = dict(environ)
    config = load_config(env.get("VAKT_CONFIG", "config/vakt.toml"))
    if lang:
        config = dataclasses.replace(config, language=lang)
    clock = Clock(at(at_text, config.timezone) if at and at_text else wall_clock())
    workspace = Workspace(
        users={u: u for u in config.coordinators},
        channels={CONSOLE_CHANNEL: "console"},
        members=memberships(config),
    )
    slack = _stand_in(workspace, clock, temp, LOCALES[lang or config.language])
    settings = _settings(env, temp, slack)
    runtime = build_runtime(settings, config, clock=clock)
    prepare_database(runtime)
    executor = TrackingExecutor()
    app = runtime.app(signing_secret=None, listener_executor=executor)
    user = config.coordinators[0] if config.coordinators else "U0CONSOLE"
    return ConsoleSession(
        runtime=runtime,
        app=app,
        slack=slack,
        clock=clock,
        executor=executor,
        workspace=workspace,
        user=user,
        temp_dir=temp,
        note=("note_database", redact_url(settings.database_url)),
    )
