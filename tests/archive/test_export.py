"""The archivist's export: complete for the period in local time, byte-identical when made
again, checkable with `sha256sum -c` and `vakt export --verify`, and never half-written."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session as SQLSession
from sqlmodel import col, select

from bot.archive.export import (
    DELETION_COLUMNS,
    ExportError,
    Problem,
    deletions_csv,
    export_archive,
    verify_export,
)
from bot.store.db import head_revision, make_engine, migrate, session_scope
from bot.store.models import Account, ArchivedFile, AuditLog, Deletion, Item, Snapshot, Team
from tests.harness import CONFIG, OSLO
from tests.test_cli import vakt

# October and November 2026 in Oslo: summer time (+02:00) until 25 October, then +01:00.
START, END = date(2026, 10, 1), date(2026, 11, 30)
JUST_BEFORE = datetime(2026, 9, 30, 21, 59, 59, tzinfo=UTC)  # 30 Sep 23:59:59 in Oslo
FIRST = datetime(2026, 9, 30, 22, 0, tzinfo=UTC)  # 1 Oct 00:00 in Oslo
LAST = datetime(2026, 11, 30, 22, 59, 59, tzinfo=UTC)  # 30 Nov 23:59:59 in Oslo
JUST_AFTER = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # 1 Dec 00:00 in Oslo
CREATED = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
BOM = b"\xef\xbb\xbf"


def _archive(archive_dir: Path, owner: str, owner_id: int, n: int, suffix: str) -> ArchivedFile:
    """Write an archived file and its sidecar as the archive keeps them; return its row."""
    content = (b"%PDF-1.7\n" if suffix == "pdf" else b"\x89PNG\r\n\x1a\n") + f"{owner}{n}".encode()
    digest = hashlib.sha256(content).hexdigest()
    relative = f"2026/10/{owner}-{owner_id}_F0FAKE000{n}_{digest[:16]}.{suffix}"
    target = archive_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    sidecar = {"sha256": digest, "size": len(content), owner: owner_id, "account": "fb-main"}
    Path(f"{target}.json").write_text(json.dumps(sidecar, indent=2, sort_keys=True) + "\n")
    return ArchivedFile(
        deletion_id=owner_id if owner == "deletion" else None,
        snapshot_id=owner_id if owner == "snapshot" else None,
        path=relative,
        sha256=digest,
        size=len(content),
        original_name=f"skjermbilde {n}.{suffix}",
        content_type="application/pdf" if suffix == "pdf" else "image/png",
        slack_file_id=f"F0FAKE000{n}",
        uploaded_by="U0ANNA",
        uploaded_at=CREATED,
        archived_at=CREATED,
    )


def seed(engine: Engine, archive_dir: Path) -> None:
    """A municipality's autumn: rows on both sides of each boundary of the period."""
    with session_scope(engine) as session:
        team = Team(
            key="komm",
            name="Kommunikasjon",
            start=date(2026, 9, 1),
            created_at=CREATED,
            updated_at=CREATED,
        )
        session.add(team)
        session.flush()
        assert team.id is not None
        account = Account(
            key="fb-main",
            platform="facebook",
            name="Testrud kommune – Facebook",
            url="https://www.facebook.com/testrud",
            team_id=team.id,
            created_at=CREATED,
            updated_at=CREATED,
        )
        session.add(account)
        session.flush()
        assert account.id is not None

        items = [
            (JUST_BEFORE, "open", None),
            (FIRST, "closed", "Kan jeg få innsyn i saken om skolestrukturen?"),
            (
                datetime(2026, 11, 23, 9, 0, 0, 654321, tzinfo=UTC),
                "open",
                "Hvorfor er brøytingen på Øvre vei så sein?",
            ),
            (JUST_AFTER, "open", None),
        ]
        for n, (received, status, excerpt) in enumerate(items, 1):
            session.add(
                Item(
                    account_id=account.id,
                    source="channel",
                    external_id=f"C0INTAKE:{n}",
                    url=f"https://www.facebook.com/testrud/posts/{n}",
                    received_at=received,
                    deadline=received + timedelta(days=3),
                    status=status,
                    excerpt=excerpt,
                    closed_by="U0BO" if status == "closed" else None,
                    closed_at=LAST if status == "closed" else None,
                    must_register=n == 2,
                    registration_ref="2026/1234" if n == 2 else None,
                    registered_by="U0BO" if n == 2 else None,
                    registered_at=LAST if n == 2 else None,
                    created_by="U0ANNA",
                    created_at=received,
                )
            )
            session.flush()

        deletions = [
            (JUST_BEFORE, "spam", None, ["png"]),
            (FIRST, "attack", None, ["png", "pdf"]),
            (LAST, "other", "Personopplysninger om en tredjepart (æøå)", []),
            (JUST_AFTER, "spam", None, ["png"]),
        ]
        n = 0
        for deleted_at, reason, reason_text, files in deletions:
            deletion = Deletion(
                account_id=account.id,
                item_id=2 if reason == "attack" else None,
                deleted_at=deleted_at,
                reason=reason,
                reason_text=reason_text,
                summary='Kommentar: "Dere er noen idioter", skrev han.\nOg en linje til',
                url="https://www.facebook.com/testrud/posts/2?comment_id=9",
                approved_by="U0BOSS" if reason == "attack" else None,
                registration_ref="2026/1301" if reason == "attack" else None,
                poster_notified="yes" if reason == "attack" else "not_yet",
                archive_link="https://arkiv.testrud.kommune.no/sak/2026-1301"
                if not files
                else None,
                logged_by="U0ANNA",
                logged_at=deleted_at,
                completed_at=LAST if reason == "attack" else None,
            )
            session.add(deletion)
            session.flush()
            assert deletion.id is not None
            for suffix in files:
                n += 1
                session.add(_archive(archive_dir, "deletion", deletion.id, n, suffix))
                session.flush()

        for taken_at in (datetime(2026, 11, 2, 8, 0, tzinfo=UTC), JUST_AFTER):
            snapshot = Snapshot(
                account_id=account.id,
                kind="periodic",
                taken_at=taken_at,
                recorded_by="U0CARL",
                note="Halvårlig øyeblikksbilde",
            )
            session.add(snapshot)
            session.flush()
            assert snapshot.id is not None
            n += 1
            session.add(_archive(archive_dir, "snapshot", snapshot.id, n, "pdf"))
            session.flush()

        for at, action in (
            (JUST_BEFORE, "team.update"),
            (datetime(2026, 10, 15, 10, 0, tzinfo=UTC), "deletion.complete"),
            (LAST, "item.register"),
            (JUST_AFTER, "team.update"),
        ):
            session.add(
                AuditLog(
                    at=at,
                    actor="U0COORD1",
                    action=action,
                    target="deletion:2",
                    before='{"status": "åpen"}',
                    after='{"status": "fullført"}',
                )
            )
            session.flush()


