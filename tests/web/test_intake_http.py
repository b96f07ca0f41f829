"""The HTTP intake for automations: `POST /intake` and `POST /intake/answered` over real HTTP."""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import func, select

from bot.archive.export import export_archive
from bot.items import service as items
from bot.items.core import Status
from bot.kernel.context import Ctx
from bot.settings import SettingsError, load_settings
from bot.store.db import session_scope
from bot.store.models import Account, AuditLog, Item, Outbox
from bot.web import app as web
from bot.web.intake import (
    MAX_BODY,
    IntakeError,
    check_content_type,
    check_token,
    parse_answered,
    parse_intake,
)
from tests.fakeslack import FakeSlack
from tests.harness import INTAKE_TOKEN, OSLO, HttpReply, Vakt

JSON = "application/json"
AUTH = {"Authorization": f"Bearer {INTAKE_TOKEN}", "Content-Type": JSON}
RECEIVED = "2026-11-23T09:15:00+01:00"  # Monday, 45 minutes before the harness clock


def question(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "account": "fb-main",
        "external_id": "fb:1234567890_42",
        "url": "https://www.facebook.com/testrud/posts/1234567890?comment_id=42",
        "received_at": RECEIVED,
        "text": "Når åpner biblioteket i romjula?",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not ...}


def answered(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "account": "fb-main",
        "external_id": "fb:1234567890_42",
        "answered_at": "2026-11-23T09:45:00+01:00",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not ...}


def send(vakt: Vakt, path: str, data: Any, headers: dict[str, str] | None = None) -> HttpReply:
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    return vakt.post(path, body, AUTH if headers is None else headers)


def rows(vakt: Vakt) -> tuple[int, int]:
    """How many items and audit log entries are stored."""
    with session_scope(vakt.runtime.engine) as session:
        stored = session.exec(select(func.count()).select_from(Item)).one()
        audits = session.exec(select(func.count()).select_from(AuditLog)).one()
    return int(stored), int(audits)


def the_item(vakt: Vakt) -> Item:
    with session_scope(vakt.runtime.engine) as session:
        return session.exec(select(Item)).one()


# ---------------------------------------------------------------- taking a question in


def test_a_question_becomes_an_item_with_its_card(vakt: Vakt) -> None:
    reply = send(vakt, "/intake", question())
    assert reply.status == 201, reply.body
    answer = reply.json()
    assert answer == {
        "ok": True,
        "id": answer["id"],
        "created": True,
        # Received Monday 09:15: due the next working day at closing time, in Oslo's zone.
        "deadline": "2026-11-24T16:00:00+01:00",
    }
    assert reply.headers["Content-Type"] == JSON
    item = the_item(vakt)
    assert item.id == answer["id"]
    assert (item.source, item.status, item.created_by) == ("http", "open", "http")
    assert item.external_id == "fb:1234567890_42"
    assert item.received_at == datetime(2026, 11, 23, 8, 15, tzinfo=UTC)
    assert item.url == "https://www.facebook.com/testrud/posts/1234567890?comment_id=42"
    assert item.excerpt == "Når åpner biblioteket i romjula?"
    assert item.must_register is False  # the account's default
    # The card reached the team channel straight away, linking to the comment.
    card = vakt.wait_sent("C0TEAM1")
    assert len(card) == 1
    assert "https://www.facebook.com/testrud/posts/1234567890?comment_id=42" in json.dumps(card)


def test_the_same_question_twice_is_one_item(vakt: Vakt) -> None:
    first = send(vakt, "/intake", question())
    again = send(vakt, "/intake", question(text="edited in the automation"))
    assert first.status == 201 and again.status == 200, again.body
    assert again.json() == {
        "ok": True,
        "id": first.json()["id"],
        "created": False,
        "deadline": "2026-11-24T16:00:00+01:00",
    }
    assert rows(vakt)[0] == 1
    assert len(vakt.wait_sent("C0TEAM1")) == 1
    assert the_item(vakt).excerpt == "Når åpner biblioteket i romjula?"


def test_optional_fields(vakt: Vakt) -> None:
    reply = send(
        vakt,
        "/intake",
        question(text=..., must_register=True, received_at="2026-11-23T08:15:00.1234567Z"),
    )
    assert reply.status == 201, reply.body
    item = the_item(vakt)
    assert item.must_register is True and item.excerpt is None
    assert item.received_at == datetime(2026, 11, 23, 8, 15, 0, 123456, tzinfo=UTC)


