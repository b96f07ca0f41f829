"""Demo presets of `vakt console`: a municipality in a throwaway SQLite database, seeded through
Vakt's own services (configuration applied, items taken in, an absence and a deletion logged)
as of a fixed instant, with the stand-in workspace's people and channels."""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.archive import service as archive
from bot.archive.core import Reason
from bot.console.graph import StandInGraph
from bot.console.session import (
    CONSOLE_CHANNEL,
    DEMO_DIR,
    LOCALES,
    PRESETS,
    Clock,
    ConsoleSession,
    TrackingExecutor,
    Workspace,
    _settings,
    _stand_in,
    memberships,
)
from bot.items import service as items
from bot.items.core import Status
from bot.kernel.config import OrgConfig, load_config
from bot.kernel.context import Ctx
from bot.kernel.errors import VaktError
from bot.kernel.parse import DateRange
from bot.rota import service as rota
from bot.rota.core import AbsenceKind
from bot.runtime import build_runtime, prepare_database
from bot.slackkit.deps import request_ctx
from bot.slackkit.outbox import deliver


class PresetError(Exception):
    """An unknown preset name."""


def preset_files(name: str) -> tuple[Path, Path]:
    """The organisation file and the demo data of a preset."""
    if name not in PRESETS:
        raise PresetError(f"unknown preset {name!r}: choose one of {', '.join(PRESETS)}")
    return DEMO_DIR / f"{name}.toml", DEMO_DIR / f"{name}-demo.toml"


def load_demo(path: Path) -> dict[str, Any]:
    """The demo data: workspace, start instant and user, and what happened before."""
    with path.open("rb") as handle:
        return tomllib.load(handle)


def _local(text: str, tz: ZoneInfo) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz)


def seed(session: ConsoleSession, data: dict[str, Any]) -> list[str]:
    """What happened before the demo instant, recorded through the services, and the cards and
    checklists it made sent (quietly: the console starts with a clean screen). A record the
    services refuse (an --at before it happened) is left out; returns what was left out."""
    deps = session.runtime.deps
    tz = ZoneInfo(session.config.timezone)
    now = session.clock()
    skipped: list[str] = []

    def record(what: str, actor: str, action: Callable[[Ctx], object]) -> None:
        try:
            with request_ctx(deps, actor, now) as ctx:
                action(ctx)
        except VaktError as error:
            skipped.append(f"{what}: {error.key}")

    def away(ctx: Ctx, absence: dict[str, Any]) -> None:
        span = DateRange(date.fromisoformat(absence["from"]), date.fromisoformat(absence["to"]))
        kind = AbsenceKind(absence.get("kind", "vacation"))
        rota.add_absence(ctx, absence["user"], span, kind, absence.get("note"))

    for absence in data.get("absence", []):
        coordinator = session.config.coordinators[0]
        record(f"absence of {absence['user']}", coordinator, partial(away, absence=absence))

    def take_in(ctx: Ctx, item: dict[str, Any]) -> None:
        account = items.account_by_key(ctx.session, item["account"])
        items.create_item(
            ctx,
            items.NewItem(
                account=account,
                source="http",
                external_id=item["id"],
                received_at=_local(item["received"], tz),
                url=f"{account.url}/posts/{item['id']}",
                text=item.get("text"),
            ),
        )

    for item in data.get("item", []):
        record(f"item {item['id']}", "http", partial(take_in, item=item))

    def log(ctx: Ctx, deletion: dict[str, Any]) -> None:
        archive.log_deletion(
            ctx,
            archive.NewDeletion(
                account=items.account_by_key(ctx.session, deletion["account"]),
                deleted_at=_local(deletion["deleted"], tz),
                reason=Reason(deletion["reason"]).value,
                summary=deletion.get("summary"),
            ),
        )

    history = data.get("history") or {}
    hours_by_team: dict[str, list[int]] = history.get("answer_hours") or {}
    monday = now.astimezone(tz).date() - timedelta(days=now.astimezone(tz).weekday())
    teams = {team.key: team for team in session.config.teams}

    def answered(ctx: Ctx, account: Any, week: int, k: int) -> None:
        day = monday - timedelta(weeks=week) + timedelta(days=1 + k)
        received = datetime.combine(day, time(9 + 2 * k, 20), tzinfo=tz)
        hours = hours_by_team.get(account.team) or [4]
        answer = received + timedelta(hours=hours[(week * 3 + k) % len(hours)])
        created = items.create_item(
            ctx,
            items.NewItem(
                account=items.account_by_key(ctx.session, account.key),
                source="http",
                external_id=f"demo-{account.key}-{week}-{k}",
                received_at=received,
                text=None,
            ),
        )
        if answer < now and created.item.id is not None:
            items.close_item(ctx, created.item.id, Status.ANSWERED, at=answer, trusted=True)

    for week in range(int(history.get("weeks", 0)), 0, -1):
        for account in session.config.accounts:
            team = teams.get(account.team)
            actor = team.members[0] if team and team.members else "http"
            for k in range(int(history.get("per_week", 0))):
                record(
                    f"history {account.key}",
                    actor,
                    partial(answered, account=account, week=week, k=k),
                )

    for deletion in data.get("deletion", []):
        record("a deletion", deletion["by"], partial(log, deletion=deletion))
    deliver(session.runtime.engine, deps.gateway, now)
    session.slack.take_events()
    return skipped


