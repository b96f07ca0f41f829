"""What `deploy/` ships for an IT department: systemd units that systemd itself accepts, that
start real `vakt` verbs in a sandbox, an environment file Vakt reads, and an nginx example no
looser than Vakt's own limits. And Vakt as a service account runs it: no HOME to write in."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.feeds.service import PREFIX as CALENDAR
from bot.kernel.config import parse_config
from bot.runtime import build_runtime
from bot.settings import load_settings
from bot.web.app import META_WEBHOOK, PROBES, WebApp
from bot.web.httpworker import HttpLimits
from bot.web.intake import MAX_BODY
from bot.web.signing import MAX_SLACK_BODY
from tests.docs.test_reference import code_settings
from tests.harness import CONFIG

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
NGINX = DEPLOY / "nginx" / "vakt.conf"
ENV_EXAMPLE = DEPLOY / "vakt.env.example"
VAKT = "/opt/vakt/venv/bin/vakt"  # where docs/operator/deploy.md installs it
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")

Unit = dict[str, list[tuple[str, str]]]


def parse_unit(text: str) -> Unit:
    """A unit file's sections, each a list of (key, value) in order (a key may repeat)."""
    sections: Unit = {}
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]")
            sections.setdefault(section, [])
            continue
        key, _, value = line.partition("=")
        sections[section].append((key.strip(), value.strip()))
    return sections


def values(unit: Unit, key: str) -> list[str]:
    return [value for k, value in unit.get("Service", []) if k == key]


def one(unit: Unit, key: str) -> str:
    found = values(unit, key)
    assert len(found) == 1, f"{key}= given {len(found)} times"
    return found[0]


def env_example() -> dict[str, str]:
    """The environment file as systemd reads it: KEY=value lines, `#` comments."""
    found = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            found[key.strip()] = value.strip()
    return found


def test_one_unit_for_each_kind_of_vakt_process() -> None:
    names = {unit.name for unit in UNITS}
    assert names == {"vakt-serve.service", "vakt-run.service", "vakt-migrate.service"}


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_a_unit_starts_a_real_vakt_verb(path: Path) -> None:
    unit = parse_unit(path.read_text(encoding="utf-8"))
    argv = shlex.split(one(unit, "ExecStart"))
    assert argv[0] == VAKT
    try:
        args = build_parser().parse_args(argv[1:])
    except SystemExit:
        raise AssertionError(
            f"{path.name}: `vakt {shlex.join(argv[1:])}` is no vakt command"
        ) from None
    assert getattr(args, "func", None) is not None
    assert path.name == f"vakt-{args.command}.service"  # the name says which verb it runs


# Each unit has these, with these values.
HARDENING = {
    "User": "vakt",
    "Group": "vakt",
    "EnvironmentFile": "/etc/vakt/vakt.env",
    "WorkingDirectory": "/var/lib/vakt",
    "NoNewPrivileges": "yes",
    "CapabilityBoundingSet": "",
    "AmbientCapabilities": "",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes",
    "RestrictNamespaces": "yes",
    "RestrictSUIDSGID": "yes",
    "LockPersonality": "yes",
    "SystemCallArchitectures": "native",
    "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
}


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_a_unit_is_sandboxed(path: Path) -> None:
    unit = parse_unit(path.read_text(encoding="utf-8"))
    for key, value in HARDENING.items():
        assert one(unit, key) == value, f"{path.name}: {key}={value} expected"
    assert "@system-service" in values(unit, "SystemCallFilter")
    # Writable: the data and archive directories the environment file names, nothing else.
    env = env_example()
    assert one(unit, "ReadWritePaths").split() == [env["VAKT_DATA_DIR"], env["VAKT_ARCHIVE_DIR"]]
    if one(unit, "Type") == "oneshot":
        assert not values(unit, "Restart")
    else:
        assert one(unit, "Restart") == "on-failure"
        assert one(unit, "KillMode") == "mixed"  # SIGTERM to Vakt alone: it stops gracefully


