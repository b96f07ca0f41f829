"""Deletions and snapshots: the log of what was removed and why, its checklist, and the periodic
snapshots of each account. Each function runs in the caller's transaction and audits changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from bot.archive import core
from bot.archive import messages as archive_messages
from bot.archive.core import Notified, Reason, SnapshotKind, Step
from bot.items import service as items
from bot.items.core import Status
from bot.kernel.audit import audit
from bot.kernel.calendar import WorkCalendar
from bot.kernel.config import LIVE, ArchiveRules
from bot.kernel.context import Ctx
from bot.kernel.errors import NotAllowed, NotFound, UserInputError
from bot.rota.teams import TeamView
from bot.slackkit.outbox import Message, enqueue
from bot.store.models import Account, ArchivedFile, Deletion, Item, Outbox, Snapshot

MAX_TEXT = 500
MAX_REFERENCE = 100
MAX_AGE = timedelta(days=366)
CLOCK_SKEW = timedelta(minutes=5)
CHECKLIST_KIND = "deletion_checklist"
SNAPSHOT_KIND = "snapshot_reminder"


@dataclass(frozen=True)
class NewDeletion:
    account: Account
    deleted_at: datetime
    reason: str | None
    reason_text: str | None = None
    summary: str | None = None
    url: str | None = None
    approved_by: str | None = None
    registration_ref: str | None = None
    poster_notified: str = Notified.NOT_YET
    archive_link: str | None = None
    item_id: int | None = None
    source_channel: str | None = None
    source_ts: str | None = None


@dataclass(frozen=True)
class DeletionView:
    """A deletion with what its checklist shows."""

    deletion: Deletion
    account: Account
    team: TeamView
    files: list[ArchivedFile]
    missing: list[Step]
    steps: list[Step]


# ---------------------------------------------------------------- checks


def _text(value: str | None, limit: int, key: str) -> str | None:
    value = (value or "").strip() or None
    if value is not None and len(value) > limit:
        raise UserInputError(key, max=limit)
    return value


def link(value: str | None) -> str | None:
    """A web address typed into a form, or None; anything else is refused."""
    value = (value or "").strip() or None
    if value is None:
        return None
    if not value.startswith(("https://", "http://")) or len(value) > 1000 or " " in value:
        raise UserInputError("error.bad_url", value=value[:80])
    return value


def _check_reason(reason: str | None, reason_text: str | None, *, required: bool) -> None:
    if reason is None:
        if required:
            raise UserInputError("error.reason_needed")
        return
    if reason not in {r.value for r in Reason}:
        raise UserInputError("error.bad_reason", value=reason[:40])
    if reason == Reason.OTHER and not reason_text:
        raise UserInputError("error.reason_text_needed")


def _check_notified(value: str) -> None:
    if value not in {n.value for n in Notified}:
        raise UserInputError("error.bad_notified", value=value[:20])


def may_handle(ctx: Ctx, view: TeamView) -> bool:
    return items.may_handle(ctx, view)


def _check_handler(ctx: Ctx, view: TeamView) -> None:
    if not may_handle(ctx, view):
        raise NotAllowed("error.not_your_account", team=view.team.name)


def _data(deletion: Deletion) -> dict[str, object]:
    return {
        "account_id": deletion.account_id,
        "item_id": deletion.item_id,
        "deleted_at": deletion.deleted_at,
        "reason": deletion.reason,
        "reason_text": deletion.reason_text,
        "summary": deletion.summary,
        "url": deletion.url,
        "approved_by": deletion.approved_by,
        "registration_ref": deletion.registration_ref,
        "poster_notified": deletion.poster_notified,
        "archive_link": deletion.archive_link,
        "completed_at": deletion.completed_at,
    }


# ---------------------------------------------------------------- deletions


def files_of(session: Session, deletion_id: int) -> list[ArchivedFile]:
    return list(
        session.exec(
            select(ArchivedFile)
            .where(ArchivedFile.deletion_id == deletion_id)
            .order_by(col(ArchivedFile.id))
        ).all()
    )


def with_evidence_files(session: Session, deletion_ids: list[int]) -> set[int]:
    """Those of the deletions that have an archived file, in one query per 500."""
    found: set[int] = set()
    for start in range(0, len(deletion_ids), 500):
        found.update(
            i
            for i in session.exec(
                select(ArchivedFile.deletion_id)
                .where(col(ArchivedFile.deletion_id).in_(deletion_ids[start : start + 500]))
                .distinct()
            )
            if i is not None
        )
    return found


def state_of(deletion: Deletion, *, has_files: bool) -> core.DeletionState:
    return core.DeletionState(
        reason=deletion.reason,
        reason_text=deletion.reason_text,
        has_evidence=has_files or bool(deletion.archive_link),
        poster_notified=deletion.poster_notified,
        approved_by=deletion.approved_by,
        registration_ref=deletion.registration_ref,
    )


def view_of(ctx: Ctx, deletion_id: int) -> DeletionView:
    deletion = ctx.session.get(Deletion, deletion_id)
    if deletion is None:
        raise NotFound("error.no_deletion", id=deletion_id)
    account = ctx.session.get(Account, deletion.account_id)
    assert account is not None and deletion.id is not None
    files = files_of(ctx.session, deletion.id)
    rules = ctx.config.archive
    return DeletionView(
        deletion=deletion,
        account=account,
        team=items.team_view_of(ctx, account),
        files=files,
        missing=core.missing_steps(rules, state_of(deletion, has_files=bool(files))),
        steps=core.steps(rules, deletion.reason),
    )


def refresh_completion(
    session: Session, rules: ArchiveRules, deletion: Deletion, actor: str, now: datetime
) -> bool:
    """Set or clear `completed_at` from the checklist; True when the deletion is complete."""
    assert deletion.id is not None
    missing = core.missing_steps(
        rules, state_of(deletion, has_files=bool(files_of(session, deletion.id)))
    )
    if missing:
        deletion.completed_at = None
    elif deletion.completed_at is None:
        deletion.completed_at = now
        audit(
            session,
            actor=actor,
            action="deletion.complete",
            target=f"deletion:{deletion.id}",
            now=now,
        )
    session.add(deletion)
    return not missing


def checklist_place(ctx: Ctx, deletion: Deletion, view: TeamView) -> tuple[str, str | None]:
    """Where a deletion's checklist goes: the thread of the message it was on (an intake
    message, or the item's card), else the team's channel, else the logger's direct messages."""
    if deletion.source_channel and deletion.source_ts:
        return deletion.source_channel, deletion.source_ts
    if deletion.item_id is not None:
        item = ctx.session.get(Item, deletion.item_id)
        if item is not None and item.slack_channel and item.slack_ts:
            return item.slack_channel, item.slack_ts
        card = items.card_location(ctx.session, deletion.item_id)
        if card is not None:
            return card
    if view.team.channel:
        return view.team.channel, None
    return deletion.logged_by, None