def test_the_account_key_ignores_case_and_unknown_fields_are_ignored(vakt: Vakt) -> None:
    reply = send(vakt, "/intake", question(account="FB-Main", zap_id="abc", extra={"a": 1}))
    assert reply.status == 201, reply.body


def test_a_slack_failure_does_not_change_the_answer(vakt: Vakt) -> None:
    vakt.fake.fail_next("chat.postMessage", error="channel_not_found")
    reply = send(vakt, "/intake", question())
    assert reply.status == 201 and reply.json()["created"] is True
    with session_scope(vakt.runtime.engine) as session:
        card = session.exec(select(Outbox).where(Outbox.kind == "item_card")).one()
        assert (card.status, card.last_error) == ("failed", "channel_not_found")


def test_a_database_failure_after_the_commit_does_not_change_the_answer(
    vakt: Vakt, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(deps: Any) -> None:
        raise sa.exc.OperationalError("SELECT", {}, Exception("database went away"))

    monkeypatch.setattr(web, "deliver_now", broken)
    with caplog.at_level(logging.WARNING, logger="bot.web.app"):
        reply = send(vakt, "/intake", question())
    assert reply.status == 201 and rows(vakt)[0] == 1
    assert "sending its card failed: OperationalError" in caplog.text


PERSONAL = (
    "Ring 99887766 eller 998 87 766, mail ola@example.no. Jobb: +47 22 12 34 56, "
    "<mailto:kari@example.se|kari@example.se>, <tel:+46701234567|070-123 45 67>, "
    "08-123 456 78; fnr 010190 76543, pnr 19900101-9876. Møtet 2026-11-23 kl. 09:15 koster kr 1500."
)


def test_no_address_or_number_is_stored_shown_or_exported(vakt: Vakt, tmp_path: Path) -> None:
    reply = send(vakt, "/intake", question(text=PERSONAL))
    assert reply.status == 201, reply.body
    stored = the_item(vakt).excerpt
    assert stored is not None
    assert stored.startswith("Ring […] eller […], mail […]. Jobb: […], […], […], […]; fnr […]")
    card = json.dumps(vakt.wait_sent("C0TEAM1"), ensure_ascii=False)
    out = tmp_path / "export"
    export_archive(
        vakt.runtime.engine, tmp_path / "archive", out, date(2026, 11, 1), date(2026, 11, 30), OSLO
    )
    exported = [(out / "items.csv").read_text("utf-8-sig"), (out / "items.json").read_text()]
    assert "Ring […] eller […]" in card and all("Ring […] eller […]" in e for e in exported)
    for shown in (stored, card, *exported):
        for personal in (
            "99887766",
            "998 87 766",
            "ola@",
            "example.no",
            "kari",
            "22 12 34 56",
            "4670",
            "070-123",
            "456 78",
            "010190",
            "76543",
            "19900101",
            "9876",
        ):
            assert personal not in shown, (personal, shown)
    # The date, the time and the price are not personal data.
    assert "Møtet 2026-11-23 kl. 09:15 koster kr 1500" in stored


def test_a_citizens_formula_is_exported_defused(vakt: Vakt, tmp_path: Path) -> None:
    text = "Hei x;=cmd|' /C calc'!A0;y og ,@SUM(A1)"
    assert send(vakt, "/intake", question(text=text)).status == 201
    out = tmp_path / "export"
    start, end = date(2026, 11, 1), date(2026, 11, 30)
    export_archive(vakt.runtime.engine, tmp_path / "archive", out, start, end, OSLO)
    data = (out / "items.csv").read_bytes()
    assert "x;'=cmd" in data.decode("utf-8-sig")
    for delimiter in (",", ";"):
        reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter)
        cells = [cell for row in reader for cell in row]
        assert not [c for c in cells if c.lstrip(' "').startswith(("=", "+", "-", "@"))]


# ---------------------------------------------------------------- answered on the platform


def test_answered_closes_the_item_and_updates_its_card(vakt: Vakt) -> None:
    item_id = send(vakt, "/intake", question()).json()["id"]
    vakt.wait_sent("C0TEAM1")
    reply = send(vakt, "/intake/answered", answered())
    assert reply.status == 200, reply.body
    assert reply.json() == {"ok": True, "id": item_id, "changed": True}
    item = the_item(vakt)
    assert (item.status, item.closed_by) == ("answered", "http")
    assert item.closed_at == datetime(2026, 11, 23, 8, 45, tzinfo=UTC)
    updates = vakt.fake.calls_to("chat.update")
    assert len(updates) == 1 and updates[0].args["channel"] == "C0TEAM1"
    # The automation sends it again: nothing changes.
    again = send(vakt, "/intake/answered", answered(answered_at="2026-11-23T09:50:00+01:00"))
    assert again.status == 200
    assert again.json() == {"ok": True, "id": item_id, "changed": False}
    assert the_item(vakt).closed_at == datetime(2026, 11, 23, 8, 45, tzinfo=UTC)
    assert len(vakt.fake.calls_to("chat.update")) == 1


