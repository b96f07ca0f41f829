"""The `vakt` command as a new user runs it: real processes, real files, one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from bot.store.db import head_revision
from tests.harness import CONFIG

ROOT = Path(__file__).resolve().parents[1]


def vakt(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_config_ok_and_bad(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(CONFIG)
    ok = vakt("check-config", str(good), env={}, cwd=tmp_path)
    assert ok.returncode == 0 and "OK – Testrud kommune" in ok.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text(CONFIG.replace('timezone = "Europe/Oslo"', 'timezone = "Mars/Olympus"'))
    failed = vakt("check-config", str(bad), env={}, cwd=tmp_path)
    assert failed.returncode == 2
    assert failed.stderr.strip() == (
        f"vakt: {bad}: organisation.timezone: 'Mars/Olympus' is not a time zone like Europe/Oslo"
    )
    assert "Traceback" not in failed.stderr


def test_check_config_names_an_id_on_the_wrong_platform_and_one_given_twice(
    tmp_path: Path,
) -> None:
    connected = CONFIG.rstrip("\n") + '\nfacebook_page_id = "1234567890"\n'
    good = tmp_path / "good.toml"
    good.write_text(connected)
    assert vakt("check-config", str(good), env={}, cwd=tmp_path).returncode == 0
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(CONFIG.rstrip("\n") + '\ninstagram_user_id = "1234567890"\n')
    failed = vakt("check-config", str(wrong), env={}, cwd=tmp_path)
    assert failed.returncode == 2
    assert failed.stderr.strip() == (
        f"vakt: {wrong}: account.fb-main.instagram_user_id: "
        "is only for accounts on instagram, not on facebook"
    )
    twice = tmp_path / "twice.toml"
    second = connected[connected.index("[[account]]") :].replace("fb-main", "fb-other")
    twice.write_text(connected + second)
    failed = vakt("check-config", str(twice), env={}, cwd=tmp_path)
    assert failed.returncode == 2
    assert failed.stderr.strip() == (
        f"vakt: {twice}: account.fb-other.facebook_page_id: "
        "1234567890 is already the facebook_page_id of account.fb-main"
    )


def test_default_config_path_and_missing_file(tmp_path: Path) -> None:
    result = vakt("check-config", env={}, cwd=tmp_path)
    assert result.returncode == 2
    assert (
        "config/vakt.toml: (file): does not exist; copy config/vakt.example.toml" in result.stderr
    )


def test_migrate_then_sweep_dry_run_prints_and_records_nothing(tmp_path: Path) -> None:
    (tmp_path / "vakt.toml").write_text(CONFIG)
    db = tmp_path / "data" / "vakt.sqlite3"
    env = {"VAKT_CONFIG": str(tmp_path / "vakt.toml"), "VAKT_DATA_DIR": str(tmp_path / "data")}
    migrated = vakt("migrate", env=env, cwd=tmp_path)
    assert (
        migrated.returncode == 0 and f"migrated from empty to {head_revision()}" in migrated.stdout
    )
    assert "already at" in vakt("migrate", env=env, cwd=tmp_path).stdout
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:  # the name Slack gave Vakt for Anna; Bo's it does not know
        conn.execute(
            sa.text("INSERT INTO person (user_id, fetched_at, name) VALUES (:u, :at, :n)"),
            {"u": "U0ANNA", "at": "2026-11-20 08:00:00", "n": "Anna Berg"},
        )
    swept = vakt("sweep", "--at", "2026-11-23T08:05", "--dry-run", env=env, cwd=tmp_path)
    assert swept.returncode == 0, swept.stderr
    # Monday 08:05: the handovers, and the weekly report (with its chart) to the coordinators'
    # channel and the manager, printed as people read them: names, not <@U0ANNA>, emoji, not
    # shortcodes, and a link's label with its address.
    assert "7 messages would send" in swept.stdout
    assert "to @Anna Berg: 👀 Your monitoring duty" in swept.stdout
    assert "[weekly_report_files] to @U0BOSS: Chart and figures, week 47" in swept.stdout
    assert "Substitute: @U0BO. Accounts: Testrud kommune (https://www.facebook.com/testrud)." in (
        swept.stdout
    )
    assert "<@" not in swept.stdout and ":eyes:" not in swept.stdout and "|" not in swept.stdout
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM outbox")).scalar() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM team")).scalar() == 1  # config applied
    engine.dispose()


def test_sweep_without_token_and_bad_instant(tmp_path: Path) -> None:
    (tmp_path / "vakt.toml").write_text(CONFIG)
    env = {"VAKT_CONFIG": str(tmp_path / "vakt.toml"), "VAKT_DATA_DIR": str(tmp_path)}
    no_token = vakt("sweep", env=env, cwd=tmp_path)
    assert no_token.returncode == 2 and "SLACK_BOT_TOKEN is missing" in no_token.stderr
    bad = vakt("sweep", "--dry-run", "--at", "monday", env=env, cwd=tmp_path)
    assert bad.returncode == 2 and "is not an ISO instant" in bad.stderr


def test_run_without_app_token_explains(tmp_path: Path) -> None:
    result = vakt("run", env={"SLACK_BOT_TOKEN": "xoxb-1"}, cwd=tmp_path)
    assert result.returncode == 2 and "SLACK_APP_TOKEN is missing" in result.stderr


def test_dotenv_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    (tmp_path / "vakt.toml").write_text(CONFIG)
    (tmp_path / ".env").write_text(
        f"VAKT_CONFIG={tmp_path / 'vakt.toml'}\nVAKT_DATA_DIR={tmp_path / 'fromfile'}\n"
    )
    result = vakt("migrate", env={"VAKT_DATA_DIR": str(tmp_path / "fromenv")}, cwd=tmp_path)
    assert result.returncode == 0
    assert (tmp_path / "fromenv" / "vakt.sqlite3").exists()
    assert not (tmp_path / "fromfile").exists()


def test_secrets_never_printed(tmp_path: Path) -> None:
    env = {"DATABASE_URL": "postgresql+psycopg://vakt:hunter2@127.0.0.1:1/vakt"}
    result = vakt("db-status", env=env, cwd=tmp_path)
    assert "hunter2" not in result.stdout + result.stderr
    assert result.returncode == 2 and "cannot reach the database" in result.stderr


def test_run_with_slack_unreachable_explains(tmp_path: Path) -> None:
    (tmp_path / "vakt.toml").write_text(CONFIG)
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_APP_TOKEN": "xapp-1",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "VAKT_CONFIG": str(tmp_path / "vakt.toml"),
        "VAKT_DATA_DIR": str(tmp_path),
    }
    result = vakt("run", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "vakt: Slack at http://127.0.0.1:9/api/ refused or did not answer" in result.stderr
    assert "Traceback" not in result.stderr and "xoxb-1" not in result.stderr


# An account whose team the file does not declare: a team made in Slack, or a mistake.
ELSEWHERE = (
    CONFIG
    + """
