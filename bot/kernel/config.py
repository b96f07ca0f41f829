"""Organisation settings from TOML: the calendar, coordinators, and teams/accounts as code.

Every problem is reported as a ConfigError naming the file, the key and what is wrong, so that
a bad configuration stops the start with one readable line instead of a traceback.
"""

from __future__ import annotations

import re
import tomllib
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from enum import StrEnum
from pathlib import Path
from typing import Any

from bot.kernel.calendar import CalendarRules, Hours, Season, WorkCalendar


@dataclass(frozen=True)
class ArchiveRules:
    """The organisation's archiving settings ([archive] in the configuration)."""

    require_approval: bool = False  # RK1: deleting is agreed with the information officer
    require_registration: bool = False  # RK1: every deletion is journaled
    max_file_mb: int = 25
    escalate_after_working_days: int = 3  # incomplete this long: the coordinators hear
    snapshot_months: int = 0  # 0: no periodic snapshots unless an account sets its own
    review_date: tuple[int, int] | None = None  # KG7: (month, day) of the yearly review
    # A connected account's comments are kept as they stood when Vakt saw them (bot.meta).
    capture_comments: bool = True

    @property
    def max_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024


@dataclass(frozen=True)
class ItemRules:
    """The organisation's settings for unanswered items (the `[items]` table)."""

    deadline_working_days: int = 1
    reminder_times: tuple[time, ...] = (time(9, 0), time(13, 0))
    escalate_after_working_days: int = 1
    retention_days: int = 90
    excerpt_chars: int = 140
    digest_items: int = 15


class AccountKind(StrEnum):
    PAGE = "page"
    OPEN_GROUP = "open-group"
    CLOSED_GROUP = "closed-group"
    SECRET_GROUP = "secret-group"  # noqa: S105 (a kind of group, not a secret)


class Approvals(StrEnum):
    EITHER = "either"  # a coordinator or the team's manager approves (PG1)
    BOTH = "both"  # a coordinator and the team's manager approve (NB1)


@dataclass(frozen=True)
class RegisterRules:
    """The organisation's `[register]` settings."""

    cadence_days: int = 14  # an active account posts at least once every N days (0: no check)
    approvals: Approvals = Approvals.EITHER
    coverage_members: int = 2  # available members a team needs on every working day ahead
    coverage_days: int = 14  # how far ahead coverage is checked (calendar days)


LANGUAGES = ("nb", "sv", "en")
COUNTRIES = ("NO", "SE", "DK", "FI")
ROTATIONS = ("weekly", "daily")
PLATFORMS = (
    "facebook",
    "facebook-group",
    "instagram",
    "youtube",
    "linkedin",
    "x",
    "tiktok",
    "other",
)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
HOURS_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")
# Meta's ids of a Facebook Page and an Instagram professional account: numeric strings.
META_ID = re.compile(r"^[0-9]{5,30}$")
# Which platforms each id belongs to (an account connected to the platform, bot.meta).
META_IDS: dict[str, tuple[str, ...]] = {
    "facebook_page_id": ("facebook", "facebook-group"),
    "instagram_user_id": ("instagram",),
}


class ConfigError(Exception):
    """A configuration problem, located by file and key."""

    def __init__(self, file: str, key: str, problem: str) -> None:
        super().__init__(f"{file}: {key}: {problem}")
        self.file = file
        self.key = key
        self.problem = problem


@dataclass(frozen=True)
class TeamDecl:
    key: str
    name: str
    channel: str | None
    manager: str | None
    members: tuple[str, ...]
    rotation: str
    start: date
    intake_channel: str | None = None


