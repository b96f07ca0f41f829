"""Block Kit for items: the card in the intake thread, digests, escalations, lists, modals."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    DateTimePickerElement,
    HeaderBlock,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
    UrlInputElement,
)
from slack_sdk.models.views import View

from bot.items import ids
from bot.items.core import ItemLine, Status, age_working_days
from bot.kernel.calendar import WorkCalendar
from bot.kernel.i18n import fmt_duration, fmt_moment, fmt_week, fmt_working_days, plain, t
from bot.rota.blocks import office_status
from bot.slackkit import blocks as kit
from bot.slackkit.blocks import MESSAGE_BLOCKS, escape, linked

if TYPE_CHECKING:
    from bot.items.service import Page, TeamStatus
    from bot.store.models import Account

OUTCOME_ACTIONS = {
    ids.ITEM_ANSWERED: Status.ANSWERED,
    ids.ITEM_NO_REPLY: Status.NO_REPLY,
    ids.ITEM_REFERRED: Status.REFERRED,
}
STATUS_ICON = {
    Status.OPEN: ":speech_balloon:",
    Status.ANSWERED: ":white_check_mark:",
    Status.NO_REPLY: ":ballot_box_with_check:",
    Status.REFERRED: ":file_folder:",
    Status.DELETED: ":wastebasket:",
}


def _quote(excerpt: str | None) -> str:
    return f"\n> {escape(excerpt)}" if excerpt else ""


def _link(line: ItemLine) -> str:
    return linked(line.url or line.account_url, line.account)


PLATFORMS = ("facebook", "instagram")


def _button_specs(lang: str, line: ItemLine) -> list[tuple[str, str, str | None]]:
    """(label, action id, style) of the buttons an item gets for its state."""
    specs: list[tuple[str, str, str | None]] = []
    if line.status == Status.OPEN:
        specs = [
            (plain(lang, "item.answered"), ids.ITEM_ANSWERED, "primary"),
            (plain(lang, "item.no_reply"), ids.ITEM_NO_REPLY, None),
            (plain(lang, "item.referred"), ids.ITEM_REFERRED, None),
            (plain(lang, "item.deleted"), ids.ITEM_DELETED, None),
        ]
        if line.platform is not None:
            # Evidence first: Vakt archives the comment as captured, then hides or deletes it.
            specs += [
                (plain(lang, f"item.hide_on_{line.platform}"), ids.ITEM_HIDE_ON_PLATFORM, None),
                (plain(lang, f"item.delete_on_{line.platform}"), ids.ITEM_DELETE_ON_PLATFORM, None),
            ]
    if line.registration_ref is None:
        label = "item.add_reference" if line.must_register else "item.must_register"
        specs.append((plain(lang, label), ids.ITEM_REGISTER, None))
    if line.status != Status.OPEN:
        specs.append((plain(lang, "item.reopen"), ids.ITEM_REOPEN, None))
    return specs


def _buttons(lang: str, line: ItemLine) -> list[ButtonElement]:
    value = str(line.id)
    return [
        ButtonElement(text=text, action_id=action_id, value=value, style=style)
        for text, action_id, style in _button_specs(lang, line)
    ]


def _outcome(lang: str, line: ItemLine, calendar: WorkCalendar) -> str:
    if line.status == Status.OPEN:
        return ""
    when = fmt_moment(line.closed_at, calendar.tz, lang) if line.closed_at else ""
    by = line.closed_by or ""
    if by[:1] in ("U", "W") and by[1:].isalnum():
        who = f"<@{by}>"
    elif by in ("facebook", "instagram"):  # the account's own reply on the platform
        who = t(lang, f"item.by_{by}")
    else:
        who = t(lang, "item.automation")
    return t(lang, f"item.closed_{line.status}", who=who, when=when)


def _registration(lang: str, line: ItemLine) -> str:
    if line.registration_ref:
        return t(lang, "item.registered", reference=line.registration_ref)
    if line.must_register:
        return t(lang, "item.must_be_registered")
    return ""


def card(
    lang: str,
    calendar: WorkCalendar,
    line: ItemLine,
    primary: str | None,
    substitute: str | None,
) -> tuple[str, list[dict[str, Any]]]:
    """The card in the intake thread: account, deadline, who is on duty, outcome buttons."""
    deadline = fmt_moment(line.deadline, calendar.tz, lang)
    head = t(lang, "item.card_open", id=line.id, account=_link(line))
    if line.status != Status.OPEN:
        head = f"{STATUS_ICON.get(Status(line.status), '')} " + t(
            lang, "item.card_head", id=line.id, account=_link(line)
        )
    lines = [head + _quote(line.excerpt)]
    details = [t(lang, "item.due", deadline=deadline, week=fmt_week(line.deadline.date(), lang))]
    if line.status == Status.OPEN:
        details.append(
            t(
                lang,
                "item.on_duty",
                primary=f"<@{primary}>" if primary else t(lang, "common.nobody"),
                substitute=f"<@{substitute}>" if substitute else t(lang, "common.nobody"),
            )
        )
    else:
        details.append(_outcome(lang, line, calendar))
    registration = _registration(lang, line)
    if registration:
        details.append(registration)
    blocks: list[Block] = [
        SectionBlock(block_id=f"item-{line.id}", text=kit.md("\n".join(lines))),
        ContextBlock(elements=[kit.md(" · ".join(details))]),
    ]
    buttons = _buttons(lang, line)
    if buttons:
        blocks.append(ActionsBlock(block_id=f"item-{line.id}-actions", elements=buttons))
    text = t(lang, "item.card_text", id=line.id, account=line.account, deadline=deadline)
    return text, kit.dicts(blocks)


def _row_text(
    lang: str, calendar: WorkCalendar, now: datetime, line: ItemLine, *, with_team: bool
) -> str:
    """An item's line in a digest or list: id, link, age, deadline, team, who, excerpt."""
    age = age_working_days(calendar, line.received_at, now)
    facts = [
        t(lang, "item.age", days=fmt_working_days(age, lang)),
        t(lang, "item.due_short", deadline=fmt_moment(line.deadline, calendar.tz, lang)),
    ]
    if with_team and line.team:
        facts.append(line.team)
    if line.responsible is not None:
        facts.append(t(lang, "item.responsible", who=f"<@{line.responsible}>"))
    if line.status != Status.OPEN:
        facts.append(_outcome(lang, line, calendar))
    registration = _registration(lang, line)
    if registration:
        facts.append(registration)
    return f"*#{line.id}* {_link(line)} · " + " · ".join(facts) + _quote(line.excerpt)


