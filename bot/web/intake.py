"""What an automation sends to the HTTP intake, read and checked: the bearer token, the body's
size and type, and the JSON of a question, an answer or a post (one error name per problem)."""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.kernel.errors import VaktError
from bot.kernel.i18n import plain
from bot.kernel.parse import clean

MAX_BODY = 64 * 1024


MAX_ACCOUNT = 40


MAX_EXTERNAL_ID = 200


MAX_URL = 1000


MAX_TEXT = 10_000


MAX_INSTANT = 40


# Characters that would break the Slack link the card makes of the URL, or its line.
URL_FORBIDDEN = frozenset("<>|\"'` ")


class IntakeError(Exception):
    """A refused intake request: the HTTP status and what the JSON answer says."""

    def __init__(
        self, status: int, error: str, field: str | None = None, message: str = ""
    ) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.field = field
        self.message = message

    def answer(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error": self.error}
        if self.field is not None:
            body["field"] = self.field
        if self.message:
            body["message"] = self.message
        return body


@dataclass(frozen=True)
class IntakeRequest:
    """A question an automation reports: `POST /intake`."""

    account: str
    external_id: str
    url: str
    received_at: datetime
    text: str | None = None
    must_register: bool | None = None  # None: the account's default


@dataclass(frozen=True)
class AnsweredRequest:
    """A question answered on the platform: `POST /intake/answered`."""

    account: str
    external_id: str
    answered_at: datetime


@dataclass(frozen=True)
class PostRequest:
    """A post published on an account: `POST /intake/post`."""

    account: str
    external_id: str
    posted_at: datetime


def check_token(authorization: str | None, token: str | None) -> None:
    """Let a request in only with `Authorization: Bearer <token>`, compared in constant time."""
    if token is None:
        raise IntakeError(
            404, "intake_disabled", message="The HTTP intake is off: VAKT_INTAKE_TOKEN is not set."
        )
    scheme, _, given = (authorization or "").strip().partition(" ")
    # WSGI hands header values over decoded as Latin-1: encoding back gives the bytes as sent.
    sent = given.strip().encode("latin-1", errors="replace")
    if scheme.lower() != "bearer" or not hmac.compare_digest(sent, token.encode()):
        raise IntakeError(
            401, "unauthorized", message="Send the intake token as 'Authorization: Bearer <token>'."
        )


def check_content_type(content_type: str | None) -> None:
    """JSON only: `application/json`, with or without `charset=utf-8`."""
    media, *params = (content_type or "").split(";")
    charsets = [
        value.strip().strip('"').lower()
        for name, _, value in (p.partition("=") for p in params)
        if name.strip().lower() == "charset"
    ]
    if media.strip().lower() != "application/json" or any(
        c not in ("utf-8", "utf8") for c in charsets
    ):
        raise IntakeError(
            415,
            "unsupported_media_type",
            message="Send the body as JSON with 'Content-Type: application/json'.",
        )


def declared_length(content_length: str | None) -> int | None:
    """The body length the client declared (None: not declared)."""
    if not content_length:
        return None
    try:
        length = int(content_length)
        if length < 0:
            raise ValueError
    except ValueError:
        raise IntakeError(
            400, "invalid_length", message="Content-Length is not a number."
        ) from None
    return length


def check_size(body: bytes | None, limit: int = MAX_BODY) -> bytes:
    """The body, refused when it is over the limit or its length was not declared."""
    if body is None:
        raise IntakeError(411, "length_required", message="Send a Content-Length header.")
    if len(body) > limit:
        raise IntakeError(413, "body_too_large", message=f"The body is over {limit // 1024} KiB.")
    return body


def parse_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object in UTF-8 (RFC 8259; a byte order mark is ignored), its texts as
    they can be stored: a NUL character (which PostgreSQL refuses) is dropped, a lone surrogate
    escape ("\\ud800") becomes U+FFFD – the same way every time, so an id sent twice is still
    the same id."""
    try:
        # Decoded here: json.loads would take UTF-16 and UTF-32 bytes as well. A NUL byte is
        # never in JSON text, but in every UTF-16 or UTF-32 one.
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text:
        raise IntakeError(
            400, "invalid_json", message="The body is not UTF-8: send the JSON encoded as UTF-8."
        )
    try:
        data = json.loads(text.removeprefix("\ufeff"))
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        data = None
    if not isinstance(data, dict):
        raise IntakeError(400, "invalid_json", message="The body must be a JSON object.")
    return dict(clean(data))


def _missing(name: str) -> IntakeError:
    return IntakeError(400, "missing_field", name, f"The field '{name}' is required.")


def _invalid(name: str, message: str) -> IntakeError:
    return IntakeError(400, "invalid_field", name, message)


def _string(data: dict[str, Any], name: str, limit: int) -> str:
    """A required, non-empty string of at most `limit` characters, trimmed."""
    value = data.get(name)
    if value is None:
        raise _missing(name)
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > limit:
        raise _invalid(name, f"'{name}' must be a non-empty string of at most {limit} characters.")
    return value.strip()


def _url(data: dict[str, Any]) -> str:
    url = _string(data, "url", MAX_URL)
    if (
        not url.lower().startswith(("http://", "https://"))
        or any(c in URL_FORBIDDEN or not c.isprintable() for c in url)
        or len(url) <= len("https://")
    ):
        raise _invalid(
            "url",
            f"'url' must be an http:// or https:// address of at most {MAX_URL} characters, "
            "without spaces.",
        )
    return url


def _text(data: dict[str, Any]) -> str | None:
    value = data.get("text")
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise _invalid("text", f"'text' must be a string of at most {MAX_TEXT} characters.")
    return value.strip() or None


def _flag(data: dict[str, Any], name: str) -> bool | None:
    value = data.get(name)
    if value is not None and not isinstance(value, bool):
        raise _invalid(name, f"'{name}' must be true or false.")
    return value


def _instant(data: dict[str, Any], name: str) -> datetime:
    """An ISO 8601 instant that states its UTC offset: a naive time is ambiguous."""
    value = data.get(name)
    if value is None:
        raise _missing(name)
    instant = None
    if isinstance(value, str) and len(value) <= MAX_INSTANT:
        try:
            instant = datetime.fromisoformat(value.strip())
        except ValueError:
            instant = None
    if instant is None or instant.tzinfo is None or instant.utcoffset() is None:
        raise _invalid(
            name,
            f"'{name}' must be an ISO 8601 time with a UTC offset, like "
            "2026-11-23T09:15:00+01:00 or 2026-11-23T08:15:00Z.",
        )
    return instant


def parse_intake(body: bytes) -> IntakeRequest:
    """The body of `POST /intake`; unknown fields are ignored."""
    data = parse_object(body)
    return IntakeRequest(
        account=_string(data, "account", MAX_ACCOUNT),
        external_id=_string(data, "external_id", MAX_EXTERNAL_ID),
        url=_url(data),
        received_at=_instant(data, "received_at"),
        text=_text(data),
        must_register=_flag(data, "must_register"),
    )


def parse_answered(body: bytes) -> AnsweredRequest:
    """The body of `POST /intake/answered`; unknown fields are ignored."""
    data = parse_object(body)
    return AnsweredRequest(
        account=_string(data, "account", MAX_ACCOUNT),
        external_id=_string(data, "external_id", MAX_EXTERNAL_ID),
        answered_at=_instant(data, "answered_at"),
    )


def parse_post(body: bytes) -> PostRequest:
    """The body of `POST /intake/post`; unknown fields are ignored."""
    data = parse_object(body)
    return PostRequest(
        account=_string(data, "account", MAX_ACCOUNT),
        external_id=_string(data, "external_id", MAX_EXTERNAL_ID),
        posted_at=_instant(data, "posted_at"),
    )


def domain_error(error: VaktError, fields: dict[str, str]) -> IntakeError:
    """A service's refusal as an answer: 422 with the error key's last part and, where the key
    names one, the field it is about."""
    code = error.key.rsplit(".", 1)[-1]
    try:
        message = plain("en", error.key, **error.params)
    except KeyError:
        message = ""
    return IntakeError(422, code, fields.get(code), message)


def bearer_matches(authorization: str | None, token: str) -> bool:
    """`Authorization: Bearer <token>`, compared in constant time."""
    scheme, _, given = (authorization or "").strip().partition(" ")
    sent = given.strip().encode("latin-1", errors="replace")
    return scheme.lower() == "bearer" and hmac.compare_digest(sent, token.encode())


# Which request field a service error is about, by the error key's last part.
INTAKE_FIELDS = {
    "received_naive": "received_at",
    "received_future": "received_at",
    "received_too_old": "received_at",
    "item_account_closed": "account",
    "item_account_requested": "account",
}


ANSWERED_FIELDS = {"received_future": "answered_at", "item_account_requested": "account"}


POST_FIELDS = {
    "post_naive": "posted_at",
    "post_future": "posted_at",
    "post_too_old": "posted_at",
    "post_account_closed": "account",
    "post_account_requested": "account",
}
