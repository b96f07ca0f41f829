"""Files sent with a scheduled message (a weekly report's chart and CSV): recorded with the
message, shared once with files_upload_v2, the same bytes again after a failed attempt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.slackkit.gateway import SlackGateway, build_client
from bot.slackkit.outbox import Attachment, Message, deliver, enqueue
from bot.store.models import Outbox, OutboxFile
from tests.fakeslack import FakeSlack

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
CSV = b"team;received\nKommunikasjon;12\n"


def _message(key: str, channel: str) -> Message:
    return Message(
        key=key,
        kind="weekly_report_files",
        channel=channel,
        text="Chart and figures, week 48",
        files=(
            Attachment("week-48.png", "Response time", PNG),
            Attachment("week-48.csv", "Figures", CSV),
        ),
    )


def test_files_are_recorded_once_and_shared_once(engine: Engine, fake: FakeSlack) -> None:
    gateway = SlackGateway(build_client("xoxb-test", fake.base_url))
    with Session(engine) as session:
        assert enqueue(session, _message("report:2026-W48:C0COMMS", "C0COMMS"), NOW)
        assert not enqueue(session, _message("report:2026-W48:C0COMMS", "C0COMMS"), NOW)
        assert enqueue(session, _message("report:2026-W48:U0BOSS", "U0BOSS"), NOW)
        session.commit()
        assert len(session.exec(select(OutboxFile)).all()) == 4

    assert deliver(engine, gateway, NOW)["sent"] == 2
    assert deliver(engine, gateway, NOW + timedelta(hours=1)) == {
        "sent": 0,
        "retry": 0,
        "failed": 0,
    }

    completes = fake.calls_to("files.completeUploadExternal")
    assert len(completes) == 2
    channels = sorted(str(c.args["channel_id"]) for c in completes)
    assert channels[0] == "C0COMMS" and channels[1].startswith("D")  # the manager's DM
    assert all(c.args["initial_comment"] == "Chart and figures, week 48" for c in completes)
    assert sorted(fake.uploads.values()) == sorted([PNG, CSV, PNG, CSV])
    assert fake.calls_to("chat.postMessage") == []


def test_a_failed_upload_is_retried_with_the_same_files(engine: Engine, fake: FakeSlack) -> None:
    gateway = SlackGateway(build_client("xoxb-test", fake.base_url))
    with Session(engine) as session:
        enqueue(session, _message("report:2026-W48:C0COMMS", "C0COMMS"), NOW)
        session.commit()
    fake.fail_next("files.completeUploadExternal", error="internal_error", status=500, times=5)

    first = deliver(engine, gateway, NOW)
    assert first["sent"] == 0 and first["retry"] == 1
    with Session(engine) as session:
        row = session.exec(select(Outbox)).one()
        assert row.status == "pending" and row.has_files

    assert deliver(engine, gateway, NOW + timedelta(hours=2))["sent"] == 1
    assert len([c for c in fake.calls_to("files.completeUploadExternal") if c.status == 200]) == 1
