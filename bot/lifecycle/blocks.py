"""Block Kit for an account's lifecycle: the flag message with Keep and Start closure, the Keep
modal, the closure checklist and its Waive modal, and `/vakt flags`. Action and callback ids
live here, shared with the listeners."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DatePickerElement,
    HeaderBlock,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.kernel.calendar import WorkCalendar
from bot.kernel.i18n import fmt_date, plain, t
from bot.register.core import CLOSURE_STEPS, ClosureStepName, FlagKind, QuietPeriod, is_kept
from bot.slackkit import blocks as kit
from bot.slackkit.blocks import escape, linked

if TYPE_CHECKING:
    from bot.lifecycle.service import ClosureView, FlagView
    from bot.store.models import Account

# Buttons and modals (values: a flag id, a closure id, or "<closure id>:<step>").
FLAG_KEEP = "vakt_flag_keep"  # opens the Keep modal
FLAG_CLOSE = "vakt_flag_close"  # starts the closure from a flag
FLAG_KEEP_VIEW = "vakt_flag_keep_view"
CLOSURE_DONE = "vakt_closure_done"
CLOSURE_WAIVE = "vakt_closure_waive"  # opens the Waive modal
CLOSURE_WAIVE_VIEW = "vakt_closure_waive_view"
CLOSURE_SNAPSHOT = "vakt_closure_snapshot"  # opens the snapshot modal, kind final
CLOSURE_CHECK = "vakt_closure_check"
CLOSURE_CANCEL = "vakt_closure_cancel"
FIELD_KEEP_REASON = "keep_reason"
FIELD_KEEP_PERIOD = "keep_period"
FIELD_KEEP_UNTIL = "keep_until"
FIELD_WAIVE_REASON = "waive_reason"

# How the platforms write their own names.
PLATFORM_NAMES = {
    "facebook": "Facebook",
    "facebook-group": "Facebook",
    "instagram": "Instagram",
    "youtube": "YouTube",
    "linkedin": "LinkedIn",
    "x": "X",
    "tiktok": "TikTok",
}
MAX_FLAG_ROWS = 15
MAX_CLOSURE_ROWS = 8


def _who(lang: str, user: str | None) -> str:
    if user and user[:1] in ("U", "W") and user[1:].isalnum():
        return f"<@{user}>"
    if user == "vakt":
        return "Vakt"
    return escape(user or "?")


def _account(account: Account) -> str:
    return f"*{linked(account.url, account.name)}*"


def _button(label: str, action_id: str, value: str, style: str | None = None) -> ButtonElement:
    return ButtonElement(text=label[:75], action_id=action_id, value=value, style=style)


def _detail(detail: str | None) -> tuple[str, date | None, int | None]:
    """A flag's detail, "<tag>:<iso date>[:<number>]", as its parts."""
    parts = (detail or "").split(":")
    try:
        day = date.fromisoformat(parts[1]) if len(parts) > 1 else None
        number = int(parts[2]) if len(parts) > 2 else None
    except ValueError:
        return parts[0], None, None
    return parts[0], day, number


# ---------------------------------------------------------------- flags


def flag_description(lang: str, view: FlagView) -> str:
    """What is wrong and since when, in one line."""
    flag, account = view.flag, view.account
    tag, day, number = _detail(flag.detail)
    since = fmt_date(day, lang, year_unless=flag.last_raised_on.year) if day else "?"
    if flag.kind == FlagKind.INACTIVE:
        key = "lifecycle.inactive_never" if tag == "created" else "lifecycle.inactive_last"
        return t(lang, key, account=_account(account), since=since, days=view.cadence)
    if flag.kind == FlagKind.ENDED:
        return t(lang, "lifecycle.ended", account=_account(account), end=since)
    return t(
        lang,
        "lifecycle.coverage",
        team=escape(view.team.name),
        count=number if number is not None else 0,
        day=since,
        needed=view.needed,
        account=_account(account),
    )