# An item's row as plain dicts, for the lists asked for most (`/vakt unanswered`) and the
# reminders (a digest per person on duty at every reminder time): the same JSON that
# slack_sdk's models give, without their per-call reflection (most of a page's cost, and of
# the reminders job's).


def _item_row_dicts(
    lang: str, calendar: WorkCalendar, now: datetime, line: ItemLine, *, with_team: bool
) -> list[dict[str, Any]]:
    """One item in a digest or list: a section and its buttons."""
    text = _row_text(lang, calendar, now, line, with_team=with_team)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "block_id": f"item-{line.id}", "text": kit.md_dict(text)}
    ]
    value = str(line.id)
    buttons = [
        kit.button_dict(label, action_id, value, style)
        for label, action_id, style in _button_specs(lang, line)
    ]
    if buttons:
        blocks.append(
            {"type": "actions", "block_id": f"item-{line.id}-actions", "elements": buttons}
        )
    return blocks


def digest(
    lang: str,
    calendar: WorkCalendar,
    now: datetime,
    overdue: Sequence[ItemLine],
    overdue_total: int,
    unregistered: Sequence[ItemLine],
    unregistered_total: int,
) -> tuple[str, list[dict[str, Any]]]:
    """One DM per person per reminder time: their overdue items oldest first, then the items
    still waiting for a registration reference."""
    text = t(lang, "digest.text", count=overdue_total, registration=unregistered_total)
    blocks = [kit.header_dict(plain(lang, "digest.header"))]
    if overdue_total:
        blocks.append(kit.section_dict(t(lang, "digest.overdue", count=overdue_total)))
        for line in overdue:
            blocks.extend(_item_row_dicts(lang, calendar, now, line, with_team=False))
        if overdue_total > len(overdue):
            blocks.append(
                kit.context_dict(t(lang, "digest.more", count=overdue_total - len(overdue)))
            )
    if unregistered_total:
        blocks.append(kit.section_dict(t(lang, "digest.unregistered", count=unregistered_total)))
        for line in unregistered:
            blocks.extend(_item_row_dicts(lang, calendar, now, line, with_team=False))
        if unregistered_total > len(unregistered):
            more = unregistered_total - len(unregistered)
            blocks.append(kit.context_dict(t(lang, "digest.more", count=more)))
    blocks.append(kit.context_dict(t(lang, "digest.footer")))
    return text, blocks[:MESSAGE_BLOCKS]


