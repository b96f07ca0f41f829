"""Every request to /slack/events is verified before anything happens: unsigned, signed with
another secret, changed after signing, more than five minutes off, or with a missing or garbled
header, it is a 401 and nothing is processed (no row changes anywhere, no call to Slack). Four
minutes off is still Slack. The HTTP intake refuses a wrong or missing bearer token the same way.

Each kind of request Slack sends is one that changes something when it is genuine (an absence,
an item closed, an item created, a modal opened, the url_verification challenge answered), so
the boundary test proves the refused copies would have done something.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.signature import Clock, SignatureVerifier

from bot.items import ids
from bot.web.signing import SlackRequestError, check_slack_request
from tests.fakeslack import (
    FakeSlack,
    block_actions_body,
    event_body,
    message_action_body,
    sign,
    slash_command_body,
    view_submission_body,
)
from tests.fakeslack.signing import FORM, JSON
from tests.harness import INTAKE_TOKEN, SECRET, HttpReply, Vakt
from tests.security._helpers import (
    INTAKE,
    NOW,
    ROLES,
    SECURITY_CONFIG,
    changes,
    dump,
    introduce,
)

MEMBER = ROLES["member"]
FIVE_MINUTES = 300


@pytest.fixture
def vakt(fake: FakeSlack, db_url: str, tmp_path: Path) -> Iterator[Vakt]:
    harness = Vakt(fake, db_url, tmp_path, NOW, config_text=SECURITY_CONFIG)
    introduce(harness)
    yield harness
    harness.close()
    fake.assert_no_errors()


_serial = iter(range(1, 10**6))


def _item(vakt: Vakt) -> int:
    """An open question on fb-main, reported over the intake (its card is sent)."""
    n = next(_serial)
    data = {
        "account": "fb-main",
        "external_id": f"fb:sig-{n}",
        "url": f"https://www.facebook.com/testrud/posts/{n}",
        "received_at": (NOW - timedelta(minutes=30)).isoformat(),
    }
    reply = vakt.post(
        "/intake",
        json.dumps(data).encode(),
        {"Authorization": f"Bearer {INTAKE_TOKEN}", "Content-Type": JSON},
    )
    assert reply.status == 201, reply.body
    vakt.idle()
    return int(reply.json()["id"])


# ---------------------------------------------------------------- the kinds of request


@dataclass(frozen=True)
class Kind:
    """One kind of request Slack sends: how to make a genuine one, and what it does."""

    name: str
    content_type: str
    body: Callable[[Vakt], str]


def _slash(vakt: Vakt) -> str:
    # An absence on a distinct future day each time: a genuine request adds a row.
    day = NOW.date() + timedelta(days=7 + next(_serial) % 300)
    return slash_command_body(
        f"away {day.isoformat()}",
        user_id=MEMBER,
        response_url=vakt.fake.response_url(f"sig{next(_serial)}"),
        trigger_id="1.2.3",
    )


def _button(vakt: Vakt) -> str:
    return block_actions_body(
        ids.ITEM_ANSWERED,
        str(_item(vakt)),
        user_id=MEMBER,
        channel_id=INTAKE,
        response_url=vakt.fake.response_url(f"sig{next(_serial)}"),
    )


def _modal(vakt: Vakt) -> str:
    n = next(_serial)
    values = {
        ids.FIELD_ACCOUNT: {
            ids.FIELD_ACCOUNT: {"type": "static_select", "selected_option": {"value": "fb-main"}}
        },
        ids.FIELD_URL: {
            ids.FIELD_URL: {
                "type": "url_text_input",
                "value": f"https://www.facebook.com/testrud/posts/m{n}",
            }
        },
        ids.FIELD_RECEIVED: {
            ids.FIELD_RECEIVED: {
                "type": "datetimepicker",
                "selected_date_time": int(NOW.timestamp()) - 600,
            }
        },
        ids.FIELD_NOTE: {ids.FIELD_NOTE: {"type": "plain_text_input", "value": "Åpningstider?"}},
        ids.FIELD_REGISTER: {ids.FIELD_REGISTER: {"type": "checkboxes", "selected_options": []}},
    }
    return view_submission_body(ids.NEW_ITEM_VIEW, values, user_id=MEMBER)


def _shortcut(vakt: Vakt) -> str:
    ts = f"{NOW.timestamp() - 60 - next(_serial):.6f}"
    message = {"type": "message", "user": "U111", "ts": ts, "text": "Hvor søker jeg om SFO?"}
    return message_action_body(ids.TRACK_SHORTCUT, message, user_id=MEMBER, channel_id=INTAKE)


def _event(vakt: Vakt) -> str:
    ts = f"{NOW.timestamp() - 120 - next(_serial):.6f}"
    message = {
        "type": "message",
        "text": "Når tømmes søpla i Storgata?",
        "user": "U111",
        "ts": ts,
        "team": "T111",
        "channel": INTAKE,
        "event_ts": ts,
        "channel_type": "channel",
    }
    return event_body(message, event_id=f"EvSig{next(_serial)}")


def _url_verification(vakt: Vakt) -> str:
    return json.dumps(
        {"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "challenge": "c-4711", "type": "url_verification"}
    )


KINDS = [
    Kind("slash_command", FORM, _slash),
    Kind("block_actions", FORM, _button),
    Kind("view_submission", FORM, _modal),
    Kind("message_action", FORM, _shortcut),
    Kind("event_callback", JSON, _event),
    Kind("url_verification", JSON, _url_verification),
]


def _processed(vakt: Vakt, kind: Kind, reply: HttpReply, before: Any, calls: int) -> None:
    """A genuine request did what it does."""
    assert reply.status == 200, (kind.name, reply.status, reply.body)
    if kind.name == "url_verification":
        assert reply.json() == {"challenge": "c-4711"}
        return
    if kind.name == "message_action":
        assert vakt.fake.calls_to("views.open")[-1].ok
    else:
        assert changes(before, dump(vakt.runtime.engine)), f"{kind.name} changed nothing"
    assert len(vakt.fake.calls) > calls


# ---------------------------------------------------------------- the forgeries


Forgery = Callable[[bytes, str], tuple[bytes, dict[str, str]]]


def _now() -> float:
    return time.time()


def unsigned(raw: bytes, ct: str) -> tuple[bytes, dict[str, str]]:
    return raw, {"Content-Type": ct}


def wrong_secret(raw: bytes, ct: str) -> tuple[bytes, dict[str, str]]:
    return raw, sign(raw, "not-the-signing-secret", int(_now()), content_type=ct)


def changed_after_signing(raw: bytes, ct: str) -> tuple[bytes, dict[str, str]]:
    headers = sign(raw, SECRET, int(_now()), content_type=ct)
    # The same request as someone else (a coordinator), or one byte more.
    forged = raw.replace(MEMBER.encode(), ROLES["coordinator"].encode())
    return (forged if forged != raw else raw + b" "), headers


def stale(raw: bytes, ct: str) -> tuple[bytes, dict[str, str]]:
    return raw, sign(raw, SECRET, math.floor(_now()) - FIVE_MINUTES - 1, content_type=ct)


def from_the_future(raw: bytes, ct: str) -> tuple[bytes, dict[str, str]]:
    return raw, sign(raw, SECRET, math.ceil(_now()) + FIVE_MINUTES + 1, content_type=ct)


def no_timestamp(raw: bytes, ct: str) -> tuple[bytes, dict[str, str]]:
    headers = sign(raw, SECRET, int(_now()), content_type=ct)
    del headers["X-Slack-Request-Timestamp"]
    return raw, headers


def no_signature(raw: bytes, ct: str) -> tuple[bytes, dict[str, str]]:
    headers = sign(raw, SECRET, int(_now()), content_type=ct)
    del headers["X-Slack-Signature"]
    return raw, headers


def other_version(raw: bytes, ct: str) -> tuple[bytes, dict[str, str]]:
    headers = sign(raw, SECRET, int(_now()), content_type=ct)
    headers["X-Slack-Signature"] = "v1=" + headers["X-Slack-Signature"][3:]
    return raw, headers


def garbled_timestamp(value: str) -> Forgery:
    def forge(raw: bytes, ct: str) -> tuple[bytes, dict[str, str]]:
        headers = sign(raw, SECRET, int(_now()), content_type=ct)
        # Header bytes travel as they are; HTTP clients and WSGI read them as Latin-1.
        headers["X-Slack-Request-Timestamp"] = value.encode().decode("latin-1")
        return raw, headers

    forge.__name__ = f"timestamp {value[:20]!r}"
    return forge


def signed_with_garbled_timestamp(raw: bytes, ct: str) -> tuple[bytes, dict[str, str]]:
    """The signature computed over the garbled timestamp itself (what an attacker who knows
    nothing can still do consistently)."""
    value = f"{int(_now())}.5"
    headers = sign(raw, SECRET, int(_now()), content_type=ct)
    headers["X-Slack-Request-Timestamp"] = value
    return raw, headers


def non_ascii_signature(raw: bytes, ct: str) -> tuple[bytes, dict[str, str]]:
    headers = sign(raw, SECRET, int(_now()), content_type=ct)
    headers["X-Slack-Signature"] = "v0=" + "é" * 64
    return raw, headers


FORGERIES: list[Forgery] = [
    unsigned,
    wrong_secret,
    changed_after_signing,
    stale,
    from_the_future,
    no_timestamp,
    no_signature,
    other_version,
]

# Bolt (1.30) would answer these with a 500 and an ERROR log instead of a 401 (its verifier calls
# int() on the timestamp, and hmac.compare_digest() refuses non-ASCII text): bot.web.app's
# check_slack_request refuses them before Bolt sees them.
GARBLED: list[Forgery] = [
    garbled_timestamp("abc"),
    garbled_timestamp(""),
    garbled_timestamp("9" * 5000),
    garbled_timestamp("١٧٠٠٠٠٠٠٠٠"),
    signed_with_garbled_timestamp,
    non_ascii_signature,
]


def _forged(vakt: Vakt, forgeries: list[Forgery]) -> dict[tuple[str, str], Any]:
    """Send every kind of request forged every way; what was not a clean 401."""
    outcomes: dict[tuple[str, str], Any] = {}
    for kind in KINDS:
        for forge in forgeries:
            raw = kind.body(vakt).encode()  # setting up (an item to press on) sends its card
            before, calls = dump(vakt.runtime.engine), len(vakt.fake.calls)
            body, headers = forge(raw, kind.content_type)
            reply = vakt.post("/slack/events", body, headers)
            vakt.idle()
            changed = changes(before, dump(vakt.runtime.engine))
            new_calls = [c.method for c in vakt.fake.calls[calls:]]
            if reply.status != 401 or changed or new_calls or b"c-4711" in reply.body:
                outcome = (reply.status, reply.body[:100], changed, new_calls)
                outcomes[(kind.name, forge.__name__)] = outcome
    return outcomes


def test_a_forged_request_is_401_and_changes_nothing(vakt: Vakt) -> None:
    assert _forged(vakt, FORGERIES) == {}
    # The same requests, genuine and four minutes off either way, are Slack's: processed.
    for offset in (-240, 240):
        for kind in KINDS:
            raw = kind.body(vakt).encode()
            before, calls = dump(vakt.runtime.engine), len(vakt.fake.calls)
            headers = sign(raw, SECRET, int(_now()) + offset, content_type=kind.content_type)
            reply = vakt.post("/slack/events", raw, headers)
            vakt.idle()
            _processed(vakt, kind, reply, before, calls)
    # An unsigned ssl_check ping is answered (Bolt: 200, empty) or refused (401), and nothing
    # is processed, even when it carries a command.
    before, calls = dump(vakt.runtime.engine), len(vakt.fake.calls)
    body = _slash(vakt) + "&ssl_check=1"
    reply = vakt.post("/slack/events", body.encode(), {"Content-Type": FORM})
    vakt.idle()
    assert reply.status in (200, 401) and b"away" not in reply.body
    assert changes(before, dump(vakt.runtime.engine)) == {}
    assert len(vakt.fake.calls) == calls


def test_a_garbled_header_is_401_not_a_crash(vakt: Vakt) -> None:
    assert _forged(vakt, GARBLED) == {}


UNREADABLE = [
    (b"{not json", JSON),
    (b"payload=%7Bnot+json", FORM),
    (b"[1, 2, 3]", JSON),
    (b'{"enterprise": 5, "user": 7}', JSON),
]


def test_an_unreadable_body_is_refused_without_a_crash(vakt: Vakt) -> None:
    """Bolt parses a body before it checks its signature, and crashes on these: unsigned they
    are a 401, signed (only Slack could) a 400 – never a 500. A body that is not UTF-8 is a 401
    either way: slack_sdk cannot even check a signature over it."""
    before, calls = dump(vakt.runtime.engine), len(vakt.fake.calls)
    statuses = []
    for raw, content_type in UNREADABLE:
        statuses.append(vakt.post("/slack/events", raw, {"Content-Type": content_type}).status)
        signed = sign(raw, SECRET, int(_now()), content_type=content_type)
        statuses.append(vakt.post("/slack/events", raw, signed).status)
    raw = bytes(range(256))
    for headers in ({"Content-Type": FORM}, sign(raw, SECRET, int(_now()), content_type=FORM)):
        statuses.append(vakt.post("/slack/events", raw, headers).status)
    vakt.idle()
    assert statuses == [401, 400] * len(UNREADABLE) + [401, 401]
    assert changes(before, dump(vakt.runtime.engine)) == {}
    assert len(vakt.fake.calls) == calls


# ---------------------------------------------------------------- the pure check


class FixedClock(Clock):
    def __init__(self, now: float) -> None:
        self.at = now

    def now(self) -> float:
        return self.at


T = 1_795_000_000


def _headers(raw: bytes, timestamp: int | str, secret: str = SECRET) -> dict[str, str]:
    signed = sign(raw, secret, int(timestamp) if str(timestamp).isdigit() else T)
    return {
        "x-slack-request-timestamp": str(timestamp),
        "x-slack-signature": signed["X-Slack-Signature"],
        "content-type": FORM,
    }


def test_check_slack_request() -> None:
    verifier = SignatureVerifier(SECRET, clock=FixedClock(T))
    raw = b"token=x&command=%2Fvakt&text=who&user_id=U0ANNA"
    check_slack_request(verifier, raw, _headers(raw, T))
    check_slack_request(verifier, raw, _headers(raw, T - FIVE_MINUTES))
    check_slack_request(verifier, raw, _headers(raw, T + FIVE_MINUTES))
    refused = [
        _headers(raw, T - FIVE_MINUTES - 1),
        _headers(raw, T + FIVE_MINUTES + 1),
        _headers(raw, T, secret="another"),
        {**_headers(raw, T), "x-slack-request-timestamp": "abc"},
        {**_headers(raw, T), "x-slack-request-timestamp": ""},
        {**_headers(raw, T), "x-slack-request-timestamp": f"{T}.0"},
        {**_headers(raw, T), "x-slack-request-timestamp": "9" * 5000},
        {**_headers(raw, T), "x-slack-request-timestamp": " " + str(T)},
        {**_headers(raw, T), "x-slack-signature": "v0=" + "é" * 64},
        {**_headers(raw, T), "x-slack-signature": ""},
        {"content-type": FORM},
    ]
    for headers in refused:
        with pytest.raises(SlackRequestError) as caught:
            check_slack_request(verifier, raw, headers)
        assert caught.value.status == 401 and caught.value.answer()["error"] == "invalid_signature"
    with pytest.raises(SlackRequestError) as caught:
        check_slack_request(verifier, raw + b"&x=1", _headers(raw, T))
    assert caught.value.status == 401
    with pytest.raises(SlackRequestError) as caught:  # slack_sdk cannot check it: not Slack's
        check_slack_request(verifier, bytes(range(256)), _headers(bytes(range(256)), T))
    assert caught.value.status == 401
    for bad in (b"{not json", b"[1]", b'{"enterprise": 5}', b"payload=%7Bx"):
        with pytest.raises(SlackRequestError) as caught:
            check_slack_request(verifier, bad, {**_headers(bad, T), "content-type": JSON})
        assert caught.value.status == 400, bad


# ---------------------------------------------------------------- the intake's token


INTAKE_BODIES = {
    "/intake": {
        "account": "fb-main",
        "external_id": "fb:tok-1",
        "url": "https://www.facebook.com/testrud/posts/tok-1",
        "received_at": (NOW - timedelta(minutes=5)).isoformat(),
    },
    "/intake/answered": {
        "account": "fb-main",
        "external_id": "fb:tok-1",
        "answered_at": (NOW - timedelta(minutes=1)).isoformat(),
    },
    "/intake/post": {
        "account": "fb-main",
        "external_id": "fb:post-1",
        "posted_at": (NOW - timedelta(minutes=1)).isoformat(),
    },
}


def test_the_intake_refuses_a_wrong_token_and_changes_nothing(vakt: Vakt) -> None:
    """Beyond tests/web/test_intake_http.py: tokens no client would send (other scripts, huge,
    the token of another setting, the signing secret), and a full dump of every table."""
    wrong = [
        None,
        "Bearer " + INTAKE_TOKEN.upper(),
        "Bearer " + "x" * 20_000,
        "Bearer " + INTAKE_TOKEN.replace("t", "ø"),
        "Bearer " + SECRET,
        "Bearer xoxb-test-token",
        "Token " + INTAKE_TOKEN,
        INTAKE_TOKEN,
    ]
    before, calls = dump(vakt.runtime.engine), len(vakt.fake.calls)
    statuses = {}
    for path, data in INTAKE_BODIES.items():
        for authorization in wrong:
            headers = {"Content-Type": JSON}
            if authorization is not None:
                headers["Authorization"] = authorization
            reply = vakt.post(path, json.dumps(data).encode(), headers)
            statuses[(path, (authorization or "")[:30])] = reply.status
    vakt.idle()
    assert set(statuses.values()) == {401}
    assert changes(before, dump(vakt.runtime.engine)) == {}
    assert len(vakt.fake.calls) == calls
    # The right token is let in (so the refusals above were about the token).
    right = {"Content-Type": JSON, "Authorization": f"Bearer {INTAKE_TOKEN}"}
    for path, data in INTAKE_BODIES.items():
        assert vakt.post(path, json.dumps(data).encode(), right).status in (200, 201), path
