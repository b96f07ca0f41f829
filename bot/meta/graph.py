"""A small synchronous client for Meta's Graph API, and what its answers mean.

The token travels in the `Authorization` header and nowhere else: not in a URL (httpx, proxies
and access logs write URLs down, and Meta's own `paging.next` URLs carry `access_token=`), not
in a log record, not in an error message. Every call carries `appsecret_proof`, so a token that
leaks without the app secret is of no use to anyone else. Failures come back as `GraphError`,
whose `kind` says what the caller should do: tell a coordinator (`expired`, `permission`),
forget the object (`gone`), wait (`throttled`, `unavailable`), or look into it (`other`).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import logging
import math
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

log = logging.getLogger(__name__)

Kind = Literal["expired", "permission", "gone", "throttled", "unavailable", "other"]

THROTTLED = frozenset({4, 17, 32, 613, *range(80000, 80015)})
"""Rate limits: the app's (4), a user's (17), a Page's (32), a custom one (613), and the
Business Use Case limits (80001 Pages, 80002 Instagram, the rest of 80000-80014 for other
products)."""
TRANSIENT = frozenset({1, 2})
"""Meta's "unknown" and "service" errors: temporary, to be tried again later."""
NOT_SENT_AGAIN = frozenset({"access_token", "appsecret_proof", "appsecret_time"})
"""Query parameters a URL from Meta may carry that are never sent: the token goes in the
header, and the proof is made anew for the token at hand."""
MESSAGE_LIMIT = 200
"""Longest error message kept (characters): it ends up in logs and in coordinators' messages."""

_TOKENISH = re.compile(r"(access_token=)[^&\s\"']+|\bEAA[A-Za-z0-9]{16,}")
"""An access token in a query string, or one of Meta's (they start with EAA)."""


class GraphError(Exception):
    """A call that did not give an answer; `kind` says what the caller can do about it."""

    def __init__(
        self,
        *,
        status: int,
        code: int,
        subcode: int | None,
        kind: Kind,
        message: str,
        regain_seconds: int | None = None,
    ) -> None:
        super().__init__(code, kind)
        self.status = status
        self.code = code
        self.subcode = subcode
        self.kind: Kind = kind
        self.regain_seconds = regain_seconds
        self.message = message

    def __str__(self) -> str:
        sub = f"/{self.subcode}" if self.subcode is not None else ""
        return f"Graph API {self.kind} (HTTP {self.status}, code {self.code}{sub}): {self.message}"


@dataclass(frozen=True)
class Usage:
    """How close the last response said we are to a rate limit."""

    percent: int
    """The highest of call_count, total_cputime and total_time over every entry (0-100+)."""
    regain_seconds: int
    """How long until calls are allowed again when throttled; 0 when not."""


def appsecret_proof(token: str, app_secret: str) -> str:
    """Meta's proof that a call comes from the app: hex HMAC-SHA256 of the token, keyed by
    the app secret."""
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def usage_of(headers: Mapping[str, str]) -> Usage | None:
    """The rate-limit usage in a response's `X-Business-Use-Case-Usage` and `X-App-Usage`
    headers; None when neither is there or neither can be read."""
    lowered = {name.lower(): value for name, value in headers.items()}
    entries: list[Mapping[str, Any]] = []
    read = False
    business = _json_header(lowered.get("x-business-use-case-usage"))
    if isinstance(business, dict):
        read = True
        for value in business.values():
            if isinstance(value, list):
                entries += [entry for entry in value if isinstance(entry, dict)]
            elif isinstance(value, dict):
                entries.append(value)
    app = _json_header(lowered.get("x-app-usage"))
    if isinstance(app, dict):
        read = True
        entries.append(app)
    if not read:
        return None
    percent = max(
        (
            _number(entry.get(key))
            for entry in entries
            for key in ("call_count", "total_cputime", "total_time")
        ),
        default=0,
    )
    minutes = max(
        (_number(entry.get("estimated_time_to_regain_access")) for entry in entries), default=0
    )
    return Usage(percent=percent, regain_seconds=minutes * 60)


def error_of(status: int, body: bytes, headers: Mapping[str, str]) -> GraphError:
    """The error a response stands for: Meta's `{"error": {...}}` body read, its code mapped to
    a kind, and how long to wait taken from the usage headers when throttled."""
    return _error_of(status, body, headers, hide=())


