"""Block Kit for archiving: the deletion checklist, the deletion and snapshot modals, digests,
escalations, snapshot reminders and the yearly review."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DateTimePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
    UrlInputElement,
    UserSelectElement,
)
from slack_sdk.models.blocks.block_elements import FileInputElement
from slack_sdk.models.views import View

from bot.archive import ids
from bot.archive.core import Notified, Reason, SnapshotKind, Step
from bot.kernel.calendar import WorkCalendar
from bot.kernel.config import ArchiveRules
from bot.kernel.i18n import fmt_date, fmt_moment, fmt_week, fmt_working_days, plain, t
from bot.slackkit import blocks as kit
from bot.slackkit.blocks import MESSAGE_BLOCKS, escape, linked, text_blocks

if TYPE_CHECKING:
    from bot.archive.service import DeletionView, SnapshotPlan
    from bot.store.models import Account, Deletion

# The file types the file inputs offer (Slack's filetype names).
FILETYPES = ["png", "jpg", "jpeg", "gif", "webp", "heic", "pdf"]
MAX_FILES = 10


def _who(user: str | None) -> str:
    if user and user[:1] in ("U", "W") and user[1:].isalnum():
        return f"<@{user}>"
    return escape(user or "?")


def _account_link(account: Account) -> str:
    return linked(account.url, account.name)


def reason_text(lang: str, reason: str | None, text: str | None) -> str:
    if reason is None:
        return t(lang, "deletion.no_reason")
    label = t(lang, f"reason.{reason}")
    return f"{label}: {escape(text)}" if text else label


def _step_line(lang: str, step: Step, view: DeletionView, rules: ArchiveRules) -> str:
    deletion = view.deletion
    done = step not in view.missing
    mark = ":white_check_mark:" if done else ":white_large_square:"
    if step == Step.DETAILS:
        detail = reason_text(lang, deletion.reason, deletion.reason_text)
    elif step == Step.EVIDENCE:
        if view.files:
            detail = ", ".join(
                t(lang, "deletion.file", name=escape(f.original_name), sha=f.sha256[:12])
                for f in view.files[:5]
            )
            if len(view.files) > 5:
                detail += f" (+{len(view.files) - 5})"
        elif deletion.archive_link:
            detail = t(lang, "deletion.archive_link", url=escape(deletion.archive_link))
        else:
            detail = t(lang, "deletion.evidence_howto", max=rules.max_file_mb)
    elif step == Step.NOTIFIED:
        detail = t(lang, f"notified.{deletion.poster_notified}")
    elif step == Step.APPROVAL:
        detail = (
            t(lang, "deletion.approved_by", who=_who(deletion.approved_by))
            if deletion.approved_by
            else t(lang, "deletion.approval_needed")
        )
    else:
        detail = (
            t(lang, "deletion.reference", reference=escape(deletion.registration_ref))
            if deletion.registration_ref
            else t(lang, "deletion.reference_needed")
        )
    return f"{mark} *{t(lang, f'step.{step}')}*: {detail}"


def checklist(
    lang: str, calendar: WorkCalendar, view: DeletionView, rules: ArchiveRules
) -> tuple[str, list[dict[str, Any]]]:
    """The deletion's message in its thread: what was removed, each step done or not, and
    buttons for the steps still open."""
    deletion = view.deletion
    when = fmt_moment(deletion.deleted_at, calendar.tz, lang)
    head_key = "deletion.head_complete" if not view.missing else "deletion.head"
    head = t(
        lang,
        head_key,
        id=deletion.id,
        account=_account_link(view.account),
        when=when,
        who=_who(deletion.logged_by),
    )
    lines = [head]
    if deletion.summary:
        lines.append(f"> {escape(deletion.summary)}")
    if deletion.url:
        lines.append(t(lang, "deletion.link", url=escape(deletion.url)))
    steps = "\n".join(_step_line(lang, step, view, rules) for step in view.steps)
    blocks: list[Block] = [
        SectionBlock(block_id=f"deletion-{deletion.id}", text=kit.md("\n".join(lines))),
        SectionBlock(block_id=f"deletion-{deletion.id}-steps", text=kit.md(steps)),
    ]
    value = str(deletion.id)
    buttons = [
        ButtonElement(
            text=plain(lang, "deletion.edit" if not view.missing else "deletion.fill_in"),
            action_id=ids.DELETION_EDIT,
            value=value,
            style=None if not view.missing else "primary",
        )
    ]
    if Step.NOTIFIED in view.missing:
        buttons += [
            ButtonElement(
                text=plain(lang, "deletion.notified_yes"),
                action_id=ids.DELETION_NOTIFIED,
                value=value,
            ),
            ButtonElement(
                text=plain(lang, "deletion.notified_impossible"),
                action_id=ids.DELETION_IMPOSSIBLE,
                value=value,
            ),
        ]
    blocks.append(ActionsBlock(block_id=f"deletion-{deletion.id}-actions", elements=buttons))
    if view.missing:
        blocks.append(ContextBlock(elements=[kit.md(t(lang, "deletion.upload_here"))]))
    key = "deletion.text_complete" if not view.missing else "deletion.text"
    text = t(lang, key, id=deletion.id, account=view.account.name, count=len(view.missing))
    return text, kit.dicts(blocks)


# ---------------------------------------------------------------- modals


def _options(lang: str, prefix: str, values: Sequence[str]) -> list[Option]:
    return [Option(value=v, text=plain(lang, f"{prefix}.{v}")[:75]) for v in values]


def _chosen(options: list[Option], value: str | None) -> Option | None:
    return next((o for o in options if o.value == value), None)


def _files_input(lang: str, rules: ArchiveRules, label_key: str) -> InputBlock:
    """Screenshots or PDF files, several at once, checked again when they arrive."""
    return InputBlock(
        block_id=ids.FIELD_FILES,
        label=plain(lang, label_key),
        optional=True,
        element=FileInputElement(
            action_id=ids.FIELD_FILES, filetypes=FILETYPES, max_files=MAX_FILES
        ),
        hint=plain(lang, "modal.screenshot_hint", max=rules.max_file_mb),
    )


def _archive_link_input(lang: str, initial: str | None) -> InputBlock:
    """A link to the municipality's own archive system, instead of files."""
    return InputBlock(
        block_id=ids.FIELD_ARCHIVE_LINK,
        label=plain(lang, "modal.archive_link"),
        optional=True,
        element=UrlInputElement(action_id=ids.FIELD_ARCHIVE_LINK, initial_value=initial or None),
        hint=plain(lang, "modal.archive_link_hint"),
    )


