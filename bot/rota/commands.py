"""The rota's `/vakt` subcommands: who is on duty, the plan, absences, swaps, covers and
team administration. Each parses the words, calls one service and renders the reply."""

from __future__ import annotations

from typing import Any

from bot.kernel.context import Ctx
from bot.kernel.errors import UserInputError
from bot.kernel.i18n import fmt_date, fmt_range, t
from bot.kernel.parse import (
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
from bot.slackkit.router import Action, Command, Reply


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


# `/vakt team <word> <key> ...`: the words for each change to a team, in nb, sv and en.
TEAM_WORDS: dict[str, tuple[str, ...]] = {
    "new": ("new", "ny", "add"),
    "members": ("members", "medlemmer", "medlemmar"),
    "channel": ("channel", "kanal"),
    "manager": ("manager", "leder", "chef"),
    "rotation": ("rotation", "rotasjon", "turnus"),
    "intake": ("intake", "innboks", "inkorg"),
    "name": ("name", "navn", "namn", "rename"),
}
# `/vakt team rotation <key> weekly|daily`: a week or a working day on duty at a time.
ROTATION_WORDS = {
    **dict.fromkeys(("weekly", "ukentlig", "ukesvis", "veckovis"), "weekly"),
    **dict.fromkeys(("daily", "daglig", "dagvis"), "daily"),
}
# `/vakt team intake <key> off`: no intake channel.
OFF_WORDS = ("off", "av", "ingen", "none")


def cmd_team(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    if not words:
        return cmd_teams(ctx, lang, words)
    ctx.require_coordinator()
    action = words[0].lower()
    if len(words) < 2:
        raise UserInputError("error.missing_team_key")
    key, args = words[1], words[2:]
    if action in TEAM_WORDS["new"]:
        team = rota.create_team(ctx, key, " ".join(args))
        return _reply(t(lang, "team.created", name=team.name, key=team.key))
    if action in TEAM_WORDS["members"]:
        users, rest = _split_mentions(args)
        _unknown_mention(rest)
        if rest:
            raise UserInputError("error.unexpected", value=rest[0])
        team = rota.set_team_members(ctx, key, users)
        members = ", ".join(f"<@{u}>" for u in users)
        return _reply(t(lang, "team.members_set", name=team.name, members=members))
    if action in TEAM_WORDS["channel"]:
        channel = channel_id(args[0]) if len(args) == 1 else None
        if channel is None:
            raise UserInputError("error.channel_needed")
        team = rota.set_team_channel(ctx, key, channel)
        return _reply(t(lang, "team.channel_set", name=team.name, channel=channel))
    if action in TEAM_WORDS["manager"]:
        users, rest = _split_mentions(args)
        _unknown_mention(rest)
        if len(users) != 1 or rest:
            raise UserInputError("error.one_person")
        team = rota.set_team_manager(ctx, key, users[0])
        return _reply(t(lang, "team.manager_set", name=team.name, manager=users[0]))
    if action in TEAM_WORDS["rotation"]:
        if not args:
            raise UserInputError("error.bad_rotation", value="")
        start = None
        if len(args) > 1:
            when = parse_when(args, 1, ctx.today)
            if when is None:
                raise UserInputError("error.bad_date", value=args[1])
            start = when[0].start
        rotation = ROTATION_WORDS.get(args[0].lower(), args[0].lower())
        team = rota.set_team_rotation(ctx, key, rotation, start)
        return _reply(
            t(
                lang,
                "team.rotation_set",
                name=team.name,
                rotation=t(lang, f"rota.rotation_{team.rotation}"),
                start=fmt_date(team.start, lang),
            )
        )
    if action in TEAM_WORDS["intake"]:
        channel = _intake_channel(args)
        team = rota.set_team_intake(ctx, key, channel)
        return _reply(_intake_text(lang, team.name, channel))
    if action in TEAM_WORDS["name"]:
        team = rota.rename_team(ctx, key, " ".join(args))
        return _reply(t(lang, "team.renamed", name=team.name, key=team.key))
    raise UserInputError("error.unknown_team_action", value=action)


def _intake_channel(args: list[str]) -> str | None:
    if len(args) == 1 and args[0].lower() in OFF_WORDS:
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


def account_intake(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    """`/vakt account intake <key> <#channel|off>`."""
    ctx.require_coordinator()
    if len(words) < 2:
        raise UserInputError("error.intake_channel_needed")
    channel = _intake_channel(words[1:])
    account = rota.set_account_intake(ctx, words[0], channel)
    return _reply(_intake_text(lang, account.name, channel))


def account_create(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    """`/vakt account add <key> <platform> <team> <url> <name>`: an account in one line."""
    ctx.require_coordinator()
    key, platform, team_key, url, *name = words
    account = rota.create_account(ctx, key, platform, team_key, url, " ".join(name))
    return _reply(t(lang, "account.created", name=account.name, key=account.key, team=team_key))


COMMANDS = (
    Command("who", ("who", "hvem", "vem"), cmd_who),
    Command("rota", ("rota", "vaktliste", "schema", "turnus", "plan"), cmd_rota),
    Command("away", ("away", "borte", "borta", "fravær", "frånvaro", "absent"), cmd_away),
    Command("back", ("back", "tilbake", "tillbaka"), cmd_back),
    Command("swap", ("swap", "bytt", "byt", "byte", "bytte"), cmd_swap),
    Command("cover", ("cover", "dekk", "täck"), cmd_cover, coordinators_only=True),
    Command(
        "uncover",
        ("uncover", "fjern-inhopp", "ta-bort-inhopp"),
        cmd_uncover,
        coordinators_only=True,
    ),
    Command("teams", ("teams", "lag"), cmd_teams),
    Command("team", ("team",), cmd_team),
)
# `/vakt account` is the register's; these words after it are the rota's.
ACTIONS = (
    Action("account", ("intake", "innboks", "inkorg"), account_intake),
    Action("account", ACCOUNT_ADD, account_create, min_words=5),
)
