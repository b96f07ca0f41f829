"""The `vakt` command: run, serve, migrate, check-config, sweep, export, import,
export-register, backup, restore."""

from __future__ import annotations

import argparse
import logging
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.kernel.config import ConfigError, OrgConfig, load_config
from bot.kernel.errors import StartupError
from bot.settings import Settings, SettingsError, load_settings, redact_url
from bot.store.db import DatabaseError, current_revision, head_revision, make_engine, migrate

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger("vakt")


class CliError(Exception):
    """A problem to print as one line, with exit code 2."""


def _settings() -> Settings:
    return load_settings()


def cmd_check_config(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from bot.register.sync import check_teams, teams_outside_the_file

    settings = _settings()
    path = args.file or settings.config_path
    config = load_config(path)
    outside = teams_outside_the_file(config)
    unchecked = None
    if outside:
        # Accounts may name teams made in Slack: only the database can say they exist.
        engine = _existing_database(settings)
        if engine is None:
            unchecked = "no database yet"
        else:
            # Alembic announces every look at the revision; stderr is for the one line that matters.
            logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
            try:
                if current_revision(engine) != head_revision():
                    unchecked = "the database is not migrated"
                else:
                    with Session(engine) as session:
                        check_teams(session, config)  # ConfigError: serve would refuse it too
            except (sa.exc.OperationalError, DatabaseError) as exc:
                unchecked = f"the database did not answer ({type(exc).__name__})"
            finally:
                engine.dispose()
    print(
        f"{path}: OK – {config.name} ({config.country}, {config.timezone}, {config.language}); "
        f"{counted(len(config.teams), 'team')}, {counted(len(config.accounts), 'account')} declared"
    )
    for warning in config_warnings(config):
        print(f"  warning: {warning}")
    for account in outside:
        where = (
            f"must exist in the database (not checked: {unchecked})"
            if unchecked
            else "is a team in the database"
        )
        print(
            f"  account.{account.key}.team: {account.team!r} is not declared in the file; {where}"
        )
    return 0


# The example file's and the tests' placeholder ids: left in, they name nobody in Slack.
PLACEHOLDER_IDS = frozenset(
    {"U0COORD1", "C0COMMS", "C0TEAM1", "C0INBOX", "C0FBINBOX", "C0FBFEED", "U0123ABCD", "C0123ABCD"}
)


def config_warnings(config: OrgConfig) -> list[str]:
    """What a valid file may still get wrong: nobody to administer, placeholders left in."""
    warnings = []
    if not config.coordinators:
        warnings.append(
            "organisation.coordinators is empty: nobody can administer teams from Slack"
        )
    ids = {*config.coordinators, config.coordinator_channel or ""}
    for team in config.teams:
        ids |= {team.channel or "", team.manager or "", *team.members}
    placeholders = sorted(ids & PLACEHOLDER_IDS)
    if placeholders:
        warnings.append(
            f"{', '.join(placeholders)} {'is' if len(placeholders) == 1 else 'are'} the "
            f"example's {'placeholder id' if len(placeholders) == 1 else 'placeholder ids'}: "
            "put your workspace's Slack ids in their place"
        )
    return warnings


def _existing_database(settings: Settings) -> sa.engine.Engine | None:
    """The configured database, or None when it is an SQLite file that does not exist yet
    (looking must not create it)."""
    url = settings.database_url
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if not path or path == ":memory:" or not Path(path).exists():
            return None
    return make_engine(url)


def cmd_migrate(args: argparse.Namespace) -> int:
    from bot.runtime import apply_configuration, wall_clock

    settings = _settings()
    if settings.log_level != "DEBUG":
        # Alembic's line per step is for whoever debugs a migration; the line below says it all.
        logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
    engine = make_engine(settings.database_url)
    try:
        before, after = migrate(engine)
        where = redact_url(settings.database_url)
        if before == after:
            print(f"{where}: already at {after}")
        else:
            print(f"{where}: migrated from {before or 'empty'} to {after}")
        # What the file declares is in the database from now on, for every verb that reads
        # teams and accounts (export-register, export, import, sweep, the console), as at start.
        path = Path(settings.config_path)
        if not path.exists():
            print(f"{path}: no configuration file: no teams or accounts applied")
            return 0
        config = load_config(path)
        changes = apply_configuration(engine, config, wall_clock())
        print(
            f"{path}: {counted(len(changes), 'change')} applied"
            if changes
            else f"{path}: the database already holds its teams and accounts"
        )
    finally:
        engine.dispose()
    return 0


def _parse_instant(text: str, tz: str) -> datetime:
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise CliError(f"--at {text!r} is not an ISO instant like 2026-12-28T09:05+01:00") from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=ZoneInfo(tz))
    return instant


