"""Slow clients against a real `vakt serve`: a hundred connections dribbling their headers or
their body do not keep Slack's commands or /healthz waiting, and each is cut by the server once
its deadline has passed."""

from __future__ import annotations

import select
import socket
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.fakeslack import FakeSlack, signed_request, slash_command_body
from tests.harness import SECRET, Vakt
from tests.test_serve import serving

HEADER_DEADLINE = 8  # seconds (VAKT_HTTP_HEADER_TIMEOUT)
BODY_DEADLINE = 8  # seconds (VAKT_HTTP_BODY_TIMEOUT)
MARGIN = 20  # seconds past its deadline a slow connection may still be open on a busy machine
ANSWER_WITHIN = 10  # seconds for a request the slow ones must not hold up (normally ~20 ms)
SLOW = 50  # of each kind


@dataclass
class Slow:
    sock: socket.socket
    opened: float
    closed: float | None = None


def open_slow(address: tuple[str, int], first: bytes) -> Slow:
    sock = socket.create_connection(address, timeout=10)
    sock.sendall(first)
    sock.setblocking(False)
    return Slow(sock, time.monotonic())


def dribble(slow: list[Slow], stop: threading.Event, until: float) -> None:
    """One byte a second on each connection the server has not closed; notes when it did."""
    while not stop.is_set() and time.monotonic() < until:
        open_ = [s for s in slow if s.closed is None]
        if not open_:
            return
        readable, _, _ = select.select([s.sock for s in open_], [], [], 0)
        for s in open_:
            if s.sock in readable:
                try:
                    if s.sock.recv(4096) == b"":
                        s.closed = time.monotonic()
                except OSError:
                    s.closed = time.monotonic()
        for s in open_:
            if s.closed is None:
                try:
                    s.sock.send(b"a")
                except OSError:
                    s.closed = time.monotonic()
        stop.wait(1)


def test_slow_clients_neither_starve_the_server_nor_stay(tmp_path: Path) -> None:
    with (
        FakeSlack() as fake,
        serving(
            tmp_path,
            fake,
            VAKT_HTTP_HEADER_TIMEOUT=str(HEADER_DEADLINE),
            VAKT_HTTP_BODY_TIMEOUT=str(BODY_DEADLINE),
        ) as served,
    ):
        address = served.address
        headers = [
            open_slow(address, b"POST /slack/events HTTP/1.1\r\nHost: vakt\r\nX-Slow: ")
            for _ in range(SLOW)
        ]
        bodies = [
            open_slow(
                address,
                b"POST /slack/events HTTP/1.1\r\nHost: vakt\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: 100000\r\n\r\ntoken=",
            )
            for _ in range(SLOW)
        ]
        slow = headers + bodies
        stop = threading.Event()
        dribbler = threading.Thread(
            target=dribble,
            args=(slow, stop, time.monotonic() + max(HEADER_DEADLINE, BODY_DEADLINE) + MARGIN),
        )
        dribbler.start()
        try:
            for n in range(3):
                began = time.monotonic()
                with urllib.request.urlopen(f"{served.url}/healthz", timeout=ANSWER_WITHIN) as r:
                    assert r.status == 200
                raw, signed = signed_request(
                    slash_command_body("who", response_url=fake.response_url(f"who-{n}")), SECRET
                )
                request = urllib.request.Request(
                    f"{served.url}/slack/events", data=raw, headers=signed, method="POST"
                )
                with urllib.request.urlopen(request, timeout=ANSWER_WITHIN) as response:
                    assert response.status == 200
                    fake.acked(raw, response.status, response.read())  # the answer is in it
                assert time.monotonic() - began < ANSWER_WITHIN
            replies = fake.wait_for("response_url", count=3, timeout=30)
            assert all("On duty" in Vakt.reply_text(reply.args) for reply in replies)
            answered = time.monotonic()
            # They were answered while the slow ones were held (unless this machine took longer
            # than a deadline for six requests, when the server may rightly have cut some).
            if answered < min(s.opened for s in slow) + min(HEADER_DEADLINE, BODY_DEADLINE):
                assert all(s.closed is None for s in slow)
            dribbler.join()
        finally:
            stop.set()
            dribbler.join()
            for s in slow:
                s.sock.close()
        for kind, group, deadline in (
            ("headers", headers, HEADER_DEADLINE),
            ("body", bodies, BODY_DEADLINE),
        ):
            still_open = [s for s in group if s.closed is None]
            assert not still_open, f"{len(still_open)} slow-{kind} connections left open"
            late = max(s.closed - s.opened for s in group if s.closed is not None)
            assert late <= deadline + MARGIN, f"slow {kind} cut after {late:.1f} s"