def escalation(
    lang: str,
    calendar: WorkCalendar,
    now: datetime,
    team: str,
    lines: Sequence[ItemLine],
    total: int,
    after_days: int,
) -> tuple[str, list[dict[str, Any]]]:
    """To the manager and the coordinators: items open `after_days` working days past due."""
    text = t(
        lang, "escalation.text", team=team, count=total, days=fmt_working_days(after_days, lang)
    )
    blocks = [
        kit.header_dict(plain(lang, "escalation.header", team=team)),
        kit.section_dict(text),
    ]
    for line in lines:
        age = fmt_working_days(age_working_days(calendar, line.received_at, now), lang)
        who = f"<@{line.responsible}>" if line.responsible else t(lang, "common.nobody")
        blocks.append(
            kit.section_dict(
                f"*#{line.id}* {_link(line)} · {t(lang, 'item.age', days=age)} · "
                + t(
                    lang,
                    "item.due_short",
                    deadline=fmt_moment(line.deadline, calendar.tz, lang),
                )
                + f" · {t(lang, 'item.responsible', who=who)}"
                + _quote(line.excerpt),
                block_id=f"item-{line.id}",
            )
        )
    if total > len(lines):
        blocks.append(kit.context_dict(t(lang, "digest.more", count=total - len(lines))))
    return text, blocks[:MESSAGE_BLOCKS]


def summary_text(lang: str, team: str, overdue: int, oldest_age: int, reminded: str | None) -> str:
    """The team channel's short line at each reminder time."""
    who = f"<@{reminded}>" if reminded else t(lang, "common.nobody")
    return t(
        lang,
        "summary.text",
        team=team,
        count=overdue,
        oldest=fmt_working_days(oldest_age, lang),
        who=who,
    )


def unanswered(
    lang: str,
    calendar: WorkCalendar,
    now: datetime,
    page: Page,
    query: str | None,
    overdue: bool,
) -> tuple[str, list[dict[str, Any]]]:
    """A page of open items with age, deadline, who is responsible now and a More button."""
    key = "unanswered.header_overdue" if overdue else "unanswered.header"
    text = t(lang, key, count=page.total)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": kit.plain_dict(plain(lang, key, count=page.total)[:150])},
        {"type": "context", "elements": [kit.md_dict(office_status(lang, calendar, now))]},
    ]
    if not page.total:
        blocks.append({"type": "section", "text": kit.md_dict(t(lang, "unanswered.none"))})
    for row in page.rows:
        line = line_of(row.item, row.account, responsible=row.responsible, team=row.team.name)
        blocks.extend(_item_row_dicts(lang, calendar, now, line, with_team=True))
    shown = page.offset + len(page.rows)
    if shown < page.total:
        value = f"{shown}|{'1' if overdue else '0'}|{query or ''}"
        showing = t(lang, "unanswered.showing", first=page.offset + 1, last=shown, total=page.total)
        more = kit.button_dict(plain(lang, "unanswered.more"), ids.UNANSWERED_MORE, value, None)
        blocks.append({"type": "section", "text": kit.md_dict(showing), "accessory": more})
    return text, blocks[:MESSAGE_BLOCKS]


def _duration(lang: str, span: timedelta | None) -> str:
    return fmt_duration(span, lang) if span is not None else "–"


