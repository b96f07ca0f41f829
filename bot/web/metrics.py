"""What `/metrics` and `/readyz` report, read from the database at the moment they are asked.

Nothing is counted in the process: every replica reports the same truth, and nothing is lost
when one restarts. Each scrape runs a few aggregate queries (grouped in SQL, a few rows back).
The one count a process makes itself, of the requests it answered "busy"
(bot.slackkit.shed), it adds to the database every few seconds, off the requests' path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool
from sqlmodel import col

from bot.items.core import Status
from bot.slackkit.shed import KINDS as SHED_KINDS
from bot.store.models import Account, Item, MetaChange, MetaState, Outbox, ShedCount, Team

log = logging.getLogger(__name__)

OUTBOX_STATUSES = ("pending", "sending", "sent", "failed")
# Probes must answer while the database is unreachable: libpq's default is to wait for the
# operating system's TCP timeout (psycopg: 130 s) on a host that does not answer.
PROBE_CONNECT_TIMEOUT = 3  # seconds (libpq's minimum is 2)
PROBE_TCP_USER_TIMEOUT = 5000  # milliseconds: a connection that stops answering mid-query
PROBE_STATEMENT_TIMEOUT = "5s"


def probe_engine(engine: Engine) -> Engine:
    """An engine for the probes and the metrics, apart from the requests' pool: they answer at
    once while the database is away or the pool is busy.

    A fresh connection each time. PostgreSQL: with short timeouts (never a pooled connection
    left half-open by an outage). SQLite: plain reads, without the app engine's
    `BEGIN IMMEDIATE`, so a scrape neither takes the write lock nor waits for a sweep's."""
    if engine.dialect.name == "postgresql":
        return sa.create_engine(
            engine.url,
            poolclass=NullPool,
            connect_args={
                "connect_timeout": PROBE_CONNECT_TIMEOUT,
                "tcp_user_timeout": PROBE_TCP_USER_TIMEOUT,
            },
        )
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return engine
    return sa.create_engine(
        engine.url,
        poolclass=NullPool,
        connect_args={"timeout": PROBE_CONNECT_TIMEOUT, "check_same_thread": False},
    )


def _limit_statements(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = '{PROBE_STATEMENT_TIMEOUT}'")


@dataclass(frozen=True)
class TeamItems:
    open: int = 0
    overdue: int = 0


@dataclass(frozen=True)
class Snapshot:
    """The figures one scrape reports."""

    outbox: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, status) -> rows
    oldest_due: datetime | None = None  # next_attempt_at of the oldest pending, due message
    teams: dict[str, TeamItems] = field(default_factory=dict)  # team key -> open items
    # Connected accounts (Facebook, Instagram): key -> (last read, Graph calls, errors)
    platforms: dict[str, tuple[datetime | None, int, int]] = field(default_factory=dict)
    platform_changes: dict[str, int] = field(default_factory=dict)  # status -> stored changes
    shed: dict[str, int] = field(default_factory=dict)  # kind -> requests answered "busy"

    def outbox_total(self, *statuses: str) -> int:
        return sum(n for (_, status), n in self.outbox.items() if status in statuses)


def _aware(value: datetime | None) -> datetime | None:
    # An aggregate's result may come back without the column's type (SQLite: naive UTC).
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def read_snapshot(conn: Connection, now: datetime) -> Snapshot:
    """Aggregate the outbox and the open items, as of `now`."""
    _limit_statements(conn)
    outbox = {
        (str(kind), str(status)): int(count)
        for kind, status, count in conn.execute(
            sa.select(col(Outbox.kind), col(Outbox.status), sa.func.count()).group_by(
                col(Outbox.kind), col(Outbox.status)
            )
        )
    }
    oldest_due = conn.execute(
        sa.select(sa.func.min(col(Outbox.next_attempt_at))).where(
            col(Outbox.status) == "pending", col(Outbox.next_attempt_at) <= now
        )
    ).scalar_one()
    key_of_team: dict[int | None, str] = {
        team_id: key for team_id, key in conn.execute(sa.select(col(Team.id), col(Team.key)))
    }
    team_of_account: dict[int | None, int] = {
        account_id: team_id
        for account_id, team_id in conn.execute(sa.select(col(Account.id), col(Account.team_id)))
    }
    # Grouped by account in SQL (no join over the items), then summed per team in Python over
    # a few hundred rows.
    by_account = conn.execute(
        sa.select(
            col(Item.account_id),
            sa.func.count(),
            sa.func.sum(sa.case((col(Item.deadline) < now, 1), else_=0)),
        )
        .where(col(Item.status) == Status.OPEN.value)
        .group_by(col(Item.account_id))
    ).all()
    figures = {key: [0, 0] for key in key_of_team.values()}
    for account_id, count, overdue in by_account:
        team_id = team_of_account.get(account_id)
        if team_id is None or team_id not in key_of_team:
            continue  # an account created after we looked: the next scrape counts it
        figures[key_of_team[team_id]][0] += int(count)
        figures[key_of_team[team_id]][1] += int(overdue or 0)
    teams = {key: TeamItems(open_, overdue_) for key, (open_, overdue_) in figures.items()}
    platforms = {
        str(key): (_aware(last_read), int(calls), int(errors))
        for key, last_read, calls, errors in conn.execute(
            sa.select(
                col(Account.key),
                col(MetaState.last_read_at),
                col(MetaState.calls),
                col(MetaState.errors),
            ).join(MetaState, col(MetaState.account_id) == col(Account.id))
        )
    }
    changes = {
        str(status): int(count)
        for status, count in conn.execute(
            sa.select(col(MetaChange.status), sa.func.count()).group_by(col(MetaChange.status))
        )
    }
    shed = {
        str(kind): int(count)
        for kind, count in conn.execute(sa.select(col(ShedCount.kind), col(ShedCount.count)))
    }
    return Snapshot(
        outbox=outbox,
        oldest_due=_aware(oldest_due),
        teams=teams,
        platforms=platforms,
        platform_changes=changes,
        shed=shed,
    )


