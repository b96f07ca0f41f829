"""The console's stand-in for Facebook and Instagram: a small Graph API in memory, served to
the real connector through httpx's transport (no sockets), so a comment typed with `:comment`
reaches Vakt the way a citizen's does — by the poll, through bot.meta's own code.

Only what the connector asks is answered: the Pages and their tokens, the permissions, the
posts and their comments (Facebook), the media, comments and replies (Instagram), a comment
looked at again (gone: Meta's error 100/33), hidden or deleted.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

import httpx

PERMISSIONS = (
    "pages_show_list",
    "pages_read_engagement",
    "pages_read_user_content",
    "pages_manage_metadata",
    "pages_manage_engagement",
    "instagram_basic",
    "instagram_manage_comments",
)
CITIZEN = ("10158000000000001", "Kari Nordmann")


@dataclass
class Comment:
    id: str
    post: str
    account: str  # the Page's or Instagram account's id
    from_id: str
    from_name: str
    text: str
    at: datetime
    parent: str | None = None
    hidden: bool = False
    removed: bool = False


@dataclass
class StandInGraph:
    """Facebook Pages and Instagram accounts of the demo, with what people write on them."""

    accounts: dict[str, str] = field(default_factory=dict)  # id -> name
    instagram: set[str] = field(default_factory=set)  # which of them are Instagram accounts
    posts: dict[str, tuple[str, datetime]] = field(default_factory=dict)  # id -> (account, at)
    comments: dict[str, Comment] = field(default_factory=dict)
    _seq: int = 900_000_000

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handle))

    # ------------------------------------------------------------ what the console does

    def _next(self) -> str:
        self._seq += 1
        return str(self._seq)

    def comment(self, account: str, text: str, at: datetime) -> str:
        """A citizen's comment on the account's newest post (a post is made when it has none)."""
        posts = sorted((p for p, (a, _) in self.posts.items() if a == account), key=self._at)
        if posts:
            post = posts[-1]
        else:
            post = f"{account}_{self._next()}"
            self.posts[post] = (account, at)
        number = self._next()
        comment_id = number if account in self.instagram else f"{post.rpartition('_')[2]}_{number}"
        self.comments[comment_id] = Comment(comment_id, post, account, *CITIZEN, text, at)
        return comment_id

    def reply(self, comment_id: str, text: str, at: datetime) -> str:
        """The account's own reply under a comment."""
        asked = self.comments[comment_id]
        root = asked.parent or asked.id
        number = self._next()
        reply_id = number if asked.account in self.instagram else f"{asked.post}_{number}"
        name = self.accounts[asked.account]
        self.comments[reply_id] = Comment(
            reply_id, asked.post, asked.account, asked.account, name, text, at, root
        )
        return reply_id

    def remove(self, comment_id: str) -> None:
        self.comments[comment_id].removed = True

    def _at(self, post: str) -> datetime:
        return self.posts[post][1]

    # ------------------------------------------------------------ the Graph API

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.split("/", 2)[-1]  # drop "/v27.0/"
        params = dict(request.url.params)
        if request.method == "POST":
            params |= dict(parse_qsl(request.content.decode()))
        try:
            return httpx.Response(200, json=self._answer(request.method, path, params))
        except LookupError:
            error = {"message": "Unsupported get request.", "type": "GraphMethodException"}
            body = {"error": {**error, "code": 100, "error_subcode": 33}}
            return httpx.Response(400, json=body)

    def _answer(self, method: str, path: str, params: dict[str, str]) -> dict[str, Any]:
        parts = path.split("/")
        if path == "me/accounts":
            data = []
            for account_id in self.accounts:
                if account_id in self.instagram:
                    continue
                data.append({"id": account_id, "access_token": _token(account_id)})
            # Each Instagram account is reachable with a Page token of its own here.
            data += [{"id": i, "access_token": _token(i)} for i in sorted(self.instagram)]
            return {"data": data}
        if path == "me/permissions":
            return {"data": [{"permission": p, "status": "granted"} for p in PERMISSIONS]}
        if len(parts) == 2 and parts[1] in ("published_posts", "media"):
            return {"data": self._posts_of(parts[0])}
        if len(parts) == 2 and parts[1] in ("comments", "replies"):
            return {"data": self._comments_under(parts[0], replies=parts[1] == "replies")}
        if len(parts) == 2 and parts[1] == "subscribed_apps":
            return {"success": True} if method == "POST" else {"data": []}
        comment = self.comments.get(parts[0])
        if len(parts) != 1 or comment is None or comment.removed:
            raise LookupError(path)
        if method == "DELETE":
            comment.removed = True
            return {"success": True}
        if method == "POST":
            comment.hidden = params.get("is_hidden", params.get("hide")) == "true"
            return {"success": True}
        return {"id": comment.id, "is_hidden": comment.hidden, "hidden": comment.hidden}

    def _posts_of(self, account: str) -> list[dict[str, Any]]:
        found = []
        for post, (owner, at) in sorted(self.posts.items(), key=lambda p: p[1][1], reverse=True):
            if owner != account:
                continue
            latest = max([at, *(c.at for c in self.comments.values() if c.post == post)])
            found.append(
                {
                    "id": post,
                    "created_time": _graph_time(at),
                    "updated_time": _graph_time(latest),
                    "timestamp": _graph_time(at),
                }
            )
        return found

    def _comments_under(self, parent: str, *, replies: bool) -> list[dict[str, Any]]:
        rows = []
        for comment in sorted(self.comments.values(), key=lambda c: c.at):
            if comment.removed:
                continue
            if replies and comment.parent != parent:
                continue
            if not replies and comment.post != parent:
                continue
            if not replies and comment.account in self.instagram and comment.parent:
                continue  # Instagram lists replies under their comment only
            instagram = comment.account in self.instagram
            row: dict[str, Any] = {"id": comment.id}
            if instagram:
                row |= {
                    "text": comment.text,
                    "timestamp": _graph_time(comment.at),
                    "from": {"id": comment.from_id, "username": comment.from_name},
                    "hidden": comment.hidden,
                }
            else:
                row |= {
                    "message": comment.text,
                    "created_time": _graph_time(comment.at),
                    "from": {"id": comment.from_id, "name": comment.from_name},
                    "is_hidden": comment.hidden,
                    "permalink_url": _permalink(comment),
                }
                if comment.parent:
                    row["parent"] = {"id": comment.parent}
            rows.append(row)
        return rows


def _permalink(comment: Comment) -> str:
    local = comment.id.rpartition("_")[2]
    return f"https://www.facebook.com/{comment.post}?comment_id={local}"


def _token(account_id: str) -> str:
    return f"console-page-token-{account_id}-{secrets.token_hex(4)}"


def _graph_time(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%S%z")
