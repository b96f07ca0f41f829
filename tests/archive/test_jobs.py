"""Archiving jobs: the daily digest of incomplete deletions, their escalation to the
coordinators, snapshot reminders and the yearly guideline review (KG7) – at the first
reminder time of a working day, each exactly once."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.archive import service as archive
from bot.kernel.calendar import WorkCalendar
from bot.kernel.config import OrgConfig, parse_config
from bot.kernel.context import Ctx
from bot.register.sync import apply_config
from bot.store.db import session_scope
from bot.store.models import Account, ArchivedFile, Deletion, Outbox
from bot.sweep import SweepResult, run_jobs
from tests.harness import OSLO

BASE = """
[organisation]
name = "Testrud kommune"
country = "NO"
timezone = "Europe/Oslo"
language = "en"
coordinators = ["U0COORD1", "U0COORD2"]
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

[archive]
{archive}

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
{fb_extra}

[[account]]
key = "ig-main"
platform = "instagram"
name = "Testrud på Instagram"
url = "https://www.instagram.com/testrud"
team = "komm"
{ig_extra}
"""

DIGEST, ESCALATION = "deletion_digest", "deletion_escalation"
SNAPSHOT, REVIEW = archive.SNAPSHOT_KIND, "guideline_review"
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=OSLO)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=OSLO)


def make_config(
    archive_toml: str = "",
    *,
    coordinator_channel: bool = True,
    fb_extra: str = "",
    ig_extra: str = "",
) -> OrgConfig:
    return parse_config(
        BASE.format(
            coordinator_channel='coordinator_channel = "C0COMMS"' if coordinator_channel else "",
            archive=archive_toml,
            fb_extra=fb_extra,
            ig_extra=ig_extra,
        ),
        "vakt.toml",
    )


class Org:
    """A migrated database with the configuration applied, and helpers to act and sweep."""

    def __init__(self, engine: Engine, config: OrgConfig, applied: datetime = MONDAY) -> None:
        self.engine, self.config = engine, config
        self.calendar: WorkCalendar = config.calendar()
        with session_scope(engine) as session:
            apply_config(session, config, applied)

    def ctx(self, session: Session, now: datetime, actor: str = "U0ANNA") -> Ctx:
        return Ctx(session, self.config, self.calendar, now, actor)

    def account(self, session: Session, key: str = "fb-main") -> Account:
        return session.exec(select(Account).where(Account.key == key)).one()

    def log(self, now: datetime, actor: str = "U0ANNA", **fields: Any) -> int:
        """A deletion logged by a team member; a draft (no reason) unless fields say more."""
        with session_scope(self.engine) as session:
            new = archive.NewDeletion(
                account=self.account(session),
                deleted_at=now - timedelta(minutes=5),
                reason=fields.pop("reason", None),
                summary="Kommentar med personangrep",
                **fields,
            )
            view = archive.log_deletion(self.ctx(session, now, actor), new, require_reason=False)
            assert view.deletion.id is not None
            return view.deletion.id

    def update(self, deletion_id: int, now: datetime, **fields: Any) -> archive.DeletionView:
        with session_scope(self.engine) as session:
            return archive.update_deletion(self.ctx(session, now), deletion_id, **fields)

    def sweep(self, now: datetime, *only: str, dry_run: bool = False) -> SweepResult:
        result = run_jobs(
            self.engine,
            self.config,
            self.calendar,
            now,
            dry_run=dry_run,
            only=list(only) or ["deletions", "snapshots", "review"],
        )
        assert result.failed_jobs == [], now
        return result

    def rows(self, kind: str) -> list[Outbox]:
        with Session(self.engine) as session:
            return list(
                session.exec(select(Outbox).where(Outbox.kind == kind).order_by(col(Outbox.id)))
            )

    def keys(self, kind: str) -> list[str]:
        return [row.key for row in self.rows(kind)]


def block_text(row: Outbox) -> str:
    """Every text in a message's blocks, one per line."""
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


# ---------------------------------------------------------------- deletion digest


