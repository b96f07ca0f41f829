"""Archiving reminders: incomplete deletions (a daily digest to whoever logged them, the
coordinators after N working days), snapshots falling due, and the yearly guideline review;
and the fetching of shared files into the archive, retried until it succeeds or is reported.

Everything goes out at the first reminder time of the day, in office hours, keyed per day and
recipient in the outbox, so a second sweep, a restart or a second replica sends nothing twice.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.archive import blocks as ab
from bot.archive import core
from bot.archive import service as archive
from bot.archive.files import Downloader, Outcome, Slack, due_fetches, run_fetch
from bot.archive.messages import fetch_notice
from bot.items.core import age_working_days
from bot.kernel.audience import coordinator_targets, lang_for
from bot.kernel.calendar import WorkCalendar
from bot.kernel.config import OrgConfig
from bot.kernel.context import Ctx
from bot.kernel.i18n import t
from bot.kernel.slots import daily_slot
from bot.rota import core as rota
from bot.rota.teams import absences_from, all_teams, overrides_from
from bot.slackkit import blocks as kit
from bot.slackkit.gateway import SlackSendError
from bot.slackkit.outbox import Message, enqueue
from bot.store.db import session_scope
from bot.store.models import Account, Deletion, Snapshot

log = logging.getLogger(__name__)
DIGEST_ROWS = 20


def _slot(calendar: WorkCalendar, config: OrgConfig, now: datetime) -> tuple[str, datetime] | None:
    return daily_slot(calendar, config, now)


def _coordinator_targets(config: OrgConfig) -> list[str]:
    return coordinator_targets(config)


def deletion_job(
    session: Session, config: OrgConfig, calendar: WorkCalendar, now: datetime
) -> list[Message]:
    """Each person's incomplete deletions once a day; the coordinators hear of those still
    incomplete after `escalate_after_working_days`."""
    slot = _slot(calendar, config, now)
    if slot is None:
        return []
    day, midnight = slot
    rules = config.archive
    rows = archive.incomplete(session, logged_before=midnight)
    if not rows:
        return []
    accounts = {a.id: a for a in session.exec(select(Account)).all()}
    with_files = archive.with_evidence_files(session, [d.id for d in rows if d.id is not None])
    by_logger: dict[str, list[tuple[Deletion, Account, list[core.Step]]]] = defaultdict(list)
    late: list[tuple[Deletion, Account, list[core.Step]]] = []
    for deletion in rows:
        account = accounts[deletion.account_id]
        missing = core.missing_steps(
            rules, archive.state_of(deletion, has_files=deletion.id in with_files)
        )
        if not missing:
            continue  # complete under today's rules (the settings changed since it was logged)
        row = (deletion, account, missing)
        by_logger[deletion.logged_by].append(row)
        if age_working_days(calendar, deletion.logged_at, now) >= rules.escalate_after_working_days:
            late.append(row)
    messages: list[Message] = []
    for user, mine in sorted(by_logger.items()):
        lang = lang_for(session, config, user)
        text, blocks = ab.deletion_digest(lang, calendar, mine[:DIGEST_ROWS], len(mine))
        messages.append(
            Message(
                key=f"deletions:{user}:{day}",
                kind="deletion_digest",
                channel=user,
                text=text,
                blocks=blocks,
            )
        )
    if late:
        for target in _coordinator_targets(config):
            lang = (
                lang_for(session, config, target) if target[:1] in ("U", "W") else config.language
            )
            text, blocks = ab.deletion_escalation(
                lang, calendar, late[:DIGEST_ROWS], len(late), rules.escalate_after_working_days
            )
            messages.append(
                Message(
                    key=f"deletions-escalation:{target}:{day}",
                    kind="deletion_escalation",
                    channel=target,
                    text=text,
                    blocks=blocks,
                )
            )
    return [m for m in messages if enqueue(session, m, now)]


def snapshot_job(
    session: Session, config: OrgConfig, calendar: WorkCalendar, now: datetime
) -> list[Message]:
    """Ask the on-duty administrator of an account's team for its snapshot when it falls due,
    and again each week until one is archived."""
    slot = _slot(calendar, config, now)
    if slot is None:
        return []
    today = calendar.local_date(now)
    plans = [
        p
        for p in archive.plans(session, config.archive.snapshot_months, calendar)
        if p.due is not None
    ]
    if not plans:
        return []
    views = {v.team.id: v for v in all_teams(session)}
    absences = absences_from(session, today)
    overrides = overrides_from(session, today)
    messages: list[Message] = []
    for plan in plans:
        assert plan.due is not None
        reminder = core.snapshot_reminder_day(calendar, plan.due, today)
        if reminder is None:
            continue
        view = views[plan.account.team_id]
        duty = rota.duty_at(view.rota, now, calendar, absences, overrides) if view.members else None
        recipient = (duty.primary if duty else None) or view.team.manager or view.team.channel
        if recipient is None:
            log.warning("snapshot of %s is due but its team has nobody to ask", plan.account.key)
            continue
        lang = (
            lang_for(session, config, recipient) if recipient[:1] in ("U", "W") else config.language
        )
        text, blocks = ab.snapshot_reminder(lang, plan, config.archive)
        messages.append(
            Message(
                key=f"snapshot:{plan.account.id}:{plan.due.isoformat()}:{reminder.isoformat()}",
                kind=archive.SNAPSHOT_KIND,
                channel=recipient,
                text=text,
                blocks=blocks,
            )
        )
    return [m for m in messages if enqueue(session, m, now)]


def review_job(
    session: Session, config: OrgConfig, calendar: WorkCalendar, now: datetime
) -> list[Message]:
    """KG7: once a year, on the configured day, the coordinators are reminded to review the
    social media guideline."""
    month_day = config.archive.review_date
    slot = _slot(calendar, config, now)
    if month_day is None or slot is None:
        return []
    today = calendar.local_date(now)
    # A review day on 31 December may move into the next year: that is last year's review.
    year = next(
        (
            y
            for y in (today.year, today.year - 1)
            if core.review_day(calendar, y, month_day) == today
        ),
        None,
    )
    if year is None:
        return []
    messages: list[Message] = []
    for target in _coordinator_targets(config):
        lang = lang_for(session, config, target) if target[:1] in ("U", "W") else config.language
        text = t(lang, "review.reminder", year=year, org=config.name)
        messages.append(
            Message(
                key=f"review:{year}:{target}",
                kind="guideline_review",
                channel=target,
                text=text,
                blocks=kit.text_blocks(text),
            )
        )
    return [m for m in messages if enqueue(session, m, now)]


# ---------------------------------------------------------------- fetching files


class Checklists:
    """Updates a deletion's checklist message in place (chat.update) after a change."""

    def __init__(self, engine: Engine, config: OrgConfig, calendar: WorkCalendar, gateway: object):
        self.engine, self.config, self.calendar, self.gateway = engine, config, calendar, gateway

    def refresh(self, deletion_id: int, now: datetime) -> None:
        with session_scope(self.engine) as session:
            ctx = Ctx(session, self.config, self.calendar, now, "vakt")
            where = archive.checklist_location(session, deletion_id)
            if where is None:
                return
            text, blocks = archive.checklist_content(ctx, archive.view_of(ctx, deletion_id))
        try:
            self.gateway.update_message(where[0], where[1], text, blocks)  # type: ignore[attr-defined]
        except SlackSendError as exc:
            log.info("checklist of deletion %s not updated: %s", deletion_id, exc.code)


