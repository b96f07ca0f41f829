"""Flags and closure through Slack end to end: the weekly flag message with Keep and Start
closure, the Keep modal, the closure checklist with Done, Waive…, Final snapshot… and Check
again, `/vakt account close`, `/vakt flags` – real signed HTTP in, the fake Slack out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from bot.archive import ids
from bot.lifecycle import blocks as lb
from bot.lifecycle.listeners import refresh_account
from bot.store.models import Account, AccountClosure, AccountFlag, AuditLog, ClosureStep, Snapshot
from tests.archive.test_slack import click_open, submit
from tests.fakeslack import FakeSlack
from tests.harness import CONFIG, OSLO, Vakt
from tests.items.test_slack import press as press_button

# fb-main is registered on Monday 23 November 2026 and never posts: on Monday 14 December
# (the first weekly day after 14 silent days) it is flagged.
START = datetime(2026, 11, 23, 10, 0, tzinfo=OSLO)
FLAG_DAY = datetime(2026, 12, 14, 10, 0, tzinfo=OSLO)
LIFECYCLE_CONFIG = CONFIG.replace('team = "komm"\n', 'team = "komm"\ncredentials_held = true\n')


@pytest.fixture
def vakt(fake: FakeSlack, db_url: str, tmp_path: Path) -> Iterator[Vakt]:
    harness = Vakt(fake, db_url, tmp_path, START, config_text=LIFECYCLE_CONFIG)
    yield harness
    harness.close()
    fake.assert_no_errors()


@pytest.fixture
def vakt_any_db(fake: FakeSlack, any_db_url: str, tmp_path: Path) -> Iterator[Vakt]:
    """The same, on SQLite and on PostgreSQL."""
    harness = Vakt(fake, any_db_url, tmp_path, START, config_text=LIFECYCLE_CONFIG)
    yield harness
    harness.close()
    fake.assert_no_errors()


def rows(vakt: Vakt, model: Any) -> list[Any]:
    with Session(vakt.runtime.engine) as session:
        return list(session.exec(select(model).order_by(col(model.id))).all())


def status(vakt: Vakt) -> str:
    with Session(vakt.runtime.engine) as session:
        return session.exec(select(Account).where(Account.key == "fb-main")).one().status


def sweep(vakt: Vakt, now: datetime) -> None:
    vakt.clock.now = now
    result = vakt.runtime.sweep(now)
    assert "flags" not in result.failed_jobs


def flag_messages(vakt: Vakt) -> list[dict[str, Any]]:
    return [m for m in vakt.sent() if "no post since" in vakt.reply_text(m)]


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """A message's buttons: action id -> value (the first of each)."""
    blocks = message.get("blocks")
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks or []
    found: dict[str, str] = {}
    for block in blocks:
        if block["type"] == "actions":
            for element in block["elements"]:
                found.setdefault(element["action_id"], element.get("value", ""))
    return found


