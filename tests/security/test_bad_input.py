"""Regressions of what the fuzzing found: input no real Slack client sends, but that must still
be answered or ignored – never an exception, never a half-written row.

- a modal state not shaped like Slack's (a list or a text where an input's state is, a wrong
  type inside it, no state at all), a date-time picker or a file's upload time beyond year 9999,
  private_metadata that is JSON but not an object;
- Events API events with a timestamp that is not one ("abc", "1e400", a list), an `item` or
  `files` or `attachments` that is not what Slack sends;
- NUL characters (PostgreSQL's text refuses them) and lone surrogates (JSON's "\\ud800", never
  valid UTF-8) in `/vakt` texts, forms and the intake's JSON: dropped and replaced, the same way
  every time (an id sent twice is still one id).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from bot.archive import ids as archive_ids
from bot.items import ids as item_ids
from bot.kernel.parse import clean, clean_text, tokens
from bot.store.models import Absence, AccountPost, Item
from bot.web.intake import parse_intake
from tests.fakeslack import FakeSlack
from tests.harness import INTAKE_TOKEN, Vakt
from tests.security._helpers import (
    INTAKE,
    NOW,
    ROLES,
    SECURITY_CONFIG,
    Captured,
    capture_logs,
    changes,
    dump,
    event,
    introduce,
    slash,
    submit,
)

MEMBER = ROLES["member"]


@pytest.fixture
def vakt(fake: FakeSlack, db_url: str, tmp_path: Path) -> Iterator[Vakt]:
    harness = Vakt(fake, db_url, tmp_path, NOW, config_text=SECURITY_CONFIG)
    introduce(harness)
    yield harness
    harness.close()
    fake.assert_no_errors()


@pytest.fixture
def logs() -> Iterator[Captured]:
    with capture_logs(logging.WARNING) as captured:
        yield captured


def rows(vakt: Vakt, model: Any) -> list[Any]:
    with Session(vakt.runtime.engine) as session:
        return list(session.exec(select(model).order_by(col(model.id))).all())


def _select(value: Any) -> dict[str, Any]:
    return {"type": "static_select", "selected_option": {"value": value}}


NEW_ITEM_STATES: list[Any] = [
    {},
    {
        item_ids.FIELD_ACCOUNT: ["fb-main"],
        item_ids.FIELD_URL: "https://x.no/1",
        item_ids.FIELD_NOTE: None,
    },
    {
        item_ids.FIELD_ACCOUNT: {item_ids.FIELD_ACCOUNT: "fb-main"},
        item_ids.FIELD_URL: {item_ids.FIELD_URL: 7},
    },
    {
        item_ids.FIELD_ACCOUNT: {item_ids.FIELD_ACCOUNT: _select(["fb-main"])},
        item_ids.FIELD_URL: {
            item_ids.FIELD_URL: {"type": "url_text_input", "value": ["https://x.no"]}
        },
        item_ids.FIELD_RECEIVED: {item_ids.FIELD_RECEIVED: {"selected_date_time": 10**20}},
        item_ids.FIELD_NOTE: {item_ids.FIELD_NOTE: {"value": {"text": "hei"}}},
    },
    {
        item_ids.FIELD_ACCOUNT: {item_ids.FIELD_ACCOUNT: _select("fb-main")},
        item_ids.FIELD_URL: {item_ids.FIELD_URL: {"value": "https://x.no/2"}},
        item_ids.FIELD_RECEIVED: {item_ids.FIELD_RECEIVED: {"selected_date_time": -(2**63)}},
    },
]


def test_a_modal_state_not_shaped_like_slacks_gets_field_errors(vakt: Vakt, logs: Captured) -> None:
    before = dump(vakt.runtime.engine)
    for state in NEW_ITEM_STATES:
        reply, answer = submit(vakt, item_ids.NEW_ITEM_VIEW, state, MEMBER)
        assert reply.status == 200 and answer["response_action"] == "errors", (state, answer)
    # A deletion whose time is beyond year 9999 and whose file says it was made then too,
    # with metadata that is JSON but not an object; a snapshot's with no object either.
    file = {"id": "F0BAD", "name": "x.png", "mimetype": "image/png", "size": 9, "created": 10**20}
    deletion = {
        archive_ids.FIELD_DELETED_AT: {
            archive_ids.FIELD_DELETED_AT: {"selected_date_time": 10**20}
        },
        archive_ids.FIELD_REASON: {archive_ids.FIELD_REASON: _select("spam")},
        item_ids.FIELD_ACCOUNT: {item_ids.FIELD_ACCOUNT: _select("fb-main")},
        archive_ids.FIELD_FILES: {archive_ids.FIELD_FILES: {"files": [file, "F0X", None]}},
        archive_ids.FIELD_SUMMARY: {archive_ids.FIELD_SUMMARY: {"value": 42}},
    }
    for metadata in ("{}", "null", "[1]", "7"):
        reply, answer = submit(vakt, archive_ids.DELETION_VIEW, deletion, MEMBER, metadata)
        assert reply.status == 200 and answer["response_action"] == "errors", answer
    for metadata in ("null", '{"account": null}', '"fb-main"'):
        snapshot = {
            archive_ids.FIELD_ARCHIVE_LINK: {
                archive_ids.FIELD_ARCHIVE_LINK: {"value": "https://a.no/1"}
            }
        }
        reply, answer = submit(vakt, archive_ids.SNAPSHOT_VIEW, snapshot, MEMBER, metadata)
        assert reply.status == 200 and answer["response_action"] == "errors", answer
    _, answer = submit(
        vakt, item_ids.TRACK_VIEW, NEW_ITEM_STATES[4], MEMBER, '{"c": "C1", "ts": "1e400"}'
    )
    assert answer["response_action"] == "errors", answer
    # Multi-selects whose choices are not a list (found by the fuzzer: a 500 before the ack).
    from bot.register import blocks as register_blocks
    from bot.requests import blocks as request_blocks

    for callback, metadata, user in (
        (register_blocks.ACCOUNT_VIEW, '{"mode": "add"}', "U0COORD1"),
        (request_blocks.REQUEST_VIEW, "", MEMBER),
    ):
        forged = {
            f"{prefix}_{name}": {f"{prefix}_{name}": {field: True}}
            for prefix in ("acct", "rq")
            for name, field in (("access", "selected_options"), ("admins", "selected_users"))
        }
        reply, answer = submit(vakt, callback, forged, user, metadata)
        assert reply.status == 200 and answer["response_action"] == "errors", answer
    assert changes(before, dump(vakt.runtime.engine)) == {}
    assert logs.errors() == []


def test_events_that_are_not_slacks_are_ignored(vakt: Vakt, logs: Captured) -> None:
    before = dump(vakt.runtime.engine)
    base = {"type": "message", "user": "U111", "channel": INTAKE, "text": "Hei?"}
    odd: list[dict[str, Any]] = [
        {**base, "ts": "abc"},
        {**base, "ts": "1e400"},
        {**base, "ts": "nan"},
        {**base, "ts": ["1700000000.000100"]},
        {**base, "ts": "9" * 400},
        {**base, "ts": "1797238000.000100", "thread_ts": "1797237000.000100", "files": True},
        {**base, "subtype": "message_deleted", "deleted_ts": {"x": 1}},
        {"type": "reaction_added", "user": MEMBER, "reaction": "white_check_mark", "item": [1]},
        {"type": "reaction_added", "user": MEMBER, "reaction": "wastebasket", "item": "x"},
        {
            "type": "reaction_added",
            "user": MEMBER,
            "reaction": "wastebasket",
            "item": {"type": "message", "channel": INTAKE, "ts": 17},
        },
    ]
    for payload in odd:
        assert event(vakt, payload).status == 200, payload
    assert changes(before, dump(vakt.runtime.engine), ("slack_event",)) == {}
    # Attachments that are not a list do not stop a question from being taken in.
    event(vakt, {**base, "ts": f"{NOW.timestamp() - 60:.6f}", "attachments": {"text": "x"}})
    assert len(rows(vakt, Item)) == 1
    assert logs.errors() == []


def test_nul_and_lone_surrogates_are_dropped_not_crashed_on(vakt: Vakt, logs: Captured) -> None:
    """On PostgreSQL these were exceptions (a NUL in text, a surrogate in UTF-8)."""
    assert "Saved" in slash(vakt, "away 2027-01-04 syk \x00nul", MEMBER).text
    assert rows(vakt, Absence)[0].note == "nul"
    assert "Recorded a post" in slash(vakt, "posted fb-main\x00", MEMBER).text
    assert len(rows(vakt, AccountPost)) == 1
    headers = {"Authorization": f"Bearer {INTAKE_TOKEN}", "Content-Type": "application/json"}
    received = NOW.isoformat()
    raw = (
        '{"account": "fb-main\\u0000", "external_id": "fb:\\ud800\\u0000x",'
        ' "url": "https://www.facebook.com/testrud/posts/1",'
        f' "received_at": "{received}", "text": "Hei\\u0000 \\udfff!"}}'
    ).encode()
    first = vakt.post("/intake", raw, headers)
    again = vakt.post("/intake", raw, headers)
    assert (first.status, again.status) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    (item,) = rows(vakt, Item)
    assert item.external_id == "fb:\ufffdx" and item.excerpt == "Hei \ufffd!"
    values = {
        item_ids.FIELD_ACCOUNT: {item_ids.FIELD_ACCOUNT: _select("fb-main")},
        item_ids.FIELD_URL: {
            item_ids.FIELD_URL: {"value": "https://www.facebook.com/testrud/posts/2"}
        },
        item_ids.FIELD_RECEIVED: {
            item_ids.FIELD_RECEIVED: {"selected_date_time": int(NOW.timestamp()) - 60}
        },
        item_ids.FIELD_NOTE: {item_ids.FIELD_NOTE: {"value": "nul\x00 og \ud800"}},
    }
    _, answer = submit(vakt, item_ids.NEW_ITEM_VIEW, values, MEMBER)
    assert answer["response_action"] == "update", answer
    assert rows(vakt, Item)[-1].excerpt == "nul og \ufffd"
    vakt.idle()
    assert logs.errors() == []


def test_clean() -> None:
    assert clean_text("a\x00b") == "ab"
    assert clean_text("x\ud800y\udfff") == "x\ufffdy\ufffd"
    assert clean_text("Ærlig talt 😀") == "Ærlig talt 😀"
    assert clean({"k\x00": ["v\x00", 1, None, {"n": "\ud83d"}]}) == {
        "k": ["v", 1, None, {"n": "\ufffd"}]
    }
    assert tokens("away\x00 2027-01-04 \x00") == ["away", "2027-01-04"]
    body = json.dumps(
        {
            "account": "fb-main",
            "external_id": "a\ud800",
            "url": "https://x.no/1",
            "received_at": NOW.isoformat(),
            "text": "\x00",
        }
    ).encode()
    request = parse_intake(body)
    assert request.external_id == "a\ufffd" and request.text is None
