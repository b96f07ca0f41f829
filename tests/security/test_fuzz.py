"""Fuzzing what reaches Vakt from outside (hypothesis): `/vakt` texts, the submissions of every
modal Vakt opens, the HTTP intake's JSON and Events API payloads, and whole Slack payloads
(Slack's samples and one for every listener the app registers) with any node at any depth
replaced by any JSON type, all signed and sent over real HTTP – the whole payloads over Socket
Mode too – to one running app per database. Whatever arrives:

- the answer is never a 5xx, and a Socket Mode connection is never lost;
- no exception is logged (a Bolt "Failed to run listener" or our own `log.exception` at
  ERROR means something was not handled), and a whole payload leaves at most one line;
- the fake Slack rejected no call Vakt made (every message and modal valid Block Kit);
- input that is refused (an error answer, a modal's field errors, a 4xx, the guard's warning)
  changed no row.
"""

from __future__ import annotations

import json
import logging
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.archive import ids as archive_ids
from bot.features import FEATURES
from bot.items import ids as item_ids
from bot.lifecycle import blocks as lb
from bot.register import blocks as regb
from bot.requests import blocks as reqb
from bot.slackkit.app import router_of
from bot.slackkit.socket_mode import SocketModeRunner
from tests.fakeslack import (
    FakeSlack,
    FakeSocketModeServer,
    block_actions_payload,
    event_payload,
    load_sample,
    message_action_body,
    message_action_payload,
    slash_command_payload,
    socket_mode_envelope,
    view_submission_payload,
)
from tests.fakeslack.responses import TEAM_ID
from tests.fakeslack.validation import Rejection, check_view
from tests.harness import INTAKE_TOKEN, Vakt
from tests.security._helpers import (
    COMMAND,
    EVENT,
    FLAG_DAY,
    INTAKE,
    INTERACTIVE,
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
    is_refusal,
    post_payload,
    press,
    registered_listeners,
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
        self.bases: dict[str, Base] = {}
        self._calls = 0

    def start(self) -> None:
        """Before an example: forget earlier log records and calls to Slack (so that a failing
        example is reported as itself, not as every example after it)."""
        self.logs.clear()
        self._calls = len(self.vakt.fake.calls)

    def check(self) -> None:
        """After an example: nothing crashed, Slack refused nothing."""
        self.vakt.idle()
        assert self.logs.errors() == []
        rejected = [c.describe() for c in self.vakt.fake.calls[self._calls :] if c.rejected]
        assert rejected == [], "FakeSlack rejected: " + "\n".join(rejected)

    def quiet(self) -> None:
        """After a request: at most one warning, on one line (an outage floods no log)."""
        lines = self.logs.rendered()
        assert len(lines) <= 1 and all("\n" not in line for line in lines), lines


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
                with pytest.MonkeyPatch.context() as patch:
                    found.bases = every_base(found, registered_listeners(vakt, patch))
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
    *sorted(router_of(FEATURES).by_word),
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
        "register": press(vakt, item_ids.ITEM_REGISTER, str(state.item), member).view,
        "deletion": slash(vakt, "deleted fb-main", member).view,
        "deletion-edit": press(vakt, archive_ids.DELETION_EDIT, str(state.deletion), member).view,
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
        message_action_body(item_ids.TRACK_SHORTCUT, message, user_id=member, channel_id=INTAKE)
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
    item_ids.NEW_ITEM_VIEW,
    item_ids.REGISTER_VIEW,
    archive_ids.DELETION_VIEW,
    archive_ids.SNAPSHOT_VIEW,
    item_ids.TRACK_VIEW,
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


# ---------------------------------------------------------------- whole payloads, any node any type
#
# Slack's own samples (../shared/slack/payloads, the java-sdk field-coverage shapes among them)
# and the payloads of everything Vakt registers a listener for (each button as Vakt drew it,
# each modal as Vakt opened it, its shortcut, its events, `/vakt`), with one to three nodes at
# any depth replaced by a value of any JSON type (null, bool, int, float, string, list, object)
# or left out. Signed, over real HTTP and over Socket Mode.

# Where an answer is recorded that is a cache, not a change: the locale of a person met for the
# first time, the hash of a home tab republished, an Events API delivery de-duplicated.
CACHES = ("person", "home_view", "slack_event")
TEAM = TEAM_ID  # the fake's workspace (its auth.test answer), as in Slack's samples

scalars_of_every_type = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    json_text,
)
any_json = st.one_of(
    scalars_of_every_type,
    st.lists(json_values(3), max_size=3),
    st.dictionaries(st.text(max_size=8), json_values(3), max_size=3),
)

