"""Account requests in the service layer, on real tables: the form stored or refused whole,
approvals under "either" (PG1) and "both" (NB1), one account per request however the clicks
race, declines with their reason, refusals that change nothing, and the audit log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.kernel.config import OrgConfig, parse_config
from bot.kernel.context import Ctx
from bot.kernel.errors import Conflict, NotAllowed, UserInputError
from bot.register.sync import apply_config
from bot.requests import blocks as rb
from bot.requests import service as requests
from bot.requests.core import RequestForm, Role
from bot.requests.jobs import request_reminder_job
from bot.rota.teams import all_teams
from bot.store.db import make_engine, migrate, session_scope
from bot.store.models import Account, AccountRequest, AuditLog, Outbox
from tests.harness import OSLO

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=OSLO)  # Monday, week 48

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

[register]
approvals = "{approvals}"

[[team]]
key = "komm"
name = "Kommunikasjon"
channel = "C0TEAM1"
manager = "U0BOSS"
members = ["U0ANNA", "U0BO", "U0CARL"]
rotation = "weekly"
start = "2026-11-02"

[[team]]
key = "kultur"
name = "Kultur"
members = ["U0DINA", "U0EIR"]
rotation = "weekly"
start = "2026-11-02"

[[account]]
key = "fb-main"
platform = "facebook"
name = "Testrud kommune"
url = "https://www.facebook.com/testrud"
team = "komm"
"""

FORM = RequestForm(
    name="Testrud bibliotek",
    platform="instagram",
    kind="page",
    url=None,
    team="komm",
    unit="Biblioteket",
    purpose="Arrangementer og nyheter fra biblioteket",
    audience="Lånere og familier i kommunen",
    dialogue="Svar senest neste virkedag; kommentarer modereres daglig",
    privacy="Ingen personopplysninger; private meldinger henvises til e-post",
    resources="To timer i uka, Bo dekker ferier",
    plan="Ukentlige innlegg om arrangementer",
    admins=("U0ANNA", "U0BO"),
    substitute="U0CARL",
    end_date=None,
)


def make_config(approvals: str = "either", *, channel: bool = True) -> OrgConfig:
    return parse_config(
        BASE.format(
            approvals=approvals,
            coordinator_channel='coordinator_channel = "C0COMMS"' if channel else "",
        ),
        "vakt.toml",
    )


class Org:
    def __init__(self, engine: Engine, config: OrgConfig) -> None:
        self.engine, self.config = engine, config
        self.calendar = config.calendar()
        with session_scope(engine) as session:
            apply_config(session, config, NOW)

    def ctx(self, session: Session, actor: str, now: datetime = NOW) -> Ctx:
        return Ctx(session, self.config, self.calendar, now, actor)

    def submit(self, form: RequestForm = FORM, actor: str = "U0ANNA", now: datetime = NOW) -> int:
        with session_scope(self.engine) as session:
            return requests.submit(self.ctx(session, actor, now), form).id

    def approve(self, request_id: int, actor: str, now: datetime = NOW) -> requests.Decision:
        with session_scope(self.engine) as session:
            return requests.approve(self.ctx(session, actor, now), request_id)

    def decline(self, request_id: int, actor: str, reason: str | None) -> requests.RequestView:
        with session_scope(self.engine) as session:
            return requests.decline(self.ctx(session, actor), request_id, reason)

    def request(self, request_id: int) -> AccountRequest:
        with Session(self.engine) as session:
            found = session.get(AccountRequest, request_id)
            assert found is not None
            return found

    def all(self, model: Any) -> list[Any]:
        with Session(self.engine) as session:
            return list(session.exec(select(model).order_by(col(model.id))).all())

    def actions(self) -> list[str]:
        return [row.action for row in self.all(AuditLog) if not row.action.endswith(".apply")]

    def outbox(self, kind: str) -> list[Outbox]:
        return [row for row in self.all(Outbox) if row.kind == kind]


@pytest.fixture
def org(engine: Engine) -> Org:
    return Org(engine, make_config())


def buttons(row: Outbox) -> list[str]:
    found: list[str] = []
    for block in json.loads(row.blocks or "[]"):
        found += [e["action_id"] for e in block.get("elements") or [] if "action_id" in e]
    return found