def test_daily_digest_to_the_logger_until_the_deletion_is_complete(engine: Engine) -> None:
    org = Org(engine, make_config("escalate_after_working_days = 10"))
    deletion_id = org.log(MONDAY)
    org.sweep(at(2026, 11, 23, 13, 5))  # logged today: not yet
    org.sweep(at(2026, 11, 24, 7, 30))  # before opening
    org.sweep(at(2026, 11, 24, 8, 30))  # open, but before the first reminder time
    assert org.rows(DIGEST) == []

    org.sweep(at(2026, 11, 24, 9, 0))
    rows = org.rows(DIGEST)
    assert [(r.key, r.channel) for r in rows] == [("deletions:U0ANNA:2026-11-24", "U0ANNA")]
    assert "You have 1 deletion whose checklist is not done" in rows[0].text
    lines = block_text(rows[0])
    assert f"*#{deletion_id}*" in lines
    assert "missing: Reason, Screenshot archived, Poster told" in lines
    assert "Registered" not in lines and "Approval" not in lines

    # The same slot again, the second reminder time, after closing: nothing new.
    for instant in (at(2026, 11, 24, 9, 30), at(2026, 11, 24, 13, 5), at(2026, 11, 24, 17, 0)):
        assert org.sweep(instant).recorded == [], instant
    org.sweep(at(2026, 11, 25, 7, 30))
    assert len(org.rows(DIGEST)) == 1

    org.sweep(at(2026, 11, 25, 9, 0))  # Wednesday: another one
    org.sweep(at(2026, 11, 26, 17, 0))  # Thursday, but only after closing
    org.sweep(at(2026, 11, 28, 10, 0))  # Saturday
    assert [(r.key, r.channel) for r in org.rows(DIGEST)] == [
        ("deletions:U0ANNA:2026-11-24", "U0ANNA"),
        ("deletions:U0ANNA:2026-11-25", "U0ANNA"),
    ]

    # A step done drops out of the list; the rest stays.
    org.update(deletion_id, at(2026, 11, 30, 8, 15), reason="attack")
    org.sweep(at(2026, 11, 30, 9, 0))
    last = org.rows(DIGEST)[-1]
    assert last.key == "deletions:U0ANNA:2026-11-30"
    assert "missing: Screenshot archived, Poster told" in block_text(last)

    view = org.update(
        deletion_id,
        at(2026, 11, 30, 10, 0),
        poster_notified="yes",
        archive_link="https://arkiv.testrud.kommune.no/sak/2026/1",
    )
    assert view.missing == [] and view.deletion.completed_at is not None
    org.sweep(at(2026, 12, 1, 9, 0))
    org.sweep(at(2026, 12, 2, 9, 0))
    assert len(org.rows(DIGEST)) == 3
    assert org.rows(ESCALATION) == []


def test_an_archived_screenshot_counts_as_evidence(engine: Engine) -> None:
    org = Org(engine, make_config("escalate_after_working_days = 10"))
    deletion_id = org.log(MONDAY, reason="spam", poster_notified="impossible")
    with session_scope(engine) as session:
        session.add(
            ArchivedFile(
                deletion_id=deletion_id,
                path=f"2026/11/deletion-{deletion_id}_F1_abc.png",
                sha256="a" * 64,
                size=1000,
                original_name="skjermbilde.png",
                content_type="image/png",
                slack_file_id="F1",
                uploaded_by="U0ANNA",
                uploaded_at=MONDAY,
                archived_at=MONDAY,
            )
        )
    # Its completion is only set on the next change; the digest already leaves it out.
    with Session(engine) as session:
        assert session.get(Deletion, deletion_id).completed_at is None  # type: ignore[union-attr]
    org.sweep(at(2026, 11, 24, 9, 0))
    assert org.rows(DIGEST) == []


def test_each_logger_gets_their_own_digest(engine: Engine) -> None:
    org = Org(engine, make_config("escalate_after_working_days = 10"))
    anna = org.log(MONDAY)
    bo = org.log(MONDAY + timedelta(minutes=1), actor="U0BO", reason="hate")
    org.sweep(at(2026, 11, 24, 9, 0))
    rows = {r.channel: r for r in org.rows(DIGEST)}
    assert sorted(r.key for r in rows.values()) == [
        "deletions:U0ANNA:2026-11-24",
        "deletions:U0BO:2026-11-24",
    ]
    assert f"*#{anna}*" in block_text(rows["U0ANNA"])
    assert f"*#{bo}*" not in block_text(rows["U0ANNA"])
    assert f"*#{bo}*" in block_text(rows["U0BO"])
    assert "missing: Screenshot archived, Poster told" in block_text(rows["U0BO"])


# ---------------------------------------------------------------- escalation


