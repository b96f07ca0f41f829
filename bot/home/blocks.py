"""Block Kit for the App Home tab and its Show all modals (Slack's models, validated).

A home holds at most 100 blocks however much there is: each list shows `ROWS` rows, then
"… and N more" with a Show all button that opens a modal listing up to `MODAL_ROWS` rows as
text packed into sections (a modal has the same 100-block limit); past that the modal says
which command lists everything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.home import ids
from bot.home.core import Listing, Spell
from bot.items.core import ItemLine, age_working_days
from bot.kernel.calendar import WorkCalendar
from bot.kernel.i18n import (
    fmt_date,
    fmt_moment,
    fmt_range,
    fmt_short_date,
    fmt_time,
    fmt_week,
    fmt_working_days,
    plain,
    t,
)
from bot.slackkit import blocks as kit
from bot.slackkit.blocks import SECTION_LIMIT, escape, linked

# The home's own buttons (ids in bot/home/ids.py, shared with the listeners).
HOME_ANSWERED, HOME_NO_REPLY, HOME_REFERRED = (
    ids.HOME_ANSWERED,
    ids.HOME_NO_REPLY,
    ids.HOME_REFERRED,
)
HOME_SHOW_ALL = ids.HOME_SHOW_ALL
HOME_OUTCOMES = {HOME_ANSWERED: "answered", HOME_NO_REPLY: "no_reply", HOME_REFERRED: "referred"}

VIEW_BLOCKS = 100
LINE_LIMIT = 540  # one row of a list: a title and five rows always fit a section's 3000
LINK_LIMIT = 300  # a longer web address is left out: the name alone, never a cut link
TITLE_LIMIT = 24  # a modal's title

Render = Callable[[str, WorkCalendar, datetime, Any], str]


def _line(text: str) -> str:
    return text if len(text) <= LINE_LIMIT else text[: LINE_LIMIT - 1] + "…"


def _link(url: str | None, name: str) -> str:
    """A name linked to its web address, or the name alone when the link would be long."""
    text = linked(url, name)
    return text if len(text) <= LINK_LIMIT else escape(name)


def _dates(first: Any, last: Any, lang: str) -> str:
    return fmt_range(first, last, lang)


# ---------------------------------------------------------------- rows


def _spell(lang: str, spell: Spell) -> str:
    return t(
        lang,
        f"home.next_{spell.role}",
        week=fmt_week(spell.first, lang),
        dates=_dates(spell.first, spell.last, lang),
    )


def duty_row(lang: str, calendar: WorkCalendar, now: datetime, row: Any) -> str:
    """A team: the person's duty now and next."""
    team = escape(row.team)
    if row.now is not None:
        head = t(lang, f"home.now_{row.now.role}", team=team, until=fmt_date(row.now.last, lang))
    else:
        head = t(lang, "home.now_off", team=team)
    tail = _spell(lang, row.next) if row.next is not None else t(lang, "home.next_none")
    return f"{head} {tail}"


def item_row(lang: str, calendar: WorkCalendar, now: datetime, line: ItemLine) -> str:
    """An overdue item: number, account, age, deadline, team, excerpt."""
    text = t(
        lang,
        "home.item",
        id=line.id,
        account=_link(line.url or line.account_url, line.account),
        days=fmt_working_days(age_working_days(calendar, line.received_at, now), lang),
        deadline=fmt_moment(line.deadline, calendar.tz, lang),
        team=escape(line.team or ""),
    )
    if line.excerpt:
        text += f"\n> {escape(line.excerpt[:200])}"
    return _line(text)


def deletion_row(lang: str, calendar: WorkCalendar, now: datetime, row: Any) -> str:
    steps = ", ".join(t(lang, f"step.{s}") for s in row.missing)
    return t(
        lang,
        "home.deletion",
        id=row.id,
        account=_link(row.account_url, row.account),
        day=fmt_short_date(calendar.local_date(row.deleted_at), lang),
        steps=steps,
    )


def snapshot_row(lang: str, calendar: WorkCalendar, now: datetime, row: Any) -> str:
    key = "home.snapshot_overdue" if row.due < calendar.local_date(now) else "home.snapshot_due"
    return t(lang, key, account=_link(row.account_url, row.account), day=fmt_date(row.due, lang))


