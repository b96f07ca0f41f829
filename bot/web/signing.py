"""Slack's request signatures over HTTP: checked, in constant time, before anything is parsed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier


class SlackRequestError(Exception):
    """A request to /slack/events refused before Bolt sees it: 401 for a missing, wrong, stale
    or garbled signature, 400 for a signed body Bolt could not read."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error

    def answer(self) -> dict[str, Any]:
        return {"ok": False, "error": self.error}


# Slack's requests are a few KiB; a modal with long texts stays far under this.
MAX_SLACK_BODY = 1024 * 1024


MAX_TIMESTAMP_DIGITS = 15


def check_slack_request(
    verifier: SignatureVerifier, body: bytes, headers: Mapping[str, str]
) -> None:
    """Let a request to /slack/events in only when Slack signed it within five minutes and
    Bolt can read it (`headers` by lower-case name, as the WSGI adapter gives them).

    Bolt's own check crashes (and answers 500) on a timestamp header that is not a whole
    number, on a signature with non-ASCII characters and on a body that is not UTF-8, and
    Bolt parses the body before it checks the signature, so an unsigned body that is not JSON
    or not an object crashed before it was refused. Here each of them is a 401 before anything
    is parsed; a signed body Bolt cannot read (only Slack could send one) is a 400.
    """
    timestamp = headers.get("x-slack-request-timestamp") or ""
    signature = headers.get("x-slack-signature") or ""
    try:
        text = body.decode("utf-8")  # Slack's bodies are; slack_sdk's check decodes it too
    except UnicodeDecodeError:
        text = None
    if (
        text is None
        or not timestamp.isascii()
        or not timestamp.isdigit()
        or len(timestamp) > MAX_TIMESTAMP_DIGITS
        or not signature.isascii()
        or not verifier.is_valid(text, timestamp, signature)
    ):
        raise SlackRequestError(401, "invalid_signature")
    try:
        BoltRequest(body=text, headers=dict(headers))
    except Exception:  # whatever Bolt's parsing raises on it: not a request from Slack
        raise SlackRequestError(400, "invalid_body") from None
