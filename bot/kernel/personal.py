"""Personal data in free text: e-mail addresses, phone numbers and national identity numbers.

Pure. An excerpt of a citizen's question keeps as little personal data as will do (NB10), so
`scrub` replaces each of these with a placeholder, in the forms people and automations type
them: Norwegian numbers in any grouping (99887766, 998 87 766, 99 88 77 66, +47 / 0047),
Swedish ones (070-123 45 67, 08-123 456 78, +46 (0)70 …), any +CC number, fødselsnummer
(DDMMYY + 5 digits, D- and H-numbers too) and personnummer / samordningsnummer (YYMMDD-XXXX,
YYYYMMDD-XXXX, with `-`, `+` or nothing between).

The rules go by shape, not by numbering plans: a number in a range not handed out yet, a
fictional one or a mistyped identity number is still someone's attempt at giving theirs. What a
question usually holds besides (dates such as 2026-11-23 or 23.11.2026, times, years and year
ranges, prices such as "kr 1 500" or "2 500 000", house numbers, short numbers) has other shapes
and is left alone.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Callable

__all__ = ["PLACEHOLDER", "scrub"]

PLACEHOLDER = "[…]"

# Separators inside a number: spaces (also non-breaking and thin ones) and dashes.
_SPACE = "[ \u00a0\u2009\u202f]"
_DASH = "[-\u2010\u2011\u2012\u2013]"
_SEP = f"(?:{_SPACE}?{_DASH}{_SPACE}?|{_SPACE})"

# Links Slack makes of the addresses and numbers it recognises: <mailto:a@b.no|a@b.no>.
_SLACK_WRAPPED = re.compile(r"<(?:mailto|tel|sms|callto):[^>]*>", re.IGNORECASE)

# Characters RFC 5322 allows in the local part of an address, dots anywhere ("ola..x" too).
_LOCAL = r"[\w!#$%&'*+/=?^`{|}~.-]+"
_LABEL = r"[^\W_](?:[\w-]*[^\W_])?"
_AT = r"(?:@|\s?[(\[{]\s?(?:at|snabel-a|krøllalfa)\s?[)\]}]\s?)"
_DOT = r"(?:\.|\s?[(\[{]\s?(?:dot|punkt|punktum)\s?[)\]}]\s?)"
# Matched only from the start of a run of address characters (a "|" ends one, as between
# Slack's link and its label): a long word without an @ is then tried once, not from each of
# its letters.
_EMAIL = re.compile(
    rf"(?:mailto:)?(?<![\w!#$%&'*+/=?^`{{}}~.-]){_LOCAL}{_AT}{_LABEL}(?:{_DOT}{_LABEL})+",
    re.IGNORECASE,
)

# A bare tel:/sms: link (Slack wraps the ones it recognises; an automation's text may not be).
_TEL_LINK = re.compile(r"(?i:\b(?:tel|sms|callto):)\+?[\d()./ \u00a0-]*\d")

# A date after a whole number and a space ("+47 99887766 2026-11-23") is not more of it.
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MONTH = r"(?:0?[1-9]|1[0-2])"
_DATE = re.compile(
    rf"(?:(?:19|20)\d\d-{_MONTH}-{_DAY}|{_DAY}[./-]{_MONTH}[./-](?:(?:19|20)\d\d|\d\d))"
    r"(?![./-]?\d)"
)

# +CC or 00CC, then digit groups (a "(0)" may stand where the trunk prefix is left out).
_INTERNATIONAL = re.compile(
    rf"(?<![\w+])\(?(?:\+|00(?=[1-9]))\s?[1-9]\d{{0,3}}\)?"
    rf"(?:(?:{_SEP}|[./])?(?:\(0\){_SPACE}?)?\d{{1,6}})+"
)

# Fødselsnummer: DDMMYY and 5 digits, with a space between or none. D-numbers add 40 to the
# day, H-numbers 40 to the month, synthetic test numbers 80.
_FODSELSNUMMER = re.compile(rf"(?<![\d+])(\d{{6}}){_SPACE}?(\d{{5}})(?!\d)")
# Personnummer: (YY)YYMMDD, then -, + (100 years or older) or nothing, then 4 digits;
# samordningsnummer add 60 to the day.
_PERSONNUMMER = re.compile(r"(?<![\d+])((?:19|20)?\d{6})[-+]?(\d{4})(?!\d)")

# Swedish numbers: a trunk 0 and an area code of 1-3 more digits, then the subscriber number;
# or all of it without separators.
_SWEDISH = re.compile(
    rf"(?<![\d+])(?:\(0[1-9]\d{{0,2}}\){_SPACE}?|0[1-9]\d{{0,2}}(?:{_SEP}|/))"
    rf"\d{{2,8}}(?:{_SPACE}\d{{2,4}}){{0,3}}(?!\d)"
    r"|(?<![\d+])0[1-9]\d{7,8}(?!\d)"
)

# Norwegian numbers: 8 digits (the first 2-9) alone or in the groupings people use, with the
# same separator throughout (so "20.00-22.00" stays a time range).
_NORWEGIAN = re.compile(
    r"(?<![\d+])(?:"
    r"[2-9]\d{7}"
    rf"|[2-9]\d(?P<a>{_SEP}|\.)\d{{2}}(?P=a)\d{{2}}(?P=a)\d{{2}}"
    rf"|[2-9]\d{{2}}(?P<b>{_SEP}|\.)\d{{2}}(?P=b)\d{{3}}"
    rf"|[2-9]\d{{3}}(?:{_SEP}|\.)\d{{4}}"
    rf"|[2-9]\d{{2}}{_SPACE}\d{{5}}"
    r")(?!\d)"
)

_DIGITS = re.compile(r"\d+")
_MIN_PHONE_DIGITS = 7
_MAX_PHONE_DIGITS = 15  # E.164


def scrub(text: str, placeholder: str = PLACEHOLDER) -> str:
    """`text` with every e-mail address, phone number, fødselsnummer and personnummer replaced
    by `placeholder`."""
    text = _SLACK_WRAPPED.sub(placeholder, text)
    text = _EMAIL.sub(placeholder, text)
    text = _TEL_LINK.sub(placeholder, text)
    text = _INTERNATIONAL.sub(lambda m: _international(m, placeholder), text)
    text = _FODSELSNUMMER.sub(lambda m: _identity(m, _is_fodselsnummer, placeholder), text)
    text = _PERSONNUMMER.sub(lambda m: _identity(m, _is_personnummer, placeholder), text)
    text = _SWEDISH.sub(lambda m: _swedish(m, placeholder), text)
    return _NORWEGIAN.sub(lambda m: _norwegian(m, placeholder), text)


def _international(match: re.Match[str], placeholder: str) -> str:
    """A +CC number has 7 to 15 digits (E.164); groups past 15 digits are something else that
    follows it (a date, an amount), and are kept."""
    found = match.group(0)
    prefix = found.find("+")
    start = prefix + 1 if prefix >= 0 else found.find("00") + 2
    digits = end = 0
    for group in _DIGITS.finditer(found, start):
        if found[group.start() - 1 : group.end() + 1] == "(0)":
            continue  # the trunk prefix in "+46 (0)70", not part of the number
        if digits + len(group.group(0)) > _MAX_PHONE_DIGITS:
            break
        whole = digits >= _MIN_PHONE_DIGITS and found[group.start() - 1].isspace()
        if whole and _DATE.match(found, group.start()):
            break
        digits += len(group.group(0))
        end = group.end()
    if digits < _MIN_PHONE_DIGITS:
        return found
    if found.startswith("(") and found[end : end + 1] == ")":
        end += 1
    return placeholder + found[end:]


def _identity(match: re.Match[str], valid: Callable[[str], bool], placeholder: str) -> str:
    return placeholder if valid(match.group(1)) else match.group(0)


def _is_fodselsnummer(birth: str) -> bool:
    day, month = int(birth[:2]), int(birth[2:4])
    day -= 40 if day > 40 else 0
    month -= 80 if month > 80 else 40 if month > 40 else 0
    return _is_day(day, month)


def _is_personnummer(birth: str) -> bool:
    month, day = int(birth[-4:-2]), int(birth[-2:])
    day -= 60 if day > 60 else 0
    return _is_day(day, month)


def _is_day(day: int, month: int) -> bool:
    """A day of a month in some year (29 February too: 2000 was a leap year)."""
    return 1 <= month <= 12 and 1 <= day <= monthrange(2000, month)[1]


def _groups(text: str) -> list[str]:
    return _DIGITS.findall(text)


def _is_date(groups: list[str]) -> bool:
    """Day, month and year (23 11 2026, 01-02-26) or year, month and day (2026 11 23)."""
    if len(groups) != 3:
        return False
    first, second, third = groups
    if len(first) == 4 and len(second) <= 2 and len(third) <= 2:
        return _is_day(int(third), int(second))
    if len(first) <= 2 and len(second) <= 2 and len(third) in (2, 4):
        return _is_day(int(first), int(second))
    return False


def _is_year(group: str) -> bool:
    return len(group) == 4 and 1900 <= int(group) <= 2099


def _swedish(match: re.Match[str], placeholder: str) -> str:
    found = match.group(0)
    groups = _groups(found)
    if not 8 <= sum(len(g) for g in groups) <= 10 or _is_date(groups):
        return found
    return placeholder


def _norwegian(match: re.Match[str], placeholder: str) -> str:
    found = match.group(0)
    groups = _groups(found)
    if len(groups) == 2 and all(_is_year(g) for g in groups):
        return found  # a span of years, 2025-2026
    if len(groups) == 1 and _is_year(found[:4]) and _is_day(int(found[6:]), int(found[4:6])):
        return found  # a date written 20261123
    return placeholder
