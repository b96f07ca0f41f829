"""HTTP mode under gunicorn: migrate once in the master, then each worker builds its own runtime."""

from __future__ import annotations

import os
from typing import Any

from gunicorn.app.base import BaseApplication

from bot.settings import Settings


class VaktServer(BaseApplication):
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        # Runs in each worker after the fork: its own connections, scheduler and Bolt app.
        from bot.runtime import build_runtime
        from bot.scheduler import start_scheduler
        from bot.web import WebApp

        runtime = build_runtime(self.settings)
        app = runtime.app(signing_secret=self.settings.require_signing_secret())
        start_scheduler(runtime)
        return WebApp(app, runtime.deps, intake_token=self.settings.intake_token)


def serve(settings: Settings, *, workers: int | None = None) -> int:
    """Migrate and apply the configuration, then serve Slack on PORT until stopped."""
    from bot.cli import _check_slack
    from bot.runtime import build_runtime, prepare_database

    runtime = build_runtime(settings)
    _check_slack(runtime)
    prepare_database(runtime)
    runtime.engine.dispose()
    options = {
        "bind": f"0.0.0.0:{settings.port}",
        "workers": workers or int(os.environ.get("WEB_CONCURRENCY", "1")),
        "worker_class": "gthread",
        "threads": 8,
        "timeout": 30,
        "accesslog": "-",
        # Slack's signature headers are logged by nobody: the access log shows only the path.
        "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(L)ss',
    }
    VaktServer(settings, options).run()
    return 0
