"""gunicorn's worker for `vakt serve`: each request is read whole, within deadlines, on an event
loop, and only then does one of the worker's threads run the app.

gunicorn's `gthread` worker gives a connection one of its threads as soon as the first byte
arrives and then reads the headers and the body blocking, with no deadline: nine clients sending
a byte every few seconds held all eight threads, and `/healthz` and Slack (which wants its
acknowledgement within 3 seconds) went unanswered. Here Tornado's HTTP/1.1 server reads every
connection on one event loop per worker, with a deadline for the headers and one for the body and
a cap on both sizes; a client that stalls costs a socket and a little memory until its deadline
cuts it, never a thread. gunicorn stays the process manager: the master migrates and forks
`WEB_CONCURRENCY` workers and watches their heartbeat; SIGTERM lets the requests in flight finish
before the `worker_exit` hook stops the scheduler.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from email.utils import formatdate
from http import HTTPStatus
from time import perf_counter
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from gunicorn.workers.base import Worker
from tornado import httputil
from tornado.http1connection import HTTP1Connection
from tornado.httpserver import HTTPServer
from tornado.iostream import StreamClosedError

from bot.logs import loggable_path

log = logging.getLogger(__name__)

HEARTBEAT = 0.5  # seconds between heartbeats to the master and looks at SIGTERM
CLOSE_TIMEOUT = 5.0  # seconds to close the connections left after the requests in flight
# The environ key of the seconds a request, read whole, waited for a request thread: the app
# answers "busy" at once when it waited too long to be answered within Slack's 3 seconds.
WAITED = "vakt.waited"


@dataclass(frozen=True)
class HttpLimits:
    """How long and how much a request may take before the app sees it.

    `keep_body` bytes of a body are kept for the app: the most any route reads plus one, so the
    app still tells a body over its limit (and answers 413); the rest is read and dropped, up to
    `max_body_size`, past which the connection is answered 400 and closed.
    """

    header_timeout: float = 10.0  # from the connection (or the previous answer) to the last header
    body_timeout: float = 20.0  # from the last header to the last byte of the body
    max_header_size: int = 64 * 1024
    keep_body: int = 1024 * 1024 + 1
    max_body_size: int = 16 * 1024 * 1024


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Answer = tuple[str, list[tuple[str, str]], bytes]


def call_app(app: WSGIApp, environ: dict[str, Any], read_at: float | None = None) -> Answer:
    """Run a WSGI app to the end: its status, headers and whole body. `read_at` is when the
    request was read whole (perf_counter): how long it then waited is in environ[WAITED]."""
    if read_at is not None:
        environ[WAITED] = max(perf_counter() - read_at, 0.0)
    started: list[Any] = []
    chunks: list[bytes] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], Any]:
        if exc_info is not None and started:
            raise exc_info[1].with_traceback(exc_info[2])
        started[:] = [status, list(headers)]
        return chunks.append

    result = app(environ, start_response)
    try:
        chunks.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    if not started:
        raise RuntimeError("the app did not call start_response")
    return started[0], started[1], b"".join(chunks)


def split_target(target: str) -> tuple[str, str]:
    """(path, query) of a request target: origin form `/p?q` or absolute form `http://h/p?q`."""
    if target.startswith("/"):
        path, _, query = target.partition("?")
        return path.partition("#")[0], query.partition("#")[0]
    if "://" in target:
        parts = urlsplit(target)
        return parts.path or "/", parts.query
    return target, ""  # "*" (OPTIONS) and the like


def wsgi_environ(
    start_line: httputil.RequestStartLine,
    headers: httputil.HTTPHeaders,
    body: bytes,
    remote: tuple[str, int],
    multiprocess: bool,
) -> dict[str, Any]:
    """The WSGI environ (PEP 3333) of a request read whole: its body in `wsgi.input`, its length
    in CONTENT_LENGTH even when it came chunked."""
    path, query = split_target(start_line.path)
    host, _, port = (headers.get("Host") or "localhost").rpartition(":")
    if not host or not port.isdigit():  # no port given (or an IPv6 address without one)
        host, port = headers.get("Host") or "localhost", "80"
    environ: dict[str, Any] = {
        "REQUEST_METHOD": start_line.method,
        "SCRIPT_NAME": "",
        # Tornado decoded the request as Latin-1: encoding back gives the bytes as sent.
        "PATH_INFO": unquote_to_bytes(path.encode("latin-1")).decode("latin-1"),
        "QUERY_STRING": query,
        "RAW_URI": start_line.path,
        "SERVER_PROTOCOL": start_line.version,
        "SERVER_NAME": host,
        "SERVER_PORT": port,
        "REMOTE_ADDR": remote[0],
        "REMOTE_PORT": str(remote[1]),
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.input_terminated": True,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": multiprocess,
        "wsgi.run_once": False,
    }
    content_type = headers.get("Content-Type")
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    for name in {name for name, _ in headers.get_all()}:
        # As gunicorn does: X_Slack_Signature must not pass for X-Slack-Signature.
        if "_" in name or name in ("Content-Type", "Content-Length"):
            continue
        environ["HTTP_" + name.upper().replace("-", "_")] = ",".join(headers.get_list(name))
    return environ


class _Exchange(httputil.HTTPMessageDelegate):
    """One request on a connection: read by Tornado, answered by the app on a thread."""

    def __init__(self, worker: BufferingWorker, connection: HTTP1Connection) -> None:
        self.worker = worker
        self.connection = connection
        self.start_line: httputil.RequestStartLine | None = None
        self.headers = httputil.HTTPHeaders()
        self.body = bytearray()
        self.counted = False
        self.read_at = 0.0  # when the request was read whole (perf_counter)

    def headers_received(
        self,
        start_line: httputil.RequestStartLine | httputil.ResponseStartLine,
        headers: httputil.HTTPHeaders,
    ) -> None:
        assert isinstance(start_line, httputil.RequestStartLine)
        self.start_line, self.headers = start_line, headers
        self.counted = True
        self.worker.in_flight += 1
        return None

    def data_received(self, chunk: bytes) -> None:
        room = self.worker.limits.keep_body - len(self.body)
        if room > 0:
            self.body += chunk[:room]
        return None

    def finish(self) -> None:
        self.read_at = perf_counter()
        self.worker.spawn(self.respond())

    def on_connection_close(self) -> None:
        self.done()  # cut before the body was whole (its deadline, or the client left)

    def done(self) -> None:
        if self.counted:
            self.counted = False
            self.worker.in_flight -= 1

    async def respond(self) -> None:
        try:
            await self._respond()
        finally:
            self.done()

    async def _respond(self) -> None:
        assert self.start_line is not None
        worker, start_line = self.worker, self.start_line
        began = perf_counter()
        context = self.connection.context
        address = getattr(context, "address", None)
        remote = (
            (str(address[0]), int(address[1]))
            if isinstance(address, tuple) and len(address) >= 2
            else ("-", 0)
        )
        environ = wsgi_environ(
            start_line, self.headers, bytes(self.body), remote, worker.cfg.workers > 1
        )
        path_info = str(environ["PATH_INFO"])
        try:
            answer = await asyncio.get_running_loop().run_in_executor(
                worker.executor, call_app, worker.wsgi, environ, self.read_at
            )
            code, reason, headers, body = _parse_answer(answer)
        except Exception:
            # The path only, the token of a calendar link cut out: never headers or the query.
            worker.log.exception(
                "Error handling request %s %s", start_line.method, loggable_path(path_info)
            )
            data = json.dumps({"ok": False, "error": "internal"}).encode()
            code, reason, body = 500, "Internal Server Error", data
            headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
        sent = self._write(start_line, code, reason, headers, body)
        status = f"{code} {reason}"
        response = SimpleNamespace(status=status, sent=sent, headers=headers)
        # No headers: the access log never shows them (bot.logs.RedactingLogger).
        request = SimpleNamespace(headers=[], method=start_line.method, uri=start_line.path)
        worker.log.access(response, request, environ, timedelta(seconds=perf_counter() - began))

    def _write(
        self,
        start_line: httputil.RequestStartLine,
        code: int,
        reason: str,
        headers: list[tuple[str, str]],
        body: bytes,
    ) -> int:
        """Send the answer; the number of body bytes sent (0 when the client has gone)."""
        names = {name.lower() for name, _ in headers}
        out = httputil.HTTPHeaders()
        for name, value in headers:
            out.add(name, value)
        if "date" not in names:
            out["Date"] = formatdate(usegmt=True)
        bodiless = start_line.method == "HEAD" or code in (204, 304) or code < 200
        if bodiless:
            body = b""
        elif "content-length" not in names:
            out["Content-Length"] = str(len(body))
        if not self.worker.alive:
            out["Connection"] = "close"  # stopping: the client opens its next one elsewhere
        try:
            self.connection.write_headers(
                httputil.ResponseStartLine("HTTP/1.1", code, reason), out, chunk=body
            )
            self.connection.finish()
        except (StreamClosedError, httputil.HTTPOutputError) as error:
            log.debug("answer not sent: %s", type(error).__name__)
            return 0
        return len(body)


def _parse_answer(answer: Answer) -> tuple[int, str, list[tuple[str, str]], bytes]:
    status, headers, body = answer
    code_text, _, reason = status.partition(" ")
    code = int(code_text)
    return code, reason or HTTPStatus(code).phrase, headers, body


class _Requests(httputil.HTTPServerConnectionDelegate):
    def __init__(self, worker: BufferingWorker) -> None:
        self.worker = worker

    def start_request(
        self, server_conn: object, request_conn: httputil.HTTPConnection
    ) -> httputil.HTTPMessageDelegate:
        assert isinstance(request_conn, HTTP1Connection)
        return _Exchange(self.worker, request_conn)


class _QuietDetails(logging.Filter):
    """Tornado's "Malformed HTTP message" lines quote the offending header value, which can be
    a token: keep the line (who sent it), drop the detail."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg
        if (
            isinstance(message, str)
            and message.startswith("Malformed HTTP message")
            and isinstance(record.args, tuple)
        ):
            record.args = (*record.args[:1], *(type(a).__name__ for a in record.args[1:]))
        return True


