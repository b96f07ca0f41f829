"""The composition root: the only place that reads the wall clock and builds the object graph."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from slack_bolt import App
from sqlalchemy.engine import Engine

from bot.archive.files import Outcome, downloader
from bot.archive.jobs import fetch_files
from bot.features import FEATURES
from bot.home.publish import refresh_homes
from bot.kernel.config import OrgConfig, load_config
from bot.kernel.errors import StartupError
from bot.meta.connector import Connector
from bot.register.sync import apply_config
from bot.settings import Settings
from bot.slackkit.app import build_app
from bot.slackkit.deps import Deps
from bot.slackkit.gateway import SlackGateway, SlackSendError, build_client
from bot.slackkit.shed import Shedder
from bot.store.db import make_engine, migrate, session_scope, startup_lock
from bot.sweep import SweepResult, sweep

log = logging.getLogger(__name__)


def check_slack(runtime: Runtime) -> None:
    """Ask Slack who Vakt is (auth.test): a bad token or an unreachable Slack stops the start
    here. Also learns the workspace Vakt serves: requests from any other are refused."""
    try:
        runtime.deps.bot_identity()
    except SlackSendError as exc:
        raise StartupError(
            f"Slack at {runtime.settings.slack_api_url} refused or did not answer ({exc.code}); "
            "check SLACK_BOT_TOKEN and SLACK_API_URL"
        ) from None


def wall_clock() -> datetime:
    """Now, in UTC. Nothing but the composition root calls this."""
    return datetime.now(UTC)


@dataclass
class Runtime:
    settings: Settings
    config: OrgConfig
    engine: Engine
    deps: Deps
    # Set on SIGTERM: the sweep finishes the message in flight and starts nothing more.
    stopping: threading.Event = field(default_factory=threading.Event)
    connector: Connector | None = None  # Facebook and Instagram, when META_APP_SECRET is set

    def sweep(self, now: datetime | None = None, *, dry_run: bool = False) -> SweepResult:
        """Run every job as of `now` (default: the wall clock) and deliver the outbox."""
        return sweep(
            self.engine,
            self.config,
            self.deps.calendar,
            None if dry_run else self.deps.gateway,
            now or self.deps.clock(),
            dry_run=dry_run,
            fetch=self.fetch_files,
            stop=self.stopping,
            homes=None if dry_run else self.refresh_homes,
            platforms=None if dry_run or self.connector is None else self.connector.cycle,
        )

    def refresh_homes(self, now: datetime) -> int:
        """Publish the App Home tabs whose content changed since they were last published."""
        return refresh_homes(self.engine, self.config, self.deps.calendar, self.deps.gateway, now)

    def fetch_files(self, now: datetime) -> list[Outcome]:
        """Fetch the files waiting to be archived (retries of failed downloads)."""
        return fetch_files(
            self.engine,
            self.config,
            self.deps.calendar,
            self.deps.gateway,
            downloader(self.deps),
            self.deps.archive_dir,
            now,
            on_final=self.deps.final_snapshot_archived,
        )

    def app(
        self,
        *,
        signing_secret: str | None,
        listener_executor: Executor | None = None,
        shed: Shedder | None = None,
    ) -> App:
        """The Bolt app over this runtime (the executor runs listeners after their ack; `shed`
        answers "busy" for what it cannot start at once)."""
        return build_app(
            self.deps,
            FEATURES,
            signing_secret=signing_secret,
            listener_executor=listener_executor,
            shed=shed,
        )


def build_runtime(
    settings: Settings,
    config: OrgConfig | None = None,
    *,
    clock: Callable[[], datetime] = wall_clock,
    engine: Engine | None = None,
    graph_client: httpx.Client | None = None,
) -> Runtime:
    """Everything wired together; raises ConfigError for a bad configuration."""
    config = config or load_config(settings.config_path)
    engine = engine or make_engine(settings.database_url)
    client = build_client(settings.slack_bot_token, settings.slack_api_url)
    deps = Deps(
        config=config,
        calendar=config.calendar(),
        engine=engine,
        client=client,
        gateway=SlackGateway(client),
        clock=clock,
        archive_dir=settings.archive_dir,
        bot_token=settings.slack_bot_token,
        download_deadline=settings.download_deadline,
        feed_keys=settings.feed_keys(),
        final_snapshot_hooks=tuple(f.on_final_snapshot for f in FEATURES if f.on_final_snapshot),
    )
    connector = (
        Connector(
            deps,
            app_secret=settings.meta_app_secret,
            verify_token=settings.meta_verify_token,
            access_token=settings.meta_access_token,
            graph_url=settings.meta_graph_url,
            client=graph_client,
        )
        if settings.meta_app_secret
        else None
    )
    if connector is not None:
        deps.services["meta"] = connector
    return Runtime(settings=settings, config=config, engine=engine, deps=deps, connector=connector)


def apply_configuration(
    engine: Engine, config: OrgConfig, now: datetime, *, level: int = logging.DEBUG
) -> list[str]:
    """Apply the teams and accounts the file declares to the database (idempotent: a line per
    change, logged at `level`, none when it already holds them). Replicas starting together
    take turns."""
    with startup_lock(engine), session_scope(engine) as session:
        changes = apply_config(session, config, now)
    for change in changes:
        log.log(level, "configuration: %s", change)
    return changes


def prepare_database(runtime: Runtime) -> list[str]:
    """Migrate to the newest schema and apply the teams and accounts declared in the file."""
    before, after = migrate(runtime.engine)
    if before != after:
        log.info("database migrated from %s to %s", before or "empty", after)
    # A starting bot's log says what the file changed.
    changes = apply_configuration(
        runtime.engine, runtime.config, runtime.deps.clock(), level=logging.INFO
    )
    if not runtime.config.coordinators:
        log.warning(
            "%s: organisation.coordinators is empty: nobody can administer teams from Slack",
            runtime.config.path,
        )
    return changes
