"""`/vakt` subcommands: parse the text, call one service, render the reply.

Every handler takes the request context, the reader's language and the words after the
subcommand, and returns a Reply; domain errors are rendered by the listener with the usage line.
"""

from __future__ import annotations

import csv
import importlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.archive import blocks as ab
from bot.archive import service as archive
from bot.archive.core import SnapshotKind
from bot.items import blocks as ib
from bot.items import service as items
from bot.kernel.audit import audit
from bot.kernel.context import Ctx
from bot.kernel.errors import NotAllowed, NotFound, UserInputError
from bot.kernel.i18n import fmt_date, fmt_range, t
from bot.kernel.parse import (
    ISO_DATE,
    NORDIC_DATE,
    channel_id,
    parse_range,
    parse_when,
    user_id,
)
from bot.rota import blocks as b
from bot.rota import core as rota_core
from bot.rota import service as rota
from bot.rota.teams import team_views
from bot.slackkit import blocks as kit


@dataclass(frozen=True)
class Reply:
    text: str
    blocks: list[dict[str, Any]]
    view: dict[str, Any] | None = None  # a modal to open instead of answering
    upload: Upload | None = None  # a file to send the user as a direct message


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes
    title: str
    comment: str


Handler = Callable[[Ctx, str, list[str]], Reply]


def _reply(text: str) -> Reply:
    return Reply(text, kit.text_blocks(text))


# Words for the absence kinds in nb, sv and en.
KIND_WORDS: dict[str, rota_core.AbsenceKind] = {
    **dict.fromkeys(("ferie", "semester", "vacation", "holiday"), rota_core.AbsenceKind.VACATION),
    **dict.fromkeys(("syk", "sjuk", "sick", "sykmeldt", "sjukskriven"), rota_core.AbsenceKind.SICK),
    **dict.fromkeys(
        ("permisjon", "perm", "leave", "ledig", "tjänstledig", "tjenestefri", "föräldraledig"),
        rota_core.AbsenceKind.LEAVE,
    ),
    **dict.fromkeys(("sluttet", "slutat", "left", "quit", "slutta"), rota_core.AbsenceKind.LEFT),
}


def _split_mentions(words: list[str]) -> tuple[list[str], list[str]]:
    users = [u for u in (user_id(w) for w in words) if u]
    rest = [w for w in words if not user_id(w)]
    return users, rest


def _unknown_mention(words: list[str]) -> None:
    for word in words:
        if word.startswith("@"):
            raise UserInputError("error.plain_mention", value=word)