def text_of(row: Outbox) -> str:
    return json.dumps(json.loads(row.blocks or "[]"), ensure_ascii=False)


# ---------------------------------------------------------------- the form


def test_a_request_is_stored_audited_and_sent_to_the_deciders(org: Org) -> None:
    request_id = org.submit()
    request = org.request(request_id)
    assert request.status == "pending" and request.requester == "U0ANNA"
    assert request.admins == "U0ANNA,U0BO" and request.substitute == "U0CARL"
    assert request.plan == FORM.plan and request.unit == "Biblioteket"
    assert org.actions() == ["request.submit"]
    cards = org.outbox(requests.CARD_KIND)
    assert [(c.key, c.channel) for c in cards] == [
        (f"request:{request_id}:C0COMMS", "C0COMMS"),
        (f"request:{request_id}:U0BOSS", "U0BOSS"),
    ]
    for card in cards:
        assert buttons(card) == [rb.APPROVE, rb.DECLINE]
        for answer in (FORM.purpose, FORM.audience, FORM.dialogue, FORM.privacy, FORM.plan):
            assert answer in text_of(card)
    assert "Waiting for a coordinator or <@U0BOSS>" in text_of(cards[0])


def test_without_a_coordinator_channel_each_coordinator_is_asked(engine: Engine) -> None:
    org = Org(engine, make_config(channel=False))
    request_id = org.submit(replace(FORM, team="kultur"))
    assert [c.channel for c in org.outbox(requests.CARD_KIND)] == ["U0COORD1", "U0COORD2"]
    assert org.request(request_id).team_id is not None


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"name": "", "purpose": " "}, {"name", "purpose"}),
        ({"team": "nosuchteam"}, {"team"}),
        ({"url": "facebook.com/bibliotek"}, {"url"}),
        ({"admins": (), "substitute": None}, {"admins", "substitute"}),
        ({"admins": ("U0CARL",)}, {"substitute"}),
        ({"end_date": date(2026, 11, 23)}, {"end_date"}),
    ],
)
def test_a_bad_form_is_refused_by_field_and_nothing_is_stored(
    org: Org, change: dict[str, Any], fields: set[str]
) -> None:
    with pytest.raises(requests.InvalidRequest) as caught:
        org.submit(replace(FORM, **change))
    assert set(caught.value.problems) == fields
    assert org.all(AccountRequest) == [] and org.all(Outbox) == [] and org.actions() == []


# ---------------------------------------------------------------- approving


def test_either_a_coordinator_approves_and_the_account_is_made_on_the_team(org: Org) -> None:
    request_id = org.submit(replace(FORM, end_date=date(2027, 6, 30)))
    decision = org.approve(request_id, "U0COORD1")
    assert decision.recorded == (Role.COORDINATOR,)
    assert decision.account is not None and decision.account.key == "testrud-bibliotek"
    request = org.request(request_id)
    assert request.status == "approved" and request.decided_by == "U0COORD1"
    assert request.coordinator_approved_by == "U0COORD1" and request.manager_approved_by is None
    account = org.all(Account)[-1]
    assert request.account_id == account.id
    assert (account.key, account.platform, account.name, account.url) == (
        "testrud-bibliotek",
        "instagram",
        "Testrud bibliotek",
        "",
    )
    assert account.status == "active" and account.created_on == date(2026, 11, 23)
    assert account.admins == "U0ANNA,U0BO,U0CARL"
    assert account.end_date == date(2027, 6, 30) and account.unit == "Biblioteket"
    assert (account.purpose, account.audience, account.dialogue) == (
        FORM.purpose,
        FORM.audience,
        FORM.dialogue,
    )
    assert (account.privacy, account.resources, account.plan) == (
        FORM.privacy,
        FORM.resources,
        FORM.plan,
    )
    assert account.managed is False
    with Session(org.engine) as session:
        komm = next(v for v in all_teams(session) if v.team.key == "komm")
        assert "testrud-bibliotek" in [a.key for a in komm.accounts]
    assert org.actions() == [
        "request.submit",
        "request.approve",
        "account.create",
        "request.approved",
    ]
    created = next(r for r in org.all(AuditLog) if r.action == "account.create")
    assert json.loads(created.after or "{}")["request"] == request_id
    outcome = org.outbox(requests.OUTCOME_KIND)
    assert [(o.key, o.channel) for o in outcome] == [(f"request-outcome:{request_id}", "U0ANNA")]
    assert "`testrud-bibliotek`" in outcome[0].text
    assert "/vakt account edit testrud-bibliotek" in outcome[0].text
    card = org.outbox(requests.CARD_KIND)[0]
    assert "until Wednesday 30 June 2027" in text_of(card) and buttons(card) == []


