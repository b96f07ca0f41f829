"""The lifecycle services: who may keep a flag and for how long, and the closure checklist –
who ticks and waives what, that it never finishes without a final snapshot, and that a closed
account leaves the rotas."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.archive.service import has_final_snapshot
from bot.kernel.errors import Conflict, NotAllowed, NotFound, UserInputError, VaktError
from bot.lifecycle import service as lifecycle
from bot.register.core import CLOSURE_STEPS, ClosureStepName, FlagKind
from bot.rota import service as rota
from bot.rota.teams import all_teams
from bot.store.db import session_scope
from bot.store.models import AccountClosure, AccountFlag, AuditLog, Outbox, Snapshot
from tests.lifecycle.test_jobs import Org, at, make_config

MONDAY = at(2026, 12, 7, 10)
OTHERS = [s.value for s in CLOSURE_STEPS if s != ClosureStepName.FINAL_SNAPSHOT]


@pytest.fixture
def org(engine: Engine) -> Org:
    org = Org(engine, make_config(fb_extra="credentials_held = true"))
    org.sweep(at(2026, 12, 7, 9))  # fb-main never posted: flagged inactive
    return org


def flag_id(org: Org) -> int:
    flag = org.flags()[0]
    assert flag.id is not None
    return flag.id


def act(org: Org, actor: str, fn: object, *args: object, now: datetime = MONDAY) -> object:
    """Run a service call as `actor` in its own transaction (rolled back when refused)."""
    with session_scope(org.engine) as session:
        return fn(org.ctx(session, now, actor), *args)  # type: ignore[operator]


def refused(org: Org, actor: str, fn: object, *args: object) -> VaktError:
    with pytest.raises(VaktError) as info:
        act(org, actor, fn, *args)
    return info.value


def start(org: Org, actor: str = "U0COORD1", reason: str | None = "Inactive") -> int:
    def run(ctx: rota.Ctx) -> int:
        view = lifecycle.start_closure(ctx, org.account(ctx.session), reason)
        assert view.closure.id is not None
        return view.closure.id

    result = act(org, actor, run)
    assert isinstance(result, int)
    return result


def closure(org: Org, closure_id: int) -> AccountClosure:
    with Session(org.engine) as session:
        found = session.get(AccountClosure, closure_id)
        assert found is not None
        return found


def audit_actions(org: Org) -> list[tuple[str, str]]:
    with Session(org.engine) as session:
        rows = session.exec(select(AuditLog).order_by(col(AuditLog.id))).all()
        return [(r.actor, r.action) for r in rows if r.action.split(".")[0] in ("flag", "closure")]


def final_snapshot(org: Org, *, link: str | None = "https://arkiv.testrud.no/sak/1") -> None:
    with session_scope(org.engine) as session:
        account = org.account(session)
        assert account.id is not None
        session.add(
            Snapshot(
                account_id=account.id,
                kind="final",
                taken_at=MONDAY,
                recorded_by="U0ANNA",
                archive_link=link,
            )
        )


# ---------------------------------------------------------------- Keep


def test_keep_by_the_manager_or_a_coordinator_others_refused(org: Org) -> None:
    number = flag_id(org)
    error = refused(org, "U0ANNA", lifecycle.keep_flag, number, "Why not", "4w", None)
    assert isinstance(error, NotAllowed) and error.key == "error.lifecycle_not_manager"
    assert org.flags()[0].kept_by is None and org.status() == "flagged"
    act(org, "U0BOSS", lifecycle.keep_flag, number, "Sesong", "3m", None)
    flag = org.flags()[0]
    assert (flag.kept_by, flag.keep_reason, flag.quiet_until) == (
        "U0BOSS",
        "Sesong",
        date(2027, 3, 7),
    )
    assert org.status() == "active"
    act(org, "U0COORD1", lifecycle.keep_flag, number, "Kampanje i mars", "12m", None)
    assert org.flags()[0].quiet_until == date(2027, 12, 7)
    assert audit_actions(org) == [
        ("vakt", "flag.raise"),
        ("U0BOSS", "flag.keep"),
        ("U0COORD1", "flag.keep"),
    ]


@pytest.mark.parametrize(
    ("reason", "period", "chosen", "key"),
    [
        ("", "4w", None, "error.lifecycle_keep_reason"),
        ("  ", "4w", None, "error.lifecycle_keep_reason"),
        ("x" * 501, "4w", None, "error.lifecycle_reason_too_long"),
        ("Sesong", None, None, "error.lifecycle_keep_period"),
        ("Sesong", "forever", None, "error.lifecycle_keep_period"),
        ("Sesong", "date", None, "error.lifecycle_keep_date"),
        ("Sesong", "date", date(2026, 12, 7), "error.lifecycle_keep_date"),
        ("Sesong", "date", date(2029, 1, 1), "error.lifecycle_keep_date"),
    ],
)
def test_keep_needs_a_reason_and_a_period(
    org: Org, reason: str, period: str | None, chosen: date | None, key: str
) -> None:
    error = refused(org, "U0BOSS", lifecycle.keep_flag, flag_id(org), reason, period, chosen)
    assert isinstance(error, UserInputError) and error.key == key
    assert org.flags()[0].kept_by is None


def test_a_resolved_flag_cannot_be_kept(org: Org) -> None:
    number = flag_id(org)
    org.post(at(2026, 12, 7, 11))
    org.sweep(at(2026, 12, 8))
    error = refused(org, "U0BOSS", lifecycle.keep_flag, number, "Sesong", "4w", None)
    assert isinstance(error, Conflict) and error.key == "error.lifecycle_flag_resolved"
    assert isinstance(refused(org, "U0BOSS", lifecycle.get_flag, 999), NotFound)


# ---------------------------------------------------------------- closure


def test_start_closure_by_the_manager_or_a_coordinator_once(org: Org) -> None:
    with pytest.raises(NotAllowed):
        start(org, "U0ANNA")
    assert org.status() == "flagged"
    number = start(org, "U0BOSS", "Ikke brukt siden mai")
    assert org.status() == "closing"
    row = closure(org, number)
    assert row.open_key == str(row.account_id) and row.reason == "Ikke brukt siden mai"
    with pytest.raises(Conflict, match="lifecycle_already_closing"):
        start(org, "U0COORD1")
    with Session(org.engine) as session:
        (message,) = session.exec(select(Outbox).where(Outbox.kind == "account_closure")).all()
    assert message.key == f"closure:{number}" and message.channel == "C0COMMS"
    assert ("U0BOSS", "closure.start") in audit_actions(org)


def test_the_checklist_goes_to_the_starter_without_a_coordinators_channel(engine: Engine) -> None:
    org = Org(engine, make_config(coordinator_channel=False))
    number = start(org, "U0BOSS")
    with Session(org.engine) as session:
        (message,) = session.exec(select(Outbox).where(Outbox.kind == "account_closure")).all()
    assert message.key == f"closure:{number}" and message.channel == "U0BOSS"


def test_closure_cannot_finish_without_a_final_snapshot(org: Org) -> None:
    number = start(org)
    # Every other step done or waived, by whoever may.
    act(org, "U0ANNA", lifecycle.mark_done, number, "followers_told")  # a team member
    act(org, "U0BOSS", lifecycle.mark_done, number, "public_list")  # the manager
    act(org, "U0COORD1", lifecycle.waive, number, "credentials", "Kontoen hadde ingen passord")
    view = act(org, "U0COORD1", lifecycle.mark_done, number, "platform_removed")
    assert isinstance(view, lifecycle.ClosureView)
    assert view.missing == (ClosureStepName.FINAL_SNAPSHOT,) and view.open
    assert org.status() == "closing"
    # The final snapshot can be neither ticked nor waived.
    error = refused(org, "U0COORD1", lifecycle.mark_done, number, "final_snapshot")
    assert error.key == "error.lifecycle_snapshot_not_ticked"
    error = refused(org, "U0COORD1", lifecycle.waive, number, "final_snapshot", "Ikke nødvendig")
    assert error.key == "error.lifecycle_snapshot_not_waivable"
    error = refused(org, "U0COORD1", lifecycle.check_waive, number, "final_snapshot")
    assert error.key == "error.lifecycle_snapshot_not_waivable"
    view = act(org, "U0ANNA", lifecycle.check_closure, number)
    assert isinstance(view, lifecycle.ClosureView) and view.open
    # A final snapshot started but holding nothing does not count either.
    final_snapshot(org, link=None)
    view = act(org, "U0ANNA", lifecycle.check_closure, number)
    assert isinstance(view, lifecycle.ClosureView) and view.open
    assert org.status() == "closing" and closure(org, number).finished_at is None


def test_closure_finishes_once_the_final_snapshot_is_archived(org: Org) -> None:
    number = start(org)
    for step in OTHERS:
        act(org, "U0CARL", lifecycle.mark_done, number, step)
    final_snapshot(org)
    with Session(org.engine) as session:
        assert has_final_snapshot(session, org.account(session).id or 0)
    assert all_teams_accounts(org) == ["fb-main"]
    view = act(org, "U0CARL", lifecycle.check_closure, number, now=at(2026, 12, 9, 11))
    assert isinstance(view, lifecycle.ClosureView) and not view.open and view.missing == ()
    with Session(org.engine) as session:
        account = org.account(session)
        assert (account.status, account.closed_on) == ("closed", date(2026, 12, 9))
    row = closure(org, number)
    assert row.open_key is None and row.finished_at is not None
    (flag,) = org.flags()
    assert flag.open_key is None and flag.resolved_at is not None  # its flags are resolved
    # It has left the rotas: /vakt who no longer finds it.
    assert all_teams_accounts(org) == []
    with session_scope(org.engine) as session, pytest.raises(NotFound):
        rota.who(org.ctx(session, MONDAY, "U0ANNA"), "fb-main")
    assert org.sweep(at(2026, 12, 14)) == []  # and is flagged no more
    actions = audit_actions(org)
    assert actions.count(("U0CARL", "closure.step")) == 4
    assert actions[-1] == ("U0CARL", "closure.finish")
    # A closed account's closure takes no more steps.
    error = refused(org, "U0COORD1", lifecycle.mark_done, number, "public_list")
    assert error.key == "error.lifecycle_closure_done"


def all_teams_accounts(org: Org) -> list[str]:
    with Session(org.engine) as session:
        return [a.key for v in all_teams(session) for a in v.accounts]


def test_the_final_step_finishes_the_closure_when_the_snapshot_came_first(org: Org) -> None:
    final_snapshot(org)
    number = start(org)
    for step in OTHERS[:-1]:
        act(org, "U0ANNA", lifecycle.mark_done, number, step)
    assert org.status() == "closing"
    act(org, "U0COORD1", lifecycle.waive, number, OTHERS[-1], "Siden er allerede borte")
    assert org.status() == "closed"


def test_who_may_tick_and_waive(org: Org) -> None:
    number = start(org)
    error = refused(org, "U0STRANGER", lifecycle.mark_done, number, "public_list")
    assert isinstance(error, NotAllowed) and error.key == "error.lifecycle_not_team"
    for who in ("U0ANNA", "U0BOSS"):
        error = refused(org, who, lifecycle.waive, number, "public_list", "Ikke på lista")
        assert isinstance(error, NotAllowed) and error.key == "error.coordinators_only"
    error = refused(org, "U0COORD1", lifecycle.waive, number, "public_list", "  ")
    assert error.key == "error.lifecycle_waive_reason"
    error = refused(org, "U0COORD1", lifecycle.mark_done, number, "lunch")
    assert error.key == "error.lifecycle_bad_step"
    with Session(org.engine) as session:
        assert session.exec(select(AccountClosure)).one().id == number
    # Ticking twice is harmless (a double click).
    act(org, "U0ANNA", lifecycle.mark_done, number, "public_list")
    view = act(org, "U0BO", lifecycle.mark_done, number, "public_list")
    assert isinstance(view, lifecycle.ClosureView)
    assert view.steps["public_list"].done_by == "U0ANNA"


def test_a_coordinator_cancels_a_closure(org: Org) -> None:
    number = start(org)
    error = refused(org, "U0BOSS", lifecycle.cancel_closure, number)
    assert error.key == "error.coordinators_only"
    act(org, "U0COORD1", lifecycle.cancel_closure, number)
    row = closure(org, number)
    assert row.open_key is None and row.cancelled_by == "U0COORD1"
    assert org.status() == "flagged"  # its inactivity flag is still open and not kept
    # A new closure can be started afterwards.
    second = start(org)
    assert second != number and org.status() == "closing"


def test_a_closure_from_a_coverage_flag_is_refused(engine: Engine) -> None:
    org = Org(engine, make_config(register="coverage_members = 4"))
    org.post(at(2026, 12, 4, 12))
    org.sweep(at(2026, 12, 7))
    (flag,) = org.flags()
    assert flag.kind == "coverage" and flag.id is not None
    error = refused(org, "U0COORD1", lifecycle.start_from_flag, flag.id)
    assert error.key == "error.lifecycle_coverage_no_close"


def test_a_requested_or_closed_account_cannot_be_closed(org: Org) -> None:
    with session_scope(org.engine) as session:
        account = org.account(session)
        account.status = "requested"
        session.add(account)
    with pytest.raises(Conflict, match="lifecycle_not_live"):
        start(org)
    with Session(org.engine) as session:
        assert session.exec(select(AccountClosure)).all() == []
        assert session.exec(select(AccountFlag)).one()  # untouched


def test_a_flag_raised_by_another_replica_meanwhile_is_skipped(engine: Engine) -> None:
    org = Org(engine, make_config())
    with session_scope(org.engine) as session:
        account = org.account(session)
        first = lifecycle._raise(
            session, account, FlagKind.INACTIVE, "created:2026-11-02", date(2026, 12, 7), MONDAY
        )
        assert first is not None
        # The same condition raised again (as a second replica would, a moment later): the
        # unique open key refuses it, and the transaction carries on.
        again = lifecycle._raise(
            session, account, FlagKind.INACTIVE, "created:2026-11-02", date(2026, 12, 7), MONDAY
        )
        assert again is None
        ended = lifecycle._raise(session, account, FlagKind.ENDED, None, date(2026, 12, 7), MONDAY)
        assert ended is not None
    assert [(f.kind, f.open_key) for f in org.flags()] == [
        ("inactive", "1:inactive"),
        ("ended", "1:ended"),
    ]


def test_a_date_chosen_in_the_keep_form_wins_over_the_period_select(org: Org) -> None:
    act(org, "U0BOSS", lifecycle.keep_flag, flag_id(org), "Sesong", "3m", date(2027, 2, 1))
    assert org.flags()[0].quiet_until == date(2027, 2, 1)


def test_start_closure_from_a_resolved_flag_is_refused(org: Org) -> None:
    number = flag_id(org)
    org.post(at(2026, 12, 7, 11))
    org.sweep(at(2026, 12, 8))  # the post resolves the flag
    error = refused(org, "U0COORD1", lifecycle.start_from_flag, number)
    assert isinstance(error, Conflict) and error.key == "error.lifecycle_flag_resolved"
    assert org.status() == "active"


def test_a_final_snapshot_left_from_a_cancelled_closure_a_year_ago_does_not_count(
    org: Org,
) -> None:
    final_snapshot(org)  # taken 7 December 2026 for a closure that was then cancelled
    first = start(org)
    act(org, "U0COORD1", lifecycle.cancel_closure, first)
    a_year_later = at(2027, 12, 6, 10)

    def run(ctx: rota.Ctx) -> lifecycle.ClosureView:
        return lifecycle.start_closure(ctx, org.account(ctx.session), "Inaktiv igjen")

    view = act(org, "U0COORD1", run, now=a_year_later)
    assert isinstance(view, lifecycle.ClosureView) and view.closure.id is not None
    assert not view.has_final and view.missing[0] == ClosureStepName.FINAL_SNAPSHOT
    for step in OTHERS:
        act(org, "U0ANNA", lifecycle.mark_done, view.closure.id, step, now=a_year_later)
    assert org.status() == "closing"  # the old snapshot does not close it
