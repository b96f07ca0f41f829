"""What Facebook and Instagram tell Vakt, read into one shape, and what Vakt does with it.

Pure: a webhook's envelope or a Graph API comment becomes a `Change` (the comment, the verb,
who wrote it); `change_key` names it so a retried delivery, a duplicate or the poll finding
what a webhook brought is one stored change; `verdict` says what a change means for the items
(a citizen's new question, the Page's answer, a removal) given who the account is. The shapes
are Meta's own (see the samples in ../shared/meta/payloads): the `from{id,name}` of Graph API
v2.11 and later, and the older `sender_id`/`sender_name`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

FACEBOOK = "facebook"
INSTAGRAM = "instagram"
VERBS = ("add", "edited", "remove", "hide", "unhide")
MAX_ID = 100
MAX_TEXT = 8000
MAX_BATCH = 1000  # changes in one POST, as Meta sends at most


class Verdict(StrEnum):
    QUESTION = "question"  # a citizen's comment or reply: an item
    EDITED = "edited"  # a citizen changed what they wrote: the capture follows
    ANSWER = "answer"  # the account's own reply: the thread's open items are answered
    REMOVED = "removed"  # hidden or removed on the platform: the item is closed as deleted
    IGNORE = "ignore"  # the account's own comments, unhide, what Vakt does not track


@dataclass(frozen=True)
class Change:
    """One comment as a platform reported it: added, edited, hidden, unhidden or removed."""

    platform: str  # facebook | instagram
    object_id: str  # the Page's or Instagram account's id the change is on
    comment_id: str
    verb: str  # add | edited | remove | hide | unhide
    post_id: str | None = None  # the post (Facebook) or media (Instagram) commented on
    parent_id: str | None = None  # the comment replied to; None for a comment on the post
    from_id: str | None = None
    from_name: str | None = None
    created_at: datetime | None = None
    message: str | None = None
    permalink: str | None = None
    attachments: tuple[str, ...] = ()

    @property
    def thread_id(self) -> str:
        """The top-level comment of the thread this comment is in (itself when it is one)."""
        return self.parent_id or self.comment_id

    def by(self, own_id: str | None) -> bool:
        """True when the account itself wrote it."""
        return own_id is not None and self.from_id == own_id

    def to_json(self) -> str:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat() if self.created_at else None
        data["attachments"] = list(self.attachments)
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Change:
        data = json.loads(text)
        created = data.get("created_at")
        data["created_at"] = datetime.fromisoformat(created) if created else None
        data["attachments"] = tuple(data.get("attachments") or ())
        return cls(**data)


class ShapeError(ValueError):
    """A body that is not a webhook envelope at all (not a JSON object with entries)."""


def change_key(change: Change) -> str:
    """The same change, however it reached Vakt, has the same key: a comment's add is one
    change whether a webhook or a poll brought it; an edit is another for each new text."""
    parts: list[str] = [change.platform, change.object_id, change.comment_id, change.verb]
    if change.verb in ("add", "edited"):
        parts.append(change.message or "")
    if change.verb == "edited":
        parts.append(_stamp(change.created_at))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _stamp(instant: datetime | None) -> str:
    return "" if instant is None else str(int(instant.timestamp()))


def verdict(change: Change, own_id: str | None) -> Verdict:
    """What a change means, given the account's own id (its Page or Instagram account)."""
    if change.verb in ("remove", "hide"):
        return Verdict.IGNORE if change.by(own_id) else Verdict.REMOVED
    if change.verb == "unhide":
        return Verdict.IGNORE
    if change.by(own_id):
        # The account's reply in a thread answers it; its own comment on a post asks nothing.
        return Verdict.ANSWER if change.parent_id else Verdict.IGNORE
    return Verdict.QUESTION if change.verb == "add" else Verdict.EDITED


