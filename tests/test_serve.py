"""`vakt serve`: the real gunicorn server on a free port, as the Procfile's web process runs it."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.fakeslack import FakeSlack, signed_request, slash_command_body
from tests.harness import CONFIG, INTAKE_TOKEN, SECRET, Vakt
from tests.waiting import PATIENCE

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, FakeSlack]]:
    (tmp_path / "vakt.toml").write_text(CONFIG)
    port = free_port()
    with FakeSlack() as fake:
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
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + PATIENCE
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        output = process.stdout.read().decode() if process.stdout else ""
                        raise AssertionError(f"vakt serve did not start:\n{output}") from None
                    time.sleep(0.2)
            yield url, fake
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                output, _ = process.communicate(timeout=PATIENCE)
            except subprocess.TimeoutExpired:
                process.kill()
                output, _ = process.communicate()
            # Secrets never reach the logs.
            text = output.decode()
            assert "xoxb-serve-test" not in text and SECRET not in text
            assert INTAKE_TOKEN not in text


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
