"""Reminders about unanswered items: the right person, at the right time, exactly once."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from bot.items import service as items
from bot.items.core import Status
from bot.kernel.context import Ctx
from bot.store.db import session_scope
from bot.store.models import Account, Item, Outbox
from tests.harness import OSLO, Vakt


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=OSLO)  # type: ignore[misc]


def add_item(
    vakt: Vakt,
    received: datetime,
    external_id: str,
    *,
    text: str = "Når åpner biblioteket?",
    must_register: bool | None = None,
    now: datetime | None = None,
) -> int:
    with session_scope(vakt.runtime.engine) as session:
        ctx = Ctx(
            session=session,
            config=vakt.config,
            calendar=vakt.runtime.deps.calendar,
            now=now or received,
            actor="http",
        )
        account = session.exec(select(Account).where(Account.key == "fb-main")).one()
        created = items.create_item(
            ctx,
            items.NewItem(
                account=account,
                source="http",
                external_id=external_id,
                received_at=received,
                url=f"https://www.facebook.com/testrud/posts/{external_id}",
                text=text,
                must_register=must_register,
            ),
        )
        assert created.item.id is not None
        return created.item.id


def texts(vakt: Vakt, channel: str) -> list[str]:
    return [vakt.reply_text(m) for m in vakt.sent(channel)]


def digests(vakt: Vakt, user: str) -> list[str]:
    return [t for t in texts(vakt, user) if "Unanswered questions" in t]


def test_reminder_at_nine_the_first_working_day_after_the_deadline(vakt: Vakt) -> None:
    friday = at(2026, 11, 27, 15, 30)  # due Monday 30 November 16:00
    add_item(vakt, friday, "p1")
    vakt.runtime.sweep(at(2026, 11, 28, 10, 0))  # Saturday: nothing
    vakt.runtime.sweep(at(2026, 11, 30, 9, 5))  # Monday: not overdue yet
    vakt.runtime.sweep(at(2026, 11, 30, 13, 5))
    assert digests(vakt, "U0BO") == []  # Bo has week 49
    vakt.runtime.sweep(at(2026, 12, 1, 9, 5))  # Tuesday 09:05: overdue
    sent = digests(vakt, "U0BO")
    assert len(sent) == 1
    assert "1 overdue" in sent[0] and "Monday 30 November 16:00" in sent[0]
    assert "1 working day old" in sent[0] or "2 working days old" in sent[0]
    # The same slot again, and a late run in the same slot: nothing new.
    vakt.runtime.sweep(at(2026, 12, 1, 9, 5))
    vakt.runtime.sweep(at(2026, 12, 1, 11, 0))
    assert len(digests(vakt, "U0BO")) == 1
    vakt.runtime.sweep(at(2026, 12, 1, 13, 1))
    assert len(digests(vakt, "U0BO")) == 2
    summary = texts(vakt, "C0TEAM1")
    assert any("1 overdue question" in t for t in summary)


def test_escalation_to_manager_and_coordinators_on_the_right_day(vakt: Vakt) -> None:
    add_item(vakt, at(2026, 11, 23, 9, 0), "p2")  # Monday: due Tuesday 16:00
    vakt.runtime.sweep(at(2026, 11, 25, 9, 5))  # Wednesday: overdue, not yet escalated
    assert texts(vakt, "U0BOSS") == []
    vakt.runtime.sweep(at(2026, 11, 26, 9, 5))  # Thursday: one working day past due
    boss = texts(vakt, "U0BOSS")
    assert len(boss) == 1 and "Overdue – Kommunikasjon" in boss[0]
    assert any("Overdue – Kommunikasjon" in t for t in texts(vakt, "C0COMMS"))
    vakt.runtime.sweep(at(2026, 11, 26, 13, 5))  # once per working day
    assert len(texts(vakt, "U0BOSS")) == 1
    vakt.runtime.sweep(at(2026, 11, 27, 9, 5))
    assert len(texts(vakt, "U0BOSS")) == 2


def test_closed_items_are_not_reminded(vakt: Vakt) -> None:
    item_id = add_item(vakt, at(2026, 11, 23, 9, 0), "p3")
    with session_scope(vakt.runtime.engine) as session:
        ctx = Ctx(session, vakt.config, vakt.runtime.deps.calendar, at(2026, 11, 23, 10), "U0ANNA")
        items.close_item(ctx, item_id, Status.ANSWERED)
    vakt.runtime.sweep(at(2026, 11, 25, 9, 5))
    assert digests(vakt, "U0ANNA") == []


def test_outbox_keys_name_person_and_slot(vakt: Vakt) -> None:
    add_item(vakt, at(2026, 11, 23, 9, 0), "p4")
    vakt.runtime.sweep(at(2026, 11, 25, 9, 5))
    with Session(vakt.runtime.engine) as session:
        keys = {row.key for row in session.exec(select(Outbox)).all()}
        assert "digest:U0ANNA:2026-11-25T0900" in keys
        item = session.exec(select(Item)).one()
        assert item.deadline == at(2026, 11, 24, 16, 0)


def test_the_substitute_gets_the_digest_while_the_primary_is_away(vakt: Vakt) -> None:
    add_item(vakt, at(2026, 11, 23, 9, 0), "s1")
    vakt.command("away 2026-11-25 2026-11-25 sick", user="U0ANNA")
    vakt.runtime.sweep(at(2026, 11, 25, 9, 5))
    assert digests(vakt, "U0ANNA") == []
    assert len(digests(vakt, "U0BO")) == 1
    vakt.runtime.sweep(at(2026, 11, 26, 9, 5))  # Anna is back on Thursday
    assert len(digests(vakt, "U0ANNA")) == 1


def test_no_reminders_on_closed_days_holidays_or_outside_hours(vakt: Vakt) -> None:
    add_item(vakt, at(2026, 12, 21, 9, 0), "h1")  # due Tuesday 22 December 16:00
    for instant in (
        at(2026, 12, 23, 7, 59),  # before opening
        at(2026, 12, 23, 16, 0),  # at closing
        at(2026, 12, 24, 9, 5),  # Christmas Eve: closed in this organisation
        at(2026, 12, 25, 9, 5),  # Christmas Day
        at(2026, 12, 26, 9, 5),  # Saturday, Boxing Day
    ):
        vakt.runtime.sweep(instant)
    before = len(digests(vakt, "U0CARL")) + len(digests(vakt, "U0ANNA"))
    assert before == 0
    vakt.runtime.sweep(at(2026, 12, 28, 9, 5))  # Monday after Christmas
    assert (
        len(digests(vakt, "U0CARL")) + len(digests(vakt, "U0ANNA")) + len(digests(vakt, "U0BO"))
        == 1
    )


def test_a_rate_limited_digest_is_delayed_then_delivered_once(vakt: Vakt) -> None:
    add_item(vakt, at(2026, 11, 23, 9, 0), "r1")
    vakt.runtime.sweep(at(2026, 11, 25, 8, 30))  # the week's handovers go out first
    vakt.fake.fail_next("chat.postMessage", status=429, times=3)  # outlasts the client's retries
    result = vakt.runtime.sweep(at(2026, 11, 25, 9, 5))
    assert result.delivery["retry"] >= 1
    assert digests(vakt, "U0ANNA") == []
    vakt.runtime.sweep(at(2026, 11, 25, 9, 6))  # too early for the next attempt
    vakt.runtime.sweep(at(2026, 11, 25, 9, 10))
    assert len(digests(vakt, "U0ANNA")) == 1
    vakt.runtime.sweep(at(2026, 11, 25, 9, 30))
    assert len(digests(vakt, "U0ANNA")) == 1
    with Session(vakt.runtime.engine) as session:
        assert all(row.status == "sent" for row in session.exec(select(Outbox)).all())


def test_unregistered_items_are_reminded_until_a_reference_is_recorded(vakt: Vakt) -> None:
    item_id = add_item(vakt, at(2026, 11, 23, 9, 0), "j1", must_register=True)
    with session_scope(vakt.runtime.engine) as session:
        ctx = Ctx(session, vakt.config, vakt.runtime.deps.calendar, at(2026, 11, 23, 11), "U0ANNA")
        items.close_item(ctx, item_id, Status.ANSWERED)
    vakt.runtime.sweep(at(2026, 11, 25, 9, 5))
    sent = digests(vakt, "U0ANNA")
    assert len(sent) == 1 and "1 to register" in sent[0] and "overdue" not in sent[0].split("\n")[1]
    with session_scope(vakt.runtime.engine) as session:
        ctx = Ctx(session, vakt.config, vakt.runtime.deps.calendar, at(2026, 11, 25, 10), "U0ANNA")
        items.set_registration(ctx, item_id, must=True, reference="2026/77")
    vakt.runtime.sweep(at(2026, 11, 25, 13, 5))
    assert len(digests(vakt, "U0ANNA")) == 1


def test_one_digest_for_many_items_oldest_first(vakt: Vakt) -> None:
    for n in range(30):
        add_item(vakt, at(2026, 11, 23, 8, n), f"m{n}", text=f"Spørsmål nummer {n}")
    result = vakt.runtime.sweep(at(2026, 11, 25, 9, 5))
    sent = digests(vakt, "U0ANNA")
    assert len(sent) == 1
    assert "*30 overdue*" in sent[0] and "… and 15 more" in sent[0]
    assert sent[0].index("Spørsmål nummer 0") < sent[0].index("Spørsmål nummer 14")
    assert "Spørsmål nummer 15" not in sent[0]
    # One digest, one team summary: not a message per item.
    assert sorted(m.kind for m in result.recorded if m.kind.startswith("item_")) == [
        "item_digest",
        "item_summary",
    ]


def test_retention_purges_excerpts_but_keeps_the_item(vakt: Vakt) -> None:
    old = add_item(vakt, at(2026, 11, 23, 9, 0), "g1", text="Navn Navnesen spør om søknaden sin")
    pending = add_item(vakt, at(2026, 11, 23, 9, 1), "g2", must_register=True)
    still_open = add_item(vakt, at(2026, 11, 23, 9, 2), "g3")
    with session_scope(vakt.runtime.engine) as session:
        ctx = Ctx(session, vakt.config, vakt.runtime.deps.calendar, at(2026, 11, 23, 12), "U0ANNA")
        items.close_item(ctx, old, Status.ANSWERED)
        items.close_item(ctx, pending, Status.REFERRED)
    vakt.runtime.sweep(at(2027, 2, 20, 3, 0))  # 89 days after closing: kept
    with Session(vakt.runtime.engine) as session:
        assert session.get(Item, old).excerpt is not None  # type: ignore[union-attr]
    vakt.runtime.sweep(at(2027, 2, 22, 0, 30))  # the night after 90 full days
    with Session(vakt.runtime.engine) as session:
        purged = session.get(Item, old)
        assert purged is not None and purged.excerpt is None and purged.excerpt_purged_at
        assert purged.status == Status.ANSWERED and purged.url  # metadata and outcome stay
        waiting = session.get(Item, pending)
        assert waiting is not None and waiting.excerpt is not None  # still to be registered
        open_item = session.get(Item, still_open)
        assert open_item is not None and open_item.excerpt is not None


def test_deadline_across_dst_and_after_hours(vakt: Vakt) -> None:
    add_item(vakt, at(2026, 10, 23, 17, 30), "d1", now=at(2026, 10, 23, 17, 30))
    with Session(vakt.runtime.engine) as session:
        item = session.exec(select(Item)).one()
        # Friday after closing → Monday 26 October 16:00, after the clocks went back (CET).
        assert item.deadline == at(2026, 10, 26, 16, 0)
        assert item.deadline.utcoffset() is not None
        assert item.deadline.astimezone(OSLO).utcoffset().total_seconds() == 3600  # type: ignore[union-attr]