Path_ = tuple[str | int, ...]


def nodes(doc: Any, path: Path_ = ()) -> list[Path_]:
    """Every node under the root, by path (keys and indices)."""
    found: list[Path_] = []
    children = (
        doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else []
    )
    for key, child in children:
        found.append((*path, key))
        found.extend(nodes(child, (*path, key)))
    return found


def _parent(doc: Any, path: Path_) -> Any:
    for key in path[:-1]:
        doc = doc[key]
    return doc


@st.composite
def mutated(draw: st.DrawFn, doc: Any) -> Any:
    """`doc` with one to three nodes replaced by any JSON value or left out; each depth as
    likely as any other, so the envelope's own fields are hit as often as the deep ones."""
    doc = json.loads(json.dumps(doc))
    for _ in range(draw(st.integers(1, 3))):
        paths = nodes(doc)
        if not paths or draw(st.integers(0, 24)) == 24:
            return draw(any_json)  # the whole payload
        depth = draw(st.sampled_from(sorted({len(p) for p in paths})))
        path = draw(st.sampled_from([p for p in paths if len(p) == depth]))
        parent = _parent(doc, path)
        if draw(st.integers(0, 7)) == 7:
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(any_json)
    return doc


def _sample(name: str) -> dict[str, Any]:
    data = load_sample(name)
    return dict(data.get("payload", data))


def _ours(payload: dict[str, Any]) -> dict[str, Any]:
    """A field-coverage shape (ids blanked) from the installed workspace."""
    if isinstance(payload.get("team"), dict):
        payload["team"]["id"] = TEAM
    if "team_id" in payload:
        payload["team_id"] = TEAM
    return payload


@dataclass(frozen=True)
class Base:
    """A payload to start from: its kind, and how to make a fresh one (`fresh(fuzzed, user,
    url)`: as `user`, answering at the fake response_url `url`)."""

    kind: str
    fresh: Callable[[Fuzzed, str, str], dict[str, Any]]


def _buttons(fake: FakeSlack) -> dict[str, dict[str, Any]]:
    """Every interactive element Vakt drew in what it sent, by action_id (the first seen): the
    element, its block, and where it was (a message in a channel, or a view)."""
    found: dict[str, dict[str, Any]] = {}

    def walk(node: Any, block: str | None, where: dict[str, Any]) -> None:
        if isinstance(node, dict):
            block = node.get("block_id", block)
            action = node.get("action_id")
            if isinstance(action, str) and "url" not in node and action not in found:
                found[action] = {"element": node, "block_id": block, "where": where}
            for child in node.values():
                walk(child, block, where)
        elif isinstance(node, list):
            for child in node:
                walk(child, block, where)

    for call in fake.calls:
        args = call.args
        if call.method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            ts = call.response.get("ts") or args.get("ts") or "1797238000.000100"
            walk(args.get("blocks"), None, {"channel": args.get("channel"), "ts": ts})
        elif call.method == "response_url":
            walk(args.get("blocks"), None, {"channel": INTAKE, "ts": "1797238000.000200"})
        elif call.method in ("views.publish", "views.update"):
            view = args.get("view")
            view = json.loads(view) if isinstance(view, str) else view
            walk(view, None, {"view": {"id": "V0HOME1", "type": "home", "blocks": []}})
    return found


def _pressed(element: dict[str, Any]) -> dict[str, Any]:
    """The action Slack reports for a press on (or a choice in) `element`."""
    kind = element.get("type")
    if kind in ("static_select", "overflow", "radio_buttons"):
        options = _options(element)
        return {"type": kind, "selected_option": {"value": options[0] if options else "x"}}
    return {"type": kind or "button", "value": element.get("value")}


