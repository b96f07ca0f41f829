"""`POST /intake/post` over real HTTP: an automation reports a post published on an account
(its activity and posting volume), with the same token and rules as `/intake`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import func, select

from bot.store.db import session_scope
from bot.store.models import Account, AccountPost, Outbox
from bot.web.intake import IntakeError, parse_post
from tests.harness import INTAKE_TOKEN, HttpReply, Vakt

JSON = "application/json"
AUTH = {"Authorization": f"Bearer {INTAKE_TOKEN}", "Content-Type": JSON}
POSTED = "2026-11-23T09:15:00+01:00"  # Monday, 45 minutes before the harness clock


def post(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "account": "fb-main",
        "external_id": "fb:1234567890",
        "posted_at": POSTED,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not ...}


def send(vakt: Vakt, data: Any, headers: dict[str, str] | None = None) -> HttpReply:
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    return vakt.post("/intake/post", body, AUTH if headers is None else headers)


def stored(vakt: Vakt) -> list[AccountPost]:
    with session_scope(vakt.runtime.engine) as session:
        return list(session.exec(select(AccountPost)).all())


def test_a_post_is_recorded_once(vakt: Vakt) -> None:
    reply = send(vakt, post())
    assert reply.status == 201, reply.body
    answer = reply.json()
    assert answer == {
        "ok": True,
        "id": answer["id"],
        "created": True,
        "posted_at": "2026-11-23T09:15:00+01:00",
    }
    assert reply.headers["Content-Type"] == JSON
    (row,) = stored(vakt)
    assert (row.id, row.source, row.created_by) == (answer["id"], "http", "http")
    assert row.external_id == "fb:1234567890"
    assert row.posted_at == datetime(2026, 11, 23, 8, 15, tzinfo=UTC)
    # The automation sends it again (a retry, an edit): the same post, 200.
    again = send(vakt, post(posted_at="2026-11-23T08:15:00Z", account="FB-MAIN", extra=1))
    assert again.status == 200, again.body
    assert again.json() == {**answer, "created": False}
    assert len(stored(vakt)) == 1
    # Nothing is said in Slack: a post is not news for the team.
    with session_scope(vakt.runtime.engine) as session:
        assert session.exec(select(func.count()).select_from(Outbox)).one() == 0


def test_utc_and_other_offsets_are_the_same_instant(vakt: Vakt) -> None:
    assert send(vakt, post(external_id="a", posted_at="2026-11-23T08:15:00Z")).status == 201
    assert send(vakt, post(external_id="b", posted_at="2026-11-23T03:15:00-05:00")).status == 201
    assert {p.posted_at for p in stored(vakt)} == {datetime(2026, 11, 23, 8, 15, tzinfo=UTC)}


@pytest.mark.parametrize(
    ("data", "status", "error", "field"),
    [
        (post(account=...), 400, "missing_field", "account"),
        (post(external_id=""), 400, "invalid_field", "external_id"),
        (post(external_id="x" * 201), 400, "invalid_field", "external_id"),
        (post(posted_at=...), 400, "missing_field", "posted_at"),
        (post(posted_at="2026-11-23T09:15:00"), 400, "invalid_field", "posted_at"),
        (post(posted_at="yesterday"), 400, "invalid_field", "posted_at"),
        (post(posted_at=1763885700), 400, "invalid_field", "posted_at"),
        (post(account="nope"), 422, "unknown_account", "account"),
        (post(posted_at="2026-11-23T10:06:00+01:00"), 422, "post_future", "posted_at"),
        (post(posted_at="2025-11-01T10:00:00+01:00"), 422, "post_too_old", "posted_at"),
        (b"[1, 2]", 400, "invalid_json", None),
        (b"{", 400, "invalid_json", None),
    ],
)
def test_refusals_name_the_problem_and_store_nothing(
    vakt: Vakt, data: Any, status: int, error: str, field: str | None
) -> None:
    reply = send(vakt, data)
    assert reply.status == status, reply.body
    answer = reply.json()
    assert answer["ok"] is False and answer["error"] == error
    assert answer.get("field") == field
    assert answer.get("message")
    assert stored(vakt) == []


@pytest.mark.parametrize(
    ("status", "error"),
    [("closed", "post_account_closed"), ("requested", "post_account_requested")],
)
def test_closed_and_requested_accounts_are_refused(vakt: Vakt, status: str, error: str) -> None:
    with session_scope(vakt.runtime.engine) as session:
        session.exec(select(Account)).one().status = status
    reply = send(vakt, post())
    assert reply.status == 422
    assert reply.json()["error"] == error and reply.json()["field"] == "account"
    assert "Testrud kommune" in reply.json()["message"]
    assert stored(vakt) == []


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {INTAKE_TOKEN}"])
def test_without_the_right_token_401(vakt: Vakt, authorization: str | None) -> None:
    headers = {"Content-Type": JSON}
    if authorization:
        headers["Authorization"] = authorization
    reply = send(vakt, post(), headers)
    assert reply.status == 401 and reply.json()["error"] == "unauthorized"
    assert reply.headers["WWW-Authenticate"].startswith("Bearer")
    assert stored(vakt) == []


def test_content_type_size_and_method(vakt: Vakt) -> None:
    text = send(vakt, post(), {**AUTH, "Content-Type": "text/plain"})
    assert text.status == 415 and text.json()["error"] == "unsupported_media_type"
    big = send(vakt, json.dumps(post(padding="x" * 70_000)).encode())
    assert big.status == 413 and big.json()["error"] == "body_too_large"
    got = vakt.get("/intake/post")
    assert got.status == 405 and got.headers["Allow"] == "POST"
    assert stored(vakt) == []


def test_parse_post() -> None:
    request = parse_post(json.dumps(post(account=" fb-main ")).encode())
    assert request.account == "fb-main" and request.external_id == "fb:1234567890"
    assert request.posted_at == datetime(2026, 11, 23, 8, 15, tzinfo=UTC)
    with pytest.raises(IntakeError) as caught:
        parse_post(b'{"account": "fb-main", "external_id": "x"}')
    assert (caught.value.status, caught.value.field) == (400, "posted_at")
