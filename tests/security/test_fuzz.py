"""Fuzzing what reaches Vakt from outside (hypothesis): `/vakt` texts, the submissions of every
modal Vakt opens, the HTTP intake's JSON and Events API payloads, all signed and sent over real
HTTP to one running app per database. Whatever arrives:

- the answer is never a 5xx;
- no exception is logged (a Bolt "Failed to run listener" or our own `log.exception` at
  ERROR means something was not handled);
- the fake Slack rejected no call Vakt made (every message and modal valid Block Kit);
- input that is refused (an error answer, a modal's field errors, a 4xx) changed no row.
"""

from __future__ import annotations

import json
import logging
import string
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.slack import commands, ids
from bot.slack import lifecycle_blocks as lb
from bot.slack import register_blocks as regb
from bot.slack import request_blocks as reqb
from tests.fakeslack import FakeSlack, message_action_body
from tests.fakeslack.validation import Rejection, check_view
from tests.harness import INTAKE_TOKEN, Vakt
from tests.security._helpers import (
    FLAG_DAY,
    INTAKE,
    NOW,
    ROLES,
    SECURITY_CONFIG,
    USERS,
    Captured,
    State,
    build_state,
    capture_logs,
    changes,
    databases,
    dump,
    event,
    press,
    scratch_database,
    slash,
    submit,
)


def fuzz(examples: int) -> settings:
    """Modest runs (the folder stays well under a minute), each example a real request."""
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


class Fuzzed:
    """One running Vakt for a module, with everything its modals and buttons act on."""

    def __init__(self, vakt: Vakt, state: State, logs: Captured) -> None:
        self.vakt = vakt
        self.state = state
        self.logs = logs
        self.modals: dict[str, dict[str, Any]] = {}

    def start(self) -> None:
        """Before an example: forget earlier log records."""
        self.logs.clear()

    def check(self) -> None:
        """After an example: nothing crashed, Slack refused nothing."""
        self.vakt.idle()
        assert self.logs.errors() == []
        self.vakt.fake.assert_no_errors()


@pytest.fixture(scope="module", params=databases())
def fuzzed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Fuzzed]:
    tmp = tmp_path_factory.mktemp("fuzz")
    with FakeSlack() as fake, scratch_database(request.param, tmp) as url:
        vakt = Vakt(fake, url, tmp, NOW, config_text=SECURITY_CONFIG)
        try:
            with capture_logs(logging.WARNING) as logs:
                state = build_state(vakt)
                found = Fuzzed(vakt, state, logs)
                found.modals = open_every_modal(vakt, state)
                found.check()
                yield found
        finally:
            vakt.close()


# ---------------------------------------------------------------- strategies