def status(
    lang: str, calendar: WorkCalendar, now: datetime, teams: Sequence[TeamStatus]
) -> tuple[str, list[dict[str, Any]]]:
    """Per team: open, overdue, oldest, response times in working time, duty now and next."""
    text = t(lang, "status.header")
    blocks: list[Block] = [
        HeaderBlock(text=plain(lang, "status.header")[:150]),
        ContextBlock(elements=[kit.md(office_status(lang, calendar, now))]),
    ]
    if not teams:
        blocks.append(SectionBlock(text=kit.md(t(lang, "who.no_teams"))))
    for team in teams[: MESSAGE_BLOCKS - 3]:
        oldest = (
            t(
                lang,
                "item.age",
                days=fmt_working_days(age_working_days(calendar, team.oldest, now), lang),
            )
            if team.oldest
            else "–"
        )

        def person(user: str | None) -> str:
            return f"<@{user}>" if user else t(lang, "common.nobody")

        lines = [
            f"*{escape(team.view.team.name)}*",
            t(lang, "status.counts", open=team.open, overdue=team.overdue, oldest=oldest),
            t(
                lang,
                "status.response",
                median=_duration(lang, team.median),
                p90=_duration(lang, team.p90),
                count=team.answered,
            ),
            t(
                lang,
                "status.duty",
                now=person(team.now.primary if team.now else None),
                substitute=person(team.now.substitute if team.now else None),
                next=person(team.next.primary if team.next else None),
                week=fmt_week(team.next.day, lang) if team.next else "–",
            ),
        ]
        blocks.append(SectionBlock(text=kit.md("\n".join(lines))))
    blocks.append(ContextBlock(elements=[kit.md(t(lang, "status.footer"))]))
    return text, kit.dicts(blocks[:MESSAGE_BLOCKS])


def line_of(
    item: Any, account: Account, *, responsible: str | None = None, team: str | None = None
) -> ItemLine:
    """An Item row and its account as an ItemLine."""
    return ItemLine(
        id=item.id,
        account=account.name,
        account_url=account.url,
        url=item.url,
        excerpt=item.excerpt,
        received_at=item.received_at,
        deadline=item.deadline,
        status=item.status,
        must_register=item.must_register,
        registration_ref=item.registration_ref,
        closed_by=item.closed_by,
        closed_at=item.closed_at,
        responsible=responsible,
        team=team,
        platform=item.source if getattr(item, "source", None) in PLATFORMS else None,
    )


def item_row(
    lang: str, calendar: WorkCalendar, now: datetime, line: ItemLine
) -> list[dict[str, Any]]:
    """One item's blocks as digests and lists show it."""
    return _item_row_dicts(lang, calendar, now, line, with_team=False)


