"""Faults on demand between the app and a real server: a TCP proxy whose connections can be cut.

    proxy = TcpProxy("127.0.0.1", 5432)         # then point DATABASE_URL at 127.0.0.1:proxy.port
    proxy.cut()                                  # a PostgreSQL restart, as the app sees it
    proxy.restore()                              # the server is back
    proxy.cut_on(b"INSERT INTO outbox")          # cut the moment the app sends that statement
    proxy.stall()                                # a host that stops answering (packets dropped)

Plain threads and sockets, no dependencies. Use it as a context manager, or call `close()`.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType

CHUNK = 65536


class TcpProxy:
    """Forwards connections from a loopback port to `target_host:target_port`."""

    def __init__(self, target_host: str, target_port: int, host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server((host, 0))
        self.host = host
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._mode = "open"  # open | cut | stall
        self._trigger: bytes | None = None
        self._closed = False
        self.connections = 0  # accepted so far, forwarded or not
        self.cuts = 0  # times the connections were cut (by cut() or a trigger)
        self._thread = threading.Thread(target=self._accept, name="tcp-proxy", daemon=True)
        self._thread.start()

    def __repr__(self) -> str:
        return f"TcpProxy({self.host}:{self.port} -> {self.target[0]}:{self.target[1]})"

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------ faults

    def cut(self) -> None:
        """Close every live connection (both ends) and close new ones as soon as they come."""
        with self._lock:
            self._mode = "cut"
            self._trigger = None
            self.cuts += 1
            doomed = list(self._sockets)
            self._sockets.clear()
        for sock in doomed:
            _hang_up(sock)

    def stall(self) -> None:
        """Close every live connection; accept new ones but never answer on them, like a host
        whose packets are dropped (the client's own timeouts must end its wait)."""
        self.cut()
        with self._lock:
            self._mode = "stall"

    def restore(self) -> None:
        """Forward new connections again (the ones cut stay closed, as after a restart)."""
        with self._lock:
            self._mode = "open"
            self._trigger = None
            stalled = list(self._sockets)
            self._sockets.clear()
        for sock in stalled:  # only stalled clients are left: they never reached the server
            _hang_up(sock)

    def cut_on(self, pattern: bytes) -> None:
        """Cut everything the moment a client sends bytes containing `pattern`, before they
        reach the server (a statement that never arrives: its transaction never commits)."""
        with self._lock:
            self._trigger = pattern

    def close(self) -> None:
        """Stop listening and close every connection."""
        with self._lock:
            self._closed = True
            doomed = list(self._sockets)
            self._sockets.clear()
        for sock in doomed:
            _hang_up(sock)
        _hang_up(self._listener)
        self._thread.join(timeout=5)

    # ------------------------------------------------------------ forwarding

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                self.connections += 1
                mode = "closed" if self._closed else self._mode
                if mode == "stall":
                    self._sockets.add(client)
            if mode == "stall":
                continue
            if mode != "open":
                _hang_up(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _hang_up(client)
                continue
            with self._lock:
                if self._mode != "open" or self._closed:
                    late = True
                else:
                    late = False
                    self._sockets.update((client, upstream))
            if late:
                _hang_up(client)
                _hang_up(upstream)
                continue
            for source, sink, watch in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(
                    target=self._pump,
                    args=(source, sink, watch),
                    name="tcp-proxy-pump",
                    daemon=True,
                ).start()

    def _pump(self, source: socket.socket, sink: socket.socket, watch: bool) -> None:
        tail = b""  # the end of the previous chunk, so a pattern split in two is still seen
        while True:
            try:
                data = source.recv(CHUNK)
            except OSError:
                data = b""
            if not data:
                break
            if watch:
                with self._lock:
                    trigger = self._trigger
                if trigger is not None and trigger in tail + data:
                    self.cut()
                    return
                tail = data[-len(trigger) :] if trigger else b""
            try:
                sink.sendall(data)
            except OSError:
                break
        # One side ended: end the other, as a real connection would.
        with self._lock:
            self._sockets.discard(source)
            self._sockets.discard(sink)
        _hang_up(source)
        _hang_up(sink)


def _hang_up(sock: socket.socket) -> None:
    # shutdown() wakes a thread blocked in recv() on it; close() alone would not.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