def log_deletion(
    ctx: Ctx,
    new: NewDeletion,
    *,
    require_reason: bool = True,
    trusted: bool = False,
    evidence: Callable[[Deletion], list[ArchivedFile]] | None = None,
) -> DeletionView:
    """Record a deletion and queue its checklist message. Idempotent on the message it was on
    (a reaction delivered twice logs one deletion).

    `trusted`: the platform itself reported the removal (bot.meta), so the team membership
    check does not apply. `evidence`: the files already at hand (a comment's capture),
    archived before the checklist is made, so it shows them."""
    if new.source_channel and new.source_ts:
        found = ctx.session.exec(
            select(Deletion).where(
                Deletion.source_channel == new.source_channel, Deletion.source_ts == new.source_ts
            )
        ).first()
        if found is not None and found.id is not None:
            return view_of(ctx, found.id)
    account = new.account
    view = items.team_view_of(ctx, account)
    if not trusted:
        _check_handler(ctx, view)
    reason_text = _text(new.reason_text, MAX_TEXT, "error.text_too_long")
    _check_reason(new.reason, reason_text, required=require_reason)
    _check_notified(new.poster_notified)
    if new.deleted_at.tzinfo is None:
        raise UserInputError("error.received_naive")
    if new.deleted_at > ctx.now + CLOCK_SKEW:
        raise UserInputError("error.deleted_future")
    if new.deleted_at < ctx.now - MAX_AGE:
        raise UserInputError("error.deleted_too_old")
    assert account.id is not None
    deletion = Deletion(
        account_id=account.id,
        item_id=new.item_id,
        deleted_at=min(new.deleted_at, ctx.now),
        reason=new.reason,
        reason_text=reason_text,
        summary=_text(new.summary, MAX_TEXT, "error.text_too_long"),
        url=link(new.url),
        approved_by=_text(new.approved_by, 100, "error.text_too_long"),
        registration_ref=_text(new.registration_ref, MAX_REFERENCE, "error.reference_too_long"),
        poster_notified=new.poster_notified,
        archive_link=link(new.archive_link),
        logged_by=ctx.actor,
        logged_at=ctx.now,
        source_channel=new.source_channel,
        source_ts=new.source_ts,
    )
    try:
        with ctx.session.begin_nested():
            ctx.session.add(deletion)
    except sa.exc.IntegrityError:
        # The same reaction handled by a second replica between our look and our insert.
        again = ctx.session.exec(
            select(Deletion).where(
                Deletion.source_channel == new.source_channel, Deletion.source_ts == new.source_ts
            )
        ).first()
        if again is None or again.id is None:
            raise
        return view_of(ctx, again.id)
    assert deletion.id is not None
    if evidence is not None:
        for file in evidence(deletion):
            ctx.session.add(file)
        ctx.session.flush()
    if new.item_id is not None:
        item = ctx.session.get(Item, new.item_id)
        if item is not None and item.status == Status.OPEN:
            items.close_item(ctx, new.item_id, Status.DELETED, trusted=trusted)
    channel, thread = checklist_place(ctx, deletion, view)
    if thread is not None:
        deletion.thread_channel, deletion.thread_ts = channel, thread
    refresh_completion(ctx.session, ctx.config.archive, deletion, ctx.actor, ctx.now)
    ctx.audit(
        "deletion.log", f"deletion:{deletion.id}", after=_data(deletion) | {"account": account.key}
    )
    result = view_of(ctx, deletion.id)
    text, blocks = archive_messages.checklist_content(ctx, result, channel)
    enqueue(
        ctx.session,
        Message(
            key=f"deletion:{deletion.id}",
            kind=CHECKLIST_KIND,
            channel=channel,
            text=text,
            blocks=blocks,
            thread_ts=thread,
        ),
        ctx.now,
    )
    return result