def action_base(action_id: str, drawn: dict[str, Any] | None) -> Base:
    def fresh(fuzzed: Fuzzed, user: str, url: str) -> dict[str, Any]:
        where = (drawn or {}).get("where") or {"channel": INTAKE, "ts": "1797238000.000300"}
        action = _pressed(drawn["element"]) if drawn else {"value": str(fuzzed.state.item)}
        return block_actions_payload(
            action_id,
            action.pop("value", None),
            user_id=user,
            channel_id=str(where.get("channel") or INTAKE),
            message_ts=str(where.get("ts") or "1797238000.000300"),
            response_url=fuzzed.vakt.fake.response_url(url),
            block_id=(drawn or {}).get("block_id"),
            action=action,
            view=where.get("view"),
            trigger_id="111.222.fuzz",
        )

    return Base(INTERACTIVE, fresh)


def _answered(element: dict[str, Any]) -> dict[str, Any]:
    """An input answered as its form suggests (its initial value, else its first choice)."""
    kind = element.get("type")
    state: dict[str, Any] = {"type": kind}
    options = _options(element)
    if kind in ("static_select", "radio_buttons", "external_select"):
        initial = element.get("initial_option") or ({"value": options[0]} if options else None)
        state["selected_option"] = initial
    elif kind == "checkboxes":
        state["selected_options"] = element.get("initial_options") or []
    elif kind == "datepicker":
        state["selected_date"] = element.get("initial_date") or "2026-12-14"
    elif kind == "datetimepicker":
        state["selected_date_time"] = element.get("initial_date_time") or int(FLAG_DAY.timestamp())
    elif kind == "users_select":
        state["selected_user"] = element.get("initial_user") or ROLES["member"]
    elif kind == "multi_users_select":
        state["selected_users"] = element.get("initial_users") or [ROLES["member"]]
    elif kind in ("conversations_select", "channels_select"):
        state["selected_conversation"] = element.get("initial_conversation") or "C0FEED"
    elif kind == "file_input":
        state["files"] = []
    else:
        state["value"] = element.get("initial_value") or "https://www.facebook.com/testrud/p/1"
    return state


def view_base(callback: str) -> Base:
    def fresh(fuzzed: Fuzzed, user: str, url: str) -> dict[str, Any]:
        view = next((v for v in fuzzed.modals.values() if v["callback_id"] == callback), {})
        values = {
            block["block_id"]: {block["element"]["action_id"]: _answered(block["element"])}
            for block in view.get("blocks") or []
            if block.get("type") == "input" and isinstance(block.get("element"), dict)
        }
        return view_submission_payload(
            callback,
            values,
            user_id=user,
            private_metadata=view.get("private_metadata") or "",
            blocks=view.get("blocks") or [],
        )

    return Base(INTERACTIVE, fresh)


def shortcut_base(callback: str) -> Base:
    def fresh(fuzzed: Fuzzed, user: str, url: str) -> dict[str, Any]:
        stamp = f"{FLAG_DAY.timestamp() - 1200:.6f}"
        message = {"type": "message", "user": "U111", "ts": stamp, "text": "Hei? https://x.no/1"}
        return message_action_payload(
            callback,
            message,
            user_id=user,
            channel_id=INTAKE,
            response_url=fuzzed.vakt.fake.response_url(url),
        )

    return Base(INTERACTIVE, fresh)


_events = iter(range(1, 10**9))


def event_base(event_type: str) -> Base:
    def fresh(fuzzed: Fuzzed, user: str, url: str) -> dict[str, Any]:
        n = next(_events)
        stamp = f"{fuzzed.vakt.clock.now.timestamp() - n % 3000:.6f}"
        event: dict[str, Any] = {"type": event_type, "user": user, "event_ts": stamp}
        if event_type == "message":
            event.update(channel=INTAKE, ts=stamp, text=f"Spørsmål {n}?", channel_type="channel")
        elif event_type == "reaction_added":
            reaction = "wastebasket" if n % 2 else "white_check_mark"
            item = {"type": "message", "channel": INTAKE, "ts": stamp}
            event.update(reaction=reaction, item=item, item_user="U111")
        elif event_type == "app_home_opened":
            event.update(channel="D0HOME", tab="home")
        else:
            event.update(channel=INTAKE)
        payload = event_payload(event, event_id=f"EvFuzz{n}", team_id=TEAM)
        payload["authorizations"] = [
            {"enterprise_id": None, "team_id": TEAM, "user_id": "U0VAKT", "is_bot": True}
        ]
        return payload

    return Base(EVENT, fresh)