def test_coordinators_hear_on_the_third_working_day_once_a_day(engine: Engine) -> None:
    org = Org(engine, make_config("escalate_after_working_days = 3"))
    deletion_id = org.log(MONDAY)
    org.sweep(at(2026, 11, 24, 9, 0))  # 1 working day
    org.sweep(at(2026, 11, 25, 9, 0))  # 2
    assert org.rows(ESCALATION) == []
    org.sweep(at(2026, 11, 26, 9, 0))  # 3: the coordinators hear
    rows = org.rows(ESCALATION)
    assert [(r.key, r.channel) for r in rows] == [
        ("deletions-escalation:C0COMMS:2026-11-26", "C0COMMS")
    ]
    assert "1 deletion still incomplete after 3 working days" in rows[0].text
    lines = block_text(rows[0])
    assert f"*#{deletion_id}*" in lines and "logged by <@U0ANNA>" in lines
    assert "missing: Reason, Screenshot archived, Poster told" in lines
    org.sweep(at(2026, 11, 26, 9, 30))
    org.sweep(at(2026, 11, 26, 13, 5))
    assert len(org.rows(ESCALATION)) == 1
    org.sweep(at(2026, 11, 27, 9, 0))  # the next working day: again
    assert org.keys(ESCALATION) == [
        "deletions-escalation:C0COMMS:2026-11-26",
        "deletions-escalation:C0COMMS:2026-11-27",
    ]
    # The logger still has their own digest on those days; the coordinators get no digest.
    assert all(r.channel == "U0ANNA" for r in org.rows(DIGEST))
    assert len(org.rows(DIGEST)) == 4


def test_escalation_counts_working_days_over_christmas(engine: Engine) -> None:
    org = Org(engine, make_config("escalate_after_working_days = 3"))
    org.log(at(2026, 12, 23, 10, 0))  # Wednesday before Christmas
    for instant in (
        at(2026, 12, 24, 9, 0),  # Christmas Eve: closed in this organisation
        at(2026, 12, 25, 9, 0),  # Christmas Day
        at(2026, 12, 26, 10, 0),  # Boxing Day, a Saturday
        at(2026, 12, 27, 10, 0),  # Sunday
    ):
        assert org.sweep(instant).recorded == [], instant
    org.sweep(at(2026, 12, 28, 9, 0))  # Monday: 1 working day
    org.sweep(at(2026, 12, 29, 9, 0))  # 2
    assert org.rows(ESCALATION) == []
    assert org.keys(DIGEST) == ["deletions:U0ANNA:2026-12-28", "deletions:U0ANNA:2026-12-29"]
    org.sweep(at(2026, 12, 30, 9, 0))  # 3
    assert org.keys(ESCALATION) == ["deletions-escalation:C0COMMS:2026-12-30"]
    # 31 December is closed, 1 January a holiday: the next is Monday 4 January.
    org.sweep(at(2026, 12, 31, 9, 0))
    org.sweep(at(2027, 1, 1, 9, 0))
    assert len(org.rows(ESCALATION)) == 1
    org.sweep(at(2027, 1, 4, 9, 0))
    assert org.keys(ESCALATION)[-1] == "deletions-escalation:C0COMMS:2027-01-04"


def test_without_a_coordinator_channel_each_coordinator_gets_a_dm(engine: Engine) -> None:
    org = Org(engine, make_config("escalate_after_working_days = 3", coordinator_channel=False))
    deletion_id = org.log(MONDAY)
    org.sweep(at(2026, 11, 25, 9, 0))
    assert org.rows(ESCALATION) == []
    org.sweep(at(2026, 11, 26, 9, 0))
    org.sweep(at(2026, 11, 26, 13, 5))
    rows = org.rows(ESCALATION)
    assert sorted((r.key, r.channel) for r in rows) == [
        ("deletions-escalation:U0COORD1:2026-11-26", "U0COORD1"),
        ("deletions-escalation:U0COORD2:2026-11-26", "U0COORD2"),
    ]
    for row in rows:
        assert "still incomplete after 3 working days" in row.text
        assert f"*#{deletion_id}*" in block_text(row)


