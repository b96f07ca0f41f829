"""HTTP mode under gunicorn: migrate once in the master, then each worker builds its own runtime."""

from __future__ import annotations

import logging
import os
from typing import Any

from gunicorn.app.base import BaseApplication

from bot.settings import Settings
from bot.slackkit.shed import ShedLimits
from bot.web.httpworker import HttpLimits

log = logging.getLogger(__name__)
LISTENER_THREADS = 8
REQUEST_THREADS = 8  # per worker: they run the app once a request has been read whole
# A command (or a form's submission) is answered "busy" (bot.slackkit.shed) when this many
# listeners are running or queued: one queued behind them is acked only once one of them is
# done. When a command held its thread until its answer was POSTed to the response_url (50 ms
# of CPU a command), `python -m bot.bench.load --duration 5` gave, by limit, the ack p99 at 50
# and at 200 connections: 16 (a queue as long as the pool) 1.86 s at 50; 8 (the whole pool)
# 0.71 s, 2.45 s; 6: 0.50 s, 1.29 s; 4: 0.43 s, 1.13 s – so it was six. Since an answer goes in
# the ack (bot.slackkit.early, a command 5 ms of CPU), the same benchmark (wrk, 12 s) at 50
# connections: 6 ran 157 commands a second and answered 6,280 "busy" (each busy answer's CPU
# starving the commands, so the backlog stayed at the limit), ack p99 310 ms; 8 ran 218 a second
# and none "busy", p99 563 ms; 16 220 a second, p99 458 ms. So the whole pool: a command
# accepted starts at once, none waits in a queue; events and presses queue behind at most eight
# commands of a few milliseconds. A request that waited a second for a request thread is
# answered "busy" too, well within Slack's 3 seconds.
SHED_LIMITS = ShedLimits(backlog=LISTENER_THREADS, waited=1.0)
SHED_FLUSH_SECONDS = 5  # how often a worker stores its count of busy answers (for /metrics)
WORKER_CLASS = "bot.web.httpworker.BufferingWorker"


class VaktServer(BaseApplication):
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        from bot.web.intake import MAX_BODY
        from bot.web.signing import MAX_SLACK_BODY

        self.settings = settings
        self.options = options
        # Read by each worker (bot.web.httpworker): the deadlines, and as much of a body as the
        # largest limit of a route, plus one byte so that route still answers 413.
        self.http_limits = HttpLimits(
            header_timeout=settings.http_header_timeout,
            body_timeout=settings.http_body_timeout,
            keep_body=max(MAX_BODY, MAX_SLACK_BODY) + 1,
        )
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        if "control_socket_disable" in self.cfg.settings:
            # gunicorn 24+ opens a control socket in ~/.gunicorn by default; Vakt uses no
            # gunicornc, and a service account's home is no place for a socket.
            self.cfg.set("control_socket_disable", True)
        worker: dict[str, Any] = {}
        self._worker = worker

        def worker_exit(_server: Any, _worker: Any) -> None:
            # SIGTERM: gunicorn has stopped taking requests and finished those in flight; the
            # sweep sends the message in flight and leaves the rest for other replicas.
            stop = worker.get("stop")
            if stop is not None:
                stop()

        self.cfg.set("worker_exit", worker_exit)

    def load(self) -> Any:
        # Runs in each worker after the fork: its own connections, scheduler and Bolt app.
        from bot.runtime import build_runtime
        from bot.scheduler import every, start_scheduler, stop_scheduler
        from bot.slackkit.gateway import SlackSendError
        from bot.slackkit.shed import CountingExecutor, Shedder
        from bot.web.app import WebApp

        runtime = build_runtime(self.settings)
        try:
            # Which workspace Vakt serves, asked before the first request (the master checked
            # that Slack answers); should Slack not answer now, the first request asks again.
            runtime.deps.bot_identity()
        except SlackSendError as exc:
            log.warning("auth.test failed at start (%s); asked again on the first request", exc)
        secret = self.settings.require_signing_secret()
        # Listeners run after their ack; Bolt's default pool (5 threads) would cap a worker at
        # five commands waiting on Slack's response_url at once. It counts its backlog: what it
        # cannot start at once is answered "busy" rather than acked too late.
        listeners = CountingExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="listener")
        shed = Shedder(runtime.deps, SHED_LIMITS, lambda: listeners.backlog)
        app = runtime.app(signing_secret=secret, listener_executor=listeners, shed=shed)
        scheduler = start_scheduler(runtime)
        every(
            scheduler,
            SHED_FLUSH_SECONDS,
            "vakt-shed-count",
            lambda: shed.tally.flush(runtime.engine),
        )

        def stop() -> None:
            stop_scheduler(runtime, scheduler)
            shed.tally.flush(runtime.engine)
            if runtime.connector is not None:
                runtime.connector.close()

        self._worker["stop"] = stop
        return WebApp(
            app,
            runtime.deps,
            intake_token=self.settings.intake_token,
            metrics_token=self.settings.metrics_token,
            signing_secret=secret,
            meta=runtime.connector,
        )


def serve(settings: Settings, *, workers: int | None = None) -> int:
    """Migrate and apply the configuration, then serve Slack on PORT until stopped."""
    from bot.logs import gunicorn_logconfig
    from bot.runtime import build_runtime, check_slack, prepare_database

    runtime = build_runtime(settings)
    check_slack(runtime)
    prepare_database(runtime)
    runtime.engine.dispose()
    options = {
        "bind": f"0.0.0.0:{settings.port}",
        "workers": workers or int(os.environ.get("WEB_CONCURRENCY", "1")),
        # Not gthread: it reads a request on one of its threads, with no deadline, so a few slow
        # clients held them all (see bot/web/httpworker.py).
        "worker_class": WORKER_CLASS,
        "threads": REQUEST_THREADS,
        "timeout": 30,
        "accesslog": "-",
        # Slack's signature headers are logged by nobody: the access log shows only the path.
        "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(L)ss',
        # ... nor the token of a calendar link, which is in its path.
        "logger_class": "bot.logs.RedactingLogger",
        # VAKT_LOG_FORMAT=json: gunicorn's own lines as JSON too (nothing to change for text).
        "logconfig_dict": gunicorn_logconfig(settings.log_level, settings.log_format),
    }
    VaktServer(settings, options).run()
    return 0