def sample_base(name: str, kind: str) -> Base:
    def fresh(fuzzed: Fuzzed, user: str, url: str) -> dict[str, Any]:
        payload = _sample(name)
        if name.startswith("java-sdk-shapes/"):
            payload = _ours(payload)
        if "response_url" in payload:  # never Slack's own hooks.slack.com
            payload["response_url"] = fuzzed.vakt.fake.response_url(url)
        if "event_id" in payload:
            payload["event_id"] = f"EvFuzz{next(_events)}"
        return payload

    return Base(kind, fresh)


def command_base(text: str) -> Base:
    def fresh(fuzzed: Fuzzed, user: str, url: str) -> dict[str, Any]:
        return dict(
            slash_command_payload(
                text,
                user_id=user,
                channel_id="C0TEAM1",
                response_url=fuzzed.vakt.fake.response_url(url),
                trigger_id="111.222.cmd",
            )
        )

    return Base(COMMAND, fresh)


SAMPLES = {
    "event_message": EVENT,
    "event_reaction_added": EVENT,
    "event_app_mention": EVENT,
    "event_member_joined_channel": EVENT,
    "event_app_home_opened": EVENT,
    "event_url_verification": EVENT,
    "docs_event_url_verification": EVENT,
    "interactivity_block_actions": INTERACTIVE,
    "interactivity_view_submission": INTERACTIVE,
    "interactivity_shortcut_global": INTERACTIVE,
    "interactivity_message_action": INTERACTIVE,
    "slash_command.form": COMMAND,
    "java-sdk-shapes/app-backend_interactive-components_BlockActionPayload": INTERACTIVE,
    "java-sdk-shapes/app-backend_interactive-components_MessageShortcutPayload": INTERACTIVE,
    "java-sdk-shapes/app-backend_views_ViewSubmissionPayload": INTERACTIVE,
    "java-sdk-shapes/app-backend_slash-commands_SlashCommandPayload": COMMAND,
    "java-sdk-shapes/events_AppHomeOpenedPayload": EVENT,
    "java-sdk-shapes/events_AppMentionPayload": EVENT,
    "java-sdk-shapes/events_MemberJoinedChannelPayload": EVENT,
    "java-sdk-shapes/events_MessagePayload": EVENT,
    "java-sdk-shapes/events_ReactionAddedPayload": EVENT,
}


def every_base(fuzzed: Fuzzed, registered: set[tuple[str, str]]) -> dict[str, Base]:
    """A base for every sample and for everything the app registers a listener for."""
    buttons = _buttons(fuzzed.vakt.fake)
    bases = {f"sample {name}": sample_base(name, kind) for name, kind in SAMPLES.items()}
    for kind, target in sorted(registered):
        if kind == "action":
            bases[f"action {target}"] = action_base(target, buttons.get(target))
        elif kind == "view":
            bases[f"view {target}"] = view_base(target)
        elif kind == "shortcut":
            bases[f"shortcut {target}"] = shortcut_base(target)
        elif kind in ("event", "message"):
            bases[f"event {target}"] = event_base(target if kind == "event" else "message")
        elif kind == "command":
            for text in ("who", "help", "new", "away 2027-03-01", "swap <@U0BO> 2027-03-08"):
                bases[f"command {text}"] = command_base(text)
        else:
            raise AssertionError(f"no payload to fuzz a {kind} listener ({target}) with")
    return bases


_urls = iter(range(1, 10**9))


GUARDS = (
    "bot.slackkit.guard",
    "bot.slackkit.socket_mode",
)  # whose warnings say a request was ignored


