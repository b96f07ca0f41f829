"""A full disk under a real `vakt serve`: the database on a small tmpfs (SQLite's file, or a
PostgreSQL tablespace) filled to the last byte. /readyz says the storage is full, the intake's
503 says the disk is full rather than that the database cannot be reached, and once there is
room again the refused request, sent again, is stored.

Mounting a tmpfs needs root and a machine that allows it; elsewhere these tests skip."""

from __future__ import annotations

import errno
import json
import os
import pwd
import subprocess
import tempfile
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.store.db import head_revision
from bot.web.app import STORAGE_FULL
from tests.conftest import PG_URL, postgres_available
from tests.fakeslack import FakeSlack
from tests.harness import INTAKE_TOKEN
from tests.test_serve import intake_body, send, serving

AUTH = {"Authorization": f"Bearer {INTAKE_TOKEN}", "Content-Type": "application/json"}
MAX_WRITES = 500  # requests sent into a full disk before one must be refused


@contextmanager
def tiny_disk(path: Path, size: str, owner: str | None = None) -> Iterator[Path]:
    """A tmpfs of `size` mounted on `path` (owned by `owner`), unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size},mode=0700"
    if owner is not None:
        user = pwd.getpwnam(owner)
        options += f",uid={user.pw_uid},gid={user.pw_gid}"
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(disk: Path) -> Path:
    """Write one file until the disk has no byte left; the file."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as out:
        for chunk in (1024 * 1024, 4096, 1):
            while True:
                try:
                    out.write(b"\0" * chunk)
                except OSError as error:
                    assert error.errno == errno.ENOSPC, error
                    break
    return filler


def get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def write_until_refused(url: str) -> tuple[int, dict[str, Any]]:
    """Questions into the full disk until one is refused (the database may still fit a few in
    pages it had free); its number and answer."""
    for n in range(MAX_WRITES):
        status, answer = send(f"{url}/intake", intake_body(f"full-{n}"), AUTH)
        if status != 201:
            assert status == 503, answer
            return n, answer
    raise AssertionError(f"{MAX_WRITES} questions stored on a full disk")


def check_full_then_room(url: str, filler: Path, ready_before_a_refusal: bool) -> None:
    head = head_revision()
    full = {"ok": False, "database": "ok", "migration": head, "storage": "full"}
    if not ready_before_a_refusal:
        assert get(f"{url}/readyz") == (503, full)
    refused, answer = write_until_refused(url)
    assert answer == STORAGE_FULL
    assert "disk" in answer["message"] and "cannot reach" not in answer["message"]
    assert get(f"{url}/readyz") == (503, full)
    assert get(f"{url}/healthz") == (200, {"ok": True})

    filler.unlink()
    status, answer = send(f"{url}/intake", intake_body(f"full-{refused}"), AUTH)
    assert (status, answer["created"]) == (201, True), answer  # the refused one, sent again
    assert get(f"{url}/readyz") == (200, {"ok": True, "database": "ok", "migration": head})


def test_sqlite_on_a_full_disk(tmp_path: Path) -> None:
    with (
        tiny_disk(tmp_path / "data", "24m") as disk,
        FakeSlack() as fake,
        serving(tmp_path, fake, VAKT_DATA_DIR=str(disk)) as served,
    ):
        assert send(f"{served.url}/intake", intake_body("before"), AUTH)[0] == 201
        assert get(f"{served.url}/readyz")[0] == 200
        filler = fill(disk)
        # Its disk is looked at: not ready before any write is refused.
        check_full_then_room(served.url, filler, ready_before_a_refusal=False)
    assert "the database's storage is full" in served.output


def test_postgres_on_a_full_disk(tmp_path: Path) -> None:
    if not postgres_available():
        pytest.skip("PostgreSQL is not running here")
    name = f"vakt_full_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    # Outside pytest's private tmp: the server's own user has to reach the tablespace.
    mount_point = Path(tempfile.mkdtemp(prefix="vakt-tablespace-", dir="/var/tmp"))
    try:
        with tiny_disk(mount_point, "48m", owner="postgres") as disk:
            space = disk / "pg"
            subprocess.run(["chown", "postgres:postgres", str(disk)], check=True)
            try:
                with admin.connect() as conn:
                    subprocess.run(["su", "postgres", "-c", f"mkdir {space}"], check=True)
                    conn.execute(sa.text(f"CREATE TABLESPACE \"{name}\" LOCATION '{space}'"))
            except (sa.exc.DBAPIError, subprocess.CalledProcessError) as error:
                pytest.skip(f"no tablespace on a tmpfs here: {error}")
            try:
                with admin.connect() as conn:
                    conn.execute(sa.text(f'CREATE DATABASE "{name}" TABLESPACE "{name}"'))
                url = PG_URL.rsplit("/", 1)[0] + f"/{name}"
                with FakeSlack() as fake, serving(tmp_path, fake, DATABASE_URL=url) as served:
                    assert send(f"{served.url}/intake", intake_body("before"), AUTH)[0] == 201
                    filler = fill(disk)
                    # PostgreSQL's disk is not Vakt's to look at: a refused write tells.
                    check_full_then_room(served.url, filler, ready_before_a_refusal=True)
                assert "the database's storage is full" in served.output
                assert "DiskFull" in served.output  # psycopg's class for SQLSTATE 53100
            finally:
                (disk / "filler").unlink(missing_ok=True)
                with admin.connect() as conn:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                    conn.execute(sa.text(f'DROP TABLESPACE IF EXISTS "{name}"'))
    finally:
        admin.dispose()
        mount_point.rmdir()
