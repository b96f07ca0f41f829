"""Socket Mode that stays connected: slack_sdk's built-in client, watched.

The built-in client (what Bolt's `SocketModeHandler` runs) reconnects by itself when Slack asks
(`disconnect` messages) and when Slack closes the WebSocket properly. It is slow to notice a
connection that ended without a close frame (a network failure, a load balancer restarting): its
receiver then spins on the dead socket while the monitor counts five failed pings before
reconnecting (50 s with Bolt's 10 s ping interval). A watchdog here checks every second that
the connection is alive, and reconnects with a backoff when it is not; it also replaces the
client outright should one of its threads have died. Every new connection is logged at INFO.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import select
import socket
import ssl
import struct
import termios
import threading
import time
from http import HTTPStatus
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.socket_mode.internals import run_bolt_app, send_response
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.slackkit.gateway import PERMANENT, slack_errors
from bot.slackkit.guard import frame_problem

log = logging.getLogger(__name__)

_HANG_UP = select.POLLHUP | select.POLLERR | getattr(select, "POLLRDHUP", 0)


def peer_gone(sock: Any) -> bool:
    """True when the other end has closed the TCP connection (or it failed) and nothing is left
    to read from it: what the built-in client's receiver cannot tell from a quiet line."""
    try:
        fd = sock.fileno()
        if fd < 0:
            return True
        poller = select.poll()
        poller.register(fd, _HANG_UP)
        if not poller.poll(0):
            return False
        unread = struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
        if isinstance(sock, ssl.SSLSocket):
            unread += sock.pending()
        return bool(unread == 0)
    except (OSError, ValueError):
        return True


class GuardedClient(SocketModeClient):
    """The built-in client, with each frame looked at before it is queued: a frame Slack would
    not send (not JSON, an envelope without a text id, a payload not shaped as Slack's) is
    acknowledged when it can be and dropped, with one line in the log. Left to the client and
    Bolt, it was a traceback and an envelope never acknowledged (which Slack sends again)."""

    def enqueue_message(self, message: str) -> None:
        wrong, envelope_id = frame_problem(message)
        if wrong is None:
            super().enqueue_message(message)
            return
        log.warning("Socket Mode: ignored a frame not shaped as Slack sends it: %s", wrong)
        if envelope_id is not None:
            self.send_socket_mode_response({"envelope_id": envelope_id})


class GuardedHandler(SocketModeHandler):
    """Bolt's Socket Mode handler over the guarded client. An envelope no listener handles is
    acknowledged too (Bolt leaves it unacknowledged, and Slack would send it again and again
    to no end); one left for later on purpose (a 503: the database is away) is not."""

    def __init__(self, app: App, app_token: str, ping_interval: float) -> None:
        # Not SocketModeHandler.__init__: it would start a plain client (and its threads) first.
        self.app = app
        self.app_token = app_token
        self.client = GuardedClient(
            app_token=app_token,
            logger=app.logger,
            web_client=app.client,
            proxy=app.client.proxy,
            ping_interval=ping_interval,
        )
        self.client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]

    def handle(  # type: ignore[override]
        self, client: SocketModeClient, req: SocketModeRequest
    ) -> None:
        start = time.time()
        response = run_bolt_app(self.app, req)
        if response.status == HTTPStatus.NOT_FOUND:
            response = BoltResponse(status=200, body="")
        send_response(client, req, response, start)