CONTROL = "".join(chr(c) for c in range(32)) + "\x7f\u200b\u202e\ufeff"
odd_text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"), st.sampled_from(list(CONTROL)), st.sampled_from("<>@#|&*_~`")
    ),
    max_size=60,
)
huge_text = st.builds(lambda s, n: (s or "x") * n, st.text(max_size=5), st.integers(500, 6000))
any_text = st.one_of(odd_text, huge_text, st.just(""), st.just(" "), st.just("\x00"))
# JSON can carry what form encoding cannot: a lone surrogate ("\ud800" in the JSON text).
json_text = st.one_of(any_text, st.sampled_from(["a\ud800b", "\udfff", "\ud83d"]))
user_id = st.one_of(st.sampled_from(USERS), st.from_regex(r"[UWB][A-Z0-9]{0,12}", fullmatch=True))
mention = st.one_of(
    st.builds(lambda u: f"<@{u}>", user_id),
    st.builds(lambda u, n: f"<@{u}|{n}>", user_id, odd_text),
    st.just("<@>"),
    st.just("@anna"),
)
channel = st.one_of(
    st.builds(lambda c: f"<#{c}>", st.from_regex(r"C[A-Z0-9]{0,12}", fullmatch=True)),
    st.builds(lambda c, n: f"<#{c}|{n}>", st.sampled_from(["C0TEAM1", INTAKE, "C0X"]), odd_text),
    st.just("<#|>"),
    st.just("#general"),
)
a_date = st.dates(date(1, 1, 1), date(9999, 12, 31))
date_word = st.one_of(
    a_date.map(date.isoformat),
    a_date.map(lambda d: f"{d.day}.{d.month}.{d.year}"),
    a_date.map(lambda d: f"{d.day}.{d.month}."),
    st.builds(lambda w: f"v{w}", st.integers(-5, 99)),
    st.builds(lambda w: f"uke {w}", st.integers(0, 10**6)),
    st.sampled_from(
        [
            "today",
            "i dag",
            "idag",
            "tomorrow",
            "yesterday",
            "i går",
            "2026-02-29",
            "2026-13-40",
            "31.2.",
            "29.2.2027",
            "0.0.0",
            "v0",
            "v53",
            "v54",
        ]
    ),
)
number = st.one_of(st.integers(-(10**30), 10**30).map(str), st.sampled_from(["0", "-1", "1e9"]))
clock = st.builds(lambda h, m: f"{h}:{m:02d}", st.integers(0, 99), st.integers(0, 99))
KEYWORDS = [
    *sorted(commands.BY_WORD),
    "new",
    "add",
    "members",
    "channel",
    "manager",
    "rotation",
    "intake",
    "name",
    "close",
    "edit",
    "off",
    "overdue",
    "deletions",
    "final",
    "closed",
    "all",
    "weekly",
    "daily",
    "left",
    "sick",
    "komm",
    "web",
    "fb-main",
    "ig-web",
    "nowhere",
    "facebook",
    "instagram",
]
word = st.one_of(
    st.sampled_from(KEYWORDS),
    mention,
    channel,
    date_word,
    number,
    clock,
    odd_text,
    st.from_regex(r"https?://[a-z./]{0,30}", fullmatch=True),
)
vakt_text = st.one_of(
    st.lists(word, max_size=8).map(" ".join),
    st.builds(
        lambda c, ws: " ".join([c, *ws]), st.sampled_from(KEYWORDS), st.lists(word, max_size=6)
    ),
    any_text,
)


def json_values(max_leaves: int = 6) -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**20), 10**20),
        st.floats(allow_nan=True, allow_infinity=True),
        json_text,
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
        ),
        max_leaves=max_leaves,
    )


# ---------------------------------------------------------------- /vakt texts


@fuzz(60)
@given(text=vakt_text, role=st.sampled_from(sorted(ROLES)))
def test_vakt_texts(fuzzed: Fuzzed, text: str, role: str) -> None:
    fuzzed.start()
    vakt = fuzzed.vakt
    before = dump(vakt.runtime.engine)
    answer = slash(vakt, text, ROLES[role])
    assert answer.status == 200
    uploads = vakt.fake.calls_to("files.completeUploadExternal")
    assert answer.message is not None or answer.view is not None or uploads, "no answer at all"
    if answer.is_error:
        assert changes(before, dump(vakt.runtime.engine)) == {}, answer.text
    fuzzed.check()


# ---------------------------------------------------------------- modal submissions


def open_every_modal(vakt: Vakt, state: State) -> dict[str, dict[str, Any]]:
    """Each modal Vakt opens, taken from the fake Slack's views.open as it was sent."""
    member, coordinator = ROLES["member"], ROLES["coordinator"]
    views: dict[str, dict[str, Any] | None] = {
        "new": slash(vakt, "new", member).view,
        "register": press(vakt, ids.ITEM_REGISTER, str(state.item), member).view,
        "deletion": slash(vakt, "deleted fb-main", member).view,
        "deletion-edit": press(vakt, ids.DELETION_EDIT, str(state.deletion), member).view,
        "snapshot": slash(vakt, "snapshot fb-main", member).view,
        "account": slash(vakt, "account add", coordinator).view,
        "request": slash(vakt, "request", member).view,
        "decline": press(vakt, reqb.DECLINE, str(state.request), coordinator).view,
        "keep": press(vakt, lb.FLAG_KEEP, str(state.flag), coordinator).view,
        "waive": press(vakt, lb.CLOSURE_WAIVE, f"{state.closure}:followers_told", coordinator).view,
    }
    before = len(vakt.fake.calls_to("views.open"))
    message = {"type": "message", "user": "U111", "ts": "1797238000.000100", "text": "Hei?"}
    vakt.signed_post(
        message_action_body(ids.TRACK_SHORTCUT, message, user_id=member, channel_id=INTAKE)
    )
    vakt.idle()
    track = vakt.fake.calls_to("views.open")[before:]
    views["track"] = dict(track[-1].args["view"]) if track else None
    missing = [name for name, view in views.items() if view is None]
    assert missing == [], f"modals that did not open: {missing}"
    assert {v["callback_id"] for v in views.values() if v} == CALLBACKS
    return {name: view for name, view in views.items() if view is not None}


