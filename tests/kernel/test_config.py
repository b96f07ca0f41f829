"""Organisation settings: the shipped presets are valid, and every mistake names file and key."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from bot.kernel.config import ArchiveRules, ConfigError, ItemRules, load_config, parse_config

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = """
[organisation]
name = "Testkommune"
country = "NO"
timezone = "Europe/Oslo"
language = "nb"
coordinators = ["U0COORD1"]

[office_hours]
monday = "08:00-16:00"
"""


@pytest.mark.parametrize("path", sorted((ROOT / "config").glob("**/*.toml")), ids=lambda p: p.name)
def test_shipped_configurations_are_valid(path: Path) -> None:
    config = load_config(path)
    assert config.calendar().is_working_day(date(2026, 11, 23))  # an ordinary Monday
    archive = config.archive
    assert isinstance(archive, ArchiveRules)
    assert 1 <= archive.max_file_mb <= 1000
    assert 1 <= archive.escalate_after_working_days <= 60
    assert 0 <= archive.snapshot_months <= 60
    if archive.review_date is not None:
        assert date(2028, *archive.review_date)  # a real day of a leap year
    for account in config.accounts:
        assert account.snapshot_months is None or 0 <= account.snapshot_months <= 60


@pytest.mark.parametrize(
    ("preset", "day", "working"),
    [
        ("vestre-toten", date(2026, 12, 24), False),  # Norway's presets close on Christmas Eve
        ("rakkestad", date(2026, 12, 31), False),  # ... and New Year's Eve
        ("porsgrunn", date(2026, 12, 23), True),
        ("kungalv", date(2026, 6, 19), False),  # Midsummer Eve (Sweden's de facto holiday)
        ("norberg", date(2026, 12, 24), False),
    ],
)
def test_presets_closed_days(preset: str, day: date, working: bool) -> None:
    config = load_config(ROOT / "config" / "presets" / f"{preset}.toml")
    assert config.calendar().is_working_day(day) is working


def test_rakkestad_answers_nine_to_three() -> None:
    config = load_config(ROOT / "config" / "presets" / "rakkestad.toml")
    hours = config.calendar().hours(date(2026, 11, 23))
    assert hours is not None
    assert (hours[0].time(), hours[1].time()) == (time(9), time(15))


def test_example_declares_team_and_account() -> None:
    config = load_config(ROOT / "config" / "vakt.example.toml")
    assert [t.key for t in config.teams] == ["komm"]
    assert config.teams[0].members == ("U0ANNA", "U0BO", "U0CARL")
    assert config.accounts[0].team == "komm"


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        (
            ('timezone = "Europe/Oslo"', 'timezone = "Europe/Osl"'),
            "organisation.timezone",
            "time zone",
        ),
        (('country = "NO"', 'country = "US"'), "organisation.country", "must be one of"),
        (('language = "nb"', 'language = "de"'), "organisation.language", "must be one of"),
        (('["U0COORD1"]', '["anna"]'), "organisation.coordinators", "not a Slack user id"),
        (('"08:00-16:00"', '"16:00-08:00"'), "office_hours.monday", "closes before it opens"),
        (('"08:00-16:00"', '"8 to 4"'), "office_hours.monday", "not office hours"),
        (('name = "Testkommune"', 'nme = "Testkommune"'), "organisation.name", "required"),
        (("[office_hours]", "[office_hour]"), "office_hour", "not a section"),
        (
            ('language = "nb"', 'language = "nb"\ncolour = "red"'),
            "organisation.colour",
            "not a setting",
        ),
        (('country = "NO"', 'country = "NO'), "(syntax)", "not valid TOML"),
    ],
)
def test_errors_name_file_and_key(change: tuple[str, str], key: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(MINIMAL.replace(*change), "vakt.toml")
    assert caught.value.key == key
    assert words in caught.value.problem
    assert str(caught.value).startswith(f"vakt.toml: {key}: ")


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        (
            '[[team]]\nkey = "Komm!"\nname = "K"\nmembers = ["U0A1"]\nstart = "2026-11-02"',
            "team[0].key",
        ),
        (
            '[[team]]\nkey = "komm"\nname = "K"\nmembers = []\nstart = "2026-11-02"',
            "team.komm.members",
        ),
        (
            '[[team]]\nkey = "komm"\nname = "K"\nmembers = ["U0A1"]\nstart = "2026-13-02"',
            "team.komm.start",
        ),
        (
            '[[team]]\nkey = "komm"\nname = "K"\nmembers = ["U0A1"]\nstart = "2026-11-02"\nrotation = "monthly"',
            "team.komm.rotation",
        ),
        (
            '[[account]]\nkey = "fb"\nplatform = "myspace"\nname = "F"\nurl = "https://x"\nteam = "komm"',
            "account.fb.platform",
        ),
        (
            '[[account]]\nkey = "fb"\nplatform = "facebook"\nname = "F"\nurl = "x.com"\nteam = "komm"',
            "account.fb.url",
        ),
        ('[closed_days]\nrecurring = ["24-12"]', "closed_days.recurring"),
        ('[half_days]\n"12-23" = "noon"', "half_days.12-23"),
    ],
)
def test_team_account_and_calendar_errors(extra: str, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(MINIMAL + "\n" + extra, "vakt.toml")
    assert caught.value.key == key


def test_missing_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"copy config/vakt\.example\.toml"):
        load_config(tmp_path / "nope.toml")


# --- [items] -----------------------------------------------------------------------------------

TEAM = """
[[team]]
key = "komm"
name = "Kommunikasjon"
members = ["U0A1", "U0B2"]
start = "2026-11-02"
"""
ACCOUNT = """
[[account]]
key = "fb"
platform = "facebook"
name = "Facebook"
url = "https://facebook.com/kommune"
team = "komm"
"""


def test_items_defaults_when_absent() -> None:
    config = parse_config(MINIMAL, "vakt.toml")
    assert config.items == ItemRules()
    assert config.items.deadline_working_days == 1
    assert config.items.reminder_times == (time(9), time(13))


def test_items_table_is_read() -> None:
    extra = """