def flag_message(lang: str, view: FlagView, today: date) -> tuple[str, list[dict[str, Any]]]:
    """A flag as its recipients see it: what is wrong, since when, and Keep / Start closure
    (a thin rota: Keep only, with how to fix the rota); once kept or closing, who did what."""
    flag = view.flag
    description = flag_description(lang, view)
    lines = [description]
    if flag.raised_count > 1 and flag.kept_by and not is_kept(flag.quiet_until, today):
        lines.append(
            t(
                lang,
                "lifecycle.again",
                who=_who(lang, flag.kept_by),
                reason=escape(flag.keep_reason or ""),
            )
        )
    buttons: list[ButtonElement] = []
    value = str(flag.id)
    if flag.resolved_at is not None:
        lines.append(t(lang, "lifecycle.resolved"))
    elif view.closing:
        lines.append(t(lang, "lifecycle.closing"))
    elif is_kept(flag.quiet_until, today):
        assert flag.quiet_until is not None
        lines.append(_kept_line(lang, view))
    elif flag.kind == FlagKind.COVERAGE:
        lines.append(t(lang, "lifecycle.ask_coverage", team_key=view.team.key))
        buttons.append(_button(plain(lang, "lifecycle.keep"), FLAG_KEEP, value))
    else:
        lines.append(t(lang, "lifecycle.ask_close"))
        buttons.append(_button(plain(lang, "lifecycle.keep"), FLAG_KEEP, value))
        buttons.append(_button(plain(lang, "lifecycle.start_closure"), FLAG_CLOSE, value, "danger"))
    text = "\n".join(lines)
    blocks: list[Block] = [SectionBlock(block_id=f"flag-{flag.id}", text=kit.md(text))]
    if buttons:
        blocks.append(ActionsBlock(block_id=f"flag-{flag.id}-actions", elements=buttons))
    return text, kit.dicts(blocks)


def _kept_line(lang: str, view: FlagView) -> str:
    flag = view.flag
    assert flag.quiet_until is not None
    return t(
        lang,
        "lifecycle.kept",
        who=_who(lang, flag.kept_by),
        until=fmt_date(flag.quiet_until, lang),
        reason=escape(flag.keep_reason or ""),
    )


def keep_modal(lang: str, view: FlagView) -> dict[str, Any]:
    """Keep: why (required) and for how long (a period, or until a chosen date)."""
    options = [
        Option(value=p.value, text=plain(lang, f"lifecycle.period_{p.value}")) for p in QuietPeriod
    ]
    modal = View(
        type="modal",
        callback_id=FLAG_KEEP_VIEW,
        private_metadata=str(view.flag.id),
        title=PlainTextObject(text=plain(lang, "lifecycle.keep_title")[:24]),
        submit=PlainTextObject(text=plain(lang, "modal.save")[:24]),
        close=PlainTextObject(text=plain(lang, "modal.cancel")[:24]),
        blocks=[
            SectionBlock(
                text=kit.md(
                    t(lang, "lifecycle.keep_intro", description=flag_description(lang, view))
                )
            ),
            InputBlock(
                block_id=FIELD_KEEP_REASON,
                label=plain(lang, "lifecycle.keep_reason"),
                element=PlainTextInputElement(
                    action_id=FIELD_KEEP_REASON, multiline=True, max_length=500
                ),
                hint=plain(lang, "lifecycle.keep_reason_hint"),
            ),
            InputBlock(
                block_id=FIELD_KEEP_PERIOD,
                label=plain(lang, "lifecycle.keep_period"),
                element=StaticSelectElement(
                    action_id=FIELD_KEEP_PERIOD, options=options, initial_option=options[1]
                ),
            ),
            InputBlock(
                block_id=FIELD_KEEP_UNTIL,
                label=plain(lang, "lifecycle.keep_until"),
                optional=True,
                element=DatePickerElement(action_id=FIELD_KEEP_UNTIL),
                hint=plain(lang, "lifecycle.keep_until_hint"),
            ),
        ],
    )
    return modal.to_dict()


# ---------------------------------------------------------------- closure


def _step_line(lang: str, view: ClosureView, step: ClosureStepName) -> str:
    account = view.account
    name = t(lang, f"lifecycle.step_{step.value}")
    row = view.steps.get(step.value)
    if step == ClosureStepName.FINAL_SNAPSHOT:
        if view.has_final:
            return f":white_check_mark: *{name}*: {t(lang, 'lifecycle.snapshot_done')}"
        howto = t(lang, "lifecycle.howto_final_snapshot", key=account.key)
        return f":white_large_square: *{name}*: {howto}"
    if row is not None and row.waived_reason:
        detail = t(
            lang,
            "lifecycle.step_waived",
            who=_who(lang, row.done_by),
            reason=escape(row.waived_reason),
        )
        return f":heavy_minus_sign: *{name}*: {detail}"
    if row is not None:
        detail = t(lang, "lifecycle.step_done", who=_who(lang, row.done_by))
        return f":white_check_mark: *{name}*: {detail}"
    if step == ClosureStepName.CREDENTIALS:
        key = (
            "lifecycle.howto_credentials_held"
            if account.credentials_held
            else "lifecycle.howto_credentials_not_held"
        )
        howto = t(lang, key)
    elif step == ClosureStepName.PLATFORM_REMOVED:
        platform = PLATFORM_NAMES.get(account.platform) or t(lang, "lifecycle.platform_other")
        howto = t(lang, "lifecycle.howto_platform_removed", platform=escape(platform))
    else:
        howto = t(lang, f"lifecycle.howto_{step.value}")
    return f":white_large_square: *{name}*: {howto}"


