"""Meta's webhook into a running Vakt over real HTTP: the handshake, signatures checked over
the raw bytes before anything is stored, a batch of 1000, duplicates and changes out of order,
and what each change does to the items: a question, the Page's answer, a removal with its
capture archived as evidence."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import func, select

from bot.items.core import Status
from bot.meta.core import Change
from bot.store.db import session_scope
from bot.store.models import (
    Account,
    ArchivedFile,
    AuditLog,
    CommentCapture,
    Deletion,
    Item,
    MetaChange,
)
from tests.fakeslack import FakeSlack
from tests.harness import OSLO, HttpReply, Vakt
from tests.waiting import wait_until

APP_SECRET = "test-app-secret-0123456789"
VERIFY = "test-verify-token"
PAGE = "1234567890321"
POST = f"{PAGE}_901097836652708"
# Monday 23 November 2026, 09:15 in Oslo: 45 minutes before the harness clock.
WRITTEN = int(datetime(2026, 11, 23, 8, 15, tzinfo=UTC).timestamp())


def connect(vakt: Vakt, key: str = "fb-main", page: str = PAGE) -> None:
    """The account's Facebook Page id, as `/vakt account edit` sets it."""
    with session_scope(vakt.runtime.engine) as session:
        account = session.exec(select(Account).where(Account.key == key)).one()
        account.facebook_page_id = page
        session.add(account)


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def comment(
    comment_id: str,
    *,
    verb: str = "add",
    from_id: str = "10158000000000001",
    name: str = "Kari Nordmann",
    message: str | None = "Når åpner biblioteket i romjula?",
    parent: str | None = None,
    at: int = WRITTEN,
    legacy: bool = False,
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "item": "comment",
        "verb": verb,
        "comment_id": comment_id,
        "post_id": POST,
        "parent_id": parent or POST,
        "created_time": at,
    }
    if legacy:
        value |= {"sender_id": int(from_id), "sender_name": name}
    else:
        value["from"] = {"id": from_id, "name": name}
    if message is not None and verb != "remove":
        value["message"] = message
    return {"field": "feed", "value": value}


def envelope(*changes: dict[str, Any], page: str = PAGE) -> bytes:
    body = {"object": "page", "entry": [{"id": page, "time": WRITTEN, "changes": list(changes)}]}
    # As Meta sends it: non-ASCII escaped.
    return json.dumps(body, ensure_ascii=True).encode()


@pytest.fixture
def vakt(fake: FakeSlack, db_url: str, tmp_path: Path) -> Iterator[Vakt]:
    harness = Vakt(
        fake,
        db_url,
        tmp_path,
        datetime(2026, 11, 23, 10, 0, tzinfo=OSLO),
        env={"META_APP_SECRET": APP_SECRET, "META_VERIFY_TOKEN": VERIFY},
    )
    connect(harness)
    yield harness
    harness.close()
    fake.assert_no_errors()


def deliver(vakt: Vakt, body: bytes, signature: str | None = "") -> HttpReply:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature or sign(body)
    return vakt.post("/meta/webhook", body, headers)