[items]
reminder_times = ["14:30", "08:15", "9:00", "08:15"]
deadline_working_days = 2
escalate_after_working_days = 0
retention_days = 30
excerpt_chars = 0
digest_items = 5
"""
    items = parse_config(MINIMAL + extra, "vakt.toml").items
    assert items == ItemRules(
        deadline_working_days=2,
        reminder_times=(time(8, 15), time(9), time(14, 30)),
        escalate_after_working_days=0,
        retention_days=30,
        excerpt_chars=0,
        digest_items=5,
    )


@pytest.mark.parametrize(
    ("setting", "key", "words"),
    [
        ('reminder_times = ["09:00", "25:00"]', "items.reminder_times", "not a time of day"),
        ('reminder_times = ["09:60"]', "items.reminder_times", "not a time of day"),
        ('reminder_times = ["nine"]', "items.reminder_times", "not a time like"),
        ('reminder_times = "09:00"', "items.reminder_times", "must be a list"),
        ("reminder_times = []", "items.reminder_times", "must be a list"),
        ('reminder_times = ["09:00", 13]', "items.reminder_times", "13 is not a time"),
        ("reminder_times = [09:00:00]", "items.reminder_times", "is not a time"),
        ("deadline_working_days = 0", "items.deadline_working_days", "from 1 to 10"),
        ("deadline_working_days = 11", "items.deadline_working_days", "from 1 to 10"),
        ('deadline_working_days = "1"', "items.deadline_working_days", "whole number"),
        ("escalate_after_working_days = -1", "items.escalate_after_working_days", "from 0 to 20"),
        ("excerpt_chars = 501", "items.excerpt_chars", "from 0 to 500"),
        ("digest_items = 0", "items.digest_items", "from 1 to 20"),
        ("retention_days = true", "items.retention_days", "whole number"),
        ('reminder_time = ["09:00"]', "items.reminder_time", "not a setting"),
    ],
)
def test_items_errors_name_the_key(setting: str, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(MINIMAL + "\n[items]\n" + setting + "\n", "vakt.toml")
    assert caught.value.key == key
    assert words in caught.value.problem
    message = str(caught.value)
    assert message.startswith(f"vakt.toml: {key}: ")
    assert "\n" not in message


def test_items_must_be_a_table() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("items = 3\n" + MINIMAL, "vakt.toml")
    assert caught.value.key == "items"
    assert "must be a table" in caught.value.problem


def test_account_item_settings() -> None:
    extra = (
        TEAM
        + 'intake_channel = "C0TEAMIN"\n'
        + ACCOUNT
        + 'intake_channel = "C0FBIN"\ndeadline_working_days = 3\nmust_register = true\n'
        + ACCOUNT.replace('"fb"', '"ig"').replace('"facebook"', '"instagram"')
    )
    config = parse_config(MINIMAL + extra, "vakt.toml")
    assert config.teams[0].intake_channel == "C0TEAMIN"
    fb, ig = config.accounts
    assert (fb.intake_channel, fb.deadline_working_days, fb.must_register) == ("C0FBIN", 3, True)
    # Left out: no intake channel, the organisation's deadline, no registration.
    assert (ig.intake_channel, ig.deadline_working_days, ig.must_register) == (None, None, False)


@pytest.mark.parametrize(
    ("setting", "key", "words"),
    [
        ("deadline_working_days = 0", "account.fb.deadline_working_days", "from 1 to 10"),
        ("deadline_working_days = 11", "account.fb.deadline_working_days", "from 1 to 10"),
        ('must_register = "yes"', "account.fb.must_register", "true or false"),
        ('intake_channel = "general"', "account.fb.intake_channel", "not a Slack channel id"),
    ],
)
def test_account_item_setting_errors(setting: str, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(MINIMAL + TEAM + ACCOUNT + setting + "\n", "vakt.toml")
    assert caught.value.key == key
    assert words in caught.value.problem


def test_team_intake_channel_must_be_a_channel_id() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(MINIMAL + TEAM + 'intake_channel = "U0A1"\n', "vakt.toml")
    assert caught.value.key == "team.komm.intake_channel"


def test_intake_channel_used_by_team_and_account() -> None:
    extra = TEAM + 'intake_channel = "C0INTAKE"\n' + ACCOUNT + 'intake_channel = "C0INTAKE"\n'
    with pytest.raises(ConfigError) as caught:
        parse_config(MINIMAL + extra, "vakt.toml")
    assert caught.value.key == "account.fb.intake_channel"
    assert "C0INTAKE" in caught.value.problem
    assert "team.komm" in caught.value.problem
    assert "\n" not in str(caught.value)


def test_intake_channel_used_by_two_accounts() -> None:
    second = ACCOUNT.replace('"fb"', '"ig"').replace('"facebook"', '"instagram"')
    extra = (
        TEAM + ACCOUNT + 'intake_channel = "C0INTAKE"\n' + second + 'intake_channel = "C0INTAKE"\n'
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(MINIMAL + extra, "vakt.toml")
    assert caught.value.key == "account.ig.intake_channel"
    assert "account.fb" in caught.value.problem


def test_distinct_intake_channels_are_accepted() -> None:
    extra = TEAM + 'intake_channel = "C0TEAM"\n' + ACCOUNT + 'intake_channel = "C0FB"\n'
    config = parse_config(MINIMAL + extra, "vakt.toml")
    assert {config.teams[0].intake_channel, config.accounts[0].intake_channel} == {"C0TEAM", "C0FB"}


# --- [archive] ---------------------------------------------------------------------------------


def test_archive_defaults_when_absent() -> None:
    archive = parse_config(MINIMAL, "vakt.toml").archive
    assert archive == ArchiveRules()
    assert (archive.require_approval, archive.require_registration) == (False, False)
    assert (archive.max_file_mb, archive.escalate_after_working_days) == (25, 3)
    assert (archive.snapshot_months, archive.review_date) == (0, None)


def test_archive_empty_table_gives_the_defaults() -> None:
    assert parse_config(MINIMAL + "\n[archive]\n", "vakt.toml").archive == ArchiveRules()


def test_archive_table_is_read() -> None:
    extra = """
