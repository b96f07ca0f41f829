"""The App Home end to end: a signed app_home_opened event publishes the home; its buttons
(block_actions from a view, no response_url) close the item, update its card and republish
the home with the outcome; a refusal and a failed Show all are said on the home."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.home import blocks as hb
from bot.items.core import Status
from bot.store.models import AuditLog, HomeView, Item
from tests.fakeslack import FakeSlack, block_actions_body, event_body
from tests.harness import CONFIG, OSLO, Vakt
from tests.waiting import wait_until

INTAKE = "C0INTAKE"
INTAKE_CONFIG = CONFIG.replace('team = "komm"\n', 'team = "komm"\nintake_channel = "C0INTAKE"\n')
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=OSLO)
WEDNESDAY = datetime(2026, 11, 25, 10, 0, tzinfo=OSLO)  # Monday's items are overdue
HOME_VIEW = {"id": "V0HOME1", "type": "home", "blocks": [], "hash": "1700000000.abc"}


@pytest.fixture
def vakt(fake: FakeSlack, db_url: str, tmp_path: Path) -> Iterator[Vakt]:
    harness = Vakt(fake, db_url, tmp_path, MONDAY, config_text=INTAKE_CONFIG)
    yield harness
    harness.close()
    fake.assert_no_errors()


def intake(vakt: Vakt, text: str, event_id: str) -> Item:
    """A citizen's question posted in the intake channel (its card goes to the thread)."""
    ts = f"{vakt.clock.now.timestamp():.6f}"
    event = {
        "type": "message",
        "text": text,
        "user": "U0ANNA",
        "ts": ts,
        "team": "T111",
        "channel": INTAKE,
        "event_ts": ts,
        "channel_type": "channel",
    }
    cards = len(vakt.sent(INTAKE))
    assert vakt.signed_post(event_body(event, event_id=event_id)).status == 200
    vakt.wait_sent(INTAKE, cards + 1)
    with Session(vakt.runtime.engine) as session:
        return session.exec(select(Item).where(Item.slack_ts == ts)).one()


def views(vakt: Vakt, user: str) -> list[dict[str, Any]]:
    found = []
    for call in vakt.fake.calls_to("views.publish"):
        if call.ok and call.args["user_id"] == user:
            view = call.args["view"]
            found.append(view if isinstance(view, dict) else json.loads(view))
    return found


def open_home(vakt: Vakt, user: str, event_id: str, tab: str = "home") -> None:
    event = {
        "type": "app_home_opened",
        "user": user,
        "channel": "D0HOME",
        "tab": tab,
        "event_ts": f"{vakt.clock.now.timestamp():.6f}",
    }
    assert vakt.signed_post(event_body(event, event_id=event_id)).status == 200
    vakt.idle()


def press_home(
    vakt: Vakt, action_id: str, value: str, user: str, trigger: str = "111.222.home"
) -> None:
    body = block_actions_body(action_id, value, user_id=user, view=HOME_VIEW, trigger_id=trigger)
    assert vakt.signed_post(body).status == 200
    vakt.idle()


def text_of(view: dict[str, Any]) -> str:
    return Vakt.reply_text(view)


def test_opening_the_home_publishes_it_once_the_messages_tab_does_not(vakt: Vakt) -> None:
    open_home(vakt, "U0ANNA", "EvMsgTab", tab="messages")
    assert not vakt.fake.calls_to("views.publish")
    open_home(vakt, "U0ANNA", "EvHome1")
    (view,) = views(vakt, "U0ANNA")
    assert view["type"] == "home"
    assert "you are *on duty* now, until Friday 27 November" in text_of(view)
    with Session(vakt.runtime.engine) as session:
        row = session.get(HomeView, "U0ANNA")
        assert row is not None and row.published_at == MONDAY and row.content_hash
    # The sweep that follows finds nothing new to publish.
    vakt.runtime.sweep(MONDAY + timedelta(minutes=5))
    assert len(views(vakt, "U0ANNA")) == 1