class SocketModeRunner:
    """One Socket Mode connection for `app`, kept alive by a watchdog thread.

    `start()` connects (a permanent refusal of the app token raises; anything else is retried),
    `close()` disconnects, letting listeners that run finish. `ping_interval`: how often the
    client pings Slack (a connection without pongs for four intervals is given up);
    `check_interval`: how often the watchdog looks; `max_backoff`: longest pause between
    failed reconnection attempts.
    """

    def __init__(
        self,
        app: App,
        app_token: str,
        *,
        ping_interval: float = 5.0,
        check_interval: float = 1.0,
        max_backoff: float = 30.0,
    ) -> None:
        self.app = app
        self.app_token = app_token
        self.ping_interval = ping_interval
        self.check_interval = check_interval
        self.max_backoff = max_backoff
        self.handler = self._new_handler()
        self.reconnects = 0
        """New connections after the first (Slack's refresh requests included)."""
        self._stop = threading.Event()
        self._watchdog: threading.Thread | None = None
        self._session: str | None = None
        self._suspect: str | None = None

    @property
    def client(self) -> SocketModeClient:
        return self.handler.client

    def _new_handler(self) -> SocketModeHandler:
        return GuardedHandler(self.app, self.app_token, self.ping_interval)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> SocketModeRunner:
        try:
            self.client.connect()
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "")
            if error in PERMANENT or error.startswith("not_allowed"):
                raise
            log.warning("Socket Mode: cannot connect yet (%s); retrying", error)
        except Exception as exc:  # unreachable, refused, reset ...: the watchdog retries
            log.warning("Socket Mode: cannot connect yet (%s); retrying", exc)
        if self.client.is_connected():
            self._session = self.client.session_id()
            log.info("Socket Mode: connected (session %s)", self._session)
        self._watchdog = threading.Thread(target=self._watch, name="socket-mode-watchdog")
        self._watchdog.daemon = True
        self._watchdog.start()
        return self

    def close(self) -> None:
        """Stop watching and disconnect; listeners already running finish first."""
        self._stop.set()
        if self._watchdog is not None:
            self._watchdog.join()
        self._close_client(self.client)

    @staticmethod
    def _close_client(client: SocketModeClient) -> None:
        client.auto_reconnect_enabled = False
        client.closed = True
        client.message_queue.put(None)  # wakes the message processor, which skips it
        session = client.current_session
        sock = session.sock if session is not None else None
        if sock is not None:
            # Wakes the receiver out of its blocking recv (up to 3 s) so that close() is quick.
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        try:
            client.close()
        except Exception:  # a race in the client's own close; it is going away regardless
            log.debug("Socket Mode: closing the client raised", exc_info=True)

    def wait(self) -> None:
        """Block until `close()` is called (from another thread, e.g. on SIGTERM)."""
        self._stop.wait()

    # ------------------------------------------------------------------ watchdog

    def _watch(self) -> None:
        failures = 0
        delay = self.check_interval
        while not self._stop.wait(delay):
            delay = self.check_interval
            try:
                problem = self._problem()
                if problem is None:
                    failures = 0
                    self._note_session()
                    continue
                failures += 1
                log.info("Socket Mode: %s; reconnecting (attempt %d)", problem, failures)
                if self._reconnect(problem):
                    failures = 0
                    self._note_session()
                else:
                    delay = min(self.max_backoff, self.check_interval * 2 ** min(failures, 10))
            except Exception:  # the watchdog itself must not die
                log.exception("Socket Mode: watchdog check failed")

    def _problem(self) -> str | None:
        """Why the connection needs replacing, or None when it looks alive."""
        client = self.client
        threads = (client.message_processor, client.current_session_runner)
        if not all(runner.is_alive() for runner in threads):
            return "the client's threads stopped"
        session = client.current_session
        sock = session.sock if session is not None else None
        if session is None or sock is None:
            return "not connected"
        if peer_gone(sock):
            # Twice in a row: the receiver reads what arrived before the end in the meantime.
            if self._suspect == session.session_id:
                return "connection cut off"
            self._suspect = session.session_id
        else:
            self._suspect = None
        return None

    def _reconnect(self, problem: str) -> bool:
        if problem == "the client's threads stopped":
            old, self.handler = self.handler, self._new_handler()
            self._close_client(old.client)
        elif problem == "connection cut off":
            session = self.client.current_session
            if session is not None:
                session.disconnect()
        self._suspect = None
        try:
            with slack_errors():  # apps.connections.open: every failure as SlackSendError
                self.client.connect_to_new_endpoint()
        except Exception as exc:
            log.warning("Socket Mode: reconnecting failed: %s", exc)
            return False
        return self.client.is_connected()

    def _note_session(self) -> None:
        """Log each new connection, whoever opened it (Slack's refresh requests included)."""
        session = self.client.session_id() if self.client.is_connected() else None
        if session is None or session == self._session:
            return
        if self._session is not None:
            self.reconnects += 1
            log.info("Socket Mode: reconnected (session %s)", session)
        else:
            log.info("Socket Mode: connected (session %s)", session)
        self._session = session


def run_socket_mode(app: App, app_token: str, stop: threading.Event | None = None) -> None:
    """Serve `app` over Socket Mode until `stop` is set (forever without one), reconnecting
    whenever the connection is lost."""
    runner = SocketModeRunner(app, app_token).start()
    try:
        if stop is None:
            runner.wait()
        else:
            stop.wait()
    finally:
        runner.close()