def _head(lang: str, view: ClosureView, calendar: WorkCalendar) -> str:
    closure, account = view.closure, view.account
    if closure.finished_at is not None:
        day = account.closed_on or calendar.local_date(closure.finished_at)
        return t(
            lang,
            "lifecycle.checklist_closed",
            account=_account(account),
            key=account.key,
            day=fmt_date(day, lang),
        )
    if closure.cancelled_at is not None:
        return t(
            lang,
            "lifecycle.checklist_cancelled",
            account=_account(account),
            key=account.key,
            who=_who(lang, closure.cancelled_by),
        )
    lines = [
        t(
            lang,
            "lifecycle.checklist_head",
            account=_account(account),
            key=account.key,
            who=_who(lang, closure.started_by),
            day=fmt_date(calendar.local_date(closure.started_at), lang),
        )
    ]
    if closure.reason:
        lines.append(t(lang, "lifecycle.checklist_reason", reason=escape(closure.reason)))
    return "\n".join(lines)


def checklist(
    lang: str, view: ClosureView, calendar: WorkCalendar
) -> tuple[str, list[dict[str, Any]]]:
    """The closure checklist: each step done, waived or still to do, with Done and Waive…
    (the final snapshot: Final snapshot…), Check again and Cancel closure while open."""
    closure = view.closure
    head = _head(lang, view, calendar)
    blocks: list[Block] = [SectionBlock(block_id=f"closure-{closure.id}", text=kit.md(head))]
    for step in CLOSURE_STEPS:
        blocks.append(
            SectionBlock(
                block_id=f"closure-{closure.id}-{step.value}",
                text=kit.md(_step_line(lang, view, step)),
            )
        )
        if not view.open or step not in view.missing:
            continue
        value = f"{closure.id}:{step.value}"
        if step == ClosureStepName.FINAL_SNAPSHOT:
            buttons = [
                _button(plain(lang, "lifecycle.final_snapshot"), CLOSURE_SNAPSHOT, value, "primary")
            ]
        else:
            buttons = [
                _button(plain(lang, "lifecycle.done"), CLOSURE_DONE, value),
                _button(plain(lang, "lifecycle.waive"), CLOSURE_WAIVE, value),
            ]
        blocks.append(
            ActionsBlock(block_id=f"closure-{closure.id}-{step.value}-actions", elements=buttons)
        )
    if view.open:
        blocks.append(ContextBlock(elements=[kit.md(t(lang, "lifecycle.checklist_rule"))]))
        blocks.append(
            ActionsBlock(
                block_id=f"closure-{closure.id}-actions",
                elements=[
                    _button(plain(lang, "lifecycle.check"), CLOSURE_CHECK, str(closure.id)),
                    _button(
                        plain(lang, "lifecycle.cancel"), CLOSURE_CANCEL, str(closure.id), "danger"
                    ),
                ],
            )
        )
        text = t(
            lang,
            "lifecycle.checklist_text",
            account=view.account.name,
            missing=missing_text(lang, view),
        )
    else:
        text = head
    return text, kit.dicts(blocks)


def missing_text(lang: str, view: ClosureView) -> str:
    return ", ".join(t(lang, f"lifecycle.step_{s.value}") for s in view.missing) or "-"


def waive_modal(lang: str, view: ClosureView, step: ClosureStepName) -> dict[str, Any]:
    """Waive a step: the reason is required and kept in the audit log."""
    modal = View(
        type="modal",
        callback_id=CLOSURE_WAIVE_VIEW,
        private_metadata=f"{view.closure.id}:{step.value}",
        title=PlainTextObject(text=plain(lang, "lifecycle.waive_title")[:24]),
        submit=PlainTextObject(text=plain(lang, "modal.save")[:24]),
        close=PlainTextObject(text=plain(lang, "modal.cancel")[:24]),
        blocks=[
            SectionBlock(
                text=kit.md(
                    t(
                        lang,
                        "lifecycle.waive_intro",
                        step=t(lang, f"lifecycle.step_{step.value}"),
                        account=_account(view.account),
                    )
                )
            ),
            InputBlock(
                block_id=FIELD_WAIVE_REASON,
                label=plain(lang, "lifecycle.waive_reason"),
                element=PlainTextInputElement(
                    action_id=FIELD_WAIVE_REASON, multiline=True, max_length=500
                ),
            ),
        ],
    )
    return modal.to_dict()


