"""``FakeSlack``: a fake Slack Web API over real HTTP on 127.0.0.1.

Point ``slack_sdk.WebClient(base_url=fake.base_url, token="xoxb-...")`` (or a Bolt ``App``
built with ``client=``) at it. Every call is checked against Slack's published OpenAPI spec,
``WebClient``'s signatures and Block Kit (through slack_sdk's models), recorded as a
:class:`Call`, and answered with a realistic default response, a programmed fault
(:meth:`FakeSlack.fail_next`) or a custom handler (:meth:`FakeSlack.set_handler`).

Files added with :meth:`FakeSlack.add_file` are answered by ``files.info`` and downloadable
from their ``url_private``/``url_private_download`` (which point at the fake) with a bearer
token, like from ``files.slack.com``.
"""

from __future__ import annotations

import html
import json
import re
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.waiting import PATIENCE

from .responses import DEFAULT_RESPONDERS, TEAM_DOMAIN, TEAM_ID, Workspace, hosted_file_object
from .spec import WebApiSpec, default_spec
from .validation import (
    MESSAGE_METHODS,
    VIEW_METHODS,
    Rejection,
    check_message,
    check_message_blocks,
    check_message_text,
    check_view,
    decode_json_field,
)

if TYPE_CHECKING:
    from .socket_mode import FakeSocketModeServer

JSON_FIELDS = frozenset(
    {
        "attachments",
        "blocks",
        "chunks",
        "files",
        "metadata",
        "profile",
        "unfurls",
        "user_auth_blocks",
        "view",
    }
)
"""Arguments slack_sdk JSON-encodes inside form bodies; decoded back to objects."""

RESPONSE_URL = "response_url"
"""Pseudo-method name of calls to ``/response/<id>``."""
FILE_UPLOAD = "file_upload"
"""Pseudo-method name of uploads to the URL returned by ``files.getUploadURLExternal``."""
FILE_DOWNLOAD = "file_download"
"""Pseudo-method name of GETs of ``url_private``/``url_private_download`` of added files."""
PSEUDO_METHODS = frozenset({RESPONSE_URL, FILE_UPLOAD, FILE_DOWNLOAD})
HTML = "text/html; charset=utf-8"
DRIP_AT_MOST = 40.0
"""Seconds a dripping answer goes on before the fake hangs up."""
FILES_PRI = re.compile(r"^/files-pri/(?P<team>[^/-]+)-(?P<id>[^/]+)/(?:download/)?(?P<name>[^/]+)$")
RESPONSE_URL_MAX_USES = 5

Handler = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Call:
    """One request the fake received, with the answer it gave."""

    method: str
    """Slack method (``chat.postMessage``), or ``response_url`` / ``file_upload`` /
    ``file_download``."""
    args: dict[str, Any]
    """Arguments as Slack parses them (JSON-in-form fields decoded; for response_url the body;
    for file_download ``{"file_id": ..., "authorized": bool}``)."""
    headers: dict[str, str]
    response: dict[str, Any]
    status: int
    rejected: bool = False
    """True when the fake's validation refused the call (see :attr:`FakeSlack.errors`)."""
    http_method: str = "POST"
    path: str = ""
    at: float = field(default_factory=time.monotonic)
    """``time.monotonic()`` when the fake answered: how long a client waited between calls."""

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        error = self.response.get("error")
        return str(error) if error is not None else None

    @property
    def token(self) -> str | None:
        for name, value in self.headers.items():
            if name.lower() == "authorization" and value.startswith("Bearer "):
                return value.removeprefix("Bearer ").strip()
        token = self.args.get("token")
        return str(token) if token else None

    def describe(self) -> str:
        """One line for assertion messages."""
        outcome = "ok" if self.ok else f"error={self.error}"
        messages = self.response.get("response_metadata", {}).get("messages")
        extra = f" {messages}" if messages else ""
        return f"{self.method} [{self.status} {outcome}]{extra} args={_short(self.args)}"


