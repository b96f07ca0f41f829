"""``FakeSocketModeServer``: Slack's Socket Mode protocol on a loopback WebSocket server.

Protocol (docs.slack.dev, "Using Socket Mode"): the app calls ``apps.connections.open`` with an
``xapp-`` token and gets a one-off ``wss://.../link/?ticket=...`` URL; after the WebSocket
handshake Slack sends a ``hello`` frame, then envelopes ``{"envelope_id", "type", "payload",
"accepts_response_payload", ...}``; the app acks each with ``{"envelope_id": ...}`` (plus
``"payload"`` when ``accepts_response_payload`` is true). Slack asks the app to reconnect with
``{"type": "disconnect", "reason": "refresh_requested"}``.

Faults: :meth:`FakeSocketModeServer.send_disconnect` can keep sending on the connection it asked
to go (``then=``), :meth:`~FakeSocketModeServer.close_connections` closes like Slack does,
:meth:`~FakeSocketModeServer.drop_connections` cuts them without a close frame (a network
failure), and :meth:`~FakeSocketModeServer.suspend` / :meth:`~FakeSocketModeServer.resume` make
the endpoint refuse connections for a while, on the same port.
"""

from __future__ import annotations

import contextlib
import copy
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from slack_sdk.socket_mode.builtin.client import SocketModeClient
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State
from websockets.sync.server import Server, ServerConnection, serve

from tests.waiting import PATIENCE

from .responses import APP_ID


