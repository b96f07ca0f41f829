"""Downloading a shared file from Slack, against real HTTP servers on loopback: the bot token
goes only to Slack's exact origins (never to another port of the same host, never along a
redirect), a body cut short is an incomplete download and not a file, and a server that drips
its answer is given up at the deadline."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import trustme

from bot.archive.files import (
    DEFAULT_DEADLINE,
    SLACK_FILE_ORIGINS,
    DownloadError,
    origin_of,
    slack_downloader,
    trusted_origins,
)
from bot.settings import Settings, SettingsError, load_settings
from tests.loopback import Server
from tests.waiting import PATIENCE

TOKEN = "xoxb-test-token"
BODY = bytes(range(256)) * 8  # what the server holds; the downloader does not look inside
LIMIT = 1024 * 1024


@pytest.fixture
def servers() -> Iterator[Callable[[Callable[[BaseHTTPRequestHandler], None]], Server]]:
    started: list[Server] = []

    def start(answer: Callable[[BaseHTTPRequestHandler], None]) -> Server:
        started.append(Server(answer).start())
        return started[-1]

    yield start
    for server in started:
        server.stop()


def full(handler: BaseHTTPRequestHandler, body: bytes = BODY) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "image/png")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def short(handler: BaseHTTPRequestHandler) -> None:
    """Announce 100 000 bytes, send 46 and close."""
    handler.send_response(200)
    handler.send_header("Content-Type", "image/png")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    handler.wfile.write(BODY[:46])
    handler.wfile.flush()
    handler.close_connection = True


def api_url(server: Server) -> str:
    return f"{server.origin}/api/"


def file_url(server: Server) -> str:
    return f"{server.origin}/files-pri/T111-F1/download/bevis.png"


# ---------------------------------------------------------------- a body cut short


def test_a_body_shorter_than_its_content_length_is_an_incomplete_download(servers: Any) -> None:
    answers = [short, full]
    server = servers(lambda handler: answers.pop(0)(handler))
    download = slack_downloader(TOKEN, api_url(server))
    with pytest.raises(DownloadError) as caught:
        download(file_url(server), LIMIT)
    assert caught.value.code == "incomplete"
    assert download(file_url(server), LIMIT) == BODY  # the server mended: the whole file


def test_a_chunked_answer_cut_off_is_an_incomplete_download(servers: Any) -> None:
    def chunked(handler: BaseHTTPRequestHandler) -> None:
        handler.protocol_version = "HTTP/1.1"
        handler.send_response(200)
        handler.send_header("Content-Type", "image/png")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        handler.wfile.write(b"400\r\n" + BODY[:100])  # a 1024-byte chunk, 100 bytes of it
        handler.wfile.flush()
        handler.close_connection = True

    server = servers(chunked)
    with pytest.raises(DownloadError) as caught:
        slack_downloader(TOKEN, api_url(server))(file_url(server), LIMIT)
    assert caught.value.code == "incomplete"


def test_a_content_length_over_the_limit_is_too_big_before_reading(servers: Any) -> None:
    server = servers(full)
    with pytest.raises(DownloadError) as caught:
        slack_downloader(TOKEN, api_url(server))(file_url(server), len(BODY) - 1)
    assert caught.value.code == "too_big"


# ---------------------------------------------------------------- the deadline


def dripping(server_stopping: Callable[[], threading.Event], *, headers: bool = False) -> Any:
    """An answer that sends one byte every half second: the body, or already the headers;
    after 40 s it hangs up (so a downloader without a deadline fails here, not hangs)."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        give_up = time.monotonic() + 40
        head = (
            b"HTTP/1.0 200 OK\r\nContent-Type: image/png\r\n"
            + f"Content-Length: {len(BODY)}\r\n\r\n".encode()
        )
        slow, fast = (head + BODY, b"") if headers else (BODY, head)
        try:
            handler.wfile.write(fast)
            for at in range(len(slow)):
                handler.wfile.write(slow[at : at + 1])
                handler.wfile.flush()
                if server_stopping().wait(0.5) or time.monotonic() > give_up:
                    return
        except OSError:
            return  # the client gave up
        finally:
            handler.close_connection = True

    return answer


@pytest.mark.parametrize("what", ["body", "headers"])
def test_a_dripping_server_is_given_up_at_the_deadline(servers: Any, what: str) -> None:
    holder: list[Server] = []
    server = servers(dripping(lambda: holder[0].stopping, headers=what == "headers"))
    holder.append(server)
    # The whole answer would take over 17 minutes; the per-read timeout (30 s) never fires.
    download = slack_downloader(TOKEN, api_url(server), deadline=2.0)
    with pytest.raises(DownloadError) as caught:
        download(file_url(server), LIMIT)
    assert caught.value.code == "deadline"  # not "incomplete": the server hung up later


# ---------------------------------------------------------------- over TLS, as from Slack


@pytest.fixture
def authority() -> trustme.CA:
    return trustme.CA()


def https_server(authority: trustme.CA, answer: Any) -> Server:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    return Server(answer, tls=context).start()


