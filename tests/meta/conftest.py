"""The fake Graph API, started for a test and stopped after it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.meta.fakegraph import FakeGraph


@pytest.fixture
def fake_graph() -> Iterator[FakeGraph]:
    with FakeGraph() as fake:
        yield fake
