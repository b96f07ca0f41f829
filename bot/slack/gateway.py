"""The one place that talks to Slack's Web API: retries, and Slack errors mapped to ours."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

log = logging.getLogger(__name__)

# Errors that no retry will mend: the message is marked failed and reported instead.
PERMANENT = {
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "user_not_found",
    "cannot_dm_bot",
    "invalid_auth",
    "account_inactive",
    "token_revoked",
    "missing_scope",
    "invalid_blocks",
    "invalid_arguments",
    "msg_too_long",
    "no_text",
    "restricted_action",
    "file_not_found",
    "file_deleted",
}


class SlackSendError(Exception):
    """Slack refused or could not be reached; `permanent` says whether retrying can help."""

    def __init__(self, code: str, *, permanent: bool) -> None:
        super().__init__(code)
        self.code = code
        self.permanent = permanent


def build_client(token: str | None, base_url: str, *, retries: int = 2) -> WebClient:
    """A WebClient that honours Retry-After on 429 and retries server and connection errors."""
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=15,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=retries),
            ServerErrorRetryHandler(max_retry_count=retries),
            ConnectionErrorRetryHandler(max_retry_count=retries),
        ],
    )


class SlackGateway:
    """Thin wrapper over WebClient for the calls Vakt makes on its own initiative."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self.client.api_call(method, json=kwargs)
        except SlackApiError as exc:
            code = str(exc.response.get("error") or f"http_{exc.response.status_code}")
            status = exc.response.status_code
            raise SlackSendError(code, permanent=code in PERMANENT and status < 500) from None
        except (OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SlackSendError(f"{type(exc).__name__}: {reason}", permanent=False) from None
        return dict(response.data) if isinstance(response.data, dict) else {}

    def post_message(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
    ) -> tuple[str, str]:
        """Post a message (a user id as channel opens a DM); returns (channel, ts)."""
        kwargs: dict[str, Any] = {"channel": channel, "text": text, "unfurl_links": False}
        if blocks:
            kwargs["blocks"] = blocks
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        data = self._call("chat.postMessage", **kwargs)
        return str(data.get("channel", channel)), str(data.get("ts", ""))

    def update_message(
        self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> None:
        """Replace a message Vakt posted (an item's card once it is closed)."""
        kwargs: dict[str, Any] = {"channel": channel, "ts": ts, "text": text}
        if blocks is not None:
            kwargs["blocks"] = blocks
        self._call("chat.update", **kwargs)

    def permalink(self, channel: str, ts: str) -> str | None:
        """A link to a Slack message, when Slack gives one."""
        try:
            data = self._call("chat.getPermalink", channel=channel, message_ts=ts)
        except SlackSendError as exc:
            log.info("chat.getPermalink for %s failed: %s", channel, exc.code)
            return None
        link = data.get("permalink")
        return str(link) if link else None

    def file_info(self, file_id: str) -> dict[str, Any]:
        """A shared file's details (name, type, size, private download URL)."""
        data = self._call("files.info", file=file_id)
        file = data.get("file")
        return dict(file) if isinstance(file, dict) else {}

    def open_dm(self, user: str) -> str:
        """The id of the direct message channel with a user."""
        data = self._call("conversations.open", users=user)
        return str((data.get("channel") or {}).get("id") or "")

    def upload_file(
        self, channel: str, filename: str, content: bytes, title: str, comment: str
    ) -> None:
        """Share a file Vakt made (an export) in a channel."""
        try:
            self.client.files_upload_v2(
                channel=channel,
                filename=filename,
                content=content,
                title=title,
                initial_comment=comment,
            )
        except SlackApiError as exc:
            code = str(exc.response.get("error") or f"http_{exc.response.status_code}")
            raise SlackSendError(code, permanent=code in PERMANENT) from None
        except (OSError, TimeoutError) as exc:
            raise SlackSendError(type(exc).__name__, permanent=False) from None

    def identity(self) -> tuple[str, str]:
        """(bot user id, bot id) from auth.test: how Vakt recognises its own messages."""
        data = self._call("auth.test")
        return str(data.get("user_id", "")), str(data.get("bot_id", ""))

    def check(self) -> str:
        """Ask Slack who we are (auth.test); raises SlackSendError when Slack refuses or is
        unreachable. Returns the bot's user id."""
        data = self._call("auth.test")
        return str(data.get("user_id", ""))

    def user_locale(self, user: str) -> str | None:
        """The user's Slack locale (e.g. "nb-NO"), when Slack tells it."""
        try:
            data = self.client.users_info(user=user, include_locale=True)
        except SlackApiError as exc:
            log.info("users.info for %s failed: %s", user, exc.response.get("error"))
            return None
        except OSError:
            return None
        user_data = data.get("user") or {}
        locale = user_data.get("locale")
        return str(locale) if locale else None
