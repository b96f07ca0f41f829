"""Requests for new accounts as plain functions (PG1, PG3, KG6, NB1): what the form must answer,
who decides, whose approval is still awaited, and which requests a weekly reminder carries.

Nothing here reads the clock or the database: the services pass `today` and the facts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from bot.kernel.config import AccountKind, Approvals
from bot.kernel.errors import UserInputError


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class Role(StrEnum):
    """The two who decide on a new account: the comms unit and the team's manager."""

    COORDINATOR = "coordinator"
    MANAGER = "manager"


NAME_LIMIT = 200  # the account's name and the owning unit
TEXT_LIMIT = 2000  # each of the long answers
URL_LIMIT = 500
REASON_LIMIT = 500
MAX_ADMINS = 10
RECENT_DAYS = 30  # `/vakt requests` shows the decisions this recent
SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,19}$")

# The questions the seeds ask before an account is made (PG3, KG6), in the form's order.
ANSWERS = ("purpose", "audience", "dialogue", "privacy", "resources", "plan")


@dataclass(frozen=True)
class RequestForm:
    """The answers of the request form, as typed."""

    name: str
    platform: str | None
    kind: str | None
    url: str | None
    team: str | None  # a team key
    unit: str
    purpose: str
    audience: str
    dialogue: str
    privacy: str
    resources: str
    plan: str
    admins: tuple[str, ...]
    substitute: str | None
    end_date: date | None


def _required(value: str, limit: int) -> UserInputError | None:
    if not value.strip():
        return UserInputError("request.error.required")
    if len(value.strip()) > limit:
        return UserInputError("request.error.too_long", max=limit)
    return None


def check_url(raw: str | None) -> str | None:
    """The address of an account that exists already (None: not made yet)."""
    if raw is None or not raw.strip():
        return None
    url = raw.strip()
    if not url.startswith(("https://", "http://")) or " " in url or len(url) > URL_LIMIT:
        raise UserInputError("request.error.url", value=url[:80])
    return url


def form_problems(
    form: RequestForm, today: date, platforms: Sequence[str]
) -> dict[str, UserInputError]:
    """What is wrong with a request form, by field (empty: it can be stored)."""
    problems: dict[str, UserInputError] = {}
    for name, value, limit in (
        ("name", form.name, NAME_LIMIT),
        ("unit", form.unit, NAME_LIMIT),
        *((answer, str(getattr(form, answer)), TEXT_LIMIT) for answer in ANSWERS),
    ):
        problem = _required(value, limit)
        if problem is not None:
            problems[name] = problem
    if form.platform not in platforms:
        problems["platform"] = UserInputError("request.error.platform")
    if form.kind not in tuple(AccountKind):
        problems["kind"] = UserInputError("request.error.kind")
    try:
        check_url(form.url)
    except UserInputError as error:
        problems["url"] = error
    if not form.team:
        problems["team"] = UserInputError("request.error.team")
    admins = tuple(dict.fromkeys(form.admins))
    if not admins:
        problems["admins"] = UserInputError("request.error.admins")
    elif len(admins) > MAX_ADMINS:
        problems["admins"] = UserInputError("request.error.too_many_admins", max=MAX_ADMINS)
    elif not all(SLACK_USER.match(user) for user in admins):
        problems["admins"] = UserInputError("request.error.admins")
    if not form.substitute or not SLACK_USER.match(form.substitute):
        problems["substitute"] = UserInputError("request.error.substitute")
    elif admins == (form.substitute,):
        # NB4, KG1: somebody else must cover when the only administrator is away.
        problems["substitute"] = UserInputError("request.error.substitute_only_admin")
    if form.end_date is not None and form.end_date <= today:
        problems["end_date"] = UserInputError("request.error.end_date")
    return problems


def check_reason(reason: str | None) -> str:
    """A decline's reason: required, the requester is told it."""
    text = (reason or "").strip()
    if not text:
        raise UserInputError("request.error.reason")
    if len(text) > REASON_LIMIT:
        raise UserInputError("request.error.too_long", max=REASON_LIMIT)
    return text


def roles_of(actor: str, *, is_coordinator: bool, manager: str | None) -> frozenset[Role]:
    """The roles in which someone may decide a request: coordinator, the team's manager."""
    roles: set[Role] = set()
    if is_coordinator:
        roles.add(Role.COORDINATOR)
    if manager and actor == manager:
        roles.add(Role.MANAGER)
    return frozenset(roles)


def awaited(
    approvals: Approvals,
    *,
    has_manager: bool,
    coordinator_by: str | None,
    manager_by: str | None,
) -> tuple[Role, ...]:
    """Whose approval a pending request still waits for; empty when it is approved.

    "either" (PG1): one approval by a coordinator or the team's manager is enough. "both"
    (NB1): a coordinator and the team's manager; a team without a manager needs a coordinator.
    """
    needed = (Role.COORDINATOR, Role.MANAGER) if has_manager else (Role.COORDINATOR,)
    given = {Role.COORDINATOR: coordinator_by, Role.MANAGER: manager_by}
    if approvals == Approvals.EITHER:
        return () if any(given.values()) else needed
    return tuple(role for role in needed if not given[role])


def week_monday(day: date) -> date:
    """The Monday of the ISO week holding `day`."""
    return day - timedelta(days=day.weekday())


def due_for_reminder(made_on: date, slot_day: date) -> bool:
    """A pending request is reminded in the week's slot unless it was made that same week
    (its deciders were told of it only days ago)."""
    return made_on < week_monday(slot_day)


def targets_for(
    awaited_roles: Iterable[Role], coordinator_targets: Sequence[str], manager: str | None
) -> list[str]:
    """Where the deciders still awaited are reached: the coordinators' channel (or each
    coordinator) and the team's manager, once each."""
    roles = set(awaited_roles)
    targets: list[str] = []
    if Role.COORDINATOR in roles:
        targets.extend(coordinator_targets)
    if Role.MANAGER in roles and manager:
        targets.append(manager)
    return list(dict.fromkeys(targets))
