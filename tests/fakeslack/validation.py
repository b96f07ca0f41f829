"""Block Kit and message checks, done with slack_sdk's own models as Slack's stand-in.

``slack_sdk.models`` enforces most Block Kit limits on ``.to_dict()`` (section text 3000,
header 150, button text 75, ids 255, private_metadata 3000, ...), but not the number of
blocks per message and it never sees raw dicts unless they are parsed. These helpers parse and
serialise every block and add the limits slack_sdk leaves out.
"""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 40_000

MESSAGE_METHODS = frozenset(
    {"chat.postMessage", "chat.postEphemeral", "chat.update", "chat.scheduleMessage"}
)
"""Methods whose ``blocks`` and ``text`` are checked like a message."""
NEEDS_CONTENT = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.scheduleMessage"})
"""Methods answering ``no_text`` when text, blocks and attachments are all missing."""
VIEW_METHODS = frozenset({"views.open", "views.update", "views.push", "views.publish"})


class Rejection(Exception):
    """An ``ok: false`` answer produced by the fake's validation."""

    def __init__(
        self,
        error: str,
        messages: list[str] | None = None,
        *,
        status: int = 200,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{error}: {messages or []}")
        self.error = error
        self.messages = messages or []
        self.status = status
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error": self.error, **self.extra}
        if self.messages:
            body["response_metadata"] = {"messages": list(self.messages)}
        return body


def decode_json_field(value: Any) -> Any:
    """Form bodies carry ``blocks``/``view``/... as JSON strings: decode them back."""
    if isinstance(value, str) and value.lstrip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def check_message_blocks(raw: Any, *, pointer: str = "/blocks") -> None:
    """Raise :class:`Rejection` (``invalid_blocks``) unless ``raw`` is valid message Block Kit."""
    if raw is None:
        return
    raw = decode_json_field(raw)
    if not isinstance(raw, list):
        message = f"[ERROR] blocks must be a JSON array [json-pointer:{pointer}]"
        raise Rejection("invalid_blocks_format", [message])
    if len(raw) > MAX_MESSAGE_BLOCKS:
        raise Rejection(
            "invalid_blocks",
            [
                f"[ERROR] no more than {MAX_MESSAGE_BLOCKS} items allowed, got {len(raw)} "
                f"[json-pointer:{pointer}]"
            ],
        )
    problems = block_problems(raw, pointer=pointer)
    if problems:
        raise Rejection("invalid_blocks", problems, extra={"errors": list(problems)})


def block_problems(raw: list[Any], *, pointer: str = "/blocks") -> list[str]:
    """Messages for every block slack_sdk refuses to parse or serialise."""
    problems: list[str] = []
    for index, item in enumerate(raw):
        where = f"[json-pointer:{pointer}/{index}]"
        if not isinstance(item, dict):
            problems.append(f"[ERROR] block must be an object {where}")
            continue
        try:
            parsed = Block.parse_all([item])[0]
        except Exception as exc:  # slack_sdk raises TypeError/KeyError on malformed input
            problems.append(f"[ERROR] {type(exc).__name__}: {exc} {where}")
            continue
        if parsed is None:
            problems.append(f"[ERROR] unsupported block type: {item.get('type')!r} {where}")
            continue
        try:
            parsed.to_dict()
        except Exception as exc:  # SlackObjectFormationError and friends
            problems.append(f"[ERROR] {exc} {where}")
    return problems


def check_message_text(text: Any) -> None:
    if isinstance(text, str) and len(text) > MAX_MESSAGE_TEXT:
        raise Rejection(
            "msg_too_long",
            [f"[ERROR] text must be at most {MAX_MESSAGE_TEXT} characters, got {len(text)}"],
        )


def has_message_content(args: dict[str, Any]) -> bool:
    return any(args.get(k) for k in ("text", "blocks", "attachments", "markdown_text"))


def check_message(method: str, args: dict[str, Any]) -> None:
    """Checks for chat.* methods carrying a message."""
    if method in NEEDS_CONTENT and not has_message_content(args):
        raise Rejection("no_text", ["[ERROR] one of text, blocks or attachments is required"])
    check_message_text(args.get("text"))
    check_message_blocks(args.get("blocks"))


def check_view(method: str, raw: Any) -> dict[str, Any]:
    """Validate a ``view`` argument with ``slack_sdk.models.views.View``; return it as a dict."""
    raw = decode_json_field(raw)
    if not isinstance(raw, dict):
        raise Rejection(
            "invalid_arguments", ["[ERROR] view must be a JSON object [json-pointer:/view]"]
        )
    blocks = raw.get("blocks")
    if isinstance(blocks, list) and len(blocks) > MAX_VIEW_BLOCKS:
        raise Rejection(
            "invalid_arguments",
            [
                f"[ERROR] no more than {MAX_VIEW_BLOCKS} items allowed, got {len(blocks)} "
                "[json-pointer:/view/blocks]"
            ],
        )
    expected_type = "home" if method == "views.publish" else "modal"
    if raw.get("type") != expected_type:
        raise Rejection(
            "invalid_arguments",
            [
                f"[ERROR] {method} needs a view of type {expected_type!r}, "
                f"got {raw.get('type')!r} [json-pointer:/view/type]"
            ],
        )
    if isinstance(blocks, list):
        problems = block_problems(blocks, pointer="/view/blocks")
        if problems:
            raise Rejection("invalid_arguments", problems)
    try:
        View(**raw).to_dict()
    except Exception as exc:  # SlackObjectFormationError, TypeError on bad keys
        raise Rejection("invalid_arguments", [f"[ERROR] {exc} [json-pointer:/view]"]) from exc
    return raw