def count(vakt: Vakt, model: type) -> int:
    with session_scope(vakt.runtime.engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def items(vakt: Vakt) -> list[Item]:
    with session_scope(vakt.runtime.engine) as session:
        return list(session.exec(select(Item).order_by(Item.id)).all())


def taken(vakt: Vakt, stored: int) -> None:
    """Wait until the connector has taken that many stored changes."""

    def all_done() -> bool:
        with session_scope(vakt.runtime.engine) as session:
            done = session.exec(
                select(func.count()).select_from(MetaChange).where(MetaChange.status == "done")
            ).one()
        return int(done) >= stored

    wait_until(all_done, what=f"for {stored} platform change(s) to be taken")


# ---------------------------------------------------------------- the handshake


def test_handshake_answers_the_challenge_only_for_the_verify_token(vakt: Vakt) -> None:
    ok = vakt.get(
        f"/meta/webhook?hub.mode=subscribe&hub.verify_token={VERIFY}&hub.challenge=1158201444"
    )
    assert (ok.status, ok.body) == (200, b"1158201444")
    wrong = vakt.get("/meta/webhook?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1")
    assert wrong.status == 403 and b"1" not in wrong.body.replace(b"forbidden", b"")
    missing = vakt.get("/meta/webhook?hub.mode=subscribe&hub.challenge=1")
    assert missing.status == 403


def test_without_the_app_secret_there_is_no_webhook(
    fake: FakeSlack, db_url: str, tmp_path: Path
) -> None:
    harness = Vakt(fake, db_url, tmp_path, datetime(2026, 11, 23, 10, 0, tzinfo=OSLO))
    try:
        assert harness.runtime.connector is None
        body = envelope(comment("901097836652708_1"))
        assert deliver(harness, body).status == 404
    finally:
        harness.close()


# ---------------------------------------------------------------- signatures


@pytest.mark.parametrize(
    "signature",
    [
        None,  # missing
        "sha256=" + "0" * 64,  # wrong
        "sha1=" + hashlib.sha1(b"x").hexdigest(),  # noqa: S324 (the old SHA-1 form alone)
        "garbage",
    ],
)
def test_a_bad_signature_is_refused_and_nothing_stored(vakt: Vakt, signature: str | None) -> None:
    body = envelope(comment("901097836652708_2"))
    reply = deliver(vakt, body, signature)
    assert reply.status == 401
    assert count(vakt, MetaChange) == 0 and count(vakt, Item) == 0


def test_a_signature_for_another_body_or_a_reserialised_one_is_refused(vakt: Vakt) -> None:
    body = envelope(comment("901097836652708_3"))
    other = envelope(comment("901097836652708_4"))
    assert deliver(vakt, body, sign(other)).status == 401
    # The same JSON written another way (å unescaped) is other bytes: its signature is not
    # that of the bytes Meta signed.
    reserialised = json.dumps(json.loads(body), ensure_ascii=False).encode()
    assert reserialised != body
    assert deliver(vakt, reserialised, sign(body)).status == 401
    assert deliver(vakt, body, sign(body, "another-secret")).status == 401
    assert count(vakt, MetaChange) == 0


# ---------------------------------------------------------------- questions


def test_a_citizens_comment_becomes_a_question_with_its_capture(vakt: Vakt) -> None:
    reply = deliver(vakt, envelope(comment("901097836652708_5")))
    assert reply.status == 200 and reply.json() == {"ok": True, "stored": 1}
    taken(vakt, 1)
    [item] = items(vakt)
    assert (item.source, item.external_id, item.status) == ("facebook", "901097836652708_5", "open")
    assert item.received_at == datetime.fromtimestamp(WRITTEN, UTC)
    assert item.excerpt == "Når åpner biblioteket i romjula?"
    assert item.url == f"https://www.facebook.com/{POST}?comment_id=5"
    with session_scope(vakt.runtime.engine) as session:
        capture = session.exec(select(CommentCapture)).one()
        stored = session.exec(select(MetaChange)).one()
    data = json.loads(capture.content or "")
    assert data["author"] == {"id": "10158000000000001", "name": "Kari Nordmann"}
    assert data["message"] == "Når åpner biblioteket i romjula?"
    assert hashlib.sha256(capture.content.encode()).hexdigest() == capture.sha256  # type: ignore[union-attr]
    assert stored.payload is None  # taken: the comment is kept only in the capture
    # Its card reached the team channel, like any question's.
    vakt.wait_sent("C0TEAM1")


def test_the_older_sender_id_shape_is_read_too(vakt: Vakt) -> None:
    deliver(vakt, envelope(comment("901097836652708_6", legacy=True)))
    taken(vakt, 1)
    assert [i.external_id for i in items(vakt)] == ["901097836652708_6"]


def test_the_pages_own_comment_is_no_question(vakt: Vakt) -> None:
    deliver(vakt, envelope(comment("901097836652708_7", from_id=PAGE, name="Testrud kommune")))
    taken(vakt, 1)
    assert items(vakt) == []


def test_the_same_change_twice_is_one_and_a_batch_of_1000_is_taken(vakt: Vakt) -> None:
    batch = [comment(f"901097836652708_{1000 + n}", message=f"Spørsmål {n}") for n in range(1000)]
    body = envelope(*batch)
    first = deliver(vakt, body)
    assert first.status == 200 and first.json()["stored"] == 1000
    again = deliver(vakt, body)  # Meta's retry of the same delivery
    assert again.status == 200 and again.json()["stored"] == 0
    taken(vakt, 1000)
    assert count(vakt, Item) == 1000
    assert count(vakt, MetaChange) == 1000


# ---------------------------------------------------------------- answers


def test_the_pages_reply_answers_the_question_and_counts(vakt: Vakt) -> None:
    deliver(vakt, envelope(comment("901097836652708_8")))
    taken(vakt, 1)
    reply_at = WRITTEN + 20 * 60
    deliver(
        vakt,
        envelope(
            comment(
                "901097836652708_9",
                from_id=PAGE,
                name="Testrud kommune",
                message="Kl. 10 alle hverdager.",
                parent="901097836652708_8",
                at=reply_at,
            )
        ),
    )
    taken(vakt, 2)
    [item] = items(vakt)
    assert (item.status, item.closed_by) == (Status.ANSWERED, "facebook")
    assert item.closed_at == datetime.fromtimestamp(reply_at, UTC)
    with session_scope(vakt.runtime.engine) as session:
        audit = session.exec(select(AuditLog).where(AuditLog.action == "item.answered")).one()
    assert audit.actor == "facebook"
    # Counted as answered in /vakt status, in working time.
    status = vakt.command("status", user="U0COORD1")
    assert "20 min" in status


def test_a_reply_before_its_comment_still_answers_it(vakt: Vakt) -> None:
    reply = comment(
        "901097836652708_11",
        from_id=PAGE,
        name="Testrud kommune",
        message="Ja.",
        parent="901097836652708_10",
        at=WRITTEN + 600,
    )
    deliver(vakt, envelope(reply))
    taken(vakt, 1)
    deliver(vakt, envelope(comment("901097836652708_10")))
    taken(vakt, 2)
    [item] = items(vakt)
    assert item.status == Status.ANSWERED


def test_asking_again_after_the_answer_is_a_new_question(vakt: Vakt) -> None:
    deliver(vakt, envelope(comment("901097836652708_12")))
    taken(vakt, 1)
    deliver(
        vakt,
        envelope(
            comment(
                "901097836652708_13",
                from_id=PAGE,
                message="Kl. 10.",
                parent="901097836652708_12",
                at=WRITTEN + 60,
            )
        ),
    )
    taken(vakt, 2)
    deliver(
        vakt,
        envelope(
            comment(
                "901097836652708_14",
                message="Og på lørdager?",
                parent="901097836652708_12",
                at=WRITTEN + 120,
            )
        ),
    )
    taken(vakt, 3)
    statuses = [(i.external_id, i.status) for i in items(vakt)]
    assert statuses == [("901097836652708_12", "answered"), ("901097836652708_14", "open")]


# ---------------------------------------------------------------- removals


def test_a_removed_comment_opens_a_deletion_with_its_capture_as_evidence(vakt: Vakt) -> None:
    deliver(vakt, envelope(comment("901097836652708_15")))
    taken(vakt, 1)
    with session_scope(vakt.runtime.engine) as session:
        sealed = session.exec(select(CommentCapture)).one()
        content, digest = sealed.content, sealed.sha256
    deliver(vakt, envelope(comment("901097836652708_15", verb="remove", message=None)))
    taken(vakt, 2)
    [item] = items(vakt)
    assert item.status == Status.DELETED
    with session_scope(vakt.runtime.engine) as session:
        deletion = session.exec(select(Deletion)).one()
        files = session.exec(select(ArchivedFile).order_by(ArchivedFile.id)).all()
        capture = session.exec(select(CommentCapture)).one()
    assert deletion.item_id == item.id and deletion.reason is None  # a draft: the reason is asked
    assert [f.content_type for f in files] == ["application/json", "image/png"]
    archived = (vakt.runtime.deps.archive_dir / files[0].path).read_bytes()
    assert archived.decode() == content and files[0].sha256 == digest
    assert hashlib.sha256(archived).hexdigest() == digest
    png = (vakt.runtime.deps.archive_dir / files[1].path).read_bytes()
    assert png.startswith(b"\x89PNG")
    for file in files:
        sidecar = json.loads((vakt.runtime.deps.archive_dir / (file.path + ".json")).read_text())
        assert sidecar["sha256"] == file.sha256 and sidecar["deletion"] == deletion.id
    assert capture.content is None and capture.deletion_id == deletion.id
    # The checklist went to the team, evidence already ticked.
    checklist = vakt.wait_sent("C0TEAM1", 2)[-1]
    assert "Kari" not in json.dumps(checklist)  # the author's name stays in the archive


def test_a_hidden_comment_is_closed_as_deleted_too(vakt: Vakt) -> None:
    deliver(vakt, envelope(comment("901097836652708_16")))
    taken(vakt, 1)
    deliver(vakt, envelope(comment("901097836652708_16", verb="hide")))
    taken(vakt, 2)
    assert [i.status for i in items(vakt)] == [Status.DELETED]


def test_a_removal_before_its_comment_still_closes_it(vakt: Vakt) -> None:
    deliver(vakt, envelope(comment("901097836652708_17", verb="remove", message=None)))
    taken(vakt, 1)
    deliver(vakt, envelope(comment("901097836652708_17")))
    taken(vakt, 2)
    assert [i.status for i in items(vakt)] == [Status.DELETED]
    assert count(vakt, Deletion) == 1


def test_an_edit_keeps_what_was_written_before(vakt: Vakt) -> None:
    deliver(vakt, envelope(comment("901097836652708_18", message="Første tekst")))
    taken(vakt, 1)
    deliver(vakt, envelope(comment("901097836652708_18", verb="edited", message="Andre tekst")))
    taken(vakt, 2)
    with session_scope(vakt.runtime.engine) as session:
        capture = session.exec(select(CommentCapture)).one()
    data = json.loads(capture.content or "")
    assert data["message"] == "Andre tekst"
    assert [e["message"] for e in data["earlier"]] == ["Første tekst"]
    assert count(vakt, Item) == 1


def test_a_change_stored_but_not_taken_is_taken_by_the_next_sweep(vakt: Vakt) -> None:
    """A crash after the 200 and before taking: the row waits, the sweep takes it."""
    connector = vakt.runtime.connector
    assert connector is not None
    change = Change(
        "facebook",
        PAGE,
        "901097836652708_19",
        "add",
        POST,
        None,
        "1",
        "Ola",
        datetime.fromtimestamp(WRITTEN, UTC),
        "Hei?",
    )
    from bot.meta import service

    with session_scope(vakt.runtime.engine) as session:
        assert service.store(session, [change], "webhook", vakt.clock()) == 1
    assert count(vakt, Item) == 0
    vakt.runtime.sweep()
    assert [i.external_id for i in items(vakt)] == ["901097836652708_19"]


def test_an_unknown_page_or_a_post_change_creates_nothing(vakt: Vakt) -> None:
    deliver(vakt, envelope(comment("1_1"), page="999999999"))
    post = {"field": "feed", "value": {"item": "status", "verb": "add", "post_id": POST}}
    reaction = {"field": "feed", "value": {"item": "reaction", "verb": "add", "post_id": POST}}
    deliver(vakt, envelope(post, reaction))
    taken(vakt, 1)
    assert items(vakt) == []


def test_a_signed_body_that_is_no_envelope_is_acknowledged_without_storing(vakt: Vakt) -> None:
    for body in (b"[]", b"{", b'{"object": "page"}', "\u00e5".encode("latin-1")):
        reply = deliver(vakt, body)
        assert reply.status == 200, body
    assert count(vakt, MetaChange) == 0