def _error_of(
    status: int, body: bytes, headers: Mapping[str, str], *, hide: tuple[str, ...]
) -> GraphError:
    try:
        doc = json.loads(body)
    except ValueError:  # not JSON, cut short, or not UTF-8
        return GraphError(
            status=status,
            code=0,
            subcode=None,
            kind="unavailable",
            message=f"HTTP {status} with an answer that is not JSON",
        )
    error = doc.get("error") if isinstance(doc, dict) else None
    if not isinstance(error, dict):
        kind: Kind = "gone" if status == 404 else "other"
        if status >= 500 or status < 400:
            kind = "unavailable"
        return GraphError(
            status=status,
            code=0,
            subcode=None,
            kind=kind,
            message=f"HTTP {status} without an answer that could be read",
        )
    code = _integer(error.get("code")) or 0
    subcode = _integer(error.get("error_subcode"))
    kind = _kind(status, code, subcode)
    regain = None
    if kind == "throttled":
        usage = usage_of(headers)
        regain = usage.regain_seconds if usage is not None and usage.regain_seconds else None
    raw = error.get("message")
    message = raw if isinstance(raw, str) and raw else f"HTTP {status}, code {code}"
    return GraphError(
        status=status,
        code=code,
        subcode=subcode,
        kind=kind,
        message=_shorten(_redact(message, hide)),
        regain_seconds=regain,
    )


def _kind(status: int, code: int, subcode: int | None) -> Kind:
    if code == 190:
        return "expired"
    if code == 10 or 200 <= code <= 299:
        return "permission"
    if code == 100 and subcode == 33:
        return "gone"
    if code in THROTTLED:
        return "throttled"
    if status == 404:
        return "gone"
    if status >= 500 or code in TRANSIENT:
        return "unavailable"
    return "other"