def update_deletion(
    ctx: Ctx,
    deletion_id: int,
    *,
    reason: str | None = None,
    reason_text: str | None = None,
    summary: str | None = None,
    url: str | None = None,
    approved_by: str | None = None,
    registration_ref: str | None = None,
    poster_notified: str | None = None,
    archive_link: str | None = None,
    deleted_at: datetime | None = None,
) -> DeletionView:
    """Fill in or correct a deletion's fields (None leaves a field as it is)."""
    current = view_of(ctx, deletion_id)
    _check_handler(ctx, current.team)
    deletion = current.deletion
    before = _data(deletion)
    if reason is not None:
        text = _text(reason_text, MAX_TEXT, "error.text_too_long")
        _check_reason(reason, text or deletion.reason_text, required=True)
        deletion.reason = reason
        deletion.reason_text = text if reason == Reason.OTHER or text else None
    elif reason_text is not None:
        deletion.reason_text = _text(reason_text, MAX_TEXT, "error.text_too_long")
    if summary is not None:
        deletion.summary = _text(summary, MAX_TEXT, "error.text_too_long")
    if url is not None:
        deletion.url = link(url)
    if approved_by is not None:
        deletion.approved_by = _text(approved_by, 100, "error.text_too_long")
    if registration_ref is not None:
        deletion.registration_ref = _text(
            registration_ref, MAX_REFERENCE, "error.reference_too_long"
        )
    if poster_notified is not None:
        _check_notified(poster_notified)
        deletion.poster_notified = poster_notified
    if archive_link is not None:
        deletion.archive_link = link(archive_link)
    if deleted_at is not None:
        if deleted_at > ctx.now + CLOCK_SKEW:
            raise UserInputError("error.deleted_future")
        deletion.deleted_at = min(deleted_at, ctx.now)
    refresh_completion(ctx.session, ctx.config.archive, deletion, ctx.actor, ctx.now)
    after = _data(deletion)
    if after != before:
        ctx.audit("deletion.update", f"deletion:{deletion_id}", before=before, after=after)
    return view_of(ctx, deletion_id)


def checklist_location(session: Session, deletion_id: int) -> tuple[str, str] | None:
    """Where the checklist message was posted (channel, ts), once it has been sent."""
    row = session.exec(
        select(Outbox).where(Outbox.key == f"deletion:{deletion_id}", Outbox.status == "sent")
    ).first()
    if row is None or not row.slack_channel or not row.slack_ts:
        return None
    return row.slack_channel, row.slack_ts


def for_thread(session: Session, channel: str, root: str) -> tuple[str, int] | None:
    """What a thread collects files for: ("deletion", id) or ("snapshot-due", account id).

    The newest incomplete deletion whose checklist is in that thread (or is that thread's
    first message), else the snapshot reminder the thread hangs under."""
    deletion = session.exec(
        select(Deletion)
        .where(Deletion.thread_channel == channel, Deletion.thread_ts == root)
        .order_by(col(Deletion.completed_at).is_(None).desc(), col(Deletion.id).desc())
    ).first()
    if deletion is not None and deletion.id is not None:
        return "deletion", deletion.id
    row = session.exec(
        select(Outbox).where(
            Outbox.slack_channel == channel,
            Outbox.slack_ts == root,
            col(Outbox.kind).in_((CHECKLIST_KIND, SNAPSHOT_KIND)),
        )
    ).first()
    if row is None:
        return None
    kind, _, rest = row.key.partition(":")
    number = rest.split(":", 1)[0]
    if not number.isdigit():
        return None
    if kind == "deletion":
        return "deletion", int(number)
    return "snapshot-due", int(number)