def refused(fuzzed: Fuzzed, status: int, answer: Any, url: str) -> bool:
    """Whether Vakt turned the request down: a 4xx, a modal's field errors, an error answer at
    the response_url, or the guard's line in the log."""
    response = next(
        (c.args for c in fuzzed.vakt.fake.calls_to("response_url") if c.path.endswith(f"/{url}")),
        None,
    )
    errors = isinstance(answer, dict) and answer.get("response_action") == "errors"
    said = is_refusal(response)
    guarded = any(r.name in GUARDS for r in fuzzed.logs.records)
    return status >= 400 or errors or said or guarded


def draw_base(fuzzed: Fuzzed, data: st.DataObject) -> tuple[Base, dict[str, Any], str]:
    """A base, a fresh payload of it from one of the roles, and its response_url's name."""
    name = data.draw(st.sampled_from(sorted(fuzzed.bases)), label="base")
    base = fuzzed.bases[name]
    user = ROLES[data.draw(st.sampled_from(sorted(ROLES)), label="role")]
    url = f"fz-{next(_urls)}"
    return base, base.fresh(fuzzed, user, url), url


@fuzz(200)
@given(data=st.data())
def test_any_payload_signed_over_http(fuzzed: Fuzzed, data: st.DataObject) -> None:
    fuzzed.start()
    vakt = fuzzed.vakt
    base, payload, url = draw_base(fuzzed, data)
    doc = data.draw(mutated(payload), label="payload")
    before = dump(vakt.runtime.engine)
    reply = post_payload(vakt, base.kind, doc)
    vakt.idle()
    assert reply.status < 500, reply.body[:300]
    fuzzed.check()
    fuzzed.quiet()
    try:
        answer = json.loads(reply.body) if reply.body else None
    except ValueError:
        answer = None
    if refused(fuzzed, reply.status, answer, url):
        assert changes(before, dump(vakt.runtime.engine), CACHES) == {}


@dataclass
class Socket:
    """The same Vakt in Socket Mode too, as `vakt run` serves it."""

    server: FakeSocketModeServer
    runner: SocketModeRunner


@pytest.fixture(scope="module")
def socket(fuzzed: Fuzzed) -> Iterator[Socket]:
    vakt = fuzzed.vakt
    server = FakeSocketModeServer().start()
    vakt.fake.socket_mode = server
    app = vakt.runtime.app(signing_secret=None, listener_executor=vakt.executor)
    # Pings seldom: the client masks each frame it sends with `random`, which hypothesis
    # (drawing at the same time) takes for a strategy using it.
    runner = SocketModeRunner(
        app, "xapp-1-test", ping_interval=600, check_interval=0.1, max_backoff=0.4
    )
    try:
        runner.start()
        server.wait_connected(1, timeout=30)
        yield Socket(server, runner)
    finally:
        runner.close()
        server.stop()
        vakt.fake.socket_mode = None


@fuzz(100)
@given(data=st.data())
def test_any_envelope_over_socket_mode(fuzzed: Fuzzed, socket: Socket, data: st.DataObject) -> None:
    """The same payloads in Socket Mode envelopes, any node of the envelope or its payload
    replaced: each envelope is acknowledged (one without an id has nothing to be acknowledged
    by, and the connection serves the next one), and the connection is never lost."""
    fuzzed.start()
    vakt, server = fuzzed.vakt, socket.server
    base, payload, url = draw_base(fuzzed, data)
    frame = data.draw(mutated(socket_mode_envelope(payload, base.kind)), label="frame")
    before = dump(vakt.runtime.engine)
    envelope_id = frame.get("envelope_id") if isinstance(frame, dict) else None
    if isinstance(envelope_id, str) and envelope_id:
        # (an id drawn twice: the ack of the first one is forgotten, not taken for this one's)
        answer = server.wait_ack(server.send_envelope(frame), timeout=30).get("payload")
    else:
        server.send_frame(json.dumps(frame))
        answer = None
        probe = socket_mode_envelope(
            slash_command_payload(
                "help", user_id=ROLES["member"], response_url=vakt.fake.response_url(f"{url}-p")
            ),
            COMMAND,
        )
        server.wait_ack(server.send_envelope(probe), timeout=30)
    vakt.idle()
    fuzzed.check()
    fuzzed.quiet()
    assert server.connection_count == 1 and socket.runner.reconnects == 0
    if refused(fuzzed, 200, answer, url):
        assert changes(before, dump(vakt.runtime.engine), CACHES) == {}