def test_either_the_team_manager_approves_alone(org: Org) -> None:
    request_id = org.submit(replace(FORM, url="https://www.instagram.com/testrudbibliotek"))
    decision = org.approve(request_id, "U0BOSS")
    assert decision.recorded == (Role.MANAGER,) and decision.account is not None
    assert decision.account.url == "https://www.instagram.com/testrudbibliotek"
    assert org.request(request_id).manager_approved_by == "U0BOSS"


def test_both_need_the_manager_and_a_coordinator(engine: Engine) -> None:
    org = Org(engine, make_config("both"))
    request_id = org.submit()
    first = org.approve(request_id, "U0BOSS")
    assert first.account is None and first.view.awaited == (Role.COORDINATOR,)
    assert org.request(request_id).status == "pending"
    assert len(org.all(Account)) == 1
    with pytest.raises(Conflict) as again:
        org.approve(request_id, "U0BOSS")
    assert again.value.key == "request.error.you_approved"
    # The manager's own card loses its buttons; the coordinators' keeps them.
    cards = {c.channel: c for c in org.outbox(requests.CARD_KIND)}
    assert buttons(cards["U0BOSS"]) == [] and buttons(cards["C0COMMS"]) == [rb.APPROVE, rb.DECLINE]
    assert "Approved by <@U0BOSS> as the team's manager" in text_of(cards["C0COMMS"])
    assert "Waiting for a coordinator." in text_of(cards["C0COMMS"])
    second = org.approve(request_id, "U0COORD2")
    assert second.account is not None and second.recorded == (Role.COORDINATOR,)
    request = org.request(request_id)
    assert (request.manager_approved_by, request.coordinator_approved_by) == ("U0BOSS", "U0COORD2")
    assert request.status == "approved" and request.decided_by == "U0COORD2"
    (outcome,) = org.outbox(requests.OUTCOME_KIND)
    assert "approved by <@U0BOSS>, <@U0COORD2>" in outcome.text
    assert org.actions() == [
        "request.submit",
        "request.approve",
        "request.approve",
        "account.create",
        "request.approved",
    ]


def test_both_on_a_team_without_a_manager_a_coordinator_suffices(engine: Engine) -> None:
    org = Org(engine, make_config("both"))
    request_id = org.submit(replace(FORM, team="kultur"))
    assert [c.channel for c in org.outbox(requests.CARD_KIND)] == ["C0COMMS"]
    decision = org.approve(request_id, "U0COORD1")
    assert decision.account is not None
    with Session(engine) as session:
        kultur = next(v for v in all_teams(session) if v.team.key == "kultur")
        assert [a.key for a in kultur.accounts] == ["testrud-bibliotek"]


def test_a_coordinator_who_manages_the_team_approves_in_both_roles(engine: Engine) -> None:
    config = make_config("both")
    config = replace(config, coordinators=(*config.coordinators, "U0BOSS"))
    org = Org(engine, config)
    decision = org.approve(org.submit(), "U0BOSS")
    assert set(decision.recorded) == {Role.COORDINATOR, Role.MANAGER}
    assert decision.account is not None


def test_a_second_click_or_decider_is_refused_and_one_account_is_made(org: Org) -> None:
    request_id = org.submit()
    org.approve(request_id, "U0COORD1")
    for actor in ("U0COORD1", "U0BOSS", "U0COORD2"):
        with pytest.raises(Conflict) as caught:
            org.approve(request_id, actor)
        assert caught.value.key == "request.error.already_approved"
        assert caught.value.params == {"who": "<@U0COORD1>"}
    with pytest.raises(Conflict):
        org.decline(request_id, "U0BOSS", "Too late")
    assert [a.key for a in org.all(Account)] == ["fb-main", "testrud-bibliotek"]
    assert org.request(request_id).status == "approved"


