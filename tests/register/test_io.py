"""Moving the register in bulk (`vakt import`, `vakt export-register`) and the public list (KG4),
through the real command on real databases."""

from __future__ import annotations

import csv
import io
import json
import os
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from bot.cli import main
from bot.kernel.config import AccountKind, AccountStatus, TableReader, account_decl, parse_config
from bot.register.io import EXPORT_COLUMNS, collation_key
from bot.register.sync import apply_config
from bot.store.db import make_engine, migrate, session_scope
from bot.store.models import Account, AuditLog, Team
from tests.harness import CONFIG
from tests.test_cli import vakt

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
BOM = b"\xef\xbb\xbf"
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def seed(engine: Engine, config_text: str = CONFIG) -> None:
    """The configuration applied (team komm, the declared fb-main) and a register kept in Slack."""
    with session_scope(engine) as session:
        apply_config(session, parse_config(config_text, "vakt.toml"), NOW)
        session.add(
            Team(
                key="kultur",
                name="Kultur",
                start=date(2026, 11, 2),
                intake_channel="C0KULT",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        session.flush()
        komm = session.exec(select(Team).where(Team.key == "komm")).one()
        session.add(
            Account(
                key="ig-ung",
                platform="instagram",
                name="Ung i Testrud",
                url="https://www.instagram.com/ungtestrud",
                team_id=komm.id,
                kind="page",
                unit="Ungdomstjenesten",
                manager="U0BOSS",
                admins="U0ANNA,U0BO",
                purpose="Reach young people where they are",
                audience="13–19 year olds",
                dialogue="Answered within a working day",
                privacy="No case handling in comments",
                resources="Two hours a week",
                plan='Weekly posts about activities,\n"quoted" and; odd, cells',
                created_on=date(2024, 3, 1),
                end_date=date(2027, 6, 30),
                cadence_days=7,
                max_posts_week=5,
                max_posts_day=2,
                snapshot_months=6,
                deadline_working_days=2,
                must_register=True,
                coordinator_admin=True,
                credentials_held=True,
                intake_channel="C0IGUNG",
                published_channel="C0IGPUB",
                instagram_user_id="17841400000000001",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        session.add(
            Account(
                key="fb-kulturhus",
                platform="facebook-group",
                name="Kulturhuset",
                url="",  # just approved: no address yet
                team_id=komm.id,
                kind="closed-group",
                status="flagged",
                facebook_page_id="102030405060",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        session.add(
            Account(
                key="yt-old",
                platform="youtube",
                name="Gammel kanal",
                url="https://youtube.com/@old",
                team_id=komm.id,
                status="closed",
                closed_on=date(2026, 10, 1),
                created_at=NOW,
                updated_at=NOW,
            )
        )


@pytest.fixture(autouse=True)
def _mplconfigdir_put_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """`vakt` run in-process points MPLCONFIGDIR at its data directory: undone after each test."""
    monkeypatch.setenv("MPLCONFIGDIR", os.environ.get("MPLCONFIGDIR", ""))


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> Iterator[Engine]:
    """A deployment: configuration, a migrated and seeded database, `vakt` run in-process."""
    yield from _site(tmp_path, monkeypatch, db_url)


def _site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str) -> Iterator[Engine]:
    (tmp_path / "vakt.toml").write_text(CONFIG.replace('language = "en"', 'language = "nb"'))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("VAKT_CONFIG", str(tmp_path / "vakt.toml"))
    monkeypatch.setenv("DATABASE_URL", url)
    engine = make_engine(url)
    migrate(engine)
    seed(engine)
    yield engine
    engine.dispose()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def audit_rows(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(AuditLog)).one()


def register(engine: Engine) -> dict[str, dict[str, object]]:
    """Every account's columns, to compare before and after."""
    with Session(engine) as session:
        return {
            a.key: a.model_dump(exclude={"id", "team_id", "created_at", "updated_at"})
            for a in session.exec(select(Account).order_by(col(Account.key))).all()
        }


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def write_csv(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")  # no BOM: accepted too


# ---------------------------------------------------------------- export and round trip


def test_toml_export_has_the_configuration_keys_and_validates(
    site: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "export-register")
    assert code == 0
    doc = tomllib.loads(out)
    assert [t["key"] for t in doc["account"]] == ["fb-kulturhus", "fb-main", "ig-ung"]
    ig = doc["account"][2]
    # All that are set (an Instagram account has no Facebook Page).
    assert list(ig) == [c for c in EXPORT_COLUMNS if c not in ("closed_on", "facebook_page_id")]
    assert ig["instagram_user_id"] == "17841400000000001"  # text, as Meta gives it
    assert doc["account"][0]["facebook_page_id"] == "102030405060"
    assert ig["admins"] == ["U0ANNA", "U0BO"] and ig["created"] == date(2024, 3, 1)
    assert ig["must_register"] is True and ig["status"] == "active"
    # Apart from the read-only lifecycle columns, a table is a valid `[[account]]` of the config.
    table = {k: v for k, v in ig.items() if k not in ("status", "closed_on")}
    decl = account_decl(TableReader("x.toml", table, "account[0]"))
    assert decl.plan == 'Weekly posts about activities,\n"quoted" and; odd, cells'
    assert "yt-old" not in out  # closed accounts only with --include-closed


def test_include_closed(site: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "export-register", "--format", "csv", "--include-closed")
    assert code == 0
    rows = csv_rows(out.encode())
    old = next(r for r in rows if r["key"] == "yt-old")
    assert (old["status"], old["closed_on"]) == ("closed", "2026-10-01")


@pytest.mark.parametrize("suffix", ["toml", "csv"])
def test_round_trip_changes_nothing(
    site: Engine, capsys: pytest.CaptureFixture[str], tmp_path: Path, suffix: str
) -> None:
    before, audits = register(site), audit_rows(site)
    code, out, _ = run(capsys, "export-register", "--out", f"register.{suffix}")
    assert (code, out) == (0, f"3 accounts written to register.{suffix} as {suffix.upper()}\n")
    first = (tmp_path / f"register.{suffix}").read_bytes()
    assert first.startswith(BOM) == (suffix == "csv")
    code, out, err = run(capsys, "import", f"register.{suffix}")
    assert code == 0, err
    assert out == (
        f"  fb-main: skipped (declared in the configuration file)\n"
        f"register.{suffix}: changed 0 accounts – 0 created, 0 updated, 2 unchanged, 1 skipped\n"
    )
    assert register(site) == before and audit_rows(site) == audits
    run(capsys, "export-register", "--out", f"again.{suffix}")
    assert (tmp_path / f"again.{suffix}").read_bytes() == first  # deterministic


@pytest.mark.parametrize("suffix", ["toml", "csv"])
def test_a_register_moves_to_another_database(
    any_db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    suffix: str,
) -> None:
    """Export from one installation, import into a fresh one (SQLite or PostgreSQL): the same
    register, audited once; a second import changes nothing."""
    source = make_engine(f"sqlite:///{tmp_path / 'source.sqlite3'}")
    migrate(source)
    seed(source)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'source.sqlite3'}")
    (tmp_path / "vakt.toml").write_text(CONFIG)
    monkeypatch.setenv("VAKT_CONFIG", str(tmp_path / "vakt.toml"))
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "export-register", "--include-closed", "--out", f"r.{suffix}")[0] == 0
    expected = register(source)
    source.dispose()

    target = make_engine(any_db_url)
    try:
        migrate(target)
        with session_scope(target) as session:
            apply_config(session, parse_config(CONFIG, "vakt.toml"), NOW)
            session.add(
                Team(
                    key="kultur",
                    name="Kultur",
                    start=date(2026, 11, 2),
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
        monkeypatch.setenv("DATABASE_URL", any_db_url)
        code, out, err = run(capsys, "import", f"r.{suffix}")
        assert code == 0, err
        assert out.splitlines() == [
            "  fb-kulturhus: created",
            "  fb-main: skipped (declared in the configuration file)",
            "  ig-ung: created",
            "  yt-old: skipped (closed in the file: not created)",
            f"r.{suffix}: changed 2 accounts – 2 created, 0 updated, 0 unchanged, 2 skipped",
        ]
        moved = register(target)
        assert set(moved) == {"fb-main", "fb-kulturhus", "ig-ung"}
        assert moved["ig-ung"] == expected["ig-ung"]
        # The lifecycle is not imported: a flagged account starts afresh, the flag job decides.
        assert moved["fb-kulturhus"] == {**expected["fb-kulturhus"], "status": "active"}
        with Session(target) as session:
            entries = session.exec(select(AuditLog).where(AuditLog.actor == "import")).all()
        assert sorted((e.action, e.target, e.before) for e in entries) == [
            ("account.import", "account:fb-kulturhus", None),
            ("account.import", "account:ig-ung", None),
        ]
        audits = audit_rows(target)
        code, out, _ = run(capsys, "import", f"r.{suffix}")
        assert code == 0 and "changed 0 accounts" in out and audit_rows(target) == audits
        # And back out of this database: its own export imports as no change.
        assert run(capsys, "export-register", "--out", f"back.{suffix}")[0] == 0
        code, out, _ = run(capsys, "import", f"back.{suffix}")
        assert code == 0 and out.endswith(
            "changed 0 accounts – 0 created, 0 updated, 2 unchanged, 1 skipped\n"
        )
        assert register(target) == moved and audit_rows(target) == audits
    finally:
        target.dispose()


# ---------------------------------------------------------------- import


COLUMNS = ("key", "platform", "name", "url", "team", "admins", "must_register", "end_date")


def good_rows() -> list[dict[str, str]]:
    return [
        {
            "key": "tt-bibliotek",
            "platform": "tiktok",
            "name": "Biblioteket",
            "url": "https://www.tiktok.com/@testrudbib",
            "team": "kultur",
            "admins": "U0ANNA U0CARL",
            "must_register": "ja",
            "end_date": "2027-12-31",
        },
        {
            "key": "ig-ung",
            "platform": "instagram",
            "name": "Ung i Testrud!",
            "url": "https://www.instagram.com/ungtestrud",
            "team": "komm",
            "admins": "U0ANNA",
            "must_register": "nei",
            "end_date": "",
        },
    ]


def test_import_creates_and_updates_audited_then_changes_nothing(
    site: Engine, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    write_csv(tmp_path / "accounts.csv", good_rows(), COLUMNS)
    audits = audit_rows(site)
    code, out, err = run(capsys, "import", "accounts.csv")
    assert code == 0, err
    assert out == (
        "  tt-bibliotek: created\n"
        "  ig-ung: updated\n"
        "accounts.csv: changed 2 accounts – 1 created, 1 updated, 0 unchanged, 0 skipped\n"
    )
    now = register(site)
    assert now["tt-bibliotek"]["admins"] == "U0ANNA,U0CARL"
    assert now["tt-bibliotek"]["must_register"] is True
    assert now["tt-bibliotek"]["end_date"] == date(2027, 12, 31)
    assert now["tt-bibliotek"]["status"] == "active"
    ig = now["ig-ung"]
    assert (ig["name"], ig["admins"], ig["must_register"], ig["end_date"]) == (
        "Ung i Testrud!",
        "U0ANNA",
        False,
        None,
    )
    # Columns the file leaves out are kept as they were.
    assert (ig["purpose"], ig["published_channel"], ig["cadence_days"]) == (
        "Reach young people where they are",
        "C0IGPUB",
        7,
    )
    with Session(site) as session:
        entries = session.exec(
            select(AuditLog).where(AuditLog.action == "account.import").order_by(col(AuditLog.id))
        ).all()
    assert [(e.actor, e.target) for e in entries] == [
        ("import", "account:tt-bibliotek"),
        ("import", "account:ig-ung"),
    ]
    assert entries[0].before is None and json.loads(entries[0].after or "")["team"] == "kultur"
    before, after = json.loads(entries[1].before or ""), json.loads(entries[1].after or "")
    assert (before["name"], after["name"]) == ("Ung i Testrud", "Ung i Testrud!")
    assert audit_rows(site) == audits + 2

    code, out, _ = run(capsys, "import", "accounts.csv")
    assert code == 0
    assert out == (
        "accounts.csv: changed 0 accounts – 0 created, 0 updated, 2 unchanged, 0 skipped\n"
    )
    assert register(site) == now and audit_rows(site) == audits + 2


def test_dry_run_shows_and_writes_nothing(
    site: Engine, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    write_csv(tmp_path / "accounts.csv", good_rows(), COLUMNS)
    before, audits = register(site), audit_rows(site)
    code, out, _ = run(capsys, "import", "--dry-run", "accounts.csv")
    assert code == 0
    assert out == (
        "  tt-bibliotek: would be created\n"
        "  ig-ung: would be updated\n"
        "accounts.csv: would change 2 accounts – 1 created, 1 updated, 0 unchanged, 0 skipped\n"
    )
    assert register(site) == before and audit_rows(site) == audits


def test_accounts_declared_in_the_configuration_are_skipped(
    site: Engine, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "r.toml").write_text(
        '[[account]]\nkey = "fb-main"\nplatform = "facebook"\nname = "Renamed"\n'
        'url = "https://www.facebook.com/testrud"\nteam = "komm"\n'
    )
    before = register(site)
    code, out, _ = run(capsys, "import", "r.toml")
    assert code == 0
    assert out.splitlines()[0] == "  fb-main: skipped (declared in the configuration file)"
    assert register(site) == before


def test_an_account_without_an_address_yet(
    site: Engine, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Approved but not yet made on the platform: no address. An import may say so, but never
    clears an address Vakt already has."""
    columns = ("key", "platform", "name", "url", "team")
    row = {"key": "fb-kulturhus", "platform": "facebook-group", "name": "Kulturhuset", "url": ""}
    rows = [{**row, "team": "kultur"}, {**row, "key": "fb-new", "team": "kultur"}]
    write_csv(tmp_path / "a.csv", rows, columns)
    code, out, err = run(capsys, "import", "a.csv")
    assert code == 0, err
    assert out.splitlines()[:2] == ["  fb-kulturhus: updated", "  fb-new: created"]
    now = register(site)
    assert now["fb-kulturhus"]["url"] == now["fb-new"]["url"] == ""
    write_csv(tmp_path / "b.csv", [{**row, "key": "ig-ung", "team": "komm"}], columns)
    code, _, err = run(capsys, "import", "b.csv")
    assert code == 1
    assert err.splitlines()[0] == "vakt: b.csv line 2: account.ig-ung.url: is required"


def edit(rows: list[dict[str, str]], **changes: str) -> list[dict[str, str]]:
    return [rows[0], {**rows[1], **changes}]


@pytest.mark.parametrize(
    ("rows", "columns", "problem"),
    [
        (
            edit(good_rows(), platform="myspace"),
            COLUMNS,
            "accounts.csv line 3: account.ig-ung.platform: 'myspace' must be one of facebook, "
            "facebook-group, instagram, youtube, linkedin, x, tiktok, other",
        ),
        (
            edit(good_rows(), url="www.instagram.com/ungtestrud"),
            COLUMNS,
            "accounts.csv line 3: account.ig-ung.url: 'www.instagram.com/ungtestrud' must be a "
            "web address starting with https://",
        ),
        (
            edit(good_rows(), team="sport"),
            COLUMNS,
            "accounts.csv line 3: account.ig-ung.team: 'sport' is not a team in Vakt "
            "(teams: komm, kultur)",
        ),
        (
            edit(good_rows(), key="tt-bibliotek"),
            COLUMNS,
            "accounts.csv line 3: account.tt-bibliotek: is in the file twice "
            "(also accounts.csv line 2)",
        ),
        (
            edit(good_rows(), end_date="31.12.2027"),
            COLUMNS,
            "accounts.csv line 3: account.ig-ung.end_date: '31.12.2027' is not a date like "
            "2026-11-02",
        ),
        (
            edit(good_rows(), must_register="kanskje"),
            COLUMNS,
            "accounts.csv line 3: account.ig-ung.must_register: must be true or false, "
            "not 'kanskje'",
        ),
        (
            edit(good_rows(), admins="U0ANNA anna"),
            COLUMNS,
            "accounts.csv line 3: account.ig-ung.admins: 'anna' is not a Slack user id",
        ),
        (
            edit(good_rows(), status="archived"),
            (*COLUMNS, "status"),
            "accounts.csv line 3: account.ig-ung.status: 'archived' must be one of requested, "
            "active, flagged, closing, closed",
        ),
        (
            good_rows(),
            (*COLUMNS, "manger"),
            "accounts.csv line 1: manger: is not a column Vakt knows (misspelt?)",
        ),
        (
            edit(good_rows(), intake_channel="C0KULT"),
            (*COLUMNS, "intake_channel"),
            "accounts.csv line 3: account.ig-ung.intake_channel: C0KULT is already the intake "
            "of team.kultur",
        ),
        (
            [{**good_rows()[0], "published_channel": "C0IGPUB"}],
            (*COLUMNS, "published_channel"),
            "accounts.csv line 2: account.tt-bibliotek.published_channel: C0IGPUB is already "
            "the published feed of account.ig-ung",
        ),
        (
            edit(good_rows(), published_channel="C0KULT"),
            (*COLUMNS, "published_channel"),
            "accounts.csv line 3: account.ig-ung.published_channel: C0KULT is already the "
            "intake of team.kultur",
        ),
        (
            edit(good_rows(), max_posts_week="5", max_posts_day="6"),
            (*COLUMNS, "max_posts_week", "max_posts_day"),
            "accounts.csv line 3: account.ig-ung.max_posts_day: 6 a day is more than 5 a week",
        ),
        (
            edit(good_rows(), key="IG UNG"),
            COLUMNS,
            "accounts.csv line 3: account.key: 'IG UNG' must be lower case letters, digits, - or _",
        ),
        (
            [{**good_rows()[0], "platform": "instagram", "instagram_user_id": "17841400000000001"}],
            (*COLUMNS, "instagram_user_id"),
            "accounts.csv line 2: account.tt-bibliotek.instagram_user_id: 17841400000000001 is "
            "already the instagram_user_id of account.ig-ung",
        ),
        (
            [
                {**good_rows()[0], "platform": "instagram", "instagram_user_id": "55555"},
                {**good_rows()[1], "instagram_user_id": "55555"},
            ],
            (*COLUMNS, "instagram_user_id"),
            "accounts.csv line 3: account.ig-ung.instagram_user_id: 55555 is already the "
            "instagram_user_id of account.tt-bibliotek",
        ),
        (
            edit(good_rows(), facebook_page_id="1234567890"),
            (*COLUMNS, "facebook_page_id"),
            "accounts.csv line 3: account.ig-ung.facebook_page_id: is only for accounts on "
            "facebook or facebook-group, not on instagram",
        ),
        (
            edit(good_rows(), instagram_user_id="1.78414E+16"),  # as a spreadsheet shows it
            (*COLUMNS, "instagram_user_id"),
            "accounts.csv line 3: account.ig-ung.instagram_user_id: '1.78414E+16' is not an id "
            'of 5 to 30 digits, like "1234567890"',
        ),
    ],
    ids=[
        "platform",
        "url",
        "team",
        "duplicate",
        "date",
        "boolean",
        "admins",
        "status",
        "column",
        "intake-clash",
        "feed-clash",
        "feed-is-intake",
        "limits",
        "key",
        "id-held",
        "id-twice",
        "id-platform",
        "id-digits",
    ],
)
def test_any_problem_imports_nothing(
    site: Engine,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    rows: list[dict[str, str]],
    columns: tuple[str, ...],
    problem: str,
) -> None:
    if "manger" in columns:
        rows = [{**r, "manger": "U0BOSS"} for r in rows]
    write_csv(tmp_path / "accounts.csv", rows, columns)
    before, audits = register(site), audit_rows(site)
    code, out, err = run(capsys, "import", "accounts.csv")
    assert code == 1 and out == ""
    assert err == f"vakt: {problem}\nvakt: nothing was imported\n"
    assert register(site) == before and audit_rows(site) == audits


def test_an_import_moves_an_id_to_another_account_and_takes_a_toml_number(
    site: Engine, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The Instagram account of ig-ung moves to a new entry, and ig-ung gets another one, given
    as a TOML integer: one file, both changes, each audited with the id it had."""
    (tmp_path / "r.toml").write_text(
        '[[account]]\nkey = "ig-ung"\nplatform = "instagram"\nname = "Ung i Testrud"\n'
        'url = "https://www.instagram.com/ungtestrud"\nteam = "komm"\n'
        "instagram_user_id = 12345678\n\n"
        '[[account]]\nkey = "ig-ny"\nplatform = "instagram"\nname = "Ung"\n'
        'url = "https://www.instagram.com/ung"\nteam = "komm"\n'
        'instagram_user_id = "17841400000000001"\n'
    )
    code, out, err = run(capsys, "import", "r.toml")
    assert code == 0, err
    assert out.splitlines()[:2] == ["  ig-ung: updated", "  ig-ny: created"]
    now = register(site)
    assert now["ig-ung"]["instagram_user_id"] == "12345678"
    assert now["ig-ny"]["instagram_user_id"] == "17841400000000001"
    with Session(site) as session:
        entry = session.exec(
            select(AuditLog)
            .where(AuditLog.action == "account.import")
            .where(AuditLog.target == "account:ig-ung")
        ).one()
    before, after = json.loads(entry.before or ""), json.loads(entry.after or "")
    assert (before["instagram_user_id"], after["instagram_user_id"]) == (
        "17841400000000001",
        "12345678",
    )
    code, out, _ = run(capsys, "export-register")
    exported = {t["key"]: t for t in tomllib.loads(out)["account"]}
    assert exported["ig-ung"]["instagram_user_id"] == "12345678"  # written as text
    assert 'instagram_user_id = "12345678"' in out


def test_every_problem_is_named_at_once_in_toml(
    site: Engine, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "r.toml").write_text(
        '[[account]]\nkey = "a-one"\nplatform = "x"\nname = "One"\nurl = "https://x.com/one"\n'
        'team = "komm"\ncoordinator_admin = "yes"\n\n'
        '[[account]]\nkey = "a-two"\nplatform = "x"\nname = "Two"\nurl = "https://x.com/two"\n'
        'team = "komm"\ncolour = "blue"\n'
    )
    code, _, err = run(capsys, "import", "r.toml")
    assert code == 1
    assert err.splitlines() == [
        "vakt: r.toml: account.a-one.coordinator_admin: must be true or false, not 'yes'",
        "vakt: r.toml: account.a-two.colour: is not a setting Vakt knows (misspelt?)",
        "vakt: nothing was imported",
    ]
    assert "a-one" not in register(site)


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("r.txt", "", "r.txt: give a .toml or .csv file (from vakt export-register)"),
        ("missing.csv", None, "missing.csv: does not exist"),
        ("r.toml", "[[account]\n", "r.toml: (syntax): not valid TOML: "),
        ("r.toml", "[team]\nkey = 1\n", "r.toml: team: is not [[account]] (misspelt?)"),
        ("r.toml", "account = [1, 2]\n", "r.toml: account: must be written as [[account]] tables"),
        ("r.csv", "", "r.csv: is empty (the first line names the columns)"),
        ("r.csv", "name,url\nA,https://a.no\n", "r.csv line 1: key: the column is required"),
    ],
)
def test_a_file_that_cannot_be_read(
    site: Engine,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    name: str,
    content: str | None,
    problem: str,
) -> None:
    if content is not None:
        (tmp_path / name).write_text(content)
    code, _, err = run(capsys, "import", name)
    assert code == 1 and err.startswith(f"vakt: {problem}") and "Traceback" not in err


def test_spreadsheet_words_and_a_byte_order_mark_are_accepted(
    site: Engine, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    header = "key,platform,name,url,team,credentials_held,coordinator_admin,cadence_days,admins"
    line = (
        "li-naering,linkedin,Næringsliv i Testrud,https://linkedin.com/company/t,komm,"
        'Ja,0,30,"U0ANNA, U0BO"'
    )
    (tmp_path / "a.csv").write_bytes(BOM + f"{header}\r\n{line}\r\n\r\n".encode())
    code, out, err = run(capsys, "import", "a.csv")
    assert (code, out.splitlines()[0]) == (0, "  li-naering: created"), err
    account = register(site)["li-naering"]
    assert account["name"] == "Næringsliv i Testrud"
    assert (account["credentials_held"], account["coordinator_admin"]) == (True, False)
    assert (account["cadence_days"], account["admins"]) == (30, "U0ANNA,U0BO")


def test_a_semicolon_csv_from_nordic_excel_is_read(
    site: Engine, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    header = "key;platform;name;url;team;unit"
    line = "yt-kultur;youtube;Kultur, konserter og sånt;https://youtube.com/@t;komm;Kultur"
    (tmp_path / "a.csv").write_bytes(BOM + f"{header}\r\n{line}\r\n".encode())
    code, out, err = run(capsys, "import", "a.csv")
    assert (code, out.splitlines()[0]) == (0, "  yt-kultur: created"), err
    assert register(site)["yt-kultur"]["name"] == "Kultur, konserter og sånt"


def test_the_formula_guard_round_trips(
    site: Engine, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    formula = '=HYPERLINK("https://evil.example","klikk")'
    with session_scope(site) as session:
        account = session.exec(select(Account).where(Account.key == "ig-ung")).one()
        account.purpose, account.unit, account.plan = formula, "-Ungdom", "'quoted already"
        account.audience = "@team"
    before = register(site)
    assert run(capsys, "export-register", "--out", "r.csv")[0] == 0
    row = next(r for r in csv_rows((tmp_path / "r.csv").read_bytes()) if r["key"] == "ig-ung")
    assert (row["purpose"], row["unit"], row["plan"], row["audience"]) == (
        "'" + formula,
        "'-Ungdom",
        "''quoted already",
        "'@team",
    )
    code, out, _ = run(capsys, "import", "r.csv")
    assert code == 0 and "changed 0 accounts" in out
    assert register(site) == before
    # A hand-written apostrophe that guards nothing is kept.
    write_csv(
        tmp_path / "h.csv",
        [{"key": "ig-ung", "unit": "'Ungdom"}],
        ("key", "unit"),
    )
    assert run(capsys, "import", "h.csv")[0] == 0
    assert register(site)["ig-ung"]["unit"] == "'Ungdom"


def test_a_formula_inside_a_cell_is_defused_for_every_delimiter_and_round_trips(
    site: Engine, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    inside = "x;=cmd|' /C calc'!A0;y"
    with session_scope(site) as session:
        account = session.exec(select(Account).where(Account.key == "ig-ung")).one()
        account.purpose, account.unit = inside, "Ungdom, @team;-1"
        account.plan = "a\t+b\n=c"
    before = register(site)
    assert run(capsys, "export-register", "--out", "r.csv")[0] == 0
    data = (tmp_path / "r.csv").read_bytes()
    for delimiter in (",", ";"):
        reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter)
        cells = [cell for row in reader for cell in row]
        assert [c for c in cells if c.lstrip(' "').startswith(FORMULA)] == [], delimiter
    code, out, _ = run(capsys, "import", "r.csv")
    assert code == 0 and "changed 0 accounts" in out
    assert register(site) == before
    # Saved again by Nordic Excel, semicolon-separated, it still reads back the same.
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(rows)
    (tmp_path / "s.csv").write_bytes(BOM + buffer.getvalue().encode())
    code, out, _ = run(capsys, "import", "s.csv")
    assert code == 0 and "changed 0 accounts" in out
    assert register(site) == before
    # The public list's CSV too.
    with session_scope(site) as session:
        account = session.exec(select(Account).where(Account.key == "ig-ung")).one()
        account.name = inside
    assert run(capsys, "export-register", "--public", "--out", "web", "--at", "2026-11-23")[0] == 0
    public = (tmp_path / "web" / "accounts.csv").read_bytes()
    assert "x;'=cmd|' /C calc'!A0;y" in public.decode("utf-8-sig")
    for delimiter in (",", ";"):
        reader = csv.reader(
            io.StringIO(public.decode("utf-8-sig"), newline=""), delimiter=delimiter
        )
        cells = [cell for row in reader for cell in row]
        assert [c for c in cells if c.lstrip(' "').startswith(FORMULA)] == [], delimiter


def test_the_command_in_a_real_process(site: Engine, tmp_path: Path) -> None:
    env = {"VAKT_CONFIG": str(tmp_path / "vakt.toml"), "DATABASE_URL": str(site.url)}
    made = vakt("export-register", "--format", "csv", "--out", "out.csv", env=env, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    again = vakt("import", "out.csv", env=env, cwd=tmp_path)
    assert again.returncode == 0 and "changed 0 accounts" in again.stdout
    bad = vakt("export-register", "--public", env=env, cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr == (
        "vakt: --public needs --out DIR, the directory to write the public list into\n"
    )


def test_an_unmigrated_database_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "vakt.toml").write_text(CONFIG)
    (tmp_path / "r.toml").write_text("")
    monkeypatch.setenv("VAKT_CONFIG", str(tmp_path / "vakt.toml"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    for args in (("import", str(tmp_path / "r.toml")), ("export-register",)):
        code, _, err = run(capsys, *args)
        assert code == 2 and "run `vakt migrate` first" in err


# ---------------------------------------------------------------- the public list


def declare_no_account(site: Path) -> None:
    """The site's file declares its team only: the database holds exactly the accounts a test
    made (a declared one would be applied again by the verb, as by `vakt migrate`)."""
    config = site / "vakt.toml"
    config.write_text(config.read_text().split("[[account]]")[0])


def public_site(engine: Engine) -> dict[str, tuple[str, str]]:
    """An account in every status and kind; returns name -> (status, kind)."""
    made: dict[str, tuple[str, str]] = {}
    with session_scope(engine) as session:
        for account in session.exec(select(Account)).all():
            session.delete(account)
        session.flush()
        komm = session.exec(select(Team).where(Team.key == "komm")).one()
        for status in AccountStatus:
            for kind in AccountKind:
                name = f"{status.value} {kind.value}"
                made[name] = (status.value, kind.value)
                session.add(
                    Account(
                        key=f"k-{status.value}-{kind.value}",
                        platform="facebook-group" if "group" in kind else "facebook",
                        name=name,
                        url=f"https://facebook.com/{status.value}-{kind.value}",
                        team_id=komm.id,
                        kind=kind.value,
                        status=status.value,
                        unit="Kultur & fritid",
                        manager="U0SECRETMGR",
                        admins="U0ADMINONE,U0ADMINTWO",
                        purpose="INTERNAL PURPOSE",
                        plan="INTERNAL PLAN",
                        privacy="INTERNAL PRIVACY",
                        credentials_held=True,
                        published_channel=f"C0P{len(made)}",
                        created_at=NOW,
                        updated_at=NOW,
                    )
                )
    return made


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._in_row_header = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "th":
            self._in_row_header = dict(attrs).get("scope") == "row"

    def handle_endtag(self, tag: str) -> None:
        if tag == "th":
            self._in_row_header = False

    def handle_data(self, data: str) -> None:
        if self._in_row_header:
            self.rows.append(data)


def test_the_public_list_holds_exactly_the_active_and_flagged_open_accounts(
    site: Engine, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    made = public_site(site)
    declare_no_account(tmp_path)
    expected = {
        name
        for name, (status, kind) in made.items()
        if status in ("active", "flagged") and kind != "secret-group"
    }
    assert len(expected) == 6
    code, out, err = run(
        capsys, "export-register", "--public", "--out", "web", "--at", "2026-11-23T10:00"
    )
    assert code == 0, err
    assert out == (
        "public list of 6 accounts as of 2026-11-23 written to web "
        "(accounts.csv, accounts.json, index.html)\n"
    )
    files = {p.name: p.read_bytes() for p in (tmp_path / "web").iterdir()}
    assert set(files) == {"accounts.csv", "accounts.json", "index.html"}  # no temp files left

    data = json.loads(files["accounts.json"])
    assert {a["name"] for a in data["accounts"]} == expected
    assert data["updated"] == "2026-11-23" and data["language"] == "nb"
    assert set(data["accounts"][0]) == {
        "name",
        "platform",
        "platform_label",
        "kind",
        "kind_label",
        "url",
        "unit",
    }
    assert files["accounts.csv"].startswith(BOM)
    table = list(csv.reader(io.StringIO(files["accounts.csv"].decode("utf-8-sig"))))
    assert table[0] == ["Navn", "Plattform", "Type", "Adresse", "Ansvarlig enhet"]
    assert {row[0] for row in table[1:]} == expected
    assert [
        "active open-group",
        "Facebook-gruppe",
        "Åpen gruppe",
        "https://facebook.com/active-open-group",
        "Kultur & fritid",
    ] in table

    page = files["index.html"].decode()
    parser = _Collect()
    parser.feed(page)
    assert set(parser.rows) == expected
    for name in made.keys() - expected:
        assert name not in page
    for internal in (
        "U0SECRETMGR",
        "U0ADMIN",
        "INTERNAL",
        "C0P",
        "k-active",
        "k-flagged",
        "secret",
    ):
        for file, content in files.items():
            assert internal not in content.decode("utf-8-sig"), (internal, file)


def test_the_public_page_is_escaped_well_formed_and_accessible(
    site: Engine, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with session_scope(site) as session:
        komm = session.exec(select(Team).where(Team.key == "komm")).one()
        for account in session.exec(select(Account)).all():
            session.delete(account)
        for key, name, url in (
            ("a", "<script>alert('x')</script>", 'https://evil.example/?"a=1&b=2'),
            ("b", "Ærlig talt", "https://x.com/aerlig"),
            ("c", "Zeta", ""),
            ("d", "Øvre Testrud", "https://x.com/ovre"),
            ("e", "Ål og å", "https://x.com/al"),
            ("f", "aker", "https://x.com/aker"),
            ("g", "Émile", "https://x.com/emile"),
        ):
            session.add(
                Account(
                    key=key,
                    platform="x",
                    name=name,
                    url=url,
                    team_id=komm.id,
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
    declare_no_account(tmp_path)
    assert run(capsys, "export-register", "--public", "--out", "web", "--at", "2026-11-23")[0] == 0
    page = (tmp_path / "web" / "index.html").read_text()
    assert "<script>" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    # Well-formed (XHTML syntax); the page is our own output.
    root = ET.fromstring(page.removeprefix("<!DOCTYPE html>\n"))  # noqa: S314
    assert root.tag == "html" and root.get("lang") == "nb"
    table = root.find("body/main/table")
    assert table is not None
    assert (table.findtext("caption") or "") == "Offisielle kontoer (7)"
    assert [th.get("scope") for th in table.iter("th")].count("col") == 5
    names = ["".join(th.itertext()) for th in table.iter("th") if th.get("scope") == "row"]
    assert names == [
        "<script>alert('x')</script>",
        "aker",
        "Émile",
        "Zeta",
        "Ærlig talt",
        "Øvre Testrud",
        "Ål og å",
    ]
    links = list(table.iter("a"))
    assert links and all(a.get("rel") == "noopener" for a in links)
    assert links[0].get("href") == 'https://evil.example/?"a=1&b=2'
    # One link per account, its address; a name is no second link to the same place.
    assert all(th.find("a") is None for th in table.iter("th"))
    assert [a.text for a in links] == [a.get("href") for a in links]
    assert len(links) == 6  # Zeta has no address yet: listed without a link
    assert not any(e.tag in ("script", "link", "img") for e in root.iter())
    assert 'Oppdatert <time datetime="2026-11-23">23. november 2026</time>' in page
    first = (tmp_path / "web" / "index.html").read_bytes()
    assert run(capsys, "export-register", "--public", "--out", "web", "--at", "2026-11-23")[0] == 0
    assert (tmp_path / "web" / "index.html").read_bytes() == first


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("nb", ["aker", "Émile", "zeta", "Äpple", "Ærlig", "Ödla", "Øvre", "Ål"]),
        ("sv", ["aker", "Émile", "zeta", "Ål", "Äpple", "Ærlig", "Ödla", "Øvre"]),
        ("en", ["Ærlig", "aker", "Ål", "Äpple", "Émile", "Ödla", "Øvre", "zeta"]),
    ],
)
def test_names_sort_in_the_organisation_s_alphabet(lang: str, expected: list[str]) -> None:
    names = ["Ödla", "zeta", "Ål", "Øvre", "aker", "Ærlig", "Émile", "Äpple"]
    assert sorted(names, key=lambda n: collation_key(n, lang)) == expected