MODALS = [
    "new",
    "register",
    "deletion",
    "deletion-edit",
    "snapshot",
    "account",
    "request",
    "decline",
    "keep",
    "waive",
    "track",
]
# Every modal the app registers a submission listener for (test_authz_matrix checks the list).
CALLBACKS = {
    ids.NEW_ITEM_VIEW,
    ids.REGISTER_VIEW,
    ids.DELETION_VIEW,
    ids.SNAPSHOT_VIEW,
    ids.TRACK_VIEW,
    regb.ACCOUNT_VIEW,
    reqb.REQUEST_VIEW,
    reqb.DECLINE_VIEW,
    lb.FLAG_KEEP_VIEW,
    lb.CLOSURE_WAIVE_VIEW,
}


def _options(element: dict[str, Any]) -> list[str]:
    found = [o.get("value") for o in element.get("options") or []]
    for group in element.get("option_groups") or []:
        found += [o.get("value") for o in group.get("options") or []]
    return [str(v) for v in found if v is not None]


def _stamp() -> st.SearchStrategy[Any]:
    near = int(FLAG_DAY.timestamp())
    return st.one_of(
        st.integers(near - 10**8, near + 10**8),
        st.integers(-(10**20), 10**20),
        st.sampled_from([0, -1, near, near + 3600, 2**63, -(2**63)]),
        json_values(2),
    )


def _file() -> st.SearchStrategy[Any]:
    good = st.fixed_dictionaries(
        {"id": st.from_regex(r"F[A-Z0-9]{1,12}", fullmatch=True)},
        optional={
            "name": json_text,
            "mimetype": st.sampled_from(["image/png", "application/pdf", "text/html", ""]),
            "size": st.one_of(st.integers(-1, 10**12), json_values(1)),
            "created": _stamp(),
            "url_private": st.sampled_from(["https://files.slack.com/x", "ftp://x", ""]),
            "user": user_id,
        },
    )
    return st.one_of(good, json_values(2))


