"""A fake of Meta's Graph API on loopback, and the webhook deliveries Meta would send.

It answers the way Meta does as far as Vakt's connector goes, with responses of the same keys and
nesting as Meta's own samples in `../shared/meta/payloads` (`test_fakegraph.py` holds them side by
side): Pages and their tokens, posts, Facebook comments and replies, Instagram media and comments,
cursor paging with `paging.next` URLs that carry `access_token=` (as Meta's do), Meta's error
bodies, and the rate-limit headers. It is stricter than Meta where Vakt's own rules are: a call
without `Authorization: Bearer`, with a token in the URL, or without a right `appsecret_proof`
is refused. Every call is recorded in `calls`.

The state is changed by the test (`add_page`, `add_comment`, `hide`, `remove`, `expire`,
`revoke`, `fail_next`, `set_usage`) while the server runs; one lock keeps both sides apart.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

VERSION = "v27.0"
GRAPH_TIME = "%Y-%m-%dT%H:%M:%S+0000"
"""How the Graph API writes times: "2026-11-23T09:15:00+0000"."""
APP_ID = "1010101010101010"
PERMISSIONS = frozenset(
    {
        "pages_show_list",
        "pages_read_engagement",
        "pages_manage_metadata",
        "pages_read_user_content",
        "pages_manage_engagement",
        "instagram_basic",
        "instagram_manage_comments",
    }
)
"""What the system user was granted, to begin with."""
NUMBERS = 900_000_000_000_000
"""Where the numbers in posts' and comments' ids start ("<page>_9000...01"), as long as Meta's."""
DOCS = "Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"


@dataclass(frozen=True)
class Call:
    """One request the fake received: `path` without the version (`123_456/comments`),
    `params` the query and form together, `token` the bearer token if any, `at_index` its
    place in `FakeGraph.calls`."""

    method: str
    path: str
    params: dict[str, str]
    token: str | None
    at_index: int


@dataclass
class _Page:
    id: str
    name: str
    token: str
    instagram_user_id: str | None


@dataclass
class _Post:
    id: str
    page_id: str
    created_time: datetime
    message: str
    seq: int


@dataclass
class _Comment:
    id: str
    post_id: str
    page_id: str
    from_id: str
    from_name: str
    message: str
    created_time: datetime
    parent_id: str | None
    attachment_url: str | None
    seq: int
    hidden: bool = False
    removed: bool = False


@dataclass
class _Media:
    id: str
    ig_user_id: str
    timestamp: datetime
    seq: int


@dataclass
class _IgComment:
    id: str
    media_id: str
    ig_user_id: str
    from_id: str
    username: str
    text: str
    timestamp: datetime
    parent_id: str | None
    seq: int
    hidden: bool = False
    removed: bool = False


@dataclass
class _Failure:
    path_contains: str
    code: int
    subcode: int | None
    status: int
    times: int
    regain_minutes: int | None
    body: bytes | None


@dataclass
class _Field:
    """One entry of a `fields=` list: `comments.limit(5).summary(true){from,created_time}`."""

    name: str
    options: dict[str, str] = field(default_factory=dict)
    sub: dict[str, _Field] | None = None
    sub_text: str = ""


