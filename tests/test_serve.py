"""`vakt serve`: the real gunicorn server on a free port, as the Procfile's web process runs it."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.fakeslack import FakeSlack, signed_request, slash_command_body
from tests.fakeslack.responses import DEFAULT_RESPONDERS
from tests.harness import CONFIG, INTAKE_TOKEN, SECRET, Vakt
from tests.waiting import PATIENCE

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    """A running `vakt serve`: its address, its process and (once stopped) its output."""

    url: str
    process: subprocess.Popen[bytes]
    output: str = ""

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.url.removeprefix("http://").split(":")
        return host, int(port)


@contextmanager
def serving(
    tmp_path: Path, fake: FakeSlack, port: int | None = None, **extra: str
) -> Iterator[Served]:
    """`vakt serve` on a loopback port (a free one unless given) with the harness's
    configuration; `extra` adds to its environment. Stopped with SIGTERM; its output (stdout and
    stderr) never holds a secret."""
    (tmp_path / "vakt.toml").write_text(CONFIG)
    port = port or free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": "xoxb-serve-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.base_url,
        "VAKT_CONFIG": str(tmp_path / "vakt.toml"),
        "VAKT_DATA_DIR": str(tmp_path / "data"),
        "PORT": str(port),
        "VAKT_INTAKE_TOKEN": INTAKE_TOKEN,
        **extra,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    served = Served(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + PATIENCE
        while True:
            try:
                with urllib.request.urlopen(f"{served.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read().decode() if process.stdout else ""
                    raise AssertionError(f"vakt serve did not start:\n{output}") from None
                time.sleep(0.2)
        yield served
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            output, _ = process.communicate(timeout=PATIENCE)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        # Secrets never reach the logs.
        served.output = text = output.decode()
        assert "xoxb-serve-test" not in text and SECRET not in text
        assert INTAKE_TOKEN not in text


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, FakeSlack]]:
    with FakeSlack() as fake, serving(tmp_path, fake) as served:
        yield served.url, fake


def test_serve_answers_slack_and_health(server: tuple[str, FakeSlack]) -> None:
    url, fake = server
    raw, headers = signed_request(
        slash_command_body("who", response_url=fake.response_url("w")), SECRET
    )
    request = urllib.request.Request(
        f"{url}/slack/events", data=raw, headers=headers, method="POST"
    )
    with urllib.request.urlopen(request, timeout=PATIENCE) as response:
        assert response.status == 200
        fake.acked(raw, response.status, response.read())  # the answer is in the ack
    (reply,) = fake.wait_for("response_url")
    assert "On duty" in Vakt.reply_text(reply.args)  # the real clock decides who
    unsigned = urllib.request.Request(f"{url}/slack/events", data=raw, method="POST")
    try:
        urllib.request.urlopen(unsigned, timeout=PATIENCE)
        raise AssertionError("an unsigned request was accepted")
    except urllib.error.HTTPError as error:
        assert error.code == 401


def test_serve_takes_in_a_chunked_intake_request(server: tuple[str, FakeSlack]) -> None:
    # Automations may stream their body without a Content-Length: gunicorn ends it for us.
    url, _ = server
    body = json.dumps(
        {
            "account": "fb-main",
            "external_id": "serve-1",
            "url": "https://www.facebook.com/testrud/posts/1",
            "received_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        }
    ).encode()
    headers = {"Authorization": f"Bearer {INTAKE_TOKEN}", "Content-Type": "application/json"}
    answers = []
    for _ in range(2):
        conn = http.client.HTTPConnection(url.removeprefix("http://"), timeout=PATIENCE)
        try:
            conn.request(
                "POST",
                "/intake",
                body=iter([body[:20], body[20:]]),
                headers=headers,
                encode_chunked=True,
            )
            response = conn.getresponse()
            answers.append((response.status, json.loads(response.read())))
        finally:
            conn.close()
    assert answers[0][0] == 201 and answers[0][1]["created"] is True, answers
    assert answers[1][0] == 200 and answers[1][1]["id"] == answers[0][1]["id"], answers


def intake_body(external_id: str) -> bytes:
    return json.dumps(
        {
            "account": "fb-main",
            "external_id": external_id,
            "url": f"https://www.facebook.com/testrud/posts/{external_id}",
            "received_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        }
    ).encode()


def send(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """POST `body`; the status and JSON answer, whatever the status."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_serve_refuses_bodies_over_their_limit_as_the_app_answers(
    server: tuple[str, FakeSlack],
) -> None:
    """The worker keeps as much of a body as the largest limit and one byte: each route still
    answers 413 itself, in its own order (the token before the size), however long the body."""
    url, _ = server
    auth = {"Authorization": f"Bearer {INTAKE_TOKEN}", "Content-Type": "application/json"}
    big = json.dumps({"text": "a" * 70_000}).encode()
    assert send(f"{url}/intake", big, auth) == (
        413,
        {"ok": False, "error": "body_too_large", "message": "The body is over 64 KiB."},
    )
    wrong = {**auth, "Authorization": "Bearer not-the-token-at-all"}
    assert send(f"{url}/intake", big, wrong)[0] == 401
    slack = {"Content-Type": "application/x-www-form-urlencoded"}
    for size in (2 * 1024 * 1024, 12 * 1024 * 1024):
        status, answer = send(f"{url}/slack/events", b"a" * size, slack)
        assert (status, answer["error"]) == (413, "body_too_large"), size
    conn = http.client.HTTPConnection(url.removeprefix("http://"), timeout=30)
    try:
        chunk = b" " * 65536
        conn.request("POST", "/intake", body=iter([chunk] * 40), headers=auth, encode_chunked=True)
        response = conn.getresponse()
        assert (response.status, json.loads(response.read())["error"]) == (413, "body_too_large")
    finally:
        conn.close()
    assert send(f"{url}/intake", intake_body("after-the-big-ones"), auth)[0] == 201