def link_of(change: Change) -> str:
    """Where a person opens the comment: the platform's permalink, else one built from ids."""
    if change.permalink:
        return change.permalink
    if change.platform == INSTAGRAM:
        return "https://www.instagram.com/"
    post = change.post_id or change.comment_id
    local = change.comment_id.rsplit("_", 1)[-1]
    return f"https://www.facebook.com/{post}?comment_id={local}"


# ---------------------------------------------------------------- reading webhooks


def changes_of(envelope: Any) -> list[Change]:
    """Every comment change of a webhook delivery, in the order sent; what is not a comment
    (posts, reactions, Messenger) or lacks an id is left out. Raises ShapeError for a body that
    is no envelope."""
    if not isinstance(envelope, dict) or not isinstance(envelope.get("entry"), list):
        raise ShapeError("not a webhook envelope")
    kind = envelope.get("object")
    found: list[Change] = []
    for entry in envelope["entry"]:
        if not isinstance(entry, dict):
            continue
        object_id = _id(entry.get("id"))
        sent = _instant(entry.get("time"))
        changes = entry.get("changes")
        if object_id is None or not isinstance(changes, list):
            continue
        for raw in changes:
            if not isinstance(raw, dict) or not isinstance(raw.get("value"), dict):
                continue
            if kind == "page" and raw.get("field") == "feed":
                change = _feed_change(object_id, raw["value"])
            elif kind == "instagram" and raw.get("field") in ("comments", "live_comments"):
                change = _instagram_change(object_id, raw["value"], sent)
            else:
                change = None
            if change is not None:
                found.append(change)
    return found


def _feed_change(page_id: str, value: Mapping[str, Any]) -> Change | None:
    if value.get("item") != "comment" or value.get("verb") not in VERBS:
        return None
    comment_id = _id(value.get("comment_id"))
    if comment_id is None:
        return None
    post_id = _id(value.get("post_id"))
    parent_id = _id(value.get("parent_id"))
    author = _obj(value.get("from"))
    from_id = _id(author.get("id")) or _id(value.get("sender_id"))
    from_name = _text(author.get("name")) or _text(value.get("sender_name"))
    attachments = tuple(
        url for url in (_url(value.get("photo")), _url(value.get("video"))) if url is not None
    )
    return Change(
        platform=FACEBOOK,
        object_id=page_id,
        comment_id=comment_id,
        verb=str(value["verb"]),
        post_id=post_id,
        # A comment on the post has the post as its parent: it starts a thread.
        parent_id=None if parent_id in (None, post_id) else parent_id,
        from_id=from_id,
        from_name=from_name,
        created_at=_instant(value.get("created_time")),
        message=None if value["verb"] == "remove" else _text(value.get("message"), MAX_TEXT),
        attachments=attachments,
    )


def _instagram_change(
    account_id: str, value: Mapping[str, Any], sent: datetime | None
) -> Change | None:
    comment_id = _id(value.get("id"))
    if comment_id is None:
        return None
    author = _obj(value.get("from"))
    media = _obj(value.get("media"))
    return Change(
        platform=INSTAGRAM,
        object_id=account_id,
        comment_id=comment_id,
        verb="add",
        post_id=_id(media.get("id")),
        parent_id=_id(value.get("parent_id")),
        from_id=_id(author.get("id")),
        from_name=_text(author.get("username")),
        created_at=sent,  # Instagram's comment webhooks carry no time of their own
        message=_text(value.get("text"), MAX_TEXT),
    )


# ---------------------------------------------------------------- reading the Graph API


def facebook_comment(page_id: str, post_id: str, comment: Mapping[str, Any]) -> Change | None:
    """A comment as `GET /{post-id}/comments` returns it (fields id, message, from,
    created_time, parent{id}, permalink_url, attachment)."""
    comment_id = _id(comment.get("id"))
    if comment_id is None:
        return None
    author = _obj(comment.get("from"))
    parent = _obj(comment.get("parent"))
    attachment = _obj(comment.get("attachment"))
    media = _obj(attachment.get("media"))
    image = _obj(media.get("image"))
    url = _url(image.get("src")) or _url(attachment.get("url"))
    return Change(
        platform=FACEBOOK,
        object_id=page_id,
        comment_id=comment_id,
        verb="add",
        post_id=post_id,
        parent_id=_id(parent.get("id")),
        from_id=_id(author.get("id")),
        from_name=_text(author.get("name")),
        created_at=graph_time(comment.get("created_time")),
        message=_text(comment.get("message"), MAX_TEXT),
        permalink=_url(comment.get("permalink_url")),
        attachments=() if url is None else (url,),
    )


