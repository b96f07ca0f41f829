"""The home's pure decisions: duty now and next from a team's days (absences and covers
applied), clipping, the debounce, the back-off after a 429, and what counts as a change."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.home import core as home
from bot.kernel.config import parse_config
from bot.rota import core as r
from tests.harness import CONFIG

CAL = parse_config(CONFIG, "vakt.toml").calendar()
TEAM = r.TeamRota("komm", ("A", "B", "C"), r.Rotation.WEEKLY, date(2026, 11, 2))


def days_from(
    start: date,
    absences: tuple[r.Absence, ...] = (),
    overrides: tuple[r.Override, ...] = (),
) -> list[r.Duty]:
    days = CAL.working_days_between(start, start + timedelta(days=7 * 8))
    return [r.duty_on(TEAM, d, CAL, absences, overrides) for d in days]


MONDAY = date(2026, 11, 23)  # week 48: A on duty, B substitutes


def test_on_duty_now_until_the_end_of_the_week_and_next_as_substitute() -> None:
    state = home.duty_now_and_next(days_from(MONDAY), "A", MONDAY)
    assert state.now == home.Spell(3, "primary", MONDAY, date(2026, 11, 27))
    # Week 50 (index 5): C on duty, A substitutes.
    assert state.next == home.Spell(5, "substitute", date(2026, 12, 7), date(2026, 12, 11))


def test_substitute_now_and_primary_next_week() -> None:
    state = home.duty_now_and_next(days_from(MONDAY), "B", MONDAY)
    assert state.now is not None and state.now.role == "substitute"
    assert state.next is not None and (state.next.role, state.next.first) == (
        "primary",
        date(2026, 11, 30),
    )


def test_an_absence_moves_the_next_duty_and_a_cover_mid_week_is_next_not_now() -> None:
    away = (r.Absence("A", date(2026, 12, 7), date(2026, 12, 11)),)
    state = home.duty_now_and_next(days_from(MONDAY, away), "A", MONDAY)
    assert state.next is not None and state.next.first == date(2026, 12, 14)  # week 51
    # C covers B from Wednesday: C is not on duty today, but later this very week.
    cover = (r.Override(r.OverrideKind.COVER, "C", "B", date(2026, 11, 25), date(2026, 11, 27)),)
    state = home.duty_now_and_next(days_from(MONDAY, (), cover), "C", MONDAY)
    assert state.now is None
    assert state.next == home.Spell(3, "substitute", date(2026, 11, 25), date(2026, 11, 27))


def test_someone_outside_the_rota_has_no_duty() -> None:
    state = home.duty_now_and_next(days_from(MONDAY), "Z", MONDAY)
    assert state == home.DutyNow(None, None)


def test_clip_keeps_the_total() -> None:
    listing = home.clip(range(12), 5)
    assert (listing.rows, listing.total, listing.more) == ((0, 1, 2, 3, 4), 12, 7)
    assert home.clip([1, 2], 5, total=40).more == 38


def test_the_hash_ignores_the_refresh_time_and_notices_only() -> None:
    def view(updated: str, notice: str | None, body: str) -> dict[str, object]:
        blocks = [{"type": "section", "block_id": "home-items", "text": body}]
        if notice:
            blocks.insert(0, {"type": "context", "block_id": "home-notice", "text": notice})
        blocks.append({"type": "context", "block_id": "home-updated", "text": updated})
        return {"type": "home", "blocks": blocks}

    same = home.view_hash(view("10:00", None, "#1"))
    assert home.view_hash(view("10:05", "done", "#1")) == same
    assert home.view_hash(view("10:00", None, "#2")) != same


def test_debounce_and_back_off() -> None:
    now = datetime(2026, 11, 23, 9, tzinfo=UTC)
    assert home.may_publish(None, now, home.DEBOUNCE)
    assert not home.may_publish(now - timedelta(seconds=119), now, home.DEBOUNCE)
    assert home.may_publish(now - home.DEBOUNCE, now, home.DEBOUNCE)
    assert home.backing_off([None, now + timedelta(seconds=1)], now)
    assert not home.backing_off([None, now, now - timedelta(minutes=1)], now)