class _Counters:
    """Calls made and errors by code, shared by a Graph and the ones made `with_token`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls = 0
        self.errors: dict[int, int] = {}


class Graph:
    """The Graph API as one token sees it. `with_token` gives the same client for another
    token (a Page's), sharing the connection pool and the counters."""

    usage: Usage | None
    """The rate-limit usage the last response of this token reported (None if it said none)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        app_secret: str,
        *,
        client: httpx.Client | None = None,
        timeout: float = 20.0,
    ) -> None:
        base = httpx.URL(base_url if base_url.endswith("/") else base_url + "/")
        if base.scheme not in ("http", "https") or not base.host or base.query:
            raise ValueError("the Graph API base URL must look like https://host/v27.0/")
        self._base = base
        self._token = token
        self._secret = app_secret
        self._proof = appsecret_proof(token, app_secret)
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client(timeout=timeout)
        self._timeout = timeout
        self._counters = _Counters()
        self.usage = None

    def __repr__(self) -> str:
        return f"Graph({str(self._base)!r})"

    @property
    def base_url(self) -> str:
        """The base URL every call goes to, ending in a slash."""
        return str(self._base)

    @property
    def calls(self) -> int:
        """Calls made, by this client and every one made from it with `with_token`."""
        return self._counters.calls

    @property
    def errors(self) -> dict[int, int]:
        """Failed calls by Meta's error code (0: no code, such as a network error)."""
        with self._counters.lock:
            return dict(self._counters.errors)

    def with_token(self, token: str) -> Graph:
        """The same client for another token, such as a Page's."""
        other = copy.copy(self)
        other._token = token
        other._proof = appsecret_proof(token, self._secret)
        other._owns_client = False
        other.usage = None
        return other

    def close(self) -> None:
        """Close the connection pool, if this client made it."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> Graph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, path: str, **params: str | int) -> dict[str, Any]:
        """GET `path` (under the base URL) with `params` in the query."""
        return self._call("GET", path, params, form=None)

    def post(self, path: str, **params: str | int) -> dict[str, Any]:
        """POST `params` form-encoded to `path`."""
        return self._call("POST", path, {}, form=params)

    def delete(self, path: str) -> dict[str, Any]:
        """DELETE `path`."""
        return self._call("DELETE", path, {}, form=None)

    def page(
        self, path_or_next_url: str, **params: str | int
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of a list: its items and the URL of the next page (None at the end). The
        URL given back has no token in it, so it can be kept and followed later."""
        doc = self.get(path_or_next_url, **params)
        data = doc.get("data", [])
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise GraphError(
                status=200,
                code=0,
                subcode=None,
                kind="unavailable",
                message="a list whose data could not be read",
            )
        paging = doc.get("paging")
        following = paging.get("next") if isinstance(paging, dict) else None
        return data, _without_secrets(following) if isinstance(following, str) else None

    def each(self, path: str, **params: str | int) -> Iterator[dict[str, Any]]:
        """Every item of a list, page after page to the end."""
        items, following = self.page(path, **params)
        yield from items
        followed: set[str] = set()
        while following is not None and following not in followed:
            followed.add(following)
            items, following = self.page(following)
            yield from items

    def page_tokens(self) -> dict[str, str]:
        """Each Page's access token by Page id, and by the id of the Instagram business account
        connected to it: what the token (a system user's) may act on."""
        tokens: dict[str, str] = {}
        for account in self.each(
            "me/accounts", fields="id,access_token,instagram_business_account"
        ):
            page_id, token = account.get("id"), account.get("access_token")
            if not isinstance(page_id, str) or not isinstance(token, str) or not token:
                continue
            tokens[page_id] = token
            instagram = account.get("instagram_business_account")
            if isinstance(instagram, dict) and isinstance(instagram.get("id"), str):
                tokens[instagram["id"]] = token
        return tokens

    def permissions(self) -> dict[str, str]:
        """The token's permissions and their status ("granted", "declined", "expired")."""
        return {
            entry["permission"]: entry["status"]
            for entry in self.each("me/permissions")
            if isinstance(entry.get("permission"), str) and isinstance(entry.get("status"), str)
        }

    def _call(
        self,
        method: str,
        path_or_url: str,
        params: Mapping[str, str | int],
        *,
        form: Mapping[str, str | int] | None,
    ) -> dict[str, Any]:
        if NOT_SENT_AGAIN & {*params, *(form or {})}:
            raise ValueError("the token and its proof are added by Graph, not passed in")
        url, query = self._resolve(path_or_url)
        query.update({name: _text(value) for name, value in params.items()})
        query["appsecret_proof"] = self._proof
        with self._counters.lock:
            self._counters.calls += 1
        try:
            response = self._client.request(
                method,
                url,
                params=query,
                data={name: _text(value) for name, value in form.items()} if form else None,
                headers={"Authorization": f"Bearer {self._token}", "Accept": "application/json"},
                timeout=self._timeout,
            )
        except httpx.TimeoutException:
            raise self._failed(0, "the Graph API did not answer in time") from None
        except httpx.HTTPError as exc:
            reason = _shorten(_redact(f"{type(exc).__name__}: {exc}", self._hidden()))
            raise self._failed(0, f"the Graph API could not be reached ({reason})") from None
        log.debug("graph %s %s: HTTP %s", method, url.path, response.status_code)
        self.usage = usage_of(response.headers)
        body = response.content
        if response.is_success:
            try:
                doc = json.loads(body)
            except ValueError:
                doc = None
            if doc is True:  # some writes answer a bare `true`
                return {"success": True}
            if isinstance(doc, dict) and "error" not in doc:
                return doc
        error = _error_of(response.status_code, body, response.headers, hide=self._hidden())
        self._count(error.code)
        raise error

    def _failed(self, status: int, message: str) -> GraphError:
        self._count(0)
        return GraphError(status=status, code=0, subcode=None, kind="unavailable", message=message)

    def _count(self, code: int) -> None:
        with self._counters.lock:
            self._counters.errors[code] = self._counters.errors.get(code, 0) + 1

    def _hidden(self) -> tuple[str, ...]:
        return (self._token, self._secret)

    def _resolve(self, path_or_url: str) -> tuple[httpx.URL, dict[str, str]]:
        """The URL to call and the query it already has (what a paging URL carries), without
        anything secret; refused when it leads away from the base URL's host."""
        if "://" in path_or_url:
            try:
                url = httpx.URL(path_or_url)
            except httpx.InvalidURL:
                url = httpx.URL("invalid://")
        else:
            path, _, query = path_or_url.partition("?")
            url = self._base.join(path.lstrip("/")).copy_with(query=query.encode() or None)
        if (url.scheme, url.host.lower(), url.port) != (
            self._base.scheme,
            self._base.host.lower(),
            self._base.port,
        ):
            raise GraphError(
                status=0,
                code=0,
                subcode=None,
                kind="other",
                message="a URL that leads away from the Graph API's host was not followed",
            )
        kept = {
            name: value for name, value in url.params.multi_items() if name not in NOT_SENT_AGAIN
        }
        return url.copy_with(query=None, fragment=None), kept


def _without_secrets(url: str) -> str:
    """A URL from Meta without the token (or a proof) in its query."""
    parts = urlsplit(url)
    query = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if name not in NOT_SENT_AGAIN
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _redact(text: str, hide: tuple[str, ...]) -> str:
    for secret in hide:
        if secret:
            text = text.replace(secret, "[redacted]")
    return _TOKENISH.sub(lambda found: (found.group(1) or "") + "[redacted]", text)


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def _text(value: str | int) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _integer(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _number(value: object) -> int:
    """A usage figure as a whole number, rounded up (0 when it is not a number)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return 0
    return max(0, math.ceil(value))


def _json_header(value: str | None) -> Any:
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None