def test_the_environment_file_holds_settings_vakt_reads() -> None:
    env = env_example()
    assert set(env) <= code_settings(), set(env) - code_settings()
    settings = load_settings(env, env_file=ENV_EXAMPLE.with_name("no.env"))
    assert (settings.data_dir, settings.archive_dir) == (
        Path("/var/lib/vakt/data"),
        Path("/var/lib/vakt/archive"),
    )
    assert settings.config_path == "/etc/vakt/vakt.toml"
    # Placeholders are refused at start, with a line saying so, as .env.example's are.
    assert "change-me" in env["SLACK_BOT_TOKEN"] and "change-me" in env["SLACK_SIGNING_SECRET"]


# ---------------------------------------------------------------- systemd's own verdict


def verify(units: dict[str, str], tmp: Path) -> str:
    """What `systemd-analyze verify` says of these units, ExecStart pointed at a stand-in
    executable (it checks that the command exists): "" when it has nothing to say. It exits 0
    on an unknown directive, so every line it writes counts."""
    vakt = tmp / "bin" / "vakt"
    vakt.parent.mkdir(parents=True, exist_ok=True)
    vakt.write_text("#!/bin/sh\nexit 0\n")
    vakt.chmod(0o755)
    here = tmp / "units"
    here.mkdir(exist_ok=True)
    paths = []
    for name, text in units.items():
        assert VAKT in text
        (here / name).write_text(text.replace(VAKT, str(vakt)))
        paths.append(str(here / name))
    assert SYSTEMD_ANALYZE is not None
    done = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", "--man=no", *paths],
        capture_output=True,
        text=True,
        timeout=120,
    )
    said = (done.stdout + done.stderr).strip()
    return said or ("" if done.returncode == 0 else f"exit {done.returncode}")


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed here")
def test_systemd_accepts_every_unit(tmp_path: Path) -> None:
    units = {path.name: path.read_text(encoding="utf-8") for path in UNITS}
    assert verify(units, tmp_path / "shipped") == ""
    # The check is real: a misspelt directive, or a verb's path mistyped, is reported.
    serve = units["vakt-serve.service"]
    typo = serve.replace("ProtectSystem=strict", "ProtectSytem=strict")
    assert "Unknown key" in verify({"vakt-serve.service": typo}, tmp_path / "typo")
    wrong = serve.replace(f"{VAKT} serve", f"{VAKT}x serve")
    assert "is not executable" in verify({"vakt-serve.service": wrong}, tmp_path / "wrong")


def systemd_version() -> int:
    assert SYSTEMD_ANALYZE is not None
    said = subprocess.run([SYSTEMD_ANALYZE, "--version"], capture_output=True, text=True)
    found = re.match(r"systemd (\d+)", said.stdout)
    return int(found.group(1)) if found else 0


# systemd's own scale: 0 is locked down, 10 is none; 1.2 as shipped. Over 2: something slipped.
EXPOSURE = 2.0


