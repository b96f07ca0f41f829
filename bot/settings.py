"""Deployment settings and secrets from the environment and `.env` (the environment wins)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dotenv import dotenv_values

from bot.kernel.links import FeedKeys

if TYPE_CHECKING:
    from bot.kernel.links import FeedKeys


class SettingsError(Exception):
    """A missing or malformed environment setting."""


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str | None
    slack_app_token: str | None
    slack_signing_secret: str | None
    slack_api_url: str
    database_url: str
    config_path: str
    data_dir: Path
    port: int
    log_level: str
    intake_token: str | None = None  # Bearer token of the HTTP intake; None: intake is off
    archive_dir: Path = Path("data/archive")  # evidence and snapshots, with JSON sidecars
    log_format: str = "text"  # text | json (one JSON object per line)
    metrics_token: str | None = None  # Bearer token of /metrics; None: /metrics is open
    public_url: str | None = None  # where `vakt serve` is reached from outside: calendar links
    feed_secret: str | None = None  # calendar tokens are derived from it (else the signing secret)
    download_deadline: float = 120.0  # seconds a download of a shared file may take in all
    http_header_timeout: float = 10.0  # seconds a client has to send a request's headers
    http_body_timeout: float = 20.0  # seconds a client has to send a request's body after them
    # Facebook and Instagram (bot.meta): on when META_APP_SECRET is set.
    meta_app_secret: str | None = None  # webhook signatures and appsecret_proof
    meta_verify_token: str | None = None  # the webhook's verification handshake
    meta_access_token: str | None = None  # a system-user or long-lived user token
    meta_graph_url: str = "https://graph.facebook.com/v27.0/"

    def __repr__(self) -> str:
        # Secrets never reach logs, not even through a repr in a traceback.
        return (
            f"Settings(database_url={redact_url(self.database_url)!r}, "
            f"config_path={self.config_path!r}, slack_api_url={self.slack_api_url!r}, "
            f"port={self.port})"
        )

    def require_bot_token(self) -> str:
        """The bot token, or a clear error when it is missing or a placeholder."""
        token = self.slack_bot_token
        _not_the_placeholder("SLACK_BOT_TOKEN", token, "the bot token (xoxb-...)")
        if not token or not token.startswith("xoxb-"):
            raise SettingsError(
                "SLACK_BOT_TOKEN is missing or not a bot token (xoxb-...): put it in .env"
            )
        return token

    def require_app_token(self) -> str:
        """The app-level token Socket Mode needs."""
        token = self.slack_app_token
        _not_the_placeholder("SLACK_APP_TOKEN", token, "an app-level token (xapp-...)")
        if not token or not token.startswith("xapp-"):
            raise SettingsError(
                "SLACK_APP_TOKEN is missing or not an app-level token (xapp-...): Socket Mode "
                "needs one with the connections:write scope; put it in .env"
            )
        return token

    def feed_keys(self) -> FeedKeys | None:
        """Calendar links: on when a public URL is set and a secret to derive them exists."""

        secret = self.feed_secret or self.slack_signing_secret
        if not self.public_url or not secret:
            return None
        return FeedKeys(base_url=self.public_url, secret=secret.encode())

    def require_signing_secret(self) -> str:
        """The signing secret HTTP mode verifies every request with."""
        secret = self.slack_signing_secret
        _not_the_placeholder("SLACK_SIGNING_SECRET", secret, "the app's signing secret")
        if not secret:
            raise SettingsError(
                "SLACK_SIGNING_SECRET is missing: HTTP mode verifies every request with it; "
                "put it in .env"
            )
        return secret


def _not_the_placeholder(name: str, value: str | None, what: str) -> None:
    """A value still .env.example's `…change-me` is not missing: say that it is the example's."""
    if value and "change-me" in value:
        raise SettingsError(
            f"{name} is still the placeholder from .env.example: put {what} in .env"
        )


MIN_INTAKE_TOKEN = 16


def _intake_token(value: str | None) -> str | None:
    """The HTTP intake's token, refused when it is a placeholder or too short to be secret."""
    token = (value or "").strip()
    if not token:
        return None
    if "change-me" in token or len(token) < MIN_INTAKE_TOKEN:
        raise SettingsError(
            f"VAKT_INTAKE_TOKEN is too short or a placeholder: use at least {MIN_INTAKE_TOKEN} "
            "random characters, for example from "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
        )
    return token


LOG_FORMATS = ("text", "json")


def _log_format(value: str | None) -> str:
    """How log lines look: `text` (the default) or `json`."""
    fmt = (value or "text").strip().lower()
    if fmt not in LOG_FORMATS:
        raise SettingsError(f"VAKT_LOG_FORMAT={value!r} is not one of: {', '.join(LOG_FORMATS)}")
    return fmt


def _metrics_token(value: str | None) -> str | None:
    """The token /metrics asks for; refused when it is a placeholder or too short."""
    token = (value or "").strip()
    if not token:
        return None
    if "change-me" in token or len(token) < MIN_INTAKE_TOKEN:
        raise SettingsError(
            f"VAKT_METRICS_TOKEN is too short or a placeholder: use at least {MIN_INTAKE_TOKEN} "
            "random characters, or leave it empty to serve /metrics to anyone who can reach it"
        )
    return token