def swap_row(lang: str, calendar: WorkCalendar, now: datetime, row: Any) -> str:
    return t(
        lang,
        "home.swap",
        requester=f"<@{row.requester}>",
        counterpart=f"<@{row.counterpart}>",
        dates=_dates(row.start, row.end, lang),
        team=escape(row.team),
    )


def team_row(lang: str, calendar: WorkCalendar, now: datetime, row: Any) -> str:
    return t(lang, "home.team", team=escape(row.team), open=row.open, overdue=row.overdue)


def gap_row(lang: str, calendar: WorkCalendar, now: datetime, row: Any) -> str:
    return t(
        lang,
        f"home.gap_{row.kind}",
        team=escape(row.team),
        week=fmt_week(row.first, lang),
        day=fmt_date(row.first, lang),
        days=fmt_working_days(row.days, lang),
    )


def flag_row(lang: str, calendar: WorkCalendar, now: datetime, row: Any) -> str:
    return t(
        lang,
        "home.flag",
        kind=t(lang, f"lifecycle.kind_{row.kind}"),
        account=escape(row.account),
        team=escape(row.team),
        day=fmt_short_date(row.raised, lang),
    )


def closure_row(lang: str, calendar: WorkCalendar, now: datetime, row: Any) -> str:
    return t(
        lang,
        "home.closure",
        account=escape(row.account),
        day=fmt_short_date(row.started, lang),
        count=row.missing,
    )


def request_row(lang: str, calendar: WorkCalendar, now: datetime, row: Any) -> str:
    return t(
        lang,
        "home.request",
        name=escape(row.name),
        platform=escape(row.platform),
        team=escape(row.team),
        requester=f"<@{row.requester}>",
        day=fmt_short_date(row.made, lang),
    )


def platform_row(lang: str, calendar: WorkCalendar, now: datetime, row: Any) -> str:
    name = _link(row.url, row.name)
    if row.problem:
        return t(lang, "home.platform_problem", account=name, problem=escape(row.problem))
    return t(
        lang,
        "home.platform_waiting",
        account=name,
        time=fmt_moment(row.blocked_until, calendar.tz, lang),
    )


ROWS: dict[str, Render] = {
    "duty": duty_row,
    "items": item_row,
    "deletions": deletion_row,
    "snapshots": snapshot_row,
    "swaps": swap_row,
    "teams": team_row,
    "gaps": gap_row,
    "flags": flag_row,
    "closures": closure_row,
    "requests": request_row,
    "platforms": platform_row,
}
# The order of the lists on the home: one's own duties first, then what others wait for.
ORDER = tuple(ROWS)


# ---------------------------------------------------------------- the home


def _more(lang: str, section: str, listing: Listing[Any]) -> Block:
    """ "… and 37 more" with a Show all button."""
    return SectionBlock(
        block_id=f"home-{section}-more",
        text=kit.md(t(lang, "common.more", count=listing.more)),
        accessory=ButtonElement(
            text=plain(lang, "home.show_all"), action_id=HOME_SHOW_ALL, value=section
        ),
    )


def _item_blocks(lang: str, calendar: WorkCalendar, now: datetime, line: ItemLine) -> list[Block]:
    """An overdue item and its outcome buttons (the home's own action ids)."""
    value = str(line.id)
    return [
        SectionBlock(
            block_id=f"home-item-{line.id}", text=kit.md(item_row(lang, calendar, now, line))
        ),
        ActionsBlock(
            block_id=f"home-item-{line.id}-actions",
            elements=[
                ButtonElement(
                    text=plain(lang, "item.answered"),
                    action_id=HOME_ANSWERED,
                    value=value,
                    style="primary",
                ),
                ButtonElement(
                    text=plain(lang, "item.no_reply"), action_id=HOME_NO_REPLY, value=value
                ),
                ButtonElement(
                    text=plain(lang, "item.referred"), action_id=HOME_REFERRED, value=value
                ),
            ],
        ),
    ]