def test_answered_for_a_closed_question_changes_nothing(vakt: Vakt) -> None:
    item_id = send(vakt, "/intake", question()).json()["id"]
    with session_scope(vakt.runtime.engine) as session:
        ctx = Ctx(session, vakt.config, vakt.runtime.deps.calendar, vakt.clock.now, "U0ANNA")
        items.close_item(ctx, item_id, Status.NO_REPLY)
    before = rows(vakt)
    reply = send(vakt, "/intake/answered", answered())
    assert reply.status == 200, reply.body
    assert reply.json() == {"ok": True, "id": item_id, "changed": False}
    assert rows(vakt) == before
    assert (the_item(vakt).status, the_item(vakt).closed_by) == ("no_reply", "U0ANNA")
    assert vakt.fake.calls_to("chat.update") == []


def test_answered_for_an_unknown_question_is_404(vakt: Vakt) -> None:
    send(vakt, "/intake", question())
    before = rows(vakt)
    reply = send(vakt, "/intake/answered", answered(external_id="fb:nope"))
    assert reply.status == 404
    assert reply.json()["error"] == "unknown_item" and reply.json()["field"] == "external_id"
    assert rows(vakt) == before and the_item(vakt).status == "open"


def test_answered_in_the_future_is_refused(vakt: Vakt) -> None:
    send(vakt, "/intake", question())
    before = rows(vakt)
    reply = send(vakt, "/intake/answered", answered(answered_at="2026-11-23T12:00:00+01:00"))
    assert reply.status == 422, reply.body
    assert reply.json()["error"] == "received_future"
    assert reply.json()["field"] == "answered_at"
    assert rows(vakt) == before and the_item(vakt).status == "open"


def set_account_status(vakt: Vakt, status: str) -> None:
    with session_scope(vakt.runtime.engine) as session:
        session.exec(select(Account).where(Account.key == "fb-main")).one().status = status


@pytest.mark.parametrize(
    ("status", "error"),
    [("closed", "item_account_closed"), ("requested", "item_account_requested")],
)
def test_a_closed_or_requested_account_takes_no_questions(
    vakt: Vakt, status: str, error: str
) -> None:
    set_account_status(vakt, status)
    before = rows(vakt)
    reply = send(vakt, "/intake", question())
    assert reply.status == 422, reply.body
    assert reply.json()["error"] == error and reply.json()["field"] == "account"
    assert "Testrud kommune" in reply.json()["message"]
    assert rows(vakt) == before
    vakt.idle()
    assert vakt.sent("C0TEAM1") == []


def test_a_question_taken_in_before_the_account_closed_is_still_the_same_item(vakt: Vakt) -> None:
    item_id = send(vakt, "/intake", question()).json()["id"]
    set_account_status(vakt, "closed")
    again = send(vakt, "/intake", question())
    assert again.status == 200 and again.json()["id"] == item_id
    # Answered on the platform before the account went: the question is closed as answered.
    reply = send(vakt, "/intake/answered", answered())
    assert reply.status == 200, reply.body
    assert reply.json() == {"ok": True, "id": item_id, "changed": True}
    assert the_item(vakt).status == "answered"


def test_answered_on_a_requested_account_is_refused(vakt: Vakt) -> None:
    set_account_status(vakt, "requested")
    before = rows(vakt)
    reply = send(vakt, "/intake/answered", answered())
    assert reply.status == 422, reply.body
    assert reply.json()["error"] == "item_account_requested"
    assert reply.json()["field"] == "account" and "Testrud kommune" in reply.json()["message"]
    assert rows(vakt) == before


# ---------------------------------------------------------------- refusals store nothing