def test_a_completed_deletion_is_not_escalated(engine: Engine) -> None:
    org = Org(engine, make_config("escalate_after_working_days = 3"))
    done = org.log(MONDAY)
    still_open = org.log(MONDAY + timedelta(minutes=1))
    org.update(
        done,
        at(2026, 11, 25, 12, 0),
        reason="spam",
        poster_notified="impossible",
        archive_link="https://arkiv.testrud.kommune.no/sak/2026/2",
    )
    org.sweep(at(2026, 11, 26, 9, 0))
    rows = org.rows(ESCALATION)
    assert len(rows) == 1 and "1 deletion still incomplete" in rows[0].text
    assert f"*#{still_open}*" in block_text(rows[0])
    assert f"*#{done}*" not in block_text(rows[0])


# ---------------------------------------------------------------- registration


def test_registration_reference_is_followed_up_until_recorded(engine: Engine) -> None:
    org = Org(engine, make_config("require_registration = true\nescalate_after_working_days = 10"))
    deletion_id = org.log(
        MONDAY,
        reason="attack",
        poster_notified="yes",
        archive_link="https://arkiv.testrud.kommune.no/sak/2026/3",
    )
    days = [at(2026, 11, day, 9, 0) for day in (24, 25, 26, 27)] + [at(2026, 11, 30, 9, 0)]
    for instant in days:
        org.sweep(instant)
        org.sweep(instant + timedelta(hours=4, minutes=5))  # 13:05: nothing more
    rows = org.rows(DIGEST)
    assert [r.key for r in rows] == [
        f"deletions:U0ANNA:{d}"
        for d in ("2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27", "2026-11-30")
    ]
    for row in rows:
        lines = block_text(row)
        assert f"*#{deletion_id}*" in lines and "missing: Registered" in lines
        assert "Reason" not in lines and "Screenshot" not in lines and "Poster" not in lines

    view = org.update(deletion_id, at(2026, 11, 30, 11, 0), registration_ref="2026/1234")
    assert view.missing == [] and view.deletion.completed_at is not None
    org.sweep(at(2026, 12, 1, 9, 0))
    org.sweep(at(2026, 12, 2, 9, 0))
    assert len(org.rows(DIGEST)) == 5


def test_without_required_registration_the_reference_is_not_asked_for(engine: Engine) -> None:
    org = Org(engine, make_config("escalate_after_working_days = 10"))
    org.log(
        MONDAY,
        reason="attack",
        poster_notified="yes",
        archive_link="https://arkiv.testrud.kommune.no/sak/2026/4",
    )
    org.sweep(at(2026, 11, 24, 9, 0))
    assert org.rows(DIGEST) == []


# ---------------------------------------------------------------- snapshots


def record(org: Org, now: datetime, evidence: str, key: str = "fb-main") -> int:
    """A periodic snapshot holding `evidence`: "file", "link" or "nothing"."""
    with session_scope(org.engine) as session:
        snapshot = archive.record_snapshot(
            org.ctx(session, now, "U0CARL"),
            org.account(session, key),
            "periodic",
            archive_link="https://arkiv.testrud.kommune.no/snapshot/1"
            if evidence == "link"
            else None,
        )
        assert snapshot.id is not None
        if evidence == "file":
            session.add(
                ArchivedFile(
                    snapshot_id=snapshot.id,
                    path=f"2027/06/snapshot-{snapshot.id}_F9_def.pdf",
                    sha256="b" * 64,
                    size=5000,
                    original_name="side.pdf",
                    content_type="application/pdf",
                    slack_file_id="F9",
                    uploaded_by="U0CARL",
                    uploaded_at=now,
                    archived_at=now,
                )
            )
        return snapshot.id