@pytest.fixture
def archive_dir(engine: Engine, tmp_path: Path) -> Path:
    directory = tmp_path / "archive"
    seed(engine, directory)
    return directory


def export(engine: Engine, archive_dir: Path, out: Path) -> dict[str, bytes]:
    export_archive(engine, archive_dir, out, START, END, OSLO)
    return tree(out)


def tree(directory: Path) -> dict[str, bytes]:
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def exported_files(
    engine: Engine, deletions: tuple[int, ...], snapshots: tuple[int, ...]
) -> list[str]:
    """The `files/...` names of these deletions' and snapshots' archived files, in id order."""
    with session_scope(engine) as session:
        found = session.exec(
            select(ArchivedFile)
            .where(
                col(ArchivedFile.deletion_id).in_(deletions)
                | col(ArchivedFile.snapshot_id).in_(snapshots)
            )
            .order_by(col(ArchivedFile.id))
        ).all()
    return [f"files/{f.path}" for f in found]


def test_exporting_twice_gives_the_same_bytes(
    engine: Engine, archive_dir: Path, tmp_path: Path
) -> None:
    first = export(engine, archive_dir, tmp_path / "one")
    second = export(engine, archive_dir, tmp_path / "two")
    assert first == second
    copied = exported_files(engine, deletions=(2,), snapshots=(1,))
    assert len(copied) == 3
    assert sorted(first) == sorted(
        [
            *(
                f"{table}.{ext}"
                for table in ("deletions", "snapshots", "items", "audit_log")
                for ext in ("csv", "json")
            ),
            *copied,
            *(f"{name}.json" for name in copied),  # the sidecars
            "manifest.json",
            "SHA256SUMS",
        ]
    )