@pytest.mark.skipif(
    SYSTEMD_ANALYZE is None or systemd_version() < 250,
    reason="systemd-analyze security --offline needs systemd 250 or newer",
)
@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_systemd_rates_every_unit_as_locked_down(path: Path, tmp_path: Path) -> None:
    assert SYSTEMD_ANALYZE is not None
    copy = tmp_path / path.name
    copy.write_text(path.read_text(encoding="utf-8").replace(VAKT, "/bin/true"))
    # --threshold counts in tenths of the level it prints.
    rated = subprocess.run(
        [
            SYSTEMD_ANALYZE,
            "security",
            "--offline=yes",
            f"--threshold={EXPOSURE * 10:.0f}",
            str(copy),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    verdict = rated.stdout.strip().splitlines()[-1]
    assert rated.returncode == 0, verdict


# ---------------------------------------------------------------- nginx


def nginx_directives() -> list[tuple[str, list[str]]]:
    """(name, arguments) of every simple directive, in order; blocks are not kept apart."""
    text = re.sub(r"#[^\n]*", "", NGINX.read_text(encoding="utf-8"))
    return [
        (found.group(1), shlex.split(found.group(2)))
        for found in re.finditer(r"(?m)^\s*([a-z_0-9]+)\s+([^;{}]*);", text)
    ]


def nginx(name: str) -> list[str]:
    found = [args for directive, args in nginx_directives() if directive == name]
    assert len(found) == 1, f"{name} given {len(found)} times"
    return found[0]


def seconds(value: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(ms|s|m)?", value).groups()  # type: ignore[union-attr]
    return int(number) * {"ms": 0.001, "s": 1, "m": 60, None: 1}[unit]


def size(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kKmM])?", value).groups()  # type: ignore[union-attr]
    return int(number) * {"k": 1024, "m": 1024 * 1024, None: 1}[unit and unit.lower()]


def test_nginx_is_no_looser_than_vakt() -> None:
    defaults = load_settings({}, env_file=ENV_EXAMPLE.with_name("no.env"))
    assert seconds(nginx("client_header_timeout")[0]) <= defaults.http_header_timeout
    assert seconds(nginx("client_body_timeout")[0]) <= defaults.http_body_timeout
    assert seconds(nginx("keepalive_timeout")[0]) <= defaults.http_header_timeout
    # The largest body a route of Vakt reads: less would refuse Slack, more is Vakt's to refuse.
    assert size(nginx("client_max_body_size")[0]) == max(MAX_BODY, MAX_SLACK_BODY)
    assert size(nginx("client_body_buffer_size")[0]) >= max(MAX_BODY, MAX_SLACK_BODY)
    count, each = nginx("large_client_header_buffers")
    assert int(count) * size(each) <= HttpLimits().max_header_size
    assert nginx("proxy_request_buffering") == ["on"]


def locations() -> list[tuple[str, str, bool]]:
    """Each location's (modifier, pattern, whether it passes requests on to Vakt)."""
    text = re.sub(r"#[^\n]*", "", NGINX.read_text(encoding="utf-8"))
    return [
        (found.group(1) or "", found.group(2), "proxy_pass" in found.group(3))
        for found in re.finditer(r"location\s+(=|~)?\s*(\S+)\s*\{([^}]*)\}", text)
    ]


def passed_on(path: str) -> bool:
    """nginx's choice of location for a path (exact, then regex, then the longest prefix;
    there is no `^~` here), and whether that one passes it on."""
    exact = [proxy for mod, pattern, proxy in locations() if mod == "=" and pattern == path]
    if exact:
        return exact[0]
    regex = [
        proxy for mod, pattern, proxy in locations() if mod == "~" and re.search(pattern, path)
    ]
    if regex:
        return regex[0]
    prefixes = [(len(p), proxy) for mod, p, proxy in locations() if not mod and path.startswith(p)]
    return max(prefixes)[1] if prefixes else False


def vakt_routes(tmp: Path) -> set[str]:
    """Every path Vakt's HTTP mode answers (a calendar feed stands for its prefix)."""
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_API_URL": "http://127.0.0.1:9/api/",
            "DATABASE_URL": f"sqlite:///{tmp / 'vakt.sqlite3'}",
        },
        env_file=tmp / "no.env",
    )
    runtime = build_runtime(settings, parse_config(CONFIG, "vakt.toml"))
    try:
        web = WebApp(runtime.app(signing_secret="s"), runtime.deps, signing_secret="s")
        routes = {web.slack.path, *web.intake_routes, *PROBES, META_WEBHOOK}
    finally:
        runtime.engine.dispose()
    return routes | {f"{CALENDAR}token.ics", f"{CALENDAR}token/komm.ics"}


