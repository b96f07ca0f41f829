"""Calendar feeds: secret, revocable links to a person's and a team's rota as iCalendar.

A link's token is derived, not stored: HMAC-SHA256 of the server's secret over the user id and
a random nonce. The database keeps the nonce and a SHA-256 of the token (for the lookup), so
the link can be shown to its owner again, while a copy of the database alone opens no feed.
Changing the secret (`VAKT_FEED_SECRET`) replaces every link at once. Revoking a link sets
`revoked_at`; asking again issues a new nonce and so a new link.

Calendar apps fetch the feeds, not people: texts are in the organisation's language.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from urllib.parse import quote, urlsplit

from sqlmodel import Session, col, select

from bot.feeds import core as ical
from bot.kernel.calendar import WorkCalendar
from bot.kernel.config import OrgConfig
from bot.kernel.context import Ctx
from bot.kernel.i18n import plain
from bot.kernel.links import FeedKeys
from bot.rota.teams import TeamView, absences_from, all_teams, overrides_from, team_views
from bot.store.models import CalendarFeed, Person

# Four weeks back keeps last month's duties in people's calendars (apps drop events that leave
# a subscribed feed); 26 weeks ahead is as far as `/vakt rota` plans, about one half-year of
# holidays and absences already registered.
WEEKS_BACK = 4
WEEKS_AHEAD = 26
TOKEN_LENGTH = 32  # base64url characters: 192 bits of the HMAC
# A fetch records `last_fetched_at` at most this often: calendar apps poll every hour or more,
# and a write per poll would be a write per poll.
FETCH_RECORD_EVERY = timedelta(hours=1)
# How long a fetched feed may be cached by the app and proxies in between (private: per link).
MAX_AGE = 15 * 60
PREFIX = "/calendar/"
CONTENT_TYPE = "text/calendar; charset=utf-8"

_TOKEN = re.compile(rf"[A-Za-z0-9_-]{{{TOKEN_LENGTH}}}")
_PATH = re.compile(
    rf"/calendar/([A-Za-z0-9_-]{{{TOKEN_LENGTH}}})(?:/([a-z0-9][a-z0-9_-]{{0,39}}))?\.ics"
)
# Any path under /calendar/ in a log line: the token in it is a password.
_LOGGED_PATH = re.compile(r"/calendar/[^\s\"?]*", re.IGNORECASE)


@dataclass(frozen=True)
class Links:
    """A person's calendar link and those of the teams they may follow."""

    person: str
    teams: tuple[tuple[TeamView, str], ...]
    created: bool  # a new link was issued just now