def _short(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class _Fault:
    status: int
    error: str
    headers: dict[str, str]
    remaining: int
    hang_up: bool = False
    drip: float = 0.0


@dataclass
class _Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"
    hang_up: bool = False
    """Announce the whole body but close the connection after half of it."""
    drip: float = 0.0
    """Announce the whole body, then send it one byte every `drip` seconds."""


def _html_page(title: str, text: str) -> bytes:
    return (
        f"<!DOCTYPE html><html><head><title>{html.escape(title)} | Slack</title></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
        f'<a href="https://{TEAM_DOMAIN}.slack.com/">Sign in to {TEAM_DOMAIN}</a>'
        "</body></html>"
    ).encode()


class _BadRequest(ValueError):
    pass


def _parse_form(body: bytes) -> dict[str, Any]:
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    args: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        args[str(name)] = data if part.get_filename() else data.decode("utf-8")
    return args


def parse_arguments(query: str, content_type: str, body: bytes) -> dict[str, Any]:
    """Arguments the way Slack reads them: query string, then JSON / form / multipart body."""
    args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    media_type = content_type.split(";", 1)[0].strip().lower()
    if body.strip():
        if media_type == "application/json":
            try:
                data = json.loads(body)
            except ValueError as exc:
                raise _BadRequest(f"body is not JSON: {exc}") from exc
            if not isinstance(data, dict):
                raise _BadRequest("JSON body must be an object")
            args.update(data)
        elif media_type == "multipart/form-data":
            args.update(_parse_multipart(content_type, body))
        else:
            args.update(_parse_form(body))
    for key in JSON_FIELDS & args.keys():
        args[key] = decode_json_field(args[key])
    return args


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # a burst of calls (replicas, a load test) is queued, not reset
    fake: FakeSlack


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "FakeSlack/1.0"

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, verb: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        headers = {k: v for k, v in self.headers.items()}
        reply = self.server.fake._handle_http(verb, self.path, headers, body)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if reply.hang_up:
            self.wfile.write(reply.body[: len(reply.body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if reply.drip:
            self._drip(reply)
            return
        self.wfile.write(reply.body)

    def _drip(self, reply: _Reply) -> None:
        self.close_connection = True
        give_up = time.monotonic() + DRIP_AT_MOST
        for at in range(len(reply.body)):
            if time.monotonic() > give_up:
                return  # a client that waits for ever fails on the cut-off body instead
            try:
                self.wfile.write(reply.body[at : at + 1])
                self.wfile.flush()
            except OSError:
                return  # the client gave up
            if self.server.fake.closed.wait(reply.drip):
                return

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FakeSlack:
    """A fake Slack Web API (plus response_url and file upload endpoints) on loopback.

    >>> with FakeSlack() as fake:
    ...     client = WebClient(base_url=fake.base_url, token="xoxb-test")
    ...     client.chat_postMessage(channel="C111", text="hi")
    ...     fake.assert_no_errors()
    """

    def __init__(self, *, spec: WebApiSpec | None = None) -> None:
        self.spec = spec or default_spec()
        self.workspace = Workspace()
        self._socket_mode: FakeSocketModeServer | None = None
        """Server whose URL ``apps.connections.open`` hands out."""
        self._cond = threading.Condition()
        self._calls: list[Call] = []
        self._faults: dict[str, deque[_Fault]] = defaultdict(deque)
        self._handlers: dict[str, Handler] = {}
        self._response_url_uses: dict[str, int] = defaultdict(int)
        self._uploads: dict[str, bytes] = {}
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self.closed = threading.Event()
        """Set when the fake stops: a dripping answer ends."""

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeSlack:
        if self._httpd is not None:
            return self
        httpd = _Server(("127.0.0.1", 0), _RequestHandler)
        httpd.fake = self
        self.closed.clear()
        self._httpd = httpd
        self.workspace.base_url = f"http://127.0.0.1:{self.port}/"
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"FakeSlack:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        self._httpd = self._thread = None
        self.closed.set()
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeSlack:
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
        if self._httpd is None:
            raise RuntimeError("FakeSlack is not started")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>/``."""
        return f"http://127.0.0.1:{self.port}/"

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/api/`` for ``WebClient(base_url=...)``."""
        return f"{self.url}api/"

    @property
    def socket_mode(self) -> FakeSocketModeServer | None:
        """The Socket Mode endpoint ``apps.connections.open`` hands out; its slash commands'
        acks are shown like those over HTTP (`acked_payload`)."""
        return self._socket_mode

    @socket_mode.setter
    def socket_mode(self, server: FakeSocketModeServer | None) -> None:
        self._socket_mode = server
        if server is not None:
            server.shown = self.acked_payload

    def response_url(self, id: str = "1") -> str:
        """A response_url served by the fake (calls recorded as method ``response_url``)."""
        return f"{self.url}response/{id}"

    def acked(self, request_body: bytes | str, status: int, reply_body: bytes) -> None:
        """What Slack does with the acknowledgement of a slash command it sent over HTTP
        (`request_body`, form-encoded): see `acked_payload`. A plain-text body is a message's
        text; an empty or failed ack shows nothing."""
        raw = request_body.encode() if isinstance(request_body, str) else request_body
        form = dict(parse_qsl(raw.decode("utf-8", "replace")))
        if status != 200 or not reply_body.strip():
            return
        try:
            parsed = json.loads(reply_body)
        except ValueError:
            parsed = {"text": reply_body.decode("utf-8", "replace")}
        self.acked_payload(form, parsed if isinstance(parsed, dict) else {"text": str(parsed)})

    def acked_payload(self, command: dict[str, Any], ack: dict[str, Any]) -> None:
        """What Slack does with a slash command's acknowledgement (over HTTP or Socket Mode): a
        message in it (text or blocks) is shown to the user as if posted to the command's
        response_url, and validated alike. It is recorded as a ``response_url`` call to that
        URL with ``http_method`` ``ACK``; an ack without a message shows nothing."""
        if "command" not in command or not ack:
            return
        url = str(command.get("response_url") or "")
        path = "/" + url.removeprefix(self.url) if url.startswith(self.url) else ""
        outcome: dict[str, Any] | Rejection
        try:
            if not (ack.get("text") or ack.get("blocks")):
                raise Rejection("no_text", ["[ERROR] an ack with a body needs text or blocks"])
            check_message_text(ack.get("text"))
            check_message_blocks(ack.get("blocks"))
            outcome = {"ok": True}
        except Rejection as rejection:
            outcome = rejection
        self._record(RESPONSE_URL, ack, {}, outcome, verb="ACK", path=path)

    def add_file(
        self,
        content: bytes,
        *,
        name: str = "screenshot.png",
        mimetype: str = "image/png",
        filetype: str | None = None,
        user: str = "U0ANNA",
        file_id: str | None = None,
        size: int | None = None,
    ) -> dict[str, Any]:
        """Put a file "into Slack", as if ``user`` had shared it; return its file object.

        The object is exactly what ``files.info`` answers for it. Its ``url_private`` and
        ``url_private_download`` point at the fake, which serves ``content`` there to requests
        with ``Authorization: Bearer xox...`` (recorded as ``file_download`` calls).
        ``filetype`` defaults from the name's extension, ``size`` to ``len(content)`` (give
        another to make the object lie). Files stay across :meth:`reset`.
        """
        if self._httpd is None:
            raise RuntimeError("FakeSlack is not started")
        file_id = file_id or self.workspace.next_id("F")
        file = hosted_file_object(
            self.workspace,
            file_id,
            name=name,
            mimetype=mimetype,
            filetype=filetype,
            user=user,
            size=len(content) if size is None else size,
        )
        self.workspace.register_file(file, bytes(content))
        return file

    # ------------------------------------------------------------------ workspace

    @property
    def users(self) -> dict[str, dict[str, Any]]:
        """Known users and their overrides, e.g. ``fake.users["U0ANNA"] = {"locale": "sv-SE"}``.

        Keys: ``locale``, ``real_name``, ``name``, ``display_name``, ``email``, ``tz``,
        ``profile`` (merged) and any top-level user field. ``users.info`` for an id not in
        here answers ``user_not_found``.
        """
        return self.workspace.users

    @property
    def channels(self) -> dict[str, dict[str, Any]]:
        """Overrides merged into ``conversations.info`` answers (any channel id is known)."""
        return self.workspace.channels

    @property
    def uploads(self) -> dict[str, bytes]:
        """Bytes uploaded via ``files_upload_v2`` by file id."""
        with self._cond:
            return dict(self._uploads)

    # ------------------------------------------------------------------ recorded calls

    @property
    def calls(self) -> list[Call]:
        with self._cond:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self._calls if c.method == method]

    @property
    def errors(self) -> list[Call]:
        """Calls the fake's validation answered with ``ok: false``.

        Faults from :meth:`fail_next`, custom handlers and ordinary lookup misses such as
        ``user_not_found`` are not counted.
        """
        with self._cond:
            return [c for c in self._calls if c.rejected]

    def assert_no_errors(self) -> None:
        errors = self.errors
        if errors:
            lines = "\n  ".join(c.describe() for c in errors)
            raise AssertionError(f"FakeSlack rejected {len(errors)} call(s):\n  {lines}")

    def reset(self) -> None:
        """Forget calls, pending faults, handlers and response_url use counts.

        Users, channels and the attached Socket Mode server stay.
        """
        with self._cond:
            self._calls.clear()
            self._faults.clear()
            self._handlers.clear()
            self._response_url_uses.clear()
            self._uploads.clear()

    def wait_for(self, method: str, count: int = 1, timeout: float = PATIENCE) -> list[Call]:
        """Block until ``count`` calls to ``method`` arrived; return all calls to it."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                matching = [c for c in self._calls if c.method == method]
                if len(matching) >= count:
                    return matching
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = "\n  ".join(c.describe() for c in self._calls) or "(none)"
                    raise AssertionError(
                        f"expected {count} call(s) to {method} within {timeout}s, "
                        f"got {len(matching)}. Calls so far:\n  {seen}"
                    )
                self._cond.wait(remaining)

    # ------------------------------------------------------------------ programming

    def fail_next(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
        hang_up: bool = False,
        drip: float = 0.0,
    ) -> None:
        """Answer the next ``times`` valid calls to ``method`` with an error.

        ``status=429`` answers ``ratelimited`` with ``Retry-After: 1`` unless ``headers`` says
        otherwise; ``status>=500`` answers ``internal_error``; with ``status=200`` give
        ``error`` (e.g. ``"channel_not_found"``). Works for ``"response_url"``,
        ``"file_upload"`` and ``"file_download"`` too; a ``file_download`` fault answers an
        HTML page with ``status`` (200 imitates the sign-in page Slack serves instead of the
        file). ``hang_up=True`` sends the headers of the normal answer (for ``file_download``
        the file's) and half the body, then closes the connection. ``drip=seconds`` (for
        ``file_download``) sends the file's headers, then its bytes one at a time, each
        ``drip`` seconds after the last, until the client hangs up (or for 40 s at most).
        """
        if hang_up and error is None:
            error = "connection_closed"
        if drip and error is None:
            error = "slow_answer"
        if error is None:
            if status == 429:
                error = "ratelimited"
            elif status >= 500:
                error = "internal_error"
            elif status == 200:
                raise ValueError("fail_next with status 200 needs an error, e.g. 'invalid_auth'")
            else:
                error = "request_failed"
        fault_headers = dict(headers or {})
        if status == 429 and not any(k.lower() == "retry-after" for k in fault_headers):
            fault_headers["Retry-After"] = "1"
        self._check_known(method)
        with self._cond:
            self._faults[method].append(_Fault(status, error, fault_headers, times, hang_up, drip))

    def set_handler(self, method: str, fn: Handler | None) -> None:
        """Answer valid calls to ``method`` with ``fn(args)`` (None restores the default)."""
        if method == FILE_DOWNLOAD:
            raise ValueError("downloads serve bytes: use add_file() and fail_next() instead")
        self._check_known(method)
        with self._cond:
            if fn is None:
                self._handlers.pop(method, None)
            else:
                self._handlers[method] = fn

    def _check_known(self, method: str) -> None:
        if method not in PSEUDO_METHODS and self.spec.lookup(method) is None:
            raise ValueError(f"unknown Slack method {method!r}")

    # ------------------------------------------------------------------ HTTP handling

    def _handle_http(
        self, verb: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> _Reply:
        parts = urlsplit(raw_path)
        path = parts.path
        if path.startswith("/api/"):
            return self._handle_api(verb, path, parts.query, headers, body)
        if path.startswith("/response/") and verb == "POST":
            return self._handle_response_url(path, headers, body)
        if path.startswith("/upload/") and verb == "POST":
            return self._handle_upload(path, headers, body)
        if path.startswith("/files-pri/") and verb == "GET":
            return self._handle_download(path, headers)
        rejection = Rejection("not_found", [f"[ERROR] no such endpoint: {verb} {path}"], status=404)
        return self._record(path, {}, headers, rejection, verb=verb, path=path)

    def _record(
        self,
        method: str,
        args: dict[str, Any],
        headers: dict[str, str],
        outcome: dict[str, Any] | Rejection | _Fault,
        *,
        verb: str = "POST",
        path: str = "",
    ) -> _Reply:
        reply_headers: dict[str, str] = {}
        rejected = False
        if isinstance(outcome, Rejection):
            response, status, rejected = outcome.body(), outcome.status, True
        elif isinstance(outcome, _Fault):
            response, status = {"ok": False, "error": outcome.error}, outcome.status
            reply_headers = dict(outcome.headers)
        else:
            response, status = outcome, 200
        self._append(
            Call(
                method=method,
                args=args,
                headers=headers,
                response=response,
                status=status,
                rejected=rejected,
                http_method=verb,
                path=path,
            )
        )
        hang_up = isinstance(outcome, _Fault) and outcome.hang_up
        return _Reply(status, json.dumps(response).encode("utf-8"), reply_headers, hang_up=hang_up)

    def _append(self, call: Call) -> None:
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()

    def _take_fault(self, method: str) -> _Fault | None:
        with self._cond:
            queue = self._faults.get(method)
            if not queue:
                return None
            fault = queue[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                queue.popleft()
            return fault

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any] | _Fault:
        fault = self._take_fault(method)
        if fault is not None:
            return fault
        with self._cond:
            handler = self._handlers.get(method)
        if handler is not None:
            return handler(args)
        responder = DEFAULT_RESPONDERS.get(method)
        return responder(self.workspace, args) if responder else {"ok": True}

    def _handle_api(
        self, verb: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> _Reply:
        method = path.removeprefix("/api/").strip("/")
        content_type = _header(headers, "Content-Type")
        try:
            args = parse_arguments(query, content_type, body)
        except _BadRequest as exc:
            return self._record(
                method, {}, headers, Rejection("invalid_json", [f"[ERROR] {exc}"]), verb=verb
            )
        try:
            self._validate_api(method, args, headers)
            outcome: dict[str, Any] | Rejection | _Fault = self._answer_api(method, args)
        except Rejection as rejection:
            outcome = rejection
        return self._record(method, args, headers, outcome, verb=verb, path=path)

    def _validate_api(self, method: str, args: dict[str, Any], headers: dict[str, str]) -> None:
        spec = self.spec.lookup(method)
        if spec is None:
            raise Rejection("unknown_method", extra={"req_method": method})
        self._check_token(method, args, headers)
        messages = [f"[ERROR] missing required field: {name}" for name in spec.missing(args)]
        messages += [
            f"[ERROR] unexpected argument: {name} (not in Slack's spec for {method} "
            f"nor a parameter of WebClient.{spec.python_name})"
            for name in spec.unexpected(args)
        ]
        if messages:
            raise Rejection("invalid_arguments", messages)
        if method in MESSAGE_METHODS:
            check_message(method, args)
        if method in VIEW_METHODS:
            args["view"] = check_view(method, args.get("view"))

    def _check_token(self, method: str, args: dict[str, Any], headers: dict[str, str]) -> None:
        auth = _header(headers, "Authorization")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
        token = token or str(args.get("token") or "")
        if not token:
            raise Rejection("not_authed")
        app_level = token.startswith("xapp-")
        if method == "apps.connections.open":
            if not app_level:
                raise Rejection("not_allowed_token_type", ["[ERROR] needs an xapp- token"])
        elif app_level:
            raise Rejection("not_allowed_token_type", ["[ERROR] xapp- tokens only open sockets"])
        elif not token.startswith("xox"):
            raise Rejection("invalid_auth")

    def _answer_api(self, method: str, args: dict[str, Any]) -> dict[str, Any] | _Fault:
        if method == "apps.connections.open" and method not in self._handlers:
            fault = self._take_fault(method)
            if fault is not None:
                return fault
            if self._socket_mode is None:
                raise Rejection(
                    "socket_mode_not_enabled",
                    ["[ERROR] attach a FakeSocketModeServer: fake.socket_mode = server"],
                )
            return {"ok": True, "url": self._socket_mode.new_url()}
        if method == "conversations.open" and not (args.get("users") or args.get("channel")):
            raise Rejection("users_list_not_supplied")
        return self._answer(method, args)

    def _handle_response_url(self, path: str, headers: dict[str, str], body: bytes) -> _Reply:
        content_type = _header(headers, "Content-Type")
        try:
            args = parse_arguments("", content_type, body)
        except _BadRequest as exc:
            return self._record(
                RESPONSE_URL,
                {},
                headers,
                Rejection("invalid_payload", [f"[ERROR] {exc}"]),
                path=path,
            )
        if "payload" in args and isinstance(args["payload"], str):  # form: payload=<json>
            args = parse_arguments("", "application/json", args["payload"].encode("utf-8"))
        url_id = path.removeprefix("/response/")
        with self._cond:
            self._response_url_uses[url_id] += 1
            uses = self._response_url_uses[url_id]
        outcome: dict[str, Any] | Rejection | _Fault
        try:
            if uses > RESPONSE_URL_MAX_USES:
                raise Rejection(
                    "used_url",
                    [f"[ERROR] a response_url works {RESPONSE_URL_MAX_USES} times"],
                    status=404,
                )
            if not (args.get("text") or args.get("blocks") or args.get("attachments")) and not (
                args.get("delete_original")
            ):
                raise Rejection("no_text", ["[ERROR] text or blocks required"], status=400)
            check_message_text(args.get("text"))
            check_message_blocks(args.get("blocks"))
            outcome = self._answer(RESPONSE_URL, args)
        except Rejection as rejection:
            if rejection.status == 200:
                rejection.status = 400
            outcome = rejection
        return self._record(RESPONSE_URL, args, headers, outcome, path=path)

    def _handle_upload(self, path: str, headers: dict[str, str], body: bytes) -> _Reply:
        file_id = path.removeprefix("/upload/")
        with self._cond:
            self._uploads[file_id] = body
        args = {"file_id": file_id, "length": len(body)}
        outcome = self._answer(FILE_UPLOAD, args)
        reply = self._record(FILE_UPLOAD, args, headers, outcome, path=path)
        if reply.status == 200 and not reply.hang_up:  # Slack answers with plain text
            return _Reply(200, f"OK - {len(body)}".encode(), content_type="text/plain")
        return reply

    def _handle_download(self, path: str, headers: dict[str, str]) -> _Reply:
        """``GET /files-pri/T111-<id>[/download]/<name>``: the bytes of an added file."""
        match = FILES_PRI.match(path)
        file_id = match["id"] if match else ""
        auth = _header(headers, "Authorization")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
        args: dict[str, Any] = {"file_id": file_id, "authorized": token.startswith("xox")}
        found = self.workspace.file_content(file_id) if match else None
        problem = ""
        if match is None or match["team"] != TEAM_ID:
            problem = f"[ERROR] not a file URL the fake hands out: {path}"
        elif found is not None and unquote(match["name"]) != found[0]["name"]:
            problem = f"[ERROR] file {file_id} is named {found[0]['name']!r}, not {match['name']!r}"
        if problem:  # a URL the app made up: a rejected call, unlike a 403/404 answer
            rejection = Rejection("not_found", [problem], status=404)
            return self._record(FILE_DOWNLOAD, args, headers, rejection, verb="GET", path=path)

        reply: _Reply
        fault = self._take_fault(FILE_DOWNLOAD)
        if fault is not None:
            response: dict[str, Any] = {"ok": False, "error": fault.error}
            status = fault.status
            if (fault.hang_up or fault.drip) and found is not None:
                file, content = found
                reply = _Reply(
                    status, content, dict(fault.headers), file["mimetype"], fault.hang_up
                )
                reply.drip = fault.drip
            else:
                page = _html_page("Sign in" if status == 200 else "Error", fault.error)
                reply = _Reply(status, page, dict(fault.headers), HTML, fault.hang_up)
        elif not args["authorized"]:
            response = {"ok": False, "error": "invalid_auth" if token else "not_authed"}
            status = 403
            page = _html_page("Sign in", "Sign in to see this file.")
            reply = _Reply(status, page, content_type=HTML)
        elif found is None:
            response, status = {"ok": False, "error": "file_not_found"}, 404
            page = _html_page("File not found", "There is no such file.")
            reply = _Reply(status, page, content_type=HTML)
        else:
            file, content = found
            response = {"ok": True, "mimetype": file["mimetype"], "length": len(content)}
            status = 200
            reply = _Reply(status, content, content_type=file["mimetype"])
        self._append(
            Call(
                method=FILE_DOWNLOAD,
                args=args,
                headers=headers,
                response=response,
                status=status,
                http_method="GET",
                path=path,
            )
        )
        return reply


def _header(headers: Mapping[str, str], name: str) -> str:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return ""