def test_nginx_passes_on_what_vakt_serves_and_nothing_else(tmp_path: Path) -> None:
    routes = vakt_routes(tmp_path)
    assert "/slack/events" in routes and "/intake" in routes  # read from Vakt for real
    assert [path for path in routes if not passed_on(path)] == []
    others = ["/", "/index.html", "/slack", "/slack/events/x", "/intakes", "/intake/", "/.env"]
    others += ["/metrics/x", "/xreadyz", "/calendar", "/admin/"]
    assert [path for path in others if passed_on(path)] == []
    # Each location that passes requests on is there for one of Vakt's routes.
    for mod, pattern, proxy in locations():
        if proxy:
            hit = [p for p in routes if (re.search(pattern, p) if mod == "~" else p == pattern)]
            hit += [p for p in routes if not mod and p.startswith(pattern)]
            assert hit, f"location {mod} {pattern} passes on no path Vakt serves"


NGINX_BIN = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")


def nginx_test(conf: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on the example as conf.d includes it, with a throwaway certificate."""
    assert NGINX_BIN is not None
    tmp.mkdir(parents=True, exist_ok=True)
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"]
    made = subprocess.run(
        ["openssl", "req", "-x509", *ec, "-subj", "/CN=t", "-keyout", str(key), "-out", str(cert)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    conf = conf.replace("/etc/ssl/vakt/fullchain.pem", str(cert))
    conf = conf.replace("/etc/ssl/vakt/privkey.pem", str(key))
    conf = conf.replace("/var/log/nginx/", f"{tmp}/")
    (tmp / "vakt.conf").write_text(conf)
    # nginx -t creates each (Debian builds them into /var/lib/nginx, which may not exist).
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    temp_paths = "".join(f"{kind}_temp_path {tmp}/{kind};\n" for kind in kinds)
    (tmp / "nginx.conf").write_text(
        f"pid {tmp}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        f"http {{\n{temp_paths}access_log off;\ninclude {tmp}/vakt.conf;\n}}\n"
    )
    return subprocess.run(
        [NGINX_BIN, "-t", "-q", "-e", "stderr", "-p", str(tmp), "-c", str(tmp / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.skipif(NGINX_BIN is None, reason="nginx is not installed here")
@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed here")
def test_nginx_accepts_the_example(tmp_path: Path) -> None:
    conf = NGINX.read_text(encoding="utf-8")
    checked = nginx_test(conf, tmp_path / "shipped")
    assert checked.returncode == 0, checked.stderr
    typo = nginx_test(conf.replace("client_body_timeout", "client_body_timout"), tmp_path / "typo")
    assert typo.returncode != 0 and "client_body_timout" in typo.stderr


# ---------------------------------------------------------------- a service account's HOME


def run_vakt(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def read_only(path: Path) -> Callable[[], None]:
    path.mkdir()
    path.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)
    return lambda: path.chmod(0o755)


def test_the_weekly_chart_is_drawn_without_writing_home(tmp_path: Path) -> None:
    # As under systemd's ProtectHome= with the service account's HOME read-only: matplotlib's
    # font cache goes to the data directory, not to ~/.config or ~/.cache (nor to a fresh
    # temporary directory on every start, with a warning).
    home = tmp_path / "home"
    writable_again = read_only(home)
    (tmp_path / "vakt.toml").write_text(CONFIG)
    env = {
        "HOME": str(home),
        "VAKT_CONFIG": str(tmp_path / "vakt.toml"),
        "VAKT_DATA_DIR": str(tmp_path / "data"),
    }
    try:
        migrated = run_vakt("migrate", env=env, cwd=tmp_path)
        assert migrated.returncode == 0, migrated.stderr
        # Monday 08:05: the weekly report is due, its chart drawn (a dry run sends nothing).
        swept = run_vakt("sweep", "--dry-run", "--at", "2026-11-23T08:05", env=env, cwd=tmp_path)
    finally:
        writable_again()
    assert swept.returncode == 0, swept.stderr
    assert "[weekly_report_files]" in swept.stdout
    assert list(home.iterdir()) == []
    assert list((tmp_path / "data" / "matplotlib").glob("fontlist-*.json"))
    assert "Matplotlib" not in migrated.stderr + swept.stderr  # "created a temporary cache …"