def stop_on_sigterm(stopping: threading.Event) -> None:
    """SIGTERM (and Ctrl-C once) sets `stopping`: the message in flight is sent and recorded,
    nothing further is started, and the process ends normally."""

    def handler(signum: int, _frame: object) -> None:
        if stopping.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        log.info("%s: stopping after the message in flight", signal.Signals(signum).name)
        stopping.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def cmd_sweep(args: argparse.Namespace) -> int:
    from bot.runtime import build_runtime, prepare_database

    settings = _settings()
    if not args.dry_run:
        settings.require_bot_token()
    runtime = build_runtime(settings)
    now = _parse_instant(args.at, runtime.config.timezone) if args.at else runtime.deps.clock()
    # A dry run writes nothing: not a migration, not the file's teams and accounts.
    unapplied = _unapplied(settings, runtime) if args.dry_run else prepare_database(runtime)
    stop_on_sigterm(runtime.stopping)
    result = runtime.sweep(now, dry_run=args.dry_run)
    verb = "would send" if args.dry_run else "recorded"
    print(f"sweep as of {now.isoformat()}: {counted(len(result.recorded), 'message')} {verb}")
    if args.dry_run and unapplied:
        print(
            f"  (the database lacks {counted(len(unapplied), 'change')} the file declares; "
            "vakt migrate applies them: this dry run reads the database as it is)"
        )
    if runtime.stopping.is_set():
        print("stopped by SIGTERM: what was not sent is left for the next sweep", file=sys.stderr)
    readable = _as_read(runtime) if args.dry_run else None
    for message in result.recorded:
        if readable is None:
            print(f"  [{message.kind}] to {message.channel}: {message.text}")
            continue
        to = readable(f"<{'@' if message.channel[:1] in ('U', 'W') else '#'}{message.channel}>")
        print(f"  [{message.kind}] to {to}: " + readable(message.text).replace("\n", "\n      "))
    if result.delivery:
        print("delivery: {sent} sent, {retry} to retry, {failed} failed".format(**result.delivery))
    if result.failed_jobs:
        print(f"jobs that failed (see the log): {', '.join(result.failed_jobs)}", file=sys.stderr)
        return 1
    return 0


def _as_read(runtime: Runtime) -> Callable[[str], str]:
    """A message's mrkdwn as a person reads it, the way the console shows it: people by the
    names Vakt knows from Slack (else their id), links by their label, emoji as emoji."""
    from sqlmodel import Session, col, select

    from bot.console.render import Names, Style, mrkdwn
    from bot.store.models import Person

    with Session(runtime.engine) as session:
        known = session.exec(
            select(Person.user_id, Person.name).where(col(Person.name).is_not(None))
        ).all()
    names = Names(users={user: name for user, name in known if name})
    return lambda text: Style().finish(mrkdwn(text, names))


def _unapplied(settings: Settings, runtime: Runtime) -> list[str]:
    """What applying the file would change, found in a transaction rolled back; the database
    must be at the newest schema (a dry run does not migrate it)."""
    from sqlmodel import Session

    from bot.register.sync import apply_config

    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
    current, head = current_revision(runtime.engine), head_revision()
    if current != head:
        raise CliError(
            f"database {redact_url(settings.database_url)} is at {current or 'empty'}, "
            f"not {head}: run `vakt migrate` first (a dry run changes nothing)"
        )
    with Session(runtime.engine) as session:
        try:
            return apply_config(session, runtime.config, runtime.deps.clock())
        finally:
            session.rollback()


