"""The flag job: inactive accounts, accounts past their end date and thin rotas are raised on
the weekly day at the first reminder time, once; a kept flag is raised again only after its
quiet period and only if it still holds; a flag is resolved when its condition ends, and a new
one is raised if it comes back."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.kernel.calendar import WorkCalendar
from bot.kernel.config import OrgConfig, parse_config
from bot.kernel.context import Ctx
from bot.lifecycle import service as lifecycle
from bot.register.sync import apply_config
from bot.rota.core import AbsenceKind
from bot.store.db import session_scope
from bot.store.models import (
    Absence,
    Account,
    AccountFlag,
    AccountPost,
    AuditLog,
    Outbox,
    Snapshot,
)
from bot.sweep import run_jobs
from tests.harness import OSLO

BASE = """
[organisation]
name = "Testrud kommune"
country = "NO"
timezone = "Europe/Oslo"
language = "en"
coordinators = ["U0COORD1"]
{coordinator_channel}

[office_hours]
monday = "08:00-16:00"
tuesday = "08:00-16:00"
wednesday = "08:00-16:00"
thursday = "08:00-16:00"
friday = "08:00-16:00"

[closed_days]
recurring = ["12-24", "12-31"]

[items]
reminder_times = ["09:00", "13:00"]

[register]
{register}

[[team]]
key = "komm"
name = "Kommunikasjon"
channel = "C0TEAM1"
manager = "U0BOSS"
members = ["U0ANNA", "U0BO", "U0CARL"]
rotation = "weekly"
start = "2026-11-02"