@pytest.mark.parametrize("evidence", ["file", "link"])
def test_snapshot_reminder_to_the_person_on_duty_weekly_until_taken(
    engine: Engine, evidence: str
) -> None:
    org = Org(engine, make_config(fb_extra="snapshot_months = 6"))  # org default 0
    with Session(engine) as session:
        account_id = org.account(session).id
    # Due Sunday 23 May 2027: asked on Monday 24 May at 09:00 (week 21: Carl is on duty).
    for instant in (at(2027, 5, 21, 9, 0), at(2027, 5, 24, 8, 30)):
        assert org.sweep(instant, "snapshots").recorded == [], instant
    org.sweep(at(2027, 5, 24, 9, 0), "snapshots")
    rows = org.rows(SNAPSHOT)
    assert [(r.key, r.channel) for r in rows] == [
        (f"snapshot:{account_id}:2027-05-23:2027-05-24", "U0CARL")
    ]
    assert "The snapshot of Testrud kommune is due" in rows[0].text
    blocks = block_text(rows[0])
    assert "every 6 months" in blocks and "none yet" in blocks and "fb-main" in blocks
    for instant in (at(2027, 5, 24, 13, 5), at(2027, 5, 25, 9, 0), at(2027, 5, 28, 9, 0)):
        org.sweep(instant, "snapshots")
    assert len(org.rows(SNAPSHOT)) == 1

    # A snapshot that holds nothing does not count: a week later (Anna's week) again.
    record(org, at(2027, 5, 26, 10, 0), "nothing")
    org.sweep(at(2027, 5, 31, 9, 0), "snapshots")
    org.sweep(at(2027, 6, 1, 9, 0), "snapshots")
    rows = org.rows(SNAPSHOT)
    assert [(r.key, r.channel) for r in rows][1:] == [
        (f"snapshot:{account_id}:2027-05-23:2027-05-31", "U0ANNA")
    ]

    # Taken on 1 June: no more reminders; the next is due on 1 December (Carl's week).
    record(org, at(2027, 6, 1, 10, 0), evidence)
    for instant in (at(2027, 6, 7, 9, 0), at(2027, 6, 14, 9, 0), at(2027, 11, 30, 9, 0)):
        org.sweep(instant, "snapshots")
    assert len(org.rows(SNAPSHOT)) == 2
    org.sweep(at(2027, 12, 1, 9, 0), "snapshots")
    rows = org.rows(SNAPSHOT)
    assert [(r.key, r.channel) for r in rows][2:] == [
        (f"snapshot:{account_id}:2027-12-01:2027-12-01", "U0CARL")
    ]
    assert "the last was Tuesday 1 June" in block_text(rows[2])
    # The other account has no interval: never asked.
    assert all(r.key.startswith(f"snapshot:{account_id}:") for r in rows)


def test_a_weekly_reminder_on_a_holiday_moves_to_the_next_working_day(engine: Engine) -> None:
    # Monthly, from Saturday 10 April 2027: due Monday 10 May. A week later is 17 May
    # (Constitution Day and Whit Monday): that reminder goes out on Tuesday 18 May.
    org = Org(engine, make_config(fb_extra="snapshot_months = 1"), applied=at(2027, 4, 10, 10, 0))
    with Session(engine) as session:
        account_id = org.account(session).id
    org.sweep(at(2027, 5, 10, 9, 0), "snapshots")
    org.sweep(at(2027, 5, 11, 9, 0), "snapshots")
    assert org.sweep(at(2027, 5, 17, 9, 0), "snapshots").recorded == []
    org.sweep(at(2027, 5, 18, 9, 0), "snapshots")
    org.sweep(at(2027, 5, 19, 9, 0), "snapshots")
    org.sweep(at(2027, 5, 24, 9, 0), "snapshots")  # back on the Monday
    assert org.keys(SNAPSHOT) == [
        f"snapshot:{account_id}:2027-05-10:2027-05-10",
        f"snapshot:{account_id}:2027-05-10:2027-05-17",
        f"snapshot:{account_id}:2027-05-10:2027-05-24",
    ]


def test_the_organisation_default_interval_applies_to_accounts_without_their_own(
    engine: Engine,
) -> None:
    org = Org(engine, make_config("snapshot_months = 12", ig_extra="snapshot_months = 0"))
    with Session(engine) as session:
        fb = org.account(session).id
    org.sweep(at(2027, 5, 24, 9, 0), "snapshots")
    org.sweep(at(2027, 11, 22, 9, 0), "snapshots")
    assert org.rows(SNAPSHOT) == []
    org.sweep(at(2027, 11, 23, 9, 0), "snapshots")  # Tuesday, week 47: Bo is on duty
    rows = org.rows(SNAPSHOT)
    assert [(r.key, r.channel) for r in rows] == [(f"snapshot:{fb}:2027-11-23:2027-11-23", "U0BO")]
    assert "every 12 months" in block_text(rows[0])


def test_no_interval_means_no_snapshot_reminders(engine: Engine) -> None:
    org = Org(engine, make_config("snapshot_months = 0", fb_extra="snapshot_months = 0"))
    day = at(2026, 11, 24, 9, 0)
    while day < at(2029, 1, 1, 9, 0):
        org.sweep(day, "snapshots")
        day += timedelta(days=7)
    assert org.rows(SNAPSHOT) == []


# ---------------------------------------------------------------- review (KG7)