def incomplete(session: Session, *, logged_before: datetime | None = None) -> list[Deletion]:
    """Deletions whose checklist is not done, oldest first."""
    query = select(Deletion).where(col(Deletion.completed_at).is_(None))
    if logged_before is not None:
        query = query.where(col(Deletion.logged_at) < logged_before)
    return list(session.exec(query.order_by(col(Deletion.logged_at), col(Deletion.id))).all())


# ---------------------------------------------------------------- snapshots


@dataclass(frozen=True)
class SnapshotPlan:
    account: Account
    months: int
    last: date | None
    due: date | None


def interval(ctx_config_months: int, account: Account) -> int:
    return ctx_config_months if account.snapshot_months is None else account.snapshot_months


def counted() -> sa.ColumnElement[bool]:
    """Snapshots that hold something: an archived file, or a link to the archive system."""
    has_file = (
        select(ArchivedFile.id).where(col(ArchivedFile.snapshot_id) == col(Snapshot.id)).exists()
    )
    return sa.or_(has_file, col(Snapshot.archive_link).is_not(None))


def last_snapshots(session: Session, account_ids: list[int] | None = None) -> dict[int, datetime]:
    """The newest snapshot that holds something, per account id (of the given accounts)."""
    query = select(Snapshot.account_id, func.max(Snapshot.taken_at)).where(counted())
    if account_ids is not None:
        query = query.where(col(Snapshot.account_id).in_(account_ids))
    rows = session.exec(query.group_by(col(Snapshot.account_id))).all()
    return {account_id: taken for account_id, taken in rows if taken is not None}


def plans(session: Session, config_months: int, calendar: WorkCalendar) -> list[SnapshotPlan]:
    """Every live account's snapshot interval, last snapshot and next due date (counted from
    its creation on the platform when the register knows it)."""
    last = last_snapshots(session)
    to_date = calendar.local_date
    result: list[SnapshotPlan] = []
    live = select(Account).where(col(Account.status).in_(LIVE)).order_by(col(Account.key))
    for account in session.exec(live).all():
        assert account.id is not None
        months = interval(config_months, account)
        last_day = to_date(last[account.id]) if account.id in last else None
        created = account.created_on or to_date(account.created_at)
        result.append(
            SnapshotPlan(
                account=account,
                months=months,
                last=last_day,
                due=core.snapshot_due(last_day, created, months),
            )
        )
    return result


def record_snapshot(
    ctx: Ctx,
    account: Account,
    kind: str,
    *,
    note: str | None = None,
    archive_link: str | None = None,
    thread: tuple[str, str] | None = None,
) -> Snapshot:
    """Start a snapshot of an account; its files are archived as they arrive. Files shared in
    the same thread join the snapshot already started there."""
    view = items.team_view_of(ctx, account)
    _check_handler(ctx, view)
    if kind not in {k.value for k in SnapshotKind}:
        raise UserInputError("error.bad_snapshot_kind", value=kind[:20])
    assert account.id is not None
    if thread is not None:
        found = ctx.session.exec(
            select(Snapshot).where(
                Snapshot.account_id == account.id,
                Snapshot.thread_channel == thread[0],
                Snapshot.thread_ts == thread[1],
            )
        ).first()
        if found is not None:
            return found
    snapshot = Snapshot(
        account_id=account.id,
        kind=kind,
        taken_at=ctx.now,
        recorded_by=ctx.actor,
        note=_text(note, MAX_TEXT, "error.text_too_long"),
        archive_link=link(archive_link),
        thread_channel=thread[0] if thread else None,
        thread_ts=thread[1] if thread else None,
    )
    ctx.session.add(snapshot)
    ctx.session.flush()
    ctx.audit(
        "snapshot.start",
        f"snapshot:{snapshot.id}",
        after={"account": account.key, "kind": kind, "archive_link": snapshot.archive_link},
    )
    return snapshot


def has_final_snapshot(session: Session, account_id: int, since: datetime | None = None) -> bool:
    """True when the account has a final snapshot that holds something (taken on or after
    `since`): closing an account requires one (NB6)."""
    query = select(Snapshot.id).where(
        Snapshot.account_id == account_id, Snapshot.kind == SnapshotKind.FINAL, counted()
    )
    if since is not None:
        query = query.where(col(Snapshot.taken_at) >= since)
    return session.exec(query).first() is not None


def checklist_content(ctx: Ctx, view: DeletionView) -> tuple[str, list[dict[str, Any]]]:
    """A deletion's checklist as it should look now, wherever it is posted."""
    channel, _ = checklist_place(ctx, view.deletion, view.team)
    return archive_messages.checklist_content(ctx, view, channel)