def deletion_modal(
    lang: str,
    rules: ArchiveRules,
    accounts: Sequence[Account],
    now: datetime,
    metadata: str,
    *,
    account: Account | None = None,
    deletion: Deletion | None = None,
    url: str | None = None,
    summary: str | None = None,
) -> dict[str, Any]:
    """`/vakt deleted`, the item's Deleted button and the checklist's Fill in: a new deletion,
    or the rest of one already logged (`deletion`)."""
    reasons = _options(lang, "reason", [r.value for r in Reason])
    notified = _options(lang, "notified", [n.value for n in Notified])
    blocks: list[Block] = [SectionBlock(text=kit.md(t(lang, "deletion.screenshot_first")))]
    if deletion is None:
        options = [Option(value=a.key, text=f"{a.name} ({a.key})"[:75]) for a in accounts[:100]]
        initial = account or (accounts[0] if len(accounts) == 1 else None)
        blocks.append(
            InputBlock(
                block_id=ids.FIELD_ACCOUNT,
                label=plain(lang, "modal.account"),
                element=StaticSelectElement(
                    action_id=ids.FIELD_ACCOUNT,
                    placeholder=plain(lang, "modal.account_placeholder"),
                    options=options,
                    initial_option=_chosen(options, initial.key if initial else None),
                ),
            )
        )
    when = deletion.deleted_at if deletion else now
    blocks += [
        InputBlock(
            block_id=ids.FIELD_DELETED_AT,
            label=plain(lang, "modal.deleted_at"),
            element=DateTimePickerElement(
                action_id=ids.FIELD_DELETED_AT, initial_date_time=int(when.timestamp())
            ),
        ),
        InputBlock(
            block_id=ids.FIELD_REASON,
            label=plain(lang, "modal.reason"),
            element=StaticSelectElement(
                action_id=ids.FIELD_REASON,
                placeholder=plain(lang, "modal.reason_placeholder"),
                options=reasons,
                initial_option=_chosen(reasons, deletion.reason if deletion else None),
            ),
        ),
        InputBlock(
            block_id=ids.FIELD_REASON_TEXT,
            label=plain(lang, "modal.reason_text"),
            optional=True,
            element=PlainTextInputElement(
                action_id=ids.FIELD_REASON_TEXT,
                max_length=500,
                initial_value=(deletion.reason_text if deletion else None) or None,
            ),
            hint=plain(lang, "modal.reason_text_hint"),
        ),
        InputBlock(
            block_id=ids.FIELD_URL,
            label=plain(lang, "modal.deleted_url"),
            optional=True,
            element=UrlInputElement(
                action_id=ids.FIELD_URL, initial_value=(deletion.url if deletion else url) or None
            ),
        ),
        InputBlock(
            block_id=ids.FIELD_SUMMARY,
            label=plain(lang, "modal.summary"),
            optional=True,
            element=PlainTextInputElement(
                action_id=ids.FIELD_SUMMARY,
                multiline=True,
                max_length=500,
                initial_value=(deletion.summary if deletion else summary) or None,
            ),
            hint=plain(lang, "modal.summary_hint"),
        ),
        _files_input(lang, rules, "modal.screenshot"),
        _archive_link_input(lang, deletion.archive_link if deletion else None),
        InputBlock(
            block_id=ids.FIELD_NOTIFIED,
            label=plain(lang, "modal.notified"),
            element=RadioButtonsElement(
                action_id=ids.FIELD_NOTIFIED,
                options=notified,
                initial_option=_chosen(
                    notified, deletion.poster_notified if deletion else Notified.NOT_YET
                ),
            ),
        ),
    ]
    approved = deletion.approved_by if deletion else None
    blocks.append(
        InputBlock(
            block_id=ids.FIELD_APPROVED_BY,
            label=plain(lang, "modal.approved_by"),
            optional=not rules.require_approval or deletion is not None,
            element=UserSelectElement(
                action_id=ids.FIELD_APPROVED_BY,
                placeholder=plain(lang, "modal.approved_by_placeholder"),
                initial_user=approved if approved and approved[:1] in ("U", "W") else None,
            ),
            hint=plain(lang, "modal.approved_by_hint"),
        )
    )
    blocks.append(
        InputBlock(
            block_id=ids.FIELD_REFERENCE,
            label=plain(lang, "modal.reference"),
            optional=True,
            element=PlainTextInputElement(
                action_id=ids.FIELD_REFERENCE,
                max_length=100,
                initial_value=(deletion.registration_ref if deletion else None) or None,
            ),
            hint=plain(
                lang,
                "modal.reference_required_hint"
                if rules.require_registration
                else "modal.reference_confidential_hint",
            ),
        )
    )
    view = View(
        type="modal",
        callback_id=ids.DELETION_VIEW,
        private_metadata=metadata[:3000],
        title=PlainTextObject(text=plain(lang, "modal.deletion_title")[:24]),
        submit=PlainTextObject(text=plain(lang, "modal.save")[:24]),
        close=PlainTextObject(text=plain(lang, "modal.cancel")[:24]),
        blocks=blocks,
    )
    return view.to_dict()


