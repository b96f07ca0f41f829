"""The access log of a real `vakt serve` (text and JSON) never holds a calendar token, however
its path is spelled, nor a query string: automations put tokens there."""

from __future__ import annotations

import json
import re
import socket
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.fakeslack import FakeSlack, signed_request, slash_command_body
from tests.harness import INTAKE_TOKEN, SECRET, Vakt
from tests.test_serve import free_port, serving

LINK = re.compile(r"/calendar/([A-Za-z0-9_-]{32})\.ics")


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def percent(text: str) -> str:
    return "".join(f"%{ord(c):02X}" for c in text)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_no_spelling_of_a_feed_path_nor_a_query_string_reaches_the_log(
    tmp_path: Path, fmt: str
) -> None:
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    with (
        FakeSlack() as fake,
        serving(tmp_path, fake, port=port, VAKT_PUBLIC_URL=public, VAKT_LOG_FORMAT=fmt) as served,
    ):
        raw, headers = signed_request(
            slash_command_body("calendar", response_url=fake.response_url("cal")), SECRET
        )
        request = urllib.request.Request(
            f"{served.url}/slack/events", data=raw, headers=headers, method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
            fake.acked(raw, response.status, response.read())  # the answer is in the ack
        (reply,) = fake.wait_for("response_url", timeout=30)
        (token,) = LINK.findall(Vakt.reply_text(reply.args))
        query_secret = "qs-secret-" + token[::-1]

        served_paths = [
            f"/calendar/{token}.ics",
            f"/{percent('c')}alendar/{token}.ics",  # /%63alendar/...
            f"/calendar/{percent(token[0])}{token[1:]}.ics",  # /calendar/%5A...
            f"/calendar/{percent(token)}.ics",  # every character encoded
            f"/calendar%2F{token}.ics",
            f"/calendar/{token}.ics?from=phone",
        ]
        for path in served_paths:
            assert status(served.url + path) == 200, path
        assert status(f"{served.url}/CALENDAR/{token}.ics") == 404
        assert status(f"{served.url}/%2Fcalendar/{token}.ics") == 404
        assert status(f"{served.url}/intake?token={INTAKE_TOKEN}&k={query_secret}") == 405
        assert status(f"{served.url}/healthz?token={query_secret}") == 200
    log = served.output
    for secret in (token, token[1:], token[4:-4], query_secret, percent(token)):
        assert secret not in log
    if fmt == "text":
        assert log.count('"GET /calendar/[redacted] HTTP/1.1" 200') == len(served_paths) - 1
        assert '"GET /calendar/[redacted]?[redacted] HTTP/1.1" 200' in log
        assert '"GET /healthz?[redacted] HTTP/1.1" 200' in log
        return
    lines = []
    for text in log.splitlines():
        try:
            lines.append(json.loads(text))
        except ValueError:
            continue  # the plain lines before logging is set up
    access = [line for line in lines if line.get("logger") == "gunicorn.access"]
    feeds = [line for line in access if line["path"] == "/calendar/[redacted]"]
    assert len(feeds) == len(served_paths) + 1  # and the upper-case one, refused
    assert sorted(line["status"] for line in feeds) == [200] * len(served_paths) + [404]
    probes = [line for line in access if line["path"] == "/healthz"]
    assert any('"GET /healthz?[redacted] HTTP/1.1" 200' in line["message"] for line in probes)


def test_a_malformed_header_is_refused_without_logging_its_value(tmp_path: Path) -> None:
    """The HTTP server's own line about a malformed request names the client, never the header
    value it choked on (here a token with a control character in it)."""
    with FakeSlack() as fake, serving(tmp_path, fake) as served:
        with socket.create_connection(served.address, timeout=30) as sock:
            sock.sendall(
                b"POST /intake HTTP/1.1\r\nHost: vakt\r\nContent-Length: 0\r\n"
                b"Authorization: Bearer " + INTAKE_TOKEN.encode() + b"\x01\r\n\r\n"
            )
            answer = sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 400 "), answer
        assert status(f"{served.url}/healthz") == 200
    assert "Malformed HTTP message from 127.0.0.1" in served.output
    # (and the fixture: the intake token is nowhere in the output)
