"""What the platforms report, stored and then acted on: items, answers and deletions.

`store` records changes (from a webhook or a poll) before anything is done with them, one row
per change key; `take` acts on one stored change inside the caller's transaction. A change is
acted on idempotently — the item is keyed by account and comment id, an answer or a removal of
what is already closed changes nothing — so a change taken twice, or the same comment brought
by a webhook and by a poll, does nothing twice. Changes may come out of order (the Page's
reply before the comment it answers, a removal before the comment): whichever comes second
looks for the first.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.archive import service as archive
from bot.archive.files import store_made
from bot.items import service as items
from bot.items.core import Status
from bot.kernel.config import LIVE
from bot.kernel.context import Ctx
from bot.kernel.errors import Conflict, NotAllowed, UserInputError
from bot.meta import core
from bot.meta.core import Change, Verdict
from bot.meta.sheet import capture_sheet
from bot.store.models import Account, ArchivedFile, CommentCapture, Deletion, Item, MetaChange

log = logging.getLogger(__name__)

# After a failure a change is tried again after these many minutes, then every hour.
RETRY_MINUTES = (1, 5, 15, 60)
KEEP_DONE = timedelta(days=7)  # Meta retries a delivery for up to 36 hours
CLOSED_OTHERWISE = (Status.ANSWERED, Status.NO_REPLY, Status.REFERRED)


@dataclass(frozen=True)
class Taken:
    """What taking a change did: the items whose cards show something new."""

    items: tuple[int, ...] = ()
    note: str = ""


def actor_of(platform: str) -> str:
    """Who acts when a platform reports something: shown as "the Page (on Facebook)"."""
    return platform


# ---------------------------------------------------------------- storing


def store(session: Session, changes: Sequence[Change], via: str, now: datetime) -> int:
    """Record the changes not recorded yet (by key); how many were new. One statement for the
    whole batch: a webhook of 1000 changes is stored at once, and a retry of it stores none."""
    rows = [
        {
            "key": core.change_key(change),
            "platform": change.platform,
            "object_id": change.object_id[:30],
            "comment_id": change.comment_id,
            "verb": change.verb,
            "verdict": core.verdict(change, change.object_id).value,
            "thread_id": change.thread_id,
            "created_at": change.created_at,
            "via": via,
            "payload": change.to_json(),
            "received_at": now,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
        }
        for change in changes
    ]
    if not rows:
        return 0
    table = MetaChange.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    # The same change twice in one batch is one row too.
    unique = list({row["key"]: row for row in rows}.values())
    statement = (
        insert.values(unique).on_conflict_do_nothing(index_elements=["key"]).returning(table.c.id)
    )
    return len(session.execute(statement).all())


def due(session: Session, now: datetime, limit: int = 500) -> list[int]:
    """Stored changes waiting to be taken, in the order they were written."""
    return [
        int(i)
        for i in session.exec(
            select(MetaChange.id)
            .where(col(MetaChange.status) == "pending", col(MetaChange.next_attempt_at) <= now)
            .order_by(col(MetaChange.created_at), col(MetaChange.id))
            .limit(limit)
        ).all()
        if i is not None
    ]


def claim(session: Session, change_id: int) -> MetaChange | None:
    """The stored change, locked for this transaction (another replica skips it), or None
    when it is taken already."""
    row = session.exec(
        select(MetaChange)
        .where(MetaChange.id == change_id, col(MetaChange.status) == "pending")
        .with_for_update(skip_locked=True)
    ).first()
    return row


def done(row: MetaChange, now: datetime, note: str = "") -> None:
    row.status = "done"
    row.processed_at = now
    row.last_error = note[:300] or None
    # A citizen's comment is personal data: once acted on, only the capture keeps it. The
    # account's own replies stay, for a comment that arrives after its answer.
    if row.verdict != Verdict.ANSWER:
        row.payload = None


def failed(session: Session, change_id: int, now: datetime, error: str) -> None:
    """A change that could not be taken is tried again later, never dropped."""
    row = session.get(MetaChange, change_id)
    if row is None:
        return
    row.attempts += 1
    wait = RETRY_MINUTES[min(row.attempts, len(RETRY_MINUTES)) - 1]
    row.next_attempt_at = now + timedelta(minutes=wait)
    row.last_error = error[:300]
    session.add(row)


# ---------------------------------------------------------------- taking


def account_for(session: Session, platform: str, object_id: str) -> Account | None:
    column = Account.facebook_page_id if platform == core.FACEBOOK else Account.instagram_user_id
    return session.exec(select(Account).where(column == object_id)).first()


def take(ctx: Ctx, row: MetaChange, archive_dir: Path) -> Taken:
    """Act on one stored change; the row is marked done with it."""
    if row.payload is None:
        done(row, ctx.now, "no content")
        return Taken()
    change = Change.from_json(row.payload)
    account = account_for(ctx.session, change.platform, change.object_id)
    if account is None:
        done(row, ctx.now, "no account with that id")
        return Taken(note="no account")
    verdict = Verdict(row.verdict)
    if verdict in (Verdict.QUESTION, Verdict.EDITED):
        taken = _question(ctx, account, change, archive_dir)
    elif verdict == Verdict.ANSWER:
        taken = _answer(ctx, account, change)
    elif verdict == Verdict.REMOVED:
        taken = _removed(ctx, account, change.comment_id, archive_dir)
    else:
        taken = Taken()
    done(row, ctx.now, taken.note)
    ctx.session.add(row)
    return taken


def _capture(ctx: Ctx, account: Account, comment_id: str) -> CommentCapture | None:
    return ctx.session.exec(
        select(CommentCapture).where(
            CommentCapture.account_id == account.id, CommentCapture.comment_id == comment_id
        )
    ).first()


def captures_on(ctx: Ctx) -> bool:
    return ctx.config.archive.capture_comments


def _question(ctx: Ctx, account: Account, change: Change, archive_dir: Path) -> Taken:
    known = _capture(ctx, account, change.comment_id)
    if known is not None:
        if change.verb == "edited" and known.content is not None:
            _edited(ctx, known, change)
        return Taken()
    if account.status not in LIVE:
        return Taken(note=f"account {account.status}")
    received = min(change.created_at or ctx.now, ctx.now)
    link = core.link_of(change)
    try:
        created = items.create_item(
            ctx,
            items.NewItem(
                account=account,
                source=change.platform,
                external_id=change.comment_id,
                received_at=received,
                url=link,
                text=change.message,
            ),
        )
    except UserInputError as refused:  # older than a year: not a question to remind of now
        return Taken(note=refused.key)
    item = created.item
    assert item.id is not None and account.id is not None
    content, digest = (None, "")
    if captures_on(ctx):
        content, digest = core.sealed(core.capture_of(change, account.key, link))
    capture = CommentCapture(
        account_id=account.id,
        comment_id=change.comment_id,
        thread_id=change.thread_id,
        created_at=received,
        item_id=item.id,
        content=content,
        sha256=digest,
        captured_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(capture)
    ctx.session.flush()
    touched = [item.id] if created.created else []
    # Out of order: the account answered, or the comment was removed, before Vakt saw it.
    answered = ctx.session.exec(
        select(MetaChange)
        .where(
            MetaChange.platform == change.platform,
            MetaChange.object_id == change.object_id,
            MetaChange.thread_id == change.thread_id,
            MetaChange.verdict == Verdict.ANSWER.value,
            MetaChange.status == "done",
        )
        .order_by(col(MetaChange.created_at))
    ).all()
    for reply in answered:
        if reply.created_at is not None and reply.created_at >= received:
            touched += _answer(ctx, account, Change.from_json(reply.payload or "{}")).items
            break
    removed = ctx.session.exec(
        select(MetaChange.id).where(
            MetaChange.platform == change.platform,
            MetaChange.comment_id == change.comment_id,
            MetaChange.verdict == Verdict.REMOVED.value,
            MetaChange.status == "done",
        )
    ).first()
    if removed is not None:
        touched += _removed(ctx, account, change.comment_id, archive_dir).items
    return Taken(tuple(dict.fromkeys(touched)))


def _edited(ctx: Ctx, capture: CommentCapture, change: Change) -> None:
    """The capture keeps every text the comment had, the newest as `message`."""
    data = json.loads(capture.content or "{}")
    if data.get("message") == change.message:
        return
    earlier = list(data.get("earlier") or [])
    earlier.append({"message": data.get("message"), "until": ctx.now.isoformat()})
    data["earlier"], data["message"] = earlier, change.message
    capture.content, capture.sha256 = core.sealed(data)
    capture.updated_at = ctx.now
    ctx.session.add(capture)


def _answer(ctx: Ctx, account: Account, change: Change) -> Taken:
    """The account's reply answers the open items of its thread written before it."""
    at = min(change.created_at or ctx.now, ctx.now)
    rows = ctx.session.exec(
        select(Item, CommentCapture)
        .join(CommentCapture, col(CommentCapture.item_id) == col(Item.id))
        .where(
            CommentCapture.account_id == account.id,
            CommentCapture.thread_id == change.thread_id,
            col(Item.status) == Status.OPEN,
        )
    ).all()
    answered: list[int] = []
    for item, capture in rows:
        if capture.created_at is not None and capture.created_at > at:
            continue  # asked after the reply: they asked again
        assert item.id is not None
        items.close_item(ctx, item.id, Status.ANSWERED, at=max(at, item.received_at), trusted=True)
        answered.append(item.id)
    return Taken(tuple(answered))