def closed_note(lang: str, view: ClosureView) -> str:
    """A note in the checklist's thread when a closure finished on its own (the final
    snapshot's files arrived last)."""
    day = view.account.closed_on
    return t(
        lang,
        "lifecycle.closed_note",
        account=_account(view.account),
        day=fmt_date(day, lang) if day else "?",
    )


# ---------------------------------------------------------------- /vakt flags


def flags_list(
    lang: str,
    flags: Sequence[tuple[FlagView, bool]],
    closures: Sequence[tuple[ClosureView, bool, bool]],
    today: date,
    calendar: WorkCalendar,
    totals: tuple[int, int] | None = None,
) -> list[dict[str, Any]]:
    """Open flags (with Keep / Start closure for who may decide) and closures in progress
    (with Check again, and Cancel for coordinators); `totals` counts all of each when only
    the first were given."""
    flag_total, closure_total = totals or (len(flags), len(closures))
    blocks: list[Block] = [HeaderBlock(text=plain(lang, "lifecycle.flags_header")[:150])]
    if not flag_total and not closure_total:
        blocks.append(SectionBlock(text=kit.md(t(lang, "lifecycle.flags_none"))))
        return kit.dicts(blocks)
    for view, may_act in flags[:MAX_FLAG_ROWS]:
        flag = view.flag
        lines = [
            t(
                lang,
                "lifecycle.flags_line",
                kind=t(lang, f"lifecycle.kind_{flag.kind}"),
                account=_account(view.account),
                key=view.account.key,
                day=fmt_date(flag.last_raised_on, lang),
                count=flag.raised_count,
            ),
            flag_description(lang, view),
        ]
        if is_kept(flag.quiet_until, today):
            lines.append(_kept_line(lang, view))
        elif view.closing:
            lines.append(t(lang, "lifecycle.closing"))
        blocks.append(SectionBlock(text=kit.md("\n".join(lines))))
        if may_act and not view.closing:
            buttons = [_button(plain(lang, "lifecycle.keep"), FLAG_KEEP, str(flag.id))]
            if flag.kind != FlagKind.COVERAGE:
                buttons.append(
                    _button(
                        plain(lang, "lifecycle.start_closure"), FLAG_CLOSE, str(flag.id), "danger"
                    )
                )
            blocks.append(ActionsBlock(elements=buttons))
    if flag_total > min(len(flags), MAX_FLAG_ROWS):
        blocks.append(
            ContextBlock(
                elements=[
                    kit.md(
                        t(lang, "common.more", count=flag_total - min(len(flags), MAX_FLAG_ROWS))
                    )
                ]
            )
        )
    for closure_view, may_tick, may_cancel in closures[:MAX_CLOSURE_ROWS]:
        closure = closure_view.closure
        line = t(
            lang,
            "lifecycle.flags_closure",
            account=_account(closure_view.account),
            key=closure_view.account.key,
            who=_who(lang, closure.started_by),
            day=fmt_date(calendar.local_date(closure.started_at), lang),
            missing=missing_text(lang, closure_view),
        )
        blocks.append(SectionBlock(text=kit.md(line)))
        buttons = []
        if may_tick:
            buttons.append(_button(plain(lang, "lifecycle.check"), CLOSURE_CHECK, str(closure.id)))
            if ClosureStepName.FINAL_SNAPSHOT in closure_view.missing:
                buttons.append(
                    _button(
                        plain(lang, "lifecycle.final_snapshot"),
                        CLOSURE_SNAPSHOT,
                        f"{closure.id}:{ClosureStepName.FINAL_SNAPSHOT.value}",
                    )
                )
        if may_cancel:
            buttons.append(
                _button(plain(lang, "lifecycle.cancel"), CLOSURE_CANCEL, str(closure.id), "danger")
            )
        if buttons:
            blocks.append(ActionsBlock(elements=buttons))
    if closure_total > min(len(closures), MAX_CLOSURE_ROWS):
        blocks.append(
            ContextBlock(
                elements=[
                    kit.md(
                        t(
                            lang,
                            "common.more",
                            count=closure_total - min(len(closures), MAX_CLOSURE_ROWS),
                        )
                    )
                ]
            )
        )
    return kit.dicts(blocks)
