"""Block Kit for activity: the weekly activity message with its Posted today buttons, the
posting-volume notice (VT5), and the answers to `/vakt posted` and the button."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ContextBlock,
    SectionBlock,
)

from bot.kernel.i18n import fmt_date, fmt_week, plain, t
from bot.slackkit import blocks as kit
from bot.slackkit.blocks import MESSAGE_BLOCKS, escape, linked

if TYPE_CHECKING:
    from bot.activity.service import ActivityRow
    from bot.store.models import Account

# The button on each account of the weekly activity message (value: the account id).
ACTIVITY_POSTED = "vakt_activity_posted"
# Head, hint and the "… and N more" line leave this many blocks for accounts.
MAX_ROWS = MESSAGE_BLOCKS - 3


def account_label(account: Account) -> str:
    """The account as a link to it, with its key: "*<url|Testrud kommune>* · `fb-main`"."""
    return f"*{linked(account.url, account.name)}* · `{account.key}`"


def _ago(lang: str, days: int) -> str:
    if days <= 0:
        return t(lang, "activity.today")
    if days == 1:
        return t(lang, "activity.one_day_ago")
    return t(lang, "activity.days_ago", count=days)


def _row_text(lang: str, row: ActivityRow, week_day: date) -> str:
    account = row.account
    week = fmt_week(week_day, lang)
    parts = [
        t(
            lang,
            "activity.last",
            day=fmt_date(row.last_post, lang, year_unless=week_day.year),
            ago=_ago(lang, row.silent_days),
        )
        if row.last_post is not None
        else t(lang, "activity.never"),
        t(
            lang,
            "activity.week_posts_limit",
            week=week,
            count=row.week_posts,
            limit=account.max_posts_week,
        )
        if account.max_posts_week
        else t(lang, "activity.week_posts", week=week, count=row.week_posts),
    ]
    if row.cadence > 0:
        parts.append(t(lang, "activity.cadence", count=row.cadence))
    text = f"{account_label(account)}\n{' · '.join(parts)}"
    if row.silent:
        text += "\n" + t(lang, "activity.silent", days=row.silent_days, cadence=row.cadence)
    return text


def weekly_activity(
    lang: str,
    team_name: str,
    team_key: str,
    rows: Sequence[ActivityRow],
    week_day: date,
    this_week: date,
) -> tuple[str, list[dict[str, Any]]]:
    """One team's accounts: last post, posts in the past week against the limit, cadence (with
    a warning when silent for longer), and a Posted today button each. Silent accounts come
    first; beyond Slack's block limit the rest are counted, not shown."""
    ordered = sorted(rows, key=lambda r: (not r.silent, r.account.key))
    shown = ordered[:MAX_ROWS] if len(ordered) > MAX_ROWS else ordered
    name = escape(team_name)
    blocks: list[Block] = [
        SectionBlock(
            text=kit.md(t(lang, "activity.head", team=name, week=fmt_week(this_week, lang)))
        ),
        ContextBlock(elements=[kit.md(t(lang, "activity.hint"))]),
    ]
    for row in shown:
        blocks.append(
            SectionBlock(
                text=kit.md(_row_text(lang, row, week_day)),
                accessory=ButtonElement(
                    text=plain(lang, "activity.button")[:75],
                    action_id=ACTIVITY_POSTED,
                    value=str(row.account.id),
                ),
            )
        )
    if len(ordered) > len(shown):
        blocks.append(
            ContextBlock(
                elements=[
                    kit.md(t(lang, "activity.more", count=len(ordered) - len(shown), team=team_key))
                ]
            )
        )
    text = t(lang, "activity.text", team=team_name, week=fmt_week(this_week, lang))
    return text, kit.dicts(blocks)


def rule_text(lang: str, account: Account) -> str:
    """The account's posting rule in words (VT5: "at most 10 a week and two per working day")."""
    week, day = account.max_posts_week, account.max_posts_day
    if week and day:
        return t(lang, "volume.rule_both", count=week, day=day)
    if week:
        return t(lang, "volume.rule_week", count=week)
    return t(lang, "volume.rule_day", count=day)


def volume_notice(
    lang: str, account: Account, period: str, when: date, count: int, limit: int
) -> tuple[str, list[dict[str, Any]]]:
    """An account posted more than its limit in a week (`period` "week") or on a working day
    ("day"): the count, the limit and the rule."""
    label = f"*{escape(account.name)}* (`{account.key}`)"
    span = fmt_week(when, lang) if period == "week" else fmt_date(when, lang)
    key = "week" if period == "week" else "day"
    params: dict[str, Any] = {"count": count, "limit": limit, key: span}
    head = t(lang, f"volume.{key}", account=label, **params)
    text = t(lang, f"volume.{key}_text", account=account.name, **params)
    blocks: list[Block] = [
        SectionBlock(text=kit.md(head)),
        ContextBlock(elements=[kit.md(rule_text(lang, account))]),
    ]
    return text, kit.dicts(blocks)
