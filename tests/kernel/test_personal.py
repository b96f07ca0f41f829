"""Personal data in free text: what `scrub` (and so every stored excerpt) leaves out, and what it
must leave alone."""

from __future__ import annotations

from calendar import monthrange

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.items.core import excerpt_of
from bot.kernel.personal import PLACEHOLDER, scrub

# ---------------------------------------------------------------- generators

digit = st.sampled_from("0123456789")


def digits(n: int) -> st.SearchStrategy[str]:
    return st.text(digit, min_size=n, max_size=n)


separator = st.sampled_from([" ", "-", "\u00a0", " - ", "\u2013"])

# Norwegian subscriber numbers: mobiles start 4 or 9, landlines 2, 3, 5, 6 or 7, and 800 numbers
# are free to call (the first digits as handed out, so a year range or a date is never one).
NORWEGIAN_STARTS = [
    *range(40, 49), *range(90, 100), 21, 22, 23, 24, 32, 33, 35, 37, 38, 51, 52, 55, 56, 57,
    61, 62, 63, 64, 67, 69, *range(70, 79), 80,
]  # fmt: skip
norwegian_start = st.sampled_from([str(n) for n in NORWEGIAN_STARTS])
GROUPINGS = [(8,), (2, 2, 2, 2), (3, 2, 3), (4, 4), (3, 5)]


@st.composite
def norwegian_numbers(draw: st.DrawFn) -> str:
    number = draw(norwegian_start) + draw(digits(6))
    grouping = draw(st.sampled_from(GROUPINGS))
    sep = draw(st.sampled_from([" ", "-", "\u00a0", "."]))
    if grouping == (3, 5):
        sep = " "
    parts, at = [], 0
    for size in grouping:
        parts.append(number[at : at + size])
        at += size
    prefix = draw(st.sampled_from(["", "+47 ", "+47", "0047 ", "0047", "(+47) ", "+47-"]))
    return prefix + sep.join(parts)


@st.composite
def swedish_numbers(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["mobile", "stockholm", "gothenburg", "small"]))
    if kind == "mobile":
        area, rest = "07" + draw(st.sampled_from("02369")), draw(digits(7))
        subscriber = draw(
            st.sampled_from([f"{rest[:3]} {rest[3:5]} {rest[5:]}", rest, f"{rest[:3]} {rest[3:]}"])
        )
    elif kind == "stockholm":
        area, rest = "08", draw(digits(8))
        subscriber = draw(
            st.sampled_from(
                [
                    f"{rest[:3]} {rest[3:6]} {rest[6:]}",
                    rest,
                    f"{rest[:2]} {rest[2:4]} {rest[4:6]} {rest[6:]}",
                ]
            )
        )
    elif kind == "gothenburg":
        area, rest = "031", draw(digits(6))
        subscriber = f"{rest[:2]} {rest[2:4]} {rest[4:]}"
    else:
        area, rest = "0" + draw(st.sampled_from(["480", "621", "910", "152"])), draw(digits(5))
        subscriber = f"{rest[:3]} {rest[3:]}"
    style = draw(st.sampled_from(["national", "compact", "plus", "plus-trunk", "00", "paren"]))
    if style == "national":
        return f"{area}{draw(st.sampled_from(['-', ' ', ' - ', '/']))}{subscriber}"
    if style == "compact":
        return area + subscriber.replace(" ", "")
    if style == "plus":
        return f"+46 {area[1:]} {subscriber}"
    if style == "plus-trunk":
        return f"+46 (0){area[1:]}-{subscriber}"
    if style == "paren":
        return f"({area}) {subscriber}"
    return f"0046 {area[1:]} {subscriber}"


@st.composite
def international_numbers(draw: st.DrawFn) -> str:
    country = draw(st.sampled_from(["1", "44", "45", "49", "354", "358", "33", "48", "372"]))
    size = draw(st.integers(min_value=max(7 - len(country), 6), max_value=15 - len(country)))
    number = draw(digits(size).filter(lambda d: d[0] != "0"))
    parts, at = [], 0
    while at < len(number):
        step = draw(st.integers(min_value=2, max_value=4))
        parts.append(number[at : at + step])
        at += step
    sep = draw(st.sampled_from([" ", "-", ".", ""]))
    lead = draw(st.sampled_from(["+", "00", "(+"]))
    head = f"{lead}{country})" if lead == "(+" else f"{lead}{country}"
    return f"{head} {sep.join(parts)}"


@st.composite
def birth_dates(draw: st.DrawFn) -> tuple[int, int, int]:
    year = draw(st.integers(min_value=1900, max_value=2026))
    month = draw(st.integers(min_value=1, max_value=12))
    day = draw(st.integers(min_value=1, max_value=monthrange(year, month)[1]))
    return year, month, day


