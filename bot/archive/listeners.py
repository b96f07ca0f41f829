"""Listeners for archiving: files shared into a deletion's or a snapshot reminder's thread, the
wastebasket reaction, the Deleted button on items, the checklist buttons, and the deletion and
snapshot modals."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, Respond
from sqlmodel import select

from bot.archive import blocks as ab
from bot.archive import core, ids
from bot.archive import service as archive
from bot.archive.commands import deletion_modal_for
from bot.archive.core import Notified, SnapshotKind
from bot.archive.files import SlackFile, check_declared, downloader, record_fetches
from bot.archive.jobs import Checklists, fetch_files
from bot.items import service as items
from bot.items.blocks import done_modal
from bot.items.listeners import refresh_card
from bot.kernel.config import ArchiveRules
from bot.kernel.context import Ctx
from bot.kernel.errors import NotAllowed, UserInputError, VaktError
from bot.kernel.i18n import plain, t
from bot.slackkit import blocks as kit
from bot.slackkit import payload
from bot.slackkit.deps import Deps, acting, request_ctx, user_language
from bot.slackkit.events import seen
from bot.slackkit.gateway import SlackSendError
from bot.slackkit.listen import FormErrors, deliver_now, open_modal
from bot.slackkit.listen import button as app_button
from bot.slackkit.payload import as_dict, form_field, form_selected, form_values, moment, text_of
from bot.store.db import session_scope
from bot.store.models import Account, Item, SlackEvent

log = logging.getLogger(__name__)
DELETE_REACTIONS = ("wastebasket",)


def _is_user(value: str | None) -> bool:
    return bool(value) and str(value)[:1] in ("U", "W")


def _fetch_now(deps: Deps, fetch_ids: list[int]) -> None:
    """Archive the files just recorded (a failed download is left to the sweep's retries)."""
    if not fetch_ids:
        return
    fetch_files(
        deps.engine,
        deps.config,
        deps.calendar,
        deps.gateway,
        downloader(deps),
        deps.archive_dir,
        deps.clock(),
        fetch_ids,
        on_final=deps.final_snapshot_archived,
    )
    deliver_now(deps)


def handle_thread_files(deps: Deps, body: dict[str, Any], event: dict[str, Any]) -> bool:
    """Files shared in the thread of a deletion's checklist or of a snapshot reminder are
    archived for it. True when the thread was one of ours (the message needs nothing more)."""
    channel, root, user = event.get("channel"), event.get("thread_ts"), event.get("user")
    shared = event.get("files")
    files = [
        f
        for f in (shared if isinstance(shared, list) else [])
        if isinstance(f, dict) and f.get("id")
    ]
    if not isinstance(channel, str) or not isinstance(root, str) or not files:
        return False
    if root == event.get("ts"):
        return False
    now = deps.clock()
    with session_scope(deps.engine) as session:
        target = archive.for_thread(session, channel, root)
        event_id = body.get("event_id")
        if target is None:
            return False
        if event_id and session.get(SlackEvent, str(event_id)[:40]) is not None:
            return True  # a retry of a delivery already handled
    if not _is_user(user):
        return True
    assert isinstance(user, str)
    fetch_ids: list[int] = []
    try:
        with request_ctx(deps, user, now) as ctx:
            if seen(ctx, event_id):
                return True
            kind, number = target
            if kind == "deletion":
                view = archive.view_of(ctx, number)
                if not archive.may_handle(ctx, view.team):
                    raise NotAllowed("error.not_your_account", team=view.team.team.name)
                owner = f"deletion:{number}"
            else:
                account = ctx.session.get(Account, number)
                if account is None:
                    return True
                snapshot = archive.record_snapshot(
                    ctx, account, SnapshotKind.PERIODIC, thread=(channel, root)
                )
                owner = f"snapshot:{snapshot.id}"
            fetch_ids = record_fetches(
                ctx.session,
                [str(data["id"]) for data in files],
                owner,
                user,
                now,
                channel=channel,
                thread_ts=root,
            )
    except VaktError as error:
        log.info("files in %s/%s by %s not archived: %s", channel, root, user, error.key)
        _ephemeral(deps, channel, user, error, root)
        return True
    _fetch_now(deps, fetch_ids)
    return True


def _ephemeral(deps: Deps, channel: str, user: str, error: VaktError, thread: str | None) -> None:
    lang = user_language(deps, user, deps.clock())
    try:
        deps.gateway.post_ephemeral(channel, user, t(lang, error.key, **error.params), thread)
    except SlackSendError as exc:
        log.info("chat.postEphemeral failed: %s", exc.code)


def handle_wastebasket(deps: Deps, body: dict[str, Any], event: dict[str, Any]) -> int | None:
    """A wastebasket on an intake message (or a tracked item's message) logs a deletion of
    it, closes the item as deleted, and posts the checklist in the message's thread."""
    if event.get("reaction") not in DELETE_REACTIONS:
        return None
    target = as_dict(event.get("item"))
    channel, ts, user = text_of(target.get("channel")), text_of(target.get("ts")), event.get("user")
    if target.get("type") != "message" or not channel or not ts or not _is_user(user):
        return None
    now = deps.clock()
    try:
        with request_ctx(deps, str(user), now) as ctx:
            item = ctx.session.exec(
                select(Item).where(Item.slack_channel == channel, Item.slack_ts == ts)
            ).first()
            if item is not None:
                account = ctx.session.get(Account, item.account_id)
            elif items.is_intake_channel(ctx.session, channel):
                account = items.account_for_channel(ctx.session, channel, "")
            else:
                return None
            if account is None:
                return None
            if seen(ctx, body.get("event_id")):
                return None
            view = archive.log_deletion(
                ctx,
                archive.NewDeletion(
                    account=account,
                    deleted_at=now,
                    reason=None,
                    summary=item.excerpt if item else None,
                    url=item.url if item else None,
                    item_id=item.id if item else None,
                    source_channel=channel,
                    source_ts=ts,
                ),
                require_reason=False,
            )
            deletion_id = view.deletion.id
            item_id = item.id if item else None
    except VaktError as error:
        log.info("wastebasket by %s on %s/%s ignored: %s", user, channel, ts, error.key)
        return None
    deliver_now(deps)
    if item_id is not None:
        refresh_card(deps, item_id)
    return deletion_id


# ---------------------------------------------------------------- modal fields


def _text_value(values: dict[str, dict[str, Any]], block: str) -> str | None:
    return text_of(form_field(values, block).get("value")) or None


def _files(values: dict[str, dict[str, Any]]) -> list[SlackFile]:
    raw = form_field(values, ids.FIELD_FILES).get("files")
    return [
        # An upload time Slack would not send is left out rather than believed.
        SlackFile.of({**f, "created": f.get("created") if moment(f.get("created")) else None})
        for f in (raw if isinstance(raw, list) else [])
        if isinstance(f, dict) and f.get("id")
    ]


def _check_files(lang: str, rules: ArchiveRules, files: list[SlackFile]) -> str | None:
    for file in files:
        try:
            check_declared(rules, file)
        except UserInputError as error:
            return plain(lang, error.key, **error.params)
    return None


def _deletion_fields(
    lang: str, values: dict[str, dict[str, Any]], errors: dict[str, str]
) -> dict[str, Any]:
    """The deletion modal's values; problems go into `errors` by field."""
    fields: dict[str, Any] = {
        "reason": form_selected(values, ids.FIELD_REASON),
        "reason_text": _text_value(values, ids.FIELD_REASON_TEXT),
        "summary": _text_value(values, ids.FIELD_SUMMARY),
        "approved_by": text_of(form_field(values, ids.FIELD_APPROVED_BY).get("selected_user"))
        or None,
        "registration_ref": _text_value(values, ids.FIELD_REFERENCE),
        "poster_notified": form_selected(values, ids.FIELD_NOTIFIED) or Notified.NOT_YET,
    }
    for block, name in ((ids.FIELD_URL, "url"), (ids.FIELD_ARCHIVE_LINK, "archive_link")):
        try:
            fields[name] = archive.link(_text_value(values, block))
        except UserInputError as error:
            errors[block] = plain(lang, error.key, **error.params)
    fields["deleted_at"] = moment(
        form_field(values, ids.FIELD_DELETED_AT).get("selected_date_time")
    )
    if fields["deleted_at"] is None:
        errors[ids.FIELD_DELETED_AT] = plain(lang, "error.deleted_at_needed")
    if fields["reason"] is None:
        errors[ids.FIELD_REASON] = plain(lang, "error.reason_needed")
    elif fields["reason"] == core.Reason.OTHER and not fields["reason_text"]:
        errors[ids.FIELD_REASON_TEXT] = plain(lang, "error.reason_text_needed")
    return fields


ERROR_FIELDS = {
    "error.reason_needed": ids.FIELD_REASON,
    "error.bad_reason": ids.FIELD_REASON,
    "error.reason_text_needed": ids.FIELD_REASON_TEXT,
    "error.deleted_future": ids.FIELD_DELETED_AT,
    "error.deleted_too_old": ids.FIELD_DELETED_AT,
    "error.reference_too_long": ids.FIELD_REFERENCE,
    "error.reference_required": ids.FIELD_REFERENCE,
    "error.approval_required": ids.FIELD_APPROVED_BY,
    "error.bad_url": ids.FIELD_URL,
    "error.bad_notified": ids.FIELD_NOTIFIED,
}


@dataclass(frozen=True)
class DeletionForm:
    """A submitted deletion modal, read and checked (a new deletion, or one being completed)."""

    deletion_id: int | None
    item_id: int | None
    account_key: str | None
    fields: dict[str, Any]
    file_ids: list[str]


def _deletion_form(lang: str, rules: ArchiveRules, body: dict[str, Any]) -> DeletionForm:
    """The deletion modal's answers; FormErrors says what is missing or wrong, by field."""
    values = form_values(body)
    try:
        meta = payload.metadata(body)
        deletion_id = payload.meta_optional_id(meta, "deletion")
        item_id = payload.meta_optional_id(meta, "item")
    except payload.Stale:
        raise FormErrors({ids.FIELD_REASON: plain(lang, "error.stale_form")}) from None
    errors: dict[str, str] = {}
    fields = _deletion_fields(lang, values, errors)
    files = _files(values)
    problem = _check_files(lang, rules, files)
    if problem:
        errors[ids.FIELD_FILES] = problem
    account_key = form_selected(values, ids.FIELD_ACCOUNT)
    if deletion_id is None:
        if account_key is None and item_id is None:
            errors[ids.FIELD_ACCOUNT] = plain(lang, "error.account_needed")
        if rules.require_approval and not fields["approved_by"]:
            errors[ids.FIELD_APPROVED_BY] = plain(lang, "error.approval_required")
        if core.needs_reference(rules, fields["reason"]) and not fields["registration_ref"]:
            key = (
                "error.reference_confidential"
                if fields["reason"] == core.Reason.CONFIDENTIAL
                else "error.reference_required"
            )
            errors[ids.FIELD_REFERENCE] = plain(lang, key)
    if errors:
        raise FormErrors(errors)
    return DeletionForm(deletion_id, item_id, account_key, fields, [f.id for f in files])


def _save_deletion(ctx: Ctx, lang: str, form: DeletionForm) -> tuple[int, str, list[int]]:
    """Log the deletion (or complete it) and record its files for archiving: the deletion's
    id, what the submitter is told, and the file fetches to run."""
    if form.deletion_id is None:
        if form.item_id is not None:
            _, account, _ = items.get_item(ctx, form.item_id)
        else:
            assert form.account_key is not None
            account = items.account_by_key(ctx.session, form.account_key)
        view = archive.log_deletion(
            ctx, archive.NewDeletion(account=account, item_id=form.item_id, **form.fields)
        )
        done_key = "deletion.logged"
    else:
        view = archive.update_deletion(ctx, form.deletion_id, **form.fields)
        done_key = "deletion.updated"
    deletion = view.deletion
    assert deletion.id is not None
    fetch_ids = record_fetches(
        ctx.session,
        form.file_ids,
        f"deletion:{deletion.id}",
        ctx.actor,
        ctx.now,
        channel=deletion.thread_channel,
        thread_ts=deletion.thread_ts,
    )
    done = t(
        lang,
        done_key,
        id=deletion.id,
        missing=", ".join(t(lang, f"step.{s}") for s in view.missing) or "-",
        files=len(fetch_ids),
    )
    return deletion.id, done, fetch_ids


@dataclass(frozen=True)
class SnapshotForm:
    account_key: str
    kind: str
    note: str | None
    link: str | None
    file_ids: list[str]


def _snapshot_form(lang: str, rules: ArchiveRules, body: dict[str, Any]) -> SnapshotForm:
    """The snapshot modal's answers; FormErrors says what is missing or wrong, by field."""
    try:
        account_key = payload.meta_text(payload.metadata(body), "account")
    except payload.Stale:
        raise FormErrors({ids.FIELD_FILES: plain(lang, "error.stale_form")}) from None
    values = form_values(body)
    errors: dict[str, str] = {}
    files = _files(values)
    problem = _check_files(lang, rules, files)
    if problem:
        errors[ids.FIELD_FILES] = problem
    try:
        link = archive.link(_text_value(values, ids.FIELD_ARCHIVE_LINK))
    except UserInputError as error:
        errors[ids.FIELD_ARCHIVE_LINK] = plain(lang, error.key, **error.params)
        link = None
    if not files and not link and ids.FIELD_ARCHIVE_LINK not in errors:
        errors[ids.FIELD_FILES] = plain(lang, "error.snapshot_empty")
    kind = form_selected(values, ids.FIELD_KIND) or SnapshotKind.PERIODIC
    if errors:
        raise FormErrors(errors)
    note = _text_value(values, ids.FIELD_NOTE)
    return SnapshotForm(account_key, kind, note, link, [f.id for f in files])


def on_reaction(deps: Deps, body: dict[str, Any], event: dict[str, Any]) -> bool:
    """A wastebasket on a message in an intake channel starts a deletion; other reactions are
    left to the next handler."""
    if event.get("reaction") not in DELETE_REACTIONS:
        return False
    handle_wastebasket(deps, body, event)
    return True


def register(app: App, deps: Deps) -> None:
    """Wire the archiving listeners."""

    def _open(body: dict[str, Any], view: dict[str, Any], respond: Respond, lang: str) -> None:
        open_modal(deps, body, view, respond, lang)

    IdPress = Callable[[dict[str, Any], Respond, Ctx, str, int], Callable[[], None] | None]

    def button(press: IdPress) -> Callable[[Ack, dict[str, Any], Respond], None]:
        """A button whose value is an id (see app.button)."""
        return app_button(
            deps,
            lambda body, respond, ctx, lang, value: press(
                body, respond, ctx, lang, payload.number(value)
            ),
        )

    def item_deleted(
        body: dict[str, Any], respond: Respond, ctx: Ctx, lang: str, item_id: int
    ) -> Callable[[], None]:
        view = deletion_modal_for(ctx, lang, item_id=item_id)
        return lambda: _open(body, view, respond, lang)

    app.action(ids.ITEM_DELETED)(button(item_deleted))

    def edit(
        body: dict[str, Any], respond: Respond, ctx: Ctx, lang: str, deletion_id: int
    ) -> Callable[[], None]:
        current = archive.view_of(ctx, deletion_id)
        if not archive.may_handle(ctx, current.team):
            raise NotAllowed("error.not_your_account", team=current.team.team.name)
        view = ab.deletion_modal(
            lang,
            ctx.config.archive,
            [current.account],
            ctx.now,
            json.dumps({"deletion": deletion_id}),
            account=current.account,
            deletion=current.deletion,
        )
        return lambda: _open(body, view, respond, lang)

    app.action(ids.DELETION_EDIT)(button(edit))

    def notified(value: str) -> IdPress:
        def press(
            body: dict[str, Any], respond: Respond, ctx: Ctx, lang: str, deletion_id: int
        ) -> Callable[[], None]:
            container = body.get("container") or {}
            clicked = (str(container.get("channel_id", "")), str(container.get("message_ts", "")))
            view = archive.update_deletion(ctx, deletion_id, poster_notified=value)
            if archive.checklist_location(ctx.session, deletion_id) == clicked:
                text, blocks = archive.checklist_content(ctx, view)

                def replace() -> None:
                    respond(text=text, blocks=blocks, replace_original=True)

                return replace
            done = t(lang, f"deletion.saved_{value}", id=deletion_id)

            def after() -> None:
                respond(text=done, blocks=kit.text_blocks(done), replace_original=False)
                Checklists(deps.engine, deps.config, deps.calendar, deps.gateway).refresh(
                    deletion_id, deps.clock()
                )

            return after

        return press

    app.action(ids.DELETION_NOTIFIED)(button(notified(Notified.YES)))
    app.action(ids.DELETION_IMPOSSIBLE)(button(notified(Notified.IMPOSSIBLE)))

    @app.view(ids.DELETION_VIEW)
    def on_deletion_submit(ack: Ack, body: dict[str, Any]) -> None:
        user, now, lang = acting(deps, body)
        try:
            form = _deletion_form(lang, deps.config.archive, body)
            with request_ctx(deps, user, now) as ctx:
                deletion, done, fetch_ids = _save_deletion(ctx, lang, form)
        except FormErrors as problem:
            ack(response_action="errors", errors=problem.errors)
            return
        except VaktError as error:
            field = ERROR_FIELDS.get(error.key, ids.FIELD_ACCOUNT)
            if field == ids.FIELD_ACCOUNT and form.deletion_id is not None:
                field = ids.FIELD_REASON  # the edit form has no account field
            ack(response_action="errors", errors={field: plain(lang, error.key, **error.params)})
            return
        ack(
            response_action="update",
            view=done_modal(lang, plain(lang, "modal.deletion_title"), done),
        )
        deliver_now(deps)
        if form.deletion_id is None and form.item_id is not None:
            refresh_card(deps, form.item_id)
        _fetch_now(deps, fetch_ids)
        Checklists(deps.engine, deps.config, deps.calendar, deps.gateway).refresh(
            deletion, deps.clock()
        )

    @app.view(ids.SNAPSHOT_VIEW)
    def on_snapshot_submit(ack: Ack, body: dict[str, Any]) -> None:
        user, now, lang = acting(deps, body)
        try:
            form = _snapshot_form(lang, deps.config.archive, body)
            with request_ctx(deps, user, now) as ctx:
                account = items.account_by_key(ctx.session, form.account_key)
                snapshot = archive.record_snapshot(
                    ctx, account, form.kind, note=form.note, archive_link=form.link
                )
                fetch_ids = record_fetches(
                    ctx.session, form.file_ids, f"snapshot:{snapshot.id}", user, now
                )
                done = t(
                    lang,
                    "snapshot.recorded",
                    account=account.name,
                    kind=t(lang, f"snapshot_kind.{form.kind}"),
                    count=len(fetch_ids),
                )
        except FormErrors as problem:
            ack(response_action="errors", errors=problem.errors)
            return
        except VaktError as error:
            ack(
                response_action="errors",
                errors={ids.FIELD_FILES: plain(lang, error.key, **error.params)},
            )
            return
        ack(
            response_action="update",
            view=done_modal(lang, plain(lang, "modal.snapshot_title"), done),
        )
        _fetch_now(deps, fetch_ids)
        if form.kind == SnapshotKind.FINAL and account.id is not None:
            # A closure waiting for this snapshot may now be complete (a link counts at once,
            # files once archived above).
            deps.final_snapshot_archived(account.id, deps.clock(), user)
