"""Every CSV Vakt writes: no cell is a formula, whichever delimiter the reader's spreadsheet
splits on, and what is written reads back as it was."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.kernel.csvfile import csv_bytes, defuse, restore

FORMULA = ("=", "+", "-", "@", "\t", "\r")
PAYLOAD = "x;=cmd|' /C calc'!A0;y"

# Texts made mostly of what matters here: formula characters, delimiters, quotes and spaces.
texts = st.text(st.sampled_from("=+-@\t\r\n,;'\" ax0|!"), max_size=30) | st.text(max_size=30)
tables = st.lists(st.lists(texts, min_size=1, max_size=4), max_size=4)


def cells(data: bytes, delimiter: str) -> list[str]:
    """Every cell of the file as a spreadsheet splitting on `delimiter` would see it."""
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter)
    return [cell for row in reader for cell in row]


def is_formula(cell: str) -> bool:
    return cell.lstrip(' "').startswith(FORMULA)


@given(rows=tables, written=st.sampled_from([",", ";"]))
@example(rows=[[PAYLOAD]], written=",")
@example(rows=[['a,"b', 'c;"=1"', "z"]], written=",")
@example(rows=[["p", 'x;"=1'], ["a\n=b"]], written=";")
def test_no_cell_is_a_formula_whatever_the_reader_splits_on(
    rows: list[list[str]], written: str
) -> None:
    data = csv_bytes(["h"] * 4, rows, delimiter=written)
    for read in (",", ";", "\t"):
        found = [cell for cell in cells(data, read) if is_formula(cell)]
        assert found == [], (read, data)


@given(rows=tables, delimiter=st.sampled_from([",", ";"]))
def test_what_is_written_reads_back(rows: list[list[str]], delimiter: str) -> None:
    data = csv_bytes(["a", "b", "c", "d"], rows, delimiter=delimiter)
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter)
    back = [[restore(cell) for cell in row] for row in reader][1:]
    assert back == rows


@given(text=texts)
def test_restore_undoes_defuse(text: str) -> None:
    assert restore(defuse(text)) == text


@pytest.mark.parametrize(
    ("text", "defused"),
    [
        (PAYLOAD, "x;'=cmd|' /C calc'!A0;y"),
        (
            '=HYPERLINK("https://evil.example","klikk")',
            '\'=HYPERLINK("https://evil.example","klikk")',
        ),
        ("-Ungdom", "'-Ungdom"),
        ("@team", "'@team"),
        ("+47", "'+47"),
        ("a, =1", "a,' =1"),
        ('a;"=1"', 'a;\'"=1"'),
        ("a\t@b", "a\t'@b"),
        ("linje\n-punkt", "linje\n'-punkt"),
        ("'quoted already", "''quoted already"),
        ("'Ungdom", "''Ungdom"),
        ("Det er 'fint', takk", "Det er 'fint', takk"),
        ("2026-11-23T09:15:00+01:00", "2026-11-23T09:15:00+01:00"),
        ("kr 1 500 - rabatt", "kr 1 500 - rabatt"),
        ("", ""),
    ],
)
def test_defuse(text: str, defused: str) -> None:
    assert defuse(text) == defused
    assert restore(defused) == text


def test_a_quote_typed_before_something_harmless_is_kept() -> None:
    assert restore("'Ungdom") == "'Ungdom"
    assert restore("a;'b") == "a;'b"
