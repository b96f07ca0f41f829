"""Running the jobs as of an instant: what the scheduler and `vakt sweep --at` both call."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.features import FEATURES
from bot.kernel.calendar import WorkCalendar
from bot.kernel.config import OrgConfig
from bot.slackkit.feature import Job
from bot.slackkit.outbox import Message, Sender, deliver

log = logging.getLogger(__name__)
RACE_ATTEMPTS = 3

# Every scheduled job, by a stable name. Each decides for itself what is due at `now`.
JOBS: dict[str, Job] = {name: job for feature in FEATURES for name, job in feature.jobs}


@dataclass
class SweepResult:
    recorded: list[Message] = field(default_factory=list)
    delivery: dict[str, int] = field(default_factory=dict)
    failed_jobs: list[str] = field(default_factory=list)


def run_jobs(
    engine: Engine,
    config: OrgConfig,
    calendar: WorkCalendar,
    now: datetime,
    *,
    dry_run: bool = False,
    only: list[str] | None = None,
    stop: threading.Event | None = None,
) -> SweepResult:
    """Run every job as of `now`, each in its own transaction; a dry run records nothing.
    `stop` set (SIGTERM) starts no further job."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    result = SweepResult()
    for name, job in JOBS.items():
        if only and name not in only:
            continue
        if stop is not None and stop.is_set():
            break
        for attempt in range(1, RACE_ATTEMPTS + 1):
            try:
                result.recorded.extend(_run_one(engine, job, config, calendar, now, dry_run))
                break
            except (sa.exc.IntegrityError, sa.exc.OperationalError) as exc:
                # Another replica ran the same job at the same instant (a unique key it
                # recorded first), a deadlock or a locked SQLite: run it again on what the
                # database holds now, where the other's work shows and is not redone.
                if attempt < RACE_ATTEMPTS:
                    log.info("job %s raced or the database was busy (%s): again", name, _brief(exc))
                    time.sleep(0.05 * attempt)
                    continue
                log.exception("job %s failed at %s", name, now.isoformat())
                result.failed_jobs.append(name)
            except Exception:
                # One broken job must not stop the others; it is logged with its traceback and
                # runs again on the next sweep, its work unrecorded.
                log.exception("job %s failed at %s", name, now.isoformat())
                result.failed_jobs.append(name)
                break
    return result


def _brief(exc: sa.exc.DBAPIError) -> str:
    return type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__


def _run_one(
    engine: Engine,
    job: Job,
    config: OrgConfig,
    calendar: WorkCalendar,
    now: datetime,
    dry_run: bool,
) -> list[Message]:
    """One job in one transaction: all of its work is recorded, or none."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            messages = job(session, config, calendar, now)
            if dry_run:
                session.rollback()
            else:
                session.commit()
        except BaseException:
            session.rollback()
            raise
    return messages


def sweep(
    engine: Engine,
    config: OrgConfig,
    calendar: WorkCalendar,
    sender: Sender | None,
    now: datetime,
    *,
    dry_run: bool = False,
    fetch: Callable[[datetime], object] | None = None,
    stop: threading.Event | None = None,
    homes: Callable[[datetime], object] | None = None,
    platforms: Callable[[datetime], object] | None = None,
) -> SweepResult:
    """Run the jobs, retry the files waiting to be archived (`fetch`), then send whatever the
    outbox holds that is due. Every replica may run this at the same instant: each message is
    recorded once (unique keys) and sent once (locked or claimed rows).

    `platforms` first (Facebook and Instagram read, what they reported taken), so that a
    question answered on the platform is not reminded of."""
    failed: list[str] = []
    if not dry_run and platforms is not None:
        try:
            platforms(now)
        except Exception:
            log.exception("reading the platforms failed at %s", now.isoformat())
            failed.append("platforms")
    result = run_jobs(engine, config, calendar, now, dry_run=dry_run, stop=stop)
    result.failed_jobs[:0] = failed
    if stop is not None and stop.is_set():
        return result
    if not dry_run and fetch is not None:
        try:
            fetch(now)
        except Exception:
            log.exception("fetching files into the archive failed at %s", now.isoformat())
            result.failed_jobs.append("files")
    if not dry_run and sender is not None:
        result.delivery = deliver(engine, sender, now, stop=stop)
    if not dry_run and homes is not None and not (stop is not None and stop.is_set()):
        try:
            homes(now)
        except Exception:
            # A home tab is a view of what the database holds: the next sweep publishes it.
            log.exception("refreshing the home tabs failed at %s", now.isoformat())
            result.failed_jobs.append("homes")
    return result