def test_the_period_is_local_calendar_days(
    engine: Engine, archive_dir: Path, tmp_path: Path
) -> None:
    files = export(engine, archive_dir, tmp_path / "out")
    deletions = json.loads(files["deletions.json"])
    assert [(r["id"], r["deleted_at"]) for r in deletions] == [
        (2, "2026-10-01T00:00:00+02:00"),
        (3, "2026-11-30T23:59:59+01:00"),
    ]
    items = json.loads(files["items.json"])
    assert [(r["id"], r["received_at"]) for r in items] == [
        (2, "2026-10-01T00:00:00+02:00"),
        (3, "2026-11-23T10:00:00+01:00"),  # microseconds dropped
    ]
    audit = json.loads(files["audit_log.json"])
    assert [(r["id"], r["at"]) for r in audit] == [
        (2, "2026-10-15T12:00:00+02:00"),
        (3, "2026-11-30T23:59:59+01:00"),
    ]
    snapshots = json.loads(files["snapshots.json"])
    assert [(r["id"], r["taken_at"]) for r in snapshots] == [(1, "2026-11-02T09:00:00+01:00")]
    manifest = json.loads(files["manifest.json"])
    assert manifest["counts"] == {
        "audit_log": 2,
        "deletions": 2,
        "files": 3,
        "items": 2,
        "snapshots": 1,
    }
    assert (manifest["from"], manifest["to"]) == ("2026-10-01", "2026-11-30")
    # Only the files of the deletions and snapshot in the period are copied.
    copied = [n for n in files if n.startswith("files/") and not n.endswith(".json")]
    assert sorted(copied) == sorted(exported_files(engine, deletions=(2,), snapshots=(1,)))


def test_values_in_json(engine: Engine, archive_dir: Path, tmp_path: Path) -> None:
    files = export(engine, archive_dir, tmp_path / "out")
    first, last = json.loads(files["deletions.json"])
    assert first["evidence"] == exported_files(engine, deletions=(2,), snapshots=())
    assert (first["account"], first["account_name"]) == ("fb-main", "Testrud kommune – Facebook")
    assert (first["item_id"], first["completed_at"]) == (2, "2026-11-30T23:59:59+01:00")
    assert (last["item_id"], last["completed_at"], last["evidence"]) == (None, None, [])
    assert last["archive_link"] == "https://arkiv.testrud.kommune.no/sak/2026-1301"
    item = json.loads(files["items.json"])[1]
    assert (item["closed_at"], item["must_register"]) == (None, False)
    assert item["deadline"] == "2026-11-26T10:00:00+01:00"
    assert item["excerpt"] == "Hvorfor er brøytingen på Øvre vei så sein?"
    snapshot = json.loads(files["snapshots.json"])[0]
    assert snapshot["files"] == exported_files(engine, deletions=(), snapshots=(1,))
    audit = json.loads(files["audit_log.json"])[0]
    assert (audit["before"], audit["after"]) == ('{"status": "åpen"}', '{"status": "fullført"}')
    # Readable UTF-8, keys sorted, two-space indent, a final newline.
    assert "fullført".encode() in files["audit_log.json"]
    assert files["snapshots.json"].startswith(b'[\n  {\n    "account": "fb-main",\n')
    assert files["snapshots.json"].endswith(b"}\n]\n")


