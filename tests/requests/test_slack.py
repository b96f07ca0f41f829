"""Account requests through Slack end to end: `/vakt request` opens the form, the submission
reaches the coordinators and the team's manager with Approve / Decline, approval makes the
account on the team's rota and tells the requester, decline asks for its reason, every message
of the request is updated, and `/vakt requests` lists what waits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from bot.requests import blocks as rb
from bot.store.models import Account, AccountRequest, AuditLog, Outbox
from tests.archive.test_slack import click_open, open_view, slash, submit
from tests.fakeslack import FakeSlack, block_actions_body
from tests.harness import Vakt
from tests.items.test_slack import NOW, press, wait_until


@pytest.fixture
def vakt_any_db(fake: FakeSlack, any_db_url: str, tmp_path: Path) -> Iterator[Vakt]:
    """The harness on SQLite and on PostgreSQL."""
    harness = Vakt(fake, any_db_url, tmp_path, NOW)
    yield harness
    harness.close()
    fake.assert_no_errors()


def values(**change: Any) -> dict[str, Any]:
    """The request modal's state as Slack sends it on submit."""
    answers: dict[str, Any] = {
        "name": "Testrud bibliotek",
        "platform": "instagram",
        "kind": "page",
        "url": None,
        "team": "komm",
        "unit": "Biblioteket",
        "purpose": "Arrangementer og nyheter fra biblioteket",
        "audience": "Lånere og familier",
        "dialogue": "Svar senest neste virkedag; moderering daglig",
        "privacy": "Ingen personopplysninger i innlegg",
        "resources": "To timer i uka",
        "plan": "Ukentlige innlegg om arrangementer",
        "admins": ["U0ANNA", "U0BO"],
        "substitute": "U0CARL",
        "end_date": None,
        **change,
    }

    def field(name: str, element: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return rb.block_id(name), {rb.block_id(name): element}

    def select_(value: str | None) -> dict[str, Any]:
        return {"type": "static_select", "selected_option": {"value": value} if value else None}

    state = dict(
        [
            *(
                field(n, {"type": "plain_text_input", "value": answers[n]})
                for n in (
                    "name",
                    "unit",
                    "purpose",
                    "audience",
                    "dialogue",
                    "privacy",
                    "resources",
                    "plan",
                )
            ),
            *(field(n, select_(answers[n])) for n in ("platform", "kind", "team")),
            field("url", {"type": "url_text_input", "value": answers["url"]}),
            field("admins", {"type": "multi_users_select", "selected_users": answers["admins"]}),
            field("substitute", {"type": "users_select", "selected_user": answers["substitute"]}),
            field("end_date", {"type": "datepicker", "selected_date": answers["end_date"]}),
        ]
    )
    return state


def all_rows(vakt: Vakt, model: Any) -> list[Any]:
    with Session(vakt.runtime.engine) as session:
        return list(session.exec(select(model).order_by(col(model.id))).all())


def action_ids(blocks: Any) -> list[str]:
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return [
        e["action_id"] for b in blocks or [] for e in b.get("elements") or [] if "action_id" in e
    ]


def request_and_wait(vakt: Vakt, user: str = "U0ANNA", **change: Any) -> dict[str, Any]:
    """Open the form with `/vakt request`, submit it, and wait for the deciders' cards."""
    before = len(vakt.fake.calls_to("views.open"))
    cards = len(vakt.sent("C0COMMS"))
    slash(vakt, "request", user=user)
    assert open_view(vakt, before)["callback_id"] == rb.REQUEST_VIEW
    answer = submit(vakt, rb.REQUEST_VIEW, values(**change), "", user=user)
    vakt.wait_sent("C0COMMS", cards + 1)
    return answer


def updates_of(vakt: Vakt, request_id: int) -> list[dict[str, Any]]:
    """chat.update calls on the request's cards, the latest per message."""
    rows = [r for r in all_rows(vakt, Outbox) if r.key.startswith(f"request:{request_id}:")]
    where = {(r.slack_channel, r.slack_ts) for r in rows}
    assert len(where) == len(rows) and None not in {ts for _, ts in where}
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for call in vakt.fake.calls_to("chat.update"):
        key = (call.args.get("channel"), call.args.get("ts"))
        if key in where:
            latest[key] = call.args
    return list(latest.values())


def test_request_form_approval_by_a_coordinator_puts_the_account_on_the_rota(
    vakt_any_db: Vakt,
) -> None:
    vakt = vakt_any_db
    before = len(vakt.fake.calls_to("views.open"))
    slash(vakt, "request Testrud bibliotek")
    modal = open_view(vakt, before)
    assert modal["callback_id"] == rb.REQUEST_VIEW
    blocks = {b.get("block_id"): b for b in modal["blocks"]}
    assert {rb.block_id(f) for f in rb.FIELDS} <= set(blocks)
    assert blocks[rb.block_id("name")]["element"]["initial_value"] == "Testrud bibliotek"
    platforms = [o["value"] for o in blocks[rb.block_id("platform")]["element"]["options"]]
    assert "instagram" in platforms and "Facebook group" in json.dumps(modal)
    assert blocks[rb.block_id("admins")]["element"]["type"] == "multi_users_select"

    answer = submit(vakt, rb.REQUEST_VIEW, values(), "")
    assert answer["response_action"] == "update"
    assert "Request #1" in json.dumps(answer["view"])
    (request,) = all_rows(vakt, AccountRequest)
    assert request.status == "pending" and request.requester == "U0ANNA"
    comms = vakt.wait_sent("C0COMMS")[-1]
    boss = vakt.wait_sent("U0BOSS")[-1]
    for card in (comms, boss):
        assert action_ids(card["blocks"]) == [rb.APPROVE, rb.DECLINE]
        assert "Arrangementer og nyheter fra biblioteket" in json.dumps(card["blocks"])

    refused = press(vakt, rb.APPROVE, "1", "U0BO", channel="C0COMMS")
    assert "Only a coordinator or the team's manager" in Vakt.reply_text(refused)
    assert len(all_rows(vakt, Account)) == 1

    done = press(vakt, rb.APPROVE, "1", "U0COORD1", channel="C0COMMS")
    assert "You approved request #1" in Vakt.reply_text(done)
    assert done.get("replace_original") is False
    account = all_rows(vakt, Account)[-1]
    assert (account.key, account.status, account.admins) == (
        "testrud-bibliotek",
        "active",
        "U0ANNA,U0BO,U0CARL",
    )
    request = all_rows(vakt, AccountRequest)[0]
    assert request.status == "approved" and request.account_id == account.id

    dm = vakt.wait_sent("U0ANNA")[-1]
    assert "`testrud-bibliotek`" in dm["text"] and "/vakt account edit" in dm["text"]
    wait_until(lambda: len(updates_of(vakt, 1)) == 2)
    for update in updates_of(vakt, 1):
        assert action_ids(update["blocks"]) == []
        assert "Approved" in json.dumps(update["blocks"])

    who = vakt.command("who testrud-bibliotek", user="U0BO")
    assert "Kommunikasjon" in who and "Testrud bibliotek" in who

    again = press(vakt, rb.APPROVE, "1", "U0BOSS", channel="U0BOSS")
    assert "already approved by <@U0COORD1>" in Vakt.reply_text(again)
    assert len(all_rows(vakt, Account)) == 2
    actions = [r.action for r in all_rows(vakt, AuditLog)]
    assert actions.count("account.create") == 1 and "request.submit" in actions


def test_a_bad_form_gets_errors_by_field_and_nothing_is_stored(vakt: Vakt) -> None:
    answer = submit(
        vakt,
        rb.REQUEST_VIEW,
        values(purpose="", url="facebook.com/x", admins=["U0CARL"], end_date="2026-11-23"),
        "",
    )
    assert answer["response_action"] == "errors"
    errors = answer["errors"]
    assert set(errors) == {
        rb.block_id("purpose"),
        rb.block_id("url"),
        rb.block_id("substitute"),
        rb.block_id("end_date"),
    }
    assert errors[rb.block_id("end_date")].startswith("The end date must be after today")
    assert "someone other than the only administrator" in errors[rb.block_id("substitute")]
    assert all_rows(vakt, AccountRequest) == [] and all_rows(vakt, Outbox) == []
    assert vakt.sent() == []


def test_decline_asks_for_the_reason_and_tells_the_requester(vakt: Vakt) -> None:
    request_and_wait(vakt, user="U0CARL")
    vakt.wait_sent("U0BOSS")

    refused = press(vakt, rb.DECLINE, "1", "U0ANNA", channel="U0BOSS")
    assert "Only a coordinator" in Vakt.reply_text(refused)

    modal = click_open(vakt, rb.DECLINE, "1", "U0BOSS")
    assert modal["callback_id"] == rb.DECLINE_VIEW
    metadata = modal["private_metadata"]
    empty = submit(
        vakt,
        rb.DECLINE_VIEW,
        {rb.FIELD_REASON: {rb.FIELD_REASON: {"type": "plain_text_input", "value": " "}}},
        metadata,
        user="U0BOSS",
    )
    assert empty["response_action"] == "errors" and rb.FIELD_REASON in empty["errors"]
    assert all_rows(vakt, AccountRequest)[0].status == "pending"

    reason = "Bruk kommunens hovedside i stedet"
    state = {rb.FIELD_REASON: {rb.FIELD_REASON: {"type": "plain_text_input", "value": reason}}}
    done = submit(vakt, rb.DECLINE_VIEW, state, metadata, user="U0BOSS")
    assert done["response_action"] == "update" and "You declined request #1" in json.dumps(done)
    request = all_rows(vakt, AccountRequest)[0]
    assert (request.status, request.decided_by, request.decline_reason) == (
        "declined",
        "U0BOSS",
        reason,
    )
    dm = vakt.wait_sent("U0CARL")[-1]
    assert reason in dm["text"] and "declined by <@U0BOSS>" in dm["text"]
    wait_until(lambda: len(updates_of(vakt, 1)) == 2)
    for update in updates_of(vakt, 1):
        assert action_ids(update["blocks"]) == [] and reason in json.dumps(update["blocks"])
    assert len(all_rows(vakt, Account)) == 1

    late = press(vakt, rb.APPROVE, "1", "U0COORD1", channel="C0COMMS")
    assert "already declined by <@U0BOSS>" in Vakt.reply_text(late)
    opens = len(vakt.fake.calls_to("views.open"))
    stale = press(vakt, rb.DECLINE, "1", "U0COORD1", channel="C0COMMS")
    assert "already declined" in Vakt.reply_text(stale)
    assert len(vakt.fake.calls_to("views.open")) == opens


def test_requests_lists_what_waits_and_decides_from_the_list(vakt: Vakt) -> None:
    request_and_wait(vakt, user="U0ANNA")
    assert "No account requests are waiting" in vakt.command("requests", user="U0CARL")
    mine = vakt.command("requests", user="U0ANNA")
    assert "Testrud bibliotek" in mine and "Approve" not in mine
    listing = vakt.command("requests", user="U0COORD1")
    assert "Testrud bibliotek" in listing and "Approve" in listing

    # Approve from the (ephemeral) list: the list is replaced by a fresh one.
    count = len(vakt.fake.calls_to("response_url"))
    body = block_actions_body(
        rb.APPROVE,
        "1",
        user_id="U0COORD1",
        channel_id="C0COMMS",
        container={
            "type": "message",
            "message_ts": "1700000000.000100",
            "channel_id": "C0COMMS",
            "is_ephemeral": True,
        },
        response_url=vakt.fake.response_url(f"list{count}"),
    )
    assert vakt.signed_post(body).status == 200
    answer = vakt.fake.wait_for("response_url", count + 1)[count].args
    vakt._responses = count + 1
    vakt.idle()
    assert answer["replace_original"] is True
    text = Vakt.reply_text(answer)
    assert "You approved request #1" in text and "Decided in the last 30 days" in text
    assert "Approve" not in text
    assert [a.key for a in all_rows(vakt, Account)] == ["fb-main", "testrud-bibliotek"]