def cmd_who(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    duties = rota.who(ctx, words[0] if words else None)
    text = "\n".join(
        f"{d.view.team.name}: {d.duty.primary or '-'} / {d.duty.substitute or '-'}" for d in duties
    ) or t(lang, "who.no_teams")
    return Reply(text, b.who_blocks(lang, duties, ctx.calendar, ctx.now))


def cmd_rota(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    weeks = 4
    query: str | None = None
    for word in words:
        if word.isdigit():
            weeks = int(word)
        elif query is None:
            query = word
        else:
            raise UserInputError("error.unexpected", value=word)
    if query:
        views = rota.find_teams(ctx, query)
    else:
        views = [v for v in team_views(ctx) if ctx.actor in v.members] or team_views(ctx)
    if not views:
        return _reply(t(lang, "who.no_teams"))
    blocks: list[dict[str, Any]] = []
    for view in views:
        part = b.rota_blocks(lang, view, rota.plan(ctx, view, weeks))
        if len(blocks) + len(part) > kit.MESSAGE_BLOCKS:
            break
        blocks.extend(part)
    return Reply(t(lang, "rota.header", team=", ".join(v.team.name for v in views)), blocks)


def cmd_away(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    users, rest = _split_mentions(words)
    _unknown_mention(rest)
    if len(users) > 1:
        raise UserInputError("error.one_person")
    target = users[0] if users else ctx.actor
    if not rest:
        return Reply(
            t(lang, "away.list_header", user=target),
            b.absences_blocks(lang, target, rota.upcoming_absences(ctx, target)),
        )
    kind: rota_core.AbsenceKind | None = None
    if rest[0].lower() in KIND_WORDS and KIND_WORDS[rest[0].lower()] == rota_core.AbsenceKind.LEFT:
        rng, used = None, 0
        if len(rest) > 1:
            rng, used = parse_range(rest, 1, ctx.today)
        absence = rota.add_absence(ctx, target, rng, rota_core.AbsenceKind.LEFT, None)
        return _reply(t(lang, "away.left", user=target, day=fmt_date(absence.start, lang)))
    rng, used = parse_range(rest, 0, ctx.today)
    reason_words = rest[used:]
    note: str | None = None
    if reason_words:
        kind = KIND_WORDS.get(reason_words[0].lower())
        note = " ".join(reason_words[1:] if kind else reason_words) or None
    absence = rota.add_absence(
        ctx,
        target,
        rng,
        kind or (rota_core.AbsenceKind.OTHER if note else rota_core.AbsenceKind.VACATION),
        note,
    )
    if absence.kind == rota_core.AbsenceKind.LEFT:
        return _reply(t(lang, "away.left", user=target, day=fmt_date(absence.start, lang)))
    assert absence.end is not None
    return _reply(
        t(
            lang,
            "away.saved",
            user=target,
            when=fmt_range(absence.start, absence.end, lang),
            kind=t(lang, f"away.kind_{absence.kind}"),
        )
    )


def cmd_back(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    users, rest = _split_mentions(words)
    _unknown_mention(rest)
    if rest:
        raise UserInputError("error.unexpected", value=rest[0])
    target = users[0] if users else ctx.actor
    rota.back(ctx, target)
    return _reply(t(lang, "back.saved", user=target))


def cmd_swap(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    users, rest = _split_mentions(words)
    _unknown_mention(rest)
    if len(users) != 1:
        raise UserInputError("error.swap_who")
    rng, used = parse_range(rest, 0, ctx.today)
    extra = rest[used:]
    if len(extra) > 1:
        raise UserInputError("error.unexpected", value=extra[1])
    request = rota.request_swap(ctx, users[0], rng, extra[0] if extra else None)
    return _reply(
        t(
            lang,
            "swap.requested",
            counterpart=users[0],
            when=fmt_range(request.start, request.end, lang),
        )
    )


def cmd_cover(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    ctx.require_coordinator()
    users, rest = _split_mentions(words)
    _unknown_mention(rest)
    if len(users) != 2:
        raise UserInputError("error.cover_who")
    rng, used = parse_range(rest, 0, ctx.today)
    if rest[used:]:
        raise UserInputError("error.unexpected", value=rest[used])
    override = rota.add_cover(ctx, users[0], users[1], rng)
    return _reply(
        t(
            lang,
            "cover.saved",
            coverer=users[0],
            covered=users[1],
            when=fmt_range(override.start, override.end, lang),
        )
    )


def cmd_uncover(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    ctx.require_coordinator()
    users, rest = _split_mentions(words)
    _unknown_mention(rest)
    if len(users) != 2 or rest:
        raise UserInputError("error.cover_who")
    rows = rota.cancel_cover(ctx, users[0], users[1])
    return _reply(t(lang, "cover.cancelled", coverer=users[0], covered=users[1], count=len(rows)))


def cmd_teams(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    views = team_views(ctx)
    return Reply(t(lang, "teams.header"), b.teams_blocks(lang, ctx.config, views))


def cmd_team(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    if not words:
        return cmd_teams(ctx, lang, words)
    ctx.require_coordinator()
    action = words[0].lower()
    if len(words) < 2:
        raise UserInputError("error.missing_team_key")
    key, args = words[1], words[2:]
    if action in ("new", "ny", "add"):
        team = rota.create_team(ctx, key, " ".join(args))
        return _reply(t(lang, "team.created", name=team.name, key=team.key))
    if action in ("members", "medlemmer", "medlemmar"):
        users, rest = _split_mentions(args)
        _unknown_mention(rest)
        if rest:
            raise UserInputError("error.unexpected", value=rest[0])
        team = rota.set_team_members(ctx, key, users)
        members = ", ".join(f"<@{u}>" for u in users)
        return _reply(t(lang, "team.members_set", name=team.name, members=members))
    if action in ("channel", "kanal"):
        channel = channel_id(args[0]) if len(args) == 1 else None
        if channel is None:
            raise UserInputError("error.channel_needed")
        team = rota.set_team_channel(ctx, key, channel)
        return _reply(t(lang, "team.channel_set", name=team.name, channel=channel))
    if action in ("manager", "leder", "chef"):
        users, rest = _split_mentions(args)
        _unknown_mention(rest)
        if len(users) != 1 or rest:
            raise UserInputError("error.one_person")
        team = rota.set_team_manager(ctx, key, users[0])
        return _reply(t(lang, "team.manager_set", name=team.name, manager=users[0]))
    if action in ("rotation", "rotasjon", "turnus"):
        if not args:
            raise UserInputError("error.bad_rotation", value="")
        start = None
        if len(args) > 1:
            when = parse_when(args, 1, ctx.today)
            if when is None:
                raise UserInputError("error.bad_date", value=args[1])
            start = when[0].start
        team = rota.set_team_rotation(ctx, key, args[0].lower(), start)
        return _reply(
            t(
                lang,
                "team.rotation_set",
                name=team.name,
                rotation=t(lang, f"rota.rotation_{team.rotation}"),
                start=fmt_date(team.start, lang),
            )
        )
    if action in ("intake", "innboks", "inkorg"):
        channel = _intake_channel(args)
        team = rota.set_team_intake(ctx, key, channel)
        return _reply(_intake_text(lang, team.name, channel))
    if action in ("name", "navn", "namn", "rename"):
        team = rota.rename_team(ctx, key, " ".join(args))
        return _reply(t(lang, "team.renamed", name=team.name, key=team.key))
    raise UserInputError("error.unknown_team_action", value=action)


def _intake_channel(args: list[str]) -> str | None:
    if len(args) == 1 and args[0].lower() in ("off", "av", "ingen", "none"):
        return None
    channel = channel_id(args[0]) if len(args) == 1 else None
    if channel is None:
        raise UserInputError("error.intake_channel_needed")
    return channel


def _intake_text(lang: str, name: str, channel: str | None) -> str:
    if channel is None:
        return t(lang, "team.intake_off", name=name)
    return t(lang, "team.intake_set", name=name, channel=channel)


ACCOUNT_ADD = ("add", "new", "ny", "nytt", "legg-til", "lägg-till")
ACCOUNT_EDIT = ("edit", "endre", "ändra", "rediger", "redigera")
ACCOUNT_CLOSE = ("close", "avslutt", "avslut", "steng", "stäng", "avsluta")


def cmd_account(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    """`/vakt account [<key> | add | edit <key> | close <key> [reason] | intake ... |
    new <key> <platform> <team> <url> <name>]`."""
    if not words:
        return _delegate("bot.register.commands", "cmd_accounts", ctx, lang, words)
    action = words[0].lower()
    if action in ("intake", "innboks", "inkorg"):
        ctx.require_coordinator()
        if len(words) < 3:
            raise UserInputError("error.intake_channel_needed")
        channel = _intake_channel(words[2:])
        account = rota.set_account_intake(ctx, words[1], channel)
        return _reply(_intake_text(lang, account.name, channel))
    if action in ACCOUNT_ADD and len(words) >= 6:
        ctx.require_coordinator()
        _, key, platform, team_key, url, *name = words
        account = rota.create_account(ctx, key, platform, team_key, url, " ".join(name))
        return _reply(t(lang, "account.created", name=account.name, key=account.key, team=team_key))
    if action in ACCOUNT_ADD:
        return _delegate("bot.register.commands", "account_add", ctx, lang, words[1:])
    if action in ACCOUNT_EDIT:
        return _delegate("bot.register.commands", "account_edit", ctx, lang, words[1:])
    if action in ACCOUNT_CLOSE:
        return _delegate("bot.lifecycle.commands", "account_close", ctx, lang, words[1:])
    if len(words) == 1:
        return _delegate("bot.register.commands", "account_show", ctx, lang, words)
    raise UserInputError("error.account_usage")


def _delegate(module: str, name: str, ctx: Ctx, lang: str, words: list[str]) -> Reply:
    """Run a handler that lives in a feature's own module (imported when first used)."""
    handler: Handler = getattr(importlib.import_module(module), name)
    return handler(ctx, lang, words)


def _lazy(module: str, name: str) -> Handler:
    return lambda ctx, lang, words: _delegate(module, name, ctx, lang, words)


OVERDUE_WORDS = ("overdue", "forfalt", "forfalte", "försenade", "forsenade", "sen", "late")


def cmd_unanswered(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    return unanswered_page(ctx, lang, words, 0)


def unanswered_page(ctx: Ctx, lang: str, words: list[str], offset: int) -> Reply:
    """A page of `/vakt unanswered [team|account] [overdue]` (the More button pages on)."""
    overdue = False
    query: str | None = None
    for word in words:
        if word.lower() in OVERDUE_WORDS:
            overdue = True
        elif query is None:
            query = word
        else:
            raise UserInputError("error.unexpected", value=word[:40])
    page = items.unanswered(ctx, query, overdue=overdue, offset=offset, limit=PAGE_ITEMS)
    text, blocks = ib.unanswered(lang, ctx.calendar, ctx.now, page, query, overdue)
    return Reply(text, blocks)


PAGE_ITEMS = 20  # two blocks each: 40 of Slack's 50, with room for the header and More


def cmd_status(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    if words:
        raise UserInputError("error.unexpected", value=words[0][:40])
    text, blocks = ib.status(lang, ctx.calendar, ctx.now, items.status(ctx))
    return Reply(text, blocks)


def cmd_new(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    accounts = [a for v in team_views(ctx) for a in v.accounts]
    if not accounts:
        raise NotFound("error.no_accounts")
    accounts.sort(key=lambda a: a.name.lower())
    view = ib.new_item_modal(lang, accounts, ctx.now)
    return Reply(t(lang, "new.opening"), kit.text_blocks(t(lang, "new.opening")), view=view)


def cmd_deleted(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    from bot.archive.listeners import deletion_modal_for

    if len(words) > 1:
        raise UserInputError("error.unexpected", value=words[1][:40])
    view = deletion_modal_for(ctx, lang, account_key=words[0] if words else None)
    return Reply(t(lang, "new.opening"), kit.text_blocks(t(lang, "new.opening")), view=view)


SNAPSHOT_KINDS = {
    **dict.fromkeys(
        (
            "before-change",
            "before",
            "change",
            "før-endring",
            "for-endring",
            "endring",
            "före-ändring",
            "fore-andring",
            "ändring",
        ),
        SnapshotKind.BEFORE_CHANGE,
    ),
    **dict.fromkeys(
        ("final", "last", "closing", "siste", "avslutning", "slutlig", "sista"),
        SnapshotKind.FINAL,
    ),
    **dict.fromkeys(("periodic", "periodisk", "regular", "vanlig"), SnapshotKind.PERIODIC),
}


def cmd_snapshot(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    if not words:
        plans = archive.plans(ctx.session, ctx.config.archive.snapshot_months, ctx.calendar)
        return Reply(t(lang, "snapshot.plans_head"), ab.snapshot_plans(lang, plans, ctx.today))
    account = items.account_by_key(ctx.session, words[0])
    kind = SnapshotKind.PERIODIC
    if len(words) > 1:
        found = SNAPSHOT_KINDS.get(words[1].lower())
        if found is None:
            raise UserInputError("error.bad_snapshot_kind", value=words[1][:40])
        kind = found
    if len(words) > 2:
        raise UserInputError("error.unexpected", value=words[2][:40])
    view = items.team_view_of(ctx, account)
    if not archive.may_handle(ctx, view):
        raise NotAllowed("error.not_your_account", team=view.team.name)
    modal = ab.snapshot_modal(
        lang, ctx.config.archive, account, kind, json.dumps({"account": account.key})
    )
    return Reply(t(lang, "new.opening"), kit.text_blocks(t(lang, "new.opening")), view=modal)


def _full_date(word: str) -> date:
    """A date with its year (2026-11-23 or 23.11.2026): exports look back, so a date without
    a year would be ambiguous."""
    nordic = NORDIC_DATE.match(word)
    with_year = bool(ISO_DATE.match(word)) or bool(nordic and nordic.group(3))
    found = parse_when([word], 0, date(2000, 1, 1)) if with_year else None
    if found is None:
        raise UserInputError("error.bad_full_date", value=word[:40])
    return found[0].start


def cmd_export(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    ctx.require_coordinator()
    if len(words) != 3 or words[0].lower() not in (
        "deletions",
        "slettinger",
        "raderingar",
        "sletting",
    ):
        raise UserInputError("error.export_usage")
    start, end = _full_date(words[1]), _full_date(words[2])
    if start > end:
        raise UserInputError("error.export_order")
    from bot.archive.export import deletions_csv

    content = deletions_csv(ctx.session, start, end, ctx.calendar.tz)
    rows = max(len(list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))) - 1, 0)
    name = f"deletions_{start.isoformat()}_{end.isoformat()}.csv"
    text = t(lang, "export.sent", count=rows, start=fmt_date(start, lang), end=fmt_date(end, lang))
    audit(
        ctx.session,
        actor=ctx.actor,
        action="export.deletions",
        target=name,
        now=ctx.now,
        after={"from": start.isoformat(), "to": end.isoformat(), "rows": rows},
    )
    return Reply(
        text,
        kit.text_blocks(text),
        upload=Upload(name, content, name, t(lang, "export.comment", start=start, end=end)),
    )


def cmd_help(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    return Reply(t(lang, "help.header"), b.help_blocks(lang, ctx.is_coordinator))


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    words: tuple[str, ...]


COMMANDS = (
    Command("who", cmd_who, ("who", "hvem", "vem")),
    Command("rota", cmd_rota, ("rota", "vaktliste", "schema", "turnus", "plan")),
    Command("away", cmd_away, ("away", "borte", "borta", "fravær", "frånvaro", "absent")),
    Command("back", cmd_back, ("back", "tilbake", "tillbaka")),
    Command("swap", cmd_swap, ("swap", "bytt", "byt", "byte", "bytte")),
    Command("cover", cmd_cover, ("cover", "dekk", "täck")),
    Command("uncover", cmd_uncover, ("uncover",)),
    Command("teams", cmd_teams, ("teams", "lag")),
    Command(
        "accounts",
        _lazy("bot.register.commands", "cmd_accounts"),
        ("accounts", "kontoer", "konton", "register", "registeret", "registret"),
    ),
    Command("team", cmd_team, ("team",)),
    Command("account", cmd_account, ("account", "konto")),
    Command(
        "unanswered",
        cmd_unanswered,
        ("unanswered", "ubesvart", "ubesvarte", "obesvarade", "obesvarat", "open", "åpne", "öppna"),
    ),
    Command("status", cmd_status, ("status", "oversikt", "översikt", "overview")),
    Command("new", cmd_new, ("new", "ny", "nytt", "nyhenvendelse", "track")),
    Command(
        "deleted",
        cmd_deleted,
        ("deleted", "delete", "slettet", "slett", "raderad", "radera", "borttagen", "ta-bort"),
    ),
    Command(
        "snapshot",
        cmd_snapshot,
        ("snapshot", "snapshots", "øyeblikksbilde", "ögonblicksbild", "skjermbilde", "skärmbild"),
    ),
    Command(
        "request",
        _lazy("bot.requests.commands", "cmd_request"),
        ("request", "søknad", "soknad", "ansökan", "ansokan", "bestill", "beställ"),
    ),
    Command(
        "requests",
        _lazy("bot.requests.commands", "cmd_requests"),
        ("requests", "søknader", "soknader", "ansökningar", "ansokningar"),
    ),
    Command(
        "posted",
        _lazy("bot.activity.commands", "cmd_posted"),
        ("posted", "post", "postet", "publisert", "publicerat", "publicerad", "postat"),
    ),
    Command(
        "flags",
        _lazy("bot.lifecycle.commands", "cmd_flags"),
        ("flags", "flagg", "flagga", "flaggor", "flagget"),
    ),
    Command("export", cmd_export, ("export", "eksport", "eksporter", "exportera")),
    Command(
        "calendar",
        _lazy("bot.feeds.commands", "cmd_calendar"),
        ("calendar", "kalender", "kalendar", "ical"),
    ),
    Command(
        "report",
        _lazy("bot.report.commands", "cmd_report"),
        ("report", "rapport", "ukerapport", "veckorapport", "weekly"),
    ),
    Command("help", cmd_help, ("help", "hjelp", "hjälp", "?")),
)
BY_WORD = {word: command for command in COMMANDS for word in command.words}


def find(word: str) -> Command | None:
    """The subcommand a word names, in any of the three languages."""
    return BY_WORD.get(word.lower())


def check_allowed(ctx: Ctx, command: Command) -> None:
    """Coordinator-only subcommands are refused before anything is parsed."""
    if command.name in ("cover", "uncover", "export") and not ctx.is_coordinator:
        raise NotAllowed("error.coordinators_only")


__all__ = ["COMMANDS", "Command", "Reply", "check_allowed", "find", "unanswered_page"]
