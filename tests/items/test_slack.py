"""Items through Slack end to end: intake channel events, reactions, the message shortcut,
`/vakt new`, the outcome buttons, and what managers ask. Real signed HTTP in, the fake Slack out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.items import ids
from bot.items.core import Status
from bot.store.models import AuditLog, Item
from tests.fakeslack import (
    FakeSlack,
    block_actions_body,
    event_body,
    message_action_body,
    view_submission_body,
)
from tests.harness import CONFIG, OSLO, Vakt
from tests.waiting import wait_until

INTAKE = "C0INTAKE"
INTAKE_CONFIG = CONFIG.replace('team = "komm"\n', 'team = "komm"\nintake_channel = "C0INTAKE"\n')
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=OSLO)


@pytest.fixture
def vakt(fake: FakeSlack, db_url: str, tmp_path: Path) -> Iterator[Vakt]:
    harness = Vakt(fake, db_url, tmp_path, NOW, config_text=INTAKE_CONFIG)
    yield harness
    harness.close()
    fake.assert_no_errors()


def ts_of(moment: datetime) -> str:
    return f"{moment.timestamp():.6f}"


def items_of(vakt: Vakt) -> list[Item]:
    with Session(vakt.runtime.engine) as session:
        return list(session.exec(select(Item).order_by(Item.id)).all())  # type: ignore[arg-type]


def message_event(
    text: str, ts: str, *, channel: str = INTAKE, user: str = "U0ANNA", **extra: Any
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "message",
        "text": text,
        "user": user,
        "ts": ts,
        "team": "T111",
        "channel": channel,
        "event_ts": ts,
        "channel_type": "channel",
    }
    event.update(extra)
    return {k: v for k, v in event.items() if v is not None}


def post_event(vakt: Vakt, event: dict[str, Any], event_id: str) -> None:
    reply = vakt.signed_post(event_body(event, event_id=event_id))
    assert reply.status == 200, reply.body


def intake(vakt: Vakt, text: str, at: datetime = NOW, event_id: str = "Ev1") -> Item:
    ts = ts_of(at)
    post_event(vakt, message_event(text, ts), event_id)
    wait_until(lambda: any(i.slack_ts == ts for i in items_of(vakt)))
    return next(i for i in items_of(vakt) if i.slack_ts == ts)


def cards(vakt: Vakt) -> list[dict[str, Any]]:
    return [m for m in vakt.sent(INTAKE) if m.get("thread_ts")]


def press(
    vakt: Vakt,
    action_id: str,
    value: str,
    user: str,
    *,
    channel: str = INTAKE,
    message_ts: str = "1700000000.000100",
    message: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Click a button on a message; returns what was sent to the response_url."""
    count = len(vakt.fake.calls_to("response_url"))
    body = block_actions_body(
        action_id,
        value,
        user_id=user,
        channel_id=channel,
        message_ts=message_ts,
        response_url=vakt.fake.response_url(f"press{count}"),
        message=message,
        trigger_id="111.222.trigger",
    )
    reply = vakt.signed_post(body)
    assert reply.status == 200, reply.body
    answer = vakt.fake.wait_for("response_url", count + 1)[count].args
    vakt._responses = count + 1  # keep the harness's own count of answers in step
    return answer


# ---------------------------------------------------------------- intake channel


def test_a_message_in_the_intake_channel_becomes_an_item_with_a_card(vakt: Vakt) -> None:
    item = intake(
        vakt,
        "Hei <@U0CITIZEN>! Når åpner svømmehallen? <https://www.facebook.com/testrud/posts/77|innlegg>",
    )
    assert item.source == "channel" and item.status == Status.OPEN
    assert item.url == "https://www.facebook.com/testrud/posts/77"
    assert item.excerpt == "Hei ! Når åpner svømmehallen?"  # no mention, no link kept
    assert item.deadline == datetime(2026, 11, 24, 16, 0, tzinfo=OSLO)
    card = vakt.wait_sent(INTAKE)[0]
    assert card["thread_ts"] == item.slack_ts
    text = vakt.reply_text(card)
    assert f"Question #{item.id}" in text
    assert "Due Tuesday 24 November 16:00 (week 48)" in text
    assert "on duty <@U0ANNA>, substitute <@U0BO>" in text
    assert "Answered" in text and "No reply needed" in text and "Referred to case handling" in text
    assert "Deleted…" in text  # opens the deletion log


