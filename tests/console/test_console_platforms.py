"""The console's stand-in Facebook and Instagram: `:comment` posts a citizen's comment that the
real connector reads by polling, `:reply` answers it as the Page, `:remove` removes it and the
deletion log opens with its capture archived."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.console import demo
from bot.console.repl import Repl, stream_reader
from bot.store.db import session_scope
from bot.store.models import ArchivedFile, Deletion, Item


def run(tmp_path: Path, *lines: str) -> tuple[str, demo.ConsoleSession]:
    session = demo.start(
        "norberg",
        tmp_path,
        lang="en",
        at=lambda text, tz: datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz)),
        at_text="2026-11-23T09:05",
    )
    out = io.StringIO()
    Repl(session, out).run(stream_reader(io.StringIO("".join(f"{x}\n" for x in lines)), out))
    return out.getvalue(), session


def platform_items(session: demo.ConsoleSession) -> list[Item]:
    with session_scope(session.runtime.engine) as db:
        return list(
            db.exec(select(Item).where(Item.source.in_(("facebook", "instagram")))).all()  # type: ignore[attr-defined]
        )


def test_a_comment_arrives_through_the_connector_and_the_pages_reply_closes_it(
    tmp_path: Path,
) -> None:
    out, session = run(tmp_path, ':comment fb-kommun "När öppnar biblioteket?"')
    try:
        assert "A citizen commented on fb-kommun" in out
        assert "När öppnar biblioteket?" in out  # its card was posted
        [item] = platform_items(session)
        assert (item.source, item.status) == ("facebook", "open")
        repl = Repl(session, io.StringIO())
        repl.run(stream_reader(io.StringIO(f':reply {item.id} "Klockan 10."\n'), repl.out))
        [item] = platform_items(session)
        assert (item.status, item.closed_by) == ("answered", "facebook")
    finally:
        session.close()


def test_a_removed_comment_opens_the_deletion_log_with_its_capture(tmp_path: Path) -> None:
    _out, session = run(tmp_path, ':comment ig-kommun "Fult ord"')
    try:
        [item] = platform_items(session)
        assert item.source == "instagram"
        out2 = io.StringIO()
        repl = Repl(session, out2)
        repl.run(stream_reader(io.StringIO(f":remove {item.id}\n"), out2))
        assert f"question #{item.id} was removed" in out2.getvalue()
        with session_scope(session.runtime.engine) as db:
            deletion = db.exec(select(Deletion).where(Deletion.item_id == item.id)).one()
            files = db.exec(
                select(ArchivedFile).where(ArchivedFile.deletion_id == deletion.id)
            ).all()
        capture = json.loads((session.runtime.deps.archive_dir / files[0].path).read_text())
        assert capture["message"] == "Fult ord"
    finally:
        session.close()


def test_bad_platform_commands_say_how_to_write_them(tmp_path: Path) -> None:
    out, session = run(
        tmp_path, ":comment", ':comment nosuch "x"', ":reply x", ":remove", ':reply 9999 "hei"'
    )
    try:
        assert out.count("Usage: :comment <account>") == 2
        assert "connected: fb-kommun, ig-kommun, fb-biblioteket" in out
        assert "Usage: :reply <question number>" in out
        assert "Usage: :remove <question number>" in out
        assert "Question #9999 did not come from a connected account" in out
    finally:
        session.close()