@dataclass(frozen=True)
class AccountFields:
    """An account's register entry: every field a coordinator edits in Slack, a register file
    holds and `[[account]]` declares (the key apart). None or empty: not given, or cleared."""

    name: str
    platform: str
    url: str
    team: str  # the team's key
    kind: str = AccountKind.PAGE.value
    unit: str | None = None
    manager: str | None = None  # None: the team's manager
    admins: tuple[str, ...] = ()
    purpose: str | None = None
    audience: str | None = None
    dialogue: str | None = None
    privacy: str | None = None
    resources: str | None = None
    plan: str | None = None
    created_on: date | None = None
    end_date: date | None = None
    cadence_days: int | None = None  # None: the organisation's
    max_posts_week: int | None = None
    max_posts_day: int | None = None
    snapshot_months: int | None = None  # None: the organisation's; 0: none
    coordinator_admin: bool = False
    credentials_held: bool = False
    published_channel: str | None = None
    facebook_page_id: str | None = None  # connected to the platform: the Page's id
    instagram_user_id: str | None = None  # the Instagram professional account's id


@dataclass(frozen=True, kw_only=True)
class AccountDecl(AccountFields):
    """An `[[account]]` of the configuration (or a row of a register file): the register
    entry, its key, and how Vakt watches it."""

    key: str
    intake_channel: str | None = None
    deadline_working_days: int | None = None  # None: the organisation's setting
    must_register: bool = False  # items on this account must be registered (RK5)


@dataclass(frozen=True)
class MetaRules:
    """How Vakt reads Facebook and Instagram (the `[meta]` table)."""

    poll: bool = True  # read each connected account on every poll, webhooks or not
    poll_minutes: int = 5
    backfill_days: int = 14  # an account's first read goes this far back


@dataclass(frozen=True)
class Schedule:
    """How often the scheduler evaluates the jobs (minutes)."""

    sweep_minutes: int = 5
    gap_lookahead_working_days: int = 10


@dataclass(frozen=True)
class OrgConfig:
    path: str
    name: str
    country: str
    subdivision: str | None
    timezone: str
    language: str
    coordinators: tuple[str, ...]
    coordinator_channel: str | None
    calendar_rules: CalendarRules
    schedule: Schedule = field(default_factory=Schedule)
    items: ItemRules = field(default_factory=ItemRules)
    archive: ArchiveRules = field(default_factory=ArchiveRules)
    register: RegisterRules = field(default_factory=RegisterRules)
    meta: MetaRules = field(default_factory=MetaRules)
    teams: tuple[TeamDecl, ...] = ()
    accounts: tuple[AccountDecl, ...] = ()

    def calendar(self) -> WorkCalendar:
        """The working-day calendar these settings describe."""
        return WorkCalendar(self.calendar_rules)

    def is_coordinator(self, user_id: str) -> bool:
        """True when the Slack user is one of the organisation's coordinators."""
        return user_id in self.coordinators


