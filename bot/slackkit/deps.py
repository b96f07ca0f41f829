"""What listeners are given: the dependencies built once by the composition root, the
reader's language and a transaction per action."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.kernel.calendar import WorkCalendar
from bot.kernel.config import OrgConfig
from bot.kernel.context import Ctx, open_ctx
from bot.kernel.i18n import language_of_locale
from bot.kernel.links import FeedKeys
from bot.slackkit.early import BUDGET
from bot.slackkit.gateway import Identity, SlackGateway
from bot.store.db import session_scope
from bot.store.models import Person

LOCALE_TTL = timedelta(days=7)
# Languages remembered in the process for answers that must not wait on the database or Slack
# (a "busy" answer under load): a municipality's people fit many times over.
KNOWN_LANGUAGES = 10_000
# Told that an account's final snapshot is archived (account id, when, by whom): the lifecycle
# may then finish the account's closure.
FinalSnapshotHook = Callable[["Deps", int, datetime, str], None]


@dataclass
class Deps:
    """Everything the listeners need, built once by the composition root."""

    config: OrgConfig
    calendar: WorkCalendar
    engine: Engine
    client: WebClient
    gateway: SlackGateway
    clock: Callable[[], datetime]
    identity: Identity | None = None  # asked of Slack once (auth.test)
    archive_dir: Path = Path("data/archive")
    bot_token: str | None = None  # for downloading files shared with Vakt
    download_deadline: float = 120.0  # seconds one such download may take in all
    final_snapshot_hooks: tuple[FinalSnapshotHook, ...] = ()
    feed_keys: FeedKeys | None = None  # calendar links (HTTP mode with a public URL)
    # What the composition root built for one feature's listeners (the platform connector), by
    # the feature's name.
    services: dict[str, object] = field(default_factory=dict)
    # The language each person was last answered in, by Slack user id (see `known_language`).
    languages: dict[str, str] = field(default_factory=dict)
    # Each person's Slack locale and when it was asked of Slack, as stored in `person` (see
    # `user_language`): a command needs neither the database nor Slack to know its language.
    locales: dict[str, tuple[str | None, datetime]] = field(default_factory=dict)
    # Seconds from a command's arrival during which its answer may still go in the ack
    # (bot.slackkit.early); past them it goes to the response_url. 0: always there.
    answer_in_ack_within: float = BUDGET

    def bot_identity(self) -> Identity:
        """Who Vakt is in Slack: to recognise (and skip) its own messages, and to serve its
        own workspace only. Asked once; SlackSendError while Slack cannot say."""
        if self.identity is None:
            self.identity = self.gateway.identity()
        return self.identity

    def final_snapshot_archived(self, account_id: int, now: datetime, actor: str = "vakt") -> None:
        """Tell the features that care that an account's final snapshot is archived."""
        for hook in self.final_snapshot_hooks:
            hook(self, account_id, now, actor)


def user_language(deps: Deps, user: str, now: datetime) -> str:
    """The reader's language: their Slack locale (asked of Slack once a week and kept in the
    database and in the process), else the organisation's."""
    known = deps.locales.get(user)
    if known is not None and timedelta(0) <= now - known[1] < LOCALE_TTL:
        return _remember(deps, user, language_of_locale(known[0], deps.config.language))
    with session_scope(deps.engine) as session:
        person = session.get(Person, user)
        if person is not None and now - person.fetched_at < LOCALE_TTL:
            _keep_locale(deps, user, person.locale, person.fetched_at)
            return _remember(deps, user, language_of_locale(person.locale, deps.config.language))
    locale, name = deps.gateway.user_profile(user)
    try:
        with session_scope(deps.engine) as session:
            person = session.get(Person, user) or Person(user_id=user, fetched_at=now)
            person.locale, person.fetched_at = locale, now
            person.name = name or person.name
            session.add(person)
    except sa.exc.IntegrityError:
        pass  # a concurrent request by the same person stored it first: same answer
    _keep_locale(deps, user, locale, now)
    return _remember(deps, user, language_of_locale(locale, deps.config.language))


def _keep_locale(deps: Deps, user: str, locale: str | None, fetched_at: datetime) -> None:
    known = deps.locales
    if user not in known and len(known) >= KNOWN_LANGUAGES:
        known.clear()  # past any municipality's size: start over rather than grow
    known[user] = (locale, fetched_at)


def _remember(deps: Deps, user: str, lang: str) -> str:
    known = deps.languages
    if user not in known and len(known) >= KNOWN_LANGUAGES:
        known.clear()  # past any municipality's size: start over rather than grow
    known[user] = lang
    return lang


def known_language(deps: Deps, user: str | None) -> str:
    """The language this process last answered `user` in, else the organisation's: without
    the database or Slack, for answers that must go out at once."""
    return deps.languages.get(user or "", deps.config.language)


@contextmanager
def request_ctx(deps: Deps, actor: str, now: datetime) -> Iterator[Ctx]:
    """One transaction for one user action: committed on success, rolled back on any error."""
    with open_ctx(deps.engine, deps.config, deps.calendar, actor, now, deps.feed_keys) as ctx:
        yield ctx


def acting(deps: Deps, body: dict[str, Any]) -> tuple[str, datetime, str]:
    """Who pressed a button or submitted a form, when (now), and the language to answer them
    in: every listener's first line."""
    now = deps.clock()
    user = str(body["user"]["id"])
    return user, now, user_language(deps, user, now)