class BufferingWorker(Worker):
    """gunicorn worker: Tornado reads, `threads` threads run the WSGI app."""

    alive: bool  # gunicorn's: False once SIGTERM came
    in_flight = 0  # requests between their headers and their answer
    limits = HttpLimits()

    def run(self) -> None:
        limits = getattr(self.app, "http_limits", None)
        if isinstance(limits, HttpLimits):
            self.limits = limits
        logging.getLogger("tornado.general").addFilter(_QuietDetails())
        self.executor = ThreadPoolExecutor(
            max_workers=max(1, self.cfg.threads), thread_name_prefix="request"
        )
        self._tasks: set[asyncio.Task[None]] = set()
        try:
            asyncio.run(self._serve())
        finally:
            self.executor.shutdown(wait=False, cancel_futures=True)

    def spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)  # the loop keeps only a weak reference
        task.add_done_callback(self._tasks.discard)

    async def _serve(self) -> None:
        limits = self.limits
        server = HTTPServer(
            _Requests(self),
            no_keep_alive=self.cfg.keepalive <= 0,
            idle_connection_timeout=limits.header_timeout,
            body_timeout=limits.body_timeout,
            max_header_size=limits.max_header_size,
            max_body_size=limits.max_body_size,
        )
        server.add_sockets([listener.sock for listener in self.sockets])
        while self.alive:
            self.notify()
            if self.ppid != os.getppid():
                self.log.info("Parent changed, shutting down: %s", self)
                break
            await asyncio.sleep(HEARTBEAT)
        # SIGTERM: take no new connections; answer the requests in flight (a request arriving
        # on a kept-alive connection meanwhile is answered with "Connection: close"), then close.
        self.alive = False
        server.stop()
        server.conn_params.no_keep_alive = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.cfg.graceful_timeout
        while self.in_flight and loop.time() < deadline:
            self.notify()
            await asyncio.sleep(0.05)
        try:
            await asyncio.wait_for(server.close_all_connections(), CLOSE_TIMEOUT)
        except TimeoutError:
            self.log.warning("connections still open after %.0f s", CLOSE_TIMEOUT)
