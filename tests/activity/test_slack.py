"""Activity through Slack end to end: `/vakt posted`, a published feed channel's messages, and
the Posted today button on the weekly activity message. Real signed HTTP in, the fake Slack out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from bot.activity.blocks import ACTIVITY_POSTED
from bot.slackkit.outbox import deliver
from bot.store.db import session_scope
from bot.store.models import Account, AccountPost, Item, Team
from bot.sweep import run_jobs
from tests.fakeslack import FakeSlack
from tests.harness import CONFIG, OSLO, Vakt
from tests.items.test_slack import message_event, post_event, press, ts_of, wait_until

FEED = "C0FEED"
ACTIVITY_CONFIG = CONFIG + f'published_channel = "{FEED}"\nmax_posts_week = 10\nmax_posts_day = 2\n'
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=OSLO)  # Monday, ISO week 48
USAGE = "/vakt posted &lt;account&gt; [date] [HH:MM]"  # as sent: Slack shows <account>


@pytest.fixture
def vakt(fake: FakeSlack, db_url: str, tmp_path: Path) -> Iterator[Vakt]:
    harness = Vakt(fake, db_url, tmp_path, NOW, config_text=ACTIVITY_CONFIG)
    yield harness
    harness.close()
    fake.assert_no_errors()


def posts(vakt: Vakt) -> list[AccountPost]:
    with Session(vakt.runtime.engine) as session:
        return list(session.exec(select(AccountPost).order_by(col(AccountPost.posted_at))).all())


def account(vakt: Vakt) -> Account:
    with Session(vakt.runtime.engine) as session:
        return session.exec(select(Account).where(Account.key == "fb-main")).one()


# ---------------------------------------------------------------- /vakt posted


def test_posted_records_a_post_now_and_says_the_week_against_the_limit(vakt: Vakt) -> None:
    answer = vakt.command("posted fb-main")
    assert "Recorded a post on" in answer and "Testrud kommune" in answer
    assert "Monday 23 November 10:00" in answer
    assert "In week 48: 1 post, at most 10 a week." in answer
    (post,) = posts(vakt)
    assert (post.source, post.created_by) == ("command", "U0ANNA")
    assert post.posted_at == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    # A double submit of the same command (same account, same minute) counts once.
    assert post.external_id == "cmd:fb-main:2026-11-23T09:00Z"
    again = vakt.command("posted fb-main", user="U0BO")
    assert "was already recorded – it counts once" in again
    assert len(posts(vakt)) == 1


def test_posted_at_a_given_day_and_time(vakt: Vakt) -> None:
    answer = vakt.command("posted fb-main yesterday 14:30")
    assert "Sunday 22 November 14:30" in answer and "In week 47: 1 post" in answer
    # A date without a year looks back: 20.11. is last Friday, not next year's.
    answer = vakt.command("posted FB-MAIN 20.11.")
    assert "Friday 20 November 12:00" in answer and "In week 47: 2 posts" in answer
    answer = vakt.command("post fb-main 08:15")
    assert "Monday 23 November 08:15" in answer
    assert [p.posted_at.astimezone(OSLO).strftime("%d %H:%M") for p in posts(vakt)] == [
        "20 12:00",
        "22 14:30",
        "23 08:15",
    ]


def test_a_third_post_on_a_working_day_is_over_the_day_limit(vakt: Vakt) -> None:
    vakt.command("posted fb-main 08:00")
    vakt.command("posted fb-main 09:00")
    answer = vakt.command("posted fb-main 09:30")
    assert "Monday 23 November: 3 posts – more than the limit of 2 per working day." in answer


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("posted", "Which account?"),
        ("posted nope", "There is no account `nope`."),
        ("posted fb-main tomorrow", "That time is in the future"),
        ("posted fb-main 10:06", "That time is in the future"),
        ("posted fb-main 25:00", "I can't read the time `25:00`"),
        ("posted fb-main w47", "Give a day, not a week (`w47`)"),
        ("posted fb-main 31.02.", "I can't read the date `31.02.`"),
        ("posted fb-main today 09:00 please", "I didn't understand `please`"),
        ("posted fb-main 2025-11-01", "more than a year ago"),
        ("posted fb-main 0001-01-01 00:10", "more than a year ago"),  # no overflow
        ("posted fb-main 1.1.0001", "more than a year ago"),
    ],
)
def test_bad_input_is_explained_with_the_usage_and_stores_nothing(
    vakt: Vakt, text: str, expected: str
) -> None:
    answer = vakt.command(text)
    assert expected in answer and USAGE in answer, answer
    assert posts(vakt) == []


def test_only_the_team_its_manager_and_coordinators_record_posts(vakt: Vakt) -> None:
    answer = vakt.command("posted fb-main", user="U0STRANGER")
    assert "Only members of Kommunikasjon" in answer and USAGE not in answer
    assert posts(vakt) == []
    vakt.command("posted fb-main 09:00", user="U0BOSS")
    vakt.command("posted fb-main 09:10", user="U0COORD1")
    assert [p.created_by for p in posts(vakt)] == ["U0BOSS", "U0COORD1"]


def test_a_closed_account_records_no_posts(vakt: Vakt) -> None:
    with session_scope(vakt.runtime.engine) as session:
        session.exec(select(Account)).one().status = "closed"
    answer = vakt.command("posted fb-main", user="U0COORD1")
    assert "is closed: no posts are recorded for it any more" in answer
    assert posts(vakt) == []


def test_posted_in_norwegian(vakt: Vakt) -> None:
    vakt.fake.users["U0CARL"] = {"locale": "nb-NO"}
    answer = vakt.command("postet fb-main i går 14:30", user="U0CARL")
    assert "Registrerte et innlegg" in answer and "søndag 22. november 14:30" in answer
    assert "I uke 47: 1 innlegg, høyst 10 i uka." in answer


# ---------------------------------------------------------------- the published feed channel


def feed_event(ts: str, **extra: Any) -> dict[str, Any]:
    return message_event("Nytt innlegg: Julemarked på torget lørdag", ts, channel=FEED, **extra)


def test_a_message_in_the_feed_channel_is_a_post(vakt: Vakt) -> None:
    at = NOW - timedelta(minutes=20)
    ts = ts_of(at)
    post_event(vakt, feed_event(ts), "EvF1")
    wait_until(lambda: len(posts(vakt)) == 1)
    (post,) = posts(vakt)
    assert (post.source, post.external_id) == ("feed", f"slack:{FEED}:{ts}")
    assert post.posted_at == at.astimezone(UTC)
    assert post.created_by == "U0ANNA"
    # The Events API's retry (same event_id) and a copy under another id count once.
    post_event(vakt, feed_event(ts), "EvF1")
    post_event(vakt, feed_event(ts), "EvF2")
    vakt.idle()
    assert len(posts(vakt)) == 1
    # The channel stays quiet: no reply, no reaction.
    assert vakt.sent(FEED) == [] and vakt.fake.calls_to("reactions.add") == []


def test_integration_posts_in_the_feed_count(vakt: Vakt) -> None:
    ts = ts_of(NOW - timedelta(minutes=3))
    event = feed_event(ts, user=None, subtype="bot_message", bot_id="B0ZAPIER", username="Zapier")
    post_event(vakt, event, "EvZ")
    wait_until(lambda: len(posts(vakt)) == 1)
    assert posts(vakt)[0].created_by == "B0ZAPIER"


def test_replies_edits_and_own_messages_in_the_feed_are_not_posts(vakt: Vakt) -> None:
    base = NOW - timedelta(minutes=10)
    post_event(vakt, feed_event(ts_of(base + timedelta(seconds=1)), thread_ts=ts_of(base)), "E1")
    post_event(
        vakt,
        feed_event(
            ts_of(base + timedelta(seconds=2)), subtype="thread_broadcast", thread_ts=ts_of(base)
        ),
        "E2",
    )
    post_event(
        vakt, feed_event(ts_of(base + timedelta(seconds=3)), subtype="message_changed"), "E3"
    )
    post_event(
        vakt, feed_event(ts_of(base + timedelta(seconds=4)), user="UBOT", bot_id="BBOT"), "E4"
    )
    post_event(vakt, feed_event(ts_of(base + timedelta(seconds=5)), subtype="channel_join"), "E5")
    vakt.idle()
    assert posts(vakt) == []


def test_deleting_the_feed_message_withdraws_the_post(vakt: Vakt) -> None:
    ts = ts_of(NOW - timedelta(minutes=20))
    post_event(vakt, feed_event(ts), "EvF1")
    wait_until(lambda: len(posts(vakt)) == 1)
    # Slack's message_deleted: hidden, its own ts, the deleted message's ts in deleted_ts.
    deleted = {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": FEED,
        "ts": ts_of(NOW),
        "deleted_ts": ts,
        "event_ts": ts_of(NOW),
        "channel_type": "channel",
        "previous_message": {"type": "message", "user": "U0ANNA", "text": "...", "ts": ts},
    }
    post_event(vakt, deleted, "EvD1")
    wait_until(lambda: posts(vakt) == [])


def test_a_feed_message_is_never_an_intake_question(vakt: Vakt) -> None:
    # The register's forms refuse it, but even a channel that were both a team's intake and an
    # account's feed would count the message as a post only.
    with session_scope(vakt.runtime.engine) as session:
        session.exec(select(Team)).one().intake_channel = FEED
    ts = ts_of(NOW - timedelta(minutes=2))
    post_event(vakt, feed_event(ts), "EvF1")
    wait_until(lambda: len(posts(vakt)) == 1)
    vakt.idle()
    with Session(vakt.runtime.engine) as session:
        assert session.exec(select(func.count()).select_from(Item)).one() == 0
    assert vakt.sent(FEED) == []


def test_messages_in_other_channels_are_not_posts(vakt: Vakt) -> None:
    post_event(vakt, message_event("hei", ts_of(NOW), channel="C0OTHER"), "EvO")
    vakt.idle()
    assert posts(vakt) == []


# ---------------------------------------------------------------- the Posted today button


def send_activity(vakt: Vakt, now: datetime) -> list[dict[str, Any]]:
    runtime = vakt.runtime
    result = run_jobs(runtime.engine, runtime.config, runtime.deps.calendar, now, only=["activity"])
    assert result.failed_jobs == []
    deliver(runtime.engine, runtime.deps.gateway, now)
    return vakt.sent("C0TEAM1")


def test_the_weekly_message_and_its_posted_today_button(vakt: Vakt) -> None:
    (message,) = send_activity(vakt, NOW)
    text = vakt.reply_text(message)
    assert "Activity on Kommunikasjon's accounts" in text and "week 48" in text
    buttons = [
        b["accessory"] for b in message["blocks"] if b.get("accessory", {}).get("type") == "button"
    ]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        (ACTIVITY_POSTED, str(account(vakt).id))
    ]
    answer = press(vakt, ACTIVITY_POSTED, buttons[0]["value"], "U0BO", channel="C0TEAM1")
    assert answer.get("response_type") == "ephemeral" and answer.get("replace_original") is False
    said = vakt.reply_text(answer)
    assert (
        "Recorded: *<https://www.facebook.com/testrud|Testrud kommune>* · `fb-main` posted today."
        in said
    )
    assert "In week 48: 1 post, at most 10 a week." in said
    (post,) = posts(vakt)
    assert post.source == "button" and post.created_by == "U0BO"
    assert post.external_id == f"button:{account(vakt).id}:2026-11-23"
    # Pressing again the same day counts once, and so does a colleague's press for the same
    # post (more posts that day: `/vakt posted fb-main HH:MM`).
    again = vakt.reply_text(
        press(vakt, ACTIVITY_POSTED, buttons[0]["value"], "U0BO", channel="C0TEAM1")
    )
    assert "already recorded" in again
    press(vakt, ACTIVITY_POSTED, buttons[0]["value"], "U0CARL", channel="C0TEAM1")
    assert len(posts(vakt)) == 1
    refused = vakt.reply_text(
        press(vakt, ACTIVITY_POSTED, buttons[0]["value"], "U0STRANGER", channel="C0TEAM1")
    )
    assert "Only members of Kommunikasjon" in refused
    assert "out of date" in vakt.reply_text(
        press(vakt, ACTIVITY_POSTED, "not-a-number", "U0BO", channel="C0TEAM1")
    )
    assert len(posts(vakt)) == 1
    # The weekly message went once.
    assert len(send_activity(vakt, NOW + timedelta(hours=3))) == 1
