"""Vakt as a service account runs it: no HOME to write in."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.harness import CONFIG

ROOT = Path(__file__).resolve().parents[1]


def run_vakt(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def read_only(path: Path) -> Callable[[], None]:
    path.mkdir()
    path.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)
    return lambda: path.chmod(0o755)


def test_the_weekly_chart_is_drawn_without_writing_home(tmp_path: Path) -> None:
    # As under systemd's ProtectHome= with the service account's HOME read-only: matplotlib's
    # font cache goes to the data directory, not to ~/.config or ~/.cache (nor to a fresh
    # temporary directory on every start, with a warning).
    home = tmp_path / "home"
    writable_again = read_only(home)
    (tmp_path / "vakt.toml").write_text(CONFIG)
    env = {
        "HOME": str(home),
        "VAKT_CONFIG": str(tmp_path / "vakt.toml"),
        "VAKT_DATA_DIR": str(tmp_path / "data"),
    }
    try:
        migrated = run_vakt("migrate", env=env, cwd=tmp_path)
        assert migrated.returncode == 0, migrated.stderr
        # Monday 08:05: the weekly report is due, its chart drawn (a dry run sends nothing).
        swept = run_vakt("sweep", "--dry-run", "--at", "2026-11-23T08:05", env=env, cwd=tmp_path)
    finally:
        writable_again()
    assert swept.returncode == 0, swept.stderr
    assert "[weekly_report_files]" in swept.stdout
    assert list(home.iterdir()) == []
    assert list((tmp_path / "data" / "matplotlib").glob("fontlist-*.json"))
    assert "Matplotlib" not in migrated.stderr + swept.stderr  # "created a temporary cache …"
