"""APScheduler only triggers: one interval job that runs the sweep as of the wall clock."""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.runtime import Runtime

log = logging.getLogger(__name__)


def start_scheduler(runtime: Runtime) -> BackgroundScheduler:
    """Run the sweep every few minutes in the organisation's time zone, starting now."""
    scheduler = BackgroundScheduler(timezone=runtime.config.timezone)

    def tick() -> None:
        if runtime.stopping.is_set():
            return
        try:
            result = runtime.sweep()
        except Exception:
            # The database is down or a bug: logged, and the next tick tries again.
            log.exception("the sweep failed")
            return
        if result.recorded or any(result.delivery.values()):
            log.info("sweep: %d recorded, delivery %s", len(result.recorded), result.delivery)

    scheduler.add_job(
        tick,
        IntervalTrigger(minutes=runtime.config.schedule.sweep_minutes),
        id="vakt-sweep",
        name="Vakt sweep",
        replace_existing=True,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
        next_run_time=runtime.deps.clock(),
    )
    scheduler.start()
    return scheduler


def stop_scheduler(runtime: Runtime, scheduler: BackgroundScheduler) -> None:
    """Graceful stop (SIGTERM): the sweep running now sends the message in flight and starts
    nothing more; wait for it, start no other."""
    runtime.stopping.set()
    if scheduler.running:
        scheduler.shutdown(wait=True)
    log.info("scheduler stopped")


def every(
    scheduler: BackgroundScheduler, seconds: float, job_id: str, job: Callable[[], object]
) -> None:
    """Run `job` every `seconds` (one at a time; a run missed while busy is not made up)."""
    scheduler.add_job(
        job,
        IntervalTrigger(seconds=seconds),
        id=job_id,
        replace_existing=True,
        max_instances=1,
        coalesce=True,
    )
