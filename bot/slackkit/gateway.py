"""The one place that talks to Slack's Web API: retries, and Slack errors mapped to ours.

Retries happen at two levels. In the client (`build_client`), a call is retried a couple of
times after short pauses: 429 after Slack's Retry-After when that is at most a few seconds
(`MAX_IN_CLIENT_WAIT`), 5xx and dropped connections with exponential backoff. Whatever is still
failing then surfaces as `SlackSendError` (`permanent`, `retry_after`), and the outbox tries the
message again later; no wait in here blocks a thread for longer than a few seconds.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.client import HTTPException
from typing import TYPE_CHECKING, Any
from urllib.error import HTTPError, URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.interval_calculator import RetryIntervalCalculator
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.slack_response import SlackResponse

if TYPE_CHECKING:
    from bot.slackkit.outbox import Attachment

log = logging.getLogger(__name__)

MAX_IN_CLIENT_WAIT = 5.0
"""Longest pause (seconds) inside one call; a longer Retry-After is left to the caller."""
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
"""HTTP statuses retried in the client (Slack's, or a proxy's in front of it)."""
CODE = re.compile(r"[a-z0-9_.]{1,80}")

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


@dataclass(frozen=True)
class Workspace:
    """Where Vakt is installed: its team and, in an Enterprise Grid, its organisation."""

    team_id: str
    enterprise_id: str | None = None


@dataclass(frozen=True)
class Identity:
    """Who Vakt is in Slack (auth.test): its bot user and bot, and where it is installed."""

    user_id: str
    bot_id: str
    workspace: Workspace


class SlackSendError(Exception):
    """Slack refused or could not be reached; `permanent` says whether retrying can help, and
    `retry_after` how many seconds Slack asked us to wait (a 429's Retry-After), when it did."""

    def __init__(self, code: str, *, permanent: bool, retry_after: float | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.permanent = permanent
        self.retry_after = retry_after


def retry_after_of(headers: Any) -> float | None:
    """Seconds from a Retry-After header (Slack sends whole seconds), if there is one."""
    if not headers:
        return None
    for name, value in dict(headers).items():
        if str(name).lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) and value else value
            try:
                seconds = float(str(raw).strip())
            except ValueError:
                return None
            return seconds if seconds >= 0 else None
    return None


class Backoff(RetryIntervalCalculator):
    """Exponential backoff with jitter: `base`·2ⁿ to twice that before retry n, at most `cap`."""

    def __init__(self, base: float, cap: float) -> None:
        self.base = base
        self.cap = cap

    def calculate_sleep_duration(self, current_attempt: int) -> float:
        return min(self.cap, self.base * 2**current_attempt * (1 + random.random()))


class RateLimitRetry(RetryHandler):
    """429: wait what Slack's Retry-After says (1 s without one) and try again, but only when
    that is at most `max_wait` seconds; a longer wait is not done here (the caller gets
    `SlackSendError.retry_after` and reschedules). A Retry-After that is not a number of
    seconds counts as none. `jitter` (seconds, at most) spreads replicas that were refused at
    the same moment."""

    def __init__(self, max_retry_count: int, *, max_wait: float, jitter: float) -> None:
        super().__init__(max_retry_count)
        self.max_wait = max_wait
        self.jitter = jitter

    @staticmethod
    def wait_for(response: HttpResponse) -> float:
        seconds = retry_after_of(response.headers)
        return 1.0 if seconds is None else seconds

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return (
            response is not None
            and response.status_code == 429
            and self.wait_for(response) <= self.max_wait
        )

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        assert response is not None  # only asked after _can_retry said yes
        state.next_attempt_requested = True
        time.sleep(self.wait_for(response) + random.random() * self.jitter)
        state.increment_current_attempt()


class ServerErrorRetry(RetryHandler):
    """A 500, 502, 503 or 504: try again after a backoff."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and response.status_code in TRANSIENT_STATUSES


def build_client(
    token: str | None,
    base_url: str,
    *,
    retries: int = 2,
    backoff: float = 0.5,
    max_wait: float = MAX_IN_CLIENT_WAIT,
    timeout: int = 15,
) -> WebClient:
    """A WebClient that retries each call up to `retries` times: a 429 after its Retry-After
    (when that is at most `max_wait` seconds), a 5xx or a dropped connection (reset, closed
    before or in the middle of the answer) after an exponential backoff from `backoff` seconds,
    capped at `max_wait`. The same client serves Bolt's listeners."""
    pause = Backoff(backoff, max_wait)
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[
            RateLimitRetry(retries, max_wait=max_wait, jitter=min(backoff, 1.0)),
            ServerErrorRetry(retries, pause),
            ConnectionErrorRetryHandler(
                retries,
                pause,
                error_types=[URLError, ConnectionResetError, HTTPException],
            ),
        ],
    )


def api_error(response: SlackResponse) -> SlackSendError:
    """Slack's refusal as ours: its error code (or `http_<status>` when the answer was not
    Slack's JSON, e.g. a proxy's error page), whether retrying can help, and Retry-After."""
    status = int(response.status_code)
    data = response.data if isinstance(response.data, dict) else {}
    error = data.get("error")
    code = error if isinstance(error, str) and CODE.fullmatch(error) else f"http_{status}"
    return SlackSendError(
        code,
        permanent=code in PERMANENT and status < 500,
        retry_after=retry_after_of(response.headers),
    )