[archive]
require_approval = true
require_registration = true
max_file_mb = 50
escalate_after_working_days = 5
snapshot_months = 6
review_date = "02-01"
"""
    archive = parse_config(MINIMAL + extra, "vakt.toml").archive
    assert archive == ArchiveRules(
        require_approval=True,
        require_registration=True,
        max_file_mb=50,
        escalate_after_working_days=5,
        snapshot_months=6,
        review_date=(2, 1),
    )
    assert archive.max_bytes == 50 * 1024 * 1024


@pytest.mark.parametrize(
    ("setting", "field", "value"),
    [
        ("max_file_mb = 1", "max_file_mb", 1),
        ("max_file_mb = 1000", "max_file_mb", 1000),
        ("escalate_after_working_days = 1", "escalate_after_working_days", 1),
        ("escalate_after_working_days = 60", "escalate_after_working_days", 60),
        ("snapshot_months = 0", "snapshot_months", 0),
        ("snapshot_months = 60", "snapshot_months", 60),
        ('review_date = "02-29"', "review_date", (2, 29)),  # 28 February in other years
        ('review_date = "12-31"', "review_date", (12, 31)),
        ("require_approval = false", "require_approval", False),
    ],
)
def test_archive_limits_are_accepted(setting: str, field: str, value: object) -> None:
    archive = parse_config(MINIMAL + "\n[archive]\n" + setting + "\n", "vakt.toml").archive
    assert getattr(archive, field) == value


@pytest.mark.parametrize(
    ("setting", "key", "words"),
    [
        ('require_approval = "yes"', "archive.require_approval", "true or false"),
        ("require_approval = 1", "archive.require_approval", "true or false"),
        ('require_registration = "true"', "archive.require_registration", "true or false"),
        ("max_file_mb = 0", "archive.max_file_mb", "from 1 to 1000"),
        ("max_file_mb = 1001", "archive.max_file_mb", "from 1 to 1000"),
        ("max_file_mb = 2.5", "archive.max_file_mb", "whole number"),
        ('max_file_mb = "25"', "archive.max_file_mb", "whole number"),
        ("max_file_mb = true", "archive.max_file_mb", "whole number"),
        ("escalate_after_working_days = 0", "archive.escalate_after_working_days", "from 1 to 60"),
        (
            "escalate_after_working_days = 61",
            "archive.escalate_after_working_days",
            "from 1 to 60",
        ),
        ("snapshot_months = -1", "archive.snapshot_months", "from 0 to 60"),
        ("snapshot_months = 61", "archive.snapshot_months", "from 0 to 60"),
        ('snapshot_months = "6"', "archive.snapshot_months", "whole number"),
        ('review_date = "13-01"', "archive.review_date", "not a day of the year"),
        ('review_date = "02-30"', "archive.review_date", "not a day of the year"),
        ('review_date = "00-10"', "archive.review_date", "not a day of the year"),
        ('review_date = "1-6"', "archive.review_date", "MM-DD"),
        ('review_date = "2026-02-01"', "archive.review_date", "MM-DD"),
        ('review_date = "12/24"', "archive.review_date", "MM-DD"),
        ("review_date = 1224", "archive.review_date", "MM-DD"),
        ("review_date = 2026-02-01", "archive.review_date", "MM-DD"),
        ("snapshot_month = 6", "archive.snapshot_month", "not a setting"),
        ("require_aproval = true", "archive.require_aproval", "not a setting"),
    ],
)
def test_archive_errors_name_the_key(setting: str, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(MINIMAL + "\n[archive]\n" + setting + "\n", "vakt.toml")
    assert caught.value.key == key
    assert words in caught.value.problem
    message = str(caught.value)
    assert message.startswith(f"vakt.toml: {key}: ")
    assert "\n" not in message


def test_archive_must_be_a_table() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config("archive = true\n" + MINIMAL, "vakt.toml")
    assert caught.value.key == "archive"
    assert "must be a table" in caught.value.problem


def test_account_snapshot_months() -> None:
    second = ACCOUNT.replace('"fb"', '"ig"').replace('"facebook"', '"instagram"')
    third = ACCOUNT.replace('"fb"', '"yt"').replace('"facebook"', '"youtube"')
    extra = (
        "[archive]\nsnapshot_months = 12\n"
        + TEAM
        + ACCOUNT
        + "snapshot_months = 6\n"
        + second
        + "snapshot_months = 0\n"
        + third
    )
    config = parse_config(MINIMAL + extra, "vakt.toml")
    assert config.archive.snapshot_months == 12
    fb, ig, yt = config.accounts
    assert fb.snapshot_months == 6  # KG5: twice a year for this account
    assert ig.snapshot_months == 0  # no periodic snapshots for this one
    assert yt.snapshot_months is None  # left out: the organisation's setting


@pytest.mark.parametrize("months", [0, 1, 60])
def test_account_snapshot_months_limits_are_accepted(months: int) -> None:
    config = parse_config(MINIMAL + TEAM + ACCOUNT + f"snapshot_months = {months}\n", "vakt.toml")
    assert config.accounts[0].snapshot_months == months


@pytest.mark.parametrize(
    ("setting", "words"),
    [
        ("snapshot_months = -1", "from 0 to 60"),
        ("snapshot_months = 61", "from 0 to 60"),
        ('snapshot_months = "6"', "whole number"),
        ("snapshot_months = true", "whole number"),
        ("snapshot_months = 6.0", "whole number"),
    ],
)
def test_account_snapshot_months_errors(setting: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(MINIMAL + TEAM + ACCOUNT + setting + "\n", "vakt.toml")
    assert caught.value.key == "account.fb.snapshot_months"
    assert words in caught.value.problem


# --- the account register ------------------------------------------------------------


def test_register_defaults_when_absent() -> None:
    rules = parse_config(MINIMAL, "vakt.toml").register
    assert (rules.cadence_days, rules.approvals, rules.coverage_members, rules.coverage_days) == (
        14,
        "either",
        2,
        14,
    )


def test_register_table_is_read() -> None:
    text = MINIMAL + (
        '[register]\ncadence_days = 7\napprovals = "both"\ncoverage_members = 3\n'
        "coverage_days = 21\n"
    )
    rules = parse_config(text, "vakt.toml").register
    assert (rules.cadence_days, rules.approvals, rules.coverage_members, rules.coverage_days) == (
        7,
        "both",
        3,
        21,
    )


@pytest.mark.parametrize(
    ("setting", "key", "words"),
    [
        ("cadence_days = -1", "register.cadence_days", "from 0 to 365"),
        ('approvals = "all"', "register.approvals", "either, both"),
        ("coverage_members = 0", "register.coverage_members", "from 1 to 10"),
        ("coverage_days = 90", "register.coverage_days", "from 1 to 60"),
        ("cadense_days = 7", "register.cadense_days", "misspelt"),
    ],
)
def test_register_errors_name_the_key(setting: str, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(MINIMAL + "[register]\n" + setting + "\n", "vakt.toml")
    assert caught.value.key == key
    assert words in caught.value.problem


def test_account_register_fields() -> None:
    extra = (
        TEAM
        + ACCOUNT
        + (
            'kind = "closed-group"\nunit = "Kulturskolen"\nmanager = "U0BOSS"\n'
            'admins = ["U0ANNA", "U0BO"]\npurpose = "Nyheter"\nplan = "Två inlägg i veckan"\n'
            'created = "2019-03-01"\nend_date = 2027-06-30\ncadence_days = 7\n'
            "max_posts_week = 10\nmax_posts_day = 2\ncoordinator_admin = true\n"
            'credentials_held = true\npublished_channel = "C0FEED"\n'
        )
    )
    (account,) = parse_config(MINIMAL + extra, "vakt.toml").accounts
    assert (account.kind, account.unit, account.manager) == (
        "closed-group",
        "Kulturskolen",
        "U0BOSS",
    )
    assert account.admins == ("U0ANNA", "U0BO")
    assert (account.purpose, account.plan, account.audience) == (
        "Nyheter",
        "Två inlägg i veckan",
        None,
    )
    assert (account.created_on, account.end_date) == (date(2019, 3, 1), date(2027, 6, 30))
    assert (account.cadence_days, account.max_posts_week, account.max_posts_day) == (7, 10, 2)
    assert account.coordinator_admin and account.credentials_held
    assert account.published_channel == "C0FEED"


def test_account_register_fields_default_to_a_page_with_nothing_known() -> None:
    (account,) = parse_config(MINIMAL + TEAM + ACCOUNT, "vakt.toml").accounts
    assert (account.kind, account.admins, account.cadence_days, account.end_date) == (
        "page",
        (),
        None,
        None,
    )
    assert not account.coordinator_admin and not account.credentials_held


@pytest.mark.parametrize(
    ("setting", "key", "words"),
    [
        ('kind = "group"', "account.fb.kind", "secret-group"),
        ('admins = ["anna"]', "account.fb.admins", "not a Slack user id"),
        ('manager = "C0CHAN"', "account.fb.manager", "not a Slack user id"),
        ('created = "1. mars"', "account.fb.created", "not a date"),
        ('end_date = "2027-13-01"', "account.fb.end_date", "not a date"),
        ("cadence_days = 400", "account.fb.cadence_days", "from 0 to 365"),
        ("max_posts_week = 0", "account.fb.max_posts_week", "from 1 to 1000"),
        ("max_posts_day = 101", "account.fb.max_posts_day", "from 1 to 100"),
        ('credentials_held = "ja"', "account.fb.credentials_held", "true or false"),
        ('published_channel = "#nyheter"', "account.fb.published_channel", "not a Slack channel"),
        ('purpose = "' + "x" * 2001 + '"', "account.fb.purpose", "longer than 2000"),
        ('password = "hemlig"', "account.fb.password", "misspelt"),
    ],
)
def test_account_register_field_errors(setting: str, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(MINIMAL + TEAM + ACCOUNT + setting + "\n", "vakt.toml")
    assert caught.value.key == key
    assert words in caught.value.problem


def test_published_feed_is_no_intake_channel_and_belongs_to_one_account() -> None:
    second = ACCOUNT.replace('"fb"', '"ig"').replace('"facebook"', '"instagram"')
    clash = TEAM + 'intake_channel = "C0IN"\n' + ACCOUNT + 'published_channel = "C0IN"\n'
    with pytest.raises(ConfigError) as caught:
        parse_config(MINIMAL + clash, "vakt.toml")
    assert caught.value.key == "account.fb.published_channel"
    twice = TEAM + ACCOUNT + 'published_channel = "C0F"\n' + second + 'published_channel = "C0F"\n'
    with pytest.raises(ConfigError) as caught:
        parse_config(MINIMAL + twice, "vakt.toml")
    assert caught.value.key == "account.ig.published_channel"


@pytest.mark.parametrize(
    ("setting", "key", "words"),
    [
        ('created = "2026-06-01"\nend_date = "2026-05-31"', "account.fb.end_date", "before"),
        ("max_posts_week = 5\nmax_posts_day = 6", "account.fb.max_posts_day", "more than 5 a week"),
        (
            "admins = [" + ", ".join(f'"U0{n:09d}"' for n in range(40)) + "]",
            "account.fb.admins",
            "at most 400 characters",
        ),
    ],
)
def test_account_register_fields_that_contradict_each_other(
    setting: str, key: str, words: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(MINIMAL + TEAM + ACCOUNT + setting + "\n", "vakt.toml")
    assert caught.value.key == key
    assert words in caught.value.problem


def test_an_account_names_its_facebook_page_or_instagram_account() -> None:
    second = ACCOUNT.replace('"fb"', '"ig"').replace('"facebook"', '"instagram"')
    group = ACCOUNT.replace('"fb"', '"fbg"').replace('"facebook"', '"facebook-group"')
    text = (
        TEAM
        + ACCOUNT
        + 'facebook_page_id = "1234567890"\n'
        + second
        + "instagram_user_id = 17841400000000001\n"  # a TOML integer: kept as its digits
        + group
        + 'facebook_page_id = " 98765 "\n'
    )
    fb, ig, fbg = parse_config(MINIMAL + text, "vakt.toml").accounts
    assert (fb.facebook_page_id, fb.instagram_user_id) == ("1234567890", None)
    assert (ig.facebook_page_id, ig.instagram_user_id) == (None, "17841400000000001")
    assert fbg.facebook_page_id == "98765"


@pytest.mark.parametrize(
    ("setting", "words"),
    [
        ('facebook_page_id = "1234"', "5 to 30 digits"),
        ('facebook_page_id = "1" ', "5 to 30 digits"),
        ('facebook_page_id = "' + "1" * 31 + '"', "5 to 30 digits"),
        ('facebook_page_id = "12345abc"', "5 to 30 digits"),
        ('facebook_page_id = "١٢٣٤٥٦"', "5 to 30 digits"),  # digits, but not 0-9
        ("facebook_page_id = -123456", "5 to 30 digits"),
        ("facebook_page_id = 1.5e9", "5 to 30 digits"),
        ("facebook_page_id = true", "5 to 30 digits"),
        ('facebook_page_id = ""', "5 to 30 digits"),
    ],
)
def test_a_facebook_page_id_is_digits(setting: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(MINIMAL + TEAM + ACCOUNT + setting + "\n", "vakt.toml")
    assert caught.value.key == "account.fb.facebook_page_id"
    assert words in caught.value.problem


@pytest.mark.parametrize(
    ("platform", "setting", "key", "words"),
    [
        (
            "instagram",
            'facebook_page_id = "1234567890"',
            "account.fb.facebook_page_id",
            "only for accounts on facebook or facebook-group, not on instagram",
        ),
        (
            "youtube",
            'facebook_page_id = "1234567890"',
            "account.fb.facebook_page_id",
            "not on youtube",
        ),
        (
            "facebook",
            'instagram_user_id = "1234567890"',
            "account.fb.instagram_user_id",
            "only for accounts on instagram, not on facebook",
        ),
        (
            "facebook-group",
            "instagram_user_id = 1234567890",
            "account.fb.instagram_user_id",
            "only for accounts on instagram",
        ),
    ],
)
def test_an_id_belongs_to_its_own_platform(
    platform: str, setting: str, key: str, words: str
) -> None:
    account = ACCOUNT.replace('"facebook"', f'"{platform}"')
    with pytest.raises(ConfigError) as caught:
        parse_config(MINIMAL + TEAM + account + setting + "\n", "vakt.toml")
    assert (caught.value.file, caught.value.key) == ("vakt.toml", key)
    assert words in caught.value.problem


@pytest.mark.parametrize(
    ("platform", "field", "first", "again"),
    [
        ("facebook", "facebook_page_id", '"1234567890"', "1234567890"),  # text, then a number
        ("instagram", "instagram_user_id", '"17841400000000001"', '"17841400000000001"'),
    ],
)
def test_an_id_belongs_to_one_account(platform: str, field: str, first: str, again: str) -> None:
    one = ACCOUNT.replace('"fb"', '"one"').replace('"facebook"', f'"{platform}"')
    two = ACCOUNT.replace('"fb"', '"two"').replace('"facebook"', f'"{platform}"')
    text = TEAM + one + f"{field} = {first}\n" + two + f"{field} = {again}\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(MINIMAL + text, "vakt.toml")
    assert caught.value.key == f"account.two.{field}"
    assert "account.one" in caught.value.problem
    assert str(caught.value).startswith("vakt.toml: account.two.")