def cmd_run(args: argparse.Namespace) -> int:
    from concurrent.futures import ThreadPoolExecutor

    from bot.runtime import build_runtime, check_slack, prepare_database
    from bot.scheduler import start_scheduler, stop_scheduler
    from bot.slackkit.socket_mode import SocketModeRunner

    settings = _settings()
    app_token = settings.require_app_token()
    settings.require_bot_token()
    runtime = build_runtime(settings)
    check_slack(runtime)
    prepare_database(runtime)
    listeners = ThreadPoolExecutor(max_workers=10, thread_name_prefix="vakt-listener")
    app = runtime.app(signing_secret=None, listener_executor=listeners)
    stop_on_sigterm(runtime.stopping)
    scheduler = start_scheduler(runtime)
    log.info("Vakt for %s in Socket Mode", runtime.config.name)
    runner = SocketModeRunner(app, app_token).start()
    try:
        while not runtime.stopping.wait(1.0):
            pass
    finally:
        # SIGTERM: take no more envelopes, let the listeners and the sweep in flight finish.
        runner.close()
        stop_scheduler(runtime, scheduler)
        listeners.shutdown(wait=True)
        log.info("Vakt stopped")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from bot.server import serve

    settings = _settings()
    settings.require_bot_token()
    settings.require_signing_secret()
    load_config(settings.config_path)  # fail here, in one line, before gunicorn starts
    return serve(settings, workers=args.workers)


def cmd_status(args: argparse.Namespace) -> int:
    settings = _settings()
    engine = make_engine(settings.database_url)
    current = current_revision(engine)
    head = head_revision()
    print(f"database {redact_url(settings.database_url)}: at {current or 'empty'}, newest {head}")
    return 0 if current == head else 1


def _parse_day(flag: str, text: str) -> date:
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise CliError(f"{flag} {text!r} is not a date like 2026-11-01")


def cmd_export(args: argparse.Namespace) -> int:
    from bot.archive.export import ExportError, export_archive, manifest_files, verify_export

    asked = (args.start, args.end, args.out)
    if args.verify and any(asked):
        raise CliError("--verify DIR checks an export and takes no --from, --to or --out")
    if not args.verify and not all(asked):
        raise CliError("export needs --from, --to and --out (or --verify DIR)")
    try:
        if args.verify:
            problems = verify_export(Path(args.verify))
            for problem in problems:
                print(f"{problem.kind}: {problem.path}")
            if problems:
                return 1
            print(f"OK: {len(manifest_files(Path(args.verify)))} files match the manifest")
            return 0
        start, end = _parse_day("--from", args.start), _parse_day("--to", args.end)
        settings = _settings()
        config = load_config(settings.config_path)
        engine = make_engine(settings.database_url)
        # Alembic announces every look at the revision; stderr is for the one line that matters.
        logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
        try:
            current, head = current_revision(engine), head_revision()
            if current != head:
                raise CliError(
                    f"database {redact_url(settings.database_url)} is at {current or 'empty'}, "
                    f"not {head}: run `vakt migrate` first"
                )
            _apply_quietly(engine, config)
            summary = export_archive(
                engine, settings.archive_dir, Path(args.out), start, end, ZoneInfo(config.timezone)
            )
        finally:
            engine.dispose()
    except ExportError as exc:
        raise CliError(str(exc)) from None
    print(
        f"exported {counted(summary.deletions, 'deletion')}, "
        f"{counted(summary.snapshots, 'snapshot')}, {counted(summary.items, 'item')}, "
        f"{counted(summary.audit_log, 'audit log entry', 'audit log entries')} and "
        f"{counted(summary.files, 'archived file')} from {start} to {end} into {args.out}"
    )
    return 0


