"""Handover, heads-up and gap jobs: sent in office hours, exactly once, retried on failure."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from bot.rota import ids
from bot.store.models import Absence, Outbox
from tests.harness import OSLO, Vakt


def texts(vakt: Vakt, channel: str) -> list[str]:
    """What Vakt posted in `channel`, without Monday's weekly report (which lists the gaps
    ahead too, and is tested on its own)."""
    sent = [vakt.reply_text(m) for m in vakt.sent(channel)]
    return [t for t in sent if not t.startswith("Weekly report")]


def outbox(vakt: Vakt) -> list[Outbox]:
    with Session(vakt.runtime.engine) as session:
        return list(session.exec(select(Outbox)).all())


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=OSLO)  # type: ignore[misc]


def test_handover_at_the_start_of_a_period_exactly_once(vakt: Vakt) -> None:
    monday = at(2026, 11, 23, 8, 5)
    vakt.runtime.sweep(monday)
    anna = texts(vakt, "U0ANNA")
    assert len(anna) == 1 and "Your monitoring duty for *Kommunikasjon* starts now" in anna[0]
    assert "week 48" in anna[0] and "Friday 27 November" in anna[0]
    bo = texts(vakt, "U0BO")
    assert len(bo) == 1 and "You are substitute" in bo[0] and "<@U0ANNA>" in bo[0]
    channel = texts(vakt, "C0TEAM1")
    assert len(channel) == 1 and "<@U0ANNA> is on duty, <@U0BO> substitutes" in channel[0]
    assert "Testrud kommune" in channel[0]  # the accounts covered
    # The same instant again, a later sweep the same day, a restart: no handover again (the
    # weekly activity message joins the team channel at 09:00; it is not a handover).
    vakt.runtime.sweep(monday)
    vakt.runtime.sweep(at(2026, 11, 23, 14, 0))
    vakt.runtime.sweep(at(2026, 11, 24, 9, 0))
    assert (len(texts(vakt, "U0ANNA")), len(texts(vakt, "U0BO"))) == (1, 1)
    assert len([m for m in texts(vakt, "C0TEAM1") if "is on duty" in m]) == 1
    handovers = [r for r in outbox(vakt) if r.key.startswith("duty:")]
    assert len(handovers) == 3 and all(row.status == "sent" for row in outbox(vakt))


def test_nothing_is_sent_outside_office_hours(vakt: Vakt) -> None:
    for instant in (
        at(2026, 11, 23, 7, 59),  # Monday before opening
        at(2026, 11, 23, 16, 0),  # closing time
        at(2026, 11, 28, 10, 0),  # Saturday
        at(2026, 12, 24, 10, 0),  # Christmas Eve: closed in this organisation
        at(2026, 12, 25, 10, 0),  # Christmas Day
    ):
        result = vakt.runtime.sweep(instant)
        assert result.recorded == [], instant
    assert vakt.sent() == []


def test_a_late_sweep_still_hands_over_once(vakt: Vakt) -> None:
    # The bot was down on Monday; Tuesday's first sweep tells the people on duty.
    vakt.runtime.sweep(at(2026, 11, 24, 11, 0))
    assert len(texts(vakt, "U0ANNA")) == 1
    vakt.runtime.sweep(at(2026, 11, 25, 11, 0))
    assert len(texts(vakt, "U0ANNA")) == 1


def test_heads_up_the_last_working_day_before(vakt: Vakt) -> None:
    vakt.runtime.sweep(at(2026, 11, 23, 8, 5))
    vakt.runtime.sweep(at(2026, 11, 26, 9, 0))  # Thursday: no heads-up yet
    assert not any("Heads-up" in t for t in texts(vakt, "U0BO"))
    vakt.runtime.sweep(at(2026, 11, 27, 9, 0))  # Friday: Bo has week 49
    heads_up = [t for t in texts(vakt, "U0BO") if "Heads-up" in t]
    assert len(heads_up) == 1 and "Monday 30 November" in heads_up[0] and "week 49" in heads_up[0]
    assert "<@U0CARL>" in heads_up[0]
    vakt.runtime.sweep(at(2026, 11, 27, 13, 0))
    assert len([t for t in texts(vakt, "U0BO") if "Heads-up" in t]) == 1


def test_substitute_who_steps_up_is_told(vakt: Vakt) -> None:
    vakt.runtime.sweep(at(2026, 11, 23, 8, 5))
    vakt.command("away 2026-11-24 2026-11-25 sick", user="U0ANNA")
    vakt.runtime.sweep(at(2026, 11, 24, 8, 5))
    assert any("You are now on duty" in t for t in texts(vakt, "U0BO"))
    assert any("You are now substitute" in t for t in texts(vakt, "U0CARL"))
    # Anna back on Thursday: she was told for this week already, so no repeat.
    vakt.runtime.sweep(at(2026, 11, 26, 8, 5))
    assert len(texts(vakt, "U0ANNA")) == 1


def test_gap_alert_once_and_closed_message(vakt: Vakt) -> None:
    # Week 49: Bo is primary and Carl substitute; both away leaves Anna without a substitute.
    vakt.command("away v49 ferie", user="U0BO")
    vakt.command("away v49 ferie", user="U0CARL")
    vakt.runtime.sweep(at(2026, 11, 23, 10, 0))
    for channel in ("C0COMMS", "C0TEAM1"):
        alerts = [t for t in texts(vakt, channel) if "no substitute" in t]
        assert len(alerts) == 1 and "week 49" in alerts[0], channel
        assert "30.11" in alerts[0] or "30 Nov" in alerts[0]
    vakt.runtime.sweep(at(2026, 11, 23, 13, 0))
    vakt.runtime.sweep(at(2026, 11, 24, 9, 0))
    assert len([t for t in texts(vakt, "C0COMMS") if "no substitute" in t]) == 1
    # Carl cancels his absence: the gap is closed, and the channels hear it once.
    with Session(vakt.runtime.engine) as session:
        carl = session.exec(select(Absence).where(Absence.user_id == "U0CARL")).one()
    vakt.press(ids.ABSENCE_CANCEL, str(carl.id), user="U0CARL")
    vakt.runtime.sweep(at(2026, 11, 24, 10, 0))
    vakt.runtime.sweep(at(2026, 11, 24, 11, 0))
    closed = [t for t in texts(vakt, "C0COMMS") if "substitute again" in t]
    assert len(closed) == 1
    # It opens again if the gap comes back: a new alert, once.
    vakt.command("away v49 syk", user="U0CARL")
    vakt.runtime.sweep(at(2026, 11, 24, 12, 0))
    vakt.runtime.sweep(at(2026, 11, 24, 13, 0))
    assert len([t for t in texts(vakt, "C0COMMS") if "no substitute" in t]) == 2


def test_nobody_available_gap(vakt: Vakt) -> None:
    for user in ("U0ANNA", "U0BO", "U0CARL"):
        vakt.command("away 2026-12-02 2026-12-02", user=user)
    vakt.runtime.sweep(at(2026, 11, 23, 10, 0))
    alerts = [t for t in texts(vakt, "C0COMMS") if "nobody" in t]
    assert len(alerts) == 1 and "2 Dec" in alerts[0]


def test_failed_send_is_retried_not_lost(vakt: Vakt) -> None:
    # Slack is down for longer than the client's own retries.
    vakt.fake.fail_next("chat.postMessage", status=500, times=9)
    first = vakt.runtime.sweep(at(2026, 11, 23, 8, 5))
    assert first.delivery["retry"] >= 1
    # (The weekly report's chart goes by another method, which Slack still took.)
    pending = [r for r in outbox(vakt) if r.status == "pending"]
    assert {r.kind for r in pending} >= {"handover"} and all(r.last_error for r in pending)
    # Later sweeps send them, each exactly once.
    vakt.runtime.sweep(at(2026, 11, 23, 10, 0))
    vakt.runtime.sweep(at(2026, 11, 23, 10, 0))
    assert all(r.status == "sent" for r in outbox(vakt))
    assert len(texts(vakt, "U0ANNA")) == 1
    assert len([m for m in texts(vakt, "C0TEAM1") if "is on duty" in m]) == 1


def test_permanent_failure_is_kept_with_its_error(vakt: Vakt) -> None:
    vakt.fake.fail_next("chat.postMessage", error="channel_not_found")
    vakt.runtime.sweep(at(2026, 11, 23, 8, 5))
    failed = [r for r in outbox(vakt) if r.status == "failed"]
    assert len(failed) == 1 and failed[0].last_error == "channel_not_found"
    vakt.runtime.sweep(at(2026, 11, 23, 12, 0))
    assert len([r for r in outbox(vakt) if r.status == "failed"]) == 1


def test_dry_run_records_and_sends_nothing(vakt: Vakt) -> None:
    result = vakt.runtime.sweep(at(2026, 11, 23, 8, 5), dry_run=True)
    assert {m.channel for m in result.recorded} >= {"U0ANNA", "U0BO", "C0TEAM1"}
    assert outbox(vakt) == [] and vakt.sent() == []