def test_addresses_and_numbers_in_an_intake_message_are_not_kept(vakt: Vakt) -> None:
    # As Slack delivers them: what it recognises wrapped, the rest as typed.
    item = intake(
        vakt,
        "Ring meg på <tel:99887766|998 87 766> eller 070-123 45 67, "
        "<mailto:ola@example.no|ola@example.no> – fnr 01019076543. Gjelder 23.11.2026.",
    )
    assert item.excerpt == "Ring meg på […] eller […], […] – fnr […]. Gjelder 23.11.2026."
    card = json.dumps(vakt.wait_sent(INTAKE), ensure_ascii=False)
    assert "ola@" not in card and "998 87" not in card and "01019076543" not in card


def test_retried_and_duplicated_events_make_one_item(vakt: Vakt) -> None:
    ts = ts_of(NOW)
    event = message_event("Hvorfor er veien stengt?", ts)
    post_event(vakt, event, "EvA")
    wait_until(lambda: len(items_of(vakt)) == 1)
    post_event(vakt, event, "EvA")  # the Events API's retry: same event_id
    post_event(vakt, event, "EvB")  # the same message delivered again under another id
    vakt.idle()  # every copy was handled ...
    # The retry was recognised before any Slack call; the second delivery was looked at.
    assert len(vakt.fake.calls_to("chat.getPermalink")) == 2
    assert len(items_of(vakt)) == 1  # ... and one item made
    assert len(cards(vakt)) == 1


def test_own_messages_thread_replies_and_edits_are_not_items(vakt: Vakt) -> None:
    base = NOW - timedelta(minutes=5)
    post_event(vakt, message_event("Vakt's card", ts_of(base), user="UBOT", bot_id="BBOT"), "E1")
    post_event(
        vakt,
        message_event("a reply", ts_of(base + timedelta(seconds=1)), thread_ts=ts_of(base)),
        "E2",
    )
    post_event(
        vakt,
        message_event("edited", ts_of(base + timedelta(seconds=2)), subtype="message_changed"),
        "E3",
    )
    post_event(vakt, message_event("elsewhere", ts_of(base), channel="C0OTHER"), "E4")
    vakt.idle()
    assert items_of(vakt) == []


def test_integration_posts_become_items(vakt: Vakt) -> None:
    # Zapier and Power Automate post as bot_message, often with the comment in an attachment.
    ts = ts_of(NOW - timedelta(minutes=1))
    event = message_event(
        "",
        ts,
        user=None,
        subtype="bot_message",
        bot_id="B0ZAPIER",
        username="Zapier",
        attachments=[
            {
                "fallback": "New comment",
                "title": "New comment on Testrud kommune",
                "text": "Er det brøytet i Storgata? https://www.facebook.com/testrud/posts/9",
            }
        ],
    )
    post_event(vakt, event, "EvZ")
    wait_until(lambda: len(items_of(vakt)) == 1)
    item = items_of(vakt)[0]
    assert item.created_by == "B0ZAPIER"
    assert item.url == "https://www.facebook.com/testrud/posts/9"
    assert item.excerpt is not None and "Er det brøytet i Storgata?" in item.excerpt


