"""Archiving through Slack end to end: deletions from the Deleted button, the wastebasket and
`/vakt deleted`, screenshots fetched from the fake Slack into the archive with sidecars, refused
and failed files, the checklist step by step, snapshots, and the CSV export in Slack."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlmodel import Session, col, select

from bot.archive import ids as archive_ids
from bot.archive import service as archive
from bot.items import ids as item_ids
from bot.items.core import Status
from bot.store.models import ArchivedFile, AuditLog, Deletion, FileFetch, Item, Snapshot
from tests.fakeslack import (
    FakeSlack,
    block_actions_body,
    event_body,
    slash_command_body,
    view_submission_body,
)
from tests.harness import OSLO, Vakt
from tests.items.test_slack import (
    INTAKE,
    INTAKE_CONFIG,
    NOW,
    intake,
    message_event,
    post_event,
    press,
    ts_of,
    wait_until,
)
from tests.loopback import Server


def png(width: int = 160, height: int = 90) -> bytes:
    """A real (small) screenshot."""
    image = Image.new("RGB", (width, height), (250, 250, 250))
    for x in range(width):
        image.putpixel((x, x * height // width), (20, 60, 140))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


PNG = png()
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
PDF = b"%PDF-1.7\n" + b"0 obj << >> endobj\n" * 100
SNAPSHOT_CONFIG = INTAKE_CONFIG.replace(
    'url = "https://www.facebook.com/testrud"\n',
    'url = "https://www.facebook.com/testrud"\nsnapshot_months = 6\n',
)


@pytest.fixture
def vakt(fake: FakeSlack, db_url: str, tmp_path: Path) -> Iterator[Vakt]:
    harness = Vakt(fake, db_url, tmp_path, NOW, config_text=INTAKE_CONFIG)
    yield harness
    harness.close()
    fake.assert_no_errors()


@pytest.fixture
def vakt_any_db(fake: FakeSlack, any_db_url: str, tmp_path: Path) -> Iterator[Vakt]:
    """The same, on SQLite and on PostgreSQL."""
    harness = Vakt(fake, any_db_url, tmp_path, NOW, config_text=INTAKE_CONFIG)
    yield harness
    harness.close()
    fake.assert_no_errors()


def rows(vakt: Vakt, model: Any) -> list[Any]:
    with Session(vakt.runtime.engine) as session:
        return list(session.exec(select(model).order_by(col(model.id))).all())


def archive_dir(vakt: Vakt) -> Path:
    return vakt.runtime.deps.archive_dir


def click_open(vakt: Vakt, action_id: str, value: str, user: str) -> dict[str, Any]:
    """Press a button that opens a modal; return the modal."""
    before = len(vakt.fake.calls_to("views.open"))
    body = block_actions_body(
        action_id,
        value,
        user_id=user,
        channel_id=INTAKE,
        response_url=vakt.fake.response_url(f"open{before}"),
        trigger_id="111.222.trigger",
    )
    assert vakt.signed_post(body).status == 200
    return open_view(vakt, before)


def open_view(vakt: Vakt, count_before: int) -> dict[str, Any]:
    view = vakt.fake.wait_for("views.open", count_before + 1)[-1].args["view"]
    return json.loads(view) if isinstance(view, str) else dict(view)


def deletion_values(
    *,
    reason: str | None = "attack",
    notified: str = "yes",
    files: list[dict[str, Any]] | None = None,
    reference: str | None = None,
    approved_by: str | None = None,
    account: str | None = None,
    reason_text: str | None = None,
    archive_link: str | None = None,
    when: datetime = NOW - timedelta(minutes=5),
) -> dict[str, Any]:
    values: dict[str, Any] = {
        archive_ids.FIELD_DELETED_AT: {
            archive_ids.FIELD_DELETED_AT: {
                "type": "datetimepicker",
                "selected_date_time": int(when.timestamp()),
            }
        },
        archive_ids.FIELD_REASON: {
            archive_ids.FIELD_REASON: {
                "type": "static_select",
                "selected_option": {"value": reason} if reason else None,
            }
        },
        archive_ids.FIELD_REASON_TEXT: {
            archive_ids.FIELD_REASON_TEXT: {"type": "plain_text_input", "value": reason_text}
        },
        item_ids.FIELD_URL: {item_ids.FIELD_URL: {"type": "url_text_input", "value": None}},
        archive_ids.FIELD_SUMMARY: {
            archive_ids.FIELD_SUMMARY: {
                "type": "plain_text_input",
                "value": "Sjikane mot en ansatt",
            }
        },
        archive_ids.FIELD_FILES: {
            archive_ids.FIELD_FILES: {"type": "file_input", "files": files or []}
        },
        archive_ids.FIELD_ARCHIVE_LINK: {
            archive_ids.FIELD_ARCHIVE_LINK: {"type": "url_text_input", "value": archive_link}
        },
        archive_ids.FIELD_NOTIFIED: {
            archive_ids.FIELD_NOTIFIED: {
                "type": "radio_buttons",
                "selected_option": {"value": notified},
            }
        },
        archive_ids.FIELD_APPROVED_BY: {
            archive_ids.FIELD_APPROVED_BY: {"type": "users_select", "selected_user": approved_by}
        },
        item_ids.FIELD_REFERENCE: {
            item_ids.FIELD_REFERENCE: {"type": "plain_text_input", "value": reference}
        },
    }
    if account is not None:
        values[item_ids.FIELD_ACCOUNT] = {
            item_ids.FIELD_ACCOUNT: {"type": "static_select", "selected_option": {"value": account}}
        }
    return values


def submit(
    vakt: Vakt, callback: str, values: dict[str, Any], metadata: str, user: str = "U0ANNA"
) -> dict[str, Any]:
    reply = vakt.signed_post(
        view_submission_body(callback, values, user_id=user, private_metadata=metadata)
    )
    assert reply.status == 200, reply.body
    vakt.idle()
    return dict(reply.json()) if reply.body else {}


def slash(vakt: Vakt, text: str, user: str = "U0ANNA") -> None:
    count = len(vakt.fake.calls_to("response_url"))
    reply = vakt.signed_post(
        slash_command_body(
            text, user_id=user, response_url=vakt.fake.response_url(f"s{count}"), trigger_id="1.2.3"
        )
    )
    assert reply.status == 200


def thread_messages(vakt: Vakt, channel: str, thread: str) -> list[dict[str, Any]]:
    return [m for m in vakt.sent(channel) if m.get("thread_ts") == thread]


def file_share(
    vakt: Vakt, file: dict[str, Any], thread: str, *, channel: str = INTAKE, user: str = "U0ANNA"
) -> dict[str, Any]:
    ts = vakt.fake.workspace.next_ts()
    return message_event(
        "", ts, channel=channel, user=user, subtype="file_share", thread_ts=thread, files=[file]
    )


def assert_archived(vakt: Vakt, row: ArchivedFile, content: bytes, *, owner: str) -> None:
    path = archive_dir(vakt) / row.path
    assert path.read_bytes() == content
    assert row.sha256 == hashlib.sha256(content).hexdigest() and row.size == len(content)
    sidecar = json.loads(path.with_name(path.name + ".json").read_text())
    assert sidecar["sha256"] == row.sha256 and sidecar["size"] == len(content)
    assert sidecar["original_name"] == row.original_name
    assert sidecar["content_type"] == row.content_type
    assert sidecar["uploaded_by"] == row.uploaded_by
    assert sidecar["account"] == "fb-main"
    kind, number = owner.split(":")
    assert sidecar[kind] == int(number)
    assert not list(path.parent.glob(".part-*"))  # nothing half-written left behind


# ---------------------------------------------------------------- the Deleted button


def test_deleted_button_logs_the_deletion_archives_the_screenshot_and_completes(
    vakt_any_db: Vakt,
) -> None:
    vakt = vakt_any_db
    item = intake(vakt, "Du er en idiot, ordfører")
    vakt.wait_sent(INTAKE)
    view = click_open(vakt, item_ids.ITEM_DELETED, str(item.id), "U0BO")
    assert view["callback_id"] == archive_ids.DELETION_VIEW
    assert "Take the screenshot before you delete" in json.dumps(view)
    shot = vakt.fake.add_file(PNG, name="skjermbilde.png", user="U0BO")
    answer = submit(
        vakt,
        archive_ids.DELETION_VIEW,
        deletion_values(files=[shot]),
        view["private_metadata"],
        user="U0BO",
    )
    assert answer["response_action"] == "update"
    (deletion,) = rows(vakt, Deletion)
    assert deletion.item_id == item.id and deletion.reason == "attack"
    assert deletion.logged_by == "U0BO" and deletion.poster_notified == "yes"
    assert rows(vakt, Item)[0].status == Status.DELETED
    (archived,) = rows(vakt, ArchivedFile)
    assert archived.deletion_id == deletion.id and archived.content_type == "image/png"
    assert_archived(vakt, archived, PNG, owner=f"deletion:{deletion.id}")
    assert archived.uploaded_at == datetime.fromtimestamp(shot["created"], UTC)  # Slack's time
    assert archived.archived_at == NOW
    assert deletion.completed_at is not None  # reason, evidence, poster told: complete
    # The checklist went into the question's thread, and was updated in place once complete.
    checklist = [
        m for m in thread_messages(vakt, INTAKE, item.slack_ts or "") if "Deletion" in str(m)
    ]
    assert checklist
    updates = [c.args for c in vakt.fake.calls_to("chat.update") if "Deletion" in str(c.args)]
    assert updates and "complete" in vakt.reply_text(updates[-1])
    # The file was fetched with the bot token and confirmed in the thread.
    downloads = vakt.fake.calls_to("file_download")
    assert downloads and downloads[-1].args["authorized"]
    assert any("Archived skjermbilde.png" in vakt.reply_text(m) for m in vakt.sent(INTAKE))
    actions = [a.action for a in rows(vakt, AuditLog)]
    assert {"deletion.log", "archive.file", "deletion.complete", "item.deleted"} <= set(actions)


def test_only_the_team_may_log_a_deletion_of_its_question(vakt: Vakt) -> None:
    item = intake(vakt, "Spørsmål")
    answer = press(vakt, item_ids.ITEM_DELETED, str(item.id), "U0STRANGER")
    assert "not in a team" in json.dumps(answer)
    assert rows(vakt, Deletion) == []


# ---------------------------------------------------------------- the wastebasket


def wastebasket(vakt: Vakt, ts: str, user: str = "U0ANNA", event_id: str = "EvW1") -> None:
    post_event(
        vakt,
        {
            "type": "reaction_added",
            "user": user,
            "reaction": "wastebasket",
            "item_user": "U0CITIZEN",
            "item": {"type": "message", "channel": INTAKE, "ts": ts},
            "event_ts": ts,
        },
        event_id,
    )


def test_wastebasket_logs_a_deletion_and_the_checklist_completes_step_by_step(
    vakt_any_db: Vakt,
) -> None:
    vakt = vakt_any_db
    item = intake(vakt, "Personnummer 010101-12345 og adresse …")
    ts = item.slack_ts or ""
    wastebasket(vakt, ts)
    wastebasket(vakt, ts, event_id="EvW1")  # Slack's retry: still one deletion
    wait_until(lambda: len(rows(vakt, Deletion)) == 1)
    vakt.idle()
    (deletion,) = rows(vakt, Deletion)
    assert deletion.reason is None and deletion.completed_at is None
    assert rows(vakt, Item)[0].status == Status.DELETED
    wait_until(lambda: any("Deletion" in str(m) for m in thread_messages(vakt, INTAKE, ts)))
    checklist = next(m for m in thread_messages(vakt, INTAKE, ts) if "Deletion" in str(m))
    text = vakt.reply_text(checklist)
    assert "Fill in" in text and "Poster told" in text

    # Step 1: the screenshot, uploaded into the thread.
    shot = vakt.fake.add_file(PNG, name="bevis.png")
    post_event(vakt, file_share(vakt, shot, ts), "EvF1")
    wait_until(lambda: len(rows(vakt, ArchivedFile)) == 1)
    assert_archived(vakt, rows(vakt, ArchivedFile)[0], PNG, owner=f"deletion:{deletion.id}")
    post_event(vakt, file_share(vakt, shot, ts), "EvF1")  # retried event: nothing new
    vakt.idle()
    assert len(rows(vakt, ArchivedFile)) == 1 and len(rows(vakt, FileFetch)) == 1

    # Step 2: the poster could not be told (a button on the checklist).
    press(vakt, archive_ids.DELETION_IMPOSSIBLE, str(deletion.id), "U0ANNA")
    assert rows(vakt, Deletion)[0].poster_notified == "impossible"
    assert rows(vakt, Deletion)[0].completed_at is None  # the reason is still missing

    # Step 3: the reason: confidential, which needs a registration reference (KG3).
    view = click_open(vakt, archive_ids.DELETION_EDIT, str(deletion.id), "U0ANNA")
    metadata = view["private_metadata"]
    submit(
        vakt,
        archive_ids.DELETION_VIEW,
        deletion_values(reason="confidential", notified="impossible"),
        metadata,
    )
    current = rows(vakt, Deletion)[0]
    assert current.reason == "confidential" and current.completed_at is None
    wait_until(
        lambda: any(
            "Registered" in vakt.reply_text(c.args) and "missing" in vakt.reply_text(c.args)
            for c in vakt.fake.calls_to("chat.update")
        )
    )
    submit(
        vakt,
        archive_ids.DELETION_VIEW,
        deletion_values(reason="confidential", notified="impossible", reference="2026/4711"),
        metadata,
    )
    done = rows(vakt, Deletion)[0]
    assert done.registration_ref == "2026/4711" and done.completed_at is not None


def test_a_wastebasket_from_someone_outside_the_team_logs_nothing(vakt: Vakt) -> None:
    item = intake(vakt, "Spam spam spam")
    wastebasket(vakt, item.slack_ts or "", user="U0STRANGER")
    vakt.idle()
    assert rows(vakt, Deletion) == []
    assert rows(vakt, Item)[0].status == Status.OPEN


# ---------------------------------------------------------------- refused and failed files


def logged_deletion(vakt: Vakt) -> tuple[Deletion, str]:
    item = intake(vakt, "Reklame for kryptovaluta")
    ts = item.slack_ts or ""
    wastebasket(vakt, ts)
    wait_until(lambda: len(rows(vakt, Deletion)) == 1)
    wait_until(lambda: any("Deletion" in str(m) for m in thread_messages(vakt, INTAKE, ts)))
    return rows(vakt, Deletion)[0], ts


@pytest.mark.parametrize(
    ("content", "name", "mimetype", "size", "says"),
    [
        (b"<html><body>hi</body></html>", "side.html", "text/html", None, "not an image"),
        (b"<html>pretending</html>", "fake.png", "image/png", None, "not an image"),
        (b"MZ\x90\x00" + b"\x00" * 100, "virus.pdf", "application/pdf", None, "not an image"),
        (PNG, "huge.png", "image/png", 26 * 1024 * 1024, "larger than 25 MB"),
        (PNG_SIGNATURE + HTML, "polyglot.png", "image/png", None, "does not open as a whole"),
        (PNG + HTML, "png-then-html.png", "image/png", None, "does not open as a whole"),
        (PNG[: len(PNG) // 2], "cut.png", "image/png", None, "does not open as a whole"),
    ],
    ids=["html", "lying-png", "exe-as-pdf", "too-big", "polyglot", "html-after-png", "cut-png"],
)
def test_a_file_that_is_not_kept_is_refused_with_a_message_and_nothing_stored(
    vakt: Vakt, content: bytes, name: str, mimetype: str, size: int | None, says: str
) -> None:
    _, ts = logged_deletion(vakt)
    bad = vakt.fake.add_file(content, name=name, mimetype=mimetype, size=size)
    post_event(vakt, file_share(vakt, bad, ts), "EvBad")
    wait_until(lambda: any(says in vakt.reply_text(m) for m in thread_messages(vakt, INTAKE, ts)))
    assert rows(vakt, ArchivedFile) == []
    assert [f.status for f in rows(vakt, FileFetch)] == ["refused"]
    stored = (
        [p for p in archive_dir(vakt).rglob("*") if p.is_file()]
        if archive_dir(vakt).exists()
        else []
    )
    assert stored == []
    assert rows(vakt, Deletion)[0].completed_at is None


def test_a_failed_download_is_retried_by_the_sweep_then_archived(vakt: Vakt) -> None:
    deletion, ts = logged_deletion(vakt)
    vakt.fake.fail_next("file_download", status=500)
    shot = vakt.fake.add_file(PNG, name="bevis.png")
    post_event(vakt, file_share(vakt, shot, ts), "EvRetry")
    wait_until(
        lambda: bool(rows(vakt, FileFetch)) and rows(vakt, FileFetch)[0].last_error is not None
    )
    (fetch,) = rows(vakt, FileFetch)
    assert fetch.status == "pending" and fetch.last_error == "http_500"
    assert rows(vakt, ArchivedFile) == []
    vakt.runtime.sweep(NOW + timedelta(minutes=1))  # before the backoff: not yet
    assert rows(vakt, FileFetch)[0].attempts == 1
    vakt.runtime.sweep(NOW + timedelta(minutes=3))
    assert rows(vakt, FileFetch)[0].status == "done", rows(vakt, FileFetch)
    assert_archived(vakt, rows(vakt, ArchivedFile)[0], PNG, owner=f"deletion:{deletion.id}")


def test_a_download_that_keeps_failing_is_reported_to_whoever_shared_it(vakt: Vakt) -> None:
    _, ts = logged_deletion(vakt)
    vakt.fake.fail_next("file_download", status=503, times=20)
    shot = vakt.fake.add_file(PNG, name="bevis.png")
    post_event(vakt, file_share(vakt, shot, ts), "EvFail")
    wait_until(
        lambda: bool(rows(vakt, FileFetch)) and rows(vakt, FileFetch)[0].last_error is not None
    )
    moment = NOW
    for _ in range(10):
        moment += timedelta(hours=5)
        vakt.runtime.sweep(moment)
    (fetch,) = rows(vakt, FileFetch)
    assert fetch.status == "failed"
    reports = [m for m in thread_messages(vakt, INTAKE, ts) if "could not fetch" in str(m)]
    assert len(reports) == 1 and "<@U0ANNA>" in vakt.reply_text(reports[0])
    assert rows(vakt, ArchivedFile) == []


def test_the_token_is_never_sent_to_a_host_that_is_not_slack(vakt: Vakt) -> None:
    _, ts = logged_deletion(vakt)
    shot = vakt.fake.add_file(PNG, name="bevis.png")
    vakt.fake.set_handler(
        "files.info",
        lambda args: {
            "ok": True,
            "file": {**shot, "url_private_download": "https://evil.example/x"},
        },
    )
    post_event(vakt, file_share(vakt, shot, ts), "EvEvil")
    wait_until(
        lambda: bool(rows(vakt, FileFetch)) and rows(vakt, FileFetch)[0].last_error is not None
    )
    assert rows(vakt, FileFetch)[0].last_error == "untrusted_host"
    assert vakt.fake.calls_to("file_download") == []


def stored_files(vakt: Vakt) -> list[Path]:
    """Every file under the archive directory: the archived files, sidecars, leftovers."""
    root = archive_dir(vakt)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def fetch_failed_with(vakt: Vakt, error: str) -> FileFetch:
    wait_until(
        lambda: bool(rows(vakt, FileFetch)) and rows(vakt, FileFetch)[0].last_error == error,
        timeout=30,
    )
    (fetch,) = rows(vakt, FileFetch)
    return fetch


def test_a_download_cut_short_is_not_archived_but_retried_until_whole(vakt: Vakt) -> None:
    deletion, ts = logged_deletion(vakt)
    # Slack's headers announce the whole file; the connection closes after half of it.
    vakt.fake.fail_next("file_download", hang_up=True)
    shot = vakt.fake.add_file(PNG, name="bevis.png")
    post_event(vakt, file_share(vakt, shot, ts), "EvShort")
    fetch = fetch_failed_with(vakt, "incomplete")
    assert fetch.status == "pending" and fetch.archived_file_id is None
    assert rows(vakt, ArchivedFile) == [] and stored_files(vakt) == []  # no file, no sidecar
    assert rows(vakt, Deletion)[0].completed_at is None
    vakt.runtime.sweep(NOW + timedelta(minutes=3))  # the retry: Slack serves it whole now
    assert rows(vakt, FileFetch)[0].status == "done"
    assert_archived(vakt, rows(vakt, ArchivedFile)[0], PNG, owner=f"deletion:{deletion.id}")
    assert len(stored_files(vakt)) == 2


def test_a_file_shorter_than_files_info_says_is_not_archived(vakt: Vakt) -> None:
    _, ts = logged_deletion(vakt)
    shot = vakt.fake.add_file(PNG[:-20], name="bevis.png", size=len(PNG))
    post_event(vakt, file_share(vakt, shot, ts), "EvLess")
    fetch = fetch_failed_with(vakt, "incomplete")
    assert fetch.status == "pending"
    assert rows(vakt, ArchivedFile) == [] and stored_files(vakt) == []
    moment = NOW
    for _ in range(10):
        moment += timedelta(hours=5)
        vakt.runtime.sweep(moment)
    assert rows(vakt, FileFetch)[0].status == "failed"
    reports = [m for m in thread_messages(vakt, INTAKE, ts) if "could not fetch" in str(m)]
    assert len(reports) == 1 and "incomplete" in vakt.reply_text(reports[0])
    assert rows(vakt, ArchivedFile) == [] and stored_files(vakt) == []


def test_a_dripping_download_is_given_up_at_the_deadline_and_retried(
    fake: FakeSlack, db_url: str, tmp_path: Path
) -> None:
    vakt = Vakt(
        fake, db_url, tmp_path, NOW, config_text=INTAKE_CONFIG, env={"VAKT_DOWNLOAD_DEADLINE": "5"}
    )
    try:
        deletion, ts = logged_deletion(vakt)
        # One byte a second: the whole file would take minutes, each read stays under 30 s.
        vakt.fake.fail_next("file_download", drip=1.0)
        shot = vakt.fake.add_file(PNG, name="bevis.png")
        post_event(vakt, file_share(vakt, shot, ts), "EvDrip")
        fetch = fetch_failed_with(vakt, "deadline")
        assert fetch.status == "pending"
        assert rows(vakt, ArchivedFile) == [] and stored_files(vakt) == []
        vakt.runtime.sweep(NOW + timedelta(minutes=3))
        assert rows(vakt, FileFetch)[0].status == "done"
        assert_archived(vakt, rows(vakt, ArchivedFile)[0], PNG, owner=f"deletion:{deletion.id}")
    finally:
        vakt.close()
    fake.assert_no_errors()


@pytest.fixture
def elsewhere() -> Iterator[Server]:
    """Another HTTP server on loopback (another port of the API host), recording requests."""

    def answer(handler: Any) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "image/png")
        handler.send_header("Content-Length", str(len(PNG)))
        handler.end_headers()
        handler.wfile.write(PNG)

    server = Server(answer).start()
    yield server
    server.stop()


def test_the_token_is_never_sent_to_another_port_of_the_api_host(
    vakt: Vakt, elsewhere: Server
) -> None:
    _, ts = logged_deletion(vakt)
    shot = vakt.fake.add_file(PNG, name="bevis.png")
    metrics = f"{elsewhere.origin}/metrics"  # same host as SLACK_API_URL, another port
    assert metrics.startswith(vakt.fake.url.rsplit(":", 1)[0])
    vakt.fake.set_handler(
        "files.info",
        lambda args: {"ok": True, "file": {**shot, "url_private_download": metrics}},
    )
    post_event(vakt, file_share(vakt, shot, ts), "EvPort")
    fetch = fetch_failed_with(vakt, "untrusted_host")
    assert elsewhere.seen == []  # no request at all, so no Authorization header either
    assert fetch.status == "refused"  # asking Slack again gives the same address
    wait_until(
        lambda: any(
            "not on Slack's own file server" in vakt.reply_text(m)
            for m in thread_messages(vakt, INTAKE, ts)
        ),
        timeout=30,
    )
    asked = len(vakt.fake.calls_to("files.info"))
    for hours in (1, 5, 24):
        vakt.runtime.sweep(NOW + timedelta(hours=hours))
    assert len(vakt.fake.calls_to("files.info")) == asked  # not retried
    assert elsewhere.seen == [] and rows(vakt, ArchivedFile) == [] and stored_files(vakt) == []


def test_a_redirect_to_another_port_does_not_carry_the_token(vakt: Vakt, elsewhere: Server) -> None:
    deletion, ts = logged_deletion(vakt)
    vakt.fake.fail_next(
        "file_download", status=302, headers={"Location": f"{elsewhere.origin}/stolen"}
    )
    shot = vakt.fake.add_file(PNG, name="bevis.png")
    post_event(vakt, file_share(vakt, shot, ts), "EvRedirect")
    fetch = fetch_failed_with(vakt, "http_302")
    assert fetch.status == "pending" and elsewhere.seen == []
    vakt.runtime.sweep(NOW + timedelta(minutes=3))
    assert rows(vakt, FileFetch)[0].status == "done"
    assert_archived(vakt, rows(vakt, ArchivedFile)[0], PNG, owner=f"deletion:{deletion.id}")
    assert elsewhere.seen == []


# ---------------------------------------------------------------- /vakt deleted


def test_vakt_deleted_form_refuses_bad_input_and_stores_nothing(vakt: Vakt) -> None:
    before = len(vakt.fake.calls_to("views.open"))
    slash(vakt, "deleted")
    view = open_view(vakt, before)
    metadata = view["private_metadata"]
    html = vakt.fake.add_file(b"<html></html>", name="x.html", mimetype="text/html")
    cases = [
        (deletion_values(reason=None, account="fb-main"), archive_ids.FIELD_REASON),
        (deletion_values(reason="other", account="fb-main"), archive_ids.FIELD_REASON_TEXT),
        (deletion_values(reason="confidential", account="fb-main"), item_ids.FIELD_REFERENCE),
        (deletion_values(files=[html], account="fb-main"), archive_ids.FIELD_FILES),
        (
            deletion_values(account="fb-main", when=NOW + timedelta(hours=2)),
            archive_ids.FIELD_DELETED_AT,
        ),
        (
            deletion_values(account="fb-main", archive_link="ftp://x"),
            archive_ids.FIELD_ARCHIVE_LINK,
        ),
        (deletion_values(), item_ids.FIELD_ACCOUNT),
    ]
    for values, field in cases:
        answer = submit(vakt, archive_ids.DELETION_VIEW, values, metadata)
        assert answer["response_action"] == "errors", field
        assert field in answer["errors"], (field, answer)
    assert rows(vakt, Deletion) == [] and rows(vakt, FileFetch) == []
    ok = submit(
        vakt,
        archive_ids.DELETION_VIEW,
        deletion_values(
            account="fb-main", archive_link="https://arkiv.testrud.kommune.no/sak/2026/12"
        ),
        metadata,
    )
    assert ok["response_action"] == "update"
    (deletion,) = rows(vakt, Deletion)
    assert deletion.completed_at is not None  # evidence by link to the archive system
    # No item and no intake message: the checklist goes to the team's channel.
    wait_until(lambda: any("Deletion" in str(m) for m in vakt.sent("C0TEAM1")))


def test_approval_is_required_where_the_organisation_requires_it(
    fake: FakeSlack, db_url: str, tmp_path: Path
) -> None:
    config = INTAKE_CONFIG.replace("[[team]]", "[archive]\nrequire_approval = true\n\n[[team]]")
    vakt = Vakt(fake, db_url, tmp_path, NOW, config_text=config)
    try:
        before = len(vakt.fake.calls_to("views.open"))
        slash(vakt, "deleted fb-main")
        view = open_view(vakt, before)
        approval = next(
            b for b in view["blocks"] if b.get("block_id") == archive_ids.FIELD_APPROVED_BY
        )
        assert approval.get("optional") in (None, False)
        answer = submit(
            vakt,
            archive_ids.DELETION_VIEW,
            deletion_values(account="fb-main"),
            view["private_metadata"],
        )
        assert archive_ids.FIELD_APPROVED_BY in answer["errors"]
        assert rows(vakt, Deletion) == []
        submit(
            vakt,
            archive_ids.DELETION_VIEW,
            deletion_values(account="fb-main", approved_by="U0BOSS", archive_link="https://a.no/1"),
            view["private_metadata"],
        )
        (deletion,) = rows(vakt, Deletion)
        assert deletion.approved_by == "U0BOSS" and deletion.completed_at is not None
    finally:
        vakt.close()
    fake.assert_no_errors()


# ---------------------------------------------------------------- snapshots


def test_snapshot_reminder_falls_due_and_a_file_in_its_thread_archives_it(
    fake: FakeSlack, db_url: str, tmp_path: Path
) -> None:
    # The account was registered on Monday 23 November 2026: six months on is 23 May 2027,
    # a Sunday; the reminder comes on Monday 24 May (Whit Monday is 17 May that year).
    vakt = Vakt(fake, db_url, tmp_path, NOW, config_text=SNAPSHOT_CONFIG)
    try:
        day_before = datetime(2027, 5, 21, 9, 5, tzinfo=OSLO)
        vakt.runtime.sweep(day_before)
        assert not [m for m in vakt.sent() if "snapshot" in str(m)]
        due = datetime(2027, 5, 24, 9, 5, tzinfo=OSLO)
        result = vakt.runtime.sweep(due)
        assert not result.failed_jobs, result
        vakt.runtime.sweep(due + timedelta(hours=2))  # a second sweep sends nothing more
        reminders = [m for m in vakt.sent() if "snapshot of" in vakt.reply_text(m).lower()]
        assert len(reminders) == 1
        reminder = reminders[0]
        on_duty = reminder["channel"]
        assert on_duty.startswith("U0")
        sent = next(
            c for c in vakt.fake.calls_to("chat.postMessage") if c.args is reminder
        ).response
        vakt.clock.now = due + timedelta(hours=1)
        pdf = vakt.fake.add_file(PDF, name="side.pdf", mimetype="application/pdf", user=on_duty)
        event = message_event(
            "",
            vakt.fake.workspace.next_ts(),
            channel=sent["channel"],
            user=on_duty,
            subtype="file_share",
            thread_ts=sent["ts"],
            files=[pdf],
            channel_type="im",
        )
        post_event(vakt, event, "EvSnap")
        wait_until(lambda: len(rows(vakt, ArchivedFile)) == 1)
        (snapshot,) = rows(vakt, Snapshot)
        assert snapshot.kind == "periodic"
        assert_archived(vakt, rows(vakt, ArchivedFile)[0], PDF, owner=f"snapshot:{snapshot.id}")
        # Taken: no reminder the next week; the next one is due six months later.
        vakt.runtime.sweep(datetime(2027, 5, 31, 9, 5, tzinfo=OSLO))
        assert len([m for m in vakt.sent() if "snapshot of" in vakt.reply_text(m).lower()]) == 1
        with Session(vakt.runtime.engine) as session:
            (plan,) = archive.plans(session, 0, vakt.runtime.deps.calendar)
        assert plan.last == datetime(2027, 5, 24).date()
        assert plan.due == datetime(2027, 11, 24).date()
    finally:
        vakt.close()
    fake.assert_no_errors()


def test_vakt_snapshot_before_change_and_final_are_recorded(vakt: Vakt) -> None:
    with Session(vakt.runtime.engine) as session:
        assert not archive.has_final_snapshot(session, 1)
    for kind_word, kind in (("before-change", "before_change"), ("final", "final")):
        before = len(vakt.fake.calls_to("views.open"))
        slash(vakt, f"snapshot fb-main {kind_word}")
        view = open_view(vakt, before)
        assert view["callback_id"] == archive_ids.SNAPSHOT_VIEW
        empty = submit(
            vakt,
            archive_ids.SNAPSHOT_VIEW,
            {
                archive_ids.FIELD_KIND: {
                    archive_ids.FIELD_KIND: {
                        "type": "radio_buttons",
                        "selected_option": {"value": kind},
                    }
                }
            },
            view["private_metadata"],
        )
        assert archive_ids.FIELD_FILES in empty["errors"]
        files = [vakt.fake.add_file(PNG, name=f"{kind}-{n}.png") for n in range(2)]
        submit(
            vakt,
            archive_ids.SNAPSHOT_VIEW,
            {
                archive_ids.FIELD_KIND: {
                    archive_ids.FIELD_KIND: {
                        "type": "radio_buttons",
                        "selected_option": {"value": kind},
                    }
                },
                archive_ids.FIELD_FILES: {
                    archive_ids.FIELD_FILES: {"type": "file_input", "files": files}
                },
            },
            view["private_metadata"],
        )
    snapshots = rows(vakt, Snapshot)
    assert [s.kind for s in snapshots] == ["before_change", "final"]
    assert len(rows(vakt, ArchivedFile)) == 4
    with Session(vakt.runtime.engine) as session:
        assert archive.has_final_snapshot(session, snapshots[1].account_id)
    # Each file's outcome reached the uploader directly.
    assert len([m for m in vakt.sent("U0ANNA") if "Archived" in vakt.reply_text(m)]) == 4


def test_vakt_snapshot_refuses_an_unknown_kind_and_a_stranger(vakt: Vakt) -> None:
    assert "not a kind of snapshot" in vakt.command("snapshot fb-main sometime")
    assert "Only members" in vakt.command("snapshot fb-main", user="U0STRANGER")
    assert "fb-main" in vakt.command("snapshot")  # the schedule


# ---------------------------------------------------------------- export in Slack


def test_coordinators_get_the_deletion_log_as_csv(vakt: Vakt) -> None:
    logged_deletion(vakt)
    assert "Only coordinators" in vakt.command("export deletions 2026-11-01 2026-11-30")
    assert "date with a year" in vakt.command("export deletions 1.11 2026-11-30", user="U0COORD1")
    answer = vakt.command("export deletions 2026-11-01 2026-11-30", user="U0COORD1")
    assert "1 deletion" in answer
    uploads = vakt.fake.uploads
    assert len(uploads) == 1
    content = next(iter(uploads.values()))
    table = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert len(table) == 1 and table[0]["account"] == "fb-main"
    complete = vakt.fake.calls_to("files.completeUploadExternal")[-1].args
    assert complete["channel_id"].startswith("D")
    assert [a.action for a in rows(vakt, AuditLog)].count("export.deletions") == 1


def test_event_retries_and_unknown_threads_are_ignored(vakt: Vakt) -> None:
    item = intake(vakt, "Hei")
    shot = vakt.fake.add_file(PNG)
    # A file in a thread that is not a deletion's or a snapshot reminder's: nothing happens.
    post_event(vakt, file_share(vakt, shot, item.slack_ts or ""), "EvNone")
    vakt.idle()
    assert rows(vakt, FileFetch) == []
    raw = event_body(file_share(vakt, shot, "1700000000.999999"), event_id="EvNone2")
    assert vakt.signed_post(raw).status == 200
    vakt.idle()
    assert rows(vakt, FileFetch) == [] and rows(vakt, ArchivedFile) == []
    assert ts_of(NOW)