class FakeSocketModeServer:
    """A Socket Mode endpoint on ``ws://127.0.0.1:<port>``, one thread per connection.

    Attach it to a :class:`~tests.fakeslack.FakeSlack` (``fake.socket_mode = server``) so that
    ``apps.connections.open`` hands out its URL.
    """

    def __init__(self, *, app_id: str = APP_ID, send_hello: bool = True) -> None:
        self.app_id = app_id
        self.send_hello = send_hello
        self._cond = threading.Condition()
        self._open: list[ServerConnection] = []
        self._accepted = 0
        self._paths: list[str] = []
        self._received: list[dict[str, Any]] = []
        self._acks: dict[str, dict[str, Any]] = {}
        self._sent: dict[str, dict[str, Any]] = {}
        self.shown: Callable[[dict[str, Any], dict[str, Any]], None] | None = None
        """Told each slash command's payload with its ack's payload (FakeSlack.acked_payload)."""
        self._retiring: list[ServerConnection] = []
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._port = 0
        """Port of the first start, kept so that :meth:`resume` listens where clients look."""

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeSocketModeServer:
        """Listen (again: on the port of the first start)."""
        if self._server is not None:
            return self
        self._server = serve(
            self._handle,
            "127.0.0.1",
            self._port,
            compression=None,  # slack_sdk's built-in client does not negotiate permessage-deflate
            ping_interval=None,  # the client pings; keep the server quiet and deterministic
            close_timeout=1,
        )
        self._port = int(self._server.socket.getsockname()[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"FakeSocketMode:{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close every connection (code 1001) and stop listening."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
        if thread is not None:
            thread.join(timeout=5)

    def suspend(self) -> None:
        """The endpoint goes away: every connection is closed (1001) and new ones are refused
        (connection refused) until :meth:`resume`. ``apps.connections.open`` still hands out
        URLs, as when Slack's Web API is up but its WebSocket hosts are not."""
        self.stop()

    def resume(self) -> None:
        """Accept connections again, on the same port."""
        self.start()

    @property
    def listening(self) -> bool:
        return self._server is not None

    def __enter__(self) -> FakeSocketModeServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("FakeSocketModeServer is not started")
        return self._port

    def new_url(self) -> str:
        """A fresh connection URL, shaped like Slack's (``/link/?ticket=...&app_id=...``)."""
        return f"ws://127.0.0.1:{self.port}/link/?ticket={uuid.uuid4()}&app_id={self.app_id}"

    @property
    def url(self) -> str:
        """Same as :meth:`new_url` (each access issues a new ticket)."""
        return self.new_url()

    # ------------------------------------------------------------------ connections

    @property
    def connections(self) -> int:
        """Connections open right now."""
        with self._cond:
            return len(self._live())

    @property
    def connection_count(self) -> int:
        """Connections accepted since start (reconnects included)."""
        with self._cond:
            return self._accepted

    @property
    def paths(self) -> list[str]:
        """Request paths of accepted connections (ticket URLs), in order."""
        with self._cond:
            return list(self._paths)

    def wait_connected(self, n: int = 1, timeout: float = PATIENCE) -> None:
        """Block until ``n`` connections were accepted since start (and one is open)."""
        self._wait(
            lambda: self._accepted >= n and bool(self._live()),
            timeout,
            lambda: (
                f"expected {n} Socket Mode connection(s), accepted {self._accepted}, "
                f"open {len(self._live())}"
            ),
        )

    def _live(self) -> list[ServerConnection]:
        return [c for c in self._open if c.protocol.state is State.OPEN]

    def _wait(self, predicate: Any, timeout: float, describe: Any) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{describe()} within {timeout}s")
                self._cond.wait(remaining)

    def _handle(self, connection: ServerConnection) -> None:
        try:
            if self.send_hello:  # before registering: envelopes never overtake the hello
                with self._cond:
                    count = len(self._live()) + 1
                connection.send(json.dumps(self.hello_frame(count)))
        except ConnectionClosed:
            return
        with self._cond:
            self._open.append(connection)
            self._accepted += 1
            self._paths.append(connection.request.path if connection.request else "")
            retiring, self._retiring = self._retiring, []
            self._cond.notify_all()
        if retiring:
            # Like Slack, close the connection that was asked to refresh once its replacement
            # is up. (slack_sdk's built-in client otherwise waits up to 3 s for its blocked recv
            # on the old socket before it switches to the new one.)
            threading.Thread(target=self._close_all, args=(retiring,), daemon=True).start()
        try:
            for message in connection:
                text = message if isinstance(message, str) else message.decode("utf-8")
                try:
                    frame = json.loads(text)
                except ValueError:
                    frame = {"_raw": text}
                if not isinstance(frame, dict):
                    frame = {"_raw": text}
                envelope_id = frame.get("envelope_id")
                with self._cond:
                    sent = (
                        self._sent.pop(envelope_id, None) if isinstance(envelope_id, str) else None
                    )
                reply = frame.get("payload")
                command = sent is not None and sent.get("type") == "slash_commands"
                if self.shown and command and isinstance(reply, dict):  # before wait_ack sees it
                    self.shown((sent or {}).get("payload") or {}, reply)
                with self._cond:
                    self._received.append(frame)
                    if isinstance(envelope_id, str):
                        self._acks[envelope_id] = frame
                    self._cond.notify_all()
        except ConnectionClosed:
            pass  # the client went away (reconnect, close)
        finally:
            with self._cond:
                self._open.remove(connection)
                self._cond.notify_all()

    def hello_frame(self, num_connections: int) -> dict[str, Any]:
        return {
            "type": "hello",
            "num_connections": num_connections,
            "debug_info": {
                "host": "applink-fake",
                "build_number": 10,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self.app_id},
        }

    # ------------------------------------------------------------------ frames

    def _target(self, timeout: float) -> ServerConnection:
        self._wait(lambda: bool(self._live()), timeout, lambda: "no Socket Mode client connected")
        with self._cond:
            return self._live()[-1]

    def send_frame(self, frame: dict[str, Any] | str, *, timeout: float = PATIENCE) -> None:
        """Send one text frame to the newest open connection (as Slack picks one)."""
        text = frame if isinstance(frame, str) else json.dumps(frame)
        self._target(timeout).send(text)

    def send_envelope(self, envelope: dict[str, Any], *, timeout: float = PATIENCE) -> str:
        """Send an envelope (an ``envelope_id`` is added if missing); return its id."""
        envelope = copy.deepcopy(envelope)
        envelope_id = str(envelope.setdefault("envelope_id", str(uuid.uuid4())))
        with self._cond:
            self._acks.pop(envelope_id, None)
            self._sent[envelope_id] = envelope
        self.send_frame(envelope, timeout=timeout)
        return envelope_id

    def send_disconnect(
        self,
        reason: str = "refresh_requested",
        *,
        then: Iterable[dict[str, Any]] = (),
        timeout: float = PATIENCE,
    ) -> list[str]:
        """Ask the newest connection to reconnect (reasons: refresh_requested, warning,
        link_disabled). The server closes it once the client has opened a new connection.

        ``then``: envelopes sent on that same connection right after the disconnect message,
        as Slack may until it closes it; returns their envelope ids.
        """
        target = self._target(timeout)
        with self._cond:
            self._retiring.append(target)
        target.send(
            json.dumps({"type": "disconnect", "reason": reason, "debug_info": {"host": "fake"}})
        )
        ids = []
        for envelope in then:
            envelope = copy.deepcopy(envelope)
            envelope_id = str(envelope.setdefault("envelope_id", str(uuid.uuid4())))
            with self._cond:
                self._acks.pop(envelope_id, None)
                self._sent[envelope_id] = envelope
            target.send(json.dumps(envelope))
            ids.append(envelope_id)
        return ids

    def close_connections(self, code: int = 1001, reason: str = "") -> None:
        """Close every open connection from the server side, as Slack does on restarts."""
        with self._cond:
            live = self._live()
        self._close_all(live, code, reason)

    def drop_connections(self) -> None:
        """Cut every open connection without a close frame, as a network failure does (the
        client sees the TCP connection end, or nothing at all)."""
        with self._cond:
            live = self._live()
        for connection in live:
            with contextlib.suppress(OSError):
                connection.socket.shutdown(socket.SHUT_RDWR)

    @staticmethod
    def _close_all(connections: list[ServerConnection], code: int = 1000, reason: str = "") -> None:
        for connection in connections:
            with contextlib.suppress(Exception):  # the socket may already be gone
                connection.close(code, reason)

    def wait_ack(self, envelope_id: str, timeout: float = PATIENCE) -> dict[str, Any]:
        """Block until the client acked ``envelope_id``; return the ack frame."""
        self._wait(
            lambda: envelope_id in self._acks,
            timeout,
            lambda: f"no ack for envelope {envelope_id}; frames received: {self._received}",
        )
        with self._cond:
            return self._acks[envelope_id]

    @property
    def acks(self) -> dict[str, dict[str, Any]]:
        with self._cond:
            return dict(self._acks)

    @property
    def received(self) -> list[dict[str, Any]]:
        """Every frame the clients sent, in order."""
        with self._cond:
            return list(self._received)


def close_socket_mode_client(
    client: SocketModeClient, server: FakeSocketModeServer, *, timeout: float = PATIENCE
) -> None:
    """Close a slack_sdk Socket Mode client (or ``SocketModeHandler.client``) quickly.

    The built-in client's ``close()`` waits for its receiver thread, which sits in a blocking
    ``recv`` with a 3 s timeout. Disabling auto-reconnect and closing the server side first
    wakes it. Waiting for the receiver to drop the socket before ``close()`` avoids a race in
    slack_sdk 3.47 (``Connection.disconnect`` checks ``self.sock`` outside its lock, which can
    raise AttributeError). Finally the message processor, which polls its queue with a 1 s
    timeout, is told to stop (``closed``) and woken with a ``None`` message it skips.
    """
    client.auto_reconnect_enabled = False
    server.close_connections()
    deadline = time.monotonic() + timeout
    while client.is_connected() and time.monotonic() < deadline:
        time.sleep(0.01)
    client.closed = True
    client.message_queue.put(None)
    client.close()
