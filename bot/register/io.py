"""The register in bulk: export it as TOML or CSV, import such a file back idempotently by key,
and publish the public list of the municipality's accounts (KG4) as CSV, JSON and HTML.

An import is validated whole before anything is written: every row with the configuration
file's own validator (so a problem is named by file, row, key and field), then the file against
the database (teams, keys twice, channels used twice). Any problem: nothing is written. Accounts
declared in the configuration file are left alone; the lifecycle status is never imported.

Exports are deterministic: the same database (and day, for the public list) gives the same bytes.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import tempfile
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import tomli_w
from babel.dates import format_date
from sqlmodel import Session, col, select

from bot.kernel.config import (
    META_IDS,
    AccountDecl,
    AccountStatus,
    ConfigError,
    TableReader,
    account_decl,
    to_date,
)
from bot.kernel.csvfile import csv_bytes, restore
from bot.kernel.i18n import catalog, plain
from bot.register.core import is_public, split_users
from bot.register.sync import release_moved_ids, upsert_declared
from bot.store.models import Account, Team

ACTOR = "import"
ACTION = "account.import"

# Exactly the keys of an `[[account]]` table in the configuration file, in this order.
COLUMNS = (
    "key",
    "platform",
    "name",
    "url",
    "team",
    "kind",
    "unit",
    "manager",
    "admins",
    "purpose",
    "audience",
    "dialogue",
    "privacy",
    "resources",
    "plan",
    "created",
    "end_date",
    "cadence_days",
    "max_posts_week",
    "max_posts_day",
    "snapshot_months",
    "deadline_working_days",
    "must_register",
    "coordinator_admin",
    "credentials_held",
    "intake_channel",
    "published_channel",
    "facebook_page_id",
    "instagram_user_id",
)
# Exported for the reader; an import checks them but never changes them (flags and closures do).
READ_ONLY = ("status", "closed_on")
EXPORT_COLUMNS = COLUMNS + READ_ONLY

BOOLEANS = frozenset({"must_register", "coordinator_admin", "credentials_held"})
NUMBERS = frozenset(
    {"cadence_days", "max_posts_week", "max_posts_day", "snapshot_months", "deadline_working_days"}
)
TRUE_WORDS = frozenset({"true", "yes", "ja", "1"})
FALSE_WORDS = frozenset({"false", "no", "nei", "nej", "0"})
INTEGER = re.compile(r"^[+-]?\d+$")


# Stands in for the empty address of a just-approved account while its row is validated.
_NO_URL_YET = "https://url.invalid/"

Row = dict[str, Any]


class RegisterFileError(Exception):
    """An import file that cannot be imported: every problem found, one line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


# ---------------------------------------------------------------- export


def register_rows(session: Session, *, include_closed: bool = False) -> list[Row]:
    """The register as plain rows (TOML-ready values, None when not set), ordered by key."""
    teams = {team.id: team.key for team in session.exec(select(Team)).all()}
    query = select(Account).order_by(col(Account.key))
    if not include_closed:
        query = query.where(col(Account.status) != AccountStatus.CLOSED)
    return [_row(account, teams.get(account.team_id, "")) for account in session.exec(query).all()]


def _row(account: Account, team: str) -> Row:
    return {
        "key": account.key,
        "platform": account.platform,
        "name": account.name,
        "url": account.url,
        "team": team,
        "kind": account.kind,
        "unit": account.unit,
        "manager": account.manager,
        "admins": list(split_users(account.admins)),
        "purpose": account.purpose,
        "audience": account.audience,
        "dialogue": account.dialogue,
        "privacy": account.privacy,
        "resources": account.resources,
        "plan": account.plan,
        "created": account.created_on,
        "end_date": account.end_date,
        "cadence_days": account.cadence_days,
        "max_posts_week": account.max_posts_week,
        "max_posts_day": account.max_posts_day,
        "snapshot_months": account.snapshot_months,
        "deadline_working_days": account.deadline_working_days,
        "must_register": account.must_register,
        "coordinator_admin": account.coordinator_admin,
        "credentials_held": account.credentials_held,
        "intake_channel": account.intake_channel,
        "published_channel": account.published_channel,
        "facebook_page_id": account.facebook_page_id,
        "instagram_user_id": account.instagram_user_id,
        "status": account.status,
        "closed_on": account.closed_on,
    }