def test_a_press_on_the_home_closes_the_item_updates_its_card_and_republishes(
    vakt: Vakt,
) -> None:
    item = intake(vakt, "Når åpner biblioteket?", "EvQ1")
    assert item.id is not None
    vakt.clock.now = WEDNESDAY
    open_home(vakt, "U0BO", "EvHome2")
    first = views(vakt, "U0BO")[-1]
    assert f"*#{item.id}*" in text_of(first)
    buttons = [
        e
        for b in first["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["value"] == str(item.id)
    ]
    assert [b["action_id"] for b in buttons] == [
        hb.HOME_ANSWERED,
        hb.HOME_NO_REPLY,
        hb.HOME_REFERRED,
    ]

    press_home(vakt, hb.HOME_ANSWERED, str(item.id), "U0BO")
    wait_until(lambda: len(views(vakt, "U0BO")) == 2)
    after = text_of(views(vakt, "U0BO")[-1])
    assert f"Question #{item.id} is marked answered." in after
    assert f"*#{item.id}*" not in after
    with Session(vakt.runtime.engine) as session:
        closed = session.get(Item, item.id)
        assert closed is not None and (closed.status, closed.closed_by) == (Status.ANSWERED, "U0BO")
        assert session.exec(select(AuditLog).where(AuditLog.action == "item.answered")).first()
    (update,) = vakt.fake.calls_to("chat.update")
    assert "answered by <@U0BO>" in Vakt.reply_text(update.args)
    # Pressed again (a stale home): the refusal is said on the home, nothing changes.
    press_home(vakt, hb.HOME_NO_REPLY, str(item.id), "U0BO")
    wait_until(lambda: len(views(vakt, "U0BO")) == 3)
    assert f":warning: Question #{item.id} is already closed (by <@U0BO>)" in text_of(
        views(vakt, "U0BO")[-1]
    )
    assert len(vakt.fake.calls_to("chat.update")) == 1


def test_someone_outside_the_team_is_refused_on_their_home(vakt: Vakt) -> None:
    item = intake(vakt, "Hei?", "EvQ2")
    vakt.clock.now = WEDNESDAY
    press_home(vakt, hb.HOME_ANSWERED, str(item.id), "U0STRANGER")
    wait_until(lambda: len(views(vakt, "U0STRANGER")) == 1)
    refused = text_of(views(vakt, "U0STRANGER")[0])
    assert ":warning: Only members of Kommunikasjon" in refused, refused
    with Session(vakt.runtime.engine) as session:
        still = session.get(Item, item.id)
        assert still is not None and still.status == Status.OPEN


def test_show_all_opens_a_modal_and_a_refused_one_is_said_on_the_home(vakt: Vakt) -> None:
    for n in range(7):
        vakt.clock.now = MONDAY + timedelta(minutes=n)
        intake(vakt, f"Spørsmål {n}", f"EvQ{n + 10}")
    vakt.clock.now = WEDNESDAY
    open_home(vakt, "U0ANNA", "EvHome3")
    assert "… and 2 more." in text_of(views(vakt, "U0ANNA")[-1])
    press_home(vakt, hb.HOME_SHOW_ALL, "items", "U0ANNA")
    (opened,) = vakt.fake.wait_for("views.open")
    modal = opened.args["view"]
    modal = modal if isinstance(modal, dict) else json.loads(modal)
    assert modal["type"] == "modal" and Vakt.reply_text(modal).count("Spørsmål") == 7
    vakt.fake.fail_next("views.open", error="expired_trigger_id")
    press_home(vakt, hb.HOME_SHOW_ALL, "items", "U0ANNA")
    wait_until(lambda: len(views(vakt, "U0ANNA")) == 2)
    assert "The list could not be opened" in text_of(views(vakt, "U0ANNA")[-1])