def derive_token(keys: FeedKeys, user: str, nonce: str) -> str:
    """The token of a user's link: base64url(HMAC-SHA256(secret, "vakt-calendar:user:nonce"))."""
    mac = hmac.new(keys.secret, f"vakt-calendar:{user}:{nonce}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).decode()[:TOKEN_LENGTH]


def token_hash(token: str) -> str:
    """What the database keeps of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def person_url(keys: FeedKeys, token: str) -> str:
    """The link to a person's own duties."""
    return f"{keys.base_url}{PREFIX}{token}.ics"


def team_url(keys: FeedKeys, token: str, team: str) -> str:
    """The link to a team's rota, opened with a person's token."""
    return f"{keys.base_url}{PREFIX}{token}/{quote(team)}.ics"


def parse_path(path: str) -> tuple[str, str | None] | None:
    """(token, team key or None) of a feed path, None when it is not one."""
    match = _PATH.fullmatch(path)
    return (match.group(1), match.group(2)) if match else None


def redact(text: str) -> str:
    """A log line with the token of any calendar path cut out."""
    return _LOGGED_PATH.sub("/calendar/[redacted]", text)


# ---------------------------------------------------------------- links (the `/vakt` side)


def _live(session: Session, user: str) -> list[CalendarFeed]:
    return list(
        session.exec(
            select(CalendarFeed)
            .where(CalendarFeed.user_id == user, col(CalendarFeed.revoked_at).is_(None))
            .order_by(col(CalendarFeed.created_at).desc(), col(CalendarFeed.id).desc())
        ).all()
    )


def _issue(ctx: Ctx, keys: FeedKeys, user: str) -> CalendarFeed:
    nonce = secrets.token_urlsafe(24)
    feed = CalendarFeed(
        user_id=user,
        nonce=nonce,
        token_hash=token_hash(derive_token(keys, user, nonce)),
        created_at=ctx.now,
    )
    ctx.session.add(feed)
    ctx.session.flush()
    # The nonce and the hash stay out of the audit log: together with the secret they are the link.
    ctx.audit("calendar.create", user, after={"id": feed.id})
    return feed


def _revoke_all(ctx: Ctx, user: str, why: str) -> int:
    rows = _live(ctx.session, user)
    for row in rows:
        row.revoked_at, row.revoked_by = ctx.now, ctx.actor
        ctx.session.add(row)
        ctx.audit(
            "calendar.revoke",
            user,
            before={"id": row.id, "created_at": row.created_at},
            after={"reason": why},
        )
    return len(rows)


def followed_teams(ctx: Ctx, user: str) -> list[TeamView]:
    """The teams whose rota feed a person may open: their own, or every team for coordinators."""
    views = [v for v in team_views(ctx) if v.members]
    if ctx.config.is_coordinator(user):
        return views
    return [v for v in views if user in v.members]


def _links(ctx: Ctx, keys: FeedKeys, feed: CalendarFeed, created: bool) -> Links:
    token = derive_token(keys, feed.user_id, feed.nonce)
    teams = tuple((v, team_url(keys, token, v.team.key)) for v in followed_teams(ctx, ctx.actor))
    return Links(person_url(keys, token), teams, created)


def my_links(ctx: Ctx, keys: FeedKeys) -> Links:
    """The actor's links: the live one, or a new one when they have none."""
    live = _live(ctx.session, ctx.actor)
    if live:
        return _links(ctx, keys, live[0], created=False)
    return _links(ctx, keys, _issue(ctx, keys, ctx.actor), created=True)


def renew(ctx: Ctx, keys: FeedKeys) -> Links:
    """Revoke the actor's link and issue a new one (a link that was shared by mistake)."""
    _revoke_all(ctx, ctx.actor, "renewed")
    return _links(ctx, keys, _issue(ctx, keys, ctx.actor), created=True)


def revoke(ctx: Ctx, user: str) -> int:
    """Kill someone's calendar link (their own, or anyone's for coordinators); returns how
    many were live."""
    if user != ctx.actor:
        ctx.require_coordinator()
    return _revoke_all(ctx, user, "revoked")


# ---------------------------------------------------------------- the feed (the HTTP side)


def _owner(session: Session, keys: FeedKeys, token: str) -> CalendarFeed | None:
    """The live link a token belongs to. The lookup is by the token's hash, and the token
    derived again from the secret is compared in constant time, so a stale secret or a
    forged row in the database opens nothing."""
    if not _TOKEN.fullmatch(token):
        return None
    feed = session.exec(
        select(CalendarFeed).where(CalendarFeed.token_hash == token_hash(token))
    ).first()
    if feed is None or feed.revoked_at is not None:
        return None
    expected = derive_token(keys, feed.user_id, feed.nonce)
    return feed if hmac.compare_digest(expected.encode(), token.encode()) else None


def _infos(views: list[TeamView]) -> list[ical.TeamInfo]:
    return [
        ical.TeamInfo(
            rota=v.rota,
            name=v.team.name,
            channel=v.team.channel,
            accounts=tuple(a.name for a in v.accounts),
        )
        for v in views
        if v.members
    ]


def _names(session: Session, users: set[str]) -> dict[str, str]:
    """The names Slack gave the people of a feed (kept when they last used Vakt); anyone not
    seen yet is shown as @id."""
    if not users:
        return {}
    rows = session.exec(
        select(Person.user_id, Person.name).where(
            col(Person.user_id).in_(sorted(users)), col(Person.name).is_not(None)
        )
    ).all()
    return {user: name for user, name in rows if name}


def fetch(
    session: Session,
    keys: FeedKeys,
    config: OrgConfig,
    calendar: WorkCalendar,
    now: datetime,
    token: str,
    team_key: str | None = None,
) -> bytes | None:
    """The iCalendar of a link (a person's duties, or with `team_key` a team's rota); None for
    an unknown, revoked or garbled token and for a team the owner may not follow: the caller
    answers 404 to all of them alike."""
    feed = _owner(session, keys, token)
    if feed is None:
        return None
    user = feed.user_id
    views = all_teams(session)
    if team_key is not None:
        views = [
            v
            for v in views
            if v.team.key == team_key and (user in v.members or config.is_coordinator(user))
        ]
        if not views:
            return None
    today = calendar.local_date(now)
    start, end = ical.feed_range(today, WEEKS_BACK, WEEKS_AHEAD)
    # From the feed's first day, not `duty_inputs`' week: past duties show their absences too.
    # For every day from today on, these are the same absences and overrides `/vakt rota` uses.
    absences, overrides = absences_from(session, start), overrides_from(session, start)
    infos = _infos(views)
    runs = {
        info.rota.key: ical.team_runs(info.rota, start, end, calendar, absences, overrides)
        for info in infos
    }
    lang = config.language
    say = partial(plain, lang)
    domain = urlsplit(keys.base_url).hostname or "vakt"
    # Who covers may be outside the team: the names of everyone the runs show.
    shown = {
        user for team in runs.values() for run in team for user in (run.primary, run.substitute)
    }
    names = _names(session, {user for user in shown if user} | {user})
    if team_key is None:
        events = ical.person_events(user, infos, runs, say, names, domain)
        title = plain(lang, "feeds.person_calname", org=config.name)
        about = plain(lang, "feeds.person_caldesc", org=config.name)
    else:
        info = infos[0]
        events = ical.team_events(info, runs[info.rota.key], say, names, domain)
        title = plain(lang, "feeds.team_calname", team=info.name, org=config.name)
        about = plain(lang, "feeds.team_caldesc", team=info.name, org=config.name)
    body = ical.to_ical(title, about, str(calendar.tz), events, now)
    if feed.last_fetched_at is None or now - feed.last_fetched_at >= FETCH_RECORD_EVERY:
        feed.last_fetched_at = now
        session.add(feed)
    return body