TOML_HEADER = (
    "# Vakt's account register: `vakt import <this file>` creates or updates accounts by key.\n"
    "# status and closed_on are for reading only: flags and closures change them, imports do not.\n"
)


def register_toml(rows: Iterable[Row]) -> str:
    """Rows as `[[account]]` tables, the configuration file's own format (unset keys left out)."""
    tables = [
        {name: row[name] for name in EXPORT_COLUMNS if row[name] not in (None, [])} for row in rows
    ]
    body = tomli_w.dumps({"account": tables}) if tables else ""
    return TOML_HEADER + ("\n" if body else "") + body


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " ".join(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def register_csv(rows: Iterable[Row]) -> bytes:
    """Rows as CSV: one line per account, the TOML keys as header; cells that a spreadsheet
    could run as formulas are defused, and an import restores them."""
    return csv_bytes(EXPORT_COLUMNS, ([_cell(row[n]) for n in EXPORT_COLUMNS] for row in rows))


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that a reader sees the old one or the whole new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------- reading a file


@dataclass(frozen=True)
class SourceRow:
    """One account of an import file, as the validator reads it."""

    where: str  # "accounts.csv line 3" or "register.toml"
    prefix: str  # how the row is named until its key is known
    table: Mapping[str, Any]
    columns: frozenset[str] | None = None  # a CSV's header: columns not in it are kept as stored


def read_register_file(path: Path, label: str | None = None) -> list[SourceRow]:
    """The accounts of a `.toml` or `.csv` file; RegisterFileError when it cannot be read."""
    name = label or str(path)
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".csv"):
        raise RegisterFileError([f"{name}: give a .toml or .csv file (from vakt export-register)"])
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise RegisterFileError([f"{name}: does not exist"]) from None
    except OSError as exc:
        raise RegisterFileError([f"{name}: cannot be read: {exc.strerror}"]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RegisterFileError([f"{name}: is not UTF-8 text (save it as CSV UTF-8)"]) from None
    return _toml_rows(name, text) if suffix == ".toml" else _csv_rows(name, text)


def _toml_rows(name: str, text: str) -> list[SourceRow]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegisterFileError([f"{name}: (syntax): not valid TOML: {exc}"]) from None
    for top in doc:
        if top != "account":
            raise RegisterFileError([f"{name}: {top}: is not [[account]] (misspelt?)"])
    tables = doc.get("account", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise RegisterFileError([f"{name}: account: must be written as [[account]] tables"])
    return [SourceRow(name, f"account[{i}]", table) for i, table in enumerate(tables)]


def _csv_rows(name: str, text: str) -> list[SourceRow]:
    try:
        records = list(_records(text))
    except csv.Error as exc:
        raise RegisterFileError([f"{name}: is not valid CSV: {exc}"]) from None
    if not records:
        raise RegisterFileError([f"{name}: is empty (the first line names the columns)"])
    _, header = records[0]
    header = [cell.strip() for cell in header]
    problems = [
        f"{name} line 1: {column or '(empty)'}: is not a column Vakt knows (misspelt?)"
        for column in header
        if column not in EXPORT_COLUMNS
    ]
    problems += [
        f"{name} line 1: {column}: is a column twice"
        for column in sorted(set(header))
        if header.count(column) > 1
    ]
    if "key" not in header:
        problems.append(f"{name} line 1: key: the column is required")
    if problems:
        raise RegisterFileError(problems)
    columns = frozenset(header)
    rows: list[SourceRow] = []
    for line, cells in records[1:]:
        where = f"{name} line {line}"
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            problems.append(f"{where}: has {len(cells)} cells, the header {len(header)}")
            continue
        table = {
            column: _value(column, restore(cell))
            for column, cell in zip(header, cells, strict=False)
            if cell.strip()
        }
        rows.append(SourceRow(where, "account", table, columns))
    if problems:
        raise RegisterFileError(problems)
    return rows


def _records(text: str) -> Iterable[tuple[int, list[str]]]:
    """CSV records with the line each starts on (a cell may hold line breaks). Separated by
    commas, or by semicolons as Excel saves CSV in Norwegian and Swedish: the header says which
    (the column names hold neither)."""
    header = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = ";" if ";" in header and "," not in header else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    for cells in reader:
        yield start, cells
        start = reader.line_num + 1


def _value(column: str, cell: str) -> Any:
    """A CSV cell as the TOML value the validator expects (left as text when it is not one,
    so the validator names what is wrong)."""
    text = cell.strip()
    if column == "admins":
        return [part for part in re.split(r"[\s,]+", text) if part]
    if column in BOOLEANS:
        word = text.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        return text
    if column in NUMBERS and INTEGER.match(text):
        return int(text)
    return cell


# ---------------------------------------------------------------- import


@dataclass(frozen=True)
class ImportLine:
    key: str
    outcome: str  # created | updated | unchanged | skipped
    note: str = ""


@dataclass(frozen=True)
class ImportResult:
    lines: tuple[ImportLine, ...]

    def count(self, outcome: str) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome)

    @property
    def changes(self) -> int:
        return self.count("created") + self.count("updated")


@dataclass(frozen=True)
class _Checked:
    source: SourceRow
    decl: AccountDecl
    status: str | None


def _check_row(source: SourceRow, stored_rows: Mapping[str, Row]) -> _Checked:
    table = dict(source.table)
    key = table.get("key")
    known = stored_rows.get(key.strip()) if isinstance(key, str) else None
    if known is not None and source.columns is not None:
        # A CSV may leave columns out: an existing account keeps what it has in them.
        for column in COLUMNS:
            if column not in source.columns and known[column] is not None:
                table[column] = known[column]
    # An account approved but not yet made on the platform has no address (""): one may be
    # imported so, but an address once known is never cleared by an import.
    no_url_yet = table.get("url") in (None, "") and (known is None or known["url"] == "")
    if no_url_yet:
        table["url"] = _NO_URL_YET
    r = TableReader(source.where, table, source.prefix)
    status = r.raw("status")
    closed_on = r.raw("closed_on")
    decl = account_decl(r)
    if status is not None and status not in tuple(AccountStatus):
        raise r.fail("status", f"{status!r} must be one of {', '.join(AccountStatus)}")
    if closed_on is not None:
        to_date(closed_on, lambda p: r.fail("closed_on", p))
    r.done()
    return _Checked(source, replace(decl, url="") if no_url_yet else decl, status)


def _check_channels(
    checked: Sequence[_Checked], accounts: Sequence[Account], teams: Sequence[Team]
) -> list[str]:
    """An intake channel belongs to one team or account, a published feed to one account."""
    replaced = {c.decl.key for c in checked}
    intake: dict[str, str] = {t.intake_channel: f"team.{t.key}" for t in teams if t.intake_channel}
    feeds: dict[str, str] = {}
    for account in accounts:
        if account.key in replaced:
            continue
        if account.intake_channel:
            intake[account.intake_channel] = f"account.{account.key}"
        if account.published_channel:
            feeds[account.published_channel] = f"account.{account.key}"
    problems: list[str] = []
    for item in checked:
        decl, owner = item.decl, f"account.{item.decl.key}"
        for field, seen, what, other in (
            ("intake_channel", intake, "intake", feeds),
            ("published_channel", feeds, "published feed", intake),
        ):
            channel = getattr(decl, field)
            if channel is None:
                continue
            if channel in seen:
                problems.append(
                    f"{item.source.where}: {owner}.{field}: "
                    f"{channel} is already the {what} of {seen[channel]}"
                )
            elif channel in other:
                # A post is not a question: a feed is never an intake channel, nor the reverse.
                kind = "published feed" if other is feeds else "intake"
                problems.append(
                    f"{item.source.where}: {owner}.{field}: "
                    f"{channel} is already the {kind} of {other[channel]}"
                )
            else:
                seen[channel] = owner
    return problems


def _check_meta_ids(checked: Sequence[_Checked], accounts: Sequence[Account]) -> list[str]:
    """A Facebook Page or Instagram account is connected to one account of the register."""
    replaced = {c.decl.key for c in checked}
    problems: list[str] = []
    for field in META_IDS:
        seen = {
            getattr(a, field): f"account.{a.key}"
            for a in accounts
            if a.key not in replaced and getattr(a, field)
        }
        for item in checked:
            value, owner = getattr(item.decl, field), f"account.{item.decl.key}"
            if value is None:
                continue
            if value in seen:
                problems.append(
                    f"{item.source.where}: {owner}.{field}: "
                    f"{value} is already the {field} of {seen[value]}"
                )
            else:
                seen[value] = owner
    return problems


def import_register(
    session: Session, rows: Sequence[SourceRow], now: datetime, *, actor: str = ACTOR
) -> ImportResult:
    """Create or update the file's accounts by key, audited, in the caller's transaction.

    Validates everything first and raises RegisterFileError, writing nothing, on any problem.
    Accounts declared in the configuration file are skipped; a second import of the same file
    changes nothing and records nothing.
    """
    accounts = session.exec(select(Account).order_by(col(Account.key))).all()
    teams = session.exec(select(Team).order_by(col(Team.key))).all()
    stored = {account.key: account for account in accounts}
    team_ids = {team.key: team.id for team in teams}
    team_keys = {team.id: team.key for team in teams}
    stored_rows = {a.key: _row(a, team_keys.get(a.team_id, "")) for a in accounts}

    problems: list[str] = []
    checked: list[_Checked] = []
    first_seen: dict[str, str] = {}
    for source in rows:
        try:
            item = _check_row(source, stored_rows)
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        key = item.decl.key
        if key in first_seen:
            also = f" (also {first_seen[key]})" if first_seen[key] != source.where else ""
            problems.append(f"{source.where}: account.{key}: is in the file twice{also}")
            continue
        first_seen[key] = source.where
        if item.decl.team not in team_ids:
            known_teams = ", ".join(team_ids) or "none yet"
            problems.append(
                f"{source.where}: account.{key}.team: {item.decl.team!r} is not a team in Vakt "
                f"(teams: {known_teams})"
            )
            continue
        checked.append(item)

    outcomes: dict[str, ImportLine] = {}
    applied: list[_Checked] = []
    for item in checked:
        key = item.decl.key
        account = stored.get(key)
        if account is not None and account.managed:
            outcomes[key] = ImportLine(key, "skipped", "declared in the configuration file")
        elif account is None and item.status == AccountStatus.CLOSED:
            outcomes[key] = ImportLine(key, "skipped", "closed in the file: not created")
        else:
            applied.append(item)
    problems += _check_channels(applied, accounts, teams)
    problems += _check_meta_ids(applied, accounts)
    if problems:
        raise RegisterFileError(problems)

    moved = release_moved_ids(session, [item.decl for item in applied])
    for item in applied:
        key = item.decl.key
        outcomes[key] = _apply(session, item.decl, stored, team_ids, now, actor, moved.get(key))
    session.flush()
    return ImportResult(tuple(outcomes[item.decl.key] for item in checked))


def _apply(
    session: Session,
    decl: AccountDecl,
    stored: Mapping[str, Account],
    team_ids: Mapping[str, int | None],
    now: datetime,
    actor: str,
    before: dict[str, object] | None,
) -> ImportLine:
    team_id = team_ids[decl.team]
    assert team_id is not None
    account = stored.get(decl.key)
    if not upsert_declared(
        session, account, decl, team_id, now, actor=actor, action=ACTION, before=before
    ):
        return ImportLine(decl.key, "unchanged")
    return ImportLine(decl.key, "updated" if account else "created")


# ---------------------------------------------------------------- the public list (KG4)


@dataclass(frozen=True)
class PublicAccount:
    """What the municipality's website may show of an account: nothing internal."""

    name: str
    platform: str
    kind: str
    url: str | None
    unit: str | None


def public_accounts(session: Session, lang: str) -> list[PublicAccount]:
    """The accounts on the public list, in the organisation's alphabetical order."""
    found = [
        PublicAccount(a.name, a.platform, a.kind, a.url or None, a.unit or None)
        for a in session.exec(select(Account).order_by(col(Account.key))).all()
        if is_public(a.status, a.kind)
    ]
    return sorted(found, key=lambda a: (collation_key(a.name, lang), a.platform, a.url or ""))


# Letters after z, in the alphabet's own order; the neighbour's spelling sorts with its own.
_AFTER_Z = {
    "nb": {"æ": 1, "ä": 1, "ø": 2, "ö": 2, "å": 3},
    "sv": {"å": 1, "ä": 2, "æ": 2, "ö": 3, "ø": 3},
}


def collation_key(text: str, lang: str) -> tuple[tuple[int, ...], str, str]:
    """Sort names as a Norwegian or Swedish reader expects: case and accents aside (é with e),
    but æ ø å (nb) and å ä ö (sv) as the last letters of the alphabet (English: æ as "ae")."""
    extra = _AFTER_Z.get(lang, {})
    folded = text.casefold()
    primary: list[int] = []
    for char in folded:
        if char in extra:
            primary.append(ord("z") + extra[char])
        elif char == "æ":
            primary += [ord("a"), ord("e")]
        elif char == "ø":
            primary.append(ord("o"))
        else:
            decomposed = unicodedata.normalize("NFKD", char)
            primary += [ord(c) for c in decomposed if not unicodedata.combining(c)]
    return tuple(primary), folded, text


PUBLIC_FIELDS = ("name", "platform", "kind", "url", "unit")
_BABEL = {"nb": "nb_NO", "sv": "sv_SE", "en": "en_GB"}


def _label(lang: str, group: str, code: str) -> str:
    key = f"{group}.{code}"  # the shared labels (labels.toml)
    return plain(lang, key) if key in catalog(lang) else code


def public_date(day: date, lang: str) -> str:
    """ "23. november 2026" / "23 november 2026" / "23 November 2026"."""
    pattern = "d. MMMM y" if lang == "nb" else "d MMMM y"
    return format_date(day, pattern, locale=_BABEL.get(lang, "en_GB"))


def public_files(
    accounts: Sequence[PublicAccount], organisation: str, lang: str, day: date
) -> dict[str, bytes]:
    """accounts.csv, accounts.json and index.html of the public list, as of `day`."""
    csv_header = [plain(lang, f"public.column.{name}") for name in PUBLIC_FIELDS]
    csv_lines = [
        [
            a.name,
            _label(lang, "platform", a.platform),
            _label(lang, "kind", a.kind),
            a.url or "",
            a.unit or "",
        ]
        for a in accounts
    ]
    data = {
        "organisation": organisation,
        "language": lang,
        "updated": day.isoformat(),
        "accounts": [
            {
                "name": a.name,
                "platform": a.platform,
                "platform_label": _label(lang, "platform", a.platform),
                "kind": a.kind,
                "kind_label": _label(lang, "kind", a.kind),
                "url": a.url,
                "unit": a.unit,
            }
            for a in accounts
        ],
    }
    text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    return {
        "accounts.csv": csv_bytes(csv_header, csv_lines),
        "accounts.json": text.encode(),
        "index.html": public_html(accounts, organisation, lang, day).encode(),
    }


# The page's look, and how it reads on a phone and at 200 % zoom (WCAG 2.1 AA: 1.4.4, 1.4.10).
# Wide enough, it is a table of fixed column shares, so a long name or address wraps in its
# column instead of pushing the page sideways (an address breaks where it must; a `<wbr>` would
# put spaces into what a screen reader reads out). Narrower than 64em (a phone, or a laptop
# window zoomed in), each account is a block of its own: the name on top, each other cell
# under it with its column heading in front; the heading row stays there for screen readers,
# hidden from view. Colours: text 17:1 and links 8:1 on white, borders and the focus ring at
# least 3:1 (1.4.3, 1.4.11).
_STYLE = (
    "*,::before,::after{box-sizing:border-box}"
    "html{color-scheme:light;-webkit-text-size-adjust:100%;text-size-adjust:100%}"
    "body{margin:0;font-family:system-ui,sans-serif;line-height:1.5;color:#1a1a1a;"
    "background:#fff;overflow-wrap:break-word}"
    "main,footer{max-width:72rem;margin:0 auto;padding:0 1rem}p{max-width:45rem}"
    "h1{font-size:1.75rem;line-height:1.25;margin:1.5rem 0 1rem}"
    "table{border-collapse:collapse;width:100%;table-layout:fixed}"
    "caption{text-align:left;font-weight:bold;padding:.5rem 0}"
    "th,td{text-align:left;padding:.5rem .6rem;border-bottom:1px solid #767676;vertical-align:top}"
    "thead th{border-bottom:2px solid #1a1a1a}"
    "thead th:nth-child(1){width:24%}thead th:nth-child(2),thead th:nth-child(3){width:15%}"
    "thead th:nth-child(4){width:26%}"
    "a{color:#0645ad}a:visited{color:#5a2a82}"
    "a:focus-visible{outline:3px solid #1a1a1a;outline-offset:2px}"
    "footer{padding-bottom:1.5rem}"
    "@media (max-width:64em){"
    "table,tbody,tr,th,td,caption{display:block}"
    "thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);"
    "clip-path:inset(50%);white-space:nowrap}"
    "tr{padding:.75rem 0;border-bottom:1px solid #767676}"
    "th,td{border:0;padding:.125rem 0}"
    "tbody th{font-size:1.125rem}"
    "td:empty{display:none}"
    'td[data-label]::before{content:attr(data-label) ": ";content:attr(data-label) ": " / "";'
    "font-weight:600}"
    "}"
)


def public_html(accounts: Sequence[PublicAccount], organisation: str, lang: str, day: date) -> str:
    """A small static page: valid, accessible (WCAG 2.1 AA), no external assets, every value
    escaped, in the organisation's language (`<html lang>`)."""

    def esc(text: str) -> str:
        return html.escape(text, quote=True)

    def heading(name: str) -> str:
        return esc(plain(lang, f"public.column.{name}"))

    title = esc(plain(lang, "public.title", organisation=organisation))
    head = "".join(f'<th scope="col">{heading(name)}</th>' for name in PUBLIC_FIELDS)
    body: list[str] = []
    for a in accounts:
        # One link per account, the address itself: what a reader compares with the page they
        # found, and one stop for the Tab key instead of two to the same place.
        url = f'<a href="{esc(a.url)}" rel="noopener">{esc(a.url)}</a>' if a.url else ""
        platform = esc(_label(lang, "platform", a.platform))
        body.append(
            f'<tr><th scope="row">{esc(a.name)}</th>'
            f'<td data-label="{heading("platform")}">{platform}</td>'
            f'<td data-label="{heading("kind")}">{esc(_label(lang, "kind", a.kind))}</td>'
            f'<td data-label="{heading("url")}">{url}</td>'
            f'<td data-label="{heading("unit")}">{esc(a.unit or "")}</td></tr>'
        )
    if not body:
        body.append(
            f'<tr><td colspan="{len(PUBLIC_FIELDS)}">{esc(plain(lang, "public.none"))}</td></tr>'
        )
    caption = esc(plain(lang, "public.caption", count=len(accounts)))
    stamp = f'<time datetime="{day.isoformat()}">{esc(public_date(day, lang))}</time>'
    updated = stamp.join(esc(part) for part in plain(lang, "public.updated", date="\0").split("\0"))
    rows = "\n".join(body)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{esc(lang)}">\n'
        "<head>\n"
        '<meta charset="utf-8" />\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1" />\n'
        f"<title>{title}</title>\n"
        f"<style>{_STYLE}</style>\n"
        "</head>\n"
        "<body>\n"
        "<main>\n"
        f"<h1>{title}</h1>\n"
        f"<p>{esc(plain(lang, 'public.intro', organisation=organisation))}</p>\n"
        "<table>\n"
        f"<caption>{caption}</caption>\n"
        f"<thead><tr>{head}</tr></thead>\n"
        f"<tbody>\n{rows}\n</tbody>\n"
        "</table>\n"
        "</main>\n"
        f"<footer><p>{updated}</p></footer>\n"
        "</body>\n"
        "</html>\n"
    )


def write_public(out: Path, files: Mapping[str, bytes]) -> None:
    """Each file of the public list replaced whole (a web server never serves half a file)."""
    for name in sorted(files):
        write_atomic(out / name, files[name])