[[account]]
key = "fb-main"
platform = "facebook"
name = "Testrud kommune"
url = "https://www.facebook.com/testrud"
team = "komm"
created = 2026-11-02
{fb_extra}
"""

APPLIED = datetime(2026, 11, 2, 10, 0, tzinfo=OSLO)
FLAG = lifecycle.FLAG_MESSAGE


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=OSLO)


def make_config(
    *, fb_extra: str = "", register: str = "", coordinator_channel: bool = True
) -> OrgConfig:
    return parse_config(
        BASE.format(
            fb_extra=fb_extra,
            register=register,
            coordinator_channel='coordinator_channel = "C0COMMS"' if coordinator_channel else "",
        ),
        "vakt.toml",
    )


class Org:
    """A migrated database with the configuration applied, and helpers to act and sweep."""

    def __init__(self, engine: Engine, config: OrgConfig) -> None:
        self.engine, self.config = engine, config
        self.calendar: WorkCalendar = config.calendar()
        with session_scope(engine) as session:
            apply_config(session, config, APPLIED)

    def ctx(self, session: Session, now: datetime, actor: str) -> Ctx:
        return Ctx(session, self.config, self.calendar, now, actor)

    def account(self, session: Session, key: str = "fb-main") -> Account:
        return session.exec(select(Account).where(Account.key == key)).one()

    def status(self, key: str = "fb-main") -> str:
        with Session(self.engine) as session:
            return self.account(session, key).status

    def post(self, when: datetime, key: str = "fb-main") -> None:
        with session_scope(self.engine) as session:
            account = self.account(session, key)
            assert account.id is not None
            session.add(
                AccountPost(
                    account_id=account.id,
                    external_id=f"post-{when.isoformat()}",
                    posted_at=when,
                    source="command",
                    created_by="U0ANNA",
                    created_at=when,
                )
            )

    def away(self, user: str, start: date, end: date | None, kind: str = "vacation") -> None:
        with session_scope(self.engine) as session:
            session.add(
                Absence(
                    user_id=user,
                    start=start,
                    end=end,
                    kind=kind,
                    created_by=user,
                    created_at=APPLIED,
                )
            )

    def sweep(self, now: datetime) -> list[str]:
        """Run the flag job as of `now`; the keys of the messages it recorded."""
        result = run_jobs(self.engine, self.config, self.calendar, now, only=["flags"])
        assert result.failed_jobs == [], now
        return [m.key for m in result.recorded]

    def flags(self) -> list[AccountFlag]:
        with Session(self.engine) as session:
            return list(session.exec(select(AccountFlag).order_by(col(AccountFlag.id))))

    def keep(self, flag_id: int, now: datetime, period: str, chosen: date | None = None) -> None:
        with session_scope(self.engine) as session:
            lifecycle.keep_flag(
                self.ctx(session, now, "U0BOSS"), flag_id, "Sesongkonto", period, chosen
            )

    def rows(self) -> list[Outbox]:
        with Session(self.engine) as session:
            return list(
                session.exec(select(Outbox).where(Outbox.kind == FLAG).order_by(col(Outbox.id)))
            )


def block_text(row: Outbox) -> str:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(row.blocks or "[]"))
    return "\n".join(found)


def action_ids(row: Outbox) -> list[str]:
    return [
        element["action_id"]
        for block in json.loads(row.blocks or "[]")
        if block["type"] == "actions"
        for element in block["elements"]
    ]


@pytest.fixture
def org(engine: Engine) -> Org:
    return Org(engine, make_config())


# ---------------------------------------------------------------- inactivity


def test_an_inactive_account_is_flagged_on_the_weekly_day_at_the_slot_and_only_once(
    org: Org,
) -> None:
    org.post(at(2026, 11, 17, 12))  # a Tuesday: silent for more than 14 days from 2 December
    assert org.sweep(at(2026, 11, 30, 9, 30)) == []  # Monday: 13 days, fine
    assert org.sweep(at(2026, 12, 2, 9, 30)) == []  # Wednesday: inactive, but not the weekly day
    assert org.sweep(at(2026, 12, 4, 13, 30)) == []
    assert org.sweep(at(2026, 12, 7, 8, 59)) == []  # Monday, before the first reminder time
    keys = org.sweep(at(2026, 12, 7, 9, 0))
    (flag,) = org.flags()
    assert keys == [f"flag:{flag.id}:1:C0COMMS", f"flag:{flag.id}:1:U0BOSS"]
    assert flag.kind == "inactive" and flag.detail == "last:2026-11-17"
    assert flag.open_key == f"{flag.account_id}:inactive" and flag.last_raised_on == date(
        2026, 12, 7
    )
    assert org.status() == "flagged"
    row = org.rows()[0]
    text = block_text(row)
    assert "no post since Tuesday 17 November" in text and "every 14 days" in text
    assert action_ids(row) == ["vakt_flag_keep", "vakt_flag_close"]
    # Later sweeps the same day, the rest of the week and the next weeks add nothing.
    for moment in (
        at(2026, 12, 7, 9, 5),
        at(2026, 12, 7, 13, 0),
        at(2026, 12, 8),
        at(2026, 12, 14),
    ):
        assert org.sweep(moment) == []
    assert len(org.flags()) == 1 and len(org.rows()) == 2
    with Session(org.engine) as session:
        actions = [a.action for a in session.exec(select(AuditLog).where(AuditLog.actor == "vakt"))]
    assert actions == ["flag.raise"]


def test_a_condition_arising_on_a_tuesday_waits_for_the_next_weekly_day(org: Org) -> None:
    org.post(at(2026, 11, 24, 12))  # Tuesday 24 November: inactive from Wednesday 9 December
    assert org.sweep(at(2026, 12, 7)) == []
    assert org.sweep(at(2026, 12, 8)) == []
    assert org.sweep(at(2026, 12, 9)) == []  # it holds now, but this is no weekly day
    assert org.sweep(at(2026, 12, 11, 13)) == []
    assert len(org.sweep(at(2026, 12, 14))) == 2
    assert org.flags()[0].last_raised_on == date(2026, 12, 14)


def test_a_holiday_monday_moves_the_weekly_day_to_tuesday(org: Org) -> None:
    # Easter Monday 2027 is 29 March; the account never posted since it was created.
    assert org.sweep(at(2027, 3, 29, 10)) == []
    assert org.sweep(at(2027, 3, 30, 8, 30)) == []  # before the first reminder time
    keys = org.sweep(at(2027, 3, 30, 9, 0))
    assert len(keys) == 2
    (flag,) = org.flags()
    assert flag.detail == "created:2026-11-02" and flag.last_raised_on == date(2027, 3, 30)
    assert "since it was registered on Monday 2 November" in block_text(org.rows()[0])


def test_outside_office_hours_and_at_week_ends_nothing_is_raised(org: Org) -> None:
    assert org.sweep(at(2026, 12, 7, 7, 30)) == []  # Monday before opening
    assert org.sweep(at(2026, 12, 7, 16, 30)) == []  # Monday after closing
    assert org.sweep(at(2026, 12, 12, 10)) == []  # Saturday
    assert org.flags() == []
    assert len(org.sweep(at(2026, 12, 14, 15, 59))) == 2  # the next Monday, late but open


def test_the_flag_is_resolved_when_a_post_arrives_and_raised_anew_later(org: Org) -> None:
    org.sweep(at(2026, 12, 7))
    (first,) = org.flags()
    assert org.status() == "flagged"
    org.post(at(2026, 12, 8, 11))
    assert org.sweep(at(2026, 12, 9)) == []  # resolved at the next daily slot, no message
    (first,) = org.flags()
    assert first.open_key is None and first.resolved_at is not None
    assert org.status() == "active"
    assert org.sweep(at(2026, 12, 21)) == []  # 13 days after the post
    keys = org.sweep(at(2026, 12, 28))  # 20 days: raised anew, a new flag
    second = org.flags()[1]
    assert keys == [f"flag:{second.id}:1:C0COMMS", f"flag:{second.id}:1:U0BOSS"]
    assert second.detail == "last:2026-12-08" and second.open_key is not None
    assert org.status() == "flagged"


def test_an_account_with_no_cadence_is_never_inactive(engine: Engine) -> None:
    org = Org(engine, make_config(fb_extra="cadence_days = 0", register="cadence_days = 7"))
    assert org.sweep(at(2027, 3, 1)) == []  # the account's own 0 wins over the 7 days
    assert org.flags() == []


def test_the_organisations_cadence_applies_when_the_account_has_none(engine: Engine) -> None:
    org = Org(engine, make_config(register="cadence_days = 60"))
    assert org.sweep(at(2026, 12, 28)) == []  # 56 days since it was created
    assert len(org.sweep(at(2027, 1, 4))) == 2  # 63 days
    assert "every 60 days" in block_text(org.rows()[0])


# ---------------------------------------------------------------- Keep and quiet periods


def test_keep_silences_for_the_chosen_period_and_no_longer(org: Org) -> None:
    org.sweep(at(2026, 12, 7))
    (flag,) = org.flags()
    assert flag.id is not None
    org.keep(flag.id, at(2026, 12, 7, 10), "4w")
    (flag,) = org.flags()
    assert flag.quiet_until == date(2027, 1, 4) and flag.kept_by == "U0BOSS"
    assert org.status() == "active"
    for moment in (at(2026, 12, 14), at(2026, 12, 21), at(2026, 12, 28), at(2027, 1, 1)):
        assert org.sweep(moment) == []
    assert org.sweep(at(2027, 1, 4, 8, 30)) == []  # before the slot of the day it ends
    keys = org.sweep(at(2027, 1, 4, 9, 0))
    assert keys == [f"flag:{flag.id}:2:C0COMMS", f"flag:{flag.id}:2:U0BOSS"]
    (flag,) = org.flags()
    assert flag.raised_count == 2 and flag.quiet_until is None
    assert flag.last_raised_on == date(2027, 1, 4)
    assert org.status() == "flagged"
    again = org.rows()[-1]
    assert "It was kept by <@U0BOSS> (Sesongkonto)" in block_text(again)
    assert org.sweep(at(2027, 1, 5)) == [] and org.sweep(at(2027, 1, 11)) == []


def test_a_quiet_period_ending_mid_week_raises_again_that_day(org: Org) -> None:
    org.sweep(at(2026, 12, 7))
    (flag,) = org.flags()
    assert flag.id is not None
    org.keep(flag.id, at(2026, 12, 7, 10), "date", date(2027, 1, 13))  # a Wednesday
    assert org.sweep(at(2027, 1, 11)) == []
    assert org.sweep(at(2027, 1, 12, 15)) == []
    assert len(org.sweep(at(2027, 1, 13, 9, 1))) == 2


def test_no_second_raise_when_the_condition_ended_during_the_quiet_period(org: Org) -> None:
    org.sweep(at(2026, 12, 7))
    (flag,) = org.flags()
    assert flag.id is not None
    org.keep(flag.id, at(2026, 12, 7, 10), "4w")
    org.post(at(2026, 12, 30, 12))
    assert org.sweep(at(2027, 1, 4)) == []  # the period is over, but it posted: resolved
    (flag,) = org.flags()
    assert flag.open_key is None and flag.raised_count == 1
    assert org.status() == "active"


# ---------------------------------------------------------------- end date


def test_an_account_past_its_end_date_is_flagged_with_the_date(engine: Engine) -> None:
    org = Org(engine, make_config(fb_extra="end_date = 2026-12-01"))
    org.post(at(2026, 11, 27, 12))  # active, so only the end date is wrong
    assert org.sweep(at(2026, 11, 30)) == []  # it ends tomorrow
    keys = org.sweep(at(2026, 12, 7))
    (flag,) = org.flags()
    assert flag.kind == "ended" and flag.detail == "end:2026-12-01"
    assert keys == [f"flag:{flag.id}:1:C0COMMS", f"flag:{flag.id}:1:U0BOSS"]
    assert "ended on Tuesday 1 December" in block_text(org.rows()[0])


def test_without_a_coordinators_channel_each_coordinator_is_told(engine: Engine) -> None:
    org = Org(engine, make_config(coordinator_channel=False, fb_extra='manager = "U0COORD1"'))
    keys = org.sweep(at(2026, 12, 7))
    (flag,) = org.flags()
    assert keys == [f"flag:{flag.id}:1:U0COORD1"]  # the manager is a coordinator: once


# ---------------------------------------------------------------- rota coverage


def test_coverage_vacation_of_two_of_three_members(org: Org) -> None:
    org.post(at(2026, 12, 4, 12))
    org.away("U0ANNA", date(2026, 12, 9), date(2026, 12, 11))
    org.away("U0BO", date(2026, 12, 10), date(2026, 12, 18))
    keys = org.sweep(at(2026, 12, 7))
    (flag,) = org.flags()
    assert flag.kind == "coverage" and flag.detail == "short:2026-12-10:1"
    assert len(keys) == 2
    row = org.rows()[0]
    text = block_text(row)
    assert "Team Kommunikasjon has only 1 member available on Thursday 10 December" in text
    assert "/vakt team members komm" in text
    assert action_ids(row) == ["vakt_flag_keep"]  # a rota is fixed, not closed
    assert org.sweep(at(2026, 12, 8)) == []
    # The vacation is cancelled: resolved at the next daily slot.
    with session_scope(org.engine) as session:
        absence = session.exec(select(Absence).where(Absence.user_id == "U0BO")).one()
        absence.cancelled_at = at(2026, 12, 8, 10)
        session.add(absence)
    assert org.sweep(at(2026, 12, 9)) == []
    assert org.flags()[0].open_key is None and org.status() == "active"


def test_coverage_ahead_only_within_the_coverage_days(org: Org) -> None:
    org.post(at(2026, 12, 4, 12))
    org.away("U0ANNA", date(2026, 12, 21), date(2026, 12, 23))
    org.away("U0BO", date(2026, 12, 21), date(2026, 12, 23))
    assert org.sweep(at(2026, 12, 7)) == []  # 21 December is 14 days ahead: not yet
    keys = org.sweep(at(2026, 12, 14))
    assert len(keys) == 2 and org.flags()[0].detail == "short:2026-12-21:1"


def test_coverage_when_a_member_has_left_the_job(engine: Engine) -> None:
    org = Org(engine, make_config(register="coverage_members = 3"))
    org.post(at(2026, 12, 4, 12))
    assert org.sweep(at(2026, 12, 7)) == []  # three members, three needed
    org.away("U0CARL", date(2026, 12, 16), None, AbsenceKind.LEFT.value)
    assert org.sweep(at(2026, 12, 8)) == []  # new flags wait for the weekly day
    org.sweep(at(2026, 12, 14))
    (flag,) = org.flags()
    assert flag.kind == "coverage" and flag.detail == "short:2026-12-16:2"


def test_closing_and_closed_accounts_are_not_flagged(org: Org) -> None:
    with session_scope(org.engine) as session:
        account = org.account(session)
        account.status = "closing"
        session.add(account)
    assert org.sweep(at(2026, 12, 7)) == []
    with session_scope(org.engine) as session:
        account = org.account(session)
        account.status = "closed"
        session.add(account)
    assert org.sweep(at(2026, 12, 14)) == []
    assert org.flags() == []


def test_two_accounts_each_get_their_own_flags(engine: Engine) -> None:
    extra = """