class TableReader:
    """Typed access to a TOML table that reports errors with the key's dotted path."""

    def __init__(self, file: str, table: Mapping[str, Any], prefix: str) -> None:
        self.file = file
        self.table = table
        self.prefix = prefix
        self.used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def fail(self, name: str, problem: str) -> ConfigError:
        return ConfigError(self.file, self.key(name), problem)

    def raw(self, name: str) -> Any:
        self.used.add(name)
        return self.table.get(name)

    def text(self, name: str, *, required: bool = True, default: str | None = None) -> str | None:
        value = self.raw(name)
        if value is None:
            if required:
                raise self.fail(name, "is required")
            return default
        if not isinstance(value, str) or not value.strip():
            raise self.fail(name, f"must be a non-empty text, not {value!r}")
        return value.strip()

    def req(self, name: str) -> str:
        value = self.text(name, required=True)
        assert value is not None
        return value

    def number(self, name: str, default: int, lo: int, hi: int) -> int:
        value = self.raw(name)
        if value is None:
            return default
        if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
            raise self.fail(name, f"must be a whole number from {lo} to {hi}, not {value!r}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.fail(name, f"must be true or false, not {value!r}")
        return value

    def optional_number(self, name: str, lo: int, hi: int) -> int | None:
        if self.raw(name) is None:
            return None
        return self.number(name, lo, lo, hi)

    def str_list(self, name: str, pattern: re.Pattern[str], what: str) -> tuple[str, ...]:
        value = self.raw(name)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.fail(name, f'must be a list of {what}, like ["U0ABC123"]')
        for item in value:
            if not isinstance(item, str) or not pattern.match(item):
                raise self.fail(name, f"{item!r} is not a {what}")
        if len(set(value)) != len(value):
            raise self.fail(name, "lists someone twice")
        return tuple(value)

    def slack_id(self, name: str, pattern: re.Pattern[str], what: str) -> str | None:
        value = self.text(name, required=False)
        if value is not None and not pattern.match(value):
            raise self.fail(name, f"{value!r} is not a {what}")
        return value

    def meta_id(self, name: str, platform: str) -> str | None:
        """A Facebook Page's or Instagram account's id: digits, as text or as a TOML integer
        (stored as its decimal text), and only on an account of the platform it belongs to."""
        value = self.raw(name)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not META_ID.match(value.strip()):
            raise self.fail(name, f'{value!r} is not an id of 5 to 30 digits, like "1234567890"')
        platforms = META_IDS[name]
        if platform not in platforms:
            raise self.fail(
                name, f"is only for accounts on {' or '.join(platforms)}, not on {platform}"
            )
        return value.strip()

    def day(self, name: str) -> date:
        value = self.raw(name)
        if value is None:
            raise self.fail(name, "is required (a date like 2026-11-02)")
        return to_date(value, lambda p: self.fail(name, p))

    def done(self) -> None:
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            raise self.fail(unknown[0], "is not a setting Vakt knows (misspelt?)")


def to_date(value: Any, fail: Any) -> date:
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise fail(f"{value!r} is not a date like 2026-11-02")


def _clock(text: str, fail: Any) -> time:
    match = CLOCK.match(text)
    if not match:
        raise fail(f"{text!r} is not a time like 12:00")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise fail(f"{text!r} is not a time of day")
    return time(hour, minute)


def _hours(value: Any, fail: Any) -> Hours:
    if not isinstance(value, str) or not HOURS_RANGE.match(value):
        raise fail(f'{value!r} is not office hours like "08:00-16:00"')
    match = HOURS_RANGE.match(value)
    assert match
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise fail(f'{value!r} is not office hours like "08:00-16:00"')
    opens, closes = time(h1, m1), time(h2, m2)
    if closes <= opens:
        raise fail(f"{value!r} closes before it opens")
    return Hours(opens, closes)


def _month_day(text: Any, fail: Any) -> tuple[int, int]:
    if not isinstance(text, str) or not MONTH_DAY.match(text):
        raise fail(f'{text!r} is not a recurring day like "12-24" (MM-DD)')
    month, day = int(text[:2]), int(text[3:])
    try:
        date(2024, month, day)  # a leap year, so 02-29 is accepted
    except ValueError:
        raise fail(f"{text!r} is not a day of the year") from None
    return month, day


def _week(reader: TableReader) -> dict[int, Hours]:
    week: dict[int, Hours] = {}
    for index, day in enumerate(WEEKDAYS):
        value = reader.raw(day)
        if value is None or value == "closed":
            continue
        week[index] = _hours(value, lambda p, d=day: reader.fail(d, p))
    return week


def _calendar(
    file: str, doc: Mapping[str, Any], country: str, subdiv: str | None, tz: str
) -> CalendarRules:
    hours_table = doc.get("office_hours")
    if hours_table is None:
        raise ConfigError(file, "office_hours", 'is required (e.g. monday = "08:00-16:00")')
    if not isinstance(hours_table, dict):
        raise ConfigError(file, "office_hours", "must be a table")
    hours = TableReader(file, hours_table, "office_hours")
    week = _week(hours)
    seasons: list[Season] = []
    raw_seasons = hours.raw("season") or []
    if not isinstance(raw_seasons, list):
        raise hours.fail("season", "must be a list of [[office_hours.season]] tables")
    for i, raw in enumerate(raw_seasons):
        season = TableReader(file, raw, f"office_hours.season[{i}]")
        name = season.text("name", required=False, default=f"season {i + 1}") or ""
        start = _month_day(season.raw("from"), lambda p, s=season: s.fail("from", p))
        end = _month_day(season.raw("to"), lambda p, s=season: s.fail("to", p))
        seasons.append(Season(name=name, start=start, end=end, week=_week(season)))
        season.done()
    hours.done()
    if not week and not seasons:
        raise ConfigError(file, "office_hours", "has no open day at all")

    closed = doc.get("closed_days", {})
    if not isinstance(closed, dict):
        raise ConfigError(file, "closed_days", "must be a table with recurring and dates")
    closed_reader = TableReader(file, closed, "closed_days")
    recurring_raw = closed_reader.raw("recurring") or []
    dates_raw = closed_reader.raw("dates") or []
    if not isinstance(recurring_raw, list):
        raise closed_reader.fail("recurring", 'must be a list like ["12-24", "12-31"]')
    if not isinstance(dates_raw, list):
        raise closed_reader.fail("dates", 'must be a list like ["2026-12-28"]')
    recurring = frozenset(
        _month_day(v, lambda p: closed_reader.fail("recurring", p)) for v in recurring_raw
    )
    fixed = frozenset(to_date(v, lambda p: closed_reader.fail("dates", p)) for v in dates_raw)
    closed_reader.done()

    half = doc.get("half_days", {})
    if not isinstance(half, dict):
        raise ConfigError(file, "half_days", 'must be a table like "12-23" = "12:00"')
    half_recurring: dict[tuple[int, int], time] = {}
    half_dates: dict[date, time] = {}
    for raw_key, raw_value in half.items():
        key = f"half_days.{raw_key}"

        def fail(p: str, key: str = key) -> ConfigError:
            return ConfigError(file, key, p)

        closes = _clock(raw_value, fail) if isinstance(raw_value, str) else None
        if closes is None:
            raise fail(f'{raw_value!r} is not a closing time like "12:00"')
        if isinstance(raw_key, str) and MONTH_DAY.match(raw_key):
            half_recurring[_month_day(raw_key, fail)] = closes
        else:
            half_dates[to_date(raw_key, fail)] = closes

    return CalendarRules(
        timezone=tz,
        country=country,
        subdivision=subdiv,
        week=week,
        seasons=tuple(seasons),
        closed_recurring=recurring,
        closed_dates=fixed,
        half_days_recurring=half_recurring,
        half_days_dates=half_dates,
    )


def _teams(file: str, doc: Mapping[str, Any]) -> tuple[TeamDecl, ...]:
    raw = doc.get("team", [])
    if not isinstance(raw, list):
        raise ConfigError(file, "team", "must be written as [[team]] tables")
    teams: list[TeamDecl] = []
    for i, table in enumerate(raw):
        r = TableReader(file, table, f"team[{i}]")
        key = r.req("key")
        if not KEY.match(key):
            raise r.fail("key", f"{key!r} must be lower case letters, digits, - or _")
        r.prefix = f"team.{key}"
        rotation = r.text("rotation", required=False, default="weekly") or "weekly"
        if rotation not in ROTATIONS:
            raise r.fail("rotation", f"{rotation!r} must be one of {', '.join(ROTATIONS)}")
        members = r.str_list("members", USER_ID, "Slack user id")
        if not members:
            raise r.fail("members", "needs at least one Slack user id, in rotation order")
        teams.append(
            TeamDecl(
                key=key,
                name=r.req("name"),
                channel=r.slack_id("channel", CHANNEL_ID, "Slack channel id"),
                manager=r.slack_id("manager", USER_ID, "Slack user id"),
                members=members,
                rotation=rotation,
                start=r.day("start"),
                intake_channel=r.slack_id("intake_channel", CHANNEL_ID, "Slack channel id"),
            )
        )
        r.done()
    keys = [t.key for t in teams]
    for key in keys:
        if keys.count(key) > 1:
            raise ConfigError(file, f"team.{key}", "is declared twice")
    return tuple(teams)


ACCOUNT_KINDS = tuple(AccountKind)
MAX_REGISTER_TEXT = 2000


def account_decl(r: TableReader) -> AccountDecl:
    """One `[[account]]` table (the configuration's, or a register import's row)."""
    key = r.req("key")
    if not KEY.match(key):
        raise r.fail("key", f"{key!r} must be lower case letters, digits, - or _")
    r.prefix = f"account.{key}"
    platform = r.req("platform")
    if platform not in PLATFORMS:
        raise r.fail("platform", f"{platform!r} must be one of {', '.join(PLATFORMS)}")
    url = r.req("url")
    if not url.startswith(("https://", "http://")) or len(url) > 500 or " " in url:
        raise r.fail("url", f"{url!r} must be a web address starting with https://")
    kind = r.text("kind", required=False, default="page") or "page"
    if kind not in ACCOUNT_KINDS:
        raise r.fail("kind", f"{kind!r} must be one of {', '.join(ACCOUNT_KINDS)}")
    texts: dict[str, str | None] = {}
    for name in ("purpose", "audience", "dialogue", "privacy", "resources", "plan"):
        value = r.text(name, required=False)
        if value is not None and len(value) > MAX_REGISTER_TEXT:
            raise r.fail(name, f"is longer than {MAX_REGISTER_TEXT} characters")
        texts[name] = value
    unit = r.text("unit", required=False)
    if unit is not None and len(unit) > 200:
        raise r.fail("unit", "is longer than 200 characters")
    name = r.req("name")
    if len(name) > 200:
        raise r.fail("name", "is longer than 200 characters")
    created = (
        to_date(r.raw("created"), lambda p: r.fail("created", p))
        if r.raw("created") is not None
        else None
    )
    end_date = (
        to_date(r.raw("end_date"), lambda p: r.fail("end_date", p))
        if r.raw("end_date") is not None
        else None
    )
    if created is not None and end_date is not None and end_date < created:
        raise r.fail("end_date", f"{end_date} is before the account was created ({created})")
    admins = r.str_list("admins", USER_ID, "Slack user id")
    if len(",".join(admins)) > 400:
        raise r.fail("admins", "lists more people than the register holds (at most 400 characters)")
    per_week = r.optional_number("max_posts_week", 1, 1000)
    per_day = r.optional_number("max_posts_day", 1, 100)
    if per_week is not None and per_day is not None and per_day > per_week:
        raise r.fail("max_posts_day", f"{per_day} a day is more than {per_week} a week")
    return AccountDecl(
        key=key,
        platform=platform,
        name=name,
        url=url,
        team=r.req("team"),
        intake_channel=r.slack_id("intake_channel", CHANNEL_ID, "Slack channel id"),
        deadline_working_days=r.optional_number("deadline_working_days", 1, 10),
        must_register=r.flag("must_register", False),
        snapshot_months=r.optional_number("snapshot_months", 0, 60),
        kind=kind,
        unit=unit,
        manager=r.slack_id("manager", USER_ID, "Slack user id"),
        admins=admins,
        created_on=created,
        end_date=end_date,
        cadence_days=r.optional_number("cadence_days", 0, 365),
        max_posts_week=per_week,
        max_posts_day=per_day,
        coordinator_admin=r.flag("coordinator_admin", False),
        credentials_held=r.flag("credentials_held", False),
        published_channel=r.slack_id("published_channel", CHANNEL_ID, "Slack channel id"),
        facebook_page_id=r.meta_id("facebook_page_id", platform),
        instagram_user_id=r.meta_id("instagram_user_id", platform),
        **texts,
    )


def _accounts(file: str, doc: Mapping[str, Any]) -> tuple[AccountDecl, ...]:
    raw = doc.get("account", [])
    if not isinstance(raw, list):
        raise ConfigError(file, "account", "must be written as [[account]] tables")
    accounts: list[AccountDecl] = []
    for i, table in enumerate(raw):
        r = TableReader(file, table, f"account[{i}]")
        accounts.append(account_decl(r))
        r.done()
    keys = [a.key for a in accounts]
    for key in keys:
        if keys.count(key) > 1:
            raise ConfigError(file, f"account.{key}", "is declared twice")
    feeds: dict[str, str] = {}
    for account in accounts:
        feed = account.published_channel
        if feed is None:
            continue
        if feed in feeds:
            raise ConfigError(
                file,
                f"account.{account.key}.published_channel",
                f"{feed} is already the published feed of account.{feeds[feed]}",
            )
        feeds[feed] = account.key
    for name in META_IDS:
        owners: dict[str, str] = {}
        for account in accounts:
            value = getattr(account, name)
            if value is None:
                continue
            if value in owners:
                raise ConfigError(
                    file,
                    f"account.{account.key}.{name}",
                    f"{value} is already the {name} of account.{owners[value]}",
                )
            owners[value] = account.key
    return tuple(accounts)


def _register(file: str, doc: Mapping[str, Any]) -> RegisterRules:
    table = doc.get("register", {})
    if not isinstance(table, dict):
        raise ConfigError(file, "register", "must be a table")
    r = TableReader(file, table, "register")
    approvals = r.text("approvals", required=False, default="either") or "either"
    if approvals not in tuple(Approvals):
        raise r.fail("approvals", f"{approvals!r} must be one of {', '.join(Approvals)}")
    rules = RegisterRules(
        cadence_days=r.number("cadence_days", 14, 0, 365),
        approvals=Approvals(approvals),
        coverage_members=r.number("coverage_members", 2, 1, 10),
        coverage_days=r.number("coverage_days", 14, 1, 60),
    )
    r.done()
    return rules


def _items(file: str, doc: Mapping[str, Any]) -> ItemRules:
    table = doc.get("items", {})
    if not isinstance(table, dict):
        raise ConfigError(file, "items", "must be a table")
    r = TableReader(file, table, "items")
    raw_times = r.raw("reminder_times")
    times = ItemRules().reminder_times
    if raw_times is not None:
        if not isinstance(raw_times, list) or not raw_times:
            raise r.fail("reminder_times", 'must be a list of times like ["09:00", "13:00"]')
        parsed: set[time] = set()
        for value in raw_times:
            if not isinstance(value, str):
                raise r.fail("reminder_times", f'{value!r} is not a time like "09:00"')
            parsed.add(_clock(value, lambda p: r.fail("reminder_times", p)))
        times = tuple(sorted(parsed))
    rules = ItemRules(
        deadline_working_days=r.number("deadline_working_days", 1, 1, 10),
        reminder_times=times,
        escalate_after_working_days=r.number("escalate_after_working_days", 1, 0, 20),
        retention_days=r.number("retention_days", 90, 1, 3650),
        excerpt_chars=r.number("excerpt_chars", 140, 0, 500),
        digest_items=r.number("digest_items", 15, 1, 20),
    )
    r.done()
    return rules


def _archive(file: str, doc: Mapping[str, Any]) -> ArchiveRules:
    table = doc.get("archive", {})
    if not isinstance(table, dict):
        raise ConfigError(file, "archive", "must be a table")
    r = TableReader(file, table, "archive")
    review = r.raw("review_date")
    review_date = None
    if review is not None:
        review_date = _month_day(review, lambda p: r.fail("review_date", p))
    rules = ArchiveRules(
        require_approval=r.flag("require_approval", False),
        require_registration=r.flag("require_registration", False),
        max_file_mb=r.number("max_file_mb", 25, 1, 1000),
        escalate_after_working_days=r.number("escalate_after_working_days", 3, 1, 60),
        snapshot_months=r.number("snapshot_months", 0, 0, 60),
        review_date=review_date,
        capture_comments=r.flag("capture_comments", True),
    )
    r.done()
    return rules


def _meta(file: str, doc: Mapping[str, Any]) -> MetaRules:
    table = doc.get("meta", {})
    if not isinstance(table, dict):
        raise ConfigError(file, "meta", "must be a table")
    r = TableReader(file, table, "meta")
    rules = MetaRules(
        poll=r.flag("poll", True),
        poll_minutes=r.number("poll_minutes", 5, 1, 1440),
        backfill_days=r.number("backfill_days", 14, 0, 90),
    )
    r.done()
    return rules


def _check_intake_channels(
    file: str, teams: tuple[TeamDecl, ...], accounts: tuple[AccountDecl, ...]
) -> None:
    """An intake channel belongs to one team or one account, never two; an account's published
    feed is no intake channel (a post is not a question)."""
    seen: dict[str, str] = {}
    owners = [(f"team.{t.key}", t.intake_channel) for t in teams] + [
        (f"account.{a.key}", a.intake_channel) for a in accounts
    ]
    owners += [(f"account.{a.key}.published_channel", a.published_channel) for a in accounts]
    for owner, channel in owners:
        if channel is None:
            continue
        if channel in seen:
            key = owner if owner.endswith(".published_channel") else f"{owner}.intake_channel"
            raise ConfigError(file, key, f"{channel} is already the intake of {seen[channel]}")
        seen[channel] = owner


def parse_config(text: str, file: str) -> OrgConfig:
    """Parse and validate organisation settings; raises ConfigError."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(file, "(syntax)", f"not valid TOML: {exc}") from None
    known = {
        "organisation",
        "office_hours",
        "closed_days",
        "half_days",
        "schedule",
        "items",
        "archive",
        "register",
        "meta",
        "team",
        "account",
    }
    for top in doc:
        if top not in known:
            raise ConfigError(file, top, "is not a section Vakt knows (misspelt?)")
    org_table = doc.get("organisation")
    if not isinstance(org_table, dict):
        raise ConfigError(
            file, "organisation", "is required ([organisation] with name, country, ...)"
        )
    org = TableReader(file, org_table, "organisation")
    name = org.req("name")
    country = org.req("country").upper()
    if country not in COUNTRIES:
        raise org.fail("country", f"{country!r} must be one of {', '.join(COUNTRIES)}")
    subdivision = org.text("subdivision", required=False)
    tz = org.req("timezone")
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise org.fail("timezone", f"{tz!r} is not a time zone like Europe/Oslo") from None
    language = org.text("language", required=False, default="nb") or "nb"
    if language not in LANGUAGES:
        raise org.fail("language", f"{language!r} must be one of {', '.join(LANGUAGES)}")
    coordinators = org.str_list("coordinators", USER_ID, "Slack user id")
    coordinator_channel = org.slack_id("coordinator_channel", CHANNEL_ID, "Slack channel id")
    org.done()

    rules = _calendar(file, doc, country, subdivision, tz)
    try:
        calendar = WorkCalendar(rules)
        calendar.holiday_name(date(2026, 1, 1))
    except (ValueError, KeyError, NotImplementedError) as exc:
        raise ConfigError(file, "organisation.subdivision", str(exc)) from None

    schedule_table = doc.get("schedule", {})
    sched = TableReader(file, schedule_table, "schedule")
    schedule = Schedule(
        sweep_minutes=sched.number("sweep_minutes", 5, 1, 60),
        gap_lookahead_working_days=sched.number("gap_lookahead_working_days", 10, 1, 60),
    )
    sched.done()

    items = _items(file, doc)
    archive = _archive(file, doc)
    register = _register(file, doc)
    meta = _meta(file, doc)
    teams = _teams(file, doc)
    accounts = _accounts(file, doc)
    _check_intake_channels(file, teams, accounts)
    return OrgConfig(
        path=file,
        name=name,
        country=country,
        subdivision=subdivision,
        timezone=tz,
        language=language,
        coordinators=coordinators,
        coordinator_channel=coordinator_channel,
        calendar_rules=rules,
        schedule=schedule,
        items=items,
        archive=archive,
        register=register,
        meta=meta,
        teams=teams,
        accounts=accounts,
    )


def load_config(path: str | Path) -> OrgConfig:
    """Read and validate the organisation settings file; raises ConfigError."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(file, "(file)", "does not exist; copy config/vakt.example.toml") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(file, "(file)", f"cannot be read: {exc}") from None
    return parse_config(text, file)


class AccountStatus(StrEnum):
    REQUESTED = "requested"
    ACTIVE = "active"
    FLAGGED = "flagged"
    CLOSING = "closing"
    CLOSED = "closed"


# Accounts that are watched: on the rotas, reminded of snapshots, checked for flags.
LIVE = (AccountStatus.ACTIVE, AccountStatus.FLAGGED, AccountStatus.CLOSING)
