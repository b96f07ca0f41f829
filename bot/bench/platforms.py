"""The platform connector's benchmark: a full poll cycle against the fake Graph API, and Meta's
webhook into a running `vakt serve`.

    .venv/bin/python -m bot.bench.platforms [--accounts 500] [--posts 50] [--comments 100000]
                                            [--database-url URL] [--workers 2]
                                            [--duration 10] [--batch 100] [--clients 8]

1. **Poll.** A fresh database (PostgreSQL on --database-url, dropped afterwards) with the
   accounts connected to Facebook Pages of the loopback fake Graph API (tests.meta.fakegraph),
   each with --posts posts in the backfill window and the comments spread over them. The
   connector's first poll reads them all (the backfill), in-process; then a few comments are
   added and the second poll (an ordinary one, five minutes later) reads only what is new. For
   each: the Graph API calls, per account, and the wall time; the first poll's calls must be
   proportional to accounts and posts, the second's to accounts and new comments.
2. **Webhook.** `vakt serve --workers N` on the same kind of database, the accounts connected,
   Slack faked by tests.fakeslack: --clients threads post signed deliveries of --batch changes
   each for --duration seconds, then single-change deliveries; changes stored per second (the
   answer is sent once they are stored), and none lost: every change sent is a stored row.

Prints one JSON object on stdout, with pass/fail against the targets (progress to stderr).
Run it from the repository root: the fakes live in tests/.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from bot.bench.items import CONFIG, NOW, build
from bot.bench.load import (
    DEFAULT_SERVER,
    free_port,
    load_database,
    server_env,
    start_server,
    wait_ready,
)
from bot.kernel.config import parse_config
from bot.runtime import build_runtime
from bot.settings import load_settings
from bot.store.db import make_engine, migrate
from bot.store.models import Account, MetaChange

APP_SECRET = "bench-app-secret"  # noqa: S105 - a loopback fake's secret
TARGET_BATCHED = 1000.0  # changes a second, Meta sending 100 a delivery
TARGET_SINGLE = 200.0  # single-change deliveries a second
PAGE_BASE = 100_000_000_000


def log(message: str) -> None:
    print(f"[platforms] {message}", file=sys.stderr, flush=True)


def connect_accounts(url: str, accounts: int) -> list[str]:
    """Teams and accounts (bot.bench.items), each account connected to a Page."""
    engine = make_engine(url)
    try:
        migrate(engine)
        build(
            engine,
            parse_config(CONFIG, "bench.toml").calendar(),
            teams=max(1, accounts // 10),
            accounts=accounts,
            items=0,
            closed=0,
            seed=1,
        )
        with engine.begin() as conn:
            ids = list(conn.execute(sa.select(col(Account.id)).order_by(col(Account.id))).scalars())
            for n, account_id in enumerate(ids):
                conn.execute(
                    sa.update(Account)
                    .where(col(Account.id) == account_id)
                    .values(facebook_page_id=str(PAGE_BASE + n))
                )
    finally:
        engine.dispose()
    return [str(PAGE_BASE + n) for n in range(accounts)]


# ---------------------------------------------------------------- 1. the poll


def bench_poll(server: str, accounts: int, posts: int, comments: int) -> dict[str, Any]:
    from tests.fakeslack import FakeSlack
    from tests.meta.fakegraph import FakeGraph

    with load_database(server) as url, FakeSlack() as slack, FakeGraph() as graph:
        pages = connect_accounts(url, accounts)
        log(f"poll: {accounts} Pages, {posts} posts each, {comments} comments on the fake")
        post_ids: list[str] = []
        for page in pages:
            graph.add_page(page, f"Page {page}")
            for p in range(posts):
                post_ids.append(
                    graph.add_post(page, created_time=NOW - timedelta(days=13, hours=-p))
                )
        for n in range(comments):
            graph.add_comment(
                post_ids[n % len(post_ids)],
                from_id=str(10_000 + n % 5000),
                from_name=f"Innbygger {n % 5000}",
                message=f"Spørsmål {n}",
                created_time=NOW - timedelta(days=12, seconds=-n),
            )
        tmp = Path(tempfile.mkdtemp(prefix="vakt-platforms-"))
        settings = load_settings(
            {
                "SLACK_BOT_TOKEN": "xoxb-bench-token",
                "SLACK_API_URL": slack.base_url,
                "DATABASE_URL": url,
                "VAKT_DATA_DIR": str(tmp),
                "META_APP_SECRET": graph.app_secret,
                "META_ACCESS_TOKEN": graph.user_token,
                "META_GRAPH_URL": graph.base_url,
            },
            env_file=tmp / "no.env",
        )
        clock = [NOW]
        runtime = build_runtime(
            settings, parse_config(CONFIG, "bench.toml"), clock=lambda: clock[0]
        )
        connector = runtime.connector
        assert connector is not None
        try:
            first = _cycle(connector, graph, NOW)
            log(f"poll: first read {first}")
            # Five minutes on: a comment on one post in ten of the accounts.
            later = NOW + timedelta(minutes=5)
            new = 0
            for page_index in range(0, accounts, 10):
                graph.add_comment(
                    post_ids[page_index * posts],
                    from_id="20001",
                    from_name="Ny innbygger",
                    message="Et nytt spørsmål",
                    created_time=later - timedelta(minutes=1),
                )
                new += 1
            clock[0] = later
            second = _cycle(connector, graph, later)
            second["new_comments"] = new
            log(f"poll: second read {second}")
        finally:
            runtime.engine.dispose()
    return {
        "accounts": accounts,
        "posts_per_account": posts,
        "comments": comments,
        "first_poll": first,
        "second_poll": second,
        "first_poll_calls_per_account": round(first["graph_calls"] / accounts, 2),
        "second_poll_calls_per_account": round(second["graph_calls"] / accounts, 2),
    }


def _cycle(connector: Any, graph: Any, now: Any) -> dict[str, Any]:
    calls = len(graph.calls)
    start = time.perf_counter()
    result = connector.poll(now)
    seconds = time.perf_counter() - start
    return {
        "graph_calls": len(graph.calls) - calls,
        "stored_changes": result.stored,
        "failed_accounts": len(result.failed),
        "seconds": round(seconds, 2),
    }


# ---------------------------------------------------------------- 2. the webhook


def _envelope(pages: list[str], start: int, count: int) -> bytes:
    entries = []
    for n in range(start, start + count):
        page = pages[n % len(pages)]
        entries.append(
            {
                "id": page,
                "time": int(NOW.timestamp()),
                "changes": [
                    {
                        "field": "feed",
                        "value": {
                            "item": "comment",
                            "verb": "add",
                            "comment_id": f"9010978_{n}",
                            "post_id": f"{page}_9010978",
                            "parent_id": f"{page}_9010978",
                            "from": {"id": str(10_000 + n % 5000), "name": "Innbygger"},
                            "created_time": int(NOW.timestamp()) - 60,
                            "message": f"Spørsmål nummer {n} – når åpner biblioteket?",
                        },
                    }
                ],
            }
        )
    return json.dumps({"object": "page", "entry": entries}).encode()


def _post(port: int, body: bytes) -> int:
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(
            "POST",
            "/meta/webhook",
            body,
            {"Content-Type": "application/json", "X-Hub-Signature-256": signature},
        )
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _drive(
    port: int, pages: list[str], batch: int, clients: int, duration: float, first: int
) -> dict[str, Any]:
    sent = [0] * clients
    errors = [0] * clients
    stop = time.monotonic() + duration
    lock = threading.Lock()
    counter = [first]
    statuses: dict[int, int] = {}

    def worker(i: int) -> None:
        while time.monotonic() < stop:
            with lock:
                start = counter[0]
                counter[0] += batch
            status = _post(port, _envelope(pages, start, batch))
            if status == 200:
                sent[i] += batch
            else:
                errors[i] += 1
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    return {
        "batch": batch,
        "changes_sent": sum(sent),
        "errors": sum(errors),
        "error_statuses": statuses,
        "seconds": round(seconds, 2),
        "changes_per_second": round(sum(sent) / seconds, 1),
        "deliveries_per_second": round(sum(sent) / batch / seconds, 1),
        "next": counter[0],
    }


def bench_webhook(
    server: str, accounts: int, workers: int, duration: float, batch: int, clients: int
) -> dict[str, Any]:
    from tests.fakeslack import FakeSlack

    with load_database(server) as url, FakeSlack() as slack:
        pages = connect_accounts(url, accounts)
        tmp = Path(tempfile.mkdtemp(prefix="vakt-platforms-web-"))
        (tmp / "vakt.toml").write_text(CONFIG)
        port = free_port()
        env = server_env(slack, tmp, url, port, workers) | {"META_APP_SECRET": APP_SECRET}
        vakt = start_server(
            "vakt", [sys.executable, "-m", "bot", "serve", f"--workers={workers}"], env, port, tmp
        )
        try:
            wait_ready(vakt, "/healthz", workers)
            log(f"webhook: {clients} clients, {batch} changes a delivery, {duration:g} s")
            batched = _drive(port, pages, batch, clients, duration, 0)
            log(f"webhook: batched {batched}")
            single = _drive(port, pages, 1, clients, duration, batched["next"])
            log(f"webhook: single {single}")
        finally:
            vakt.stop()
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                stored = int(
                    conn.execute(sa.select(sa.func.count()).select_from(MetaChange)).scalar_one()
                )
        finally:
            engine.dispose()
    sent = batched["changes_sent"] + single["changes_sent"]
    return {
        "workers": workers,
        "clients": clients,
        "batched": batched,
        "single": single,
        "changes_acknowledged": sent,
        "changes_stored": stored,
        "lost": max(0, sent - stored),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--posts", type=int, default=50)
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--database-url", default=DEFAULT_SERVER)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--skip-poll", action="store_true")
    args = parser.parse_args(argv)
    result: dict[str, Any] = {"benchmark": "platforms"}
    if not args.skip_poll:
        result["poll"] = bench_poll(args.database_url, args.accounts, args.posts, args.comments)
    result["webhook"] = bench_webhook(
        args.database_url, args.accounts, args.workers, args.duration, args.batch, args.clients
    )
    web = result["webhook"]
    checks = {
        "batched_changes_per_second": web["batched"]["changes_per_second"] >= TARGET_BATCHED,
        "single_deliveries_per_second": web["single"]["deliveries_per_second"] >= TARGET_SINGLE,
        "none_lost": web["lost"] == 0
        and web["batched"]["errors"] == 0
        and web["single"]["errors"] == 0,
    }
    if "poll" in result:
        poll = result["poll"]
        # Per account: its posts list, then a read of each post's comments (a page of 100):
        # proportional to accounts and posts, and later to accounts and new comments.
        checks["first_poll_calls_bounded"] = (
            poll["first_poll"]["graph_calls"]
            <= args.accounts
            * (2 + args.posts * (1 + args.comments // max(1, args.accounts * args.posts * 100)))
            + 5
        )
        checks["second_poll_calls_bounded"] = (
            poll["second_poll"]["graph_calls"]
            <= 2 * args.accounts + 2 * poll["second_poll"]["new_comments"] + 5
        )
    result["targets"] = {
        "batched_changes_per_second": TARGET_BATCHED,
        "single_deliveries_per_second": TARGET_SINGLE,
    }
    result["pass"] = checks
    print(json.dumps(result, indent=2))
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