[[account]]
key = "ig-main"
platform = "instagram"
name = "Testrud på Instagram"
url = "https://www.instagram.com/testrud"
team = "komm"
created = 2026-11-02
end_date = 2026-11-30
"""
    org = Org(engine, make_config(fb_extra=extra))
    keys = org.sweep(at(2026, 12, 7))
    flags = org.flags()
    assert sorted((f.account_id, f.kind) for f in flags) == [
        (1, "inactive"),
        (2, "ended"),
        (2, "inactive"),
    ]
    assert len(keys) == 6
    assert org.status("ig-main") == "flagged"
    ended = next(f for f in flags if f.kind == "ended")
    assert ended.id is not None
    org.keep(ended.id, at(2026, 12, 7, 11), "3m")
    assert org.status("ig-main") == "flagged"  # still inactive and not kept


# ---------------------------------------------------------------- closures finished by the sweep


def test_a_closure_whose_final_snapshot_arrived_last_is_finished_by_the_sweep(org: Org) -> None:
    with session_scope(org.engine) as session:
        ctx = org.ctx(session, at(2026, 12, 7, 10), "U0COORD1")
        view = lifecycle.start_closure(ctx, org.account(session), "Brukes ikke")
        for step in ("followers_told", "public_list", "credentials", "platform_removed"):
            lifecycle.mark_done(ctx, view.closure.id or 0, step)
        closure_id = view.closure.id
    assert org.status() == "closing"
    assert org.sweep(at(2026, 12, 8)) == []  # no final snapshot yet
    with session_scope(org.engine) as session:
        account = org.account(session)
        session.add(
            Snapshot(
                account_id=account.id or 0,
                kind="final",
                taken_at=at(2026, 12, 8, 14),
                recorded_by="U0ANNA",
                archive_link="https://arkiv.testrud.no/sak/9",
            )
        )
    assert org.sweep(at(2026, 12, 8, 15, 59)) == [f"closure:{closure_id}:closed"]
    with Session(org.engine) as session:
        account = org.account(session)
        assert (account.status, account.closed_on) == ("closed", date(2026, 12, 8))
        note = session.exec(
            select(Outbox).where(Outbox.key == f"closure:{closure_id}:closed")
        ).one()
    assert note.channel == "C0COMMS" and "was closed on Tuesday 8 December" in note.text
    assert org.sweep(at(2026, 12, 9)) == []


def test_an_old_account_loaded_into_the_register_is_not_flagged_at_once(engine: Engine) -> None:
    """Created on the platform in 2019, in Vakt since 2 November 2026 and never posted since:
    Vakt cannot know of earlier posts, so its silence counts from 2 November, not 2019."""
    text = BASE.format(fb_extra="", register="", coordinator_channel="")
    config = parse_config(text.replace("created = 2026-11-02", "created = 2019-03-01"), "x.toml")
    org = Org(engine, config)
    assert org.sweep(at(2026, 11, 16, 9, 0)) == []  # 14 days after 2 November: still fine
    keys = org.sweep(at(2026, 11, 23, 9, 0))
    (flag,) = org.flags()
    assert keys == [f"flag:{flag.id}:1:U0COORD1", f"flag:{flag.id}:1:U0BOSS"]
    assert flag.detail == "created:2026-11-02"
    assert "since it was registered on Monday 2 November;" in block_text(org.rows()[0])


def test_a_silence_from_another_year_shows_the_year(org: Org) -> None:
    from bot.lifecycle.blocks import flag_description

    org.post(at(2026, 11, 3, 12))
    org.sweep(at(2026, 11, 23))
    (flag,) = org.flags()
    assert flag.detail == "last:2026-11-03"
    with Session(org.engine) as session:
        view = lifecycle.flag_view(session, org.config, flag)
        assert "since Tuesday 3 November;" in flag_description("en", view)
        flag.last_raised_on = date(2027, 1, 4)  # raised again in the new year
        assert "since Tuesday 3 November 2026;" in flag_description("en", view)


def test_a_thin_rota_is_flagged_once_for_the_team_not_once_per_account(engine: Engine) -> None:
    extra = """
[[account]]
key = "ig-main"
platform = "instagram"
name = "Testrud på Instagram"
url = "https://www.instagram.com/testrud"
team = "komm"
created = 2026-11-02
"""
    org = Org(engine, make_config(fb_extra=extra))
    for key in ("fb-main", "ig-main"):
        org.post(at(2026, 12, 4, 12), key)
    org.away("U0ANNA", date(2026, 12, 9), date(2026, 12, 11))
    org.away("U0BO", date(2026, 12, 10), date(2026, 12, 18))
    org.sweep(at(2026, 12, 7))
    (flag,) = org.flags()
    assert flag.kind == "coverage" and flag.account_id == 1  # fb-main, the team's first by key
    assert org.status("ig-main") == "active"