def fetch_files(
    engine: Engine,
    config: OrgConfig,
    calendar: WorkCalendar,
    slack: Slack,
    download: Downloader,
    archive_dir: Path,
    now: datetime,
    fetch_ids: list[int] | None = None,
    on_final: Callable[[int, datetime], None] | None = None,
) -> list[Outcome]:
    """Fetch the given files (default: every fetch that is due) into the archive, and show
    the result on the deletions' checklists."""
    todo = fetch_ids if fetch_ids is not None else due_fetches(engine, now)
    notice = fetch_notice(config)
    outcomes = [
        run_fetch(engine, slack, download, archive_dir, config.archive, fetch_id, now, notice)
        for fetch_id in todo
    ]
    if on_final is not None:
        for account_id in final_snapshot_accounts(engine, outcomes):
            on_final(account_id, now)
    checklists = Checklists(engine, config, calendar, slack)
    for deletion_id in sorted(
        {
            int(o.target.split(":")[1])
            for o in outcomes
            if o.status == "done" and o.target.startswith("deletion:")
        }
    ):
        checklists.refresh(deletion_id, now)
    return outcomes


def final_snapshot_accounts(engine: Engine, outcomes: list[Outcome]) -> list[int]:
    """The accounts whose final snapshot's file was just archived: that may complete the
    account's closure (NB6)."""
    snapshot_ids = {
        int(o.target.split(":")[1])
        for o in outcomes
        if o.status == "done" and o.target.startswith("snapshot:")
    }
    if not snapshot_ids:
        return []
    with session_scope(engine) as session:
        accounts = sorted(
            {
                s.account_id
                for s in session.exec(
                    select(Snapshot).where(
                        col(Snapshot.id).in_(snapshot_ids), Snapshot.kind == core.SnapshotKind.FINAL
                    )
                ).all()
            }
        )
    return accounts
