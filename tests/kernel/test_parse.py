"""Reading dates, weeks and mentions the way people type them in nb, sv and en."""

from __future__ import annotations

from datetime import date

import pytest

from bot.kernel.errors import UserInputError
from bot.kernel.parse import channel_id, parse_range, tokens, user_id

TODAY = date(2026, 11, 21)  # a Saturday in ISO week 47


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-12-24", date(2026, 12, 24), date(2026, 12, 24)),
        ("2026-12-24 2026-12-31", date(2026, 12, 24), date(2026, 12, 31)),
        ("24.12.2026", date(2026, 12, 24), date(2026, 12, 24)),
        ("24.12", date(2026, 12, 24), date(2026, 12, 24)),
        ("3.1", date(2027, 1, 3), date(2027, 1, 3)),  # a day already passed this year: next year
        ("today", TODAY, TODAY),
        ("i dag", TODAY, TODAY),
        ("idag", TODAY, TODAY),
        ("tomorrow", date(2026, 11, 22), date(2026, 11, 22)),
        ("i morgen", date(2026, 11, 22), date(2026, 11, 22)),
        ("imorgon", date(2026, 11, 22), date(2026, 11, 22)),
        ("v51", date(2026, 12, 14), date(2026, 12, 20)),
        ("uke 51", date(2026, 12, 14), date(2026, 12, 20)),
        ("vecka 51", date(2026, 12, 14), date(2026, 12, 20)),
        ("w51", date(2026, 12, 14), date(2026, 12, 20)),
        ("week 51", date(2026, 12, 14), date(2026, 12, 20)),
        ("2027-W02", date(2027, 1, 11), date(2027, 1, 17)),
        ("v2", date(2027, 1, 11), date(2027, 1, 17)),  # week 2 has passed this year
        ("v47", date(2026, 11, 16), date(2026, 11, 22)),  # the current week still counts
        ("uke 51 uke 52", date(2026, 12, 14), date(2026, 12, 27)),
        ("tomorrow 2026-11-30", date(2026, 11, 22), date(2026, 11, 30)),
    ],
)
def test_ranges(text: str, start: date, end: date) -> None:
    found, used = parse_range(tokens(text), 0, TODAY)
    assert (found.start, found.end) == (start, end)
    assert used == len(tokens(text))


def test_range_stops_before_the_reason() -> None:
    words = tokens("2026-12-24 2026-12-31 ferie med familien")
    found, used = parse_range(words, 0, TODAY)
    assert found.end == date(2026, 12, 31) and words[used:] == ["ferie", "med", "familien"]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("2026-13-01", "error.bad_date"),
        ("31.02.2027", "error.bad_date"),
        ("v54", "error.bad_week"),
        ("ferie", "error.missing_date"),
        ("", "error.missing_date"),
        ("2026-12-24 32.12", "error.bad_date"),
    ],
)
def test_bad_dates(text: str, key: str) -> None:
    with pytest.raises(UserInputError) as caught:
        parse_range(tokens(text), 0, TODAY)
    assert caught.value.key == key


def test_mentions() -> None:
    assert user_id("<@U0ANNA|anna>") == "U0ANNA"
    assert user_id("<@W0123ABC>") == "W0123ABC"
    assert user_id("@anna") is None
    assert channel_id("<#C0TEAM1|komm>") == "C0TEAM1"
    assert channel_id("#komm") is None
    assert tokens("away <@U0ANNA|Anna Berg> v51") == ["away", "<@U0ANNA|Anna Berg>", "v51"]