def replace_item(
    blocks: list[dict[str, Any]], item_id: int, replacement: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """A message's blocks with one item's section and buttons swapped for `replacement` (a
    digest or list keeps its other items when one is marked answered)."""
    mine = {f"item-{item_id}", f"item-{item_id}-actions"}
    result: list[dict[str, Any]] = []
    placed = False
    for block in blocks:
        if block.get("block_id") in mine:
            if not placed:
                result.extend(replacement)
                placed = True
            continue
        result.append(block)
    return result


# ---------------------------------------------------------------- modals


def _account_select(
    lang: str, accounts: Sequence[Account], initial: Account | None
) -> StaticSelectElement:
    options = [Option(value=a.key, text=f"{a.name} ({a.key})"[:75]) for a in accounts[:100]]
    chosen = next((o for o in options if initial and o.value == initial.key), None)
    return StaticSelectElement(
        action_id=ids.FIELD_ACCOUNT,
        placeholder=plain(lang, "modal.account_placeholder"),
        options=options,
        initial_option=chosen,
    )


def _register_checkbox(lang: str) -> CheckboxesElement:
    return CheckboxesElement(
        action_id=ids.FIELD_REGISTER,
        options=[Option(value="yes", text=plain(lang, "modal.register_option"))],
    )


def new_item_modal(lang: str, accounts: Sequence[Account], now: datetime) -> dict[str, Any]:
    """`/vakt new`: account, link, when received, a short note, must be registered."""
    view = View(
        type="modal",
        callback_id=ids.NEW_ITEM_VIEW,
        title=PlainTextObject(text=plain(lang, "modal.new_title")[:24]),
        submit=PlainTextObject(text=plain(lang, "modal.save")[:24]),
        close=PlainTextObject(text=plain(lang, "modal.cancel")[:24]),
        blocks=[
            InputBlock(
                block_id=ids.FIELD_ACCOUNT,
                label=plain(lang, "modal.account"),
                element=_account_select(
                    lang, accounts, accounts[0] if len(accounts) == 1 else None
                ),
            ),
            InputBlock(
                block_id=ids.FIELD_URL,
                label=plain(lang, "modal.url"),
                element=UrlInputElement(action_id=ids.FIELD_URL),
                hint=plain(lang, "modal.url_hint"),
            ),
            InputBlock(
                block_id=ids.FIELD_RECEIVED,
                label=plain(lang, "modal.received"),
                element=DateTimePickerElement(
                    action_id=ids.FIELD_RECEIVED, initial_date_time=int(now.timestamp())
                ),
            ),
            InputBlock(
                block_id=ids.FIELD_NOTE,
                label=plain(lang, "modal.note"),
                optional=True,
                element=PlainTextInputElement(
                    action_id=ids.FIELD_NOTE, multiline=True, max_length=500
                ),
                hint=plain(lang, "modal.note_hint"),
            ),
            InputBlock(
                block_id=ids.FIELD_REGISTER,
                label=plain(lang, "modal.register"),
                optional=True,
                element=_register_checkbox(lang),
            ),
        ],
    )
    return view.to_dict()


def track_modal(
    lang: str,
    accounts: Sequence[Account],
    guess: Account | None,
    metadata: str,
    excerpt: str | None,
) -> dict[str, Any]:
    """The message shortcut "Track as question": which account?"""
    blocks: list[Block] = []
    if excerpt:
        blocks.append(SectionBlock(text=kit.md(f"> {excerpt}")))
    blocks.extend(
        [
            InputBlock(
                block_id=ids.FIELD_ACCOUNT,
                label=plain(lang, "modal.account"),
                element=_account_select(
                    lang, accounts, guess or (accounts[0] if len(accounts) == 1 else None)
                ),
            ),
            InputBlock(
                block_id=ids.FIELD_URL,
                label=plain(lang, "modal.url"),
                optional=True,
                element=UrlInputElement(action_id=ids.FIELD_URL),
                hint=plain(lang, "modal.url_track_hint"),
            ),
            InputBlock(
                block_id=ids.FIELD_REGISTER,
                label=plain(lang, "modal.register"),
                optional=True,
                element=_register_checkbox(lang),
            ),
        ]
    )
    view = View(
        type="modal",
        callback_id=ids.TRACK_VIEW,
        private_metadata=metadata,
        title=PlainTextObject(text=plain(lang, "modal.track_title")[:24]),
        submit=PlainTextObject(text=plain(lang, "modal.save")[:24]),
        close=PlainTextObject(text=plain(lang, "modal.cancel")[:24]),
        blocks=blocks,
    )
    return view.to_dict()


def register_modal(lang: str, line: ItemLine, metadata: str) -> dict[str, Any]:
    """Record that an item must be registered, and its reference once it is."""
    view = View(
        type="modal",
        callback_id=ids.REGISTER_VIEW,
        private_metadata=metadata,
        title=PlainTextObject(text=plain(lang, "modal.register_title")[:24]),
        submit=PlainTextObject(text=plain(lang, "modal.save")[:24]),
        close=PlainTextObject(text=plain(lang, "modal.cancel")[:24]),
        blocks=[
            SectionBlock(text=kit.md(f"*#{line.id}* {_link(line)}{_quote(line.excerpt)}")),
            InputBlock(
                block_id=ids.FIELD_REFERENCE,
                label=plain(lang, "modal.reference"),
                optional=True,
                element=PlainTextInputElement(
                    action_id=ids.FIELD_REFERENCE,
                    max_length=100,
                    initial_value=line.registration_ref or None,
                ),
                hint=plain(lang, "modal.reference_hint"),
            ),
        ],
    )
    return view.to_dict()


def done_modal(lang: str, title: str, text: str) -> dict[str, Any]:
    """What a modal turns into once saved: a confirmation."""
    view = View(
        type="modal",
        title=PlainTextObject(text=title[:24]),
        close=PlainTextObject(text=plain(lang, "modal.close")[:24]),
        blocks=[SectionBlock(text=kit.md(text))],
    )
    return view.to_dict()