def test_a_check_mark_from_a_team_member_marks_the_item_answered(vakt: Vakt) -> None:
    item = intake(vakt, "Kan jeg få svar?")
    vakt.wait_sent(INTAKE)
    reaction = {
        "type": "reaction_added",
        "user": "U0STRANGER",
        "item": {"type": "message", "channel": INTAKE, "ts": item.slack_ts},
        "reaction": "white_check_mark",
        "item_user": "U0ANNA",
        "event_ts": ts_of(NOW + timedelta(minutes=1)),
    }
    post_event(vakt, reaction, "EvR1")  # not in the team: ignored
    post_event(vakt, {**reaction, "user": "U0BO", "reaction": "heart"}, "EvR2")
    vakt.idle()
    assert items_of(vakt)[0].status == Status.OPEN
    post_event(vakt, {**reaction, "user": "U0BO", "reaction": "heavy_check_mark"}, "EvR3")
    wait_until(lambda: items_of(vakt)[0].status == Status.ANSWERED)
    assert items_of(vakt)[0].closed_by == "U0BO"
    update = vakt.fake.wait_for("chat.update")[0].args
    assert "answered by <@U0BO>" in vakt.reply_text(update)
    assert "Reopen" in vakt.reply_text(update)


# ---------------------------------------------------------------- buttons


def test_card_buttons_close_refuse_and_reopen(vakt: Vakt) -> None:
    item = intake(vakt, "Hva koster parkering?")
    card = vakt.wait_sent(INTAKE)[0]
    card_ts = vakt.fake.calls_to("chat.postMessage")[0].response["ts"]
    value = str(item.id)
    refused = press(vakt, ids.ITEM_ANSWERED, value, "U0STRANGER", message_ts=card_ts)
    assert "Only members of Kommunikasjon" in vakt.reply_text(refused)
    assert items_of(vakt)[0].status == Status.OPEN
    done = press(vakt, ids.ITEM_REFERRED, value, "U0CARL", message_ts=card_ts, message=card)
    assert done["replace_original"] is True
    assert "referred to case handling by <@U0CARL>" in vakt.reply_text(done)
    assert items_of(vakt)[0].status == Status.REFERRED
    again = press(vakt, ids.ITEM_ANSWERED, value, "U0ANNA", message_ts=card_ts)
    assert "already closed" in vakt.reply_text(again)
    reopened = press(vakt, ids.ITEM_REOPEN, value, "U0ANNA", message_ts=card_ts)
    assert "Answered" in vakt.reply_text(reopened)
    assert items_of(vakt)[0].status == Status.OPEN
    with Session(vakt.runtime.engine) as session:
        actions = [a.action for a in session.exec(select(AuditLog)).all()]
    assert "item.referred" in actions and "item.reopen" in actions


def test_answering_from_the_digest_updates_the_digest_and_the_card(vakt: Vakt) -> None:
    first = intake(vakt, "Første spørsmål", NOW - timedelta(minutes=2), "Ev1")
    second = intake(vakt, "Andre spørsmål", NOW - timedelta(minutes=1), "Ev2")
    vakt.wait_sent(INTAKE, 2)
    vakt.runtime.sweep(datetime(2026, 11, 25, 9, 5, tzinfo=OSLO))
    digest = vakt.sent("U0ANNA")[-1]
    text = vakt.reply_text(digest)
    assert "*2 overdue*" in text
    assert text.index(f"#{first.id}") < text.index(f"#{second.id}")  # oldest first
    vakt.clock.now = datetime(2026, 11, 25, 9, 10, tzinfo=OSLO)
    answer = press(
        vakt, ids.ITEM_ANSWERED, str(first.id), "U0ANNA", channel="D0ANNA", message=digest
    )
    assert answer["replace_original"] is True
    new_text = vakt.reply_text(answer)
    assert "answered by <@U0ANNA>" in new_text and f"#{second.id}" in new_text
    updates = vakt.fake.wait_for("chat.update")
    assert any("answered by <@U0ANNA>" in vakt.reply_text(u.args) for u in updates)