def trusting(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    authority.configure_trust(context)
    return context


def test_over_https_the_file_comes_whole_and_a_drip_is_cut_at_the_deadline(
    authority: trustme.CA,
) -> None:
    holder: list[Server] = []
    answers = [full, dripping(lambda: holder[0].stopping), short]
    server = https_server(authority, lambda handler: answers.pop(0)(handler))
    holder.append(server)
    try:
        assert server.origin.startswith("https://")
        patient = slack_downloader(
            TOKEN, api_url(server), deadline=PATIENCE, tls=trusting(authority)
        )
        assert patient(file_url(server), LIMIT) == BODY
        download = slack_downloader(TOKEN, api_url(server), deadline=2.0, tls=trusting(authority))
        for expected in ("deadline", "incomplete"):
            with pytest.raises(DownloadError) as caught:
                download(file_url(server), LIMIT)
            assert caught.value.code == expected
        assert [s.authorization for s in server.seen] == [f"Bearer {TOKEN}"] * 3
    finally:
        server.stop()


def test_a_certificate_slack_did_not_sign_gets_no_token(authority: trustme.CA) -> None:
    server = https_server(authority, full)
    try:
        # The system's authorities do not know this one: the handshake fails first.
        with pytest.raises(DownloadError) as caught:
            slack_downloader(TOKEN, api_url(server))(file_url(server), LIMIT)
        assert caught.value.code == "URLError"  # certificate verify failed
        assert server.seen == []
    finally:
        server.stop()


# ---------------------------------------------------------------- where the token goes


def test_the_token_goes_to_no_other_port_of_the_api_host(servers: Any) -> None:
    api = servers(full)
    other = servers(full)  # e.g. Vakt's own /metrics on the same host
    download = slack_downloader(TOKEN, api_url(api))
    with pytest.raises(DownloadError) as caught:
        download(f"{other.origin}/metrics", LIMIT)
    assert caught.value.code == "untrusted_host"
    assert other.seen == []  # not a request, let alone the token
    assert download(file_url(api), LIMIT) == BODY
    assert [s.authorization for s in api.seen] == [f"Bearer {TOKEN}"]


def test_a_redirect_to_another_origin_is_not_followed(servers: Any) -> None:
    other = servers(full)

    def redirect(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", f"{other.origin}/stolen")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    api = servers(redirect)
    with pytest.raises(DownloadError) as caught:
        slack_downloader(TOKEN, api_url(api))(file_url(api), LIMIT)
    assert caught.value.code == "http_302"
    assert other.seen == []
    assert [s.authorization for s in api.seen] == [f"Bearer {TOKEN}"]


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://files.slack.com/files-pri/T1-F1/download/a.png", True),
        ("https://files.slack.com:443/files-pri/T1-F1/a.png", True),
        ("https://FILES.SLACK.COM/files-pri/T1-F1/a.png", True),
        ("https://files.slack-gov.com/files-pri/T1-F1/download/a.png", True),
        ("https://slack.com/api/files.info", True),  # the API URL's own origin
        ("https://files.slack.com:8443/files-pri/T1-F1/a.png", False),
        ("http://files.slack.com/files-pri/T1-F1/a.png", False),
        ("https://files.slack.com.evil.example/a.png", False),
        ("https://user@files.slack.com/a.png", False),
        ("https://files.slack.com:99999/a.png", False),
        ("https://slack.com:8080/metrics", False),
        ("https://slack-gov.com/api/files.info", False),  # another API than the configured
        ("ftp://files.slack.com/a.png", False),
        ("file:///etc/passwd", False),
    ],
)
def test_only_exact_slack_origins_are_trusted(url: str, allowed: bool) -> None:
    assert (origin_of(url) in trusted_origins("https://slack.com/api/")) is allowed


def test_govslack_and_a_loopback_stand_in_are_trusted_by_their_exact_origin() -> None:
    gov = trusted_origins("https://slack-gov.com/api/")
    assert ("https", "slack-gov.com", 443) in gov and gov >= SLACK_FILE_ORIGINS
    loopback = trusted_origins("http://127.0.0.1:4711/api/")
    assert ("http", "127.0.0.1", 4711) in loopback
    assert ("http", "127.0.0.1", 4712) not in loopback
    # Plain http to anything but loopback never carries the token.
    assert trusted_origins("http://slack.internal:8080/api/") == SLACK_FILE_ORIGINS


def test_the_deadline_is_a_setting_with_a_default(tmp_path: Path) -> None:
    def load(**values: str) -> Settings:
        return load_settings(values, env_file=tmp_path / "no.env")

    assert load().download_deadline == DEFAULT_DEADLINE == 120.0
    assert load(VAKT_DOWNLOAD_DEADLINE="30").download_deadline == 30.0
    for bad in ("0", "-5", "soon", "7200"):
        with pytest.raises(SettingsError, match="VAKT_DOWNLOAD_DEADLINE"):
            load(VAKT_DOWNLOAD_DEADLINE=bad)
