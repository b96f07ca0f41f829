"""The App Home's data and publishing, on real tables, published to the fake Slack through the
real gateway (which validates every view): published once when opened, republished only when
its content changed and the debounce allows, a 429 honoured and retried, at most the budget per
refresh, and within 100 blocks however much there is."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.models.views import View
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.home import publish as home_publish
from bot.home import service as home
from bot.home.core import ACTIVE, MODAL_ROWS, PUBLISH_BUDGET
from bot.items import service as items
from bot.items.core import Status
from bot.kernel.config import parse_config
from bot.kernel.context import Ctx
from bot.register.sync import apply_config
from bot.slackkit.gateway import SlackGateway, build_client
from bot.store.db import session_scope
from bot.store.models import (
    Account,
    AccountFlag,
    AccountRequest,
    Deletion,
    Gap,
    HomeView,
    Item,
    SwapRequest,
    Team,
)
from tests.fakeslack import FakeSlack
from tests.harness import CONFIG, OSLO

CONFIG_ = parse_config(CONFIG, "vakt.toml")
CAL = CONFIG_.calendar()
APPLIED = datetime(2026, 11, 2, 10, 0, tzinfo=OSLO)
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=OSLO)  # Wednesday, week 48: Anna on duty
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=OSLO)  # items from then are overdue by NOW


@pytest.fixture
def org(engine: Engine) -> Engine:
    with session_scope(engine) as session:
        apply_config(session, CONFIG_, APPLIED)
    return engine


@pytest.fixture
def gateway(fake: FakeSlack) -> Iterator[SlackGateway]:
    yield SlackGateway(build_client("xoxb-test-token", fake.base_url, retries=0))
    fake.assert_no_errors()


def ids_of(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        team = session.exec(select(Team).where(Team.key == "komm")).one()
        account = session.exec(select(Account).where(Account.key == "fb-main")).one()
        assert team.id is not None and account.id is not None
        return team.id, account.id


def add_items(engine: Engine, count: int, received: datetime = MONDAY) -> list[int]:
    _, account = ids_of(engine)
    made = []
    with session_scope(engine) as session:
        for n in range(count):
            item = Item(
                account_id=account,
                source="http",
                external_id=f"ext-{received.timestamp()}-{n}",
                received_at=received + timedelta(seconds=n),
                excerpt=f"Question number {n}",
                deadline=CAL.deadline(received, 1),
                created_by="test",
                created_at=received,
            )
            session.add(item)
            session.flush()
            assert item.id is not None
            made.append(item.id)
    return made


def texts(view: dict[str, Any]) -> str:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text"):
                found.append(str(node["text"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(view.get("blocks"))
    return "\n".join(found)


def block_ids(view: dict[str, Any]) -> set[str]:
    return {b.get("block_id", "") for b in view["blocks"]}


def published(fake: FakeSlack, user: str | None = None) -> list[dict[str, Any]]:
    calls = [c for c in fake.calls_to("views.publish") if c.ok]
    views = [c.args for c in calls if user is None or c.args["user_id"] == user]
    return [v["view"] if isinstance(v["view"], dict) else json.loads(v["view"]) for v in views]


def open_home(org: Engine, gateway: SlackGateway, user: str, at: datetime) -> bool:
    return home_publish.publish_home(org, CONFIG_, CAL, gateway, user, "en", at, opened=True)


def refresh(org: Engine, gateway: SlackGateway, at: datetime) -> int:
    return home_publish.refresh_homes(org, CONFIG_, CAL, gateway, at)


def row(engine: Engine, user: str) -> HomeView:
    with Session(engine) as session:
        found = session.get(HomeView, user)
        assert found is not None
        return found


def view_for(engine: Engine, user: str, lang: str = "en", at: datetime = NOW) -> dict[str, Any]:
    with Session(engine) as session:
        return home_publish.build_view(home.Board(session, CONFIG_, CAL, at), user, lang)


# ---------------------------------------------------------------- publishing


def test_opened_is_published_once_and_not_again_while_nothing_changes(
    org: Engine, gateway: SlackGateway, fake: FakeSlack
) -> None:
    assert open_home(org, gateway, "U0ANNA", NOW)
    (view,) = published(fake, "U0ANNA")
    assert "you are *on duty* now, until Friday 27 November" in texts(view)
    stored = row(org, "U0ANNA")
    assert (stored.opened_at, stored.published_at) == (NOW, NOW)
    assert stored.content_hash and stored.dirty_at is None
    # Sweeps later the same day: only the "updated" time would differ, so nothing is sent.
    for minutes in (5, 10, 60):
        assert refresh(org, gateway, NOW + timedelta(minutes=minutes)) == 0
    assert len(published(fake)) == 1
    # Opened again a minute later, unchanged: Slack still shows it, nothing sent.
    assert open_home(org, gateway, "U0ANNA", NOW + timedelta(minutes=61))
    assert open_home(org, gateway, "U0ANNA", NOW + timedelta(minutes=62))
    assert len(published(fake)) == 2
    assert row(org, "U0ANNA").opened_at == NOW + timedelta(minutes=62)


def test_a_change_is_published_after_the_debounce_and_a_closed_item_disappears(
    org: Engine, gateway: SlackGateway, fake: FakeSlack
) -> None:
    open_home(org, gateway, "U0ANNA", NOW)
    (item_id,) = add_items(org, 1)
    assert refresh(org, gateway, NOW + timedelta(minutes=1)) == 0  # within the debounce
    assert refresh(org, gateway, NOW + timedelta(minutes=3)) == 1
    assert f"*#{item_id}*" in texts(published(fake, "U0ANNA")[-1])
    assert refresh(org, gateway, NOW + timedelta(minutes=8)) == 0
    with session_scope(org) as session:
        items.close_item(Ctx(session, CONFIG_, CAL, NOW, "U0BO"), item_id, Status.ANSWERED)
    assert refresh(org, gateway, NOW + timedelta(minutes=13)) == 1
    last = texts(published(fake, "U0ANNA")[-1])
    assert f"#{item_id}" not in last and "Nothing waits for you" in last
    assert len(published(fake)) == 3


def test_a_429_holds_every_refresh_back_until_retry_after_and_is_then_retried(
    org: Engine, gateway: SlackGateway, fake: FakeSlack
) -> None:
    open_home(org, gateway, "U0ANNA", NOW)
    add_items(org, 1)
    fake.fail_next("views.publish", status=429, headers={"Retry-After": "60"})
    at = NOW + timedelta(minutes=3)
    assert refresh(org, gateway, at) == 0
    assert row(org, "U0ANNA").dirty_at == at + timedelta(seconds=60)
    assert row(org, "U0ANNA").published_at == NOW  # not counted as published
    calls = len(fake.calls_to("views.publish"))
    assert refresh(org, gateway, at + timedelta(seconds=30)) == 0
    assert len(fake.calls_to("views.publish")) == calls  # Slack not asked while it said wait
    assert refresh(org, gateway, at + timedelta(minutes=5)) == 1
    assert row(org, "U0ANNA").dirty_at is None
    # Opening the home while rate limited: no crash, marked for the next refresh.
    fake.fail_next("views.publish", status=429, headers={"Retry-After": "30"})
    later = NOW + timedelta(minutes=20)
    assert not open_home(org, gateway, "U0BO", later)
    assert row(org, "U0BO").dirty_at == later + timedelta(seconds=30)
    assert refresh(org, gateway, later + timedelta(minutes=5)) == 1
    assert len(published(fake, "U0BO")) == 1


def test_only_recent_homes_are_refreshed_and_at_most_the_budget_per_refresh(
    org: Engine, gateway: SlackGateway, fake: FakeSlack
) -> None:
    with session_scope(org) as session:
        for n in range(PUBLISH_BUDGET + 10):
            session.add(HomeView(user_id=f"U0X{n:03d}", opened_at=NOW - timedelta(days=1)))
        session.add(HomeView(user_id="U0OLD", opened_at=NOW - ACTIVE - timedelta(minutes=1)))
    assert refresh(org, gateway, NOW) == PUBLISH_BUDGET
    assert refresh(org, gateway, NOW + timedelta(minutes=5)) == 10
    assert refresh(org, gateway, NOW + timedelta(minutes=10)) == 0
    assert not published(fake, "U0OLD")
    assert len(published(fake)) == PUBLISH_BUDGET + 10


# ---------------------------------------------------------------- what it shows


def test_someone_in_no_team_gets_what_vakt_is_and_three_commands(org: Engine) -> None:
    view = view_for(org, "U0NEW")
    text = texts(view)
    assert "Vakt keeps the municipality's social media accounts watched" in text
    assert all(f"`/vakt {c}`" in text for c in ("who", "rota", "help"))
    nb = texts(view_for(org, "U0NEW", "nb"))
    assert "Du er ikke med i noe team ennå" in nb and "Oppdatert 10:00" in nb


def test_duty_now_and_next_with_an_absence(org: Engine) -> None:
    text = texts(view_for(org, "U0ANNA"))
    assert "*Kommunikasjon*: you are *on duty* now, until Friday 27 November." in text
    assert "Next: substitute week 50 (Monday 7 December – Friday 11 December)." in text
    bo = texts(view_for(org, "U0BO", "sv"))
    assert "du är *ersättare* nu" in bo and "Nästa: bevakning vecka 49" in bo
    with session_scope(org) as session:
        from bot.store.models import Absence

        session.add(
            Absence(
                user_id="U0ANNA",
                start=date(2026, 12, 7),
                end=date(2026, 12, 11),
                created_by="U0ANNA",
                created_at=NOW,
            )
        )
    assert "Next: on duty week 51" in texts(view_for(org, "U0ANNA"))


def seed_extras(engine: Engine) -> None:
    team, account = ids_of(engine)
    with session_scope(engine) as session:
        session.add(
            Gap(
                team_id=team,
                period_start=date(2026, 12, 7),
                kind="no_substitute",
                days="2026-12-07,2026-12-08",
                opened_at=NOW,
            )
        )
        session.add(
            AccountFlag(
                account_id=account,
                kind="inactive",
                open_key=f"{account}:inactive",
                raised_at=NOW,
                last_raised_on=NOW.date(),
            )
        )
        session.add(request_row(team, "Biblioteket"))
        session.add(
            SwapRequest(
                team_id=team,
                requester="U0ANNA",
                counterpart="U0CARL",
                start=date(2026, 12, 14),
                end=date(2026, 12, 18),
                created_at=NOW,
            )
        )


def request_row(team: int, name: str) -> AccountRequest:
    return AccountRequest(
        requester="U0ANNA",
        name=name,
        platform="instagram",
        team_id=team,
        purpose="p",
        audience="a",
        dialogue="d",
        privacy="y",
        resources="r",
        created_at=NOW,
    )


def test_coordinators_and_managers_see_their_extras_members_do_not(org: Engine) -> None:
    seed_extras(org)
    add_items(org, 2)
    coordinator = view_for(org, "U0COORD1")
    assert {"home-gaps", "home-flags", "home-requests", "home-teams"} <= block_ids(coordinator)
    text = texts(coordinator)
    assert "*no substitute* from Monday 7 December (2 working days)" in text
    assert "Inactive: *Testrud kommune* (Kommunikasjon)" in text
    assert "*Biblioteket* (instagram) for Kommunikasjon" in text
    assert "*Kommunikasjon*: 2 open, 2 overdue" in text
    manager = view_for(org, "U0BOSS")
    assert {"home-teams", "home-requests"} <= block_ids(manager)
    assert not {"home-gaps", "home-flags", "home-items"} & block_ids(manager)
    anna = view_for(org, "U0ANNA")
    assert {"home-duty", "home-items", "home-swaps"} <= block_ids(anna)
    assert not {"home-gaps", "home-flags", "home-teams", "home-requests"} & block_ids(anna)
    assert "<@U0ANNA> ↔ <@U0CARL>" in texts(anna)


def test_hundreds_of_everything_stay_within_100_blocks_with_show_all(
    org: Engine, gateway: SlackGateway, fake: FakeSlack
) -> None:
    team, account = ids_of(org)
    add_items(org, 400)
    with session_scope(org) as session:
        for n in range(150):
            extra = Account(
                key=f"acc-{n}",
                platform="facebook",
                name=f"Konto {n}",
                url=f"https://www.facebook.com/konto{n}",
                team_id=team,
                created_at=APPLIED,
                updated_at=APPLIED,
            )
            session.add(extra)
            session.flush()
            session.add(
                AccountFlag(
                    account_id=extra.id or 0,
                    kind="inactive",
                    open_key=f"{extra.id}:inactive",
                    raised_at=NOW,
                    last_raised_on=NOW.date(),
                )
            )
        for _ in range(120):
            session.add(
                Deletion(
                    account_id=account,
                    deleted_at=MONDAY,
                    logged_by="U0COORD1",
                    logged_at=MONDAY,
                )
            )
        for n in range(60):
            session.add(
                Gap(
                    team_id=team,
                    period_start=date(2026, 12, 7) + timedelta(days=7 * n),
                    kind="nobody",
                    days=(date(2026, 12, 7) + timedelta(days=7 * n)).isoformat(),
                    opened_at=NOW,
                )
            )
        for n in range(100):
            session.add(request_row(team, f"Konto {n}"))
        from bot.rota.teams import get_team, members_of, set_members

        komm = get_team(session, "komm")
        set_members(session, komm, [*members_of(session, komm), "U0COORD1"])
    for lang in ("nb", "sv"):
        other = view_for(org, "U0COORD1", lang)
        assert len(other["blocks"]) <= 100
        View(**other).validate_json()
    view = view_for(org, "U0COORD1")
    assert len(view["blocks"]) <= 100
    View(**view).validate_json()
    text = texts(view)
    assert "… and 395 more." in text and "… and 145 more." in text
    more = [b for b in view["blocks"] if b.get("block_id", "").endswith("-more")]
    assert {b["accessory"]["value"] for b in more} >= {"items", "flags", "deletions", "gaps"}
    # Slack (the fake validates it like Slack) takes it.
    assert home_publish.publish_home(org, CONFIG_, CAL, gateway, "U0COORD1", "en", NOW, opened=True)
    for section, total in (("items", 400), ("flags", 150), ("requests", 100)):
        with Session(org) as session:
            modal = home_publish.show_all_view(
                session, CONFIG_, CAL, "U0COORD1", section, "nb", NOW
            )
        assert len(modal["blocks"]) <= 100
        View(**modal).validate_json()
        shown = min(total, MODAL_ROWS)
        if total > MODAL_ROWS:
            assert f"Viser de første {shown} av {total}." in texts(modal)
        assert len(texts(modal).splitlines()) >= shown