def test_registration_flag_and_reference(vakt: Vakt) -> None:
    item = intake(vakt, "Klage på vedtak")
    vakt.wait_sent(INTAKE)
    press_count = len(vakt.fake.calls_to("views.open"))
    body = block_actions_body(
        ids.ITEM_REGISTER,
        str(item.id),
        user_id="U0ANNA",
        channel_id=INTAKE,
        response_url=vakt.fake.response_url("reg"),
        trigger_id="111.222.trigger",
    )
    assert vakt.signed_post(body).status == 200
    view = vakt.fake.wait_for("views.open", press_count + 1)[-1].args["view"]
    if isinstance(view, str):
        view = json.loads(view)
    assert view["callback_id"] == ids.REGISTER_VIEW
    too_long = vakt.signed_post(
        view_submission_body(
            ids.REGISTER_VIEW,
            {
                ids.FIELD_REFERENCE: {
                    ids.FIELD_REFERENCE: {"type": "plain_text_input", "value": "x" * 101}
                }
            },
            user_id="U0ANNA",
            private_metadata=view["private_metadata"],
        )
    )
    assert too_long.json()["response_action"] == "errors"
    assert items_of(vakt)[0].registration_ref is None
    saved = vakt.signed_post(
        view_submission_body(
            ids.REGISTER_VIEW,
            {
                ids.FIELD_REFERENCE: {
                    ids.FIELD_REFERENCE: {"type": "plain_text_input", "value": "2026/1234"}
                }
            },
            user_id="U0ANNA",
            private_metadata=view["private_metadata"],
        )
    )
    assert saved.json()["response_action"] == "update"
    stored = items_of(vakt)[0]
    assert stored.must_register and stored.registration_ref == "2026/1234"


# ---------------------------------------------------------------- shortcut and /vakt new


def test_track_as_question_shortcut(vakt: Vakt) -> None:
    message = {
        "type": "message",
        "text": "Innbygger spør: når kommer renovasjonen? https://www.facebook.com/testrud/posts/5",
        "user": "U0ANNA",
        "ts": ts_of(NOW - timedelta(hours=1)),
        "team": "T111",
    }
    body = message_action_body(ids.TRACK_SHORTCUT, message, user_id="U0ANNA", channel_id="C0RANDOM")
    assert vakt.signed_post(body).status == 200
    view = vakt.fake.wait_for("views.open")[0].args["view"]
    if isinstance(view, str):
        view = json.loads(view)
    assert view["callback_id"] == ids.TRACK_VIEW
    state = {
        ids.FIELD_ACCOUNT: {
            ids.FIELD_ACCOUNT: {"type": "static_select", "selected_option": {"value": "fb-main"}}
        },
        ids.FIELD_URL: {ids.FIELD_URL: {"type": "url_text_input", "value": None}},
        ids.FIELD_REGISTER: {ids.FIELD_REGISTER: {"type": "checkboxes", "selected_options": []}},
    }
    reply = vakt.signed_post(
        view_submission_body(
            ids.TRACK_VIEW, state, user_id="U0ANNA", private_metadata=view["private_metadata"]
        )
    )
    assert reply.json()["response_action"] == "update"
    assert "Saved as question #1" in json.dumps(reply.json())
    item = items_of(vakt)[0]
    assert item.source == "shortcut" and item.url == "https://www.facebook.com/testrud/posts/5"
    assert item.slack_channel == "C0RANDOM" and item.received_at == NOW - timedelta(hours=1)
    # Tracking the same message again finds the same item.
    again = vakt.signed_post(
        view_submission_body(
            ids.TRACK_VIEW, state, user_id="U0BO", private_metadata=view["private_metadata"]
        )
    )
    assert "already question #1" in json.dumps(again.json())
    assert len(items_of(vakt)) == 1
    vakt.wait_sent("C0TEAM1")  # the card goes to the team channel