def test_deletions_csv(engine: Engine, archive_dir: Path, tmp_path: Path) -> None:
    files = export(engine, archive_dir, tmp_path / "out")
    data = files["deletions.csv"]
    assert data.split(b"\n", 1)[0] == BOM + (
        b"id,account,account_name,item_id,deleted_at,reason,reason_text,summary,url,approved_by,"
        b"registration_ref,poster_notified,archive_link,logged_by,logged_at,completed_at,evidence"
    )
    assert b"\r" not in data
    first, last = rows(data)
    assert first["evidence"] == "; ".join(exported_files(engine, deletions=(2,), snapshots=()))
    assert first["summary"] == 'Kommentar: "Dere er noen idioter", skrev han.\nOg en linje til'
    assert (first["id"], first["deleted_at"], first["item_id"], first["poster_notified"]) == (
        "2",
        "2026-10-01T00:00:00+02:00",
        "2",
        "yes",
    )
    assert (last["id"], last["item_id"], last["completed_at"], last["evidence"]) == (
        "3",
        "",
        "",
        "",
    )
    assert last["reason_text"] == "Personopplysninger om en tredjepart (æøå)"
    assert [r["must_register"] for r in rows(files["items.csv"])] == ["true", "false"]
    for name in ("snapshots.csv", "items.csv", "audit_log.csv"):
        assert files[name].startswith(
            BOM + b"id,account," if name != "audit_log.csv" else BOM + b"id,at,"
        )
    # The Slack command's CSV is the same bytes.
    with session_scope(engine) as session:
        assert deletions_csv(session, START, END, OSLO) == data


def test_manifest_and_sha256sums_check(engine: Engine, archive_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    files = export(engine, archive_dir, out)
    manifest = json.loads(files["manifest.json"])
    assert manifest["format"] == "vakt-export/1"
    listed = [entry["path"] for entry in manifest["files"]]
    assert listed == sorted(set(files) - {"manifest.json", "SHA256SUMS"})
    for entry in manifest["files"]:
        assert entry["sha256"] == hashlib.sha256(files[entry["path"]]).hexdigest()
        assert entry["size"] == len(files[entry["path"]])
    # Copies are the archive's bytes, sidecars included.
    for name in listed:
        if name.startswith("files/"):
            assert files[name] == (archive_dir / name.removeprefix("files/")).read_bytes()
    checked = subprocess.run(
        ["sha256sum", "--strict", "-c", "SHA256SUMS"], cwd=out, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count(": OK\n") == len(listed)
    assert verify_export(out) == []


def test_verify_names_what_changed(engine: Engine, archive_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    export(engine, archive_dir, out)
    evidence = sorted((out / "files").rglob("*.png"))[0]
    name = evidence.relative_to(out).as_posix()
    data = bytearray(evidence.read_bytes())
    data[10] ^= 0x01
    evidence.write_bytes(bytes(data))
    assert verify_export(out) == [Problem(name, "changed")]
    checked = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=out, capture_output=True)
    assert checked.returncode == 1

    evidence.unlink()
    assert verify_export(out) == [Problem(name, "missing")]
    (out / "files" / "extra.txt").write_text("lagt til etterpå")
    (out / "SHA256SUMS").unlink()
    assert verify_export(out) == [
        Problem("SHA256SUMS", "missing"),
        Problem(name, "missing"),
        Problem("files/extra.txt", "unexpected"),
    ]


def test_verify_without_manifest(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"manifest\.json is missing"):
        verify_export(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(ExportError, match=r"manifest\.json cannot be read"):
        verify_export(tmp_path)
    (tmp_path / "manifest.json").write_text(
        '{"format": "vakt-export/1", "files": [{"path": "../x", "sha256": "", "size": 0}]}'
    )
    with pytest.raises(ExportError, match="outside the export"):
        verify_export(tmp_path)


def test_refuses_a_non_empty_out(engine: Engine, archive_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "exports" / "out"
    out.mkdir(parents=True)
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ExportError, match=r"out is not empty"):
        export_archive(engine, archive_dir, out, START, END, OSLO)
    assert tree(out) == {"notes.txt": b"mine"}
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]
    # An existing empty directory is fine.
    (out / "notes.txt").unlink()
    export_archive(engine, archive_dir, out, START, END, OSLO)
    assert (out / "manifest.json").is_file()
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]


def test_refuses_a_period_that_ends_before_it_starts(
    engine: Engine, archive_dir: Path, tmp_path: Path
) -> None:
    with pytest.raises(ExportError, match="2026-12-01 is after its last day 2026-11-30"):
        export_archive(engine, archive_dir, tmp_path / "out", date(2026, 12, 1), END, OSLO)
    assert not (tmp_path / "out").exists()


def test_a_missing_archived_file_leaves_nothing(
    engine: Engine, archive_dir: Path, tmp_path: Path
) -> None:
    gone = next(archive_dir.rglob("snapshot-1_*.pdf"))
    gone.unlink()
    with pytest.raises(ExportError, match=f"archived file {gone} is missing from the archive"):
        export_archive(engine, archive_dir, tmp_path / "out", START, END, OSLO)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "archive",
        *sorted(p.name for p in tmp_path.glob("vakt.sqlite3*")),
    ]


