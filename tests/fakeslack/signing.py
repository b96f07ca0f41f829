"""Slack request signing: ``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{raw body}``."""

from __future__ import annotations

import hashlib
import hmac
import time

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def _raw(body: bytes | str) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else body


def sign(
    body: bytes | str, secret: str, timestamp: int, *, content_type: str | None = None
) -> dict[str, str]:
    """Headers Slack sends with a request: timestamp, signature (and Content-Type if given)."""
    base = b"v0:" + str(timestamp).encode("ascii") + b":" + _raw(body)
    digest = hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    headers = {
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": f"v0={digest}",
    }
    if content_type:
        headers["Content-Type"] = content_type
    return headers


def guess_content_type(body: bytes | str) -> str:
    """JSON for Events API bodies, form encoding for commands and interactivity."""
    return JSON if _raw(body).lstrip().startswith(b"{") else FORM


def signed_request(
    body: bytes | str,
    secret: str,
    *,
    content_type: str | None = None,
    timestamp: int | None = None,
) -> tuple[bytes, dict[str, str]]:
    """``(raw body, headers)`` ready for an HTTP POST or ``slack_bolt.BoltRequest``.

    ``timestamp`` defaults to now (Bolt rejects requests more than 5 minutes off);
    ``content_type`` defaults to JSON for bodies starting with ``{``, else form encoding.
    """
    raw = _raw(body)
    ts = int(time.time()) if timestamp is None else timestamp
    return raw, sign(raw, secret, ts, content_type=content_type or guess_content_type(raw))