def _new_state(
    url: str | None, received: int | None, account: str | None = "fb-main"
) -> dict[str, Any]:
    return {
        ids.FIELD_ACCOUNT: {
            ids.FIELD_ACCOUNT: {
                "type": "static_select",
                "selected_option": {"value": account} if account else None,
            }
        },
        ids.FIELD_URL: {ids.FIELD_URL: {"type": "url_text_input", "value": url}},
        ids.FIELD_RECEIVED: {
            ids.FIELD_RECEIVED: {"type": "datetimepicker", "selected_date_time": received}
        },
        ids.FIELD_NOTE: {ids.FIELD_NOTE: {"type": "plain_text_input", "value": "Om brøyting"}},
        ids.FIELD_REGISTER: {
            ids.FIELD_REGISTER: {"type": "checkboxes", "selected_options": [{"value": "yes"}]}
        },
    }


def test_vakt_new_opens_a_form_and_validates_it(vakt: Vakt) -> None:
    body_count = len(vakt.fake.calls_to("views.open"))
    from tests.fakeslack import slash_command_body

    reply = vakt.signed_post(
        slash_command_body(
            "new",
            user_id="U0ANNA",
            response_url=vakt.fake.response_url("new"),
            trigger_id="111.222.new",
        )
    )
    assert reply.status == 200
    view = vakt.fake.wait_for("views.open", body_count + 1)[-1].args["view"]
    if isinstance(view, str):
        view = json.loads(view)
    assert view["callback_id"] == ids.NEW_ITEM_VIEW
    received = int((NOW - timedelta(hours=3)).timestamp())
    bad = vakt.signed_post(
        view_submission_body(ids.NEW_ITEM_VIEW, _new_state("ftp://x", received), user_id="U0ANNA")
    ).json()
    assert bad["response_action"] == "errors" and ids.FIELD_URL in bad["errors"]
    future = int((NOW + timedelta(days=1)).timestamp())
    bad = vakt.signed_post(
        view_submission_body(
            ids.NEW_ITEM_VIEW,
            _new_state("https://www.facebook.com/testrud/posts/1", future),
            user_id="U0ANNA",
        )
    ).json()
    assert bad["errors"][ids.FIELD_RECEIVED] == "That time is in the future."
    missing = vakt.signed_post(
        view_submission_body(ids.NEW_ITEM_VIEW, _new_state(None, received, None), user_id="U0ANNA")
    ).json()
    assert set(missing["errors"]) == {ids.FIELD_URL, ids.FIELD_ACCOUNT}
    assert items_of(vakt) == []
    ok = vakt.signed_post(
        view_submission_body(
            ids.NEW_ITEM_VIEW,
            _new_state("https://www.facebook.com/testrud/posts/1", received),
            user_id="U0ANNA",
        )
    ).json()
    assert ok["response_action"] == "update"
    item = items_of(vakt)[0]
    assert item.source == "command" and item.must_register and item.excerpt == "Om brøyting"
    assert item.received_at == datetime.fromtimestamp(received, OSLO)


# ---------------------------------------------------------------- managers ask


def test_unanswered_for_managers_and_coordinators_only(vakt: Vakt) -> None:
    intake(vakt, "Et spørsmål")
    refused = vakt.command("unanswered", user="U0ANNA")
    assert "Only managers" in refused
    mine = vakt.command("unanswered", user="U0BOSS")
    assert "Open questions: 1" in mine and "Et spørsmål" in mine
    assert "on duty <@U0ANNA>" in mine
    assert "Overdue questions: 0" in vakt.command("unanswered overdue", user="U0BOSS")
    assert "Open questions: 1" in vakt.command("ubesvarte fb-main", user="U0COORD1")
    assert "no team or account" in vakt.command("unanswered nope", user="U0COORD1")


def test_unanswered_pages_with_a_more_button(vakt: Vakt) -> None:
    for n in range(25):
        intake(vakt, f"Spørsmål {n}", NOW - timedelta(minutes=30 - n), f"Ev{n}")
    first = vakt.command("unanswered", user="U0COORD1")
    assert "Open questions: 25" in first and "Showing 1–20 of 25" in first
    last_reply = vakt.fake.calls_to("response_url")[-1].args
    assert len(last_reply["blocks"]) <= 50
    more = next(
        e
        for block in last_reply["blocks"]
        if block.get("accessory")
        for e in [block["accessory"]]
        if e.get("action_id") == ids.UNANSWERED_MORE
    )
    page = press(vakt, ids.UNANSWERED_MORE, more["value"], "U0COORD1")
    text = vakt.reply_text(page)
    assert "Spørsmål 20" in text and "Spørsmål 24" in text and "Spørsmål 3 " not in text