def _removed(ctx: Ctx, account: Account, comment_id: str, archive_dir: Path) -> Taken:
    """Hidden or removed on the platform: the item is closed as deleted and a deletion is
    logged as a draft, its evidence the capture taken when the comment arrived."""
    capture = _capture(ctx, account, comment_id)
    if capture is None or capture.item_id is None or capture.deletion_id is not None:
        return Taken()
    item = ctx.session.get(Item, capture.item_id)
    if item is None:
        return Taken()
    if item.status != Status.OPEN and capture.content is None:
        return Taken()  # answered long ago, the capture purged: nothing left to log

    _log_with_capture(ctx, account, item, capture, archive_dir, trusted=True)
    assert item.id is not None
    return Taken((item.id,))


def _log_with_capture(
    ctx: Ctx,
    account: Account,
    item: Item,
    capture: CommentCapture,
    archive_dir: Path,
    *,
    trusted: bool,
) -> int:
    """Log the item's deletion as a draft (closing it when open), the capture archived as its
    evidence before the checklist is made; the capture then lives in the archive only."""

    def evidence(deletion: Deletion) -> list[ArchivedFile]:
        return _evidence(ctx, account, capture, deletion, archive_dir)

    logged = archive.log_deletion(
        ctx,
        archive.NewDeletion(
            account=account,
            deleted_at=ctx.now,
            reason=None,
            summary=item.excerpt,
            url=item.url,
            item_id=item.id if item.status == Status.OPEN else None,
        ),
        require_reason=False,
        trusted=trusted,
        evidence=evidence,
    )
    assert logged.deletion.id is not None
    capture.deletion_id = logged.deletion.id
    capture.content = None  # kept in the archive from now on, as the deletion's evidence
    capture.updated_at = ctx.now
    ctx.session.add(capture)
    return logged.deletion.id


