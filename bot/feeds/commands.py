"""`/vakt calendar`: a person's private calendar links."""

from __future__ import annotations

from bot.feeds import service as feeds
from bot.kernel.context import Ctx
from bot.kernel.errors import UserInputError
from bot.kernel.i18n import t
from bot.kernel.parse import user_id
from bot.slackkit.blocks import text_blocks
from bot.slackkit.router import Command, Reply

# `/vakt calendar new`: revoke the link and make another (nb, sv, en).
RENEW_WORDS = frozenset(
    (
        "new",
        "reset",
        "renew",
        "ny",
        "nytt",
        "nye",
        "tilbakestill",
        "förnya",
        "återställ",
        "nollställ",
    )
)
# `/vakt calendar revoke [@person]`: kill a link without a new one.
REVOKE_WORDS = frozenset(
    ("revoke", "off", "stop", "tilbakekall", "trekk", "stopp", "återkalla", "stoppa", "av")
)


def _reply(text: str) -> Reply:
    return Reply(text, text_blocks(text))


def _links_text(lang: str, links: feeds.Links) -> str:
    lines = [
        t(lang, "calendar.new_link" if links.created else "calendar.your_link"),
        f"`{links.person}`",
    ]
    if links.teams:
        lines.append(t(lang, "calendar.team_links"))
        lines.extend(f"• {view.team.name}: `{url}`" for view, url in links.teams)
    lines += ["", t(lang, "calendar.how"), t(lang, "calendar.private")]
    return "\n".join(lines)


def cmd_calendar(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    """`/vakt calendar [new | revoke [@person]]`: the user's calendar links, a new link, or
    (coordinators, for someone else) a link revoked."""
    first = words[0].lower() if words else None
    if first in REVOKE_WORDS:
        rest = words[1:]
        if len(rest) > 1 or (rest and user_id(rest[0]) is None):
            raise UserInputError("error.unexpected", value=rest[-1][:40])
        target = user_id(rest[0]) if rest else ctx.actor
        assert target is not None
        count = feeds.revoke(ctx, target)
        if target == ctx.actor:
            return _reply(t(lang, "calendar.revoked_own" if count else "calendar.none_own"))
        return _reply(t(lang, "calendar.revoked" if count else "calendar.none", user=target))
    if first is not None and (first not in RENEW_WORDS or len(words) > 1):
        raise UserInputError("error.unexpected", value=words[-1][:40])
    keys = ctx.feed_keys
    if keys is None:
        return _reply(t(lang, "calendar.off"))
    links = feeds.renew(ctx, keys) if first in RENEW_WORDS else feeds.my_links(ctx, keys)
    return _reply(_links_text(lang, links))


COMMANDS = (Command("calendar", ("calendar", "kalender", "kalendar", "ical"), cmd_calendar),)