def test_an_altered_archived_file_is_refused(
    engine: Engine, archive_dir: Path, tmp_path: Path
) -> None:
    changed = next(archive_dir.rglob("deletion-2_*.png"))
    changed.write_bytes(changed.read_bytes() + b"!")
    with pytest.raises(ExportError, match="no longer matches the checksum"):
        export_archive(engine, archive_dir, tmp_path / "out", START, END, OSLO)
    assert not (tmp_path / "out").exists()


def test_an_empty_period(engine: Engine, archive_dir: Path, tmp_path: Path) -> None:
    export_archive(engine, archive_dir, tmp_path / "out", date(2025, 1, 1), date(2025, 1, 31), OSLO)
    files = tree(tmp_path / "out")
    assert files["deletions.json"] == b"[]\n"
    assert files["deletions.csv"] == BOM + ",".join(DELETION_COLUMNS).encode() + b"\n"
    assert not any(name.startswith("files/") for name in files)
    assert verify_export(tmp_path / "out") == []


def test_same_export_on_sqlite_and_postgresql(any_db_url: str, tmp_path: Path) -> None:
    reference = make_engine(f"sqlite:///{tmp_path / 'reference.sqlite3'}")
    tested = make_engine(any_db_url)
    try:
        for engine in (reference, tested):
            migrate(engine)
        seed(reference, tmp_path / "archive-a")
        seed(tested, tmp_path / "archive-b")
        expected = export(reference, tmp_path / "archive-a", tmp_path / "a")
        assert export(tested, tmp_path / "archive-b", tmp_path / "b") == expected
    finally:
        reference.dispose()
        tested.dispose()


# ---------------------------------------------------------------- the command


@pytest.fixture
def site(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A deployment's environment with a migrated, seeded database and its archive."""
    (tmp_path / "vakt.toml").write_text(CONFIG)
    data = tmp_path / "data"
    engine = make_engine(f"sqlite:///{data / 'vakt.sqlite3'}")
    migrate(engine)
    seed(engine, data / "archive")
    engine.dispose()
    env = {"VAKT_CONFIG": str(tmp_path / "vakt.toml"), "VAKT_DATA_DIR": str(data)}
    return env, tmp_path


def test_cli_export_and_verify(site: tuple[dict[str, str], Path]) -> None:
    env, cwd = site
    made = vakt(
        "export", "--from", "2026-10-01", "--to", "2026-11-30", "--out", "out", env=env, cwd=cwd
    )
    assert made.returncode == 0, made.stderr
    assert made.stdout == (
        "exported 2 deletions, 1 snapshot, 2 items, 2 audit log entries and "
        "3 archived files from 2026-10-01 to 2026-11-30 into out\n"
    )
    listed = len(json.loads((cwd / "out" / "manifest.json").read_text())["files"])
    ok = vakt("export", "--verify", "out", env=env, cwd=cwd)
    assert (ok.returncode, ok.stdout) == (0, f"OK: {listed} files match the manifest\n")

    evidence = sorted((cwd / "out" / "files").rglob("*.png"))[0]
    data = bytearray(evidence.read_bytes())
    data[-1] ^= 0xFF
    evidence.write_bytes(bytes(data))
    changed = vakt("export", "--verify", str(cwd / "out"), env=env, cwd=cwd)
    assert changed.returncode == 1
    assert changed.stdout == f"changed: {evidence.relative_to(cwd / 'out').as_posix()}\n"

    again = vakt(
        "export", "--from", "2026-10-01", "--to", "2026-11-30", "--out", "out", env=env, cwd=cwd
    )
    assert again.returncode == 2
    assert again.stderr == "vakt: out is not empty: choose a new or empty export directory\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--from", "2026-13-01", "--to", "2026-11-30", "--out", "x"),
            "vakt: --from '2026-13-01' is not a date like 2026-11-01",
        ),
        (
            ("--from", "2026-10-01", "--to", "30.11.2026", "--out", "x"),
            "vakt: --to '30.11.2026' is not a date like 2026-11-01",
        ),
        (
            ("--from", "2026-12-01", "--to", "2026-11-30", "--out", "x"),
            "vakt: the period's first day 2026-12-01 is after its last day 2026-11-30",
        ),
        (
            ("--from", "2026-10-01", "--out", "x"),
            "vakt: export needs --from, --to and --out (or --verify DIR)",
        ),
        (
            ("--verify", "nowhere"),
            "vakt: nowhere/manifest.json is missing: nowhere is not a Vakt export",
        ),
    ],
)
def test_cli_export_refuses_in_one_line(
    site: tuple[dict[str, str], Path], args: tuple[str, ...], message: str
) -> None:
    env, cwd = site
    result = vakt("export", *args, env=env, cwd=cwd)
    assert (result.returncode, result.stderr) == (2, message + "\n")
    assert not (cwd / "x").exists()