def snapshot_modal(
    lang: str, rules: ArchiveRules, account: Account, kind: str, metadata: str
) -> dict[str, Any]:
    """`/vakt snapshot <account>`: the files (or a link to the archive system) and a note."""
    kinds = _options(lang, "snapshot_kind", [k.value for k in SnapshotKind])
    view = View(
        type="modal",
        callback_id=ids.SNAPSHOT_VIEW,
        private_metadata=metadata[:3000],
        title=PlainTextObject(text=plain(lang, "modal.snapshot_title")[:24]),
        submit=PlainTextObject(text=plain(lang, "modal.save")[:24]),
        close=PlainTextObject(text=plain(lang, "modal.cancel")[:24]),
        blocks=[
            SectionBlock(
                text=kit.md(t(lang, "snapshot.modal_intro", account=_account_link(account)))
            ),
            InputBlock(
                block_id=ids.FIELD_KIND,
                label=plain(lang, "modal.snapshot_kind"),
                element=RadioButtonsElement(
                    action_id=ids.FIELD_KIND, options=kinds, initial_option=_chosen(kinds, kind)
                ),
            ),
            _files_input(lang, rules, "modal.snapshot_files"),
            _archive_link_input(lang, None),
            InputBlock(
                block_id=ids.FIELD_NOTE,
                label=plain(lang, "modal.note"),
                optional=True,
                element=PlainTextInputElement(
                    action_id=ids.FIELD_NOTE, multiline=True, max_length=500
                ),
            ),
        ],
    )
    return view.to_dict()


# ---------------------------------------------------------------- scheduled messages


