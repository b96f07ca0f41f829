"""`is_storage_full` on SQLite's real refusals: a database at its size limit (max_page_count,
which SQLite reports exactly like a full disk) is "full"; other errors are not. PostgreSQL's
disk_full comes from a real full tablespace in tests/test_serve_disk_full.py."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.store.db import is_storage_full, is_unavailable


def test_a_database_at_its_size_limit_is_full_and_worth_a_retry(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'full.sqlite3'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x TEXT)")
    with engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
        conn.exec_driver_sql(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(sa.exc.OperationalError) as raised:
            conn.exec_driver_sql("INSERT INTO t VALUES (?)", ("x" * 100_000,))
    assert "database or disk is full" in str(raised.value)
    assert is_storage_full(raised.value) and is_unavailable(raised.value)
    assert is_storage_full(raised.value.orig)  # unwrapped, as a driver raises it
    engine.dispose()


def test_other_errors_are_not_full(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    with engine.connect() as conn:
        with pytest.raises(sa.exc.OperationalError) as missing:
            conn.exec_driver_sql("SELECT * FROM nowhere")
        conn.exec_driver_sql("CREATE TABLE u (x INTEGER PRIMARY KEY)")
        conn.exec_driver_sql("INSERT INTO u VALUES (1)")
        with pytest.raises(sa.exc.IntegrityError) as twice:
            conn.exec_driver_sql("INSERT INTO u VALUES (1)")
    assert not is_storage_full(missing.value) and not is_storage_full(twice.value)
    assert not is_storage_full(ValueError("database or disk is full"))
    engine.dispose()