def element_state(element: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A value for one input element: right for its type, or wrong in some way."""
    kind = element.get("type")
    options = _options(element)
    option = st.one_of(st.sampled_from(options), json_text) if options else json_text
    right: st.SearchStrategy[dict[str, Any]]
    if kind in ("plain_text_input", "url_text_input", "email_text_input", "number_input"):
        right = st.fixed_dictionaries({"value": st.one_of(st.none(), json_text)})
    elif kind in ("static_select", "radio_buttons", "external_select"):
        right = st.fixed_dictionaries(
            {"selected_option": st.one_of(st.none(), st.fixed_dictionaries({"value": option}))}
        )
    elif kind == "checkboxes":
        right = st.fixed_dictionaries(
            {"selected_options": st.lists(st.fixed_dictionaries({"value": option}), max_size=3)}
        )
    elif kind == "datepicker":
        right = st.fixed_dictionaries(
            {"selected_date": st.one_of(st.none(), date_word, a_date.map(date.isoformat))}
        )
    elif kind == "datetimepicker":
        right = st.fixed_dictionaries({"selected_date_time": _stamp()})
    elif kind == "users_select":
        right = st.fixed_dictionaries({"selected_user": st.one_of(st.none(), user_id)})
    elif kind == "multi_users_select":
        right = st.fixed_dictionaries({"selected_users": st.lists(user_id, max_size=4)})
    elif kind in ("conversations_select", "channels_select"):
        key = "selected_conversation" if kind == "conversations_select" else "selected_channel"
        right = st.fixed_dictionaries(
            {key: st.one_of(st.none(), st.from_regex(r"[CGD][A-Z0-9]{0,12}", fullmatch=True))}
        )
    elif kind == "file_input":
        right = st.fixed_dictionaries({"files": st.lists(_file(), max_size=3)})
    else:
        right = st.fixed_dictionaries({"value": json_text})
    typed = right.map(lambda d: {"type": kind, **d})
    wrong = st.dictionaries(
        st.sampled_from(
            [
                "type",
                "value",
                "selected_option",
                "selected_date",
                "selected_user",
                "selected_date_time",
                "files",
                "selected_options",
            ]
        ),
        json_values(3),
        max_size=3,
    )
    return st.one_of(typed, typed, typed, wrong, json_values(2))


def modal_state(view: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """`view.state.values` for a modal: each input block answered, left out or broken."""
    parts: dict[str, st.SearchStrategy[Any]] = {}
    for block in view.get("blocks") or []:
        element = block.get("element")
        if block.get("type") != "input" or not isinstance(element, dict):
            continue
        block_id, action_id = block["block_id"], element["action_id"]
        parts[block_id] = st.one_of(
            st.fixed_dictionaries({action_id: element_state(element)}),
            st.fixed_dictionaries({action_id: element_state(element)}),
            json_values(2),
        )
    return st.fixed_dictionaries({}, optional=parts)


@st.composite
def submissions(draw: st.DrawFn, fuzzed: Fuzzed) -> tuple[str, dict[str, Any], str, str]:
    name = draw(st.sampled_from(MODALS))
    view = fuzzed.modals[name]
    values = draw(modal_state(view))
    metadata = draw(
        st.one_of(
            st.just(view.get("private_metadata") or ""),
            st.just(view.get("private_metadata") or ""),
            json_text,
            json_values(3).map(json.dumps),
        )
    )
    role = draw(
        st.sampled_from(["coordinator", "coordinator", "member", "other_member", "stranger"])
    )
    return name, values, metadata, ROLES[role]


@fuzz(30)
@given(data=st.data())
def test_modal_submissions(fuzzed: Fuzzed, data: st.DataObject) -> None:
    fuzzed.start()
    vakt = fuzzed.vakt
    name, values, metadata, user = data.draw(submissions(fuzzed))
    view = fuzzed.modals[name]
    before = dump(vakt.runtime.engine)
    reply, answer = submit(vakt, view["callback_id"], values, user, metadata)
    assert reply.status == 200, reply.body[:300]
    action = answer.get("response_action")
    if action == "errors":
        blocks = {b.get("block_id") for b in view.get("blocks") or [] if b.get("type") == "input"}
        errors = answer.get("errors") or {}
        assert errors, answer
        if metadata == view.get("private_metadata"):
            # Slack shows an error only beside an input block of the modal. (With metadata no
            # modal of Vakt's carries, the form is not the one the metadata describes.)
            assert set(errors) <= blocks, (view["callback_id"], errors)
        assert changes(before, dump(vakt.runtime.engine)) == {}, (view["callback_id"], errors)
    elif action == "update":
        try:
            check_view("views.update", answer.get("view"))
        except Rejection as rejection:
            raise AssertionError(f"an invalid modal: {rejection.messages}") from None
    else:
        assert reply.body == b"", answer  # a plain ack closes the modal
    fuzzed.check()


# ---------------------------------------------------------------- the HTTP intake

AUTH = {"Authorization": f"Bearer {INTAKE_TOKEN}", "Content-Type": "application/json"}
instant = st.one_of(
    st.datetimes(
        datetime(1, 1, 2), datetime(9999, 12, 30), timezones=st.sampled_from([UTC, None])
    ).map(datetime.isoformat),
    st.builds(
        lambda d: (FLAG_DAY - d).isoformat(), st.timedeltas(timedelta(0), timedelta(days=400))
    ),
    date_word,
    json_values(1),
)
intake_fields = {
    "/intake": {
        "account": st.one_of(
            st.sampled_from(["fb-main", "FB-MAIN", "ig-web", "nope"]), json_values(1)
        ),
        "external_id": st.one_of(json_text, json_values(1)),
        "url": st.one_of(st.from_regex(r"https?://[^\s]{1,40}", fullmatch=True), json_values(1)),
        "received_at": instant,
        "text": st.one_of(json_text, json_values(1)),
        "must_register": json_values(1),
    },
    "/intake/answered": {
        "account": st.one_of(st.sampled_from(["fb-main", "ig-web"]), json_values(1)),
        "external_id": st.one_of(st.sampled_from(["fb:1", "fb:2"]), json_text),
        "answered_at": instant,
    },
    "/intake/post": {
        "account": st.one_of(st.sampled_from(["fb-main", "ig-web"]), json_values(1)),
        "external_id": st.one_of(json_text, json_values(1)),
        "posted_at": instant,
    },
}
intake_bodies = st.one_of(
    *(
        st.tuples(st.just(path), st.fixed_dictionaries({}, optional=fields).map(json.dumps))
        for path, fields in intake_fields.items()
    ),
    st.tuples(st.sampled_from(sorted(intake_fields)), json_values(8).map(json.dumps)),
    st.tuples(st.sampled_from(sorted(intake_fields)), st.binary(max_size=300)),
)


@fuzz(60)
@given(request=intake_bodies)
def test_intake_json(fuzzed: Fuzzed, request: tuple[str, str | bytes]) -> None:
    fuzzed.start()
    vakt = fuzzed.vakt
    path, body = request
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    assume(len(raw) < 60_000)
    before = dump(vakt.runtime.engine)
    reply = vakt.post(path, raw, AUTH)
    assert reply.status < 500, reply.body[:300]
    assert reply.json()["ok"] == (reply.status < 400)
    if reply.status >= 400:
        assert changes(before, dump(vakt.runtime.engine)) == {}, reply.body[:300]
    fuzzed.check()


# ---------------------------------------------------------------- Events API payloads

ts = st.one_of(
    st.builds(lambda s: f"{s:.6f}", st.floats(FLAG_DAY.timestamp() - 10**6, FLAG_DAY.timestamp())),
    st.sampled_from(["abc", "", "1e400", "-1", "nan", "inf", "9" * 400, "0.0", "1797238000"]),
    json_values(1),
)
message_event = st.fixed_dictionaries(
    {"type": st.just("message")},
    optional={
        # Ids are always texts (Bolt itself cannot read an event whose user or channel is not;
        # test_signatures has those).
        "channel": st.sampled_from([INTAKE, INTAKE, "C0TEAM1", "D0DM", ""]),
        "ts": ts,
        "event_ts": ts,
        "thread_ts": ts,
        "user": user_id,
        "bot_id": st.one_of(st.just("B0VAKT"), json_values(1)),
        "text": json_text,
        "subtype": st.one_of(
            st.sampled_from(
                [
                    "bot_message",
                    "file_share",
                    "thread_broadcast",
                    "message_changed",
                    "message_deleted",
                    "channel_join",
                    "me_message",
                    "tombstone",
                ]
            ),
            json_values(1),
        ),
        "deleted_ts": ts,
        "attachments": json_values(4),
        "files": st.one_of(st.lists(_file(), max_size=2), json_values(2)),
        "message": json_values(3),
        "channel_type": st.sampled_from(["channel", "im", "group"]),
    },
)
reaction_event = st.fixed_dictionaries(
    {"type": st.just("reaction_added")},
    optional={
        "user": user_id,
        "reaction": st.one_of(
            st.sampled_from(["white_check_mark", "heavy_check_mark", "wastebasket", "+1"]),
            json_values(1),
        ),
        "item": st.one_of(
            st.fixed_dictionaries(
                {"type": st.sampled_from(["message", "file"])},
                optional={"channel": st.sampled_from([INTAKE, "C0X"]), "ts": ts},
            ),
            st.one_of(st.lists(json_values(1), max_size=2), st.none(), st.text(max_size=3)),
        ),
        "event_ts": ts,
    },
)
other_event = st.fixed_dictionaries(
    {
        "type": st.one_of(
            st.sampled_from(["app_mention", "member_joined_channel", "app_home_opened"]),
            st.text(string.ascii_lowercase + "_", max_size=20),
        )
    },
    optional={"user": user_id, "channel": st.just(INTAKE), "text": json_text},
)
events = st.one_of(message_event, message_event, reaction_event, other_event)


@fuzz(60)
@given(payload=events)
def test_event_payloads(fuzzed: Fuzzed, payload: dict[str, Any]) -> None:
    fuzzed.start()
    vakt = fuzzed.vakt
    elsewhere = payload["type"] == "message" and payload.get("channel") != INTAKE
    before = dump(vakt.runtime.engine) if elsewhere else {}
    reply = event(vakt, payload)
    # Types Vakt does not subscribe to are Bolt's "unhandled request" (404); Slack sends none.
    handled = payload["type"] in ("message", "reaction_added", "app_home_opened")
    assert reply.status == 200 if handled else reply.status == 404, reply.body[:300]
    fuzzed.check()
    if elsewhere:
        # Nowhere Vakt takes messages in: nothing but the delivery's de-duplication.
        assert changes(before, dump(vakt.runtime.engine), ("slack_event",)) == {}