def test_yearly_review_on_the_day(engine: Engine) -> None:
    org = Org(engine, make_config('review_date = "01-15"'))
    for instant in (at(2027, 1, 14, 9, 0), at(2027, 1, 15, 8, 30)):
        assert org.sweep(instant, "review").recorded == [], instant
    org.sweep(at(2027, 1, 15, 9, 0), "review")  # a Friday
    org.sweep(at(2027, 1, 15, 13, 5), "review")
    org.sweep(at(2027, 1, 18, 9, 0), "review")
    rows = org.rows(REVIEW)
    assert [(r.key, r.channel) for r in rows] == [("review:2027:C0COMMS", "C0COMMS")]
    assert "yearly review of Testrud kommune's social media guideline (2027)" in rows[0].text
    assert "(2027)" in block_text(rows[0])


def test_yearly_review_on_a_sunday_moves_to_monday(engine: Engine) -> None:
    org = Org(engine, make_config('review_date = "01-15"', coordinator_channel=False))
    for instant in (at(2034, 1, 13, 9, 0), at(2034, 1, 15, 10, 0)):  # Friday, Sunday
        assert org.sweep(instant, "review").recorded == [], instant
    org.sweep(at(2034, 1, 16, 9, 0), "review")  # Monday
    org.sweep(at(2034, 1, 17, 9, 0), "review")
    rows = org.rows(REVIEW)
    assert sorted((r.key, r.channel) for r in rows) == [
        ("review:2034:U0COORD1", "U0COORD1"),
        ("review:2034:U0COORD2", "U0COORD2"),
    ]


def test_a_review_on_a_closed_31_december_is_last_years_in_january(engine: Engine) -> None:
    org = Org(engine, make_config('review_date = "12-31"'))
    # 31 December is closed, 1 January a holiday, then a week-end: Monday 4 January.
    for instant in (at(2026, 12, 30, 9, 0), at(2026, 12, 31, 9, 0), at(2027, 1, 1, 9, 0)):
        assert org.sweep(instant, "review").recorded == [], instant
    org.sweep(at(2027, 1, 4, 9, 0), "review")
    org.sweep(at(2027, 1, 5, 9, 0), "review")
    rows = org.rows(REVIEW)
    assert [(r.key, r.channel) for r in rows] == [("review:2026:C0COMMS", "C0COMMS")]
    assert "(2026)" in rows[0].text
    # The year's own review still comes: 31 December 2027 is closed, so Monday 3 January 2028.
    org.sweep(at(2027, 12, 30, 9, 0), "review")
    org.sweep(at(2027, 12, 31, 9, 0), "review")
    assert len(org.rows(REVIEW)) == 1
    org.sweep(at(2028, 1, 3, 9, 0), "review")
    assert org.keys(REVIEW) == ["review:2026:C0COMMS", "review:2027:C0COMMS"]
    assert "(2027)" in org.rows(REVIEW)[1].text


def test_no_review_date_no_review(engine: Engine) -> None:
    org = Org(engine, make_config())
    org.sweep(at(2027, 1, 15, 9, 0), "review")
    org.sweep(at(2027, 1, 4, 9, 0), "review")
    assert org.rows(REVIEW) == []


# ---------------------------------------------------------------- dry run


def test_a_dry_run_records_nothing(engine: Engine) -> None:
    org = Org(
        engine,
        make_config(
            'escalate_after_working_days = 3\nreview_date = "11-26"',
            fb_extra="snapshot_months = 1",
        ),
        applied=at(2026, 10, 26, 10, 0),
    )
    org.log(MONDAY)
    with Session(engine) as session:
        before = [r.key for r in session.exec(select(Outbox)).all()]
    thursday = at(2026, 11, 26, 9, 0)  # digest, escalation, snapshot and review all due
    result = org.sweep(thursday, dry_run=True)
    assert sorted(m.kind for m in result.recorded) == sorted([DIGEST, ESCALATION, SNAPSHOT, REVIEW])
    with Session(engine) as session:
        assert [r.key for r in session.exec(select(Outbox)).all()] == before
    # Nothing was used up: the real run records them all.
    real = org.sweep(thursday)
    assert sorted(m.key for m in real.recorded) == sorted(m.key for m in result.recorded)
    assert len(org.rows(DIGEST) + org.rows(ESCALATION) + org.rows(SNAPSHOT)) == 3
    assert org.keys(REVIEW) == ["review:2026:C0COMMS"]
