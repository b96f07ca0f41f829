"""The weekly activity message (once per team and ISO week, at the weekly slot) and the
posting-volume guard (VT5: told once per account and week, and per account and working day,
only in office hours)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.activity import service as activity
from bot.kernel.config import OrgConfig, parse_config
from bot.kernel.context import Ctx
from bot.register.sync import apply_config
from bot.slackkit.blocks import MESSAGE_BLOCKS
from bot.store.db import session_scope
from bot.store.models import Account, Outbox, Team
from bot.sweep import run_jobs
from tests.harness import OSLO

CONFIG = """
[organisation]
name = "Testrud kommune"
country = "NO"
timezone = "Europe/Oslo"
language = "en"
coordinators = ["U0COORD1"]
coordinator_channel = "C0COMMS"

[office_hours]
monday = "08:00-16:00"
tuesday = "08:00-16:00"
wednesday = "08:00-16:00"
thursday = "08:00-16:00"
friday = "08:00-16:00"

[items]
reminder_times = ["09:00", "13:00"]

[[team]]
key = "komm"
name = "Kommunikasjon"
channel = "C0TEAM1"
manager = "U0BOSS"
members = ["U0ANNA", "U0BO"]
rotation = "weekly"
start = "2026-11-02"

[[team]]
key = "kultur"
name = "Kultur"
manager = "U0KBOSS"
members = ["U0KARI"]
rotation = "weekly"
start = "2026-11-02"

[[team]]
key = "idrett"
name = "Idrett"
members = ["U0IDA", "U0IVAR"]
rotation = "weekly"
start = "2026-11-02"

[[account]]
key = "fb-main"
platform = "facebook"
name = "Testrud kommune"
url = "https://www.facebook.com/testrud"
team = "komm"
created = "2015-01-01"
max_posts_week = 10
max_posts_day = 2

[[account]]
key = "ig-main"
platform = "instagram"
name = "Testrud på Instagram"
url = "https://www.instagram.com/testrud"
team = "komm"
created = "2020-01-01"
cadence_days = 7

[[account]]
key = "fb-kultur"
platform = "facebook"
name = "Kultur i Testrud"
url = "https://www.facebook.com/testrudkultur"
team = "kultur"
created = "2020-01-01"

