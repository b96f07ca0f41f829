"""Activity: `/vakt posted <account> [date] [HH:MM]`."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from bot.activity import service as activity
from bot.activity.blocks import account_label
from bot.items import service as items
from bot.kernel.context import Ctx
from bot.kernel.errors import NotFound, UserInputError
from bot.kernel.i18n import fmt_date, fmt_moment, fmt_week, t
from bot.kernel.parse import NORDIC_DATE, YESTERDAY, looks_like_date, parse_when
from bot.slackkit import blocks as kit
from bot.slackkit.router import Command, Reply
from bot.store.models import Account, AccountPost

CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
# A past day given without a time: the post counts on that day, at noon.
NOON = time(12, 0)


def _day(words: list[str], at: int, today: date) -> tuple[date, int] | None:
    """A day at `at` (today, yesterday, 2026-11-20, 20.11.): posts lie in the past, so a date
    without a year is the latest such date up to today."""
    if at >= len(words):
        return None
    word = words[at].lower().rstrip(",")
    pair = f"{word} {words[at + 1].lower()}" if at + 1 < len(words) else ""
    if pair in YESTERDAY:
        return today - timedelta(days=1), 2
    if word in YESTERDAY:
        return today - timedelta(days=1), 1
    if CLOCK.match(word):
        return None
    found = parse_when(words, at, today)
    if found is None:
        if looks_like_date(words[at]):
            raise UserInputError("error.bad_date", value=words[at][:40])
        return None
    span, used = found
    if span.is_week or span.start != span.end:
        raise UserInputError("error.post_week", value=" ".join(words[at : at + used])[:40])
    day = span.start
    nordic = NORDIC_DATE.match(word)
    if nordic and not nordic.group(3) and day > today:
        try:
            day = date(today.year, day.month, day.day)
            if day > today:
                day = date(today.year - 1, day.month, day.day)
        except ValueError:  # 29 February in a year without it
            raise UserInputError("error.bad_date", value=words[at][:40]) from None
    return day, used


def _clock(word: str) -> time:
    match = CLOCK.match(word)
    hour, minute = (int(match.group(1)), int(match.group(2))) if match else (99, 99)
    if hour > 23 or minute > 59:
        raise UserInputError("error.post_bad_time", value=word[:40])
    return time(hour, minute)


def parse_posted(ctx: Ctx, words: list[str]) -> tuple[str, datetime]:
    """The account key and the instant of `<account> [date] [HH:MM]`: now when neither is
    given, today at the time when only a time is, noon on a past day given without a time."""
    if not words:
        raise UserInputError("error.post_account_needed")
    key, rest = words[0], words[1:]
    at = 0
    day: date | None = None
    found = _day(rest, at, ctx.today)
    if found is not None:
        day, used = found
        at += used
    clock: time | None = None
    if at < len(rest) and CLOCK.match(rest[at]):
        clock = _clock(rest[at])
        at += 1
    if at < len(rest):
        raise UserInputError("error.unexpected", value=rest[at][:40])
    if day is not None and day < ctx.today - timedelta(days=366):
        raise UserInputError("error.post_too_old")  # before building a time that may overflow
    tz = ctx.calendar.tz
    if clock is not None:
        posted = datetime.combine(day or ctx.today, clock, tzinfo=tz)
    elif day is None or day == ctx.today:
        posted = ctx.now
    else:
        posted = datetime.combine(day, NOON, tzinfo=tz)
    return key, posted


def command_external_id(account: Account, posted_at: datetime) -> str:
    """A post recorded by command is known by its account and minute, so sending the same
    command twice (a double submit, a retry) counts once; two posts in the same minute would
    be one, which is what a person means in practice."""
    return f"cmd:{account.key}:{posted_at.astimezone(UTC):%Y-%m-%dT%H:%MZ}"


def week_lines(ctx: Ctx, lang: str, account: Account, post: AccountPost) -> list[str]:
    """Posts in the post's ISO week against the account's limit, and a warning when the
    post's working day is over the per-day limit."""
    assert account.id is not None
    day = ctx.calendar.local_date(post.posted_at)
    count = activity.posts_in_week(ctx.session, ctx.calendar, [account.id], day)[account.id]
    week = fmt_week(day, lang)
    lines = [
        t(lang, "posted.week", week=week, count=count, limit=account.max_posts_week)
        if account.max_posts_week
        else t(lang, "posted.week_no_limit", week=week, count=count)
    ]
    if account.max_posts_week and count > account.max_posts_week:
        lines.append(t(lang, "posted.over_week", limit=account.max_posts_week))
    if account.max_posts_day and ctx.calendar.is_working_day(day):
        on_day = activity.posts_on_day(ctx.session, ctx.calendar, [account.id], day)[account.id]
        if on_day > account.max_posts_day:
            lines.append(
                t(
                    lang,
                    "posted.over_day",
                    day=fmt_date(day, lang),
                    count=on_day,
                    limit=account.max_posts_day,
                )
            )
    return lines


def cmd_posted(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    """`/vakt posted <account> [date] [HH:MM]`: record a post published on an account."""
    key, posted_at = parse_posted(ctx, words)
    try:
        account = items.account_by_key(ctx.session, key)
    except NotFound:
        raise UserInputError("error.no_account", key=key[:40]) from None
    activity.check_recorder(ctx, account)
    post, created = activity.record_post(
        ctx, account, command_external_id(account, posted_at), posted_at, "command"
    )
    when = fmt_moment(post.posted_at, ctx.calendar.tz, lang)
    head = t(
        lang,
        "posted.saved" if created else "posted.already",
        account=account_label(account),
        when=when,
    )
    text = "\n".join([head, *week_lines(ctx, lang, account, post)])
    return Reply(text, kit.text_blocks(text))


COMMANDS = (
    Command(
        "posted",
        ("posted", "post", "postet", "publisert", "publicerat", "publicerad", "postat"),
        cmd_posted,
    ),
)
