"""The reminder job counts items and picks the oldest in SQL: checked against every item read
and sorted here, on real data (the benchmark's builder) on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot import sweep as runner
from bot.bench.items import CONFIG, NOW, build
from bot.items import blocks as ib
from bot.items.core import Status, age_working_days, escalation_cutoff
from bot.kernel.config import OrgConfig, parse_config
from bot.kernel.i18n import fmt_working_days, t
from bot.slackkit.outbox import Message
from bot.store.db import make_engine, migrate
from bot.store.models import Account, Item, Outbox, Team

LIMIT = 4
ITEM_BLOCK = re.compile(r"item-(\d+)$")


@dataclass
class Expected:
    """What the job should find for one team, from every item sorted here."""

    overdue: list[Item] = field(default_factory=list)
    unregistered: list[Item] = field(default_factory=list)
    escalated: list[Item] = field(default_factory=list)


@pytest.fixture
def config() -> OrgConfig:
    return parse_config(CONFIG + f"\n[items]\ndigest_items = {LIMIT}\n", "test.toml")


@pytest.fixture
def engine(any_db_url: str) -> Iterator[Engine]:
    engine = make_engine(any_db_url)
    migrate(engine)
    yield engine
    engine.dispose()


def fill(engine: Engine, config: OrgConfig, seed: int) -> None:
    """The benchmark's data, small; then items sharing an arrival instant with the oldest
    (ties go by id), a day with many items on one team, and an account closed since."""
    build(engine, config.calendar(), teams=3, accounts=7, items=150, closed=50, seed=seed)
    with Session(engine) as session:
        oldest = session.exec(select(Item).order_by(col(Item.received_at))).first()
        assert oldest is not None
        busy_day = NOW - timedelta(days=20)
        extra = [
            Item(
                account_id=oldest.account_id,
                source="http",
                external_id=f"tie-{n}",
                received_at=oldest.received_at,
                status=Status.OPEN,
                deadline=oldest.deadline,
                must_register=n == 0,
                created_by="http",
                created_at=oldest.received_at,
            )
            for n in range(2)
        ] + [
            Item(
                account_id=oldest.account_id,
                source="http",
                external_id=f"busy-{n}",
                received_at=busy_day + timedelta(minutes=n),
                status=Status.OPEN,
                deadline=busy_day + timedelta(days=1),
                created_by="http",
                created_at=busy_day,
            )
            for n in range(30)
        ]
        session.add_all(extra)
        accounts = session.exec(select(Account).order_by(col(Account.id))).all()
        accounts[-1].status = "closed"  # off the rotas, its open items still its team's
        # The last team answers nearly everything: fewer open items than a digest shows.
        quiet = [a.id for a in accounts if a.team_id == accounts[-1].team_id]
        open_ones = session.exec(
            select(Item)
            .where(col(Item.account_id).in_(quiet), col(Item.status) == Status.OPEN)
            .order_by(col(Item.id))
        ).all()
        for item in open_ones[: len(open_ones) - (LIMIT - 2)]:
            item.status, item.closed_at, item.closed_by = Status.ANSWERED, NOW, "U0T000A"
        session.commit()


def expected(engine: Engine, config: OrgConfig) -> dict[int, Expected]:
    cutoff = escalation_cutoff(config.calendar(), NOW, config.items.escalate_after_working_days)
    found: dict[int, Expected] = {}
    with Session(engine) as session:
        rows = session.exec(select(Item, Account).join(Account)).all()
    for item, account in sorted(rows, key=lambda r: (r[0].received_at, r[0].id)):
        team = found.setdefault(account.team_id, Expected())
        if item.status == Status.OPEN and item.deadline < NOW:
            team.overdue.append(item)
        if item.status == Status.OPEN and item.deadline <= cutoff:
            team.escalated.append(item)
        if item.must_register and item.registration_ref is None and item.deadline < NOW:
            team.unregistered.append(item)
    return found


def shown(message: Message) -> list[int]:
    """The ids of the items a message lists, in order."""
    return [
        int(match.group(1))
        for block in message.blocks or []
        if (match := ITEM_BLOCK.match(str(block.get("block_id", ""))))
    ]


def ids(items: list[Item]) -> list[int]:
    return [i.id for i in items if i.id is not None]


def teams(engine: Engine) -> dict[str, Team]:
    with Session(engine) as session:
        return {team.channel or "": team for team in session.exec(select(Team)).all()}


def check(engine: Engine, config: OrgConfig, messages: list[Message]) -> None:
    truth = expected(engine, config)
    by_channel = teams(engine)
    calendar = config.calendar()
    on_duty: dict[int, str] = {}
    digests = [m for m in messages if m.kind == "item_digest"]
    assert len(digests) == sum(bool(e.overdue or e.unregistered) for e in truth.values())
    for message in digests:
        # Each team has its own three members: U0T<team number><A|B|C>.
        team = by_channel[f"C0TEAM{message.channel[3:6]}"]
        assert team.id is not None
        on_duty[team.id] = message.channel
        want = truth[team.id]
        late = ids(want.overdue[:LIMIT])
        assert shown(message) == late + ids(want.unregistered[: max(LIMIT - len(late), 3)])
        assert message.text == t(
            "en", "digest.text", count=len(want.overdue), registration=len(want.unregistered)
        )
    escalations = [m for m in messages if m.kind == "item_escalation"]
    # To the manager and the coordinators.
    assert len(escalations) == 2 * sum(bool(e.escalated) for e in truth.values())
    for message in escalations:
        team = next(
            x for x in by_channel.values() if message.key.startswith(f"escalation:{x.key}:")
        )
        assert team.id is not None
        want = truth[team.id]
        assert shown(message) == ids(want.escalated[:LIMIT])
        assert message.text == t(
            "en",
            "escalation.text",
            team=team.name,
            count=len(want.escalated),
            days=fmt_working_days(config.items.escalate_after_working_days, "en"),
        )
    summaries = [m for m in messages if m.kind == "item_summary"]
    assert len(summaries) == sum(bool(e.overdue) for e in truth.values())
    for message in summaries:
        team = by_channel[message.channel]
        assert team.id is not None
        want = truth[team.id]
        age = age_working_days(calendar, want.overdue[0].received_at, NOW)
        assert message.text == ib.summary_text(
            "en", team.name, len(want.overdue), age, on_duty[team.id]
        )


@pytest.mark.parametrize("seed", [1, 2])
def test_counts_and_the_oldest_items_match_every_item_sorted(
    engine: Engine, config: OrgConfig, seed: int
) -> None:
    fill(engine, config, seed)
    result = runner.run_jobs(engine, config, config.calendar(), NOW, only=["reminders"])
    assert result.failed_jobs == []
    kinds = sorted({m.kind for m in result.recorded})
    assert kinds == ["item_digest", "item_escalation", "item_summary"]
    check(engine, config, result.recorded)


def test_a_later_sweep_composes_only_what_is_missing_and_the_same(
    engine: Engine, config: OrgConfig
) -> None:
    fill(engine, config, 3)
    calendar = config.calendar()
    first = runner.run_jobs(engine, config, calendar, NOW, only=["reminders"]).recorded
    assert runner.run_jobs(engine, config, calendar, NOW, only=["reminders"]).recorded == []
    gone = [
        next(m for m in first if m.kind == "item_digest"),
        next(m for m in first if m.kind == "item_escalation" and m.channel.startswith("U")),
        [m for m in first if m.kind == "item_summary"][-1],
    ]
    with Session(engine) as session:
        session.execute(sa.delete(Outbox).where(col(Outbox.key).in_([m.key for m in gone])))
        session.commit()
    again = runner.run_jobs(engine, config, calendar, NOW, only=["reminders"]).recorded
    assert sorted(again, key=lambda m: m.key) == sorted(gone, key=lambda m: m.key)


def test_no_items_no_reminders(engine: Engine, config: OrgConfig) -> None:
    build(engine, config.calendar(), teams=2, accounts=2, items=0, closed=5, seed=1)
    with Session(engine) as session:  # answered, and registered
        session.execute(sa.update(Item).values(registration_ref="2026/1"))
        session.commit()
    result = runner.run_jobs(engine, config, config.calendar(), NOW, only=["reminders"])
    assert result.failed_jobs == []
    assert result.recorded == []
