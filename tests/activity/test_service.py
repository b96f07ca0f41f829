"""Recording posts: idempotent by (account, external id), even when two replicas race;
refusals; counting per local day and ISO week across summer time and week 53."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from bot.activity import service as activity
from bot.kernel.config import OrgConfig, parse_config
from bot.kernel.context import Ctx
from bot.kernel.errors import Conflict, NotAllowed, UserInputError
from bot.register.sync import apply_config
from bot.store.db import make_engine, migrate, session_scope
from bot.store.models import Account, AccountPost, AuditLog
from tests.harness import CONFIG, OSLO
from tests.waiting import PATIENCE

LIMITED = CONFIG + "max_posts_week = 10\nmax_posts_day = 2\n"
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=OSLO)  # Monday, ISO week 48


@pytest.fixture
def db(any_db_url: str) -> Iterator[Engine]:
    engine = make_engine(any_db_url)
    migrate(engine)
    yield engine
    engine.dispose()


def setup(engine: Engine, text: str = LIMITED) -> OrgConfig:
    config = parse_config(text, "vakt.toml")
    with session_scope(engine) as session:
        apply_config(session, config, NOW)
    return config


def ctx_of(session: Session, config: OrgConfig, now: datetime = NOW, actor: str = "U0ANNA") -> Ctx:
    return Ctx(session, config, config.calendar(), now, actor)


def account_of(session: Session, key: str = "fb-main") -> Account:
    return session.exec(select(Account).where(Account.key == key)).one()


def record(
    engine: Engine,
    config: OrgConfig,
    external_id: str,
    posted_at: datetime,
    *,
    now: datetime = NOW,
    source: str = "http",
) -> tuple[int, bool]:
    with session_scope(engine) as session:
        post, created = activity.record_post(
            ctx_of(session, config, now), account_of(session), external_id, posted_at, source
        )
        assert post.id is not None
        return post.id, created


def count_posts(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(AccountPost)).one())


def test_the_same_post_twice_counts_once(db: Engine) -> None:
    config = setup(db)
    first = record(db, config, "fb:post:1", NOW - timedelta(hours=1))
    again = record(db, config, "fb:post:1", NOW - timedelta(minutes=30), source="feed")
    assert first[1] is True and again == (first[0], False)
    other = record(db, config, "fb:post:2", NOW - timedelta(minutes=30))
    assert other[1] is True
    assert count_posts(db) == 2
    with Session(db) as session:
        post = session.get(AccountPost, first[0])
        assert post is not None
        assert (post.source, post.created_by) == ("http", "U0ANNA")
        assert post.posted_at == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # kept the first time
        # Posts are not privileged changes: the row itself says who recorded it.
        assert session.exec(select(AuditLog).where(AuditLog.action.like("post%"))).all() == []  # type: ignore[attr-defined]


def test_a_post_sent_again_is_found_even_after_the_account_closed(db: Engine) -> None:
    config = setup(db)
    post_id, _ = record(db, config, "fb:post:1", NOW - timedelta(hours=1))
    with session_scope(db) as session:
        account_of(session).status = "closed"
    assert record(db, config, "fb:post:1", NOW - timedelta(hours=1)) == (post_id, False)


@pytest.mark.parametrize(
    ("posted_at", "status", "error", "key"),
    [
        (NOW + timedelta(minutes=6), "active", UserInputError, "error.post_future"),
        (NOW - timedelta(days=367), "active", UserInputError, "error.post_too_old"),
        (datetime(2026, 11, 23, 9, 0), "active", UserInputError, "error.post_naive"),
        (NOW - timedelta(hours=1), "closed", Conflict, "error.post_account_closed"),
        (NOW - timedelta(hours=1), "requested", Conflict, "error.post_account_requested"),
    ],
)
def test_refusals_store_nothing(
    db: Engine, posted_at: datetime, status: str, error: type[Exception], key: str
) -> None:
    config = setup(db)
    with session_scope(db) as session:
        account_of(session).status = status
    with pytest.raises(error) as raised, session_scope(db) as session:
        activity.record_post(
            ctx_of(session, config), account_of(session), "fb:1", posted_at, "http"
        )
    assert raised.value.key == key  # type: ignore[attr-defined]
    assert count_posts(db) == 0


def test_clock_skew_of_five_minutes_is_allowed(db: Engine) -> None:
    config = setup(db)
    assert record(db, config, "fb:skew", NOW + timedelta(minutes=4, seconds=59))[1] is True


def test_flagged_and_closing_accounts_still_count_posts(db: Engine) -> None:
    config = setup(db)
    for number, status in enumerate(("flagged", "closing")):
        with session_scope(db) as session:
            account_of(session).status = status
        assert record(db, config, f"fb:{number}", NOW - timedelta(hours=1))[1] is True


def test_withdrawn_post_is_removed(db: Engine) -> None:
    config = setup(db)
    record(db, config, "slack:C0FEED:1.2", NOW - timedelta(hours=1), source="feed")
    with session_scope(db) as session:
        assert activity.remove_post(session, account_of(session), "slack:C0FEED:1.2") is True
        assert activity.remove_post(session, account_of(session), "slack:C0FEED:1.2") is False
    assert count_posts(db) == 0


def test_who_may_record(db: Engine) -> None:
    config = setup(db)
    with session_scope(db) as session:
        account = account_of(session)
        for user in ("U0ANNA", "U0BOSS", "U0COORD1"):
            activity.check_recorder(ctx_of(session, config, actor=user), account)
        with pytest.raises(NotAllowed):
            activity.check_recorder(ctx_of(session, config, actor="U0STRANGER"), account)


def test_counting_per_local_day_and_iso_week_across_summer_time(db: Engine) -> None:
    config = setup(db)
    calendar = config.calendar()
    now = datetime(2026, 11, 2, 10, 0, tzinfo=OSLO)
    posts = {
        # Summer time ends on Sunday 25 October 2026: that local day has 25 hours.
        "a": datetime(2026, 10, 25, 0, 30, tzinfo=OSLO),  # 24 Oct 22:30 UTC: counts on the 25th
        "b": datetime(2026, 10, 25, 23, 30, tzinfo=OSLO),  # still the 25th (22:30 UTC)
        "c": datetime(2026, 10, 26, 0, 30, tzinfo=OSLO),  # the 26th, Monday of week 44
        "d": datetime(2026, 10, 24, 23, 59, tzinfo=OSLO),
    }
    for key, at in posts.items():
        record(db, config, key, at, now=now)
    with Session(db) as session:
        account_id = account_of(session).id
        assert account_id is not None
        count = activity.posts_on_day(session, calendar, [account_id], date(2026, 10, 25))
        assert count == {account_id: 2}
        assert activity.posts_on_day(session, calendar, [account_id], date(2026, 10, 26)) == {
            account_id: 1
        }
        # Week 43 is Monday 19 to Sunday 25 October; week 44 begins at local midnight.
        assert activity.posts_in_week(session, calendar, [account_id], date(2026, 10, 21)) == {
            account_id: 3
        }
        assert activity.posts_in_week(session, calendar, [account_id], date(2026, 10, 26)) == {
            account_id: 1
        }


def test_counting_in_iso_week_53(db: Engine) -> None:
    config = setup(db)
    calendar = config.calendar()
    now = datetime(2027, 1, 5, 10, 0, tzinfo=OSLO)
    for key, at in {
        "sun-52": datetime(2026, 12, 27, 23, 30, tzinfo=OSLO),
        "mon-53": datetime(2026, 12, 28, 0, 10, tzinfo=OSLO),
        "new-year": datetime(2027, 1, 1, 12, 0, tzinfo=OSLO),
        "sun-53": datetime(2027, 1, 3, 23, 59, tzinfo=OSLO),
        "mon-1": datetime(2027, 1, 4, 0, 0, tzinfo=OSLO),
    }.items():
        record(db, config, key, at, now=now)
    with Session(db) as session:
        account_id = account_of(session).id
        assert account_id is not None
        week = activity.posts_in_week
        assert week(session, calendar, [account_id], date(2027, 1, 1)) == {account_id: 3}
        assert week(session, calendar, [account_id], date(2026, 12, 27)) == {account_id: 1}
        assert week(session, calendar, [account_id], date(2027, 1, 4)) == {account_id: 1}
        # An account without posts counts 0, not missing.
        assert week(session, calendar, [account_id, 999], date(2027, 1, 4))[999] == 0
        last = activity.last_post_days(session, calendar, [account_id])
        assert last == {account_id: date(2027, 1, 4)}


def test_a_concurrent_duplicate_is_recognised_not_an_error(postgres_url: str) -> None:
    """Two replicas record the same post at once: the second insert waits on the first's
    uncommitted row, fails the unique constraint when it commits, and finds that row."""
    engine = make_engine(postgres_url)
    migrate(engine)
    config = setup(engine)
    result: dict[str, tuple[int | None, bool]] = {}

    def second_replica() -> None:
        with session_scope(engine) as session:
            post, created = activity.record_post(
                ctx_of(session, config), account_of(session), "fb:race", NOW, "http"
            )
            result["b"] = (post.id, created)

    try:
        with Session(engine) as first:
            post, created = activity.record_post(
                ctx_of(first, config), account_of(first), "fb:race", NOW, "http"
            )
            assert created
            thread = threading.Thread(target=second_replica)
            thread.start()
            # Wait until the second replica's insert is blocked on the first one's row.
            deadline = time.monotonic() + PATIENCE
            while True:
                with engine.connect() as conn:
                    waiting = conn.execute(
                        sa.text("SELECT count(*) FROM pg_locks WHERE NOT granted")
                    ).scalar_one()
                if waiting or time.monotonic() > deadline:
                    break
                time.sleep(0.02)
            assert waiting, "the second insert never waited"
            first.commit()
            first_id = post.id
        thread.join(10)
        assert result["b"] == (first_id, False)
        assert count_posts(engine) == 1
    finally:
        engine.dispose()