def _register_database(settings: Settings, config: OrgConfig) -> sa.engine.Engine:
    """The database, refused in one line unless it is at the newest schema, with the file's
    teams and accounts applied (as `vakt migrate` and every start do)."""
    engine = make_engine(settings.database_url)
    # Alembic announces every look at the revision; stderr is for the one line that matters.
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
    current, head = current_revision(engine), head_revision()
    if current != head:
        engine.dispose()
        raise CliError(
            f"database {redact_url(settings.database_url)} is at {current or 'empty'}, "
            f"not {head}: run `vakt migrate` first"
        )
    _apply_quietly(engine, config)
    return engine


def _apply_quietly(engine: sa.engine.Engine, config: OrgConfig) -> None:
    """Apply the file's teams and accounts before a verb reads them. Silently: stdout may be
    the export itself and stderr is for the one line that matters; the audit log has each
    change (actor `config`)."""
    from bot.runtime import apply_configuration, wall_clock

    apply_configuration(engine, config, wall_clock())


def cmd_import(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from bot.register.io import RegisterFileError, import_register, read_register_file
    from bot.runtime import wall_clock

    settings = _settings()
    config = load_config(settings.config_path)  # a broken configuration stops here, not halfway
    try:
        rows = read_register_file(Path(args.file), args.file)
        engine = _register_database(settings, config)
        try:
            with Session(engine, expire_on_commit=False) as session:
                try:
                    result = import_register(session, rows, wall_clock())
                    if args.dry_run:
                        session.rollback()
                    else:
                        session.commit()
                except BaseException:
                    session.rollback()
                    raise
        except sa.exc.IntegrityError:
            raise CliError(
                "the register changed while importing; nothing was imported: run it again"
            ) from None
        finally:
            engine.dispose()
    except RegisterFileError as exc:
        for problem in exc.problems:
            print(f"vakt: {problem}", file=sys.stderr)
        print("vakt: nothing was imported", file=sys.stderr)
        return 1
    would = "would be " if args.dry_run else ""
    for line in result.lines:
        if line.outcome != "unchanged":
            note = f" ({line.note})" if line.note else ""
            print(f"  {line.key}: {would}{line.outcome}{note}")
    verb = "would change" if args.dry_run else "changed"
    print(
        f"{args.file}: {verb} {counted(result.changes, 'account')} – "
        f"{result.count('created')} created, "
        f"{result.count('updated')} updated, {result.count('unchanged')} unchanged, "
        f"{result.count('skipped')} skipped"
    )
    return 0


def _export_public(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from bot.register.io import public_accounts, public_files, write_public
    from bot.runtime import wall_clock

    if args.format or args.include_closed:
        raise CliError(
            "--public writes CSV, JSON and HTML and takes no --format or --include-closed"
        )
    if not args.out:
        raise CliError("--public needs --out DIR, the directory to write the public list into")
    settings = _settings()
    config = load_config(settings.config_path)
    now = _parse_instant(args.at, config.timezone) if args.at else wall_clock()
    day = now.astimezone(ZoneInfo(config.timezone)).date()
    engine = _register_database(settings, config)
    try:
        with Session(engine) as session:
            accounts = public_accounts(session, config.language)
    finally:
        engine.dispose()
    files = public_files(accounts, config.name, config.language, day)
    try:
        write_public(Path(args.out), files)
    except OSError as exc:
        raise CliError(f"cannot write {exc.filename or args.out}: {exc.strerror}") from None
    print(
        f"public list of {counted(len(accounts), 'account')} as of {day} written to {args.out} "
        f"({', '.join(sorted(files))})"
    )
    return 0


def cmd_export_register(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from bot.register.io import register_csv, register_rows, register_toml, write_atomic

    if args.public:
        return _export_public(args)
    if args.at:
        raise CliError("--at dates the public list: use it with --public")
    settings = _settings()
    config = load_config(settings.config_path)
    fmt = args.format or ("csv" if args.out and args.out.lower().endswith(".csv") else "toml")
    engine = _register_database(settings, config)
    try:
        with Session(engine) as session:
            rows = register_rows(session, include_closed=args.include_closed)
    finally:
        engine.dispose()
    data = register_csv(rows) if fmt == "csv" else register_toml(rows).encode()
    if not args.out:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    try:
        write_atomic(Path(args.out), data)
    except OSError as exc:
        raise CliError(f"cannot write {exc.filename or args.out}: {exc.strerror}") from None
    print(f"{counted(len(rows), 'account')} written to {args.out} as {fmt.upper()}")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from bot.backup.core import BackupError
    from bot.backup.verbs import backup
    from bot.runtime import wall_clock

    try:
        settings = None if args.verify else _settings()  # a check needs no .env
        return backup(
            settings, out=args.out, verify=args.verify, now=wall_clock(), version=_version()
        )
    except BackupError as exc:
        raise CliError(str(exc)) from None


def cmd_restore(args: argparse.Namespace) -> int:
    from bot.backup.core import BackupError
    from bot.backup.verbs import restore

    try:
        return restore(_settings(), args.dir)
    except BackupError as exc:
        raise CliError(str(exc)) from None


def cmd_console(args: argparse.Namespace) -> int:
    """The real app in the terminal, with a stand-in for Slack (see bot.console)."""
    from bot.console import run_console
    from bot.console.session import PRESETS
    from bot.runtime import wall_clock

    if args.preset is not None and args.preset not in PRESETS:
        raise CliError(f"unknown preset {args.preset!r}: choose one of {', '.join(PRESETS)}")
    if args.preset is None:
        _settings()  # a broken .env stops here, in one line
    if args.at:
        _parse_instant(args.at, "UTC")  # a bad --at stops here, before anything starts
    return run_console(
        preset=args.preset,
        lang=args.lang,
        at=_parse_instant,
        at_text=args.at,
        wall_clock=wall_clock,
    )


def _version() -> str:
    """The installed package's version (the source tree's when it is not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("vakt")
    except PackageNotFoundError:
        return source_version(Path(__file__).resolve().parents[1] / "pyproject.toml")


def source_version(pyproject: Path) -> str:
    """The version a source tree's pyproject.toml declares, marked as not installed."""
    import tomllib

    try:
        declared = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"]
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError):
        return "unknown (not installed)"
    return f"{declared} (source tree, not installed)"


def cmd_meta(args: argparse.Namespace) -> int:
    """`vakt meta check` / `vakt meta subscribe`: the Facebook and Instagram connection."""
    from bot.meta.check import check, subscribe
    from bot.runtime import build_runtime

    settings = _settings()
    runtime = build_runtime(settings)
    if runtime.connector is None:
        raise CliError("META_APP_SECRET is not set: Facebook and Instagram are not connected")
    if args.action == "check":
        for line in check(runtime.connector):
            print(line)
        return 0
    results = list(subscribe(runtime.connector))
    for line, _ok in results:
        print(line)
    return 0 if all(ok for _line, ok in results) else 1


def counted(count: int, one: str, other: str | None = None) -> str:
    """ "1 account", "2 accounts" (the CLI speaks English; Slack's texts use Babel's rules)."""
    return f"{count} {one if count == 1 else (other or one + 's')}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vakt",
        description="Vakt keeps a municipality's social media accounts watched.",
    )
    parser.add_argument("--version", action="version", version=f"vakt {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="<command>")
    run = sub.add_parser("run", help="run in Socket Mode (needs SLACK_APP_TOKEN)")
    run.set_defaults(func=cmd_run)
    serve = sub.add_parser("serve", help="run in HTTP mode under gunicorn on PORT")
    serve.add_argument("--workers", type=int, default=None, help="worker processes (default 1)")
    serve.set_defaults(func=cmd_serve)
    mig = sub.add_parser("migrate", help="bring the database to the newest schema")
    mig.set_defaults(func=cmd_migrate)
    db = sub.add_parser("db-status", help="show the database's schema revision")
    db.set_defaults(func=cmd_status)
    check = sub.add_parser("check-config", help="validate the configuration file without starting")
    check.add_argument("file", nargs="?", help="default: VAKT_CONFIG or config/vakt.toml")
    check.set_defaults(func=cmd_check_config)
    sw = sub.add_parser("sweep", help="run every job due at an instant once, then exit")
    sw.add_argument("--at", help="ISO instant, e.g. 2026-12-28T09:05 (organisation's zone)")
    sw.add_argument(
        "--dry-run", action="store_true", help="print what would be sent; send and record nothing"
    )
    sw.set_defaults(func=cmd_sweep)
    ex = sub.add_parser(
        "export", help="export a period's archive for the archivist, or verify an export"
    )
    ex.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help="first day (local)")
    ex.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="last day (local), included")
    ex.add_argument("--out", metavar="DIR", help="new or empty directory to write into")
    ex.add_argument("--verify", metavar="DIR", help="check an export against its manifest")
    ex.set_defaults(func=cmd_export)
    imp = sub.add_parser(
        "import", help="create or update register accounts from a TOML or CSV file, by key"
    )
    imp.add_argument("file", help="a .toml or .csv file, as vakt export-register writes them")
    imp.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")
    imp.set_defaults(func=cmd_import)
    reg = sub.add_parser(
        "export-register", help="export the account register, or write the public list"
    )
    reg.add_argument(
        "--format", choices=("toml", "csv"), help="default: toml (csv for a .csv --out)"
    )
    reg.add_argument("--out", metavar="FILE|DIR", help="file to write (default: standard output)")
    reg.add_argument("--include-closed", action="store_true", help="closed accounts too")
    reg.add_argument(
        "--public",
        action="store_true",
        help="write the public list (accounts.csv, accounts.json, index.html) into --out DIR",
    )
    reg.add_argument("--at", help="the public list's date: ISO instant (default: now)")
    reg.set_defaults(func=cmd_export_register)
    meta = sub.add_parser("meta", help="check the Facebook and Instagram connection, or subscribe")
    meta.add_argument("action", choices=("check", "subscribe"))
    meta.set_defaults(func=cmd_meta)
    bak = sub.add_parser(
        "backup", help="back up the database and the archive while Vakt runs, or verify a backup"
    )
    bak.add_argument("--out", metavar="DIR", help="new or empty directory to write the backup into")
    bak.add_argument("--verify", metavar="DIR", help="check a backup against its manifest")
    bak.set_defaults(func=cmd_backup)
    res = sub.add_parser(
        "restore", help="restore a backup into an empty database and an empty archive directory"
    )
    res.add_argument("dir", metavar="DIR", help="a directory vakt backup wrote")
    res.set_defaults(func=cmd_restore)
    con = sub.add_parser(
        "console", help="try Vakt in the terminal, with a stand-in for Slack (no Slack app needed)"
    )
    con.add_argument("--preset", help="a demo municipality in a throwaway database: norberg")
    con.add_argument("--lang", choices=("nb", "sv", "en"), help="the language Vakt speaks")
    con.add_argument("--at", help="start the clock here: ISO instant, e.g. 2026-11-23T09:05")
    con.set_defaults(func=cmd_console)
    return parser


def _matplotlib_in_the_data_dir(settings: Settings) -> None:
    """matplotlib keeps its font cache under HOME, which a service account may lack or not be
    let write (systemd's ProtectHome=): keep it in the data directory, unless MPLCONFIGDIR says
    where. Set before anything imports matplotlib (the weekly report's chart)."""
    if not os.environ.get("MPLCONFIGDIR"):
        os.environ["MPLCONFIGDIR"] = str((settings.data_dir / "matplotlib").resolve())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `vakt` console script and `python -m bot`."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from bot.logs import setup_logging

    try:
        settings = _settings()
        level, fmt = settings.log_level, settings.log_format
        if args.command != "console":  # a person's console keeps matplotlib's usual place
            _matplotlib_in_the_data_dir(settings)
    except SettingsError:
        level, fmt = "INFO", "text"  # the command itself reports the bad setting
    setup_logging(level, fmt)
    try:
        return int(args.func(args))
    except (ConfigError, SettingsError, DatabaseError, StartupError, CliError) as exc:
        print(f"vakt: {exc}", file=sys.stderr)
        return 2
    except sa.exc.OperationalError as exc:
        # The driver's message names host and port, never the password.
        print(f"vakt: cannot reach the database: {str(exc.orig).strip()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