@st.composite
def fodselsnummer(draw: st.DrawFn) -> str:
    year, month, day = draw(birth_dates())
    kind = draw(st.sampled_from(["plain", "d", "h"]))
    day += 40 if kind == "d" else 0
    month += 40 if kind == "h" else 0
    birth = f"{day:02}{month:02}{year % 100:02}"
    return birth + draw(st.sampled_from(["", " ", "\u00a0"])) + draw(digits(5))


@st.composite
def personnummer(draw: st.DrawFn) -> str:
    year, month, day = draw(birth_dates())
    day += 60 if draw(st.booleans()) else 0  # samordningsnummer
    long = draw(st.booleans())
    birth = f"{year if long else year % 100:02}{month:02}{day:02}"
    return birth + draw(st.sampled_from(["-", "+", ""])) + draw(digits(4))


slack_phone = st.builds(
    lambda n: f"<tel:{n.replace(' ', '')}|{n}>", st.one_of(norwegian_numbers(), swedish_numbers())
)
slack_mail = st.builds(lambda a: f"<mailto:{a}|{a}>", st.emails())
personal_data = st.one_of(
    norwegian_numbers(),
    swedish_numbers(),
    international_numbers(),
    fodselsnummer(),
    personnummer(),
    st.emails(),
    slack_mail,
    slack_phone,
)

# Text around it without digits, @ or +, so whatever digit or @ is left came from the datum.
words = st.text(
    st.characters(
        codec="utf-8",
        categories=("L", "Zs"),
        include_characters="().,;:!?'\"«»-/\n",
        exclude_characters="@+",
    ),
    max_size=40,
)
before_punctuation = st.sampled_from(["", "(", "«", '"', "tlf:", "tlf.", "Tel. ", "nr. ", "- "])
after_punctuation = st.sampled_from(["", ")", "»", '"', ".", ",", "!", "?", ";", ":", " ."])


# ---------------------------------------------------------------- never kept


@given(
    before=words, left=before_punctuation, datum=personal_data, right=after_punctuation, after=words
)
@example(before="Ring ", left="", datum="99887766", right=",", after=" mail ola@example.no")
def test_personal_data_never_survives(
    before: str, left: str, datum: str, right: str, after: str
) -> None:
    text = f"{before} {left}{datum}{right} {after}"
    for kept in (scrub(text), excerpt_of(text, 10_000) or ""):
        assert not any(c.isdigit() for c in kept), (text, kept)
        assert "@" not in kept, (text, kept)
    assert PLACEHOLDER in (excerpt_of(text, 10_000) or "")


@given(
    first=personal_data,
    second=personal_data,
    glue=st.sampled_from([", ", " / ", " eller ", " or ", "\n"]),
)
def test_two_in_a_row_are_both_left_out(first: str, second: str, glue: str) -> None:
    kept = scrub(f"{first}{glue}{second}")
    assert not any(c.isdigit() for c in kept) and "@" not in kept, kept


@pytest.mark.parametrize(
    "datum",
    [
        "99887766",
        "998 87 766",
        "99 88 77 66",
        "9988 7766",
        "998-87-766",
        "22 12 34 56",
        "800 12 345",
        "+47 998 87 766",
        "+4799887766",
        "0047 998 87 766",
        "(+47) 99887766",
        "070-123 45 67",
        "070-1234567",
        "0701234567",
        "08-123 456 78",
        "08-12 34 56",
        "031-12 34 56",
        "0480-123 45",
        "(08) 123 456 78",
        "+46 70 123 45 67",
        "+46 (0)70-123 45 67",
        "+44 20 7946 0958",
        "+1 555 123 4567",
        "+358 40 123 4567",
        "01019012345",
        "010190 12345",
        "410190 12345",  # D-nummer
        "19900101-1234",
        "900101-1234",
        "900101+1234",
        "9001011234",
        "199001011234",
        "900161-1234",  # samordningsnummer
        "ola@example.no",
        "Ola.Nordmann+vakt@kommune.no",
        "ola(at)example.no",
        "ola [at] example [dot] no",
        "tel:+4799887766",
        "mailto:ola@example.no",
        "<mailto:ola@example.no|ola@example.no>",
        "<tel:+4799887766|998 87 766>",
        "&lt;ola@example.no&gt;",
    ],
)
@pytest.mark.parametrize("frame", ["{}", "Ring {} i dag", "({})", "tlf:{}.", "«{}»,", "nr.{}!"])
def test_examples_are_left_out(datum: str, frame: str) -> None:
    text = frame.format(datum)
    kept = excerpt_of(text, 500) or ""
    assert not any(c.isdigit() for c in kept) and "@" not in kept, kept
    assert PLACEHOLDER in kept


