"""pytest fixtures for tests that talk to the fakes.

Use them from a test module or the top-level ``tests/conftest.py`` with
``pytest_plugins = ["tests.fakeslack.fixtures"]``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .socket_mode import FakeSocketModeServer
from .web import FakeSlack

PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")


@pytest.fixture
def no_slack_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unset proxy variables: slack_sdk's WebClient, WebhookClient and Socket Mode client read
    them and ignore ``NO_PROXY``, so loopback calls would go to the proxy."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake_slack(no_slack_proxy: None) -> Iterator[FakeSlack]:
    """A running :class:`FakeSlack`."""
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def socket_mode_server(fake_slack: FakeSlack) -> Iterator[FakeSocketModeServer]:
    """A running :class:`FakeSocketModeServer`, attached to ``fake_slack``."""
    with FakeSocketModeServer() as server:
        fake_slack.socket_mode = server
        yield server
        fake_slack.socket_mode = None
