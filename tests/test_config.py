"""Organisation settings: the shipped presets are valid, and every mistake names file and key."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parents[1]
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