def _stale_approval(org: Org, request_id: int) -> None:
    """A decider whose session read the request while it was pending approves after another
    decider's approval was committed: the compare-and-set refuses it."""
    with Session(org.engine, expire_on_commit=False) as stale:
        seen = stale.get(AccountRequest, request_id)
        assert seen is not None and seen.status == "pending"
        stale.commit()  # SQLite cannot upgrade an old read snapshot; PostgreSQL below can
        org.approve(request_id, "U0COORD1")
        with pytest.raises(Conflict) as caught:
            requests.approve(org.ctx(stale, "U0BOSS"), request_id)
        assert caught.value.key == "request.error.already_approved"
        stale.rollback()


def test_compare_and_set_makes_one_account_when_two_deciders_race(org: Org) -> None:
    request_id = org.submit()
    _stale_approval(org, request_id)
    assert [a.key for a in org.all(Account)] == ["fb-main", "testrud-bibliotek"]
    assert org.request(request_id).decided_by == "U0COORD1"


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    migrate(engine)
    yield engine
    engine.dispose()


def test_compare_and_set_on_postgresql_inside_an_open_transaction(pg_engine: Engine) -> None:
    org = Org(pg_engine, make_config())
    request_id = org.submit()
    _stale_approval(org, request_id)
    # The same, with the second decider's transaction open across the first's commit.
    other = org.submit(replace(FORM, name="Testrud kulturskole"))
    with Session(pg_engine) as stale:
        assert stale.get(AccountRequest, other) is not None
        org.approve(other, "U0BOSS")
        with pytest.raises(Conflict):
            requests.approve(org.ctx(stale, "U0COORD1"), other)
        stale.rollback()
    keys = [a.key for a in org.all(Account)]
    assert keys == ["fb-main", "testrud-bibliotek", "testrud-kulturskole"]


def test_a_name_whose_key_is_taken_gets_the_next_free_key(org: Org) -> None:
    decision = org.approve(org.submit(replace(FORM, name="FB main")), "U0COORD1")
    assert decision.account is not None and decision.account.key == "fb-main-2"


def test_someone_who_may_not_decide_is_refused_and_nothing_changes(org: Org) -> None:
    request_id = org.submit()
    before = (org.all(Outbox), org.actions())
    for actor in ("U0ANNA", "U0CARL", "U0DINA"):
        with pytest.raises(NotAllowed) as caught:
            org.approve(request_id, actor)
        assert caught.value.key == "request.error.not_decider"
        with pytest.raises(NotAllowed):
            org.decline(request_id, actor, "Nei")
    assert org.request(request_id).status == "pending"
    assert org.request(request_id).coordinator_approved_by is None
    assert ([r.key for r in org.all(Outbox)], org.actions()) == (
        [r.key for r in before[0]],
        before[1],
    )
    # The manager of another team is no decider here either.
    kultur_request = org.submit(replace(FORM, team="kultur"))
    with pytest.raises(NotAllowed):
        org.approve(kultur_request, "U0BOSS")


# ---------------------------------------------------------------- declining


def test_a_decline_needs_a_reason_and_tells_the_requester(org: Org) -> None:
    request_id = org.submit()
    for empty in (None, "", "  "):
        with pytest.raises(UserInputError) as caught:
            org.decline(request_id, "U0BOSS", empty)
        assert caught.value.key == "request.error.reason"
    assert org.request(request_id).status == "pending" and org.actions() == ["request.submit"]
    view = org.decline(request_id, "U0BOSS", "Bruk kommunens hovedside i stedet")
    request = org.request(request_id)
    assert request.status == "declined" and request.decided_by == "U0BOSS"
    assert request.decline_reason == "Bruk kommunens hovedside i stedet"
    assert view.awaited == () and request.account_id is None
    assert org.actions() == ["request.submit", "request.decline"]
    outcome = org.outbox(requests.OUTCOME_KIND)
    assert [o.channel for o in outcome] == ["U0ANNA"]
    assert "Bruk kommunens hovedside i stedet" in outcome[0].text
    with pytest.raises(Conflict) as caught2:
        org.approve(request_id, "U0COORD1")
    assert caught2.value.key == "request.error.already_declined"
    assert len(org.all(Account)) == 1