def test_sigterm_answers_the_request_in_flight_then_stops_the_scheduler(tmp_path: Path) -> None:
    auth = {"Authorization": f"Bearer {INTAKE_TOKEN}", "Content-Type": "application/json"}
    entered, release = threading.Event(), threading.Event()
    with FakeSlack() as fake:
        default = DEFAULT_RESPONDERS["chat.postMessage"]

        def answer(args: dict[str, Any]) -> dict[str, Any]:
            # Slack is slow with this card: its intake request is in flight meanwhile.
            if "in-flight-1" in json.dumps(args):
                entered.set()
                release.wait(30)
            return default(fake.workspace, args)

        fake.set_handler("chat.postMessage", answer)
        with serving(tmp_path, fake) as served, ThreadPoolExecutor(1) as pool:
            pending = pool.submit(send, f"{served.url}/intake", intake_body("in-flight-1"), auth)
            assert entered.wait(30)
            served.process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + PATIENCE
            while True:  # stopped taking connections: the worker is in its graceful stop
                try:
                    socket.create_connection(served.address, timeout=2).close()
                except OSError:
                    break
                assert time.monotonic() < deadline, "still accepting after SIGTERM"
                time.sleep(0.1)
            release.set()
            status, answer = pending.result(timeout=30)
            assert status == 201 and answer["created"] is True, answer
            assert served.process.wait(timeout=30) == 0
    assert "scheduler stopped" in served.output, served.output


def test_serve_leaves_nothing_in_the_users_home(tmp_path: Path) -> None:
    """gunicorn's control socket (~/.gunicorn/gunicorn.ctl) is off: Vakt uses no gunicornc, and
    a service account's home is no place for a socket."""
    home = tmp_path / "home"
    home.mkdir()
    with FakeSlack() as fake, serving(tmp_path, fake, HOME=str(home)) as served:
        with urllib.request.urlopen(f"{served.url}/healthz", timeout=PATIENCE) as response:
            assert response.status == 200
        assert not (home / ".gunicorn").exists()