LONG = "x" * 201
CASES: list[tuple[str, str, Any, int, str, str | None]] = [
    # (name, path, body, status, error, field)
    ("not json", "/intake", b"{not json", 400, "invalid_json", None),
    ("not utf-8", "/intake", b'{"account": "\xff"}', 400, "invalid_json", None),
    ("a list", "/intake", [question()], 400, "invalid_json", None),
    ("a string", "/intake", "fb-main", 400, "invalid_json", None),
    ("empty body", "/intake", b"", 400, "invalid_json", None),
    ("deeply nested", "/intake", b"[" * 50_000, 400, "invalid_json", None),
    ("no account", "/intake", question(account=...), 400, "missing_field", "account"),
    ("null account", "/intake", question(account=None), 400, "missing_field", "account"),
    ("no external id", "/intake", question(external_id=...), 400, "missing_field", "external_id"),
    ("no url", "/intake", question(url=...), 400, "missing_field", "url"),
    ("no received_at", "/intake", question(received_at=...), 400, "missing_field", "received_at"),
    ("numeric id", "/intake", question(external_id=42), 400, "invalid_field", "external_id"),
    ("empty id", "/intake", question(external_id="  "), 400, "invalid_field", "external_id"),
    ("long id", "/intake", question(external_id=LONG), 400, "invalid_field", "external_id"),
    ("account list", "/intake", question(account=["a"]), 400, "invalid_field", "account"),
    ("url scheme", "/intake", question(url="ftp://x.no/1"), 400, "invalid_field", "url"),
    ("url relative", "/intake", question(url="/posts/1"), 400, "invalid_field", "url"),
    ("url space", "/intake", question(url="https://x.no/a b"), 400, "invalid_field", "url"),
    ("url pipe", "/intake", question(url="https://x.no/|evil>"), 400, "invalid_field", "url"),
    (
        "url long",
        "/intake",
        question(url="https://x.no/" + "a" * 1000),
        400,
        "invalid_field",
        "url",
    ),
    ("text long", "/intake", question(text="a" * 10_001), 400, "invalid_field", "text"),
    ("text number", "/intake", question(text=7), 400, "invalid_field", "text"),
    ("flag text", "/intake", question(must_register="yes"), 400, "invalid_field", "must_register"),
    (
        "naive time",
        "/intake",
        question(received_at="2026-11-23T09:15:00"),
        400,
        "invalid_field",
        "received_at",
    ),
    (
        "date only",
        "/intake",
        question(received_at="2026-11-23"),
        400,
        "invalid_field",
        "received_at",
    ),
    (
        "not a time",
        "/intake",
        question(received_at="yesterday"),
        400,
        "invalid_field",
        "received_at",
    ),
    ("epoch", "/intake", question(received_at=1795421700), 400, "invalid_field", "received_at"),
    (
        "unknown account",
        "/intake",
        question(account="tiktok-main"),
        422,
        "unknown_account",
        "account",
    ),
    (
        "future",
        "/intake",
        question(received_at="2026-11-23T10:06:00+01:00"),
        422,
        "received_future",
        "received_at",
    ),
    (
        "too old",
        "/intake",
        question(received_at="2025-11-01T10:00:00+01:00"),
        422,
        "received_too_old",
        "received_at",
    ),
    (
        "answered: no id",
        "/intake/answered",
        answered(external_id=...),
        400,
        "missing_field",
        "external_id",
    ),
    (
        "answered: naive",
        "/intake/answered",
        answered(answered_at="2026-11-23T09:45"),
        400,
        "invalid_field",
        "answered_at",
    ),
    (
        "answered: unknown account",
        "/intake/answered",
        answered(account="nope"),
        422,
        "unknown_account",
        "account",
    ),
]


@pytest.mark.parametrize(
    ("path", "body", "status", "error", "field"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_refusals_name_the_problem_and_store_nothing(
    vakt: Vakt, path: str, body: Any, status: int, error: str, field: str | None
) -> None:
    before = rows(vakt)
    reply = send(vakt, path, body)
    assert reply.status == status, reply.body
    answer = reply.json()
    assert answer["ok"] is False and answer["error"] == error
    assert answer.get("field") == field
    assert isinstance(answer["message"], str) and answer["message"]
    assert rows(vakt) == before
    assert vakt.sent("C0TEAM1") == []


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1"])
def test_a_body_not_in_utf8_is_refused(vakt: Vakt, encoding: str) -> None:
    before = rows(vakt)
    body = json.dumps(question(text="Når åpner biblioteket?"), ensure_ascii=False)
    reply = send(vakt, "/intake", body.encode(encoding))
    assert reply.status == 400, reply.body
    assert reply.json() == {
        "ok": False,
        "error": "invalid_json",
        "message": "The body is not UTF-8: send the JSON encoded as UTF-8.",
    }
    assert rows(vakt) == before


def test_a_utf8_byte_order_mark_is_ignored(vakt: Vakt) -> None:
    body = json.dumps(question(), ensure_ascii=False).encode("utf-8-sig")
    assert send(vakt, "/intake", body).status == 201
    assert the_item(vakt).excerpt == "Når åpner biblioteket i romjula?"


def test_a_body_over_64_kib_is_refused(vakt: Vakt) -> None:
    before = rows(vakt)
    body = json.dumps(question(text="a" * 70_000)).encode()
    reply = send(vakt, "/intake", body)
    assert reply.status == 413 and reply.json()["error"] == "body_too_large"
    assert rows(vakt) == before


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "", "application/json; charset=latin-1"],
)
def test_only_json_is_taken(vakt: Vakt, content_type: str) -> None:
    before = rows(vakt)
    headers = {"Authorization": AUTH["Authorization"], "Content-Type": content_type}
    reply = send(vakt, "/intake", question(), headers)
    assert reply.status == 415 and reply.json()["error"] == "unsupported_media_type"
    assert rows(vakt) == before