def test_the_placeholder_keeps_the_sentence() -> None:
    assert excerpt_of("Ring 99887766, mail ola@example.no", 140) == "Ring […], mail […]"
    assert (
        excerpt_of("Mitt fnr er 010190 12345 og tlf +46 70 123 45 67.", 140)
        == "Mitt fnr er […] og tlf […]."
    )


# ---------------------------------------------------------------- always kept


@st.composite
def dates(draw: st.DrawFn) -> str:
    year, month, day = draw(birth_dates())
    return draw(
        st.sampled_from(
            [
                f"{year}-{month:02}-{day:02}",
                f"{day:02}.{month:02}.{year}",
                f"{day}.{month}.{year}",
                f"{day:02}.{month:02}.{year % 100:02}",
                f"{day}/{month}/{year}",
                f"{day:02}-{month:02}-{year}",
                f"{day:02} {month:02} {year}",
                f"{year}{month:02}{day:02}" if year >= 2000 else f"{year}-{month:02}-{day:02}",
            ]
        )
    )


@st.composite
def times(draw: st.DrawFn) -> str:
    hour, minute = draw(st.integers(0, 23)), draw(st.integers(0, 59))
    to_hour, to_minute = draw(st.integers(0, 23)), draw(st.integers(0, 59))
    return draw(
        st.sampled_from(
            [
                f"{hour:02}:{minute:02}",
                f"{hour:02}.{minute:02}",
                f"kl. {hour}.{minute:02}",
                f"{hour:02}:{minute:02}-{to_hour:02}:{to_minute:02}",
                f"{hour:02}.{minute:02}-{to_hour:02}.{to_minute:02}",
                f"kl {hour:02}-{to_hour:02}",
                f"2026-11-23T{hour:02}:{minute:02}:00+01:00",
            ]
        )
    )


years = st.one_of(
    st.integers(1900, 2099).map(str),
    st.tuples(st.integers(1900, 2099), st.integers(1900, 2099), separator).map(
        lambda t: f"{t[0]}{t[2]}{t[1]}"
    ),
)


@st.composite
def prices(draw: st.DrawFn) -> str:
    amount = draw(st.integers(0, 999_999_999))
    grouped = f"{amount:,}".replace(",", draw(st.sampled_from([" ", "\u00a0", "."])))
    shown = draw(st.sampled_from([grouped, str(amount)])) if amount < 1_000_000 else grouped
    return draw(st.sampled_from([f"kr {shown}", f"{shown} kr", f"{shown},-", f"SEK {shown}"]))


short_numbers = st.one_of(
    st.integers(0, 999_999).map(str),
    st.builds(
        lambda n, c: f"Storgata {n}{c}", st.integers(1, 300), st.sampled_from(["", "B", " b"])
    ),
    st.builds(lambda n: f"{n:04} Oslo", st.integers(1, 9999)),
    st.builds(
        lambda n: f"sak {n[0]}/{n[1]}", st.tuples(st.integers(2000, 2030), st.integers(1, 99999))
    ),
    st.builds(lambda n: f"{n} %", st.integers(0, 100)),
    st.builds(lambda n: f"+{n}", st.integers(0, 99_999)),
)
ordinary = st.one_of(dates(), times(), years, prices(), short_numbers)


@given(before=words, left=before_punctuation, datum=ordinary, right=after_punctuation, after=words)
@example(before="", left="", datum="2026-11-23", right="", after="")
@example(before="", left="", datum="23.11.2026", right="", after="")
@example(before="", left="", datum="2025-2026", right="", after="")
def test_dates_times_years_prices_and_short_numbers_survive(
    before: str, left: str, datum: str, right: str, after: str
) -> None:
    text = f"{before} {left}{datum}{right} {after}"
    assert scrub(text) == text
    assert datum.replace("\u00a0", " ") in (excerpt_of(text, 10_000) or "").replace("\u00a0", " ")


@pytest.mark.parametrize(
    "text",
    [
        "Møtet er 2026-11-23 kl. 09:15.",
        "Frist 23.11.2026, 20.00-22.00.",
        "Skoleåret 2025–2026 og 1990 - 2026",
        "Billetten koster kr 1500, familie 1 500 kr, og bygget 25 000 000 kr.",
        "Storgata 12B, 0150 Oslo",
        "Org.nr. 923 456 789",
        "Sak 2023/123456 fra 2026-11-23T09:15:00+01:00",
        "Ring 113 eller 1881",
        "Det økte med +15 %",
    ],
)
def test_examples_survive(text: str) -> None:
    assert scrub(text) == text


def test_a_long_word_is_scrubbed_in_linear_time() -> None:
    # A run of address characters without an @ is tried once, not once per letter.
    text = "a" * 10_000 + " ola@example.no " + "9" * 5_000
    assert scrub(text).startswith("a" * 10_000 + " […] ")
