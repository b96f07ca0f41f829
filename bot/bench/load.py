"""HTTP load benchmark: Vakt under gunicorn against a bare Bolt app that only acks (the floor).

    .venv/bin/python -m bot.bench.load [--duration 30] [--concurrency 50] [--items 100000]
                                       [--accounts 500] [--database-url URL] [--workers 2]
                                       [--rate N] [--client wrk|python] [--logs DIR]

Builds a throw-away PostgreSQL database (created on the server named by --database-url and
dropped afterwards) filled by `bot.bench.items.build`: teams of three on a weekly rota, the
accounts spread over them, the open items received over 60 days and some answered ones.

Then, in turn, two servers on loopback, both gunicorn with the same workers, worker class and
threads, both pointed at one loopback FakeSlack:
- the floor: `bot.bench.floor`, a bare `slack_bolt.App` whose `/vakt` only acks;
- Vakt, served the real way: `python -m bot serve` (`bot.server`), its scheduler sweeping at start
  as of the wall clock like in production.
Each gets a few seconds of warm-up, then --concurrency connections for --duration seconds sending
signed `/vakt who` and `/vakt unanswered` in turn, as a coordinator, each with its own response_url
at the fake: each connection sends again as soon as it has its ack (a closed loop), or, with
--rate, after a random pause that keeps them all near that many requests a second. The load comes
from wrk when it is installed (`apt-get install wrk`: a C client takes less of the two cores than
a Python one would); otherwise from Python threads, which the JSON says.

Vakt answers a command in its ack when the answer is ready in time, else it acks empty and
answers at the response_url (bot.slackkit.early), so besides the ack (p50, p99, throughput,
errors) the answers are timed too: from the request's send time until the ack that carried it
came back, or until the fake received it at the response_url. wrk runs one connection per thread
so that each response is known to answer the thread's last request. Last, the resident memory
of each gunicorn worker, and the CPU time the workers, PostgreSQL, the load generator, the fake
and everything else on the machine took.

Prints one JSON object on stdout, with pass/fail against its targets (progress goes to
stderr). Run it from the repository root: the Slack fake lives in `tests.fakeslack`.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import math
import os
import platform
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bot.bench.items import CONFIG, COORDINATOR, SIGNING_SECRET, build
from bot.kernel.config import parse_config
from bot.kernel.i18n import t
from bot.server import REQUEST_THREADS, WORKER_CLASS
from bot.settings import redact_url
from bot.store.db import make_engine, migrate

if TYPE_CHECKING:
    from tests.fakeslack import FakeSlack

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BOT_TOKEN = "xoxb-bench-token"  # noqa: S105 - a loopback fake's token
COMMANDS = ("who", "unanswered")
ACK_TIMEOUT = 3.0  # Slack gives up on an ack after 3 seconds
THREADS = REQUEST_THREADS  # request threads per gunicorn worker, as bot/server.py serves
ACCESS_LOG_FORMAT = '%(h)s "%(r)s" %(s)s %(b)s %(L)ss'  # bot/server.py's
MAX_MEAN_PAUSE = 0.8  # seconds: pauses up to twice that stay under gunicorn's keep-alive (2 s)
SIGNATURE_LIFETIME = 300  # Bolt refuses a request signed more than 5 minutes ago
# At 50 connections: the ack's p99 and the answer's (what the person waits for).
TARGET_ACK_P99_MS = 300.0
TARGET_ANSWER_P99_MS = 500.0
TARGET_RSS_MB = 150.0
TARGET_COMMANDS_RUN_PER_S = 250.0  # answered at their response_url, "busy" acks aside
TARGET_CPU_MS_PER_COMMAND = 4.0  # worker CPU per command run
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

WRK_SCRIPT = r"""
-- Written by bot.bench.load: pre-signed Slack requests, one response_url each, and the time
-- each is sent (CLOCK_REALTIME, the clock Python's time.time() reads).
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } vakt_timespec;
int clock_gettime(int clk_id, vakt_timespec *tp);
]]
local ts = ffi.new("vakt_timespec")
local function now()
  ffi.C.clock_gettime(0, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  local f = assert(io.open(os.getenv("VAKT_WRK_POOL") .. "." .. tid, "rb"))
  local data = f:read("*a")
  f:close()
  pool, ids = {}, {}
  local pos = 1
  while pos <= #data do
    local nl = data:find("\n", pos, true)
    local id, len = data:sub(pos, nl - 1):match("^(%d+) (%d+)$")
    len = tonumber(len)
    pool[#pool + 1] = data:sub(nl + 1, nl + len)
    ids[#ids + 1] = tonumber(id)
    pos = nl + len + 1
  end
  n, sent_id, sent_at, got_at, kind = 0, {}, {}, {}, {}
  busy = {}
  for marker in (os.getenv("VAKT_WRK_BUSY") or ""):gmatch("[^\n]+") do
    busy[#busy + 1] = marker
  end
  math.randomseed(tid * 7919 + os.time())
end

-- One connection per thread: this response answers the request this thread sent last. Its
-- kind: "e" an empty ack (the answer goes to the response_url), "b" answered "busy", "a" the
-- answer in the ack.
function response(status, headers, body)
  got_at[n] = now()
  local k = "a"
  if body == nil or body == "" then
    k = "e"
  else
    for _, marker in ipairs(busy) do
      if body:find(marker, 1, true) then
        k = "b"
        break
      end
    end
  end
  kind[n] = k
end

function request()
  n = n + 1
  local i = (n - 1) % #pool + 1
  sent_id[n] = ids[i]
  sent_at[n] = now()
  return pool[i]
end

-- At a set rate: a random pause before each request, so that the connections do not send in
-- step (uniform, at most twice the mean: under gunicorn's 2-second keep-alive).
local think = tonumber(os.getenv("VAKT_WRK_THINK_MS") or "0")
if think > 0 then
  function delay()
    return math.floor(math.random() * 2 * think)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local out = assert(io.open(os.getenv("VAKT_WRK_OUT"), "w"))
  out:write(string.format(
    '{"requests": %d, "duration_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d}, "latency_us": {"p50": %d, "p90": %d, "p99": %d, ' ..
    '"max": %d, "mean": %.1f}}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
  out:close()
  local log = assert(io.open(os.getenv("VAKT_WRK_SENT"), "w"))
  for _, thread in ipairs(threads) do
    local ids_, at_ = thread:get("sent_id"), thread:get("sent_at")
    local got_, kind_ = thread:get("got_at"), thread:get("kind")
    for k = 1, #ids_ do
      log:write(string.format("%d %.6f %.6f %s\n", ids_[k], at_[k], got_[k] or 0, kind_[k] or "-"))
    end
  end
  log:close()
end
"""


def log(message: str) -> None:
    print(f"[load] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the database


@contextmanager
def load_database(server: str) -> Iterator[str]:
    """A fresh database on the given PostgreSQL server, dropped afterwards."""
    if server.startswith("postgresql://"):
        server = "postgresql+psycopg://" + server.removeprefix("postgresql://")
    if not server.startswith("postgresql"):
        raise SystemExit("--database-url must name a PostgreSQL server")
    name = f"vakt_load_{os.getpid()}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    drop = sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    try:
        with admin.connect() as conn:
            conn.execute(drop)
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield make_url(server).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as conn:
            conn.execute(drop)
        admin.dispose()


def fill(url: str, *, teams: int, accounts: int, items: int, closed: int) -> dict[str, Any]:
    config = parse_config(CONFIG, "bench.toml")
    engine = make_engine(url)
    try:
        start = time.perf_counter()
        migrate(engine)
        data = build(
            engine,
            config.calendar(),
            teams=teams,
            accounts=accounts,
            items=items,
            closed=closed,
            seed=1,
        )
        built: dict[str, Any] = {**data, "build_seconds": round(time.perf_counter() - start, 1)}
    finally:
        engine.dispose()
    return built


# ---------------------------------------------------------------- the fake's clock


def timed_fake() -> FakeSlack:
    """A FakeSlack that also notes when each response_url first receives an answer."""
    from tests.fakeslack import FakeSlack

    class TimedFakeSlack(FakeSlack):
        def __init__(self) -> None:
            super().__init__()
            self.arrivals: dict[str, float] = {}
            self._arrivals_lock = threading.Lock()

        def _handle_response_url(self, path: str, headers: dict[str, str], body: bytes) -> Any:
            at = time.time()
            with self._arrivals_lock:
                self.arrivals.setdefault(path.removeprefix("/response/"), at)
            return super()._handle_response_url(path, headers, body)

    return TimedFakeSlack()


def arrivals_of(fake: FakeSlack) -> dict[str, float]:
    found: dict[str, float] = getattr(fake, "arrivals", {})
    return dict(found)


# ---------------------------------------------------------------- the requests


@dataclass(frozen=True)
class Signed:
    id: int
    body: bytes
    headers: dict[str, str]


def sign_pool(fake: FakeSlack, tag: str, first: int, count: int) -> list[Signed]:
    """`count` signed `/vakt` requests, who and unanswered in turn, each with its own
    response_url `<tag><id>`; signed now, so valid for five minutes."""
    from tests.fakeslack import signed_request, slash_command_body

    stamp = int(time.time())
    pool: list[Signed] = []
    for n in range(first, first + count):
        body = slash_command_body(
            COMMANDS[n % len(COMMANDS)],
            user_id=COORDINATOR,
            channel_id="C0COMMS",
            response_url=fake.response_url(f"{tag}{n}"),
        )
        raw, headers = signed_request(body, SIGNING_SECRET, timestamp=stamp)
        headers["User-Agent"] = "Slackbot 1.0 (+https://api.slack.com/robots)"
        pool.append(Signed(n, raw, headers))
    return pool


# The "busy" answer (bot.slackkit.shed) in each language, as it stands in an ack's JSON body.
BUSY_MARKERS = tuple(json.dumps(t(lang, "error.busy"))[1:-1] for lang in ("nb", "sv", "en"))


def ack_kind(body: bytes) -> str:
    """What an ack carried: "e" nothing (the answer goes to the response_url), "b" the "busy"
    answer, "a" the command's answer."""
    if not body:
        return "e"
    text = body.decode("utf-8", "replace")
    return "b" if any(marker in text for marker in BUSY_MARKERS) else "a"


def raw_request(port: int, signed: Signed) -> bytes:
    lines = [
        "POST /slack/events HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        f"Content-Length: {len(signed.body)}",
        *(f"{name}: {value}" for name, value in signed.headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + signed.body


@dataclass
class LoadResult:
    generator: str
    connections: int
    requests: int  # answered by the server (acks)
    seconds: float
    latency_ms: dict[str, float]
    errors: dict[str, int]
    sent: list[tuple[int, float]] = field(repr=False)  # (id, send time) of every request sent
    # Of every request acked: (id, send time, ack time, kind): "a" the answer in the ack, "b"
    # answered "busy", "e" an empty ack (its answer goes to the response_url).
    acks: list[tuple[int, float, float, str]] = field(default_factory=list, repr=False)
    pool_wrapped: bool = False
    client_cpu_seconds: float = 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def run_wrk(
    port: int, pool: list[Signed], duration: float, concurrency: int, tmp: Path, rate: float
) -> LoadResult:
    wrk = shutil.which("wrk")
    assert wrk is not None
    threads = concurrency  # one connection each: a response is the answer to the last request
    share = math.ceil(len(pool) / threads)
    prefix = tmp / "pool"
    for tid in range(threads):
        part = pool[tid * share : (tid + 1) * share]
        with open(f"{prefix}.{tid}", "wb") as out:
            for signed in part:
                data = raw_request(port, signed)
                out.write(f"{signed.id} {len(data)}\n".encode() + data)
    script = tmp / "vakt.lua"
    script.write_text(WRK_SCRIPT)
    env = {
        **os.environ,
        "VAKT_WRK_POOL": str(prefix),
        "VAKT_WRK_OUT": str(tmp / "wrk.json"),
        "VAKT_WRK_SENT": str(tmp / "wrk.sent"),
        "VAKT_WRK_BUSY": "\n".join(BUSY_MARKERS),
        # A pause before each request, so that the connections together send about `rate`.
        "VAKT_WRK_THINK_MS": str(round(concurrency / rate * 1000) if rate else 0),
    }
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [
        wrk,
        f"-t{threads}",
        f"-c{concurrency}",
        f"-d{round(duration)}s",
        f"--timeout={ACK_TIMEOUT:g}s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}/slack/events",
    ]
    done = subprocess.run(  # noqa: S603 - our own command line
        command, env=env, capture_output=True, text=True, timeout=duration + 120, check=False
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()[:500]}")
    summary = json.loads((tmp / "wrk.json").read_text())
    sent, acks = [], []
    for line in (tmp / "wrk.sent").read_text().splitlines():
        ident, at, got, kind = line.split()
        sent.append((int(ident), float(at)))
        if kind != "-":
            acks.append((int(ident), float(at), float(got), kind))
    lat = summary["latency_us"]
    return LoadResult(
        generator=f"wrk ({threads} threads)",
        connections=concurrency,
        requests=int(summary["requests"]),
        seconds=summary["duration_us"] / 1e6,
        latency_ms={
            "p50_ms": round(lat["p50"] / 1000, 1),
            "p90_ms": round(lat["p90"] / 1000, 1),
            "p99_ms": round(lat["p99"] / 1000, 1),
            "max_ms": round(lat["max"] / 1000, 1),
            "mean_ms": round(lat["mean"] / 1000, 1),
        },
        errors={
            "non_2xx": int(summary["errors"]["status"]),
            "timeouts": int(summary["errors"]["timeout"]),
            "socket": sum(int(summary["errors"][k]) for k in ("connect", "read", "write")),
        },
        sent=sent,
        acks=acks,
        pool_wrapped=len(sent) > len(pool),
        client_cpu_seconds=round(
            after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 2
        ),
    )


def _quantile(values: list[float], q: float) -> float:
    """Nearest-rank quantile of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def run_python(
    port: int, pool: list[Signed], duration: float, concurrency: int, rate: float
) -> LoadResult:
    """The fallback without wrk: one thread per connection, keep-alive, same requests."""
    counter = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    sent: list[tuple[int, float]] = []
    acks: list[tuple[int, float, float, str]] = []
    errors = {"non_2xx": 0, "timeouts": 0, "socket": 0}
    start = time.perf_counter()
    deadline = start + duration

    think = concurrency / rate if rate else 0.0
    rng = random.Random(1)

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=ACK_TIMEOUT)
        while time.perf_counter() < deadline:
            time.sleep(rng.uniform(0, 2 * think))
            signed = pool[next(counter) % len(pool)]
            began, at = time.perf_counter(), time.time()
            with lock:
                sent.append((signed.id, at))
            try:
                conn.request("POST", "/slack/events", body=signed.body, headers=signed.headers)
                response = conn.getresponse()
                body = response.read()
                took = time.perf_counter() - began
                kind = ack_kind(body)
                with lock:
                    if 200 <= response.status < 300:
                        latencies.append(took)
                        acks.append((signed.id, at, at + took, kind))
                    else:
                        errors["non_2xx"] += 1
            except TimeoutError:
                with lock:
                    errors["timeouts"] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=ACK_TIMEOUT)
            except (OSError, http.client.HTTPException):
                with lock:
                    errors["socket"] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=ACK_TIMEOUT)
        conn.close()

    workers = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    seconds = time.perf_counter() - start
    ms = [v * 1000 for v in latencies] or [0.0]
    return LoadResult(
        generator=f"python threads ({concurrency}), in the bench process: CPU counted there",
        connections=concurrency,
        requests=len(latencies) + errors["non_2xx"],
        seconds=seconds,
        latency_ms={
            "p50_ms": round(_quantile(ms, 0.50), 1),
            "p90_ms": round(_quantile(ms, 0.90), 1),
            "p99_ms": round(_quantile(ms, 0.99), 1),
            "max_ms": round(max(ms), 1),
            "mean_ms": round(sum(ms) / len(ms), 1),
        },
        errors=errors,
        sent=sent,
        acks=acks,
        pool_wrapped=len(sent) > len(pool),
        client_cpu_seconds=0.0,  # the same process as the fake: counted with it
    )


def run_load(
    port: int,
    pool: list[Signed],
    duration: float,
    concurrency: int,
    tmp: Path,
    client: str,
    rate: float = 0.0,
) -> LoadResult:
    """`concurrency` connections for `duration` seconds, each sending its next request as soon
    as the last is answered (closed loop); or, at a set `rate`, after a random pause that keeps
    them together near it (with fewer connections, so that no pause outlasts keep-alive)."""
    if rate:
        concurrency = min(concurrency, max(1, math.ceil(rate * MAX_MEAN_PAUSE)))
    if client == "wrk":
        return run_wrk(port, pool, duration, concurrency, tmp, rate)
    return run_python(port, pool, duration, concurrency, rate)


# ---------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time of these processes so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def machine_cpu_seconds() -> tuple[float, float]:
    """CPU time of the whole machine so far (all cores): busy (idle and iowait aside), and
    the part of it spent on interrupts (loopback networking is mostly softirq)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    busy = user + nice + system + irq + softirq + steal
    return busy / CLOCK_TICKS, (irq + softirq) / CLOCK_TICKS


def postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_dir: Path

    @property
    def workers(self) -> list[int]:
        return children(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # gunicorn: graceful shutdown
        try:
            self.process.wait(timeout=45)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # the group we started, nothing else
            self.process.wait(timeout=10)

    def log_lines(self, marker: str) -> int:
        text = (self.log_dir / f"{self.name}.err").read_text(errors="replace")
        return sum(marker in line for line in text.splitlines())


def start_server(
    name: str, command: list[str], env: dict[str, str], port: int, tmp: Path
) -> Server:
    out = open(tmp / f"{name}.out", "wb")  # noqa: SIM115 - closed when the process ends
    err = open(tmp / f"{name}.err", "wb")  # noqa: SIM115
    process = subprocess.Popen(  # noqa: S603 - our own command line
        command,
        env=env,
        cwd=tmp,  # no .env of the working tree
        stdout=out,
        stderr=err,
        start_new_session=True,
    )
    out.close()
    err.close()
    return Server(name, process, port, tmp)


def wait_ready(server: Server, path: str, workers: int, timeout: float = 90) -> None:
    """Until the server answers on `path` and all its workers are up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            err = (server.log_dir / f"{server.name}.err").read_text(errors="replace")
            raise RuntimeError(f"{server.name} exited ({server.process.returncode}): {err[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()
            if len(server.workers) >= workers:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{server.name} did not come up on port {server.port} in {timeout}s")


def wait_quiet(fake: FakeSlack, quiet: float = 3.0, timeout: float = 120.0) -> int:
    """Until the fake has had no Web API call for `quiet` seconds (the start sweeps done);
    returns how many calls it had."""
    deadline = time.monotonic() + timeout
    seen, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = sum(1 for c in fake.calls if c.method != "response_url")
        if count != seen:
            seen, since = count, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
        time.sleep(0.25)
    return seen


def late_answers(load: LoadResult) -> int:
    """The requests acked empty, whose answers come to the response_url."""
    return len({ident for ident, _, _, kind in load.acks if kind == "e"})


def wait_answers(
    fake: FakeSlack, tag: str, expected: int, quiet: float = 10.0, timeout: float = 180.0
) -> float:
    """Until `expected` answers with this tag arrived, or none came for `quiet` seconds;
    returns when the wait ended (time.time())."""
    deadline = time.monotonic() + timeout
    seen, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = sum(1 for key in arrivals_of(fake) if key.startswith(tag))
        if count >= expected:
            break
        if count != seen:
            seen, since = count, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
        time.sleep(0.25)
    return time.time()


# ---------------------------------------------------------------- one target


@dataclass
class Target:
    name: str
    start: Callable[[int], Server]
    ready_path: str
    answers: bool  # whether it answers at the response_url


def answer_times(
    fake: FakeSlack,
    tag: str,
    load: LoadResult,
    load_end: float,
    busy: int = 0,
) -> dict[str, Any]:
    """How long after its request each answer reached the user: in the ack itself when it was
    ready in time (bot.slackkit.early), else at the fake's response_url. `busy` of the acked
    commands were answered "busy" in their ack (bot.slackkit.shed): the user was told to try
    again, so they are neither run nor missing."""
    arrived = {k: v for k, v in arrivals_of(fake).items() if k.startswith(tag)}
    first: dict[int, tuple[float, float, str]] = {}
    for ident, at, got, kind in load.acks:
        first.setdefault(ident, (at, got, kind))
    in_ack = [(got - at) * 1000 for at, got, kind in first.values() if kind == "a"]
    late = [
        (arrived[f"{tag}{ident}"] - at) * 1000
        for ident, (at, _, kind) in first.items()
        if kind == "e" and f"{tag}{ident}" in arrived
    ]
    delays = in_ack + late
    busy_in_acks = sum(1 for _, _, kind in first.values() if kind == "b")
    answered = len(in_ack) + len(arrived)
    result: dict[str, Any] = {
        "requests_sent": len({ident for ident, _ in load.sent}),
        "acked": load.requests,
        "answered": answered,
        "answered_in_ack": len(in_ack),
        "answered_at_response_url": len(arrived),
        "answered_busy": busy,
        "busy_acks_seen": busy_in_acks,
        "missing_after_ack": max(0, load.requests - answered - busy),
    }
    if delays:
        result.update(
            p50_ms=round(_quantile(delays, 0.50), 1),
            p99_ms=round(_quantile(delays, 0.99), 1),
            max_ms=round(max(delays), 1),
        )
    if arrived:
        result["last_after_load_s"] = round(max(arrived.values()) - load_end, 2)
    return result


def measure(
    target: Target,
    fake: FakeSlack,
    args: argparse.Namespace,
    tmp: Path,
) -> dict[str, Any]:
    port = free_port()
    log(f"{target.name}: starting gunicorn on 127.0.0.1:{port}")
    server = target.start(port)
    result: dict[str, Any] = {}
    try:
        wait_ready(server, target.ready_path, args.workers)
        result["start_web_api_calls"] = wait_quiet(fake)
        # Warm-up: each worker's first requests import, connect and ask Slack for the locale.
        tag = f"{target.name[0]}w"
        warm = sign_pool(
            fake, tag, 0, max(args.concurrency, args.pool * args.warmup // args.duration)
        )
        log(f"{target.name}: warming up for {args.warmup}s")
        warmed = run_load(port, warm, args.warmup, args.concurrency, tmp, args.client)
        if target.answers:
            wait_answers(fake, tag, late_answers(warmed), quiet=5)
        fake.reset()
        tag = f"{target.name[0]}m"
        pool = sign_pool(fake, tag, 0, args.pool)
        log(f"{target.name}: {args.concurrency} connections for {args.duration}s")
        workers = server.workers
        pg = postgres_pids()
        cpu_before = (
            cpu_seconds(workers),
            cpu_seconds(pg),
            time.process_time(),
        )
        machine_before = machine_cpu_seconds()
        busy_before = server.log_lines("answered busy")
        load = run_load(port, pool, args.duration, args.concurrency, tmp, args.client, args.rate)
        load_end = time.time()
        cpu_during = (
            cpu_seconds(workers) - cpu_before[0],
            max(0.0, cpu_seconds(pg) - cpu_before[1]),  # backends come and go: a floor
            time.process_time() - cpu_before[2],
        )
        machine_after = machine_cpu_seconds()
        busy = machine_after[0] - machine_before[0]
        interrupts = machine_after[1] - machine_before[1]
        result.update(
            load_generator=load.generator,
            connections=load.connections,
            requests=load.requests,
            throughput_rps=round(load.requests / load.seconds, 1),
            ack=load.latency_ms,
            errors={**load.errors, "total": load.error_count},
        )
        if target.answers:
            log(f"{target.name}: waiting for the answers at the response_urls")
            wait_answers(fake, tag, late_answers(load))
            # The log is read after the wait: by then every ack of the load has been logged.
            busy_during = server.log_lines("answered busy") - busy_before
            answers = answer_times(fake, tag, load, load_end, busy_during)
            answers["commands_run_per_s"] = round(answers["answered"] / load.seconds, 1)
            result["answers"] = answers
        result["cpu_seconds_during_load"] = {
            "workers": round(cpu_during[0], 1),
            "postgres": round(cpu_during[1], 1),
            "load_generator": load.client_cpu_seconds,
            "fake_slack_and_bench": round(cpu_during[2], 1),
            "kernel_interrupts": round(interrupts, 1),
            # Whatever else ran on the machine meanwhile: more than a little means a noisy run.
            "other_processes": round(
                max(0.0, busy - interrupts - sum(cpu_during) - load.client_cpu_seconds), 1
            ),
            "available": round(load.seconds * (os.cpu_count() or 1), 1),
        }
        if load.requests:
            result["cpu_ms_per_request"] = {
                "workers": round(cpu_during[0] / load.requests * 1000, 2),
                "postgres": round(cpu_during[1] / load.requests * 1000, 2),
            }
        if result.get("answers", {}).get("answered"):
            # A "busy" ack costs next to nothing: what a command that is run costs is the CPU
            # over the commands answered at their response_url (busy acks' share included).
            run = result["answers"]["answered"]
            result["cpu_ms_per_command_run"] = {
                "workers": round(cpu_during[0] / run * 1000, 2),
                "postgres": round(cpu_during[1] / run * 1000, 2),
            }
        rejected = fake.errors
        result["slack_calls_rejected"] = len(rejected)
        if rejected:
            result["slack_rejections"] = [c.describe()[:300] for c in rejected[:3]]
        result["web_api_calls_during_load"] = sum(
            1 for c in fake.calls if c.method != "response_url"
        )
        result["pool_wrapped"] = load.pool_wrapped
        result["rss_mb"] = {
            "workers": [rss_mb(pid) for pid in server.workers],
            "master": rss_mb(server.process.pid),
        }
        result["server_log"] = {
            "errors": server.log_lines(" ERROR ") + server.log_lines("Traceback"),
            "warnings": server.log_lines(" WARNING "),
            # Commands answered "busy" in their ack (bot.slackkit.shed), warm-up included:
            # they get no answer at their response_url.
            "busy_answers": server.log_lines("answered busy"),
        }
        fake.reset()
    finally:
        log(f"{target.name}: stopping")
        server.stop()
    return result


# ---------------------------------------------------------------- main


def server_env(
    fake: FakeSlack, tmp: Path, database_url: str, port: int, workers: int
) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "VIRTUAL_ENV")
    return {
        **{k: v for k, v in os.environ.items() if k in keep},
        "DATABASE_URL": database_url,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": fake.base_url,
        "VAKT_CONFIG": str(tmp / "vakt.toml"),
        "VAKT_DATA_DIR": str(tmp / "data"),
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        "NO_PROXY": "127.0.0.1,localhost",
    }


def targets(fake: FakeSlack, tmp: Path, database_url: str, workers: int) -> tuple[Target, Target]:
    python = sys.executable

    def floor(port: int) -> Server:
        command = [
            python,
            "-m",
            "gunicorn",
            f"--workers={workers}",
            f"--worker-class={WORKER_CLASS}",
            f"--threads={THREADS}",
            "--timeout=30",
            "--access-logfile=-",
            f"--access-logformat={ACCESS_LOG_FORMAT}",
            f"--bind=127.0.0.1:{port}",
            "bot.bench.floor:app()",
        ]
        return start_server(
            "floor", command, server_env(fake, tmp, database_url, port, workers), port, tmp
        )

    def vakt(port: int) -> Server:
        command = [python, "-m", "bot", "serve", f"--workers={workers}"]
        return start_server(
            "vakt", command, server_env(fake, tmp, database_url, port, workers), port, tmp
        )

    return (
        Target("floor", floor, "/", answers=False),
        Target("vakt", vakt, "/healthz", answers=True),
    )


def verdict(floor: dict[str, Any], vakt: dict[str, Any]) -> dict[str, Any]:
    p99, floor_p99 = vakt["ack"]["p99_ms"], floor["ack"]["p99_ms"]
    answers = vakt.get("answers", {})
    workers_rss = [mb for mb in vakt["rss_mb"]["workers"] if mb is not None]
    checks = {
        "ack_p99_at_most_300ms": p99 <= TARGET_ACK_P99_MS,
        "answer_p99_at_most_500ms": (answers.get("p99_ms") or math.inf) <= TARGET_ANSWER_P99_MS,
        "zero_errors": vakt["errors"]["total"] == 0
        and answers.get("missing_after_ack", 1) == 0
        and vakt["slack_calls_rejected"] == 0,
        "rss_per_worker_under_150mb": bool(workers_rss) and max(workers_rss) < TARGET_RSS_MB,
        # Slack gives up on an ack after 3 s: none may come later, whatever the load.
        "no_ack_past_3s": vakt["ack"].get("max_ms", ACK_TIMEOUT * 1000) < ACK_TIMEOUT * 1000
        and vakt["errors"].get("timeouts", 0) == 0,
        "commands_run_at_least_250_per_s": answers.get("commands_run_per_s", 0.0)
        >= TARGET_COMMANDS_RUN_PER_S,
        "cpu_per_command_run_at_most_4ms": vakt.get("cpu_ms_per_command_run", {}).get(
            "workers", math.inf
        )
        <= TARGET_CPU_MS_PER_COMMAND,
    }
    return {
        "ack_p99_ms": p99,
        "floor_ack_p99_ms": floor_p99,
        "p99_vs_floor": round(p99 / floor_p99, 2) if floor_p99 else None,
        "answers_p99_ms": answers.get("p99_ms"),
        **checks,
        "all": all(checks.values()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.bench.load", description=__doc__)
    parser.add_argument("--duration", type=int, default=30, help="seconds of load per server")
    parser.add_argument("--concurrency", type=int, default=50, help="connections")
    parser.add_argument("--items", type=int, default=100_000, help="open items")
    parser.add_argument("--closed", type=int, default=20_000, help="answered items")
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--teams", type=int, default=50)
    parser.add_argument("--database-url", default=DEFAULT_SERVER, help="PostgreSQL server")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of load before timing")
    parser.add_argument("--pool", type=int, default=60_000, help="distinct signed requests per run")
    parser.add_argument(
        "--client",
        choices=("wrk", "python"),
        default="wrk" if shutil.which("wrk") else "python",
        help="load generator (default: wrk when installed)",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="requests per second over all connections (default 0: as fast as answered)",
    )
    parser.add_argument("--logs", type=Path, help="copy the servers' logs into this directory")
    parser.add_argument(
        "--only", choices=("floor", "vakt"), help="measure one server (the verdict needs both)"
    )
    args = parser.parse_args(argv)
    if args.teams < 1 or args.accounts < args.teams or min(args.items, args.closed) < 0:
        parser.error("need teams >= 1, accounts >= teams, items and closed >= 0")
    if not 0 < args.duration <= SIGNATURE_LIFETIME - 60 or not 0 < args.warmup <= 60:
        parser.error(f"need 0 < duration <= {SIGNATURE_LIFETIME - 60} and 0 < warmup <= 60")
    if args.concurrency < 1 or args.workers < 1 or args.pool < args.concurrency:
        parser.error("need concurrency >= 1, workers >= 1 and pool >= concurrency")
    if args.rate < 0:
        parser.error("need rate >= 0")
    if args.client == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install wrk): use --client python")

    report: dict[str, Any] = {
        "load_generator": "wrk"
        if args.client == "wrk"
        else "python threads"
        + ("" if shutil.which("wrk") else " (wrk is not installed: apt-get install wrk)")
        + ": they take CPU from the servers, figures are pessimistic",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "settings": {
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "concurrency": args.concurrency,
            "rate": args.rate or "closed loop: each connection sends again once answered",
            "workers": args.workers,
            "worker_class": WORKER_CLASS,
            "threads": THREADS,
            "ack_timeout_s": ACK_TIMEOUT,
            "commands": [f"/vakt {c}" for c in COMMANDS],
        },
    }
    tmp = Path(tempfile.mkdtemp(prefix="vakt-load-"))
    try:
        with load_database(args.database_url) as url:
            log(f"filling {redact_url(url)}: {args.items} open items, {args.accounts} accounts")
            report["database"] = {
                "server": redact_url(args.database_url),
                **fill(
                    url,
                    teams=args.teams,
                    accounts=args.accounts,
                    items=args.items,
                    closed=args.closed,
                ),
            }
            (tmp / "vakt.toml").write_text(CONFIG)
            with timed_fake() as fake:
                fake.users[COORDINATOR] = {"locale": "en-US"}
                for target in targets(fake, tmp, url, args.workers):
                    if args.only in (None, target.name):
                        report[target.name] = measure(target, fake, args, tmp)
    finally:
        if args.logs:
            args.logs.mkdir(parents=True, exist_ok=True)
            for path in tmp.glob("*.[oe][ur][tr]"):
                shutil.copy(path, args.logs / path.name)
        shutil.rmtree(tmp, ignore_errors=True)
    if "floor" in report and "vakt" in report:
        report["targets"] = verdict(report["floor"], report["vakt"])
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