def test_json_with_a_charset_is_taken(vakt: Vakt) -> None:
    headers = {**AUTH, "Content-Type": "Application/JSON; charset=UTF-8"}
    assert send(vakt, "/intake", question(), headers).status == 201


# ---------------------------------------------------------------- who may post


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer wrong-token-but-long-enough",
        f"Basic {INTAKE_TOKEN}",
        f"Bearer {INTAKE_TOKEN}x",
        f"Bearer {INTAKE_TOKEN[:-1]}",
    ],
)
def test_without_the_right_token_401(vakt: Vakt, authorization: str | None) -> None:
    headers = {"Content-Type": JSON}
    if authorization is not None:
        headers["Authorization"] = authorization
    before = rows(vakt)
    for path, body in (("/intake", question()), ("/intake/answered", answered())):
        reply = send(vakt, path, body, headers)
        assert reply.status == 401
        assert reply.headers["WWW-Authenticate"].startswith("Bearer")
        assert reply.json()["error"] == "unauthorized"
    assert rows(vakt) == before


def test_the_scheme_is_case_insensitive(vakt: Vakt) -> None:
    headers = {**AUTH, "Authorization": f"bearer {INTAKE_TOKEN}"}
    assert send(vakt, "/intake", question(), headers).status == 201


def test_wrong_method_and_unknown_paths(vakt: Vakt) -> None:
    reply = vakt.get("/intake")
    assert reply.status == 405 and reply.headers["Allow"] == "POST"
    assert vakt.get("/intake/answered").status == 405
    assert send(vakt, "/intake/closed", answered()).status == 404
    assert send(vakt, "/intake/", question()).status == 404


@pytest.fixture
def closed_vakt(fake: FakeSlack, db_url: str, tmp_path: Path) -> Iterator[Vakt]:
    harness = Vakt(
        fake, db_url, tmp_path, datetime(2026, 11, 23, 10, 0, tzinfo=OSLO), intake_token=None
    )
    yield harness
    harness.close()


def test_without_a_configured_token_the_intake_is_off(closed_vakt: Vakt) -> None:
    assert closed_vakt.settings.intake_token is None
    for path, body in (("/intake", question()), ("/intake/answered", answered())):
        reply = send(closed_vakt, path, body)
        assert reply.status == 404
        assert reply.json() == {
            "ok": False,
            "error": "intake_disabled",
            "message": reply.json()["message"],
        }
    assert closed_vakt.get("/intake").status == 404
    assert rows(closed_vakt)[0] == 0