def _deletion_line(
    lang: str, calendar: WorkCalendar, row: tuple[Deletion, Account, list[Step]]
) -> str:
    deletion, account, missing = row
    steps = ", ".join(t(lang, f"step.{s}") for s in missing)
    return t(
        lang,
        "deletion.digest_line",
        id=deletion.id,
        account=_account_link(account),
        when=fmt_moment(deletion.deleted_at, calendar.tz, lang),
        missing=steps,
    )


def _deletion_rows(
    lang: str, calendar: WorkCalendar, rows: Sequence[tuple[Deletion, Account, list[Step]]]
) -> list[Block]:
    blocks: list[Block] = []
    for row in rows:
        deletion = row[0]
        blocks.append(
            SectionBlock(
                block_id=f"deletion-{deletion.id}",
                text=kit.md(_deletion_line(lang, calendar, row)),
                accessory=ButtonElement(
                    text=plain(lang, "deletion.fill_in"),
                    action_id=ids.DELETION_EDIT,
                    value=str(deletion.id),
                ),
            )
        )
    return blocks


def deletion_digest(
    lang: str,
    calendar: WorkCalendar,
    rows: Sequence[tuple[Deletion, Account, list[Step]]],
    total: int,
) -> tuple[str, list[dict[str, Any]]]:
    """A person's daily list of their deletions whose checklist is not done."""
    head = t(lang, "deletion.digest_head", count=total)
    blocks: list[Block] = [SectionBlock(text=kit.md(head))]
    blocks += _deletion_rows(lang, calendar, rows[: MESSAGE_BLOCKS - 2])
    if total > len(rows):
        blocks.append(
            ContextBlock(elements=[kit.md(t(lang, "deletion.more", count=total - len(rows)))])
        )
    return head, kit.dicts(blocks[:MESSAGE_BLOCKS])


def deletion_escalation(
    lang: str,
    calendar: WorkCalendar,
    rows: Sequence[tuple[Deletion, Account, list[Step]]],
    total: int,
    days: int,
) -> tuple[str, list[dict[str, Any]]]:
    """To the coordinators: deletions still incomplete after the set number of working days."""
    head = t(lang, "deletion.escalation_head", count=total, days=fmt_working_days(days, lang))
    lines = [
        _deletion_line(lang, calendar, row)
        + " · "
        + t(lang, "deletion.logged_by", who=_who(row[0].logged_by))
        for row in rows
    ]
    blocks: list[Block] = [SectionBlock(text=kit.md(head))]
    for line in lines[: MESSAGE_BLOCKS - 2]:
        blocks.append(SectionBlock(text=kit.md(line)))
    if total > len(lines):
        blocks.append(
            ContextBlock(elements=[kit.md(t(lang, "deletion.more", count=total - len(lines)))])
        )
    return head, kit.dicts(blocks[:MESSAGE_BLOCKS])


def snapshot_reminder(
    lang: str, plan: SnapshotPlan, rules: ArchiveRules
) -> tuple[str, list[dict[str, Any]]]:
    """The on-duty administrator is asked for the account's periodic snapshot."""
    assert plan.due is not None
    last = (
        t(lang, "snapshot.last", day=fmt_date(plan.last, lang))
        if plan.last
        else t(lang, "snapshot.never")
    )
    text = t(
        lang,
        "snapshot.due",
        account=_account_link(plan.account),
        months=plan.months,
        due=fmt_date(plan.due, lang),
        week=fmt_week(plan.due, lang),
        last=last,
        key=plan.account.key,
        max=rules.max_file_mb,
    )
    fallback = t(lang, "snapshot.due_text", account=plan.account.name)
    return fallback, kit.dicts([SectionBlock(text=kit.md(text))])


def snapshot_plans(lang: str, plans: Sequence[SnapshotPlan], today: date) -> list[dict[str, Any]]:
    """`/vakt snapshot` with no account: every account's last snapshot and next due date."""
    lines = []
    for plan in plans:
        if plan.due is None:
            due = t(lang, "snapshot.no_interval")
        elif plan.due <= today:
            due = t(lang, "snapshot.overdue", due=fmt_date(plan.due, lang, weekday=False))
        else:
            due = t(lang, "snapshot.next", due=fmt_date(plan.due, lang, weekday=False))
        last = fmt_date(plan.last, lang, weekday=False) if plan.last else t(lang, "snapshot.never")
        lines.append(
            t(
                lang,
                "snapshot.plan_line",
                account=_account_link(plan.account),
                key=plan.account.key,
                last=last,
                due=due,
            )
        )
    text = (
        t(lang, "snapshot.plans_head") + "\n" + ("\n".join(lines) or t(lang, "error.no_accounts"))
    )

    return text_blocks(text)