def instagram_comment(
    account_id: str, media_id: str, comment: Mapping[str, Any], parent_id: str | None = None
) -> Change | None:
    """A comment as `GET /{ig-media-id}/comments` or `/{ig-comment-id}/replies` returns it
    (fields id, text, timestamp, from{id,username}, username, parent_id)."""
    comment_id = _id(comment.get("id"))
    if comment_id is None:
        return None
    author = _obj(comment.get("from"))
    return Change(
        platform=INSTAGRAM,
        object_id=account_id,
        comment_id=comment_id,
        verb="add",
        post_id=media_id,
        parent_id=_id(comment.get("parent_id")) or parent_id,
        from_id=_id(author.get("id")),
        from_name=_text(author.get("username")) or _text(comment.get("username")),
        created_at=graph_time(comment.get("timestamp")),
        message=_text(comment.get("text"), MAX_TEXT),
    )


def graph_time(value: Any) -> datetime | None:
    """Meta's "2026-11-23T09:15:00+0000" (or unix seconds) as an aware datetime."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _instant(value)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
    return parsed.astimezone(UTC) if parsed.tzinfo else None


# ---------------------------------------------------------------- signatures


def signature_matches(app_secret: str, body: bytes, header: str | None) -> bool:
    """`X-Hub-Signature-256: sha256=<hex>` over the raw body, compared in constant time. The
    SHA-1 `X-Hub-Signature` alone is not enough."""
    scheme, _, given = (header or "").strip().partition("=")
    if scheme.lower() != "sha256" or not given:
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(
        expected.encode(), given.strip().lower().encode("latin-1", "replace")
    )


def token_matches(given: str | None, expected: str) -> bool:
    """The handshake's `hub.verify_token`, compared in constant time."""
    return hmac.compare_digest((given or "").encode(), expected.encode())


# ---------------------------------------------------------------- captures


def capture_of(change: Change, account_key: str, link: str) -> dict[str, Any]:
    """The comment as it stood, for the archive: what was written, by whom, when, where."""
    return {
        "platform": change.platform,
        "account": account_key,
        "comment_id": change.comment_id,
        "post_id": change.post_id,
        "parent_id": change.parent_id,
        "author": {"id": change.from_id, "name": change.from_name},
        "created_at": change.created_at.isoformat() if change.created_at else None,
        "message": change.message,
        "attachments": list(change.attachments),
        "link": link,
    }


def sealed(capture: Mapping[str, Any]) -> tuple[str, str]:
    """The capture as JSON text and the SHA-256 of its bytes."""
    text = json.dumps(capture, ensure_ascii=False, sort_keys=True, indent=2)
    return text, hashlib.sha256(text.encode()).hexdigest()


# ---------------------------------------------------------------- helpers


def _id(value: Any) -> str | None:
    """Meta's ids are numeric strings, sometimes sent as numbers (`sender_id`)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > MAX_ID or not all(c.isalnum() or c in "_-." for c in value):
        return None
    return value


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any, limit: int = 200) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.replace("\x00", "").strip()
    return value[:limit] or None


def _url(value: Any) -> str | None:
    if not isinstance(value, str) or not value.startswith("https://") or len(value) > 1000:
        return None
    return value if all(c.isprintable() and c not in "<>| " for c in value) else None


def _instant(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def batches(changes: list[Change], size: int) -> Iterator[list[Change]]:
    for start in range(0, len(changes), size):
        yield changes[start : start + size]
