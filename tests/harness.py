"""An end-to-end harness: the real app over real HTTP on loopback, Slack faked by FakeSlack."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from zoneinfo import ZoneInfo

from bot.console.session import Clock
from bot.console.session import TrackingExecutor as ConsoleExecutor
from bot.kernel.config import OrgConfig, parse_config
from bot.runtime import Runtime, build_runtime, prepare_database
from bot.settings import load_settings
from bot.web.app import WebApp
from tests.fakeslack import FakeSlack, block_actions_body, signed_request, slash_command_body
from tests.waiting import PATIENCE

SECRET = "test-signing-secret"
INTAKE_TOKEN = "test-intake-token"
OSLO = ZoneInfo("Europe/Oslo")

CONFIG = """
[organisation]
name = "Testrud kommune"
country = "NO"
timezone = "Europe/Oslo"
language = "en"
coordinators = ["U0COORD1"]
coordinator_channel = "C0COMMS"

[office_hours]
monday = "08:00-16:00"
tuesday = "08:00-16:00"
wednesday = "08:00-16:00"
thursday = "08:00-16:00"
friday = "08:00-16:00"

[closed_days]
recurring = ["12-24", "12-31"]

[[team]]
key = "komm"
name = "Kommunikasjon"
channel = "C0TEAM1"
manager = "U0BOSS"
members = ["U0ANNA", "U0BO", "U0CARL"]
rotation = "weekly"
start = "2026-11-02"

[[account]]
key = "fb-main"
platform = "facebook"
name = "Testrud kommune"
url = "https://www.facebook.com/testrud"
team = "komm"
"""


class TrackingExecutor(ConsoleExecutor):
    """Bolt runs listeners here after their ack; tests wait for them to finish (`idle`)."""

    def __init__(self) -> None:
        super().__init__(max_workers=8)


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class HttpReply:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


class Vakt:
    """The whole app in HTTP mode on a loopback port, with helpers to act as Slack users."""

    def __init__(
        self,
        fake: FakeSlack,
        database_url: str,
        tmp: Path,
        now: datetime,
        config_text: str = CONFIG,
        intake_token: str | None = INTAKE_TOKEN,
        env: dict[str, str] | None = None,
    ) -> None:
        self.fake = fake
        self.clock = Clock(now)
        config_path = tmp / "vakt.toml"
        config_path.write_text(config_text)
        self.settings = load_settings(
            {
                "SLACK_BOT_TOKEN": "xoxb-test-token",
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": fake.base_url,
                "DATABASE_URL": database_url,
                "VAKT_CONFIG": str(config_path),
                "VAKT_DATA_DIR": str(tmp / "data"),
                "VAKT_INTAKE_TOKEN": intake_token or "",
                **(env or {}),
            },
            env_file=tmp / "no.env",
        )
        self.config: OrgConfig = parse_config(config_text, str(config_path))
        self.runtime: Runtime = build_runtime(self.settings, self.config, clock=self.clock)
        prepare_database(self.runtime)
        self.executor = TrackingExecutor()
        self.app = self.runtime.app(signing_secret=SECRET, listener_executor=self.executor)
        self.web = WebApp(
            self.app,
            self.runtime.deps,
            intake_token=self.settings.intake_token,
            signing_secret=SECRET,
            meta=self.runtime.connector,
        )
        self.server = make_server(
            "127.0.0.1", 0, self.web, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
        )
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        self._responses = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def idle(self) -> None:
        """Wait for listeners still running after their ack (deliveries, card updates)."""
        self.executor.idle(PATIENCE)
        assert not self.executor.busy, f"a listener is still running after {PATIENCE:g} s"

    def close(self) -> None:
        if self.runtime.connector is not None:
            self.runtime.connector.close()
        self.executor.idle(PATIENCE)
        self.executor.shutdown(wait=True)
        self.server.shutdown()
        self.server.server_close()
        self.runtime.engine.dispose()

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> HttpReply:
        """POST to the server; a slash command's ack is shown as Slack shows it (FakeSlack.acked)."""
        request = urllib.request.Request(self.url + path, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=PATIENCE) as response:
                reply = HttpReply(response.status, response.read(), dict(response.headers))
        except urllib.error.HTTPError as error:
            return HttpReply(error.code, error.read(), dict(error.headers))
        if path == "/slack/events":
            self.fake.acked(body, reply.status, reply.body)
        return reply

    def get(self, path: str) -> HttpReply:
        try:
            with urllib.request.urlopen(self.url + path, timeout=PATIENCE) as response:
                return HttpReply(response.status, response.read(), dict(response.headers))
        except urllib.error.HTTPError as error:
            return HttpReply(error.code, error.read(), dict(error.headers))

    def signed_post(self, body: str) -> HttpReply:
        raw, headers = signed_request(body, SECRET)
        return self.post("/slack/events", raw, headers)

    def _next_response(self) -> dict[str, Any]:
        self._responses += 1
        calls = self.fake.wait_for("response_url", self._responses)
        return calls[self._responses - 1].args

    def command(self, text: str, user: str = "U0ANNA") -> str:
        """Run `/vakt <text>` as a user through signed HTTP; return the reply's text."""
        body = slash_command_body(
            text, user_id=user, response_url=self.fake.response_url(f"cmd{self._responses + 1}")
        )
        reply = self.signed_post(body)
        assert reply.status == 200, reply.body
        text = self.reply_text(self._next_response())
        self.idle()
        return text

    def press(self, action_id: str, value: str, user: str) -> str:
        """Press a button as a user; return the text of the answer."""
        body = block_actions_body(
            action_id,
            value,
            user_id=user,
            response_url=self.fake.response_url(f"act{self._responses + 1}"),
        )
        reply = self.signed_post(body)
        assert reply.status == 200, reply.body
        text = self.reply_text(self._next_response())
        self.idle()
        return text

    @staticmethod
    def reply_text(args: dict[str, Any]) -> str:
        """All the text a message shows: its blocks' texts (buttons too), else its text."""
        parts: list[str] = []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if node.get("type") in ("mrkdwn", "plain_text") and "text" in node:
                    parts.append(str(node["text"]))
                    return
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(args.get("blocks") or [])
        return "\n".join(parts) or str(args.get("text", ""))

    def wait_sent(
        self, channel: str, count: int = 1, timeout: float = PATIENCE
    ) -> list[dict[str, Any]]:
        """Wait until `count` messages reached a channel (deliveries run after the reply)."""
        deadline = time.monotonic() + timeout
        while len(self.sent(channel)) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        found = self.sent(channel)
        assert len(found) >= count, f"{len(found)} message(s) to {channel}, expected {count}"
        return found

    def sent(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages posted with chat.postMessage (to one channel or user id)."""
        calls = [c for c in self.fake.calls_to("chat.postMessage") if c.ok]
        return [c.args for c in calls if channel is None or c.args.get("channel") == channel]
