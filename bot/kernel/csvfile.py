"""Every CSV file Vakt writes: UTF-8 with a BOM (so a spreadsheet shows æøå), `\\n` line ends
(so the same rows give the same bytes), and no cell a spreadsheet would run as a formula.

Citizens write the texts that end up in these files (a deletion's summary, a question's
excerpt), and the reader's spreadsheet decides how to split a line: Norwegian and Swedish Excel
split on `;`, others on `,` or a tab. The csv module only quotes a field that holds its own
delimiter, so `x;=cmd|' /C calc'!A0;y` written comma-separated is one field to Vakt and three
cells to Nordic Excel, the middle one a formula. So each field is defused wherever a cell could
begin in any of those readings – at its start and after every `,`, `;`, tab and line break: if
what follows (after spaces or quotes) is one of `= + - @`, a tab or a carriage return, a single
quote goes in front (as OWASP recommends; spreadsheets show such a cell as text). A segment that
starts with a quote gets one more, so `restore` takes exactly one off and an import reads back
what was exported, whichever delimiter the file has.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from itertools import chain

__all__ = ["csv_bytes", "defuse", "restore"]

# Where a spreadsheet may begin a cell: the field's start, or after a delimiter any reader may
# use (a line break too: a reader splitting on the wrong delimiter loses track of the quoting).
_CELL_START = r"(?:^|(?<=[,;\t\r\n]))"
_DANGER = r"(?='|[ \"]*[=+\-@\t\r])"
_UNGUARDED = re.compile(_CELL_START + _DANGER)
_GUARDED = re.compile(_CELL_START + "'" + _DANGER)


def defuse(text: str) -> str:
    """`text` with a single quote before every place a spreadsheet could read as a formula."""
    return _UNGUARDED.sub("'", text)


def restore(cell: str) -> str:
    """The text `defuse` was given (a quote a person typed before anything harmless is kept)."""
    return _GUARDED.sub("", cell)


def csv_bytes(
    header: Sequence[str], rows: Iterable[Sequence[str]], *, delimiter: str = ","
) -> bytes:
    """A CSV file of these rows under this header, every cell defused."""
    # Each row is written with \r\n, so the csv module quotes a cell holding a lone \r as well
    # as one holding \n (with \n alone it left \r bare, and a reader split the row there), and
    # then ends in \n like every other.
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    lines: list[str] = []
    for row in chain([header], rows):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([defuse(cell) for cell in row])
        lines.append(buffer.getvalue().removesuffix("\r\n") + "\n")
    return "".join(lines).encode("utf-8-sig")
