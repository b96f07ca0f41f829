"""Block Kit for account requests: the request form, the card the deciders get (Approve /
Decline), the decline modal, `/vakt requests`, the weekly reminder and the requester's answer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, tzinfo
from typing import TYPE_CHECKING, Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DatePickerElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
    UrlInputElement,
    UserMultiSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.kernel.config import PLATFORMS, AccountKind, Approvals
from bot.kernel.i18n import fmt_date, fmt_week, plain, t
from bot.register.core import split_users
from bot.requests.core import (
    ANSWERS,
    MAX_ADMINS,
    NAME_LIMIT,
    REASON_LIMIT,
    RECENT_DAYS,
    TEXT_LIMIT,
    RequestStatus,
    Role,
)
from bot.slackkit import blocks as kit
from bot.slackkit.blocks import MESSAGE_BLOCKS, escape

if TYPE_CHECKING:
    from bot.requests.service import Listing, RequestView
    from bot.store.models import Team

# Action and callback ids, shared with bot/requests/listeners.py.
REQUEST_VIEW = "vakt_request_view"
DECLINE_VIEW = "vakt_request_decline_view"
APPROVE = "vakt_request_approve"
DECLINE = "vakt_request_decline"
BUTTONS = (APPROVE, DECLINE)

# The form's fields, in its order; each block (and its element) is "rq_<field>".
FIELDS = (
    "name",
    "platform",
    "kind",
    "url",
    "team",
    "unit",
    "purpose",
    "audience",
    "dialogue",
    "privacy",
    "resources",
    "admins",
    "substitute",
    "end_date",
    "plan",
)
FIELD_REASON = "rq_reason"
SHOWN = 15  # requests per list or reminder: a section and a row of buttons each


def block_id(field: str) -> str:
    """The block (and action) id of a form field."""
    return f"rq_{field}"


def _who(user: str | None) -> str:
    return f"<@{user}>" if user else "?"


def _options(lang: str, prefix: str, values: Sequence[str]) -> list[Option]:
    return [Option(value=v, text=plain(lang, f"{prefix}.{v}")[:75]) for v in values]


def _text_input(
    lang: str, field: str, *, limit: int, multiline: bool = True, initial: str | None = None
) -> InputBlock:
    return InputBlock(
        block_id=block_id(field),
        label=plain(lang, f"request.{field}"),
        element=PlainTextInputElement(
            action_id=block_id(field),
            multiline=multiline,
            max_length=limit,
            initial_value=initial or None,
        ),
        hint=plain(lang, f"request.{field}_hint"),
    )


def request_modal(lang: str, teams: Sequence[Team], name: str | None = None) -> dict[str, Any]:
    """`/vakt request`: what the guidelines ask before an account is made (PG3, KG6, NB1)."""
    platforms = _options(lang, "platform", PLATFORMS)
    kinds = _options(lang, "kind", [k.value for k in AccountKind])
    team_options = [Option(value=tm.key, text=tm.name[:75]) for tm in teams[:100]]
    blocks: list[Block] = [
        SectionBlock(text=kit.md(t(lang, "request.intro"))),
        _text_input(lang, "name", limit=NAME_LIMIT, multiline=False, initial=name),
        InputBlock(
            block_id=block_id("platform"),
            label=plain(lang, "request.platform_label"),
            element=StaticSelectElement(
                action_id=block_id("platform"),
                placeholder=plain(lang, "request.platform_placeholder"),
                options=platforms,
            ),
        ),
        InputBlock(
            block_id=block_id("kind"),
            label=plain(lang, "request.kind_label"),
            element=StaticSelectElement(
                action_id=block_id("kind"), options=kinds, initial_option=kinds[0]
            ),
            hint=plain(lang, "request.kind_hint"),
        ),
        InputBlock(
            block_id=block_id("url"),
            label=plain(lang, "request.url"),
            optional=True,
            element=UrlInputElement(action_id=block_id("url")),
            hint=plain(lang, "request.url_hint"),
        ),
        InputBlock(
            block_id=block_id("team"),
            label=plain(lang, "request.team"),
            element=StaticSelectElement(
                action_id=block_id("team"),
                placeholder=plain(lang, "request.team_placeholder"),
                options=team_options,
                initial_option=team_options[0] if len(team_options) == 1 else None,
            ),
            hint=plain(lang, "request.team_hint"),
        ),
        _text_input(lang, "unit", limit=NAME_LIMIT, multiline=False),
        *(_text_input(lang, answer, limit=TEXT_LIMIT) for answer in ANSWERS if answer != "plan"),
        InputBlock(
            block_id=block_id("admins"),
            label=plain(lang, "request.admins"),
            element=UserMultiSelectElement(
                action_id=block_id("admins"),
                placeholder=plain(lang, "request.admins_placeholder"),
                max_selected_items=MAX_ADMINS,
            ),
            hint=plain(lang, "request.admins_hint", max=MAX_ADMINS),
        ),
        InputBlock(
            block_id=block_id("substitute"),
            label=plain(lang, "request.substitute"),
            element=UserSelectElement(
                action_id=block_id("substitute"),
                placeholder=plain(lang, "request.substitute_placeholder"),
            ),
            hint=plain(lang, "request.substitute_hint"),
        ),
        InputBlock(
            block_id=block_id("end_date"),
            label=plain(lang, "request.end_date"),
            optional=True,
            element=DatePickerElement(action_id=block_id("end_date")),
            hint=plain(lang, "request.end_date_hint"),
        ),
        _text_input(lang, "plan", limit=TEXT_LIMIT),
    ]
    view = View(
        type="modal",
        callback_id=REQUEST_VIEW,
        title=PlainTextObject(text=plain(lang, "request.title")[:24]),
        submit=PlainTextObject(text=plain(lang, "request.submit")[:24]),
        close=PlainTextObject(text=plain(lang, "modal.cancel")[:24]),
        blocks=blocks,
    )
    return view.to_dict()


def decline_modal(lang: str, view: RequestView, metadata: str) -> dict[str, Any]:
    """Decline asks why: the requester is told the reason."""
    request = view.request
    intro = t(
        lang,
        "request.decline_intro",
        id=view.id,
        name=escape(request.name),
        requester=_who(request.requester),
    )
    modal = View(
        type="modal",
        callback_id=DECLINE_VIEW,
        private_metadata=metadata[:3000],
        title=PlainTextObject(text=plain(lang, "request.decline_title")[:24]),
        submit=PlainTextObject(text=plain(lang, "request.decline")[:24]),
        close=PlainTextObject(text=plain(lang, "modal.cancel")[:24]),
        blocks=[
            SectionBlock(text=kit.md(intro)),
            InputBlock(
                block_id=FIELD_REASON,
                label=plain(lang, "request.reason"),
                element=PlainTextInputElement(
                    action_id=FIELD_REASON, multiline=True, max_length=REASON_LIMIT
                ),
                hint=plain(lang, "request.reason_hint"),
            ),
        ],
    )
    return modal.to_dict()


# ---------------------------------------------------------------- messages


def _role(lang: str, role: Role, view: RequestView) -> str:
    if role == Role.MANAGER:
        return t(lang, "request.role_manager", who=_who(view.team.manager))
    return t(lang, "request.role_coordinator")


def awaiting(lang: str, view: RequestView) -> str:
    """Whose approval the request still waits for."""
    roles = [_role(lang, role, view) for role in view.awaited]
    if len(roles) == 1:
        return t(lang, "request.awaiting_one", first=roles[0])
    key = (
        "request.awaiting_either" if view.approvals == Approvals.EITHER else "request.awaiting_both"
    )
    return t(lang, key, first=roles[0], second=roles[1])


def _status_lines(lang: str, tz: tzinfo, view: RequestView) -> list[str]:
    request = view.request
    lines: list[str] = []
    if request.status == RequestStatus.DECLINED:
        day = fmt_date(request.decided_at.astimezone(tz).date(), lang) if request.decided_at else ""
        lines.append(
            t(
                lang,
                "request.decided_declined",
                who=_who(request.decided_by),
                day=day,
                reason=escape(request.decline_reason or ""),
            )
        )
        return lines
    if request.coordinator_approved_by:
        lines.append(
            t(lang, "request.approved_coordinator", who=_who(request.coordinator_approved_by))
        )
    if request.manager_approved_by:
        lines.append(t(lang, "request.approved_manager", who=_who(request.manager_approved_by)))
    if request.status == RequestStatus.APPROVED:
        day = fmt_date(request.decided_at.astimezone(tz).date(), lang) if request.decided_at else ""
        lines.append(
            t(
                lang,
                "request.decided_approved",
                day=day,
                key=view.account_key or "?",
                team=escape(view.team.name),
            )
        )
    elif view.awaited:
        lines.append(awaiting(lang, view))
    return lines


def _buttons(lang: str, view: RequestView) -> ActionsBlock:
    value = str(view.id)
    return ActionsBlock(
        block_id=f"request-{view.id}-actions",
        elements=[
            ButtonElement(
                text=plain(lang, "request.approve"), action_id=APPROVE, value=value, style="primary"
            ),
            ButtonElement(
                text=plain(lang, "request.decline"), action_id=DECLINE, value=value, style="danger"
            ),
        ],
    )


def _labels(lang: str, view: RequestView) -> dict[str, str]:
    request = view.request
    return {
        "platform": t(lang, f"platform.{request.platform}"),
        "kind": t(lang, f"kind.{request.kind}"),
        "name": escape(request.name),
        "requester": _who(request.requester),
        "team": escape(view.team.name),
    }


def card(
    lang: str, tz: tzinfo, view: RequestView, *, buttons: bool
) -> tuple[str, list[dict[str, Any]]]:
    """The request as the deciders see it: every answer, who has approved, who is awaited,
    and Approve / Decline while their decision is awaited."""
    request = view.request
    labels = _labels(lang, view)
    made = fmt_date(request.created_at.astimezone(tz).date(), lang)
    head = [
        t(lang, "request.card_head", id=view.id, **labels),
        t(lang, "request.card_team", team=labels["team"], unit=escape(request.unit or "-")),
        t(lang, "request.card_url", url=escape(request.url))
        if request.url
        else t(lang, "request.card_no_url"),
        t(
            lang,
            "request.card_admins",
            admins=", ".join(_who(u) for u in split_users(request.admins)),
            substitute=_who(request.substitute),
        ),
        t(
            lang,
            "request.card_end",
            day=f"{fmt_date(request.end_date, lang)} {request.end_date.year}",
        )
        if request.end_date
        else t(lang, "request.card_no_end"),
    ]
    blocks: list[Block] = [
        SectionBlock(block_id=f"request-{view.id}", text=kit.md("\n".join(head)))
    ]
    for answer in ANSWERS:
        text = f"*{t(lang, f'request.{answer}')}*\n{escape(str(getattr(request, answer) or '-'))}"
        blocks.append(SectionBlock(text=kit.md(text)))
    blocks.append(ContextBlock(elements=[kit.md(t(lang, "request.card_made", day=made))]))
    blocks.append(
        SectionBlock(
            block_id=f"request-{view.id}-status",
            text=kit.md("\n".join(_status_lines(lang, tz, view))),
        )
    )
    if buttons:
        blocks.append(_buttons(lang, view))
    text = t(
        lang, "request.card_text", id=view.id, name=labels["name"], requester=labels["requester"]
    )
    return text, kit.dicts(blocks)


def outcome(lang: str, view: RequestView) -> str:
    """What the requester is told of the decision."""
    request = view.request
    if request.status == RequestStatus.DECLINED:
        return t(
            lang,
            "request.outcome_declined",
            name=escape(request.name),
            who=_who(request.decided_by),
            reason=escape(request.decline_reason or ""),
        )
    key = view.account_key or "?"
    approvers = [request.manager_approved_by, request.coordinator_approved_by]
    who = ", ".join(_who(u) for u in dict.fromkeys(u for u in approvers if u)) or "?"
    follow = "request.outcome_next_url" if request.url else "request.outcome_next_no_url"
    return t(
        lang,
        "request.outcome_approved",
        name=escape(request.name),
        who=who,
        key=key,
        team=escape(view.team.name),
        next=t(lang, follow, key=key),
    )


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _summary(lang: str, tz: tzinfo, view: RequestView) -> str:
    request = view.request
    labels = _labels(lang, view)
    made = fmt_date(request.created_at.astimezone(tz).date(), lang)
    lines = [t(lang, "request.summary", id=view.id, day=made, **labels)]
    lines.append("> " + escape(_short(request.purpose, 200)).replace("\n", " "))
    if view.awaited:
        lines.append(awaiting(lang, view))
    return "\n".join(lines)


def _recent_line(lang: str, tz: tzinfo, view: RequestView) -> str:
    request = view.request
    day = fmt_date(request.decided_at.astimezone(tz).date(), lang) if request.decided_at else ""
    common = {"id": view.id, "name": escape(request.name), "who": _who(request.decided_by)}
    if request.status == RequestStatus.DECLINED:
        reason = escape(_short(request.decline_reason or "", 150))
        return t(lang, "request.recent_declined", day=day, reason=reason, **common)
    return t(lang, "request.recent_approved", day=day, key=view.account_key or "?", **common)


def listing(lang: str, tz: tzinfo, found: Listing) -> tuple[str, list[dict[str, Any]]]:
    """`/vakt requests`: pending requests with buttons where the reader decides, and the
    decisions of the last weeks."""
    blocks: list[Block] = [HeaderBlock(text=plain(lang, "request.list_head")[:150])]
    if found.pending:
        blocks.append(SectionBlock(text=kit.md(t(lang, "request.list_pending"))))
    else:
        blocks.append(SectionBlock(text=kit.md(t(lang, "request.list_none"))))
    for view, may_decide in found.pending[:SHOWN]:
        blocks.append(
            SectionBlock(block_id=f"request-{view.id}", text=kit.md(_summary(lang, tz, view)))
        )
        if may_decide:
            blocks.append(_buttons(lang, view))
    if len(found.pending) > SHOWN:
        more = t(lang, "request.list_more", count=len(found.pending) - SHOWN)
        blocks.append(ContextBlock(elements=[kit.md(more)]))
    if found.recent:
        lines = [t(lang, "request.list_recent", days=RECENT_DAYS)]
        lines += [_recent_line(lang, tz, view) for view in found.recent]
        blocks += [DividerBlock(), SectionBlock(text=kit.md("\n".join(lines)))]
    text = t(lang, "request.list_text", count=len(found.pending))
    return text, kit.dicts(blocks[:MESSAGE_BLOCKS])


def reminder(
    lang: str, tz: tzinfo, day: date, views: Sequence[RequestView]
) -> tuple[str, list[dict[str, Any]]]:
    """The weekly reminder to one decider: the requests still waiting for them, with buttons."""
    if not views:
        text = t(lang, "request.reminder_done")
        return text, kit.dicts([SectionBlock(text=kit.md(text))])
    head = t(lang, "request.reminder_head", week=fmt_week(day, lang))
    blocks: list[Block] = [SectionBlock(text=kit.md(head))]
    for view in views[:SHOWN]:
        blocks.append(
            SectionBlock(block_id=f"request-{view.id}", text=kit.md(_summary(lang, tz, view)))
        )
        blocks.append(_buttons(lang, view))
    if len(views) > SHOWN:
        more = t(lang, "request.list_more", count=len(views) - SHOWN)
        blocks.append(ContextBlock(elements=[kit.md(more)]))
    return t(lang, "request.reminder_text", count=len(views)), kit.dicts(blocks)


__all__ = [
    "APPROVE",
    "BUTTONS",
    "DECLINE",
    "DECLINE_VIEW",
    "FIELDS",
    "FIELD_REASON",
    "REQUEST_VIEW",
    "awaiting",
    "block_id",
    "card",
    "decline_modal",
    "listing",
    "outcome",
    "reminder",
    "request_modal",
]