def test_cli_export_wants_a_migrated_database(tmp_path: Path) -> None:
    (tmp_path / "vakt.toml").write_text(CONFIG)
    env = {"VAKT_CONFIG": str(tmp_path / "vakt.toml"), "VAKT_DATA_DIR": str(tmp_path / "data")}
    result = vakt(
        "export", "--from", "2026-10-01", "--to", "2026-11-30", "--out", "x", env=env, cwd=tmp_path
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("vakt: database sqlite:///") and result.stderr.endswith(
        f"is at empty, not {head_revision()}: run `vakt migrate` first\n"
    )
    assert not (tmp_path / "x").exists()


def test_a_cell_that_would_be_a_spreadsheet_formula_is_defused_in_csv_only(
    engine: Engine, archive_dir: Path, tmp_path: Path
) -> None:
    formula = '=HYPERLINK("https://evil.example","klikk")'
    with SQLSession(engine) as session:
        deletion = session.get(Deletion, 2)
        assert deletion is not None
        deletion.summary = formula
        session.add(deletion)
        session.commit()
    files = export(engine, archive_dir, tmp_path / "out")
    first = rows(files["deletions.csv"])[0]
    assert first["summary"] == "'" + formula
    assert json.loads(files["deletions.json"])[0]["summary"] == formula


INSIDE = "x;=cmd|' /C calc'!A0;y"  # one cell is exactly a formula when split on ";"


def all_cells(data: bytes, delimiter: str) -> list[str]:
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter)
    return [cell for row in reader for cell in row]


def formulas(data: bytes) -> list[str]:
    """Cells that Excel splitting on `,` (most locales) or `;` (Norwegian and Swedish) reads as a
    formula."""
    return [
        cell
        for delimiter in (",", ";")
        for cell in all_cells(data, delimiter)
        if cell.lstrip(' "').startswith(("=", "+", "-", "@", "\t", "\r"))
    ]


def test_a_formula_inside_a_cell_is_defused_for_every_delimiter(
    engine: Engine, archive_dir: Path, tmp_path: Path
) -> None:
    with SQLSession(engine) as session:
        deletion = session.get(Deletion, 2)
        item = session.exec(select(Item).order_by(col(Item.id))).first()
        assert deletion is not None and item is not None
        deletion.summary = INSIDE
        deletion.reason_text = "spam, =1+1"
        item.excerpt = f"Spørsmål; -@SUM(1,2)\n=A1 {INSIDE}"
        session.add_all([deletion, item])
        session.commit()
    files = export(engine, archive_dir, tmp_path / "out")
    for name in ("deletions.csv", "items.csv", "snapshots.csv", "audit_log.csv"):
        assert formulas(files[name]) == [], name
    assert rows(files["deletions.csv"])[0]["summary"] == "x;'=cmd|' /C calc'!A0;y"
    assert json.loads(files["deletions.json"])[0]["summary"] == INSIDE
    # The day's file for Slack is the same.
    with session_scope(engine) as session:
        assert formulas(deletions_csv(session, START, END, OSLO)) == []