def start(
    name: str,
    temp: Path,
    *,
    lang: str | None,
    at: Callable[[str, str], datetime] | None,
    at_text: str | None,
) -> ConsoleSession:
    """The preset's municipality in `temp`: SQLite database, archive and shared files there."""
    config_path, demo_path = preset_files(name)
    data = load_demo(demo_path)
    config: OrgConfig = load_config(config_path)
    if lang:
        # The demo reads in the language asked for: channel messages as well as DMs.
        config = dataclasses.replace(config, language=lang)
    tz = ZoneInfo(config.timezone)
    clock = Clock(
        at(at_text, config.timezone) if at and at_text else _local(data["demo"]["at"], tz)
    )
    workspace = Workspace(
        users=dict(data.get("users", {})),
        channels={CONSOLE_CHANNEL: "console", **data.get("channels", {})},
        members=memberships(config),
    )
    slack = _stand_in(workspace, clock, temp, LOCALES[lang or config.language])
    # Its Facebook Pages and Instagram accounts on a stand-in Graph API, read by the real
    # connector (`:comment`, `:reply`, `:remove`).
    graph = StandInGraph()
    for account in config.accounts:
        for object_id, instagram in (
            (account.facebook_page_id, False),
            (account.instagram_user_id, True),
        ):
            if object_id:
                graph.accounts[object_id] = account.name
                if instagram:
                    graph.instagram.add(object_id)
    settings = _settings(
        {
            "DATABASE_URL": f"sqlite:///{temp / 'vakt.sqlite3'}",
            "VAKT_CONFIG": str(config_path),
            "VAKT_DATA_DIR": str(temp / "data"),
            "META_APP_SECRET": "console-app-secret",
            "META_ACCESS_TOKEN": "console-system-user-token",
            "META_GRAPH_URL": "https://graph.facebook.invalid/v27.0/",
        },
        temp,
        slack,
    )
    runtime = build_runtime(settings, config, clock=clock, graph_client=graph.client())
    prepare_database(runtime)
    executor = TrackingExecutor()
    session = ConsoleSession(
        runtime=runtime,
        app=runtime.app(signing_secret=None, listener_executor=executor),
        slack=slack,
        clock=clock,
        executor=executor,
        workspace=workspace,
        user=str(data["demo"].get("user") or config.coordinators[0]),
        temp_dir=temp,
        note=("note_demo", str(temp)),
        graph=graph,
    )
    seed(session, data)
    return session