def families(snapshot: Snapshot, now: datetime) -> Iterator[Metric]:
    """The snapshot as Prometheus metric families."""
    yield GaugeMetricFamily("vakt_up", "1: the database answered this scrape; 0: it did not", 1)
    messages = GaugeMetricFamily(
        "vakt_outbox_messages",
        "Messages in the outbox by kind and status (pending, sending, sent, failed)",
        labels=["kind", "status"],
    )
    for (kind, status), count in sorted(snapshot.outbox.items()):
        messages.add_metric([kind, status], count)
    yield messages
    for status, name, text in (
        ("sent", "vakt_messages_sent", "Messages Slack accepted, by kind (reminders too)"),
        ("failed", "vakt_messages_failed", "Messages that failed for good, by kind"),
    ):
        counter = CounterMetricFamily(name, text, labels=["kind"])
        kinds = sorted({kind for kind, _ in snapshot.outbox})
        for kind in kinds:
            counter.add_metric([kind], snapshot.outbox.get((kind, status), 0))
        yield counter
    yield GaugeMetricFamily(
        "vakt_outbox_depth",
        "Messages waiting to be sent: pending (due or backing off) and being sent",
        snapshot.outbox_total("pending", "sending"),
    )
    age = 0.0 if snapshot.oldest_due is None else (now - snapshot.oldest_due).total_seconds()
    yield GaugeMetricFamily(
        "vakt_outbox_oldest_due_seconds",
        "How long the oldest due message has been waiting (0: none is due)",
        max(age, 0.0),
    )
    open_items = GaugeMetricFamily("vakt_items_open", "Open items by team", labels=["team"])
    overdue = GaugeMetricFamily(
        "vakt_items_overdue", "Open items past their deadline by team", labels=["team"]
    )
    for team, figures in sorted(snapshot.teams.items()):
        open_items.add_metric([team], figures.open)
        overdue.add_metric([team], figures.overdue)
    yield open_items
    yield overdue
    read_age = GaugeMetricFamily(
        "vakt_platform_last_read_age_seconds",
        "Seconds since a connected account was last read to the end (-1: never)",
        labels=["account"],
    )
    calls = CounterMetricFamily(
        "vakt_platform_graph_calls",
        "Graph API calls made for a connected account",
        labels=["account"],
    )
    errors = CounterMetricFamily(
        "vakt_platform_graph_errors", "Graph API errors for a connected account", labels=["account"]
    )
    for key, (last_read, made, failed) in sorted(snapshot.platforms.items()):
        age = -1.0 if last_read is None else max((now - last_read).total_seconds(), 0.0)
        read_age.add_metric([key], age)
        calls.add_metric([key], made)
        errors.add_metric([key], failed)
    yield read_age
    yield calls
    yield errors
    stored = GaugeMetricFamily(
        "vakt_platform_changes",
        "Changes Facebook and Instagram reported, by status (pending: not taken yet)",
        labels=["status"],
    )
    for status in ("pending", "done"):
        stored.add_metric([status], snapshot.platform_changes.get(status, 0))
    yield stored
    shed = CounterMetricFamily(
        "vakt_shed",
        'Requests answered "busy, try again in a minute" under load instead of being run, by kind',
        labels=["kind"],
    )
    for kind in sorted(set(SHED_KINDS) | set(snapshot.shed)):
        shed.add_metric([kind], snapshot.shed.get(kind, 0))
    yield shed


class VaktCollector(Collector):
    """A prometheus_client collector that reads the database at each scrape; when the database
    does not answer it reports `vakt_up 0` (the scrape itself still succeeds)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        now = self.clock()
        try:
            with self.engine.connect() as conn:
                snapshot = read_snapshot(conn, now)
        except sa.exc.SQLAlchemyError as exc:
            log.warning("metrics: the database did not answer: %s", describe(exc))
            yield GaugeMetricFamily(
                "vakt_up", "1: the database answered this scrape; 0: it did not", 0
            )
            return
        yield from families(snapshot, now)


def describe(exc: BaseException) -> str:
    """A database error in one short line: the driver's first line, never a traceback (the
    driver's messages name host and port, never the password)."""
    orig = getattr(exc, "orig", None) or exc
    first = (str(orig).strip().splitlines() or [""])[0]
    return f"{type(orig).__name__}: {first[:200]}"
