"""Block Kit builders: pure functions returning Slack's own models, validated by `.to_dict()`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.kernel.calendar import WorkCalendar
from bot.kernel.config import OrgConfig
from bot.kernel.i18n import fmt_date, fmt_range, fmt_short_date, fmt_time, fmt_week, plain, t
from bot.rota import ids
from bot.slackkit import blocks as kit
from bot.slackkit.blocks import (
    MESSAGE_BLOCKS,
    SECTION_LIMIT,
    dicts,
    linked,
    section,
    text_blocks,
)

if TYPE_CHECKING:
    from bot.rota.service import PeriodPlan, TeamDuty
    from bot.rota.teams import TeamView
    from bot.store.models import Absence


def _person(user: str | None, lang: str) -> str:
    return f"<@{user}>" if user else f"*{t(lang, 'common.nobody')}*"


def office_status(lang: str, calendar: WorkCalendar, now: datetime) -> str:
    """ "Open until 16:00" or "Closed – opens Monday 23 November 08:00"."""
    if calendar.is_open(now):
        hours = calendar.hours(calendar.local_date(now))
        assert hours is not None
        return t(lang, "who.open_until", time=fmt_time(hours[1], lang))
    opening = calendar.next_opening(now)
    return t(
        lang,
        "who.closed_until",
        day=fmt_date(opening.date(), lang),
        time=fmt_time(opening, lang),
    )


def who_blocks(
    lang: str, duties: Sequence[TeamDuty], calendar: WorkCalendar, now: datetime
) -> list[dict[str, Any]]:
    """Who is on duty now and who substitutes, per team."""
    blocks = [
        kit.header_dict(plain(lang, "who.header")),
        kit.context_dict(office_status(lang, calendar, now)),
    ]
    if not duties:
        blocks.append(kit.section_dict(t(lang, "who.no_teams")))
    shown = duties[: MESSAGE_BLOCKS - 3]
    for item in shown:
        duty = item.duty
        lines = [
            f"*{kit.escape(item.view.team.name)}* · {fmt_week(duty.day, lang)}",
            t(lang, "who.primary", who=_person(duty.primary, lang)),
            t(lang, "who.substitute", who=_person(duty.substitute, lang)),
        ]
        if duty.away:
            lines.append(t(lang, "who.away", who=", ".join(f"<@{u}>" for u in duty.away)))
        if duty.covering:
            lines.append(t(lang, "who.covering", who=", ".join(f"<@{u}>" for u in duty.covering)))
        if item.view.accounts:
            lines.append(t(lang, "who.accounts", accounts=kit.escape(item.view.account_names)))
        blocks.append(kit.section_dict("\n".join(lines)))
    if len(duties) > len(shown):
        blocks.append(kit.section_dict(t(lang, "common.more", count=len(duties) - len(shown))))
    return blocks


def rota_blocks(lang: str, view: TeamView, plans: Sequence[PeriodPlan]) -> list[dict[str, Any]]:
    """The coming periods of a team with ISO week numbers, absences and overrides marked."""
    blocks = [kit.header_dict(plain(lang, "rota.header", team=view.team.name))]
    if not view.members:
        blocks.append(kit.section_dict(t(lang, "rota.no_members", key=view.team.key)))
        return blocks
    lines: list[str] = []
    for plan in plans:
        if not plan.working_days or plan.planned is None:
            continue
        first, last = plan.working_days[0], plan.working_days[-1]
        label = (
            f"*{fmt_week(first, lang).capitalize()}* ({fmt_short_date(first, lang)}–"
            f"{fmt_short_date(last, lang)})"
            if first != last
            else f"*{fmt_date(first, lang)}* ({fmt_week(first, lang)})"
        )
        lines.append(
            f"{label}: {_person(plan.planned.primary, lang)}, "
            f"{t(lang, 'rota.sub_short')} {_person(plan.planned.substitute, lang)}"
        )
        for change in plan.changes:
            why = ""
            if change.away:
                why = t(lang, "rota.away", who=", ".join(f"<@{u}>" for u in change.away))
            elif change.covering:
                why = t(lang, "rota.covers", who=", ".join(f"<@{u}>" for u in change.covering))
            lines.append(
                f"    ↳ {fmt_short_date(change.day, lang)}: {_person(change.primary, lang)}, "
                f"{t(lang, 'rota.sub_short')} {_person(change.substitute, lang)} {why}".rstrip()
            )
    blocks.extend(kit.section_dicts("\n".join(lines) or t(lang, "rota.empty")))
    footer = t(
        lang,
        "rota.footer",
        rotation=t(lang, f"rota.rotation_{view.team.rotation}"),
        members=", ".join(f"<@{m}>" for m in view.members),
    )
    blocks.append(kit.context_dict(footer))
    return blocks[:MESSAGE_BLOCKS]


def absences_blocks(lang: str, user: str, absences: Sequence[Absence]) -> list[dict[str, Any]]:
    """Someone's current and future absences, each with a Cancel button."""
    if not absences:
        return text_blocks(t(lang, "away.none", user=user))
    blocks: list[Block] = [section(t(lang, "away.list_header", user=user))]

    for absence in absences[: MESSAGE_BLOCKS - 2]:
        when = (
            t(lang, "away.from_on", day=fmt_date(absence.start, lang))
            if absence.end is None
            else fmt_range(absence.start, absence.end, lang)
        )
        kind = t(lang, f"away.kind_{absence.kind}")
        note = f" – {absence.note}" if absence.note else ""
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=f"{when} · {kind}{note}"[:SECTION_LIMIT]),
                accessory=ButtonElement(
                    text=plain(lang, "away.cancel"),
                    action_id=ids.ABSENCE_CANCEL,
                    value=str(absence.id),
                ),
            )
        )
    return dicts(blocks)


def teams_blocks(lang: str, config: OrgConfig, views: Sequence[TeamView]) -> list[dict[str, Any]]:
    """Every team with channel, manager, rotation, members and accounts."""
    blocks: list[Block] = [HeaderBlock(text=plain(lang, "teams.header")[:150])]
    if not views:
        blocks.append(section(t(lang, "teams.none")))
    for view in views[: MESSAGE_BLOCKS - 3]:
        team = view.team
        lines = [
            f"*{kit.escape(team.name)}* (`{team.key}`)"
            + (f" · {t(lang, 'teams.managed', file=config.path)}" if team.managed else ""),
            t(
                lang,
                "teams.details",
                channel=f"<#{team.channel}>" if team.channel else "–",
                manager=f"<@{team.manager}>" if team.manager else "–",
                rotation=t(lang, f"rota.rotation_{team.rotation}"),
                start=fmt_date(team.start, lang),
            ),
            t(lang, "teams.members", members=", ".join(f"<@{m}>" for m in view.members) or "–"),
            t(
                lang,
                "teams.accounts",
                accounts=", ".join(f"{linked(a.url, a.name)} (`{a.key}`)" for a in view.accounts)
                or "–",
            ),
        ]
        blocks.append(section("\n".join(lines)))
    if len(views) > MESSAGE_BLOCKS - 3:
        blocks.append(section(t(lang, "common.more", count=len(views) - (MESSAGE_BLOCKS - 3))))
    blocks.append(DividerBlock())
    return dicts(blocks)
