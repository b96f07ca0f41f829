"""The register service: every field checked before anything is written, problems located by
field, edits that clear fields, accounts declared in the file refused, every change audited,
the listing and one account's card."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.kernel.config import AccountFields, OrgConfig, parse_config
from bot.kernel.context import Ctx
from bot.kernel.errors import Conflict, NotAllowed, NotFound
from bot.register import service as register
from bot.register.service import InvalidFields, Show
from bot.register.sync import apply_config
from bot.store.db import make_engine, migrate
from bot.store.models import (
    Account,
    AccountClosure,
    AccountFlag,
    AccountPost,
    AuditLog,
    Snapshot,
    Team,
)
from tests.harness import CONFIG, OSLO

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=OSLO)  # a Wednesday, ISO week 48
COORD = "U0COORD1"
TWO_TEAMS = (
    CONFIG
    + """
[[team]]
key = "kultur"
name = "Kulturskolen"
channel = "C0TEAM2"
manager = "U0KBOSS"
members = ["U0DINA", "U0EVA"]
rotation = "weekly"
start = "2026-11-02"
intake_channel = "C0KINTAKE"
"""
)


@pytest.fixture
def config() -> OrgConfig:
    return parse_config(TWO_TEAMS, "vakt.toml")


def _engine(url: str, config: OrgConfig) -> Engine:
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as session:
        apply_config(session, config, NOW)
        session.commit()
    return engine


@pytest.fixture
def db(db_url: str, config: OrgConfig) -> Engine:
    engine = _engine(db_url, config)
    yield engine  # type: ignore[misc]
    engine.dispose()


def ctx_of(session: Session, config: OrgConfig, actor: str = COORD, now: datetime = NOW) -> Ctx:
    return Ctx(session, config, config.calendar(), now, actor)


def entry(**changes: Any) -> AccountFields:
    base = AccountFields(
        name="Kulturskolen i Testrud",
        platform="instagram",
        url="https://www.instagram.com/kulturskolen",
        team="kultur",
    )
    return replace(base, **changes)


def add(db: Engine, config: OrgConfig, key: str = "ig-kultur", **changes: Any) -> None:
    with Session(db) as session:
        register.add_account(ctx_of(session, config), key, entry(**changes))
        session.commit()


def account(db: Engine, key: str) -> Account:
    with Session(db) as session:
        return session.exec(select(Account).where(Account.key == key)).one()


def audits(db: Engine) -> list[AuditLog]:
    with Session(db) as session:
        return list(
            session.exec(
                select(AuditLog)
                .where(col(AuditLog.action).startswith("account."))
                .where(AuditLog.actor != "config")
                .order_by(col(AuditLog.id))
            ).all()
        )


def problems(db: Engine, config: OrgConfig, key: str, fields: AccountFields) -> dict[str, str]:
    with Session(db) as session, pytest.raises(InvalidFields) as raised:
        register.add_account(ctx_of(session, config), key, fields)
    return {e.field: e.key for e in raised.value.errors}


# ---------------------------------------------------------------- adding


def test_a_coordinator_adds_an_account_with_every_field_audited(
    db: Engine, config: OrgConfig
) -> None:
    add(
        db,
        config,
        kind="open-group",
        unit="  Kulturskolen  ",
        manager="U0KBOSS",
        admins=("U0DINA", "U0EVA", "U0DINA"),
        purpose="Informere elever og foresatte",
        audience="Elever",
        dialogue="Svar innen neste arbeidsdag",
        privacy="Ingen bilder av elever uten samtykke",
        resources="To timer i uka",
        plan="Konserter og påmelding",
        created_on=date(2020, 8, 1),
        end_date=date(2027, 6, 30),
        cadence_days=7,
        max_posts_week=10,
        max_posts_day=2,
        snapshot_months=6,
        coordinator_admin=True,
        credentials_held=True,
        published_channel="C0FEED",
    )
    row = account(db, "ig-kultur")
    assert row.status == "active" and row.status_changed_at == NOW and not row.managed
    assert row.unit == "Kulturskolen" and row.admins == "U0DINA,U0EVA"
    assert (row.kind, row.cadence_days, row.max_posts_week, row.max_posts_day) == (
        "open-group",
        7,
        10,
        2,
    )
    assert row.coordinator_admin and row.credentials_held and row.published_channel == "C0FEED"
    assert row.created_on == date(2020, 8, 1) and row.end_date == date(2027, 6, 30)
    (log,) = audits(db)
    assert (log.action, log.actor, log.target) == ("account.add", COORD, "account:ig-kultur")
    after = json.loads(log.after or "{}")
    assert (
        log.before is None and after["team"] == "kultur" and after["published_channel"] == "C0FEED"
    )


def test_the_key_is_lower_cased_and_must_be_free_and_valid(db: Engine, config: OrgConfig) -> None:
    add(db, config, key="IG-Kultur")
    assert account(db, "ig-kultur").name == "Kulturskolen i Testrud"
    assert problems(db, config, "ig-kultur", entry()) == {"key": "error.account_exists"}
    assert problems(db, config, "fb-main", entry()) == {"key": "error.account_exists"}
    assert problems(db, config, "kultur skole", entry()) == {"key": "error.bad_key"}
    assert problems(db, config, "", entry()) == {"key": "error.register_key_needed"}
    assert problems(db, config, "x" * 41, entry()) == {"key": "error.bad_key"}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"name": "  "}, {"name": "error.register_name_needed"}),
        ({"name": "n" * 201}, {"name": "error.text_too_long"}),
        ({"platform": "myspace"}, {"platform": "error.bad_platform"}),
        ({"kind": "club"}, {"kind": "error.register_bad_kind"}),
        ({"url": "www.testrud.no"}, {"url": "error.bad_url"}),
        ({"url": "ftp://testrud.no"}, {"url": "error.bad_url"}),
        ({"url": "https://testrud.no/a b"}, {"url": "error.bad_url"}),
        ({"url": "https://t.no/" + "a" * 500}, {"url": "error.bad_url"}),
        ({"team": "nope"}, {"team": "error.no_team"}),
        ({"unit": "u" * 201}, {"unit": "error.text_too_long"}),
        ({"manager": "bo"}, {"manager": "error.register_bad_user"}),
        ({"admins": ("U0DINA", "#general")}, {"admins": "error.register_bad_user"}),
        (
            {"admins": tuple(f"U0PERSON{i:04d}" for i in range(40))},
            {"admins": "error.register_too_many_admins"},
        ),
        ({"purpose": "p" * 2001}, {"purpose": "error.text_too_long"}),
        ({"plan": "p" * 2001}, {"plan": "error.text_too_long"}),
        (
            {"created_on": date(2026, 5, 1), "end_date": date(2026, 4, 30)},
            {"end_date": "error.register_end_before_created"},
        ),
        ({"cadence_days": -1}, {"cadence_days": "error.register_out_of_range"}),
        ({"cadence_days": 366}, {"cadence_days": "error.register_out_of_range"}),
        ({"max_posts_week": 0}, {"max_posts_week": "error.register_out_of_range"}),
        ({"max_posts_week": 1001}, {"max_posts_week": "error.register_out_of_range"}),
        ({"max_posts_day": 0}, {"max_posts_day": "error.register_out_of_range"}),
        ({"max_posts_day": 101}, {"max_posts_day": "error.register_out_of_range"}),
        (
            {"max_posts_week": 3, "max_posts_day": 5},
            {"max_posts_day": "error.register_day_over_week"},
        ),
        ({"snapshot_months": 61}, {"snapshot_months": "error.register_out_of_range"}),
        ({"snapshot_months": -1}, {"snapshot_months": "error.register_out_of_range"}),
        ({"published_channel": "general"}, {"published_channel": "error.register_bad_channel"}),
        (
            {"published_channel": "C0KINTAKE"},
            {"published_channel": "error.register_feed_is_intake"},
        ),
        (
            {"name": "", "platform": "", "url": "", "team": "", "kind": ""},
            {
                "name": "error.register_name_needed",
                "platform": "error.bad_platform",
                "kind": "error.register_bad_kind",
                "url": "error.bad_url",
                "team": "error.no_team",
            },
        ),
    ],
)
def test_every_problem_is_located_and_nothing_is_written(
    db: Engine, config: OrgConfig, changes: dict[str, Any], expected: dict[str, str]
) -> None:
    assert problems(db, config, "ig-kultur", entry(**changes)) == expected
    with Session(db) as session:
        assert session.exec(select(Account).where(Account.key == "ig-kultur")).first() is None
    assert audits(db) == []


def test_the_edges_of_the_limits_are_accepted(db: Engine, config: OrgConfig) -> None:
    add(db, config, "a1", cadence_days=0, max_posts_week=1, max_posts_day=1, snapshot_months=0)
    add(
        db,
        config,
        "a2",
        cadence_days=365,
        max_posts_week=1000,
        max_posts_day=100,
        snapshot_months=60,
    )
    same_day = date(2026, 1, 1)
    add(db, config, "a3", created_on=same_day, end_date=same_day)
    assert account(db, "a2").max_posts_week == 1000 and account(db, "a1").cadence_days == 0


def test_a_published_feed_is_one_accounts_and_never_an_intake_channel(
    db: Engine, config: OrgConfig
) -> None:
    add(db, config, "ig-kultur", published_channel="C0FEED")
    assert problems(db, config, "ig-two", entry(published_channel="C0FEED")) == {
        "published_channel": "error.register_feed_taken"
    }
    with Session(db) as session:
        fb = session.exec(select(Account).where(Account.key == "fb-main")).one()
        fb.intake_channel = "C0FBINTAKE"
        session.add(fb)
        session.commit()
    assert problems(db, config, "ig-two", entry(published_channel="C0FBINTAKE")) == {
        "published_channel": "error.register_feed_is_intake"
    }


def test_an_account_names_its_facebook_page_or_instagram_account(
    db: Engine, config: OrgConfig
) -> None:
    add(db, config, "ig-kultur", instagram_user_id=" 17841400000000001 ")
    facebook = {"platform": "facebook", "url": "https://www.facebook.com/kulturskolen"}
    add(db, config, "fb-kultur", facebook_page_id="1234567890", **facebook)
    add(
        db,
        config,
        "fb-gruppe",
        **{**facebook, "platform": "facebook-group"},
        facebook_page_id="98765",
    )
    assert account(db, "ig-kultur").instagram_user_id == "17841400000000001"
    assert account(db, "ig-kultur").facebook_page_id is None
    assert account(db, "fb-kultur").facebook_page_id == "1234567890"
    assert account(db, "fb-gruppe").facebook_page_id == "98765"
    add_log = next(a for a in audits(db) if a.target == "account:ig-kultur")
    assert json.loads(add_log.after or "{}")["instagram_user_id"] == "17841400000000001"
    with Session(db) as session:
        row = session.exec(select(Account).where(Account.key == "fb-kultur")).one()
        current = register.fields_of(session, row)
    assert (current.facebook_page_id, current.instagram_user_id) == ("1234567890", None)
    assert problems(db, config, "ig-two", entry(instagram_user_id="17841400000000001")) == {
        "instagram_user_id": "error.register_meta_id_taken"
    }
    assert problems(db, config, "fb-two", entry(facebook_page_id="1234567890", **facebook)) == {
        "facebook_page_id": "error.register_meta_id_taken"
    }


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"instagram_user_id": "1234"}, {"instagram_user_id": "error.register_bad_meta_id"}),
        ({"instagram_user_id": "9" * 31}, {"instagram_user_id": "error.register_bad_meta_id"}),
        ({"instagram_user_id": "12 345 678"}, {"instagram_user_id": "error.register_bad_meta_id"}),
        (
            {"instagram_user_id": "@kulturskolen"},
            {"instagram_user_id": "error.register_bad_meta_id"},
        ),
        (
            {"facebook_page_id": "1234567890"},
            {"facebook_page_id": "error.register_facebook_page_id_platform"},
        ),
        (
            {"platform": "facebook", "instagram_user_id": "1234567890"},
            {"instagram_user_id": "error.register_instagram_user_id_platform"},
        ),
        (
            {"platform": "youtube", "facebook_page_id": "1234567890"},
            {"facebook_page_id": "error.register_facebook_page_id_platform"},
        ),
    ],
)
def test_a_platform_id_is_digits_on_its_own_platform(
    db: Engine, config: OrgConfig, changes: dict[str, Any], expected: dict[str, str]
) -> None:
    assert problems(db, config, "ig-kultur", entry(**changes)) == expected
    assert audits(db) == []


def test_only_coordinators_add(db: Engine, config: OrgConfig) -> None:
    with Session(db) as session, pytest.raises(NotAllowed):
        register.add_account(ctx_of(session, config, actor="U0ANNA"), "ig-kultur", entry())
    assert audits(db) == []


# ---------------------------------------------------------------- editing


def test_an_edit_changes_and_clears_fields_with_before_and_after(
    db: Engine, config: OrgConfig
) -> None:
    add(
        db,
        config,
        unit="Kulturskolen",
        manager="U0KBOSS",
        admins=("U0DINA",),
        purpose="Informere",
        end_date=date(2027, 6, 30),
        cadence_days=7,
        max_posts_week=10,
        coordinator_admin=True,
        published_channel="C0FEED",
    )
    later = NOW + timedelta(days=1)
    with Session(db) as session:
        ctx = ctx_of(session, config, now=later)
        current = register.fields_of(session, register.editable_account(ctx, "ig-kultur"))
        assert current.purpose == "Informere" and current.admins == ("U0DINA",)
        saved = register.edit_account(
            ctx,
            "ig-kultur",
            replace(
                current,
                name="Kulturskolen",
                team="komm",
                unit="",  # emptied: cleared
                manager=None,
                admins=(),
                purpose="   ",
                end_date=None,
                cadence_days=None,
                max_posts_week=None,
                coordinator_admin=False,
                published_channel=None,
            ),
        )
        session.commit()
        assert set(saved.changed) >= {"name", "team", "unit", "purpose", "published_channel"}
    row = account(db, "ig-kultur")
    assert (row.unit, row.manager, row.admins, row.purpose, row.end_date) == (
        None,
        None,
        "",
        None,
        None,
    )
    assert row.cadence_days is None and row.max_posts_week is None
    assert not row.coordinator_admin and row.published_channel is None
    assert row.updated_at == later
    with Session(db) as session:
        assert session.get(Team, row.team_id).key == "komm"  # type: ignore[union-attr]
    _, edit_log = audits(db)
    assert edit_log.action == "account.edit" and edit_log.actor == COORD
    before, after = json.loads(edit_log.before or "{}"), json.loads(edit_log.after or "{}")
    assert before["unit"] == "Kulturskolen" and after["unit"] is None
    assert before["team"] == "kultur" and after["team"] == "komm"
    assert before["published_channel"] == "C0FEED" and after["published_channel"] is None


def test_an_edit_that_changes_nothing_writes_nothing(db: Engine, config: OrgConfig) -> None:
    add(db, config)
    with Session(db) as session:
        ctx = ctx_of(session, config, now=NOW + timedelta(hours=1))
        current = register.fields_of(session, register.editable_account(ctx, "ig-kultur"))
        assert register.edit_account(ctx, "ig-kultur", current).changed == ()
        session.commit()
    assert [a.action for a in audits(db)] == ["account.add"]
    assert account(db, "ig-kultur").updated_at == NOW


def test_a_bad_edit_leaves_the_row_as_it_was(db: Engine, config: OrgConfig) -> None:
    add(db, config, unit="Kulturskolen", max_posts_week=10)
    with Session(db) as session:
        ctx = ctx_of(session, config)
        current = register.fields_of(session, register.editable_account(ctx, "ig-kultur"))
        with pytest.raises(InvalidFields) as raised:
            register.edit_account(
                ctx, "ig-kultur", replace(current, unit=None, name="", max_posts_week=0)
            )
        session.commit()  # whatever the failed call left would be written now
    assert {e.field for e in raised.value.errors} == {"name", "max_posts_week"}
    row = account(db, "ig-kultur")
    assert row.unit == "Kulturskolen" and row.max_posts_week == 10 and row.name
    assert [a.action for a in audits(db)] == ["account.add"]


def test_an_edit_keeps_its_own_feed_and_cannot_take_anothers(db: Engine, config: OrgConfig) -> None:
    add(db, config, "ig-kultur", published_channel="C0FEED")
    add(db, config, "ig-other", published_channel="C0FEED2")
    with Session(db) as session:
        ctx = ctx_of(session, config)
        current = register.fields_of(session, register.editable_account(ctx, "ig-kultur"))
        register.edit_account(ctx, "ig-kultur", replace(current, name="Nytt navn"))
        with pytest.raises(InvalidFields) as raised:
            register.edit_account(ctx, "ig-kultur", replace(current, published_channel="C0FEED2"))
    assert raised.value.errors[0].key == "error.register_feed_taken"


def test_an_edit_keeps_its_own_id_clears_it_and_cannot_take_anothers(
    db: Engine, config: OrgConfig
) -> None:
    add(db, config, "ig-kultur", instagram_user_id="11111111")
    add(db, config, "ig-other", instagram_user_id="22222222")
    with Session(db) as session:
        ctx = ctx_of(session, config)
        current = register.fields_of(session, register.editable_account(ctx, "ig-kultur"))
        current = replace(current, name="Nytt")
        assert register.edit_account(ctx, "ig-kultur", current).changed == ("name",)
        with pytest.raises(InvalidFields) as raised:
            register.edit_account(ctx, "ig-kultur", replace(current, instagram_user_id="22222222"))
        assert raised.value.errors[0] == register.FieldError(
            "instagram_user_id",
            "error.register_meta_id_taken",
            {"value": "22222222", "owner": "ig-other"},
        )
        # Moving to Facebook: the Instagram id must go, a Page id may come.
        with pytest.raises(InvalidFields) as raised:
            register.edit_account(ctx, "ig-kultur", replace(current, platform="facebook"))
        assert raised.value.errors[0].key == "error.register_instagram_user_id_platform"
        moved = replace(
            current, platform="facebook", instagram_user_id="  ", facebook_page_id="33333333"
        )
        saved = register.edit_account(ctx, "ig-kultur", moved)
        assert set(saved.changed) == {"platform", "instagram_user_id", "facebook_page_id"}
        session.commit()
    row = account(db, "ig-kultur")
    assert (row.platform, row.facebook_page_id, row.instagram_user_id) == (
        "facebook",
        "33333333",
        None,
    )
    log = audits(db)[-1]
    assert json.loads(log.before or "{}")["instagram_user_id"] == "11111111"
    assert json.loads(log.after or "{}")["facebook_page_id"] == "33333333"


def test_accounts_declared_in_the_file_are_read_only(db: Engine, config: OrgConfig) -> None:
    with Session(db) as session:
        ctx = ctx_of(session, config)
        with pytest.raises(Conflict) as raised:
            register.edit_account(ctx, "fb-main", entry(team="komm"))
        assert raised.value.key == "error.managed_in_config"
        with pytest.raises(NotFound):
            register.edit_account(ctx, "nope", entry())
        with pytest.raises(NotAllowed):
            register.edit_account(ctx_of(session, config, actor="U0ANNA"), "fb-main", entry())
    assert audits(db) == []


# ---------------------------------------------------------------- the listing and the card


def test_the_listing_by_team_with_last_posts_flags_and_closed_accounts(
    db: Engine, config: OrgConfig
) -> None:
    add(db, config, "ig-kultur", end_date=date(2027, 6, 30), cadence_days=7)
    add(db, config, "yt-kultur", name="Kulturskolen på YouTube", platform="youtube")
    add(db, config, "old", name="Gammel side", platform="facebook")
    with Session(db) as session:
        ig = session.exec(select(Account).where(Account.key == "ig-kultur")).one()
        old = session.exec(select(Account).where(Account.key == "old")).one()
        old.status = "closed"
        session.add(old)
        session.add(
            AccountPost(
                account_id=ig.id or 0,
                external_id="p1",
                posted_at=NOW - timedelta(days=3),
                source="command",
                created_by="U0DINA",
                created_at=NOW,
            )
        )
        session.add(
            AccountFlag(
                account_id=ig.id or 0,
                kind="inactive",
                raised_at=NOW,
                open_key=f"{ig.id}:inactive",
                last_raised_on=date(2026, 11, 23),
            )
        )
        session.add(  # resolved: not shown
            AccountFlag(
                account_id=ig.id or 0,
                kind="ended",
                raised_at=NOW,
                open_key=None,
                last_raised_on=date(2026, 11, 2),
            )
        )
        session.commit()
    with Session(db) as session:
        ctx = ctx_of(session, config, actor="U0ANNA")  # anyone may read the register
        live = register.register_list(ctx)
        assert [(r.team.key, [row.account.key for row in r.rows]) for r in live] == [
            ("komm", ["fb-main"]),
            ("kultur", ["ig-kultur", "yt-kultur"]),
        ]
        ig_row = live[1].rows[0]
        assert ig_row.last_post == date(2026, 11, 22) and ig_row.cadence == 7
        assert ig_row.flags == ("inactive",) and ig_row.manager == "U0KBOSS"
        assert live[1].rows[1].cadence == 14 and live[1].rows[1].last_post is None
        closed = register.register_list(ctx, show=Show.CLOSED)
        assert [[row.account.key for row in r.rows] for r in closed] == [["old"]]
        everything = register.register_list(ctx, "kultur", Show.ALL)
        assert [row.account.key for row in everything[0].rows] == ["old", "ig-kultur", "yt-kultur"]
        with pytest.raises(NotFound):
            register.register_list(ctx, "nope")


def test_the_card_counts_this_weeks_posts_and_knows_snapshots_flags_and_closure(
    db: Engine, config: OrgConfig
) -> None:
    add(db, config, "ig-kultur", max_posts_week=10, snapshot_months=6, created_on=date(2026, 1, 10))
    with Session(db) as session:
        ig = session.exec(select(Account).where(Account.key == "ig-kultur")).one()
        assert ig.id is not None
        for number, moment in enumerate(
            [
                datetime(2026, 11, 22, 23, 30, tzinfo=OSLO),  # Sunday: last week
                datetime(2026, 11, 23, 0, 10, tzinfo=OSLO),  # Monday just after midnight
                datetime(2026, 11, 24, 12, tzinfo=OSLO),
                datetime(2026, 11, 25, 8, tzinfo=OSLO),  # today
            ]
        ):
            session.add(
                AccountPost(
                    account_id=ig.id,
                    external_id=f"p{number}",
                    posted_at=moment,
                    source="http",
                    created_by="U0DINA",
                    created_at=NOW,
                )
            )
        session.add(
            Snapshot(
                account_id=ig.id,
                kind="periodic",
                taken_at=datetime(2026, 6, 1, 10, tzinfo=UTC),
                recorded_by="U0DINA",
                archive_link="https://arkiv.testrud.no/1",
            )
        )
        session.add(
            AccountClosure(
                account_id=ig.id,
                open_key=str(ig.id),
                started_by=COORD,
                started_at=NOW,
                reason="Ikke i bruk",
            )
        )
        session.commit()
    with Session(db) as session:
        card = register.account_card(ctx_of(session, config, actor="U0DINA"), "ig-kultur")
        assert (card.posts_week, card.posts_today) == (3, 1)
        assert card.last_post == date(2026, 11, 25)
        assert card.snapshot_months == 6 and card.last_snapshot == date(2026, 6, 1)
        assert card.snapshot_due == date(2026, 12, 1)
        assert card.closure is not None and card.closure.reason == "Ikke i bruk"
        assert card.manager == "U0KBOSS" and card.manager_is_team
        assert not card.editable  # not a coordinator
        assert register.account_card(ctx_of(session, config), "ig-kultur").editable
        assert not register.account_card(ctx_of(session, config), "fb-main").editable
        with pytest.raises(NotFound):
            register.account_card(ctx_of(session, config), "nope")


def test_add_and_edit_on_postgresql(postgres_url: str, config: OrgConfig) -> None:
    engine = _engine(postgres_url, config)
    try:
        add(engine, config, "ig-kultur", published_channel="C0FEED", max_posts_week=5)
        assert problems(engine, config, "ig-kultur", entry()) == {"key": "error.account_exists"}
        with Session(engine) as session:
            ctx = ctx_of(session, config)
            current = register.fields_of(session, register.editable_account(ctx, "ig-kultur"))
            register.edit_account(ctx, "ig-kultur", replace(current, max_posts_week=None))
            session.commit()
        assert account(engine, "ig-kultur").max_posts_week is None
        assert [a.action for a in audits(engine)] == ["account.add", "account.edit"]
    finally:
        engine.dispose()


def test_an_id_taken_at_the_same_moment_is_answered_beside_its_field_on_postgresql(
    postgres_url: str, config: OrgConfig
) -> None:
    engine = _engine(postgres_url, config)
    try:
        # A coordinator whose transaction began before another one saved the same id.
        late = Session(engine.execution_options(isolation_level="REPEATABLE READ"))
        with late:
            late.exec(select(Account)).all()  # its snapshot: the id is still free
            add(engine, config, "ig-first", instagram_user_id="17841400000000001")
            with pytest.raises(InvalidFields) as raised:
                register.add_account(
                    ctx_of(late, config), "ig-second", entry(instagram_user_id="17841400000000001")
                )
        assert raised.value.errors == (
            register.FieldError("instagram_user_id", "error.register_meta_id_taken_now"),
        )
        assert account(engine, "ig-first").instagram_user_id == "17841400000000001"
    finally:
        engine.dispose()