@contextmanager
def slack_errors() -> Iterator[None]:
    """Turn every way a call to Slack can fail into `SlackSendError`: Slack's refusals, HTTP
    errors outside the Web API (a file's upload URL), refused, reset, dropped or timed-out
    connections, truncated or garbled answers."""
    try:
        yield
    except SlackApiError as exc:
        raise api_error(exc.response) from None
    except HTTPError as exc:
        raise SlackSendError(
            f"http_{exc.code}", permanent=False, retry_after=retry_after_of(exc.headers)
        ) from None
    except (OSError, HTTPException, SlackClientError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise SlackSendError(f"{type(exc).__name__}: {reason}"[:200], permanent=False) from None


class SlackGateway:
    """Thin wrapper over WebClient for the calls Vakt makes on its own initiative."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        """A write method, arguments as JSON (what Slack recommends for them)."""
        with slack_errors():
            response = self.client.api_call(method, json=kwargs)
        return dict(response.data) if isinstance(response.data, dict) else {}

    def _read(self, method: str, **kwargs: Any) -> dict[str, Any]:
        """A read method, arguments form-encoded (Slack takes JSON bodies for most write
        methods only)."""
        with slack_errors():
            response = self.client.api_call(method, params=kwargs)
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
            data = self._read("chat.getPermalink", channel=channel, message_ts=ts)
        except SlackSendError as exc:
            log.info("chat.getPermalink for %s failed: %s", channel, exc.code)
            return None
        link = data.get("permalink")
        return str(link) if link else None

    def file_info(self, file_id: str) -> dict[str, Any]:
        """A shared file's details (name, type, size, private download URL)."""
        data = self._read("files.info", file=file_id)
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
        with slack_errors():
            self.client.files_upload_v2(
                channel=channel,
                filename=filename,
                content=content,
                title=title,
                initial_comment=comment,
            )

    def upload_files(
        self,
        channel: str,
        files: Sequence[Attachment],
        comment: str,
        thread_ts: str | None = None,
    ) -> tuple[str, str]:
        """Share files Vakt made (a weekly report's chart and CSV) with one comment; a user id
        as channel shares them in the direct message with that user. Returns (channel, "")."""
        if channel[:1] in ("U", "W"):
            channel = self.open_dm(channel)
        kwargs: dict[str, Any] = {
            "channel": channel,
            "initial_comment": comment,
            "file_uploads": [
                {"filename": f.filename, "content": f.content, "title": f.title} for f in files
            ],
        }
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        with slack_errors():
            self.client.files_upload_v2(**kwargs)
        return channel, ""

    def open_view(self, trigger_id: str, view: dict[str, Any]) -> None:
        """Open a modal on a user's trigger (valid for 3 seconds after their click)."""
        self._call("views.open", trigger_id=trigger_id, view=view)

    def publish_home(self, user: str, view: dict[str, Any]) -> None:
        """Publish a user's App Home tab (views.publish replaces what was there)."""
        self._call("views.publish", user_id=user, view=view)

    def post_ephemeral(
        self, channel: str, user: str, text: str, thread_ts: str | None = None
    ) -> None:
        """A message in a channel that only `user` sees."""
        kwargs: dict[str, Any] = {"channel": channel, "user": user, "text": text}
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        self._call("chat.postEphemeral", **kwargs)

    def identity(self) -> Identity:
        """Who Vakt is (auth.test): how it recognises its own messages, and the workspace
        (and organisation) whose requests it serves."""
        data = self._read("auth.test")

        def text(name: str) -> str:
            value = data.get(name)
            return value if isinstance(value, str) else ""

        workspace = Workspace(text("team_id"), text("enterprise_id") or None)
        return Identity(text("user_id"), text("bot_id"), workspace)

    def user_locale(self, user: str) -> str | None:
        """The user's Slack locale (e.g. "nb-NO"), when Slack tells it."""
        return self.user_profile(user)[0]

    def user_profile(self, user: str) -> tuple[str | None, str | None]:
        """The user's Slack locale and name (real name, else display name), when Slack tells."""
        try:
            data = self._read("users.info", user=user, include_locale=True)
        except SlackSendError as exc:
            log.info("users.info for %s failed: %s", user, exc.code)
            return None, None
        user_data = data.get("user")
        if not isinstance(user_data, dict):
            return None, None
        locale = user_data.get("locale")
        found = user_data.get("profile")
        profile: dict[str, Any] = found if isinstance(found, dict) else {}
        names = (  # a full name reads best in a calendar; a display name is often a nickname
            profile.get("real_name"),
            user_data.get("real_name"),
            profile.get("display_name"),
            user_data.get("name"),
        )
        name = next((n.strip() for n in names if isinstance(n, str) and n.strip()), None)
        return (str(locale) if isinstance(locale, str) and locale else None), (
            name[:200] if name else None
        )
