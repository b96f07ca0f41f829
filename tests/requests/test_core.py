"""The pure rules of account requests: the form's checks, whose approval is awaited under
"either" (PG1) and "both" (NB1), and which requests the weekly reminder carries."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from bot.kernel.config import PLATFORMS, Approvals
from bot.kernel.errors import UserInputError
from bot.requests.core import (
    RequestForm,
    Role,
    awaited,
    check_reason,
    due_for_reminder,
    form_problems,
    roles_of,
    targets_for,
)

TODAY = date(2026, 11, 23)
FORM = RequestForm(
    name="Testrud bibliotek",
    platform="instagram",
    kind="page",
    url=None,
    team="komm",
    unit="Biblioteket",
    purpose="Arrangementer og nyheter",
    audience="Lånere",
    dialogue="Svar innen neste virkedag",
    privacy="Ingen personopplysninger",
    resources="To timer i uka",
    plan="Ukentlige innlegg",
    admins=("U0ANNA",),
    substitute="U0BO",
    end_date=None,
)


def test_a_complete_form_has_no_problems() -> None:
    assert form_problems(FORM, TODAY, PLATFORMS) == {}
    assert form_problems(replace(FORM, end_date=date(2027, 6, 30)), TODAY, PLATFORMS) == {}
    assert form_problems(replace(FORM, url="https://x.com/testrud"), TODAY, PLATFORMS) == {}


@pytest.mark.parametrize(
    ("change", "field", "key"),
    [
        ({"name": "  "}, "name", "request.error.required"),
        ({"unit": ""}, "unit", "request.error.required"),
        ({"purpose": ""}, "purpose", "request.error.required"),
        ({"plan": " "}, "plan", "request.error.required"),
        ({"privacy": "x" * 2001}, "privacy", "request.error.too_long"),
        ({"platform": None}, "platform", "request.error.platform"),
        ({"platform": "myspace"}, "platform", "request.error.platform"),
        ({"kind": "club"}, "kind", "request.error.kind"),
        ({"url": "www.facebook.com/x"}, "url", "request.error.url"),
        ({"team": None}, "team", "request.error.team"),
        ({"admins": ()}, "admins", "request.error.admins"),
        (
            {"admins": tuple(f"U0P{i:03d}" for i in range(11))},
            "admins",
            "request.error.too_many_admins",
        ),
        ({"substitute": None}, "substitute", "request.error.substitute"),
        ({"substitute": "U0ANNA"}, "substitute", "request.error.substitute_only_admin"),
        ({"end_date": TODAY}, "end_date", "request.error.end_date"),
        ({"end_date": date(2026, 1, 1)}, "end_date", "request.error.end_date"),
    ],
)
def test_each_problem_is_told_on_its_field(change: dict[str, object], field: str, key: str) -> None:
    problems = form_problems(replace(FORM, **change), TODAY, PLATFORMS)  # type: ignore[arg-type]
    assert list(problems) == [field]
    assert problems[field].key == key


def test_the_substitute_may_be_one_of_several_administrators() -> None:
    form = replace(FORM, admins=("U0ANNA", "U0BO"), substitute="U0BO")
    assert form_problems(form, TODAY, PLATFORMS) == {}


def test_a_decline_needs_a_reason() -> None:
    assert check_reason("  Dekkes av hovedsiden ") == "Dekkes av hovedsiden"
    for empty in (None, "", "   "):
        with pytest.raises(UserInputError) as caught:
            check_reason(empty)
        assert caught.value.key == "request.error.reason"


def test_roles() -> None:
    assert roles_of("U0C", is_coordinator=True, manager="U0BOSS") == {Role.COORDINATOR}
    assert roles_of("U0BOSS", is_coordinator=False, manager="U0BOSS") == {Role.MANAGER}
    assert roles_of("U0BOSS", is_coordinator=True, manager="U0BOSS") == set(Role)
    assert roles_of("U0ANNA", is_coordinator=False, manager="U0BOSS") == set()
    assert roles_of("U0ANNA", is_coordinator=False, manager=None) == set()


def test_either_one_approval_is_enough() -> None:
    def left(
        coordinator: str | None, manager: str | None, has_manager: bool = True
    ) -> tuple[Role, ...]:
        return awaited(
            Approvals.EITHER,
            has_manager=has_manager,
            coordinator_by=coordinator,
            manager_by=manager,
        )

    assert left(None, None) == (Role.COORDINATOR, Role.MANAGER)
    assert left(None, None, has_manager=False) == (Role.COORDINATOR,)
    assert left("U0C", None) == ()
    assert left(None, "U0BOSS") == ()


def test_both_need_the_coordinator_and_the_manager() -> None:
    def left(
        coordinator: str | None, manager: str | None, has_manager: bool = True
    ) -> tuple[Role, ...]:
        return awaited(
            Approvals.BOTH, has_manager=has_manager, coordinator_by=coordinator, manager_by=manager
        )

    assert left(None, None) == (Role.COORDINATOR, Role.MANAGER)
    assert left(None, "U0BOSS") == (Role.COORDINATOR,)
    assert left("U0C", None) == (Role.MANAGER,)
    assert left("U0C", "U0BOSS") == ()
    # A team without a manager: a coordinator's approval suffices.
    assert left(None, None, has_manager=False) == (Role.COORDINATOR,)
    assert left("U0C", None, has_manager=False) == ()


def test_reminders_skip_requests_made_the_same_week() -> None:
    tuesday = date(2026, 11, 24)  # the slot when Monday is a holiday
    assert due_for_reminder(date(2026, 11, 22), tuesday)  # Sunday of the week before
    assert not due_for_reminder(date(2026, 11, 23), tuesday)  # Monday of this week
    assert not due_for_reminder(date(2026, 11, 24), tuesday)


def test_targets_are_the_awaited_deciders_once_each() -> None:
    both = (Role.COORDINATOR, Role.MANAGER)
    assert targets_for(both, ["C0COMMS"], "U0BOSS") == ["C0COMMS", "U0BOSS"]
    assert targets_for((Role.MANAGER,), ["C0COMMS"], "U0BOSS") == ["U0BOSS"]
    assert targets_for((Role.COORDINATOR,), ["U0C1", "U0C2"], "U0BOSS") == ["U0C1", "U0C2"]
    assert targets_for(both, ["U0C1", "U0BOSS"], "U0BOSS") == ["U0C1", "U0BOSS"]
    assert targets_for(both, ["C0COMMS"], None) == ["C0COMMS"]