class _Refusal(Exception):
    """An error answer, in Meta's shape."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        type_: str = "OAuthException",
        subcode: int | None = None,
        user_title: str | None = None,
        user_msg: str | None = None,
        body: bytes | None = None,
    ) -> None:
        super().__init__(message)
        error: dict[str, Any] = {"message": message, "type": type_, "code": code}
        if subcode is not None:
            error["error_subcode"] = subcode
        if user_title is not None:
            error["error_user_title"] = user_title
            error["error_user_msg"] = user_msg or ""
        error["fbtrace_id"] = "A" + secrets.token_urlsafe(8)
        self.status = status
        self.doc = {"error": error}
        self.body = body


T = TypeVar("T")

MESSAGES = {
    1: "An unknown error occurred",
    2: "An unexpected error has occurred. Please retry your request later.",
    4: "(#4) Application request limit reached",
    10: "(#10) Application does not have permission for this action",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    190: "Error validating access token: The session has been invalidated.",
    200: "(#200) Permissions error",
    613: "(#613) Calls to this api have exceeded the rate limit.",
    80001: "(#80001) There have been too many calls to this Page account. Wait a bit and try again.",
    80002: "(#80002) There have been too many calls to this Instagram account. Wait a bit and try again.",
}


def graph_time(moment: datetime) -> str:
    """A time as the Graph API writes it (UTC, "+0000")."""
    if moment.tzinfo is None:
        raise ValueError("give the fake aware datetimes")
    return moment.astimezone(UTC).strftime(GRAPH_TIME)


def _unsupported(verb: str, object_id: str, *, type_: str = "GraphMethodException") -> _Refusal:
    """Meta's answer for an object that is gone or not visible: 100 with subcode 33 on a read
    or a write, and without a subcode on a delete (as in Meta's sample of one)."""
    return _Refusal(
        400,
        100,
        f"Unsupported {verb} request. Object with ID '{object_id}' does not exist, cannot be "
        f"loaded due to missing permissions, or does not support this operation. {DOCS}",
        type_=type_,
        subcode=None if verb == "delete" else 33,
    )


def _nonexisting(name: str, node: str) -> _Refusal:
    return _Refusal(
        400, 100, f"(#100) Tried accessing nonexisting field ({name}) on node type ({node})"
    )


def _parse_fields(text: str) -> dict[str, _Field]:
    """`id,from{id,name},comments.limit(2){created_time}` read into fields, nested."""
    found: dict[str, _Field] = {}
    depth, start = 0, 0
    pieces = []
    for at, char in enumerate(text):
        if char in "{(":
            depth += 1
        elif char in "})":
            depth -= 1
        elif char == "," and depth == 0:
            pieces.append(text[start:at])
            start = at + 1
    pieces.append(text[start:])
    for piece in (p.strip() for p in pieces):
        if not piece:
            continue
        sub_text = ""
        if piece.endswith("}") and "{" in piece:
            brace = piece.index("{")
            piece, sub_text = piece[:brace], piece[brace + 1 : -1]
        name, *calls = piece.split(".")
        options = {}
        for call in calls:
            matched = re.fullmatch(r"(\w+)\((.*)\)", call)
            if matched:
                options[matched.group(1)] = matched.group(2)
        found[name] = _Field(name, options, _parse_fields(sub_text) if sub_text else None, sub_text)
    return found


def _uncursor(cursor: str) -> tuple[int, int] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, seq = raw.split(":")
        return int(stamp), int(seq)
    except (ValueError, UnicodeDecodeError):
        return None


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true")


class FakeGraph:
    """The Graph API on 127.0.0.1 (port 0). Use as a context manager, or the `fake_graph`
    fixture of tests/meta/conftest.py."""

    page_size: int = 25

    def __init__(self, *, app_secret: str | None = None, user_token: str | None = None) -> None:
        self.app_secret = app_secret or "fake-app-secret-" + secrets.token_hex(8)
        self.user_token = user_token or "EAAsystemuser" + secrets.token_urlsafe(32)
        self.calls: list[Call] = []
        self.permissions: set[str] = set(PERMISSIONS)
        self.subscribed: dict[str, list[str]] = {}
        self.app_usage: int | None = None
        """When set, user-token responses carry X-App-Usage with this call_count (percent)."""
        self.now: datetime | None = None
        """The time of comments made through the API (a Page's reply); when unset, that of the
        latest comment."""
        self._asked: set[str] = set(PERMISSIONS)
        self._pages: dict[str, _Page] = {}
        self._posts: dict[str, _Post] = {}
        self._comments: dict[str, _Comment] = {}
        self._by_post: dict[str, list[_Comment]] = {}  # the same, by post (the bench's 100,000)
        self._media: dict[str, _Media] = {}
        self._ig_comments: dict[str, _IgComment] = {}
        self._expired: set[str] = set()
        self._failures: list[_Failure] = []
        self._usage: dict[str, tuple[int, int]] = {}
        self._seq = 0
        self._lock = threading.RLock()
        self._httpd: ThreadingHTTPServer | None = None

    # -- running ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Where the client points: "http://127.0.0.1:PORT/v27.0/"."""
        assert self._httpd is not None, "start the fake first"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/{VERSION}/"

    def start(self) -> FakeGraph:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                fake._serve(self, "GET")

            def do_POST(self) -> None:
                fake._serve(self, "POST")

            def do_DELETE(self) -> None:
                fake._serve(self, "DELETE")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def __enter__(self) -> FakeGraph:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the world, as the test sets it up ---------------------------------------------------

    def add_page(self, page_id: str, name: str, *, instagram_user_id: str | None = None) -> str:
        """A Page the system user manages; returns its Page access token."""
        with self._lock:
            token = "EAApage" + secrets.token_urlsafe(32)
            self._pages[page_id] = _Page(page_id, name, token, instagram_user_id)
            return token

    def add_post(
        self,
        page_id: str,
        *,
        created_time: datetime,
        post_id: str | None = None,
        message: str = "",
    ) -> str:
        """A post on the Page's feed; its id is "<page id>_<number>" unless given."""
        graph_time(created_time)
        with self._lock:
            seq = self._next()
            post_id = post_id or f"{page_id}_{NUMBERS + seq}"
            self._posts[post_id] = _Post(post_id, page_id, created_time, message, seq)
            return post_id

    def add_comment(
        self,
        post_id: str,
        *,
        from_id: str,
        from_name: str,
        message: str,
        created_time: datetime,
        parent_id: str | None = None,
        attachment_url: str | None = None,
    ) -> str:
        """A Facebook comment on a post, or a reply to the comment `parent_id`; from the Page
        itself when `from_id` is the Page's id."""
        graph_time(created_time)
        with self._lock:
            post = self._posts[post_id]
            if parent_id is not None and parent_id not in self._comments:
                raise KeyError(parent_id)
            seq = self._next()
            comment_id = f"{post_id.rpartition('_')[2]}_{NUMBERS + seq}"
            comment = _Comment(
                comment_id,
                post_id,
                post.page_id,
                from_id,
                from_name,
                message,
                created_time,
                parent_id,
                attachment_url,
                seq,
            )
            self._comments[comment_id] = comment
            self._by_post.setdefault(post_id, []).append(comment)
            return comment_id

    def add_ig_media(self, ig_user_id: str, *, timestamp: datetime) -> str:
        """A post (IG Media) of an Instagram business account."""
        graph_time(timestamp)
        with self._lock:
            seq = self._next()
            media_id = str(17_900_000_000_000_000 + seq)
            self._media[media_id] = _Media(media_id, ig_user_id, timestamp, seq)
            return media_id

    def add_ig_comment(
        self,
        media_id: str,
        *,
        from_id: str,
        username: str,
        text: str,
        timestamp: datetime,
        parent_id: str | None = None,
    ) -> str:
        """An Instagram comment, or a reply to the comment `parent_id`."""
        graph_time(timestamp)
        with self._lock:
            media = self._media[media_id]
            if parent_id is not None and parent_id not in self._ig_comments:
                raise KeyError(parent_id)
            seq = self._next()
            comment_id = str(18_000_000_000_000_000 + seq)
            self._ig_comments[comment_id] = _IgComment(
                comment_id,
                media_id,
                media.ig_user_id,
                from_id,
                username,
                text,
                timestamp,
                parent_id,
                seq,
            )
            return comment_id

    def hide(self, comment_id: str) -> None:
        """Hide a comment (Facebook or Instagram), as a moderator would on the platform."""
        with self._lock:
            self._comment_anywhere(comment_id).hidden = True

    def remove(self, comment_id: str) -> None:
        """Delete a comment (Facebook or Instagram): reads of it now get 100/33."""
        with self._lock:
            self._comment_anywhere(comment_id).removed = True

    def fail_next(
        self,
        *,
        path_contains: str,
        code: int,
        subcode: int | None = None,
        status: int = 400,
        times: int = 1,
        regain_minutes: int | None = None,
        body: bytes | None = None,
    ) -> None:
        """The next `times` calls whose path contains `path_contains` fail with this error
        (Meta's message for the code); `body` sends those bytes instead of the JSON error;
        `regain_minutes` adds X-Business-Use-Case-Usage saying when calls may resume."""
        with self._lock:
            self._failures.append(
                _Failure(path_contains, code, subcode, status, times, regain_minutes, body)
            )

    def set_usage(self, object_id: str, percent: int, regain_minutes: int = 0) -> None:
        """Responses for this Page (or Instagram account) carry X-Business-Use-Case-Usage with
        `percent`; at 100 or more its calls are refused with 80001 (80002 on Instagram)."""
        with self._lock:
            self._usage[object_id] = (percent, regain_minutes)

    def expire(self, token: str) -> None:
        """Calls with this token now get 190/463."""
        with self._lock:
            self._expired.add(token)

    def revoke(self, permission: str) -> None:
        """me/permissions shows it declined; calls that need it get code 200."""
        with self._lock:
            self.permissions.discard(permission)
            self._asked.add(permission)

    def calls_to(self, path_contains: str) -> list[Call]:
        """The calls whose path contains this."""
        with self._lock:
            return [call for call in self.calls if path_contains in call.path]

    # -- serving -----------------------------------------------------------------------------

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def _comment_anywhere(self, comment_id: str) -> _Comment | _IgComment:
        if comment_id in self._comments:
            return self._comments[comment_id]
        return self._ig_comments[comment_id]

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw_body = handler.rfile.read(length) if length else b""
        parts = urlsplit(handler.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        form: dict[str, str] = {}
        if raw_body and "x-www-form-urlencoded" in (handler.headers.get("Content-Type") or ""):
            form = dict(parse_qsl(raw_body.decode("utf-8", "replace"), keep_blank_values=True))
        path = re.sub(r"^/(v\d+\.\d+/)?", "", parts.path).rstrip("/")
        authorization = handler.headers.get("Authorization") or ""
        token = authorization[7:].strip() if authorization.startswith("Bearer ") else None
        with self._lock:
            self.calls.append(Call(method, path, {**query, **form}, token, len(self.calls)))
            headers: dict[str, str] = {}
            try:
                self._authenticate(query, token)
                self._usage_headers(path, token, headers)
                self._fail_if_asked(path, token, headers)
                status, doc = 200, self._route(method, path, {**query, **form}, token)
                body = None
            except _Refusal as refusal:
                status, doc, body = refusal.status, refusal.doc, refusal.body
        if body is None:
            text = json.dumps(doc, separators=(",", ":"), ensure_ascii=True)
            body = text.replace("/", "\\/").encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=UTF-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("facebook-api-version", VERSION)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)

    def _authenticate(self, query: dict[str, str], token: str | None) -> None:
        if "access_token" in query:
            raise _Refusal(
                400, 190, "Invalid OAuth access token - a token in the URL is refused here"
            )
        if token is None:
            raise _Refusal(
                400, 190, "Invalid OAuth access token - no token in the Authorization header"
            )
        known = {self.user_token, *(page.token for page in self._pages.values())}
        if token not in known:
            raise _Refusal(400, 190, "Invalid OAuth access token - Cannot parse access token")
        if token in self._expired:
            raise _Refusal(
                400,
                190,
                "Error validating access token: Session has expired.",
                subcode=463,
                user_title="Session expired",
                user_msg="Your session has expired. Please log in again.",
            )
        proof = query.get("appsecret_proof")
        if not proof:
            raise _Refusal(
                400,
                100,
                "API calls from the server require an appsecret_proof argument",
                type_="GraphMethodException",
            )
        wanted = hmac.new(self.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(proof, wanted):
            raise _Refusal(
                400,
                100,
                "Invalid appsecret_proof provided in the API argument",
                type_="GraphMethodException",
            )

    def _owner(self, path: str, token: str | None) -> tuple[str | None, str | None]:
        """The Page and the Instagram account a call is about, as far as the fake can tell."""
        page_id = next((p.id for p in self._pages.values() if p.token == token), None)
        first = path.split("/")[0]
        ig_user = None
        if first in self._posts:
            page_id = self._posts[first].page_id
        elif first in self._comments:
            page_id = self._comments[first].page_id
        elif first in self._pages:
            page_id = first
        elif first in self._media:
            ig_user = self._media[first].ig_user_id
        elif first in self._ig_comments:
            ig_user = self._ig_comments[first].ig_user_id
        elif any(p.instagram_user_id == first for p in self._pages.values()):
            ig_user = first
        return page_id, ig_user

    def _usage_headers(self, path: str, token: str | None, headers: dict[str, str]) -> None:
        page_id, ig_user = self._owner(path, token)
        if token == self.user_token and self.app_usage is not None:
            headers["X-App-Usage"] = json.dumps(
                {"call_count": self.app_usage, "total_cputime": 0, "total_time": 0}
            )
        for object_id, code in ((page_id, 80001), (ig_user, 80002)):
            if object_id is None or object_id not in self._usage:
                continue
            percent, regain = self._usage[object_id]
            headers["X-Business-Use-Case-Usage"] = _business_usage(object_id, percent, regain)
            if percent >= 100:
                raise _Refusal(400, code, MESSAGES[code])

    def _fail_if_asked(self, path: str, token: str | None, headers: dict[str, str]) -> None:
        failure = next((f for f in self._failures if f.path_contains in path), None)
        if failure is None:
            return
        failure.times -= 1
        if failure.times <= 0:
            self._failures.remove(failure)
        if failure.regain_minutes is not None:
            page_id, ig_user = self._owner(path, token)
            headers["X-Business-Use-Case-Usage"] = _business_usage(
                page_id or ig_user or path.split("/")[0], 100, failure.regain_minutes
            )
        if failure.code == 100 and failure.subcode == 33:
            refusal = _unsupported("get", path.split("/")[0])
        else:
            refusal = _Refusal(
                failure.status,
                failure.code,
                MESSAGES.get(failure.code, f"(#{failure.code}) An error occurred"),
                subcode=failure.subcode,
            )
        refusal.status = failure.status
        refusal.body = failure.body
        raise refusal

    # -- the endpoints -------------------------------------------------------------------------

    def _route(
        self, method: str, path: str, params: dict[str, str], token: str | None
    ) -> dict[str, Any]:
        assert token is not None
        segments = path.split("/")
        fields = _parse_fields(params["fields"]) if params.get("fields") else None
        if segments[0] == "me":
            return self._me(method, segments[1:], params, token, fields)
        object_id, edge = segments[0], "/".join(segments[1:])
        if object_id in self._pages:
            return self._page(method, self._pages[object_id], edge, params, token, fields)
        if object_id in self._posts and method == "GET":
            return self._post(self._posts[object_id], edge, params, token, fields)
        if object_id in self._comments:
            return self._comment(method, self._comments[object_id], edge, params, token, fields)
        if object_id in self._media and method == "GET":
            return self._ig_media(self._media[object_id], edge, params, token, fields)
        if object_id in self._ig_comments:
            return self._ig_comment(
                method, self._ig_comments[object_id], edge, params, token, fields
            )
        page = next((p for p in self._pages.values() if p.instagram_user_id == object_id), None)
        if page is not None and method == "GET":
            return self._ig_user(page, edge, params, token, fields)
        raise _unsupported(method.lower(), object_id)

    def _need(self, permission: str) -> None:
        if permission not in self.permissions:
            raise _Refusal(400, 200, f"(#200) Requires {permission} permission for this action")

    def _page_token(self, page: _Page, token: str) -> None:
        """Refused unless it is this Page's own token, as Meta refuses Page actions."""
        if token == self.user_token:
            raise _Refusal(
                400, 210, "(#210) A page access token is required to request this resource."
            )
        if token != page.token:
            raise _unsupported("get", page.id)

    def _may_read(self, page: _Page, token: str) -> None:
        if token not in (self.user_token, page.token):
            raise _unsupported("get", page.id)

    def _me(
        self,
        method: str,
        edge: list[str],
        params: dict[str, str],
        token: str,
        fields: dict[str, _Field] | None,
    ) -> dict[str, Any]:
        if method != "GET":
            raise _unsupported(method.lower(), "me")
        if edge == ["permissions"]:
            asked = sorted(self._asked)
            return self._listing(
                [(p, i) for i, p in enumerate(asked)],
                lambda item: {
                    "permission": item[0],
                    "status": "granted" if item[0] in self.permissions else "declined",
                },
                lambda item: (0, item[1]),
                params,
                "me/permissions",
                token,
            )
        if edge == ["accounts"]:
            if token != self.user_token:
                raise _nonexisting("accounts", "Page")
            self._need("pages_show_list")
            wanted = fields or _parse_fields("access_token,category,category_list,name,id,tasks")
            pages = list(self._pages.values())
            return self._listing(
                pages,
                lambda page: self._account_json(page, wanted),
                lambda page: (0, pages.index(page)),
                params,
                "me/accounts",
                token,
            )
        if not edge:
            page = next((p for p in self._pages.values() if p.token == token), None)
            if page is not None:
                return {"name": page.name, "id": page.id}
            return {"name": "Vakt system user", "id": "61550000000001"}
        raise _nonexisting(edge[0], "User")

    def _account_json(self, page: _Page, wanted: dict[str, _Field]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in wanted:
            if name == "access_token":
                out[name] = page.token
            elif name == "category":
                out[name] = "Government organization"
            elif name == "category_list":
                out[name] = [{"id": "2235", "name": "Government organization"}]
            elif name == "name":
                out[name] = page.name
            elif name == "id":
                out[name] = page.id
            elif name == "tasks":
                out[name] = ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"]
            elif name == "instagram_business_account":
                if page.instagram_user_id is not None:
                    out[name] = {"id": page.instagram_user_id}
            else:
                raise _nonexisting(name, "Page")
        out.setdefault("id", page.id)
        return out

    def _page(
        self,
        method: str,
        page: _Page,
        edge: str,
        params: dict[str, str],
        token: str,
        fields: dict[str, _Field] | None,
    ) -> dict[str, Any]:
        if edge == "subscribed_apps":
            self._page_token(page, token)
            self._need("pages_manage_metadata")
            if method == "POST":
                names = params.get("subscribed_fields", "")
                if not names:
                    raise _Refusal(400, 100, "(#100) The parameter subscribed_fields is required.")
                self.subscribed[page.id] = [f.strip() for f in names.split(",") if f.strip()]
                return {"success": True}
            if method == "DELETE":
                self.subscribed.pop(page.id, None)
                return {"success": True}
            apps = []
            if page.id in self.subscribed:
                apps.append(
                    {
                        "category": "Business",
                        "link": "https://vakt.example/",
                        "name": "Vakt",
                        "id": APP_ID,
                        "subscribed_fields": self.subscribed[page.id],
                    }
                )
            return {"data": apps}
        if method != "GET":
            raise _unsupported(method.lower(), page.id)
        if edge in ("published_posts", "feed", "posts"):
            if edge == "published_posts":
                self._page_token(page, token)
            self._may_read(page, token)
            self._need("pages_read_engagement")
            since = _moment(params.get("since"))
            until = _moment(params.get("until"))
            posts = sorted(
                (
                    post
                    for post in self._posts.values()
                    if post.page_id == page.id
                    and (since is None or post.created_time.timestamp() >= since)
                    and (until is None or post.created_time.timestamp() <= until)
                ),
                key=lambda post: (post.created_time, post.seq),
                reverse=True,
            )
            wanted = fields or _parse_fields("created_time,message,id")
            return self._listing(
                posts,
                lambda post: self._post_json(post, wanted, token),
                lambda post: (int(post.created_time.timestamp()), post.seq),
                params,
                f"{page.id}/{edge}",
                token,
                newest_first=True,
            )
        if edge:
            raise _nonexisting(edge, "Page")
        self._may_read(page, token)
        out: dict[str, Any] = {}
        for name in fields or _parse_fields("name,id"):
            if name == "id":
                out[name] = page.id
            elif name == "name":
                out[name] = page.name
            elif name == "access_token" and token == self.user_token:
                out[name] = page.token
            elif name == "instagram_business_account":
                if page.instagram_user_id is not None:
                    out[name] = {"id": page.instagram_user_id}
            elif name == "category":
                out[name] = "Government organization"
            else:
                raise _nonexisting(name, "Page")
        out.setdefault("id", page.id)
        return out

    def _post(
        self,
        post: _Post,
        edge: str,
        params: dict[str, str],
        token: str,
        fields: dict[str, _Field] | None,
    ) -> dict[str, Any]:
        page = self._pages[post.page_id]
        self._may_read(page, token)
        self._need("pages_read_engagement")
        if edge == "comments":
            return self._comments_of(post.id, None, params, token)
        if edge:
            raise _nonexisting(edge, "Post")
        return self._post_json(post, fields or _parse_fields("created_time,message,id"), token)

    def _post_json(self, post: _Post, wanted: dict[str, _Field], token: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        number = post.id.rpartition("_")[2]
        for name, asked in wanted.items():
            if name == "id":
                out[name] = post.id
            elif name == "created_time":
                out[name] = graph_time(post.created_time)
            elif name == "updated_time":
                # As Meta's: it moves when the post is edited or someone comments on it.
                latest = [c.created_time for c in self._by_post.get(post.id, ()) if not c.removed]
                out[name] = graph_time(max([post.created_time, *latest]))
            elif name == "message":
                if post.message:
                    out[name] = post.message
            elif name == "permalink_url":
                out[name] = f"https://www.facebook.com/{post.page_id}/posts/{number}"
            elif name == "from":
                out[name] = {"name": self._pages[post.page_id].name, "id": post.page_id}
            elif name == "is_hidden":
                out[name] = False
            elif name == "is_published":
                out[name] = True
            elif name == "status_type":
                out[name] = "mobile_status_update"
            elif name == "comments":
                out[name] = self._comments_of(
                    post.id, None, {**asked.options, "fields": asked.sub_text}, token, nested=True
                )
            else:
                raise _nonexisting(name, "Post")
        out.setdefault("id", post.id)
        return out

    def _comments_of(
        self,
        post_id: str,
        parent: _Comment | None,
        params: dict[str, str],
        token: str,
        *,
        nested: bool = False,
    ) -> dict[str, Any]:
        """The comments edge of a post (top level, or all with filter=stream) or of a comment
        (its replies)."""
        self._need("pages_read_user_content")
        stream = params.get("filter") == "stream"

        def under(comment: _Comment) -> bool:
            if parent is None:
                return comment.post_id == post_id and (stream or comment.parent_id is None)
            ancestor = comment.parent_id
            while ancestor is not None:
                if ancestor == parent.id:
                    return True
                if not stream:
                    return False
                ancestor = self._comments[ancestor].parent_id
            return False

        order = params.get("order") or "chronological"
        found = sorted(
            (
                c
                for c in self._by_post.get(parent.post_id if parent else post_id, ())
                if not c.removed and under(c)
            ),
            key=lambda c: (c.created_time, c.seq),
            reverse=order == "reverse_chronological",
        )
        wanted = (
            _parse_fields(params["fields"])
            if params.get("fields")
            else _parse_fields("created_time,from,message,id")
        )
        edge_path = f"{parent.id if parent else post_id}/comments"
        out = self._listing(
            found,
            lambda c: self._comment_json(c, wanted, token),
            lambda c: (int(c.created_time.timestamp()), c.seq),
            params,
            edge_path,
            token,
            newest_first=order == "reverse_chronological",
        )
        if _truthy(params.get("summary")):
            out["summary"] = {"order": order, "total_count": len(found), "can_comment": True}
        if nested and not out["data"] and "summary" not in out:
            out.pop("paging", None)
        return out

    def _comment(
        self,
        method: str,
        comment: _Comment,
        edge: str,
        params: dict[str, str],
        token: str,
        fields: dict[str, _Field] | None,
    ) -> dict[str, Any]:
        page = self._pages[comment.page_id]
        if comment.removed:
            raise _unsupported(method.lower(), comment.id)
        if method == "DELETE":
            self._page_token(page, token)
            self._need("pages_manage_engagement")
            comment.removed = True
            return {"success": True}
        if method == "POST" and edge == "comments":
            self._page_token(page, token)
            self._need("pages_manage_engagement")
            reply = self.add_comment(
                comment.post_id,
                from_id=page.id,
                from_name=page.name,
                message=params.get("message", ""),
                created_time=self.now or max(c.created_time for c in self._comments.values()),
                parent_id=comment.id,
            )
            return {"id": reply}
        if method == "POST":
            self._page_token(page, token)
            self._need("pages_manage_engagement")
            if "is_hidden" not in params:
                raise _Refusal(400, 100, "(#100) Nothing to update: give is_hidden")
            comment.hidden = _truthy(params["is_hidden"])
            return {"success": True}
        self._may_read(page, token)
        self._need("pages_read_engagement")
        if edge == "comments":
            return self._comments_of(comment.post_id, comment, params, token)
        if edge:
            raise _nonexisting(edge, "Comment")
        self._need("pages_read_user_content")
        return self._comment_json(
            comment, fields or _parse_fields("created_time,from,message,id"), token
        )

    def _comment_json(
        self, comment: _Comment, wanted: dict[str, _Field], token: str
    ) -> dict[str, Any]:
        page = self._pages[comment.page_id]
        as_page = token == page.token
        number = comment.post_id.rpartition("_")[2]
        out: dict[str, Any] = {}
        for name, asked in wanted.items():
            if name == "id":
                out[name] = comment.id
            elif name == "message":
                out[name] = comment.message
            elif name == "from":
                if as_page:  # other people's names only reach a Page token, as on Meta
                    author = {"name": comment.from_name, "id": comment.from_id}
                    out[name] = {k: v for k, v in author.items() if not asked.sub or k in asked.sub}
            elif name == "created_time":
                out[name] = graph_time(comment.created_time)
            elif name == "parent":
                if comment.parent_id is not None:
                    parent = self._comments[comment.parent_id]
                    out[name] = self._comment_json(
                        parent, asked.sub or _parse_fields("created_time,from,message,id"), token
                    )
            elif name == "is_hidden":
                out[name] = comment.hidden
            elif name == "permalink_url":
                url = f"https://www.facebook.com/{page.id}/posts/{number}/?comment_id="
                if comment.parent_id is not None:
                    url += f"{comment.parent_id.rpartition('_')[2]}&reply_comment_id="
                out[name] = url + comment.id.rpartition("_")[2]
            elif name == "comment_count":
                out[name] = sum(
                    1
                    for c in self._comments.values()
                    if c.parent_id == comment.id and not c.removed
                )
            elif name in ("can_hide", "can_remove", "can_comment", "can_like"):
                out[name] = as_page and not (name == "can_hide" and comment.from_id == page.id)
            elif name in ("like_count",):
                out[name] = 0
            elif name in ("user_likes", "is_private"):
                out[name] = False
            elif name == "attachment":
                if comment.attachment_url is not None:
                    url = comment.attachment_url
                    out[name] = {
                        "media": {"image": {"height": 720, "src": url, "width": 720}},
                        "type": "photo",
                        "url": url,
                    }
            elif name == "object":
                out[name] = {"id": number}
            elif name == "comments":
                out[name] = self._comments_of(
                    comment.post_id,
                    comment,
                    {**asked.options, "fields": asked.sub_text},
                    token,
                    nested=True,
                )
                if not out[name].get("data") and "summary" not in out[name]:
                    del out[name]  # Meta leaves an empty edge out
            else:
                raise _nonexisting(name, "Comment")
        out.setdefault("id", comment.id)
        return out

    def _ig_page(self, ig_user_id: str, token: str) -> _Page:
        page = next(p for p in self._pages.values() if p.instagram_user_id == ig_user_id)
        self._may_read(page, token)
        self._need("instagram_basic")
        return page

    def _ig_user(
        self,
        page: _Page,
        edge: str,
        params: dict[str, str],
        token: str,
        fields: dict[str, _Field] | None,
    ) -> dict[str, Any]:
        assert page.instagram_user_id is not None
        ig_user_id = page.instagram_user_id
        self._ig_page(ig_user_id, token)
        if edge == "media":
            media = sorted(
                (m for m in self._media.values() if m.ig_user_id == ig_user_id),
                key=lambda m: (m.timestamp, m.seq),
                reverse=True,
            )
            wanted = fields or _parse_fields("id")
            return self._listing(
                media,
                lambda m: self._media_json(m, wanted, token),
                lambda m: (int(m.timestamp.timestamp()), m.seq),
                params,
                f"{ig_user_id}/media",
                token,
                newest_first=True,
            )
        if edge:
            raise _nonexisting(edge, "IGUser")
        return {"id": ig_user_id, "username": page.name.lower().replace(" ", "")}

    def _ig_media(
        self,
        media: _Media,
        edge: str,
        params: dict[str, str],
        token: str,
        fields: dict[str, _Field] | None,
    ) -> dict[str, Any]:
        self._ig_page(media.ig_user_id, token)
        if edge == "comments":
            return self._ig_comments_of(media.id, None, params, token)
        if edge:
            raise _nonexisting(edge, "IGMedia")
        return self._media_json(media, fields or _parse_fields("id"), token)

    def _media_json(self, media: _Media, wanted: dict[str, _Field], token: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, asked in wanted.items():
            if name == "id":
                out[name] = media.id
            elif name == "timestamp":
                out[name] = graph_time(media.timestamp)
            elif name == "permalink":
                out[name] = f"https://www.instagram.com/p/C{media.seq:09d}/"
            elif name == "media_type":
                out[name] = "IMAGE"
            elif name == "media_product_type":
                out[name] = "FEED"
            elif name == "caption":
                out[name] = ""
            elif name == "comments_count":
                out[name] = sum(
                    1
                    for c in self._ig_comments.values()
                    if c.media_id == media.id and not c.removed
                )
            elif name == "comments":
                out[name] = self._ig_comments_of(
                    media.id, None, {**asked.options, "fields": asked.sub_text}, token
                )
            else:
                raise _nonexisting(name, "IGMedia")
        out.setdefault("id", media.id)
        return out

    def _ig_comments_of(
        self, media_id: str, parent: _IgComment | None, params: dict[str, str], token: str
    ) -> dict[str, Any]:
        """A media's top-level comments, or a comment's replies; oldest first, as Meta's
        example shows them (callers must not depend on it: Meta gives no order parameter)."""
        found = sorted(
            (
                c
                for c in self._ig_comments.values()
                if not c.removed
                and c.media_id == media_id
                and c.parent_id == (parent.id if parent else None)
            ),
            key=lambda c: (c.timestamp, c.seq),
        )
        wanted = (
            _parse_fields(params["fields"])
            if params.get("fields")
            else _parse_fields("timestamp,text,id")
        )
        return self._listing(
            found,
            lambda c: self._ig_comment_json(c, wanted, token),
            lambda c: (int(c.timestamp.timestamp()), c.seq),
            params,
            f"{parent.id}/replies" if parent else f"{media_id}/comments",
            token,
        )

    def _ig_comment(
        self,
        method: str,
        comment: _IgComment,
        edge: str,
        params: dict[str, str],
        token: str,
        fields: dict[str, _Field] | None,
    ) -> dict[str, Any]:
        if comment.removed:
            raise _unsupported(method.lower(), comment.id, type_="IGApiException")
        self._ig_page(comment.ig_user_id, token)
        if method == "DELETE":
            self._need("instagram_manage_comments")
            comment.removed = True
            return {"success": True}
        if method == "POST":
            self._need("instagram_manage_comments")
            if "hide" not in params:
                raise _Refusal(
                    400, 100, "(#100) Nothing to update: give hide", type_="IGApiException"
                )
            comment.hidden = _truthy(params["hide"])
            return {"success": True}
        if edge == "replies":
            return self._ig_comments_of(comment.media_id, comment, params, token)
        if edge:
            raise _nonexisting(edge, "IGComment")
        return self._ig_comment_json(comment, fields or _parse_fields("timestamp,text,id"), token)

    def _ig_comment_json(
        self, comment: _IgComment, wanted: dict[str, _Field], token: str
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, asked in wanted.items():
            if name == "id":
                out[name] = comment.id
            elif name == "text":
                out[name] = comment.text
            elif name == "timestamp":
                out[name] = graph_time(comment.timestamp)
            elif name == "from":
                author = {"id": comment.from_id, "username": comment.username}
                out[name] = {k: v for k, v in author.items() if not asked.sub or k in asked.sub}
            elif name == "username":
                out[name] = comment.username
            elif name == "hidden":
                out[name] = comment.hidden
            elif name == "parent_id":
                if comment.parent_id is not None:
                    out[name] = comment.parent_id
            elif name == "like_count":
                out[name] = 0
            elif name == "media":
                out[name] = {"id": comment.media_id}
            elif name == "replies":
                parent = comment
                replies = self._ig_comments_of(
                    comment.media_id, parent, {**asked.options, "fields": asked.sub_text}, token
                )
                if replies["data"]:
                    if "next" not in replies.get("paging", {}):
                        replies.pop("paging", None)  # as in Meta's sample of a nested edge
                    out[name] = replies
            else:
                raise _nonexisting(name, "IGComment")
        out.setdefault("id", comment.id)
        return out

    def _listing(
        self,
        items: Sequence[T],
        render: Callable[[T], dict[str, Any]],
        key: Callable[[T], tuple[int, int]],
        params: dict[str, str],
        path: str,
        token: str,
        *,
        newest_first: bool = False,
    ) -> dict[str, Any]:
        """One page of a list, with Meta's cursor paging: `after`/`before` cursors, and a
        `next` URL carrying the token in its query as Meta's do."""
        try:
            limit = min(max(int(params.get("limit", self.page_size)), 0), 100)
        except ValueError as exc:
            raise _Refusal(400, 100, "(#100) The parameter limit must be a number") from exc

        def beyond(item: T, mark: tuple[int, int]) -> bool:
            return key(item) < mark if newest_first else key(item) > mark

        start = 0
        if params.get("after"):
            mark = _uncursor(params["after"])
            if mark is None:
                raise _Refusal(400, 100, "(#100) The after cursor is not valid")
            start = next((i for i, item in enumerate(items) if beyond(item, mark)), len(items))
        elif params.get("before"):
            mark = _uncursor(params["before"])
            if mark is None:
                raise _Refusal(400, 100, "(#100) The before cursor is not valid")
            end = next(
                (i for i, item in enumerate(items) if key(item) == mark or beyond(item, mark)),
                len(items),
            )
            start = max(0, end - limit)
            items = items[:end]
        shown = list(items[start : start + limit])
        out: dict[str, Any] = {"data": [render(item) for item in shown]}
        if not shown:
            return out
        first, last = _cursor_of(key(shown[0])), _cursor_of(key(shown[-1]))
        paging: dict[str, Any] = {"cursors": {"before": first, "after": last}}
        if start + limit < len(items):
            paging["next"] = self._url(path, params, token, after=last, limit=limit)
        if start > 0:
            paging["previous"] = self._url(path, params, token, before=first, limit=limit)
        out["paging"] = paging
        return out

    def _url(self, path: str, params: dict[str, str], token: str, **cursor: str | int) -> str:
        """A paging URL the way Meta writes it: the request's query, the token, the cursor."""
        kept = {
            k: v
            for k, v in params.items()
            if k not in ("after", "before", "appsecret_proof", "access_token", "limit")
        }
        query = {"access_token": token, **kept, **{k: str(v) for k, v in cursor.items()}}
        return f"{self.base_url}{path}?{urlencode(query)}"


def _cursor_of(mark: tuple[int, int]) -> str:
    return base64.urlsafe_b64encode(f"{mark[0]}:{mark[1]}".encode()).decode().rstrip("=")


def _business_usage(object_id: str, percent: int, regain_minutes: int) -> str:
    return json.dumps(
        {
            object_id: [
                {
                    "type": "pages",
                    "call_count": percent,
                    "total_cputime": percent // 2,
                    "total_time": percent // 2,
                    "estimated_time_to_regain_access": regain_minutes,
                }
            ]
        }
    )


def _moment(value: str | None) -> float | None:
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError as exc:
        raise _Refusal(
            400, 100, f"(#100) The parameter since/until is not a time: {value}"
        ) from exc


# -- webhooks, as Meta delivers them ------------------------------------------------------------


def sign(body: bytes, app_secret: str) -> str:
    """The X-Hub-Signature-256 header for a delivery: "sha256=<hex HMAC-SHA256>"."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def feed_comment_change(
    page_id: str,
    *,
    verb: str,
    comment_id: str,
    post_id: str,
    parent_id: str,
    from_id: str,
    from_name: str,
    message: str,
    created_time: int,
    legacy: bool = False,
    photo: str | None = None,
) -> dict[str, Any]:
    """A Page `feed` change for a comment (`verb` add, edited, remove, hide, unhide), for the
    Page `page_id` (the entry's id, which the change itself does not repeat). `legacy` gives
    the pre-v2.11 shape with sender_id/sender_name; a `remove` carries no message and no time,
    and names its author in `from` in both shapes, as Meta's samples do."""
    del page_id  # the entry carries it: envelope([(page_id, time, [change])])
    value: dict[str, Any] = {
        "item": "comment",
        "verb": verb,
        "comment_id": comment_id,
        "post_id": post_id,
        "parent_id": parent_id,
    }
    if verb == "remove":
        value["from"] = {"name": from_name, "id": from_id}
        return {"field": "feed", "value": value}
    if photo is not None:
        value["photo"] = photo
    if legacy:
        value["sender_id"] = int(from_id) if from_id.isdigit() else from_id
        value["sender_name"] = from_name
    else:
        value["from"] = {"id": from_id, "name": from_name}
    value["created_time"] = created_time
    value["message"] = message
    return {"field": "feed", "value": value}


def ig_comment_change(
    *,
    comment_id: str,
    media_id: str,
    from_id: str,
    username: str,
    text: str,
    parent_id: str | None = None,
    media_product_type: str = "FEED",
    live: bool = False,
) -> dict[str, Any]:
    """An Instagram `comments` change (`live_comments` when `live`); `parent_id` for a reply."""
    value: dict[str, Any] = {
        "from": {"id": from_id, "username": username},
        "media": {"id": media_id, "media_product_type": media_product_type},
        "id": comment_id,
        "text": text,
    }
    if parent_id is not None:
        value["parent_id"] = parent_id
    return {"field": "live_comments" if live else "comments", "value": value}


def envelope(object_: str, entries: list[tuple[str, int, list[dict[str, Any]]]]) -> bytes:
    """A delivery's body: `{"object", "entry": [{"id", "time", "changes"}]}`, as Meta writes
    JSON (compact, non-ASCII as \\uXXXX, "/" as "\\/")."""
    doc = {
        "object": object_,
        "entry": [{"id": id_, "time": time, "changes": changes} for id_, time, changes in entries],
    }
    text = json.dumps(doc, separators=(",", ":"), ensure_ascii=True)
    return text.replace("/", "\\/").encode()


def deliver(url: str, body: bytes, app_secret: str, *, timeout: float = 30.0) -> httpx.Response:
    """POST a delivery the way Meta does, signed with X-Hub-Signature-256 (and the SHA-1
    X-Hub-Signature Meta still sends beside it)."""
    sha1 = hmac.new(app_secret.encode(), body, hashlib.sha1).hexdigest()
    return httpx.post(
        url,
        content=body,
        headers={
            "Content-Type": "application/json",
            "User-Agent": "facebookexternalua",
            "X-Hub-Signature": f"sha1={sha1}",
            "X-Hub-Signature-256": sign(body, app_secret),
        },
        timeout=timeout,
    )


def shape(value: Any) -> Any:
    """A JSON value's keys and nesting, without its values: what the fake and Meta's samples
    must have in common. Lists are read as the union of their items' shapes."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        merged: dict[str, Any] = {}
        plain = False
        for item in value:
            item_shape = shape(item)
            if isinstance(item_shape, dict):
                merged.update(item_shape)
            else:
                plain = True
        return [merged] if merged else (["value"] if plain else [])
    return "value"


def walk(value: Any) -> Iterator[Any]:
    """Every value inside a JSON value, itself included."""
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)
