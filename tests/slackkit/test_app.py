"""The Bolt app Vakt builds: what Bolt itself says while it is made."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.kernel.config import parse_config
from bot.runtime import build_runtime
from bot.settings import load_settings
from tests.harness import CONFIG, SECRET


def test_a_token_in_the_environment_is_not_called_unused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # As systemd's EnvironmentFile= (or a container) gives it: in the process environment,
    # where Bolt looks for it too although Vakt hands it a client with that very token.
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token")
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_API_URL": "http://127.0.0.1:9/api/",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'vakt.sqlite3'}",
        },
        env_file=tmp_path / "no.env",
    )
    runtime = build_runtime(settings, parse_config(CONFIG, "vakt.toml"))
    try:
        with caplog.at_level(logging.DEBUG, logger="slack_bolt"):
            runtime.app(signing_secret=None)  # Socket Mode
            runtime.app(signing_secret=SECRET)  # HTTP mode
            # Bolt's other warnings still reach the log.
            logging.getLogger("slack_bolt.App").warning("As you gave something, it is ignored.")
    finally:
        runtime.engine.dispose()
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert said == ["As you gave something, it is ignored."]
