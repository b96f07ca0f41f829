"""Signed requests that no listener should see, over real HTTP and Socket Mode.

- A payload not shaped as Slack sends it (`actions` a text or empty, `view` a text or a
  number, an event that is a list or null, a user that is no object ...) was a 500 with a
  traceback, and Slack sent it again: now it is a plain 200 (an acknowledged envelope), one
  warning line, nothing changed, nothing sent.
- A form whose private_metadata is not what Vakt wrote, a button whose value is not, is answered
  as out of date, in the reader's language, and changes nothing.
- A request from another workspace than the one Vakt's token belongs to (auth.test) is refused:
  an event is acknowledged and ignored, a slash command told in a few words; the same request
  from Vakt's workspace – or from another workspace of the same Enterprise Grid organisation –
  is served.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from bot.activity.blocks import ACTIVITY_POSTED
from bot.archive import ids as archive_ids
from bot.items import ids as item_ids
from bot.lifecycle import blocks as lb
from bot.register import blocks as regb
from bot.requests import blocks as reqb
from bot.rota import ids as rota_ids
from bot.slackkit.socket_mode import SocketModeRunner
from bot.store.models import Absence, Item
from tests.fakeslack import (
    FakeSlack,
    FakeSocketModeServer,
    block_actions_payload,
    event_payload,
    message_action_payload,
    slash_command_payload,
    socket_mode_envelope,
    view_submission_payload,
)
from tests.fakeslack.responses import auth_test
from tests.harness import Vakt
from tests.security._helpers import (
    COMMAND,
    EVENT,
    INTAKE,
    INTERACTIVE,
    NOW,
    ROLES,
    SECURITY_CONFIG,
    Captured,
    State,
    build_state,
    capture_logs,
    changes,
    dump,
    introduce,
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


# What Slack shows for a command from a workspace Vakt does not serve (the ack's plain text).
REFUSAL = {"text": "Vakt does not serve this workspace."}


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


# ---------------------------------------------------------------- payloads not shaped as Slack's


def press_payload(vakt: Vakt, state: State, url: str) -> dict[str, Any]:
    return block_actions_payload(
        item_ids.ITEM_ANSWERED,
        str(state.item),
        user_id=MEMBER,
        channel_id=INTAKE,
        response_url=vakt.fake.response_url(url),
        trigger_id="111.222.press",
    )


def decline_payload(state: State) -> dict[str, Any]:
    values = {reqb.FIELD_REASON: {reqb.FIELD_REASON: {"type": "plain_text_input", "value": "Nei"}}}
    return view_submission_payload(
        reqb.DECLINE_VIEW,
        values,
        user_id=COORDINATOR,
        private_metadata=json.dumps({"request": state.request}),
    )


def message_payload(vakt: Vakt, n: int) -> dict[str, Any]:
    ts = f"{vakt.clock.now.timestamp() - 60 - n:.6f}"
    event = {"type": "message", "user": "U111", "text": f"Spørsmål {n}?", "channel": INTAKE}
    return event_payload({**event, "ts": ts, "event_ts": ts}, event_id=f"EvShape{n}")


def _set(payload: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    copy = json.loads(json.dumps(payload))
    node = copy
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return copy


def _drop(payload: dict[str, Any], path: tuple[str | int, ...]) -> dict[str, Any]:
    copy = json.loads(json.dumps(payload))
    node = copy
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return copy


# What the outside probe sent, and its relatives: (the valid payload, the node, its new value).
BROKEN_PRESSES: list[tuple[tuple[str | int, ...], Any]] = [
    (("actions",), "x"),
    (("actions",), []),
    (("actions",), None),
    (("actions",), [None]),
    (("actions",), [{}]),
    (("user",), "U0ANNA"),
    (("user",), []),
    (("container",), "x"),
    (("container",), None),  # found by the fuzzer: a press from nowhere, answered nowhere
    (("container", "type"), None),
    (("response_url",), "x"),
    (("response_url",), None),
    (("channel",), "C0INTAKE"),
    (("trigger_id",), None),
    (("type",), None),
]
BROKEN_FORMS: list[tuple[tuple[str | int, ...], Any]] = [
    (("view",), "x"),
    (("view",), 5),
    (("view",), []),
    (("view",), None),
    (("view", "callback_id"), 5),
    (("view", "private_metadata"), ["x"]),
    (("view", "app_installed_team_id"), {"id": "T111"}),
    (("user",), None),
]
BROKEN_EVENTS: list[tuple[tuple[str | int, ...], Any]] = [
    (("event",), []),
    (("event",), None),
    (("event",), "x"),
    (("event",), [{"type": "message"}]),
    (("event", "type"), None),
    (("event", "user"), ["U111"]),
    (("event_id",), 5),
    (("authorizations",), [{"team_id": 5}]),
]


def test_payloads_not_shaped_as_slacks_are_a_plain_200(vakt: Vakt, logs: Captured) -> None:
    state = build_state(vakt)
    cases: list[tuple[str, dict[str, Any]]] = []
    for n, (path, value) in enumerate(BROKEN_PRESSES):
        cases.append((INTERACTIVE, _set(press_payload(vakt, state, f"broken-{n}"), path, value)))
    cases.append((INTERACTIVE, _drop(press_payload(vakt, state, "no-actions"), ("actions",))))
    cases.append((INTERACTIVE, _drop(press_payload(vakt, state, "no-where"), ("container",))))
    cases += [(INTERACTIVE, _set(decline_payload(state), p, v)) for p, v in BROKEN_FORMS]
    cases += [
        (EVENT, _set(message_payload(vakt, n), path, value))
        for n, (path, value) in enumerate(BROKEN_EVENTS)
    ]
    before, calls = dump(vakt.runtime.engine), len(vakt.fake.calls)
    outcomes = {}
    for kind, payload in cases:
        logs.clear()
        reply = post_payload(vakt, kind, payload)
        vakt.idle()
        try:
            one_warning(logs, "bot.slackkit.guard")
            outcome = (reply.status, reply.body)
        except AssertionError as failure:
            outcome = (reply.status, str(failure)[:300].encode())
        if outcome != (200, b""):
            outcomes[json.dumps(payload)[:200]] = outcome
    assert outcomes == {}
    assert changes(before, dump(vakt.runtime.engine)) == {}
    assert [c.method for c in vakt.fake.calls[calls:]] == []
    # The same requests as Slack sends them are served: the boundary is the shape.
    logs.clear()
    assert post_payload(vakt, INTERACTIVE, press_payload(vakt, state, "good")).status == 200
    vakt.idle()
    assert "answered" in Vakt.reply_text(answered_at(vakt, "good") or {})
    reply = post_payload(vakt, INTERACTIVE, decline_payload(state))
    assert json.loads(reply.body)["response_action"] == "update"
    assert post_payload(vakt, EVENT, message_payload(vakt, 99)).status == 200
    vakt.idle()
    assert any(i.excerpt == "Spørsmål 99?" for i in rows(vakt, Item))
    assert logs.errors() == []


def test_a_request_no_listener_takes_is_one_line_in_the_log(vakt: Vakt, logs: Captured) -> None:
    """Slack's shape, but nothing of Vakt's: Bolt's 404, and one line in the log (Bolt's own
    warning is a dozen lines of sample code)."""
    introduce(vakt)
    unknown = [
        (COMMAND, slash_command_payload("hei", user_id=MEMBER, command="/hello")),
        (
            INTERACTIVE,
            block_actions_payload("someone_elses\nbutton", "1", user_id=MEMBER, trigger_id="1.2"),
        ),
        (EVENT, event_payload({"type": "emoji_changed", "subtype": "add"}, event_id="EvEmoji1")),
    ]
    said = []
    for kind, payload in unknown:
        logs.clear()
        assert post_payload(vakt, kind, payload).status == 404
        vakt.idle()
        one_warning(logs, "bot.slackkit.app")
        said.append(logs.rendered()[0].split(": ", 1)[1])
    assert said == [
        "no listener for a request: command '/hello'",
        "no listener for a request: block_actions 'someone_elses\\nbutton'",
        "no listener for a request: event 'emoji_changed'",
    ]


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
    reference = text_input(item_ids.FIELD_REFERENCE, "2026/123")
    decline = text_input(reqb.FIELD_REASON, "Nei")
    keep = text_input(lb.FIELD_KEEP_REASON, "Brukes")
    waive = text_input(lb.FIELD_WAIVE_REASON, "Ikke aktuelt")
    url = {item_ids.FIELD_URL: {item_ids.FIELD_URL: {"type": "url_text_input", "value": None}}}
    account = {
        item_ids.FIELD_ACCOUNT: {item_ids.FIELD_ACCOUNT: {"selected_option": {"value": "fb-main"}}}
    }
    track = {**account, **url}
    stale = [
        # JSON numbers no id is (1e400 is infinite), or ids that are not the number Vakt wrote
        (item_ids.REGISTER_VIEW, reference, '{"item": 1e400}'),
        (item_ids.REGISTER_VIEW, reference, f'{{"item": {state.item}.0}}'),
        (item_ids.REGISTER_VIEW, reference, '{"item": true}'),
        (reqb.DECLINE_VIEW, decline, '{"request": 1e400}'),
        (reqb.DECLINE_VIEW, decline, f'{{"request": "{state.request}"}}'),
        (archive_ids.DELETION_VIEW, {}, '{"item": 1e400}'),
        (archive_ids.DELETION_VIEW, {}, '{"deletion": [1]}'),
        (archive_ids.SNAPSHOT_VIEW, {}, '{"account": ["fb-main"]}'),
        (lb.FLAG_KEEP_VIEW, keep, "١٢"),  # Arabic-Indic digits: int() reads them, Vakt never
        (lb.FLAG_KEEP_VIEW, keep, f" {state.flag}"),
        (lb.CLOSURE_WAIVE_VIEW, waive, "1e400:followers_told"),
        (item_ids.TRACK_VIEW, track, '{"c": {"id": "C0INTAKE"}, "ts": "1797238000.000100"}'),
        (item_ids.TRACK_VIEW, track, '{"c": "C0INTAKE", "ts": ["1797238000.000100"]}'),
        (regb.ACCOUNT_VIEW, {}, '{"mode": "edit", "key": ["fb-main"]}'),
        (item_ids.REGISTER_VIEW, reference, "not json"),
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
        (rota_ids.SWAP_ACCEPT, ROLES["colleague"], odd),
        (item_ids.ITEM_ANSWERED, MEMBER, odd),
        (item_ids.ITEM_REGISTER, MEMBER, odd),
        (reqb.APPROVE, MANAGER, odd),
        (ACTIVITY_POSTED, MEMBER, odd),
        (item_ids.UNANSWERED_MORE, COORDINATOR, odd + positions),
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


# ---------------------------------------------------------------- Socket Mode


@pytest.fixture
def socket(vakt: Vakt) -> Iterator[tuple[FakeSocketModeServer, SocketModeRunner]]:
    server = FakeSocketModeServer().start()
    vakt.fake.socket_mode = server
    app = vakt.runtime.app(signing_secret=None, listener_executor=vakt.executor)
    runner = SocketModeRunner(app, "xapp-1-test", check_interval=0.1, max_backoff=0.4)
    try:
        runner.start()
        server.wait_connected(1, timeout=30)
        yield server, runner
    finally:
        runner.close()
        server.stop()


def cmd(vakt: Vakt, url: str, text: str = "away 2027-03-01", **extra: str) -> dict[str, Any]:
    """`/vakt <text>` by a member, answered at the fake response_url `url`."""
    return slash_command_payload(
        text, user_id=MEMBER, response_url=vakt.fake.response_url(url), extra=extra
    )


def test_frames_not_shaped_as_slacks_are_acknowledged_over_socket_mode(
    vakt: Vakt,
    socket: tuple[FakeSocketModeServer, SocketModeRunner],
    logs: Captured,
) -> None:
    server, runner = socket
    state = build_state(vakt)
    envelopes = [
        socket_mode_envelope(
            _set(press_payload(vakt, state, "sm-1"), ("actions",), "x"), INTERACTIVE
        ),
        socket_mode_envelope(
            _set(press_payload(vakt, state, "sm-2"), ("actions",), []), INTERACTIVE
        ),
        socket_mode_envelope(_set(decline_payload(state), ("view",), "x"), INTERACTIVE),
        socket_mode_envelope(_set(message_payload(vakt, 1), ("event",), None), EVENT),
        socket_mode_envelope(_set(message_payload(vakt, 2), ("event",), []), EVENT),
        socket_mode_envelope(_set(cmd(vakt, "sm-3"), ("user_id",), 5), COMMAND),
        {**socket_mode_envelope(cmd(vakt, "sm-4"), COMMAND), "payload": [1]},
        {**socket_mode_envelope(cmd(vakt, "sm-5"), COMMAND), "type": None},
    ]
    before = dump(vakt.runtime.engine)
    for envelope in envelopes:
        logs.clear()
        server.wait_ack(server.send_envelope(envelope), timeout=30)
        vakt.idle()
        assert len(logs.rendered()) == 1 and logs.errors() == [], logs.rendered()
    # Frames with nothing to acknowledge them by: dropped with a line each.
    for frame in ("{not json", "[1, 2]", json.dumps({"envelope_id": 5, "payload": {}})):
        logs.clear()
        server.send_frame(frame)
        ok = socket_mode_envelope(cmd(vakt, f"sm-after-{len(frame)}", "who"), COMMAND)
        server.wait_ack(server.send_envelope(ok), timeout=30)
        vakt.idle()
        assert logs.errors() == [] and len(logs.rendered()) == 1, logs.rendered()
    assert changes(before, dump(vakt.runtime.engine), CACHES) == {}
    assert not any(answered_at(vakt, f"sm-{n}") for n in range(1, 6))
    assert server.connection_count == 1 and runner.reconnects == 0
    # Still connected, and an envelope Slack would send is served.
    good = socket_mode_envelope(cmd(vakt, "sm-good"), COMMAND)
    server.wait_ack(server.send_envelope(good), timeout=30)
    vakt.idle()
    assert "Saved" in Vakt.reply_text(answered_at(vakt, "sm-good") or {})


# ---------------------------------------------------------------- another workspace

OTHER = "T0OTHER"


def test_requests_from_another_workspace_are_refused(vakt: Vakt, logs: Captured) -> None:
    introduce(vakt)
    before, calls = dump(vakt.runtime.engine), len(vakt.fake.calls)
    # /vakt from another team: a few words, the command not run.
    reply = post_payload(vakt, COMMAND, cmd(vakt, "other-cmd", team_id=OTHER))
    vakt.idle()
    assert (reply.status, reply.body) == (200, b"Vakt does not serve this workspace.")
    one_warning(logs, "bot.slackkit.guard")
    # A question posted in the intake channel, but delivered for another installation.
    event = message_payload(vakt, 1)
    for payload in (
        {**event, "team_id": OTHER},
        {**event, "authorizations": [{"team_id": OTHER, "user_id": "U0VAKT", "is_bot": True}]},
        {**event, "team_id": None, "enterprise_id": "E0OTHER"},
    ):
        logs.clear()
        assert (post_payload(vakt, EVENT, payload).status, payload) == (200, payload)
        vakt.idle()
        one_warning(logs, "bot.slackkit.guard")
    # A button and a shortcut from another team, a modal Slack says another team's app opened.
    logs.clear()
    press = block_actions_payload(
        item_ids.ITEM_ANSWERED,
        "1",
        user_id=MEMBER,
        channel_id=INTAKE,
        response_url=vakt.fake.response_url("other-press"),
        trigger_id="111.222.other",
    )
    press["team"]["id"] = OTHER
    assert post_payload(vakt, INTERACTIVE, press).status == 200
    shortcut = message_action_payload(
        item_ids.TRACK_SHORTCUT,
        {"type": "message", "user": "U111", "ts": "1797238000.000100", "text": "Hei?"},
        user_id=MEMBER,
        channel_id=INTAKE,
        response_url=vakt.fake.response_url("other-shortcut"),
    )
    shortcut["team"] = {"id": OTHER, "domain": "other"}
    assert post_payload(vakt, INTERACTIVE, shortcut).status == 200
    form = view_submission_payload(item_ids.NEW_ITEM_VIEW, {}, user_id=MEMBER)
    form["view"]["app_installed_team_id"] = OTHER
    reply = post_payload(vakt, INTERACTIVE, form)
    assert (reply.status, reply.body) == (200, b"")
    vakt.idle()
    assert len(logs.rendered()) == 3 and logs.errors() == [], logs.rendered()
    assert changes(before, dump(vakt.runtime.engine)) == {}
    # Nothing sent to Slack; Slack shows the command's refusal (its ack) to the user.
    assert [c.method for c in vakt.fake.calls[calls:] if c.http_method != "ACK"] == []
    assert [c.args for c in vakt.fake.calls[calls:] if c.http_method == "ACK"] == [REFUSAL]
    # The same requests from Vakt's workspace are served.
    post_payload(vakt, COMMAND, cmd(vakt, "own-cmd"))
    assert post_payload(vakt, EVENT, event).status == 200
    vakt.idle()
    assert "Saved" in Vakt.reply_text(answered_at(vakt, "own-cmd") or {})
    assert len(rows(vakt, Absence)) == 1
    assert [i.excerpt for i in rows(vakt, Item)] == ["Spørsmål 1?"]


def test_another_workspace_of_the_same_organisation_is_served(fake: FakeSlack, vakt: Vakt) -> None:
    """In an Enterprise Grid, auth.test names the organisation too: a colleague in a sibling
    workspace is served; a workspace of another organisation is not."""
    fake.set_handler(
        "auth.test", lambda args: {**auth_test(fake.workspace, args), "enterprise_id": "E0KOMMUNE"}
    )
    introduce(vakt)
    sibling = post_payload(
        vakt, COMMAND, cmd(vakt, "sibling", team_id="T0SIBLING", enterprise_id="E0KOMMUNE")
    )
    stranger = post_payload(
        vakt, COMMAND, cmd(vakt, "stranger", team_id="T0SIBLING", enterprise_id="E0OTHER")
    )
    vakt.idle()
    assert "Saved" in Vakt.reply_text(json.loads(sibling.body))  # answered in the ack
    assert "Saved" in Vakt.reply_text(answered_at(vakt, "sibling") or {})
    assert stranger.body == b"Vakt does not serve this workspace."
    assert answered_at(vakt, "stranger") == REFUSAL  # the refusal only
    assert len(rows(vakt, Absence)) == 1
    # Installed on the whole organisation: Slack names no workspace, only the organisation.
    org_wide = {"team_id": None, "enterprise_id": "E0KOMMUNE"}
    granted = [{**org_wide, "user_id": "U0VAKT", "is_bot": True, "is_enterprise_install": True}]
    for n, organisation in ((1, "E0KOMMUNE"), (2, "E0OTHER")):
        event = {**message_payload(vakt, n), **org_wide, "authorizations": granted}
        event["enterprise_id"] = organisation
        assert post_payload(vakt, EVENT, event).status == 200
    vakt.idle()
    assert [i.excerpt for i in rows(vakt, Item)] == ["Spørsmål 1?"]


def test_another_workspace_over_socket_mode(
    vakt: Vakt, socket: tuple[FakeSocketModeServer, SocketModeRunner], logs: Captured
) -> None:
    server, _ = socket
    introduce(vakt)
    other = socket_mode_envelope(cmd(vakt, "sm-other", team_id=OTHER), COMMAND)
    ack = server.wait_ack(server.send_envelope(other), timeout=30)
    vakt.idle()
    assert ack.get("payload") == {"text": "Vakt does not serve this workspace."}
    event = socket_mode_envelope({**message_payload(vakt, 1), "team_id": OTHER}, EVENT)
    server.wait_ack(server.send_envelope(event), timeout=30)
    vakt.idle()
    assert answered_at(vakt, "sm-other") == REFUSAL and rows(vakt, Absence) == []
    assert rows(vakt, Item) == []
    assert len(logs.rendered()) == 2 and logs.errors() == [], logs.rendered()
    own = socket_mode_envelope(cmd(vakt, "sm-own"), COMMAND)
    server.wait_ack(server.send_envelope(own), timeout=30)
    vakt.idle()
    assert "Saved" in Vakt.reply_text(answered_at(vakt, "sm-own") or {})


def test_while_slack_cannot_say_which_workspace_nothing_is_done(
    fake: FakeSlack, vakt: Vakt, logs: Captured
) -> None:
    """The first request asks Slack (auth.test) which workspace Vakt serves; while Slack does
    not answer, an event is left for Slack to send again (503) and a person told so."""
    fake.fail_next("auth.test", error="internal_error", times=2)
    reply = post_payload(vakt, EVENT, message_payload(vakt, 1))
    assert reply.status == 503
    reply = post_payload(vakt, COMMAND, cmd(vakt, "early"))
    vakt.idle()
    assert reply.body == b"Vakt cannot reach Slack just now. Please try again in a minute."
    assert rows(vakt, Item) == [] and rows(vakt, Absence) == []
    assert len(logs.rendered()) == 2 and logs.errors() == [], logs.rendered()
    # Slack answers again: the retried event is taken in, the command runs.
    assert post_payload(vakt, EVENT, message_payload(vakt, 1)).status == 200
    post_payload(vakt, COMMAND, cmd(vakt, "later"))
    vakt.idle()
    assert len(rows(vakt, Item)) == 1 and len(rows(vakt, Absence)) == 1