def test_the_token_is_never_logged_nor_shown(vakt: Vakt, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        send(vakt, "/intake", question())
        send(vakt, "/intake", question())
        send(vakt, "/intake/answered", answered())
        send(vakt, "/intake", b"{broken", AUTH)
        send(vakt, "/intake", question(), {**AUTH, "Authorization": f"Bearer {INTAKE_TOKEN}-no"})
    assert caplog.records  # something was logged at all
    assert INTAKE_TOKEN not in caplog.text
    assert INTAKE_TOKEN not in repr(vakt.settings) and INTAKE_TOKEN not in str(vakt.settings)
    assert INTAKE_TOKEN not in repr(vakt.web)


# ---------------------------------------------------------------- settings


def test_settings_read_the_token(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("VAKT_INTAKE_TOKEN=from-the-env-file-0123456789\n")
    assert load_settings({}, env).intake_token == "from-the-env-file-0123456789"
    assert load_settings({"VAKT_INTAKE_TOKEN": "  "}, env).intake_token is None
    assert load_settings({}, tmp_path / "none.env").intake_token is None
    for bad in ("tiny-tok", "change-me-change-me-change-me"):
        with pytest.raises(SettingsError) as caught:
            load_settings({"VAKT_INTAKE_TOKEN": bad}, tmp_path / "none.env")
        assert bad not in str(caught.value)


# ---------------------------------------------------------------- the pure parts


def test_parse_intake() -> None:
    request = parse_intake(json.dumps(question(must_register=False)).encode())
    assert request.account == "fb-main" and request.must_register is False
    assert request.received_at == datetime(2026, 11, 23, 8, 15, tzinfo=UTC)
    assert request.received_at.utcoffset() is not None
    with pytest.raises(IntakeError) as caught:
        parse_intake(json.dumps(question(url=None)).encode())
    assert (caught.value.status, caught.value.error, caught.value.field) == (
        400,
        "missing_field",
        "url",
    )
    assert caught.value.answer() == {
        "ok": False,
        "error": "missing_field",
        "field": "url",
        "message": "The field 'url' is required.",
    }


def test_parse_answered() -> None:
    request = parse_answered(json.dumps(answered(answered_at="2026-11-23T08:45:00Z")).encode())
    assert request.answered_at == datetime(2026, 11, 23, 8, 45, tzinfo=UTC)
    with pytest.raises(IntakeError) as caught:
        parse_answered(json.dumps(answered(answered_at="2026-11-23T09:45:00+25:00")).encode())
    assert caught.value.field == "answered_at"


def test_check_token() -> None:
    check_token("Bearer s3cret-s3cret-s3cret", "s3cret-s3cret-s3cret")
    check_token("  Bearer   s3cret-s3cret-s3cret ", "s3cret-s3cret-s3cret")
    for header in (None, "Bearer", "Bearer s3cret", "Bearer s3cret-s3cret-s3cret s", "Bearer ø"):
        with pytest.raises(IntakeError) as caught:
            check_token(header, "s3cret-s3cret-s3cret")
        assert caught.value.status == 401
    with pytest.raises(IntakeError) as caught:
        check_token("Bearer anything", None)
    assert (caught.value.status, caught.value.error) == (404, "intake_disabled")


def test_check_content_type() -> None:
    for good in (
        "application/json",
        "application/json; charset=utf-8",
        'application/json;charset="UTF-8"',
    ):
        check_content_type(good)
    for bad in (None, "", "text/json", "application/jsonx", "application/json; charset=utf-16"):
        with pytest.raises(IntakeError):
            check_content_type(bad)


def _call(app: web.WebApp, environ: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    seen: list[str] = []
    body = b"".join(app(environ, lambda status, headers: seen.append(status)))  # type: ignore[arg-type]
    return seen[0], json.loads(body)


def test_a_body_without_a_length_is_not_waited_for(vakt: Vakt) -> None:
    environ = {
        "PATH_INFO": "/intake",
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": JSON,
        "HTTP_AUTHORIZATION": AUTH["Authorization"],
        "wsgi.input": io.BytesIO(json.dumps(question()).encode()),
    }
    status, answer = _call(vakt.web, environ)
    assert status.startswith("411") and answer["error"] == "length_required"
    # gunicorn marks a body it ends itself (chunked): then it is read up to the limit.
    environ["wsgi.input"] = io.BytesIO(json.dumps(question()).encode())
    environ["wsgi.input_terminated"] = True
    status, answer = _call(vakt.web, environ)
    assert status.startswith("201"), answer
    environ["wsgi.input"] = io.BytesIO(b" " * (MAX_BODY + 10))
    status, answer = _call(vakt.web, environ)
    assert status.startswith("413")
    environ["CONTENT_LENGTH"] = "many"
    status, answer = _call(vakt.web, environ)
    assert status.startswith("400") and answer["error"] == "invalid_length"


def test_an_unexpected_error_is_a_plain_500(
    vakt: Vakt, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(ctx: Any, new: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(web.items, "create_item", boom)
    with caplog.at_level(logging.ERROR, logger="bot.web.app"):
        reply = send(vakt, "/intake", question())
    assert reply.status == 500 and reply.json() == {"ok": False, "error": "internal"}
    assert "Traceback" not in reply.body.decode()
    assert "HTTP intake failed on /intake" in caplog.text
    assert INTAKE_TOKEN not in caplog.text
