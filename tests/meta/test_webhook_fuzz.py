"""Fuzzing Meta's webhook (hypothesis): Meta's own samples with any node at any depth replaced
by any JSON type, and bodies that are no JSON at all, signed with the app secret and sent over
real HTTP to a running Vakt. Whatever arrives, the answer is never a 5xx, nothing is logged as
an exception, and the changes that were stored are all taken."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from bot.store.db import session_scope
from bot.store.models import MetaChange
from tests.fakeslack import FakeSlack
from tests.harness import OSLO, Vakt
from tests.meta.test_webhook import APP_SECRET, PAGE, connect, deliver, sign

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "meta" / "payloads" / "restfb"
WEBHOOKS = sorted(p for p in SAMPLES.glob("*.json") if p.name.startswith(("webhook-", "ig-wh-")))

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def paths(node: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield at
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*at, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths(value, (*at, index))


def replaced(node: Any, at: tuple[Any, ...], value: Any) -> Any:
    if not at:
        return value
    copy = json.loads(json.dumps(node))
    target = copy
    for step in at[:-1]:
        target = target[step]
    target[at[-1]] = value
    return copy


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Vakt]:
    tmp = tmp_path_factory.mktemp("fuzz")
    with FakeSlack() as fake:
        harness = Vakt(
            fake,
            f"sqlite:///{tmp / 'fuzz.sqlite3'}",
            tmp,
            datetime(2026, 11, 23, 10, 0, tzinfo=OSLO),
            env={"META_APP_SECRET": APP_SECRET},
        )
        connect(harness)
        yield harness
        harness.close()


def test_the_samples_are_there() -> None:
    assert len(WEBHOOKS) >= 10, SAMPLES


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_signed_body_is_answered_without_a_5xx(
    running: Vakt, data: st.DataObject, caplog: pytest.LogCaptureFixture
) -> None:
    sample = json.loads(data.draw(st.sampled_from(WEBHOOKS)).read_text())
    sample = json.loads(json.dumps(sample).replace("1234567890321", PAGE))
    where = data.draw(st.sampled_from(list(paths(sample))))
    body_kind = data.draw(st.sampled_from(["json", "bytes"]))
    if body_kind == "json":
        body = json.dumps(replaced(sample, where, data.draw(JSON))).encode()
    else:
        body = data.draw(st.binary(max_size=200))
    with caplog.at_level(logging.WARNING):
        reply = deliver(running, body, sign(body))
    assert reply.status < 500, (reply.status, body[:200])
    assert reply.status == 200
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]


def test_what_the_fuzzing_stored_was_all_taken(running: Vakt) -> None:
    running.runtime.sweep()
    with session_scope(running.runtime.engine) as session:
        pending = session.exec(
            select(func.count()).select_from(MetaChange).where(MetaChange.status == "pending")
        ).one()
    assert pending == 0
