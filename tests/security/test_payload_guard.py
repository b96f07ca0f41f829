"""Signed requests with values Vakt did not write, over real HTTP.

A form whose private_metadata is not what Vakt wrote, a button whose value is not, is answered
as out of date, in the reader's language, and changes nothing (it was a traceback, or an
int() that read digits Vakt never writes).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from bot.slack import ids
from bot.slack import lifecycle_blocks as lb
from bot.slack import register_blocks as regb
from bot.slack import request_blocks as reqb
from bot.slack.activity_blocks import ACTIVITY_POSTED
from bot.store.models import Item
from tests.fakeslack import (
    FakeSlack,
    block_actions_payload,
    view_submission_payload,
)
from tests.harness import Vakt
from tests.security._helpers import (
    INTAKE,
    INTERACTIVE,
    NOW,
    ROLES,
    SECURITY_CONFIG,
    Captured,
    build_state,
    capture_logs,
    changes,
    dump,
    post_payload,
)

MEMBER, COORDINATOR, MANAGER = ROLES["member"], ROLES["coordinator"], ROLES["manager"]
CACHES = ("person", "slack_event")  # a locale met for the first time; a delivery recorded


@pytest.fixture
def vakt(fake: FakeSlack, db_url: str, tmp_path: Path) -> Iterator[Vakt]:
    harness = Vakt(fake, db_url, tmp_path, NOW, config_text=SECURITY_CONFIG)
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


def answered_at(vakt: Vakt, name: str) -> dict[str, Any] | None:
    """What Vakt sent to the fake response_url `name`, if anything."""
    found = [c.args for c in vakt.fake.calls_to("response_url") if c.path.endswith(f"/{name}")]
    return found[-1] if found else None


def one_warning(logs: Captured, logger: str) -> None:
    """Exactly one line in the log, a warning from `logger`; no traceback, no error."""
    lines = logs.rendered()
    assert logs.errors() == [], lines
    assert len(lines) == 1 and lines[0].startswith(f"WARNING {logger}:"), lines
    assert "\n" not in lines[0], lines


# ---------------------------------------------------------------- values Vakt did not write


def submit_raw(vakt: Vakt, callback: str, values: dict[str, Any], metadata: str) -> Any:
    payload = view_submission_payload(
        callback, values, user_id=COORDINATOR, private_metadata=metadata
    )
    reply = post_payload(vakt, INTERACTIVE, payload)
    vakt.idle()
    assert reply.status == 200, reply.body
    return json.loads(reply.body) if reply.body else {}


def text_input(block: str, value: str) -> dict[str, Any]:
    return {block: {block: {"type": "plain_text_input", "value": value}}}


def test_a_form_vakt_did_not_write_is_out_of_date(vakt: Vakt, logs: Captured) -> None:
    state = build_state(vakt)
    reference = text_input(ids.FIELD_REFERENCE, "2026/123")
    decline = text_input(reqb.FIELD_REASON, "Nei")
    keep = text_input(lb.FIELD_KEEP_REASON, "Brukes")
    waive = text_input(lb.FIELD_WAIVE_REASON, "Ikke aktuelt")
    url = {ids.FIELD_URL: {ids.FIELD_URL: {"type": "url_text_input", "value": None}}}
    account = {ids.FIELD_ACCOUNT: {ids.FIELD_ACCOUNT: {"selected_option": {"value": "fb-main"}}}}
    track = {**account, **url}
    stale = [
        # JSON numbers no id is (1e400 is infinite), or ids that are not the number Vakt wrote
        (ids.REGISTER_VIEW, reference, '{"item": 1e400}'),
        (ids.REGISTER_VIEW, reference, f'{{"item": {state.item}.0}}'),
        (ids.REGISTER_VIEW, reference, '{"item": true}'),
        (reqb.DECLINE_VIEW, decline, '{"request": 1e400}'),
        (reqb.DECLINE_VIEW, decline, f'{{"request": "{state.request}"}}'),
        (ids.DELETION_VIEW, {}, '{"item": 1e400}'),
        (ids.DELETION_VIEW, {}, '{"deletion": [1]}'),
        (ids.SNAPSHOT_VIEW, {}, '{"account": ["fb-main"]}'),
        (lb.FLAG_KEEP_VIEW, keep, "١٢"),  # Arabic-Indic digits: int() reads them, Vakt never
        (lb.FLAG_KEEP_VIEW, keep, f" {state.flag}"),
        (lb.CLOSURE_WAIVE_VIEW, waive, "1e400:followers_told"),
        (ids.TRACK_VIEW, track, '{"c": {"id": "C0INTAKE"}, "ts": "1797238000.000100"}'),
        (ids.TRACK_VIEW, track, '{"c": "C0INTAKE", "ts": ["1797238000.000100"]}'),
        (regb.ACCOUNT_VIEW, {}, '{"mode": "edit", "key": ["fb-main"]}'),
        (ids.REGISTER_VIEW, reference, "not json"),
        (reqb.DECLINE_VIEW, decline, "[1]"),
    ]
    before = dump(vakt.runtime.engine)
    wrong = {}
    for callback, values, metadata in stale:
        logs.clear()
        answer = submit_raw(vakt, callback, values, metadata)
        said = list((answer.get("errors") or {}).values())
        if answer.get("response_action") != "errors" or said != [
            "This form is out of date. Close it and open it again."
        ]:
            wrong[(callback, metadata)] = answer
        if logs.errors():
            wrong[(callback, metadata)] = logs.errors()[0][:300]
    assert wrong == {}
    assert changes(before, dump(vakt.runtime.engine), CACHES) == {}


def test_a_button_value_vakt_did_not_write_is_out_of_date(vakt: Vakt, logs: Captured) -> None:
    state = build_state(vakt)
    odd: list[Any] = [None, [str(state.swap)], 1e400, True, {"id": state.swap}, "١", " 1"]
    # "Show more" carries a position and the query: a position below 0 or past what a
    # database integer holds was an error from the database (PostgreSQL refuses both).
    positions: list[Any] = ["-5|0|", "99999999999999999999|0|", "١|0|", "1e3|0|", "5"]
    presses = [
        (ids.SWAP_ACCEPT, ROLES["colleague"], odd),
        (ids.ITEM_ANSWERED, MEMBER, odd),
        (ids.ITEM_REGISTER, MEMBER, odd),
        (reqb.APPROVE, MANAGER, odd),
        (ACTIVITY_POSTED, MEMBER, odd),
        (ids.UNANSWERED_MORE, COORDINATOR, odd + positions),
    ]
    before = dump(vakt.runtime.engine)
    wrong = {}
    for action_id, user, values in presses:
        for n, value in enumerate(values):
            logs.clear()
            name = f"odd-{action_id}-{n}"
            payload = block_actions_payload(
                action_id,
                None,
                user_id=user,
                channel_id=INTAKE,
                response_url=vakt.fake.response_url(name),
                trigger_id="111.222.odd",
                action={} if value is None else {"value": value},
            )
            assert post_payload(vakt, INTERACTIVE, payload).status == 200
            vakt.idle()
            said = (answered_at(vakt, name) or {}).get("text")
            if said != "That button is out of date." or logs.errors():
                wrong[(action_id, repr(value))] = said, logs.errors()[:1]
    assert wrong == {}
    assert changes(before, dump(vakt.runtime.engine), CACHES) == {}