def _section_blocks(
    lang: str, calendar: WorkCalendar, now: datetime, name: str, listing: Listing[Any]
) -> list[Block]:
    title = t(lang, f"home.title_{name}", count=listing.total)
    blocks: list[Block] = [DividerBlock()]
    if name == "items":
        blocks.append(SectionBlock(block_id="home-items", text=kit.md(title)))
        for line in listing.rows:
            blocks.extend(_item_blocks(lang, calendar, now, line))
    else:
        rows = [_line(ROWS[name](lang, calendar, now, row)) for row in listing.rows]
        blocks.append(SectionBlock(block_id=f"home-{name}", text=kit.md("\n".join([title, *rows]))))
    if listing.more:
        blocks.append(_more(lang, name, listing))
    return blocks


def _intro(lang: str) -> list[Block]:
    """The empty state: what Vakt is, and three commands to try."""
    return [
        SectionBlock(block_id="home-intro", text=kit.md(t(lang, "home.empty"))),
        SectionBlock(block_id="home-try", text=kit.md(t(lang, "home.try"))),
    ]


def home_view(
    lang: str, calendar: WorkCalendar, home: Any, notice: str | None = None
) -> dict[str, Any]:
    """A person's Home tab: header, a notice (the outcome of their last press), each list
    that has something (their duty always, when they are in a team), when it was made."""
    now: datetime = home.now
    blocks: list[Block] = [
        HeaderBlock(block_id="home-header", text=plain(lang, "home.header")[:150])
    ]
    if notice:
        blocks.append(ContextBlock(block_id="home-notice", elements=[kit.md(notice)]))
    if home.empty:
        blocks.extend(_intro(lang))
    else:
        shown = False
        for name in ORDER:
            listing = home.section(name)
            if listing.total:
                blocks.extend(_section_blocks(lang, calendar, now, name, listing))
                shown = True
        if not shown or (home.member and not home.items.total and not home.deletions.total):
            blocks.append(DividerBlock())
            blocks.append(
                SectionBlock(block_id="home-clear", text=kit.md(t(lang, "home.all_clear")))
            )
    local = now.astimezone(calendar.tz)
    updated = ContextBlock(
        block_id="home-updated",
        elements=[
            kit.md(
                t(
                    lang,
                    "home.updated",
                    time=fmt_time(local, lang),
                    day=fmt_short_date(local.date(), lang),
                )
            )
        ],
    )
    # The lists are clipped so this never cuts; it is the last guard of Slack's limit.
    blocks = [*blocks[: VIEW_BLOCKS - 1], updated]
    view = View(type="home", blocks=blocks)
    return view.to_dict()


# ---------------------------------------------------------------- Show all


def _pack(lines: Sequence[str], limit: int) -> list[Block]:
    """Lines into sections of at most 3000 characters, at most `limit` sections."""
    blocks: list[Block] = []
    current = ""
    for line in lines:
        if current and len(current) + 1 + len(line) > SECTION_LIMIT:
            blocks.append(SectionBlock(text=kit.md(current)))
            current = ""
            if len(blocks) >= limit:
                return blocks
        current = f"{current}\n{line}" if current else line
    if current and len(blocks) < limit:
        blocks.append(SectionBlock(text=kit.md(current)))
    return blocks


def show_all_modal(
    lang: str, calendar: WorkCalendar, now: datetime, section: str, listing: Listing[Any]
) -> dict[str, Any]:
    """Every row of one list (up to `MODAL_ROWS`) as text, the rest counted."""
    render = ROWS[section]
    lines = [_line(render(lang, calendar, now, row)) for row in listing.rows]
    blocks: list[Block] = _pack(lines, VIEW_BLOCKS - 2) or [
        SectionBlock(text=kit.md(t(lang, "home.nothing")))
    ]
    shown = len(listing.rows)
    if listing.more:
        blocks.append(
            ContextBlock(
                elements=[kit.md(t(lang, "home.modal_more", shown=shown, total=listing.total))]
            )
        )
    title = plain(lang, f"home.modal_{section}")[:TITLE_LIMIT]
    view = View(
        type="modal",
        title=title,
        close=plain(lang, "home.close")[:TITLE_LIMIT],
        blocks=blocks,
    )
    return view.to_dict()
