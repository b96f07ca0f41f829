"""A small client of Meta's Graph API over httpx: the token in the Authorization header only
(never in a URL, so never in a log line), `appsecret_proof` with every call, paging followed
only on the API's own host, errors read into one `GraphError` with its kind, and the usage
headers read so the poll slows down before Meta throttles it."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

log = logging.getLogger(__name__)

THROTTLED = frozenset({4, 17, 32, 613, 80001})
MAX_PAGES = 1000  # a paging loop that never ends is cut here


class GraphError(Exception):
    """Meta refused or did not answer; `kind` says what it means for Vakt."""

    def __init__(
        self,
        status: int,
        code: int,
        subcode: int | None,
        kind: str,
        message: str,
        regain_seconds: int | None = None,
    ) -> None:
        super().__init__(f"{kind} ({code}): {message}")
        self.status, self.code, self.subcode = status, code, subcode
        self.kind, self.message, self.regain_seconds = kind, message, regain_seconds


@dataclass(frozen=True)
class Usage:
    percent: int  # the highest share of any limit used, of every entry of both headers
    regain_seconds: int  # how long Meta says access is blocked (0: it is not)


def appsecret_proof(token: str, app_secret: str) -> str:
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def usage_of(headers: Mapping[str, str]) -> Usage | None:
    """`X-Business-Use-Case-Usage` ({id: [{call_count, total_cputime, total_time,
    estimated_time_to_regain_access}]}) and `X-App-Usage` ({call_count, ...}), in percent."""
    entries: list[Mapping[str, Any]] = []
    for name in ("x-business-use-case-usage", "x-app-usage", "x-page-usage"):
        raw = headers.get(name)
        if not raw:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        if name == "x-business-use-case-usage" and isinstance(data, dict):
            for value in data.values():
                if isinstance(value, list):
                    entries += [v for v in value if isinstance(v, dict)]
        elif isinstance(data, dict):
            entries.append(data)
    if not entries:
        return None
    percent = regain = 0
    for entry in entries:
        for key in ("call_count", "total_cputime", "total_time"):
            value = entry.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                percent = max(percent, int(value))
        minutes = entry.get("estimated_time_to_regain_access")
        if isinstance(minutes, int | float) and not isinstance(minutes, bool):
            regain = max(regain, int(minutes * 60))
    return Usage(percent, regain)


def error_of(status: int, body: bytes, headers: Mapping[str, str]) -> GraphError:
    """What a refusal means: expired (190), permission (10, 200-299), gone (100/33 or 404),
    throttled (4, 17, 32, 613, 80001), unavailable (5xx, not JSON), other."""
    try:
        error = json.loads(body).get("error")
    except (ValueError, AttributeError):
        error = None
    if not isinstance(error, dict):
        kind = "gone" if status == 404 else "unavailable"
        return GraphError(status, 0, None, kind, f"HTTP {status}")
    raw_code, raw_subcode = error.get("code"), error.get("error_subcode")
    code = raw_code if isinstance(raw_code, int) and not isinstance(raw_code, bool) else 0
    subcode = raw_subcode if isinstance(raw_subcode, int) else None
    message = str(error.get("message") or "")[:200]
    usage = usage_of(headers)
    regain = usage.regain_seconds if usage and usage.regain_seconds else None
    if code == 190:
        kind = "expired"
    elif code == 10 or 200 <= code <= 299:
        kind = "permission"
    elif (code == 100 and subcode == 33) or status == 404:
        kind = "gone"
    elif code in THROTTLED:
        kind = "throttled"
    elif status >= 500:
        kind = "unavailable"
    else:
        kind = "other"
    return GraphError(status, code, subcode, kind, message, regain)


@dataclass
class _Counters:
    calls: int = 0
    errors: dict[int, int] = field(default_factory=dict)


class Graph:
    def __init__(
        self,
        base_url: str,
        token: str,
        app_secret: str,
        *,
        client: httpx.Client | None = None,
        timeout: float = 20.0,
        _counters: _Counters | None = None,
    ) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._token = token
        self._secret = app_secret
        self._client = client or httpx.Client(timeout=timeout, follow_redirects=False)
        self._counters = _counters or _Counters()
        self._origin = urlsplit(self.base_url)[:2]
        self.usage: Usage | None = None

    def __repr__(self) -> str:
        return f"Graph({self.base_url!r})"

    @property
    def calls(self) -> int:
        return self._counters.calls

    @property
    def errors(self) -> dict[int, int]:
        return self._counters.errors

    def with_token(self, token: str) -> Graph:
        return Graph(
            self.base_url, token, self._secret, client=self._client, _counters=self._counters
        )

    def _url(self, path_or_url: str, params: Mapping[str, str | int]) -> str:
        if path_or_url.startswith(("https://", "http://")):
            parts = urlsplit(path_or_url)
            if parts[:2] != self._origin:
                raise GraphError(0, 0, None, "other", "a paging link to another host")
            query = [
                (k, v)
                for k, v in parse_qsl(parts.query, keep_blank_values=True)
                if k not in ("access_token", "appsecret_proof")
            ]
            base = urlunsplit((*parts[:3], "", ""))
        else:
            query, base = [], self.base_url + path_or_url.lstrip("/")
        query += [(k, str(v)) for k, v in params.items()]
        query.append(("appsecret_proof", appsecret_proof(self._token, self._secret)))
        return f"{base}?{urlencode(query)}"

    def _call(self, method: str, path: str, params: Mapping[str, str | int]) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._token}"}
        self._counters.calls += 1
        try:
            if method == "POST":
                url = self._url(path, {})
                response = self._client.post(
                    url, data={k: str(v) for k, v in params.items()}, headers=headers
                )
            else:
                response = self._client.request(method, self._url(path, params), headers=headers)
        except httpx.HTTPError as exc:
            self._counters.errors[0] = self._counters.errors.get(0, 0) + 1
            raise GraphError(0, 0, None, "unavailable", type(exc).__name__) from None
        self.usage = usage_of(response.headers) or self.usage
        if response.status_code >= 400:
            error = error_of(response.status_code, response.content, response.headers)
            self._counters.errors[error.code] = self._counters.errors.get(error.code, 0) + 1
            raise error
        try:
            data = response.json()
        except ValueError:
            raise GraphError(response.status_code, 0, None, "unavailable", "not JSON") from None
        if not isinstance(data, dict):
            raise GraphError(response.status_code, 0, None, "unavailable", "not a JSON object")
        return data

    def get(self, path: str, **params: str | int) -> dict[str, Any]:
        return self._call("GET", path, params)

    def post(self, path: str, **params: str | int) -> dict[str, Any]:
        return self._call("POST", path, params)

    def delete(self, path: str) -> dict[str, Any]:
        return self._call("DELETE", path, {})

    def page(
        self, path_or_next_url: str, **params: str | int
    ) -> tuple[list[dict[str, Any]], str | None]:
        data = self._call("GET", path_or_next_url, params)
        rows = [row for row in data.get("data") or [] if isinstance(row, dict)]
        paging = data["paging"] if isinstance(data.get("paging"), dict) else {}
        following = paging.get("next")
        return rows, following if isinstance(following, str) and rows else None

    def each(self, path: str, **params: str | int) -> Iterator[dict[str, Any]]:
        rows, following = self.page(path, **params)
        yield from rows
        pages = 1
        while following and pages < MAX_PAGES:
            rows, following = self.page(following)
            pages += 1
            yield from rows

    def page_tokens(self) -> dict[str, str]:
        tokens: dict[str, str] = {}
        for page in self.each("me/accounts", fields="id,access_token,instagram_business_account"):
            page_id, token = page.get("id"), page.get("access_token")
            if not isinstance(page_id, str) or not isinstance(token, str):
                continue
            tokens[page_id] = token
            instagram = page.get("instagram_business_account")
            if isinstance(instagram, dict) and isinstance(instagram.get("id"), str):
                tokens[instagram["id"]] = token
        return tokens

    def permissions(self) -> dict[str, str]:
        return {
            str(row.get("permission")): str(row.get("status"))
            for row in self.each("me/permissions")
            if row.get("permission")
        }