def test_unsent_cards_are_rewritten_so_a_decided_request_never_arrives_with_buttons(
    org: Org,
) -> None:
    request_id = org.submit()
    assert all(c.status == "pending" for c in org.outbox(requests.CARD_KIND))
    org.decline(request_id, "U0COORD1", "Dekkes av hovedsiden")
    for card in org.outbox(requests.CARD_KIND):
        assert buttons(card) == []
        assert "Declined" in text_of(card) and "Dekkes av hovedsiden" in text_of(card)


# ---------------------------------------------------------------- listing


def test_listing_coordinators_all_managers_theirs_anyone_their_own(org: Org) -> None:
    komm = org.submit(actor="U0ANNA")
    kultur = org.submit(replace(FORM, team="kultur", name="Kultur på TikTok"), actor="U0DINA")
    decided = org.submit(replace(FORM, name="Gammel søknad"), actor="U0CARL")
    org.decline(decided, "U0COORD1", "Dekkes av hovedsiden")
    old = org.submit(replace(FORM, name="Eldgammel"), actor="U0CARL")
    with session_scope(org.engine) as session:
        requests.decline(org.ctx(session, "U0COORD1", NOW - timedelta(days=31)), old, "Nei")

    def seen(actor: str) -> tuple[list[tuple[int, bool]], list[int]]:
        with Session(org.engine) as session:
            found = requests.listing(org.ctx(session, actor))
        return [(v.id, may) for v, may in found.pending], [v.id for v in found.recent]

    assert seen("U0COORD1") == ([(komm, True), (kultur, True)], [decided])
    assert seen("U0BOSS") == ([(komm, True)], [decided])
    assert seen("U0DINA") == ([(kultur, False)], [])
    assert seen("U0CARL") == ([], [decided])
    assert seen("U0EIR") == ([], [])


def test_both_a_second_coordinator_is_told_a_coordinator_has_approved(engine: Engine) -> None:
    org = Org(engine, make_config("both"))
    request_id = org.submit()
    org.approve(request_id, "U0COORD1")
    with pytest.raises(Conflict) as caught:
        org.approve(request_id, "U0COORD2")
    assert caught.value.key == "request.error.role_approved"
    assert caught.value.params == {"who": "<@U0COORD1>"}
    request = org.request(request_id)
    assert request.status == "pending" and request.coordinator_approved_by == "U0COORD1"
    assert org.approve(request_id, "U0BOSS").account is not None


def test_nobody_approves_their_own_request(org: Org) -> None:
    """PG1: a new account is agreed with the comms unit – a manager (or a coordinator) who
    asks for one cannot approve it alone."""
    request_id = org.submit(actor="U0BOSS")
    with pytest.raises(NotAllowed) as refused:
        org.approve(request_id, "U0BOSS")
    assert refused.value.key == "request.error.own_request"
    assert org.request(request_id).status == "pending" and len(org.all(Account)) == 1
    assert org.approve(request_id, "U0COORD1").account is not None


def test_a_request_awaiting_nobody_any_more_is_decided_by_the_next_approval(
    engine: Engine,
) -> None:
    """Under "both" a coordinator approved, then the setting became "either": the request
    waits for nobody, and the next decider's Approve makes the account instead of a refusal."""
    org = Org(engine, make_config("both"))
    request_id = org.submit()
    org.approve(request_id, "U0COORD1")
    org.config = make_config("either")
    decision = org.approve(request_id, "U0COORD2")
    assert decision.account is not None and org.request(request_id).status == "approved"


def test_a_reminder_keeps_buttons_only_where_its_reader_is_still_awaited(engine: Engine) -> None:
    org = Org(engine, make_config("both"))
    request_id = org.submit()
    monday = datetime(2026, 11, 30, 9, 0, tzinfo=OSLO)
    with session_scope(org.engine) as session:
        sent = request_reminder_job(session, org.config, org.calendar, monday)
    assert {m.channel for m in sent} == {"C0COMMS", "U0BOSS"}
    org.approve(request_id, "U0COORD1", now=monday)
    reminders = {r.channel: r for r in org.outbox(requests.REMINDER_KIND)}
    assert buttons(reminders["C0COMMS"]) == []  # the coordinators have approved
    assert buttons(reminders["U0BOSS"]) == [rb.APPROVE, rb.DECLINE]