def _evidence(
    ctx: Ctx,
    account: Account,
    capture: CommentCapture,
    deletion: Deletion,
    archive_dir: Path,
) -> list[ArchivedFile]:
    if capture.content is None or deletion.id is None:
        return []
    raw = capture.content.encode()
    data = json.loads(capture.content)
    sheet = capture_sheet(data, capture.sha256, ctx.config.language, ctx.calendar.tz)
    files = []
    for content, content_type, extension, name in (
        (raw, "application/json", "json", f"comment-{capture.comment_id}.json"),
        (sheet, "image/png", "png", f"comment-{capture.comment_id}.png"),
    ):
        row = store_made(
            archive_dir,
            content,
            content_type,
            extension=extension,
            owner="deletion",
            owner_id=deletion.id,
            account=account.key,
            name=name,
            made_from=capture.comment_id,
            made_by=ctx.actor,
            made_at=ctx.now,
        )
        row.deletion_id = deletion.id
        files.append(row)
    return files


# ---------------------------------------------------------------- removing from Vakt


@dataclass(frozen=True)
class Removal:
    """A comment to hide or delete on its platform, its evidence already archived."""

    deletion_id: int
    item_id: int
    platform: str
    object_id: str
    comment_id: str


def archive_before_removal(ctx: Ctx, item_id: int, archive_dir: Path) -> Removal:
    """Log the deletion of a connected account's comment as a draft, its capture archived as
    evidence and the item closed as deleted — before anything is asked of the platform, so
    the evidence exists whatever the platform answers. Team members, the team's manager and
    coordinators only (audited with the deletion)."""
    item, account, view = items.get_item(ctx, item_id)
    if not items.may_handle(ctx, view):
        raise NotAllowed("error.not_your_item", team=view.team.name)
    if item.source not in (core.FACEBOOK, core.INSTAGRAM):
        raise Conflict("error.meta_not_platform", id=item_id)
    object_id = (
        account.facebook_page_id if item.source == core.FACEBOOK else account.instagram_user_id
    )
    if object_id is None:
        raise Conflict("error.meta_not_connected", account=account.name)
    capture = _capture(ctx, account, item.external_id)
    if capture is None or capture.content is None:
        raise Conflict("error.meta_no_capture", id=item_id)
    if item.status != Status.OPEN:
        raise Conflict("error.item_closed", id=item_id, by=item.closed_by or "?")
    deletion_id = _log_with_capture(ctx, account, item, capture, archive_dir, trusted=False)
    assert item.id is not None
    return Removal(deletion_id, item.id, item.source, object_id, item.external_id)


# ---------------------------------------------------------------- purging


def purge(session: Session, retention_days: int, now: datetime) -> int:
    """Captures of items closed otherwise than deleted go with the excerpt, after the
    retention period; changes taken go after a week (Meta's retries are over by then)."""
    cutoff = now - timedelta(days=retention_days)
    closed = (
        select(Item.id)
        .where(col(Item.status).in_(CLOSED_OTHERWISE), col(Item.closed_at) < cutoff)
        .scalar_subquery()
    )
    purged = session.execute(
        sa.update(CommentCapture)
        .where(col(CommentCapture.content).is_not(None), col(CommentCapture.item_id).in_(closed))
        .values(content=None, purged_at=now)
    )
    session.execute(
        sa.delete(MetaChange).where(
            col(MetaChange.status) == "done", col(MetaChange.processed_at) < now - KEEP_DONE
        )
    )
    return int(purged.rowcount or 0)  # type: ignore[attr-defined]