def test_status_per_team(vakt: Vakt) -> None:
    item = intake(vakt, "Svar meg", NOW - timedelta(hours=1))
    vakt.wait_sent(INTAKE)
    card_ts = vakt.fake.calls_to("chat.postMessage")[0].response["ts"]
    press(vakt, ids.ITEM_ANSWERED, str(item.id), "U0ANNA", message_ts=card_ts)
    intake(vakt, "Ubesvart", NOW, "Ev2")
    text = vakt.command("status", user="U0BOSS")
    assert "*Kommunikasjon*" in text
    assert "Open 1 · overdue 0" in text
    assert "median 1 h 0 min" in text and "(1 answered)" in text
    assert "On duty <@U0ANNA> (substitute <@U0BO>) · next <@U0BO> from week 49" in text
    assert "Only managers" in vakt.command("status", user="U0CARL")


def test_intake_channel_for_an_account_made_in_slack(vakt: Vakt) -> None:
    vakt.command(
        "account new ig instagram komm https://www.instagram.com/testrud Testrud på Instagram",
        user="U0COORD1",
    )
    assert "is already the intake channel" in vakt.command(
        "account intake ig <#C0INTAKE|inbox>", user="U0COORD1"
    )
    assert "every new message in <#C0IG>" in vakt.command(
        "account intake ig <#C0IG|ig-inbox>", user="U0COORD1"
    )
    assert "Only coordinators" in vakt.command("account intake ig <#C0X|x>", user="U0ANNA")
    ts = ts_of(NOW)
    post_event(vakt, message_event("Fint bilde!", ts, channel="C0IG"), "EvIG")
    wait_until(lambda: len(items_of(vakt)) == 1)
    with Session(vakt.runtime.engine) as session:
        from bot.store.models import Account

        account = session.get(Account, items_of(vakt)[0].account_id)
        assert account is not None and account.key == "ig"


def test_a_closed_account_takes_no_more_questions(vakt: Vakt) -> None:
    """The account's intake channel is quiet once the account is closed (it left the rotas)."""
    from bot.store.models import Account

    intake(vakt, "Før nedleggelsen: når åpner biblioteket?")
    with Session(vakt.runtime.engine) as session:
        account = session.exec(select(Account).where(Account.key == "fb-main")).one()
        account.status = "closed"
        session.add(account)
        session.commit()
    post_event(vakt, message_event("Etter: er kontoen lagt ned?", ts_of(NOW) + "1"), "Ev2")
    vakt.idle()
    assert len(items_of(vakt)) == 1


@pytest.mark.parametrize("status", ["closed", "requested"])
def test_vakt_new_refuses_a_closed_or_requested_account(vakt: Vakt, status: str) -> None:
    from bot.store.models import Account

    with Session(vakt.runtime.engine) as session:
        account = session.exec(select(Account).where(Account.key == "fb-main")).one()
        account.status = status
        session.add(account)
        session.commit()
    received = int((NOW - timedelta(hours=3)).timestamp())
    state = _new_state("https://www.facebook.com/testrud/posts/1", received)
    answer = vakt.signed_post(
        view_submission_body(ids.NEW_ITEM_VIEW, state, user_id="U0ANNA")
    ).json()
    assert answer["response_action"] == "errors"
    expected = {
        "closed": "Testrud kommune is closed: it takes no new questions.",
        "requested": "Testrud kommune has been requested but not approved yet: it takes "
        "questions once it is active.",
    }[status]
    assert answer["errors"] == {ids.FIELD_ACCOUNT: expected}
    assert items_of(vakt) == []