[[account]]
key = "ig-youth"
platform = "instagram"
name = "Ung i Testrud"
url = "https://www.instagram.com/ungitestrud"
team = "youth"
"""
)


def test_check_config_names_a_team_it_cannot_check_without_a_database(tmp_path: Path) -> None:
    (tmp_path / "vakt.toml").write_text(ELSEWHERE)
    env = {"VAKT_CONFIG": str(tmp_path / "vakt.toml"), "VAKT_DATA_DIR": str(tmp_path / "data")}
    result = vakt("check-config", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (
        "account.ig-youth.team: 'youth' is not declared in the file; must exist in the "
        "database (not checked: no database yet)"
    ) in result.stdout
    assert not (tmp_path / "data" / "vakt.sqlite3").exists()  # looking created nothing


def test_check_config_refuses_a_team_the_database_does_not_hold(tmp_path: Path) -> None:
    (tmp_path / "ok.toml").write_text(CONFIG)
    (tmp_path / "vakt.toml").write_text(ELSEWHERE)
    data = {"VAKT_DATA_DIR": str(tmp_path / "data")}
    assert (
        vakt(
            "migrate", env={**data, "VAKT_CONFIG": str(tmp_path / "ok.toml")}, cwd=tmp_path
        ).returncode
        == 0
    )
    result = vakt(
        "check-config", env={**data, "VAKT_CONFIG": str(tmp_path / "vakt.toml")}, cwd=tmp_path
    )
    assert result.returncode == 2
    # The words `vakt serve` refuses to start with.
    assert result.stderr.strip() == (
        f"vakt: {tmp_path / 'vakt.toml'}: account.ig-youth.team: 'youth' is neither declared in "
        "the file nor a team in the database"
    )


def test_check_config_accepts_a_team_the_database_holds(tmp_path: Path) -> None:
    with_youth = (
        CONFIG
        + '\n[[team]]\nkey = "youth"\nname = "Ungdom"\nmembers = ["U0ANNA"]\nstart = "2026-11-02"\n'
    )
    (tmp_path / "before.toml").write_text(with_youth)
    (tmp_path / "vakt.toml").write_text(ELSEWHERE)
    data = {"VAKT_DATA_DIR": str(tmp_path / "data")}
    assert (
        vakt(
            "migrate", env={**data, "VAKT_CONFIG": str(tmp_path / "before.toml")}, cwd=tmp_path
        ).returncode
        == 0
    )
    result = vakt(
        "check-config", env={**data, "VAKT_CONFIG": str(tmp_path / "vakt.toml")}, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert (
        "account.ig-youth.team: 'youth' is not declared in the file; is a team in the database"
        in result.stdout
    )


def test_migrate_applies_the_configuration_once(tmp_path: Path) -> None:
    (tmp_path / "vakt.toml").write_text(CONFIG)
    env = {"VAKT_CONFIG": str(tmp_path / "vakt.toml"), "VAKT_DATA_DIR": str(tmp_path / "data")}
    first = vakt("migrate", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert f"{tmp_path / 'vakt.toml'}: 2 changes applied" in first.stdout  # the team, the account
    public = vakt("export-register", "--public", "--out", "public", env=env, cwd=tmp_path)
    assert public.returncode == 0, public.stderr
    assert "public list of 1 account" in public.stdout
    assert "Testrud kommune" in (tmp_path / "public" / "accounts.csv").read_text(
        encoding="utf-8-sig"
    )
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'data' / 'vakt.sqlite3'}")
    with engine.connect() as conn:
        audited = conn.execute(sa.text("SELECT count(*) FROM audit_log")).scalar()
    again = vakt("migrate", env=env, cwd=tmp_path)
    assert "the database already holds its teams and accounts" in again.stdout
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM audit_log")).scalar() == audited == 2
        assert conn.execute(sa.text("SELECT count(*) FROM account")).scalar() == 1
    engine.dispose()


def test_an_older_release_on_a_newer_database_says_so_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "vakt.toml").write_text(CONFIG)
    env = {
        "VAKT_CONFIG": str(tmp_path / "vakt.toml"),
        "VAKT_DATA_DIR": str(tmp_path / "data"),
        "SLACK_BOT_TOKEN": "xoxb-1",
    }
    assert vakt("migrate", env=env, cwd=tmp_path).returncode == 0
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'data' / 'vakt.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0999'"))
    engine.dispose()
    for verb in ("migrate", "sweep"):
        result = vakt(verb, env=env, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr and "Can't locate revision" not in result.stderr
        assert f"vakt: database sqlite:///{tmp_path / 'data' / 'vakt.sqlite3'} is at 0999, a " in (
            result.stderr
        )
        assert result.stderr.count("vakt: ") == 1


def test_the_register_verbs_see_a_configuration_changed_since_migrate(tmp_path: Path) -> None:
    (tmp_path / "vakt.toml").write_text(CONFIG)
    env = {"VAKT_CONFIG": str(tmp_path / "vakt.toml"), "VAKT_DATA_DIR": str(tmp_path / "data")}
    assert vakt("migrate", env=env, cwd=tmp_path).returncode == 0
    (tmp_path / "vakt.toml").write_text(
        CONFIG.replace('name = "Testrud kommune"\nurl', 'name = "Testrud"\nurl')
    )
    listed = vakt("export-register", env=env, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert 'name = "Testrud"' in listed.stdout  # the file as it is now, not as migrated
    assert listed.stderr == ""  # stdout is the register itself; nothing said besides


def test_version(tmp_path: Path) -> None:
    from importlib.metadata import version

    result = vakt("--version", env={}, cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == f"vakt {version('vakt')}"


def test_the_source_trees_version_when_vakt_is_not_installed(tmp_path: Path) -> None:
    from importlib.metadata import version

    from bot.cli import source_version

    declared = source_version(ROOT / "pyproject.toml")
    assert declared == f"{version('vakt')} (source tree, not installed)"
    assert source_version(tmp_path / "pyproject.toml") == "unknown (not installed)"


def test_check_config_warns_of_what_a_valid_file_still_gets_wrong(tmp_path: Path) -> None:
    preset = ROOT / "config" / "presets" / "norberg.toml"
    shipped = vakt("check-config", str(preset), env={}, cwd=tmp_path)
    assert shipped.returncode == 0, shipped.stderr
    assert (
        "  warning: organisation.coordinators is empty: nobody can administer teams from Slack"
        in shipped.stdout
    )
    example = vakt("check-config", str(ROOT / "config" / "vakt.example.toml"), env={}, cwd=tmp_path)
    assert example.returncode == 0, example.stderr
    assert "warning: C0COMMS, C0TEAM1, U0COORD1 are the example's placeholder ids" in example.stdout
    (tmp_path / "real.toml").write_text(
        CONFIG.replace("U0COORD1", "U07QX2LMN")
        .replace("C0TEAM1", "C07ABCDEF")
        .replace("C0COMMS", "C07GHIJKL")
    )
    real = vakt("check-config", str(tmp_path / "real.toml"), env={}, cwd=tmp_path)
    assert real.returncode == 0 and "warning" not in real.stdout, real.stdout


def test_a_token_left_as_the_example_is_called_a_placeholder(tmp_path: Path) -> None:
    (tmp_path / "vakt.toml").write_text(CONFIG)
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text())
    env = {"VAKT_CONFIG": str(tmp_path / "vakt.toml"), "VAKT_DATA_DIR": str(tmp_path / "data")}
    run = vakt("run", env=env, cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr.strip() == (
        "vakt: SLACK_APP_TOKEN is still the placeholder from .env.example: put an app-level "
        "token (xapp-...) in .env"
    )
    swept = vakt("sweep", env=env, cwd=tmp_path)
    assert swept.returncode == 2
    assert "SLACK_BOT_TOKEN is still the placeholder from .env.example" in swept.stderr
    missing = vakt("sweep", env={**env, "SLACK_BOT_TOKEN": ""}, cwd=tmp_path)
    assert "SLACK_BOT_TOKEN is missing or not a bot token" in missing.stderr


def test_a_dry_run_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "vakt.toml").write_text(CONFIG)
    env = {"VAKT_CONFIG": str(tmp_path / "vakt.toml"), "VAKT_DATA_DIR": str(tmp_path / "data")}
    unmigrated = vakt("sweep", "--dry-run", env=env, cwd=tmp_path)
    assert unmigrated.returncode == 2
    assert "run `vakt migrate` first (a dry run changes nothing)" in unmigrated.stderr
    assert vakt("migrate", env=env, cwd=tmp_path).returncode == 0
    db = sa.create_engine(f"sqlite:///{tmp_path / 'data' / 'vakt.sqlite3'}")

    def counts() -> tuple[int, ...]:
        with db.connect() as conn:
            return tuple(
                conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() or 0  # noqa: S608
                for table in ("audit_log", "outbox", "team", "account")
            )

    before = counts()
    (tmp_path / "vakt.toml").write_text(CONFIG.replace('name = "Kommunikasjon"', 'name = "Komm"'))
    swept = vakt("sweep", "--dry-run", "--at", "2026-11-23T08:05", env=env, cwd=tmp_path)
    assert swept.returncode == 0, swept.stderr
    assert "would send" in swept.stdout
    assert (
        "the database lacks 1 change the file declares; vakt migrate applies them" in swept.stdout
    )
    assert counts() == before
    with db.connect() as conn:
        assert conn.execute(sa.text("SELECT name FROM team")).scalar() == "Kommunikasjon"
    db.dispose()
