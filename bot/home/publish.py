"""Publishing the App Home: a person's view rendered in their language, published on open and
refreshed after a sweep when what it shows changed (at most so often, claimed so one
replica publishes it)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.home import blocks as home_blocks
from bot.home import core
from bot.home.service import SECTIONS, Board, gather
from bot.kernel.audience import lang_for
from bot.kernel.calendar import WorkCalendar
from bot.kernel.config import OrgConfig
from bot.slackkit.gateway import SlackSendError
from bot.store.db import session_scope
from bot.store.models import (
    HomeView,
)

log = logging.getLogger(__name__)


def build_view(board: Board, user: str, lang: str, notice: str | None = None) -> dict[str, Any]:
    """A person's home view, rendered in their language."""
    return home_blocks.home_view(lang, board.calendar, gather(board, user), notice)


def show_all_view(
    session: Session,
    config: OrgConfig,
    calendar: WorkCalendar,
    user: str,
    section: str,
    lang: str,
    now: datetime,
) -> dict[str, Any]:
    """The Show all modal of one list of a person's home (KeyError: no such list)."""
    if section not in SECTIONS:
        raise KeyError(section)
    board = Board(session, config, calendar, now)
    home = gather(board, user, core.MODAL_ROWS, only=section)
    return home_blocks.show_all_modal(lang, calendar, now, section, home.section(section))


def publish_home(
    engine: Engine,
    config: OrgConfig,
    calendar: WorkCalendar,
    publisher: Publisher,
    user: str,
    lang: str,
    now: datetime,
    *,
    opened: bool = False,
    notice: str | None = None,
) -> bool:
    """Publish a person's home now (they opened it or pressed one of its buttons) and record
    it; True when Slack took it. A refusal marks it for the next refresh, never raises."""
    with session_scope(engine) as session:
        view = build_view(Board(session, config, calendar, now), user, lang, notice)
        row = session.get(HomeView, user)
        digest = core.view_hash(view)
        # Opening the tab again and again shows what Slack keeps: unchanged and published
        # moments ago, it is not sent again.
        unchanged = (
            notice is None
            and row is not None
            and row.content_hash == digest
            and not core.may_publish(row.published_at, now, core.DEBOUNCE)
        )
    if unchanged:
        _record(engine, user, now, opened=opened, digest=None, retry_at=None, keep=True)
        return True
    try:
        publisher.publish_home(user, view)
        ok, retry_at = True, None
    except SlackSendError as exc:
        log.warning("home of %s not published: %s", user, exc.code)
        ok = False
        retry_at = now + timedelta(seconds=exc.retry_after or 0)
    _record(engine, user, now, opened=opened, digest=digest if ok else None, retry_at=retry_at)
    return ok


def _record(
    engine: Engine,
    user: str,
    now: datetime,
    *,
    opened: bool,
    digest: str | None,
    retry_at: datetime | None,
    keep: bool = False,
) -> None:
    """Store that a home was opened and/or published (digest), or is to be retried (`keep`:
    neither, it stays as it was)."""
    for attempt in (1, 2):
        try:
            with session_scope(engine) as session:
                row = session.get(HomeView, user)
                if row is None:
                    row = HomeView(user_id=user, opened_at=now)
                if opened:
                    row.opened_at = now
                if digest is not None:
                    row.published_at, row.content_hash, row.dirty_at = now, digest, None
                elif not keep:
                    row.dirty_at = retry_at
                session.add(row)
            return
        except sa.exc.IntegrityError:
            if attempt == 2:
                raise  # a concurrent first visit stored it: the second try updates that row


@dataclass(frozen=True)
class _Due:
    user: str
    view: dict[str, Any]
    digest: str
    published_at: datetime | None


def _changed_homes(
    engine: Engine, config: OrgConfig, calendar: WorkCalendar, now: datetime
) -> list[_Due] | None:
    """The homes to publish now (None while Slack asked us to wait), read in one transaction:
    opened recently, last published longer than the debounce ago, content changed, those
    marked changed first, at most the budget."""
    with session_scope(engine) as session:
        rows = session.exec(
            select(HomeView).where(col(HomeView.opened_at) >= now - core.ACTIVE)
        ).all()
        if core.backing_off((r.dirty_at for r in rows), now):
            return None
        rows = sorted(
            rows,
            key=lambda r: (
                r.dirty_at is None,
                r.published_at or datetime.min.replace(tzinfo=now.tzinfo),
            ),
        )
        board = Board(session, config, calendar, now)
        due: list[_Due] = []
        for row in rows:
            if len(due) >= core.PUBLISH_BUDGET:
                break
            if not core.may_publish(row.published_at, now, core.DEBOUNCE):
                continue
            view = build_view(board, row.user_id, lang_for(session, config, row.user_id))
            digest = core.view_hash(view)
            if digest != row.content_hash:
                due.append(_Due(row.user_id, view, digest, row.published_at))
            elif row.dirty_at is not None:
                row.dirty_at = None  # looked at: nothing of theirs shows differently
                session.add(row)
    return due


def _claim(engine: Engine, due: _Due, now: datetime) -> bool:
    """Take the publish of a home for this process: another replica refreshing at the same
    moment finds published_at changed and leaves it."""
    same = (
        col(HomeView.published_at).is_(None)
        if due.published_at is None
        else col(HomeView.published_at) == due.published_at
    )
    with engine.begin() as connection:
        result = connection.execute(
            sa.update(HomeView)
            .where(col(HomeView.user_id) == due.user, same)
            .values(published_at=now)
        )
    return bool(result.rowcount)


def refresh_homes(
    engine: Engine,
    config: OrgConfig,
    calendar: WorkCalendar,
    publisher: Publisher,
    now: datetime,
) -> int:
    """Publish the home tabs whose content changed; returns how many were published.

    A 429 stops the refresh and records its Retry-After, before which no refresh publishes;
    the home stays unpublished (its old hash kept) so a later refresh sends it."""
    due = _changed_homes(engine, config, calendar, now)
    if not due:
        return 0
    published = 0
    for home in due:
        if not _claim(engine, home, now):
            continue
        try:
            publisher.publish_home(home.user, home.view)
        except SlackSendError as exc:
            with session_scope(engine) as session:
                row = session.get(HomeView, home.user)
                if row is not None:
                    row.published_at = home.published_at  # not published after all
                    if exc.permanent:
                        # No retry mends it (Home tab disabled, user gone): not again until
                        # the content changes.
                        row.content_hash = home.digest
                    else:
                        row.dirty_at = now + timedelta(seconds=exc.retry_after or 0)
                    session.add(row)
            log.warning("home of %s not published: %s", home.user, exc.code)
            if exc.permanent:
                continue
            break  # rate limited or Slack unwell: the rest wait for the next refresh
        with session_scope(engine) as session:
            row = session.get(HomeView, home.user)
            if row is not None:
                row.content_hash, row.dirty_at = home.digest, None
                session.add(row)
        published += 1
    return published


class Publisher(Protocol):
    def publish_home(self, user: str, view: dict[str, Any]) -> None: ...