[[account]]
key = "fb-idrett"
platform = "facebook"
name = "Idrett i Testrud"
url = "https://www.facebook.com/testrudidrett"
team = "idrett"
created = "2020-01-01"
max_posts_day = 1
"""

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=OSLO)  # ISO week 48


def at(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=OSLO)


class Org:
    def __init__(self, engine: Engine, text: str = CONFIG) -> None:
        self.engine = engine
        self.config: OrgConfig = parse_config(text, "vakt.toml")
        self.calendar = self.config.calendar()
        self.serial = 0
        with session_scope(engine) as session:
            apply_config(session, self.config, MONDAY - timedelta(days=30))

    def post(self, key: str, when: datetime, count: int = 1) -> None:
        """`count` posts on an account at `when` (recorded then, as the feed would)."""
        with session_scope(self.engine) as session:
            account = session.exec(select(Account).where(Account.key == key)).one()
            ctx = Ctx(session, self.config, self.calendar, when, "U0ANNA")
            for _ in range(count):
                self.serial += 1
                activity.record_post(ctx, account, f"x:{self.serial}", when, "http")

    def sweep(self, now: datetime, job: str) -> list[str]:
        result = run_jobs(self.engine, self.config, self.calendar, now, only=[job])
        assert result.failed_jobs == [], now
        return [m.key for m in result.recorded]

    def rows(self, kind: str) -> list[Outbox]:
        with Session(self.engine) as session:
            return list(
                session.exec(select(Outbox).where(Outbox.kind == kind).order_by(col(Outbox.id)))
            )

    def account_id(self, key: str) -> int:
        with Session(self.engine) as session:
            found = session.exec(select(Account.id).where(Account.key == key)).one()
            assert found is not None
            return found


def texts(row: Outbox) -> str:
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


# ---------------------------------------------------------------- the weekly activity message


def test_the_activity_message_goes_once_a_week_at_the_weekly_slot(engine: Engine) -> None:
    org = Org(engine)
    assert org.sweep(at(11, 23, 8, 30), "activity") == []  # open, before the first reminder time
    assert org.sweep(at(11, 23, 7, 0), "activity") == []  # before opening
    keys = org.sweep(at(11, 23, 9, 0), "activity")
    with Session(engine) as session:
        teams = {t.key: t.id for t in session.exec(select(Team)).all()}
    assert sorted(keys) == sorted(f"activity:{teams[k]}:2026-W48" for k in teams)
    for instant in (at(11, 23, 13, 5), at(11, 24, 9, 0), at(11, 27, 9, 0), at(11, 28, 10, 0)):
        assert org.sweep(instant, "activity") == [], instant
    assert len(org.sweep(at(11, 30, 9, 0), "activity")) == 3  # week 49
    assert len(org.rows("activity")) == 6


def test_the_activity_message_goes_to_the_channel_else_the_manager_else_the_person_on_duty(
    engine: Engine,
) -> None:
    org = Org(engine)
    org.sweep(MONDAY, "activity")
    channels = {texts(r).split("\n")[0]: r.channel for r in org.rows("activity")}
    assert channels == {
        "*Activity on Kommunikasjon's accounts* – week 48": "C0TEAM1",
        "*Activity on Kultur's accounts* – week 48": "U0KBOSS",
        # Nobody else to tell: the rota's person on duty (weekly from week 45: Ivar in week 48).
        "*Activity on Idrett's accounts* – week 48": "U0IVAR",
    }


def test_the_activity_message_shows_last_posts_the_week_and_silence(engine: Engine) -> None:
    org = Org(engine)
    org.post("fb-main", at(11, 16, 9), 2)  # Monday of week 47
    org.post("fb-main", at(11, 20, 14))  # Friday of week 47
    org.post("fb-main", at(11, 23, 8, 30))  # this week: not in last week's count
    org.post("ig-main", at(11, 10, 12))  # 13 days ago: longer than its 7-day cadence
    org.sweep(MONDAY, "activity")
    (row,) = [r for r in org.rows("activity") if r.channel == "C0TEAM1"]
    assert row.text == "Activity on Kommunikasjon's accounts, week 48"
    shown = texts(row)
    assert "Last post Monday 23 November (today)" in shown
    assert "week 47: 3 posts, at most 10" in shown
    assert "at least one post every 14 days" in shown  # the organisation's default cadence
    assert "Last post Tuesday 10 November (13 days ago)" in shown
    assert "week 47: 0 posts · at least one post every 7 days" in shown
    assert ":warning: No post for 13 days – longer than the cadence of 7 days." in shown
    # Silent accounts come first, each with its Posted today button.
    blocks = json.loads(row.blocks or "[]")
    buttons = [b["accessory"]["value"] for b in blocks if "accessory" in b]
    assert buttons == [str(org.account_id("ig-main")), str(org.account_id("fb-main"))]
    assert shown.count(":warning:") == 1


def test_an_account_that_never_posted_counts_its_silence_from_when_vakt_began_watching(
    engine: Engine,
) -> None:
    """Created on the platform in 2020 but in Vakt's register only since 24 October: Vakt
    cannot know of posts before then, so the silence counts from then (30 days), not 2020."""
    org = Org(engine)
    org.sweep(MONDAY, "activity")
    (row,) = [r for r in org.rows("activity") if r.channel == "U0KBOSS"]
    assert "No post recorded yet" in texts(row)
    assert "No post for 30 days – longer than the cadence of 14 days." in texts(row)


def test_closing_and_closed_accounts_are_left_out(engine: Engine) -> None:
    org = Org(engine)
    with session_scope(engine) as session:
        for account in session.exec(select(Account)).all():
            if account.key == "ig-main":
                account.status = "closing"
            if account.key == "fb-kultur":
                account.status = "closed"
    org.sweep(MONDAY, "activity")
    rows = org.rows("activity")
    assert sorted(r.channel for r in rows) == [
        "C0TEAM1",
        "U0IVAR",
    ]  # Kultur has nothing live to show
    assert "Instagram" not in texts(rows[0])


def test_many_accounts_stay_within_slacks_block_limit(engine: Engine) -> None:
    org = Org(engine)
    with session_scope(engine) as session:
        team_id = session.exec(select(Team.id).where(Team.key == "komm")).one()
        assert team_id is not None
        for n in range(60):
            session.add(
                Account(
                    key=f"extra-{n:02d}",
                    platform="facebook",
                    name=f"Skole {n}",
                    url=f"https://www.facebook.com/skole{n}",
                    team_id=team_id,
                    created_at=MONDAY.astimezone(UTC),
                    updated_at=MONDAY.astimezone(UTC),
                )
            )
    org.sweep(MONDAY, "activity")
    (row,) = [r for r in org.rows("activity") if r.channel == "C0TEAM1"]
    blocks = json.loads(row.blocks or "[]")
    assert len(blocks) <= MESSAGE_BLOCKS
    shown = sum(1 for b in blocks if "accessory" in b)
    assert f"… and {62 - shown} more accounts: see `/vakt accounts komm`." in texts(row)


# ---------------------------------------------------------------- the volume guard (VT5)


def test_a_third_post_on_a_working_day_tells_the_team_once(engine: Engine) -> None:
    org = Org(engine)
    org.post("fb-main", at(11, 23, 8, 10), 2)
    assert org.sweep(at(11, 23, 9), "volume") == []  # at the limit, not over it
    org.post("fb-main", at(11, 23, 9, 30))
    fb = org.account_id("fb-main")
    assert org.sweep(at(11, 23, 9, 35), "volume") == [f"volume:{fb}:day:2026-11-23"]
    (row,) = org.rows("volume")
    assert row.channel == "C0TEAM1"
    shown = texts(row)
    assert ":warning: *Testrud kommune* (`fb-main`) has 3 posts on Monday 23 November" in shown
    assert "more than its limit of 2 per working day" in shown
    assert (
        "The guideline allows at most 10 posts a week and 2 per working day on this account."
        in shown
    )
    org.post("fb-main", at(11, 23, 11))  # a fourth: already told today
    assert org.sweep(at(11, 23, 11, 5), "volume") == []
    assert org.sweep(at(11, 24, 9), "volume") == []  # Tuesday: nothing new
    org.post("fb-main", at(11, 24, 9, 30), 3)
    assert org.sweep(at(11, 24, 10), "volume") == [f"volume:{fb}:day:2026-11-24"]


def test_a_post_at_night_is_told_at_the_next_sweep_in_office_hours(engine: Engine) -> None:
    org = Org(engine)
    org.post("fb-main", at(11, 24, 18), 3)  # Tuesday evening, after closing
    assert org.sweep(at(11, 24, 18, 5), "volume") == []
    assert org.sweep(at(11, 25, 6, 0), "volume") == []  # before opening
    fb = org.account_id("fb-main")
    assert org.sweep(at(11, 25, 8, 0), "volume") == [f"volume:{fb}:day:2026-11-24"]
    assert "has 3 posts on Tuesday 24 November" in texts(org.rows("volume")[0])


def test_the_week_limit_counts_the_week_end_but_the_day_limit_does_not(engine: Engine) -> None:
    org = Org(engine)
    fb = org.account_id("fb-main")
    for day in (23, 24, 25, 26, 27):  # two a day, Monday to Friday: ten, at the limit
        org.post("fb-main", at(11, day, 9), 2)
        assert org.sweep(at(11, day, 15), "volume") == []
    org.post("fb-main", at(11, 28, 11), 3)  # Saturday: three, but no per-day limit
    assert org.sweep(at(11, 28, 12), "volume") == []  # closed on Saturday
    keys = org.sweep(at(11, 30, 8, 0), "volume")  # Monday of week 49
    assert keys == [f"volume:{fb}:week:2026-W48"]
    (row,) = org.rows("volume")
    assert "has 13 posts in week 48 – more than its limit of 10 a week" in texts(row)
    assert org.sweep(at(11, 30, 13), "volume") == []


def test_a_day_limit_alone_and_a_team_without_a_channel(engine: Engine) -> None:
    org = Org(engine)
    org.post("fb-idrett", at(11, 23, 9), 2)
    keys = org.sweep(at(11, 23, 10), "volume")
    (row,) = org.rows("volume")
    assert keys == [f"volume:{org.account_id('fb-idrett')}:day:2026-11-23"]
    # No channel and no manager: the person on duty hears of it.
    assert row.channel == "U0IVAR"
    assert "The guideline allows at most 1 post per working day on this account." in texts(row)


def test_accounts_without_limits_are_not_watched(engine: Engine) -> None:
    org = Org(engine)
    org.post("ig-main", at(11, 23, 9), 20)
    assert org.sweep(at(11, 23, 10), "volume") == []