def all_buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    blocks = message.get("blocks")
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks or []
    return [
        (element["action_id"], element.get("value", ""))
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def posted(vakt: Vakt, message: dict[str, Any]) -> tuple[str, str]:
    """Where a message Vakt posted landed: (channel, ts)."""
    call = next(c for c in vakt.fake.calls_to("chat.postMessage") if c.args is message)
    return str(call.response["channel"]), str(call.response["ts"])


def updates(vakt: Vakt, channel: str, ts: str) -> list[dict[str, Any]]:
    return [
        c.args
        for c in vakt.fake.calls_to("chat.update")
        if c.ok and c.args.get("channel") == channel and c.args.get("ts") == ts
    ]


def text_value(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def keep_values(reason: str | None, period: str, until: str | None = None) -> dict[str, Any]:
    return {
        lb.FIELD_KEEP_REASON: {lb.FIELD_KEEP_REASON: text_value(reason)},
        lb.FIELD_KEEP_PERIOD: {
            lb.FIELD_KEEP_PERIOD: {"type": "static_select", "selected_option": {"value": period}}
        },
        lb.FIELD_KEEP_UNTIL: {lb.FIELD_KEEP_UNTIL: {"type": "datepicker", "selected_date": until}},
    }


def press(vakt: Vakt, action_id: str, value: str, user: str, **where: Any) -> dict[str, Any]:
    """Press a button; returns the answer once the listener has finished (updates too)."""
    answer = press_button(vakt, action_id, value, user, **where)
    vakt.idle()
    return answer


def press_on(
    vakt: Vakt, action_id: str, value: str, user: str, where: tuple[str, str]
) -> dict[str, Any]:
    """Press a button on a message Vakt posted (its channel and ts)."""
    return press(vakt, action_id, value, user, channel=where[0], message_ts=where[1])


def raise_flag(vakt: Vakt) -> tuple[dict[str, Any], tuple[str, str]]:
    sweep(vakt, FLAG_DAY)
    channel_message = next(m for m in flag_messages(vakt) if m["channel"] == "C0COMMS")
    return channel_message, posted(vakt, channel_message)


# ---------------------------------------------------------------- flags and Keep


def test_flag_message_keep_modal_and_quiet_period(vakt: Vakt) -> None:
    sweep(vakt, datetime(2026, 12, 7, 10, 0, tzinfo=OSLO))  # 14 days: not yet
    assert flag_messages(vakt) == []
    message, where = raise_flag(vakt)
    sweep(vakt, datetime(2026, 12, 14, 13, 5, tzinfo=OSLO))  # a second sweep sends nothing
    assert sorted(m["channel"] for m in flag_messages(vakt)) == ["C0COMMS", "U0BOSS"]
    text = vakt.reply_text(message)
    assert (
        "Testrud kommune" in text
        and "no post since it was registered on Monday 23 November" in text
    )
    (flag,) = rows(vakt, AccountFlag)
    assert buttons(message) == {lb.FLAG_KEEP: str(flag.id), lb.FLAG_CLOSE: str(flag.id)}
    assert status(vakt) == "flagged"

    # A team member may not keep it: refused, nothing opened, nothing changed.
    opened = len(vakt.fake.calls_to("views.open"))
    answer = press_on(vakt, lb.FLAG_KEEP, str(flag.id), "U0ANNA", where)
    assert "Only the coordinators and the manager" in answer["text"]
    assert len(vakt.fake.calls_to("views.open")) == opened

    # The manager opens the Keep modal.
    view = click_open(vakt, lb.FLAG_KEEP, str(flag.id), "U0BOSS")
    assert view["callback_id"] == lb.FLAG_KEEP_VIEW and view["private_metadata"] == str(flag.id)
    meta = view["private_metadata"]
    empty = submit(vakt, lb.FLAG_KEEP_VIEW, keep_values(None, "3m"), meta, user="U0BOSS")
    assert empty["errors"] == {lb.FIELD_KEEP_REASON: "Say why the account is kept."}
    no_date = submit(vakt, lb.FLAG_KEEP_VIEW, keep_values("Sesong", "date"), meta, user="U0BOSS")
    assert list(no_date["errors"]) == [lb.FIELD_KEEP_UNTIL]
    past = submit(
        vakt, lb.FLAG_KEEP_VIEW, keep_values("Sesong", "date", "2026-12-01"), meta, user="U0BOSS"
    )
    assert list(past["errors"]) == [lb.FIELD_KEEP_UNTIL]
    assert rows(vakt, AccountFlag)[0].kept_by is None
    # A stranger's submission (a forged or stale modal) is refused too.
    forged = submit(vakt, lb.FLAG_KEEP_VIEW, keep_values("Meh", "3m"), meta, user="U0ANNA")
    assert "Only the coordinators" in forged["errors"][lb.FIELD_KEEP_REASON]

    done = submit(
        vakt,
        lb.FLAG_KEEP_VIEW,
        keep_values("Sesongkonto for sommeren", "3m"),
        meta,
        user="U0BOSS",
    )
    assert done["response_action"] == "update"
    assert "Sunday 14 March" in vakt.reply_text(done["view"])
    (flag,) = rows(vakt, AccountFlag)
    assert flag.quiet_until == date(2027, 3, 14) and flag.keep_reason == "Sesongkonto for sommeren"
    assert status(vakt) == "active"
    # Both copies of the flag message now say who kept it, until when and why, without buttons.
    for copy in flag_messages(vakt):
        channel, ts = posted(vakt, copy)
        (update,) = updates(vakt, channel, ts)
        shown = vakt.reply_text(update)
        assert "Kept by <@U0BOSS> until Sunday 14 March: Sesongkonto for sommeren" in shown
        assert buttons(update) == {}
    keeps = [a for a in rows(vakt, AuditLog) if a.action == "flag.keep"]
    assert [k.actor for k in keeps] == ["U0BOSS"]

    # Quiet until the period ends; raised again on the first weekly slot after it.
    sweep(vakt, datetime(2027, 3, 8, 10, 0, tzinfo=OSLO))
    assert len(flag_messages(vakt)) == 2
    sweep(vakt, datetime(2027, 3, 15, 10, 0, tzinfo=OSLO))
    assert len(flag_messages(vakt)) == 4
    assert rows(vakt, AccountFlag)[0].raised_count == 2 and status(vakt) == "flagged"


def test_vakt_flags_lists_open_flags_with_buttons_for_who_may_act(vakt: Vakt) -> None:
    assert "No open flags" in vakt.command("flags", user="U0ANNA")
    raise_flag(vakt)
    (flag,) = rows(vakt, AccountFlag)
    vakt.command("flags", user="U0BOSS")
    answer = vakt.fake.calls_to("response_url")[-1].args
    assert "Inactive" in vakt.reply_text(answer) and "fb-main" in vakt.reply_text(answer)
    assert buttons(answer) == {lb.FLAG_KEEP: str(flag.id), lb.FLAG_CLOSE: str(flag.id)}
    vakt.command("flags", user="U0ANNA")
    answer = vakt.fake.calls_to("response_url")[-1].args
    assert "Inactive" in vakt.reply_text(answer) and buttons(answer) == {}
    assert "I didn't understand `now`" in vakt.command("flags now", user="U0ANNA")


# ---------------------------------------------------------------- closure


def checklist_message(vakt: Vakt) -> dict[str, Any]:
    return next(m for m in vakt.sent("C0COMMS") if "*Closing*" in vakt.reply_text(m))


def close_flow(vakt: Vakt) -> None:
    """Start closure on the flag → the checklist → Done presses → Waive… → the final snapshot
    in the snapshot modal → Check again → closed; the account leaves the rotas."""
    message, where = raise_flag(vakt)
    (flag,) = rows(vakt, AccountFlag)
    # A team member cannot start it; a coordinator can.
    refused = press_on(vakt, lb.FLAG_CLOSE, str(flag.id), "U0CARL", where)
    assert "Only the coordinators and the manager" in refused["text"]
    started = press_on(vakt, lb.FLAG_CLOSE, str(flag.id), "U0COORD1", where)
    assert "checklist is in <#C0COMMS>" in vakt.reply_text(started)
    assert status(vakt) == "closing"
    vakt.wait_sent("C0COMMS", 2)
    checklist = checklist_message(vakt)
    spot = posted(vakt, checklist)
    text = vakt.reply_text(checklist)
    assert "Final snapshot archived" in text and "never waived" in text
    assert "the comms unit holds its log-in details" in text  # NB2
    (closure,) = rows(vakt, AccountClosure)
    assert closure.flag_id == flag.id and closure.started_by == "U0COORD1"
    pairs = all_buttons(checklist)
    assert (lb.CLOSURE_SNAPSHOT, f"{closure.id}:final_snapshot") in pairs
    assert (lb.CLOSURE_WAIVE, f"{closure.id}:final_snapshot") not in pairs
    assert (lb.CLOSURE_DONE, f"{closure.id}:followers_told") in pairs
    # The flag message now says the account is being closed.
    flag_spot = posted(vakt, message)
    assert "being closed" in vakt.reply_text(updates(vakt, *flag_spot)[-1])

    # Done presses on the checklist replace it in place.
    answer = press_on(vakt, lb.CLOSURE_DONE, f"{closure.id}:followers_told", "U0ANNA", spot)
    assert answer.get("replace_original") in (True, "true")
    assert "done by <@U0ANNA>" in vakt.reply_text(answer)
    answer = press_on(vakt, lb.CLOSURE_DONE, f"{closure.id}:public_list", "U0BOSS", spot)
    assert "done by <@U0BOSS>" in vakt.reply_text(answer)
    stranger = press_on(vakt, lb.CLOSURE_DONE, f"{closure.id}:credentials", "U0STRANGER", spot)
    assert "Only the team that watches" in stranger["text"]
    # Waive…: coordinators only, never the final snapshot.
    refused = press_on(vakt, lb.CLOSURE_WAIVE, f"{closure.id}:credentials", "U0ANNA", spot)
    assert refused["text"] == "Only coordinators may do that."
    refused = press_on(vakt, lb.CLOSURE_WAIVE, f"{closure.id}:final_snapshot", "U0COORD1", spot)
    assert "cannot be waived" in refused["text"]
    view = click_open(vakt, lb.CLOSURE_WAIVE, f"{closure.id}:credentials", "U0COORD1")
    assert view["callback_id"] == lb.CLOSURE_WAIVE_VIEW
    reason = {lb.FIELD_WAIVE_REASON: {lb.FIELD_WAIVE_REASON: text_value(None)}}
    empty = submit(vakt, lb.CLOSURE_WAIVE_VIEW, reason, view["private_metadata"], "U0COORD1")
    assert empty["errors"] == {lb.FIELD_WAIVE_REASON: "Say why the step is not needed."}
    reason = {lb.FIELD_WAIVE_REASON: {lb.FIELD_WAIVE_REASON: text_value("Ingen passord hos oss")}}
    done = submit(vakt, lb.CLOSURE_WAIVE_VIEW, reason, view["private_metadata"], "U0COORD1")
    assert done["response_action"] == "update"
    assert "waived by <@U0COORD1>: Ingen passord hos oss" in vakt.reply_text(
        updates(vakt, *spot)[-1]
    )
    answer = press_on(vakt, lb.CLOSURE_DONE, f"{closure.id}:platform_removed", "U0CARL", spot)
    assert "done by <@U0CARL>" in vakt.reply_text(answer)
    assert [a for a, _ in all_buttons(answer)] == [
        lb.CLOSURE_SNAPSHOT,
        lb.CLOSURE_CHECK,
        lb.CLOSURE_CANCEL,
    ]
    # Every other step is done or waived, but without a final snapshot it stays open.
    answer = press_on(vakt, lb.CLOSURE_CHECK, str(closure.id), "U0ANNA", spot)
    assert "was closed" not in vakt.reply_text(answer)
    assert status(vakt) == "closing"
    ticked = press_on(vakt, lb.CLOSURE_DONE, f"{closure.id}:final_snapshot", "U0COORD1", spot)
    assert "not ticked off" in ticked["text"]

    # Final snapshot…: the archive's snapshot modal, kind final; a link to the archive system.
    view = click_open(vakt, lb.CLOSURE_SNAPSHOT, f"{closure.id}:final_snapshot", "U0ANNA")
    assert view["callback_id"] == ids.SNAPSHOT_VIEW
    assert json.loads(view["private_metadata"]) == {"account": "fb-main"}
    vakt.clock.now = datetime(2026, 12, 15, 11, 0, tzinfo=OSLO)
    submit(
        vakt,
        ids.SNAPSHOT_VIEW,
        {
            ids.FIELD_KIND: {
                ids.FIELD_KIND: {"type": "radio_buttons", "selected_option": {"value": "final"}}
            },
            ids.FIELD_ARCHIVE_LINK: {
                ids.FIELD_ARCHIVE_LINK: {
                    "type": "url_text_input",
                    "value": "https://arkiv.testrud.no/sak/2026-77",
                }
            },
        },
        view["private_metadata"],
        "U0ANNA",
    )
    (snapshot,) = rows(vakt, Snapshot)
    assert snapshot.kind == "final"
    # Archiving it completed the closure: the checklist shows it at once.
    vakt.idle()
    assert status(vakt) == "closed"
    assert "was closed on Tuesday 15 December" in vakt.reply_text(updates(vakt, *spot)[-1])
    # Check again says the same.
    answer = press_on(vakt, lb.CLOSURE_CHECK, str(closure.id), "U0ANNA", spot)
    assert answer.get("replace_original") in (True, "true")
    assert "was closed on Tuesday 15 December" in vakt.reply_text(answer)
    assert all_buttons(answer) == []
    assert status(vakt) == "closed"
    (closure,) = rows(vakt, AccountClosure)
    assert closure.finished_at is not None and closure.open_key is None
    (flag,) = rows(vakt, AccountFlag)
    assert flag.open_key is None
    steps = rows(vakt, ClosureStep)
    assert sorted((s.step, s.done_by, s.waived_reason) for s in steps) == [
        ("credentials", "U0COORD1", "Ingen passord hos oss"),
        ("followers_told", "U0ANNA", None),
        ("platform_removed", "U0CARL", None),
        ("public_list", "U0BOSS", None),
    ]
    actions = [(a.actor, a.action) for a in rows(vakt, AuditLog) if a.action.startswith("closure")]
    assert actions == [
        ("U0COORD1", "closure.start"),
        ("U0ANNA", "closure.step"),
        ("U0BOSS", "closure.step"),
        ("U0COORD1", "closure.waive"),
        ("U0CARL", "closure.step"),
        ("U0ANNA", "closure.finish"),
    ]
    # It has left the rotas and /vakt flags.
    assert "no team or account" in vakt.command("who fb-main")
    assert "No open flags" in vakt.command("flags")


def test_closure_from_a_flag_to_closed(vakt: Vakt) -> None:
    close_flow(vakt)


def test_closure_flow_on_any_database(vakt_any_db: Vakt) -> None:
    close_flow(vakt_any_db)


def test_vakt_account_close_and_cancel_from_vakt_flags(vakt: Vakt) -> None:
    assert "Only the coordinators and the manager" in vakt.command(
        "account close fb-main", user="U0ANNA"
    )
    assert "Say which account" in vakt.command("account close", user="U0BOSS")
    assert "no account `nope`" in vakt.command("account close nope", user="U0BOSS")
    answer = vakt.command("account close fb-main Brukes ikke lenger", user="U0BOSS")
    assert "The closure of Testrud kommune has started" in answer
    vakt.wait_sent("C0COMMS")
    checklist = checklist_message(vakt)
    assert "Reason: Brukes ikke lenger" in vakt.reply_text(checklist)
    assert "being closed already" in vakt.command("account close fb-main", user="U0COORD1")
    (closure,) = rows(vakt, AccountClosure)
    # /vakt flags shows it in progress: Check again for the team, Cancel for coordinators.
    vakt.command("flags", user="U0ANNA")
    member_view = vakt.fake.calls_to("response_url")[-1].args
    assert "Closing" in vakt.reply_text(member_view)
    assert lb.CLOSURE_CHECK in buttons(member_view) and lb.CLOSURE_CANCEL not in buttons(
        member_view
    )
    vakt.command("flags", user="U0COORD1")
    assert lb.CLOSURE_CANCEL in buttons(vakt.fake.calls_to("response_url")[-1].args)
    # Check again from the list answers the presser and updates the checklist in place.
    answer = press(vakt, lb.CLOSURE_CHECK, str(closure.id), "U0ANNA", channel="D0ANNA")
    assert "still to do: Final snapshot archived" in answer["text"]
    refused = press(vakt, lb.CLOSURE_CANCEL, str(closure.id), "U0BOSS", channel="D0BOSS")
    assert refused["text"] == "Only coordinators may do that."
    answer = press(vakt, lb.CLOSURE_CANCEL, str(closure.id), "U0COORD1", channel="D0COORD1")
    assert "is cancelled" in answer["text"]
    assert status(vakt) == "active"
    spot = posted(vakt, checklist)
    assert "was cancelled by <@U0COORD1>" in vakt.reply_text(updates(vakt, *spot)[-1])
    stale = press_on(vakt, lb.CLOSURE_DONE, f"{closure.id}:public_list", "U0ANNA", spot)
    assert "was cancelled" in stale["text"]
    bad = press(vakt, lb.CLOSURE_CHECK, "x", "U0ANNA")
    assert bad["text"] == "That button is out of date."


def test_norwegian_checklist(fake: FakeSlack, db_url: str, tmp_path: Path) -> None:
    config = LIFECYCLE_CONFIG.replace('language = "en"', 'language = "nb"')
    fake.workspace.users["U0BOSS"] = {"locale": "nb-NO"}
    vakt = Vakt(fake, db_url, tmp_path, START, config_text=config)
    try:
        assert "Nedleggelsen av Testrud kommune er startet" in vakt.command(
            "konto avslutt fb-main", user="U0BOSS"
        )
        message = vakt.wait_sent("C0COMMS")[0]
        text = vakt.reply_text(message)
        assert "*Nedleggelse* av" in text and "Siste øyeblikksbilde arkivert" in text
    finally:
        vakt.close()
    fake.assert_no_errors()


def test_refresh_after_a_final_snapshot_closes_and_updates_the_checklist(vakt: Vakt) -> None:
    """What the snapshot modal and the file fetch call once a final snapshot is archived."""
    vakt.command("account close fb-main", user="U0COORD1")
    vakt.wait_sent("C0COMMS")
    spot = posted(vakt, checklist_message(vakt))
    (closure,) = rows(vakt, AccountClosure)
    for step in ("followers_told", "public_list", "credentials", "platform_removed"):
        press_on(vakt, lb.CLOSURE_DONE, f"{closure.id}:{step}", "U0ANNA", spot)
    refresh_account(vakt.runtime.deps, closure.account_id)  # no final snapshot: stays open
    assert status(vakt) == "closing"
    assert "*Closing*" in vakt.reply_text(updates(vakt, *spot)[-1])
    with Session(vakt.runtime.engine) as session:
        session.add(
            Snapshot(
                account_id=closure.account_id,
                kind="final",
                taken_at=START,
                recorded_by="U0ANNA",
                archive_link="https://arkiv.testrud.no/sak/5",
            )
        )
        session.commit()
    refresh_account(vakt.runtime.deps, closure.account_id)
    assert status(vakt) == "closed"
    shown = updates(vakt, *spot)[-1]
    assert "was closed on Monday 23 November" in vakt.reply_text(shown)
    assert all_buttons(shown) == []


def test_a_final_snapshot_file_archived_by_the_sweep_completes_the_closure(vakt: Vakt) -> None:
    """The screenshot's first download fails: the closure stays open; the sweep's retry archives
    it and, with it, finishes the closure and updates the checklist."""
    from tests.archive.test_slack import PNG

    vakt.command("account close fb-main", user="U0COORD1")
    vakt.wait_sent("C0COMMS")
    spot = posted(vakt, checklist_message(vakt))
    (closure,) = rows(vakt, AccountClosure)
    for step in ("followers_told", "public_list", "credentials", "platform_removed"):
        press_on(vakt, lb.CLOSURE_DONE, f"{closure.id}:{step}", "U0ANNA", spot)
    view = click_open(vakt, lb.CLOSURE_SNAPSHOT, f"{closure.id}:final_snapshot", "U0ANNA")
    vakt.fake.fail_next("file_download", status=500)
    file = vakt.fake.add_file(PNG, name="siste.png", user="U0ANNA")
    submit(
        vakt,
        ids.SNAPSHOT_VIEW,
        {
            ids.FIELD_KIND: {
                ids.FIELD_KIND: {"type": "radio_buttons", "selected_option": {"value": "final"}}
            },
            ids.FIELD_FILES: {ids.FIELD_FILES: {"type": "file_input", "files": [file]}},
        },
        view["private_metadata"],
        "U0ANNA",
    )
    vakt.idle()
    assert status(vakt) == "closing"  # nothing archived yet
    sweep(vakt, START + timedelta(minutes=30))
    vakt.idle()
    assert status(vakt) == "closed"
    assert "was closed on Monday 23 November" in vakt.reply_text(updates(vakt, *spot)[-1])
    finish = [a for a in rows(vakt, AuditLog) if a.action == "closure.finish"]
    assert [a.actor for a in finish] == ["vakt"]