def _public_url(value: str | None) -> str | None:
    """The address people's calendars fetch the feeds from, without a trailing slash."""
    url = (value or "").strip().rstrip("/")
    if not url:
        return None
    if not url.lower().startswith(("https://", "http://")) or " " in url:
        raise SettingsError(
            f"VAKT_PUBLIC_URL={value!r} is not a web address like https://vakt.kommune.no"
        )
    return url


def _feed_secret(value: str | None) -> str | None:
    secret = (value or "").strip()
    if not secret:
        return None
    if "change-me" in secret or len(secret) < MIN_INTAKE_TOKEN:
        raise SettingsError(
            f"VAKT_FEED_SECRET is too short or a placeholder: use at least {MIN_INTAKE_TOKEN} "
            "random characters (changing it later replaces every calendar link)"
        )
    return secret


MAX_DOWNLOAD_DEADLINE = 3600
MAX_HTTP_TIMEOUT = 600


def _seconds(name: str, value: str | None, default: float, maximum: float) -> float:
    """A number of seconds above 0 and at most `maximum`, or the default when unset."""
    text = (value or "").strip()
    if not text:
        return default
    try:
        seconds = float(text)
        if not 0 < seconds <= maximum:
            raise ValueError
    except ValueError:
        raise SettingsError(
            f"{name}={value!r} is not a number of seconds above 0 and at most {maximum:g} "
            f"(default {default:g})"
        ) from None
    return seconds


def _graph_url(value: str | None) -> str:
    """The Graph API's base (with its version), like SLACK_API_URL."""
    url = (value or "https://graph.facebook.com/v27.0/").strip()
    if not url.startswith(("https://", "http://")):
        raise SettingsError(
            f"META_GRAPH_URL={url!r} is not an http(s) address, like https://graph.facebook.com/v27.0/"
        )
    return url if url.endswith("/") else url + "/"


def redact_url(url: str) -> str:
    """A database URL with any password blanked out."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: str | Path = ".env"
) -> Settings:
    """Settings from `.env` overlaid by the real environment."""
    values: dict[str, str] = (
        {k: v for k, v in dotenv_values(env_file).items() if v is not None}
        if Path(env_file).exists()
        else {}
    )
    values.update(os.environ if environ is None else environ)

    data_dir = Path(values.get("VAKT_DATA_DIR") or "data")
    database_url = values.get("DATABASE_URL") or f"sqlite:///{data_dir / 'vakt.sqlite3'}"
    api_url = values.get("SLACK_API_URL") or "https://slack.com/api/"
    if not api_url.endswith("/"):
        api_url += "/"
    port_text = values.get("PORT") or "3000"
    try:
        port = int(port_text)
        if not 0 < port < 65536:
            raise ValueError
    except ValueError:
        raise SettingsError(f"PORT={port_text!r} is not a port number") from None
    return Settings(
        slack_bot_token=values.get("SLACK_BOT_TOKEN") or None,
        slack_app_token=values.get("SLACK_APP_TOKEN") or None,
        slack_signing_secret=values.get("SLACK_SIGNING_SECRET") or None,
        slack_api_url=api_url,
        database_url=database_url,
        config_path=values.get("VAKT_CONFIG") or "config/vakt.toml",
        data_dir=data_dir,
        port=port,
        log_level=(values.get("VAKT_LOG_LEVEL") or "INFO").upper(),
        intake_token=_intake_token(values.get("VAKT_INTAKE_TOKEN")),
        archive_dir=Path(values.get("VAKT_ARCHIVE_DIR") or data_dir / "archive"),
        log_format=_log_format(values.get("VAKT_LOG_FORMAT")),
        metrics_token=_metrics_token(values.get("VAKT_METRICS_TOKEN")),
        public_url=_public_url(values.get("VAKT_PUBLIC_URL")),
        feed_secret=_feed_secret(values.get("VAKT_FEED_SECRET")),
        download_deadline=_seconds(
            "VAKT_DOWNLOAD_DEADLINE",
            values.get("VAKT_DOWNLOAD_DEADLINE"),
            120.0,
            MAX_DOWNLOAD_DEADLINE,
        ),
        http_header_timeout=_seconds(
            "VAKT_HTTP_HEADER_TIMEOUT",
            values.get("VAKT_HTTP_HEADER_TIMEOUT"),
            10.0,
            MAX_HTTP_TIMEOUT,
        ),
        http_body_timeout=_seconds(
            "VAKT_HTTP_BODY_TIMEOUT", values.get("VAKT_HTTP_BODY_TIMEOUT"), 20.0, MAX_HTTP_TIMEOUT
        ),
        meta_app_secret=values.get("META_APP_SECRET") or None,
        meta_verify_token=values.get("META_VERIFY_TOKEN") or None,
        meta_access_token=values.get("META_ACCESS_TOKEN") or None,
        meta_graph_url=_graph_url(values.get("META_GRAPH_URL")),
    )
