"""Calendar links on real tables (SQLite and PostgreSQL): derived tokens stored only as hashes,
renewal and revocation with the audit log, who may open which feed, at most one write an hour
per link, and feeds that agree day by day with `/vakt rota` under absences and covers."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from typing import Any

import icalendar
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.feeds import service as feeds
from bot.kernel.config import parse_config
from bot.kernel.context import Ctx
from bot.kernel.errors import NotAllowed
from bot.kernel.parse import DateRange
from bot.register.sync import apply_config
from bot.rota import service as rota
from bot.rota.core import AbsenceKind
from bot.rota.teams import team_views
from bot.store.db import session_scope
from bot.store.models import AuditLog, CalendarFeed
from tests.harness import CONFIG, OSLO

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=OSLO)  # Monday, week 48
KEYS = feeds.FeedKeys("https://vakt.testrud.no", b"a-feed-secret-of-enough-length-123")
TEAMS = (
    CONFIG
    + """
[[team]]
key = "kultur"
name = "Kultur"
channel = "C0TEAM2"
members = ["U0DINA", "U0EIR"]
rotation = "weekly"
start = "2026-11-02"
"""
)


class Org:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.config = parse_config(TEAMS, "vakt.toml")
        self.calendar = self.config.calendar()
        with session_scope(engine) as session:
            apply_config(session, self.config, NOW)

    def ctx(self, session: Session, actor: str, now: datetime = NOW) -> Ctx:
        return Ctx(session, self.config, self.calendar, now, actor, feed_keys=KEYS)

    def links(self, actor: str, renew: bool = False) -> feeds.Links:
        with session_scope(self.engine) as session:
            ctx = self.ctx(session, actor)
            return feeds.renew(ctx, KEYS) if renew else feeds.my_links(ctx, KEYS)

    def fetch(
        self,
        token: str,
        team: str | None = None,
        now: datetime = NOW,
        keys: feeds.FeedKeys = KEYS,
    ) -> bytes | None:
        with session_scope(self.engine) as session:
            return feeds.fetch(session, keys, self.config, self.calendar, now, token, team)

    def rows(self) -> list[CalendarFeed]:
        with Session(self.engine) as session:
            return list(session.exec(select(CalendarFeed).order_by(col(CalendarFeed.id))).all())

    def audit(self) -> list[AuditLog]:
        with Session(self.engine) as session:
            rows = session.exec(select(AuditLog).order_by(col(AuditLog.id))).all()
            return [r for r in rows if r.action.startswith("calendar.")]


def token_of(url: str) -> str:
    path = url.removeprefix(KEYS.base_url)
    parsed = feeds.parse_path(path)
    assert parsed is not None, url
    return parsed[0]


@pytest.fixture
def org(engine: Engine) -> Org:
    return Org(engine)


def test_a_link_is_derived_and_only_its_hash_is_stored(org: Org) -> None:
    links = org.links("U0ANNA")
    assert links.created
    token = token_of(links.person)
    assert links.person == f"https://vakt.testrud.no/calendar/{token}.ics"
    assert [(v.team.key, token_of(url)) for v, url in links.teams] == [("komm", token)]
    (row,) = org.rows()
    assert row.user_id == "U0ANNA" and row.revoked_at is None
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert feeds.derive_token(KEYS, "U0ANNA", row.nonce) == token
    # Nothing in the database holds the token itself.
    with Session(org.engine) as session:
        stored = [str(r) for r in session.exec(select(CalendarFeed)).all()]
        stored += [f"{r.before} {r.after}" for r in session.exec(select(AuditLog)).all()]
    assert not any(token in text for text in stored)
    # Asked again: the same link, no new row.
    assert org.links("U0ANNA").person == links.person and not org.links("U0ANNA").created
    assert len(org.rows()) == 1
    assert [(a.action, a.actor, a.target) for a in org.audit()] == [
        ("calendar.create", "U0ANNA", "U0ANNA")
    ]


def test_only_a_live_token_made_with_this_secret_opens_a_feed(org: Org) -> None:
    token = token_of(org.links("U0ANNA").person)
    body = org.fetch(token)
    assert body is not None and body.startswith(b"BEGIN:VCALENDAR\r\n")
    other = feeds.derive_token(KEYS, "U0ANNA", "another-nonce")
    for wrong in ("", "x", token[:-1], token + "A", token.upper(), other, "../" + token[3:]):
        assert org.fetch(wrong) is None, wrong
    # Another secret (VAKT_FEED_SECRET changed): the row is there, the link opens nothing.
    assert org.fetch(token, keys=feeds.FeedKeys(KEYS.base_url, b"another-secret")) is None


def test_renewing_kills_the_old_link_and_revoking_kills_the_new(org: Org) -> None:
    old = token_of(org.links("U0ANNA").person)
    new_links = org.links("U0ANNA", renew=True)
    new = token_of(new_links.person)
    assert new != old and new_links.created
    assert org.fetch(old) is None and org.fetch(new) is not None
    with session_scope(org.engine) as session:
        assert feeds.revoke(org.ctx(session, "U0ANNA"), "U0ANNA") == 1
    assert org.fetch(new) is None
    assert [(r.revoked_by, r.revoked_at is not None) for r in org.rows()] == [
        ("U0ANNA", True),
        ("U0ANNA", True),
    ]
    assert [a.action for a in org.audit()] == [
        "calendar.create",
        "calendar.revoke",
        "calendar.create",
        "calendar.revoke",
    ]
    # Asking again after a revocation issues a third link.
    third = token_of(org.links("U0ANNA").person)
    assert third not in (old, new) and org.fetch(third) is not None


def test_coordinators_revoke_anyones_link_others_only_their_own(org: Org) -> None:
    token = token_of(org.links("U0ANNA").person)
    with pytest.raises(NotAllowed), session_scope(org.engine) as session:
        feeds.revoke(org.ctx(session, "U0BO"), "U0ANNA")
    assert org.fetch(token) is not None
    assert [a.action for a in org.audit()] == ["calendar.create"]
    with session_scope(org.engine) as session:
        assert feeds.revoke(org.ctx(session, "U0COORD1"), "U0ANNA") == 1
        assert feeds.revoke(org.ctx(session, "U0COORD1"), "U0BO") == 0
    assert org.fetch(token) is None
    revoked = org.audit()[-1]
    assert (revoked.action, revoked.actor, revoked.target) == (
        "calendar.revoke",
        "U0COORD1",
        "U0ANNA",
    )


def test_team_feeds_open_for_members_and_coordinators(org: Org) -> None:
    anna = token_of(org.links("U0ANNA").person)
    assert org.fetch(anna, "komm") is not None
    assert org.fetch(anna, "kultur") is None  # not her team: the same answer as a bad token
    assert org.fetch(anna, "nosuch") is None
    coordinator = org.links("U0COORD1")
    assert [v.team.key for v, _ in coordinator.teams] == ["komm", "kultur"]
    token = token_of(coordinator.person)
    assert org.fetch(token, "kultur") is not None
    # A coordinator on no team has an empty personal feed, still a valid calendar.
    mine = icalendar.Calendar.from_ical(org.fetch(token) or b"")
    assert list(mine.walk("VEVENT")) == []


def test_a_fetch_is_recorded_at_most_once_an_hour(org: Org) -> None:
    token = token_of(org.links("U0ANNA").person)
    assert org.rows()[0].last_fetched_at is None
    org.fetch(token, now=NOW)
    org.fetch(token, now=NOW + timedelta(minutes=59))
    assert org.rows()[0].last_fetched_at == NOW
    later = NOW + timedelta(hours=1, minutes=5)
    org.fetch(token, now=later)
    assert org.rows()[0].last_fetched_at == later


def _days(body: bytes, team: str = "") -> dict[date, dict[str, Any]]:
    """Each day an event (of one team) covers, with its summary and description lines."""
    days: dict[date, dict[str, Any]] = {}
    for event in icalendar.Calendar.from_ical(body).walk("VEVENT"):
        if team not in str(event["SUMMARY"]):
            continue
        day, end = event.decoded("DTSTART"), event.decoded("DTEND")
        while day < end:
            assert day not in days, f"two events on {day}"
            days[day] = {
                "summary": str(event["SUMMARY"]),
                "lines": str(event["DESCRIPTION"]).split("\n"),
            }
            day += timedelta(days=1)
    return days


def test_the_feeds_and_vakt_rota_agree_under_absences_and_covers(org: Org) -> None:
    with session_scope(org.engine) as session:
        anna = org.ctx(session, "U0ANNA")
        rota.add_absence(
            anna,
            "U0ANNA",
            DateRange(date(2026, 11, 25), date(2026, 11, 26)),
            AbsenceKind.SICK,
            "kneoperasjon",
        )
        coordinator = org.ctx(session, "U0COORD1")
        rota.add_cover(
            coordinator, "U0DINA", "U0BO", DateRange(date(2026, 12, 1), date(2026, 12, 3))
        )
    anna_token = token_of(org.links("U0ANNA").person)
    team = org.fetch(anna_token, "komm")
    mine = org.fetch(anna_token)
    dina = org.fetch(token_of(org.links("U0DINA").person))
    assert team is not None and mine is not None and dina is not None
    for body in (team, mine, dina):
        text = body.decode()
        assert "kneoperasjon" not in text and "sick" not in text.lower()
    team_days, my_days, dina_days = _days(team), _days(mine), _days(dina, "Kommunikasjon")

    with session_scope(org.engine) as session:
        ctx = org.ctx(session, "U0ANNA")
        view = next(v for v in team_views(ctx) if v.team.key == "komm")
        plans = rota.plan(ctx, view, rota.MAX_WEEKS)
    checked = 0
    for plan in plans:
        assert plan.planned is not None
        changed = {d.day: d for d in plan.changes}
        for day in plan.working_days:
            duty = changed.get(day, plan.planned)
            primary, substitute = duty.primary, duty.substitute
            lines = team_days[day]["lines"]
            assert lines[:2] == [f"On duty: @{primary}", f"Substitute: @{substitute}"], day
            role = (
                "primary"
                if primary == "U0ANNA"
                else "substitute"
                if substitute == "U0ANNA"
                else None
            )
            if role is None:
                assert day not in my_days, day
            else:
                assert my_days[day]["summary"].endswith(f": Kommunikasjon ({role})"), day
            checked += 1
    assert checked > 100  # half a year of working days
    # Anna's sick days went to Bo (primary) and Carl; Dina covers Bo, on another team's feed.
    assert date(2026, 11, 25) not in my_days and date(2026, 11, 24) in my_days
    assert team_days[date(2026, 11, 25)]["lines"][:2] == ["On duty: @U0BO", "Substitute: @U0CARL"]
    assert dina_days[date(2026, 12, 2)]["summary"] == "Duty week 49: Kommunikasjon (primary)"
    assert team_days[date(2026, 12, 2)]["lines"][:2] == ["On duty: @U0DINA", "Substitute: @U0CARL"]
    # The week numbers in the titles are the ISO weeks of the days.
    for day, event in team_days.items():
        assert str(day.isocalendar().week) in event["summary"].split(":")[0], day


def test_paths_and_log_lines() -> None:
    token = feeds.derive_token(KEYS, "U0ANNA", "n")
    assert feeds.parse_path(f"/calendar/{token}.ics") == (token, None)
    assert feeds.parse_path(f"/calendar/{token}/komm.ics") == (token, "komm")
    for bad in (f"/calendar/{token}", f"/calendar/{token}/KOMM.ics", f"/calendar/{token}.ics/x"):
        assert feeds.parse_path(bad) is None, bad
    line = f'10.0.0.1 "GET /calendar/{token}/komm.ics HTTP/1.1" 200 812 0.01s'
    assert feeds.redact(line) == '10.0.0.1 "GET /calendar/[redacted] HTTP/1.1" 200 812 0.01s'
    assert token not in feeds.redact(f"//Calendar/{token}.ics?x=1")
