from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tests.fakeslack import FakeSlack
from tests.harness import OSLO, Vakt


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def vakt(fake: FakeSlack, sqlite_url: str, tmp_path: Path) -> Iterator[Vakt]:
    # Monday 23 November 2026 (ISO week 48), 10:00 in Oslo: the office is open.
    harness = Vakt(fake, sqlite_url, tmp_path, datetime(2026, 11, 23, 10, 0, tzinfo=OSLO))
    yield harness
    harness.close()
    # Every call the app made must have passed Slack's spec and Block Kit validation.
    fake.assert_no_errors()
