"""Slack answering 429, 5xx or dropping the connection: retried, reported as SlackSendError,
never an exception of another kind, never a dead listener. Real HTTP against the fake Slack."""

from __future__ import annotations

import itertools
import socket
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.slackkit.gateway import SlackGateway, SlackSendError, build_client
from tests.fakeslack import FILE_UPLOAD, Call, FakeSlack, slash_command_body
from tests.harness import OSLO, Vakt
from tests.waiting import wait_until

VIEW = {
    "type": "modal",
    "title": {"type": "plain_text", "text": "Vakt"},
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hei"}}],
}


@pytest.fixture
def quick(fake: FakeSlack) -> SlackGateway:
    """A gateway whose client retries once after a 10 ms pause: the same paths, quickly."""
    return SlackGateway(build_client("xoxb-test", fake.base_url, retries=1, backoff=0.01))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------------- 429 and Retry-After


def test_a_rate_limit_is_waited_out_and_the_message_posted_once(fake: FakeSlack) -> None:
    gateway = SlackGateway(build_client("xoxb-test", fake.base_url))  # as in production
    fake.fail_next("chat.postMessage", status=429, headers={"Retry-After": "1"})
    channel, ts = gateway.post_message("C0TEAM1", "Påminnelse")
    assert channel == "C0TEAM1" and ts
    limited, posted = fake.calls_to("chat.postMessage")
    assert (limited.status, posted.status) == (429, 200)
    assert [c.ok for c in fake.calls_to("chat.postMessage")] == [False, True]
    assert posted.at - limited.at >= 1.0  # Slack's Retry-After, honoured
    fake.assert_no_errors()


def test_a_rate_limit_that_outlasts_the_retries_says_when_to_try_again(fake: FakeSlack) -> None:
    gateway = SlackGateway(build_client("xoxb-test", fake.base_url, retries=2))
    fake.fail_next("chat.postMessage", status=429, headers={"Retry-After": "1"}, times=3)
    with pytest.raises(SlackSendError) as caught:
        gateway.post_message("C0TEAM1", "Påminnelse")
    assert caught.value.code == "ratelimited"
    assert not caught.value.permanent and caught.value.retry_after == 1.0
    calls = fake.calls_to("chat.postMessage")
    assert [c.status for c in calls] == [429, 429, 429]
    assert all(later.at - earlier.at >= 1.0 for earlier, later in itertools.pairwise(calls))


def test_a_long_retry_after_is_left_to_the_caller_not_slept_through(fake: FakeSlack) -> None:
    gateway = SlackGateway(build_client("xoxb-test", fake.base_url))
    fake.fail_next("chat.postMessage", status=429, headers={"Retry-After": "3600"})
    with pytest.raises(SlackSendError) as caught:
        gateway.post_message("C0TEAM1", "Påminnelse")
    assert caught.value.retry_after == 3600.0 and not caught.value.permanent
    # One call: not slept through and tried again (not even for the in-call cap); the outbox
    # tries again in an hour.
    assert len(fake.calls_to("chat.postMessage")) == 1


def test_a_retry_after_that_is_not_a_number_is_waited_as_one_second(fake: FakeSlack) -> None:
    # slack_sdk's own handler would raise ValueError from int("soon") here.
    gateway = SlackGateway(build_client("xoxb-test", fake.base_url))
    fake.fail_next("chat.postMessage", status=429, headers={"Retry-After": "soon"})
    gateway.post_message("C0TEAM1", "Påminnelse")
    limited, posted = fake.calls_to("chat.postMessage")
    assert posted.ok and posted.at - limited.at >= 1.0


def test_server_errors_and_dropped_answers_are_retried(
    fake: FakeSlack, quick: SlackGateway
) -> None:
    for fault in ({"status": 500}, {"status": 502}, {"status": 503}, {"hang_up": True}):
        fake.reset()
        fake.fail_next("chat.postMessage", **fault)  # type: ignore[arg-type]
        quick.post_message("C0TEAM1", "Påminnelse")
        assert [c.ok for c in fake.calls_to("chat.postMessage")] == [False, True], fault
    fake.assert_no_errors()


def test_the_fake_stamps_each_call_with_the_time_it_was_answered(fake: FakeSlack) -> None:
    gateway = SlackGateway(build_client("xoxb-test", fake.base_url))
    before = time.monotonic()
    gateway.identity()
    time.sleep(0.05)
    gateway.identity()
    first, second = fake.calls_to("auth.test")
    assert before <= first.at < second.at <= time.monotonic()
    assert second.at - first.at >= 0.05


# ---------------------------------------------------------------------- every method, every fault

GatewayCall = Callable[[SlackGateway], Any]

# name: (the Slack method to fail, the gateway call, what it returns instead of raising)
METHODS: dict[str, tuple[str, GatewayCall, bool]] = {
    "post_message": ("chat.postMessage", lambda g: g.post_message("C0TEAM1", "Hei"), False),
    "update_message": (
        "chat.update",
        lambda g: g.update_message("C0TEAM1", "1700000000.000100", "Hei"),
        False,
    ),
    "permalink": ("chat.getPermalink", lambda g: g.permalink("C0TEAM1", "1700000000.1"), True),
    "file_info": ("files.info", lambda g: g.file_info("F0FILE"), False),
    "open_dm": ("conversations.open", lambda g: g.open_dm("U0ANNA"), False),
    "upload_file (URL)": (
        "files.getUploadURLExternal",
        lambda g: g.upload_file("D0ANNA", "a.csv", b"a;b\n", "Export", "Her"),
        False,
    ),
    "upload_file (upload)": (
        FILE_UPLOAD,
        lambda g: g.upload_file("D0ANNA", "a.csv", b"a;b\n", "Export", "Her"),
        False,
    ),
    "upload_file (complete)": (
        "files.completeUploadExternal",
        lambda g: g.upload_file("D0ANNA", "a.csv", b"a;b\n", "Export", "Her"),
        False,
    ),
    "identity": ("auth.test", lambda g: g.identity(), False),
    "user_locale": ("users.info", lambda g: g.user_locale("U0ANNA"), True),
    "open_view": ("views.open", lambda g: g.open_view("111.222.abc", VIEW), False),
    "post_ephemeral": (
        "chat.postEphemeral",
        lambda g: g.post_ephemeral("C0TEAM1", "U0ANNA", "Hei"),
        False,
    ),
}

FAULTS: dict[str, dict[str, Any]] = {
    "429": {"status": 429, "headers": {"Retry-After": "30"}},
    "500": {"status": 500},
    "502": {"status": 502},
    "503": {"status": 503},
    "dropped": {"hang_up": True},
    "dropped 500": {"status": 500, "hang_up": True},
}


@pytest.fixture
def known_file(fake: FakeSlack) -> Iterator[None]:
    fake.add_file(b"png", file_id="F0FILE")
    fake.users["U0ANNA"] = {"locale": "nb-NO"}
    yield


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("name", METHODS)
def test_no_fault_lets_another_exception_out(
    fake: FakeSlack, quick: SlackGateway, known_file: None, name: str, fault: str
) -> None:
    method, call, quiet = METHODS[name]
    fake.fail_next(method, times=5, **FAULTS[fault])  # more often than the client retries
    if quiet:
        assert call(quick) is None
    else:
        with pytest.raises(SlackSendError) as caught:
            call(quick)
        assert not caught.value.permanent
        assert caught.value.retry_after == (30.0 if fault == "429" else None)
    assert any(c.method == method and not c.ok for c in fake.calls)
    fake.assert_no_errors()


@pytest.mark.parametrize("name", [n for n in METHODS if "(upload)" not in n])
def test_slack_unreachable_is_a_transient_send_error(name: str) -> None:
    gateway = SlackGateway(
        build_client("xoxb-test", f"http://127.0.0.1:{closed_port()}/api/", backoff=0.01)
    )
    _, call, quiet = METHODS[name]
    if quiet:
        assert call(gateway) is None
    else:
        with pytest.raises(SlackSendError) as caught:
            call(gateway)
        assert not caught.value.permanent and "refused" in caught.value.code


def test_a_permanent_refusal_stays_permanent(fake: FakeSlack, quick: SlackGateway) -> None:
    fake.fail_next("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackSendError) as caught:
        quick.post_message("C0GONE", "Hei")
    assert caught.value.permanent and caught.value.code == "channel_not_found"
    assert len(fake.calls_to("chat.postMessage")) == 1


# ---------------------------------------------------------------------- Bolt's own calls


@pytest.fixture
def vakt(fake: FakeSlack, sqlite_url: str, tmp_path: Path) -> Iterator[Vakt]:
    """The app over HTTP on SQLite only: what is tested here does not touch the database."""
    harness = Vakt(fake, sqlite_url, tmp_path, datetime(2026, 11, 23, 10, 0, tzinfo=OSLO))
    yield harness
    harness.close()
    fake.assert_no_errors()


def reply_to(vakt: Vakt, text: str, url_id: str) -> Call:
    """Run `/vakt <text>` over signed HTTP; the (first) call to its response_url. The request is
    acked (200) even when the listener fails after its ack: every listener is guarded
    (`bot.slackkit.app.VaktApp`), so Bolt's race that could turn it into a 404 cannot happen."""
    body = slash_command_body(text, user_id="U0ANNA", response_url=vakt.fake.response_url(url_id))
    status = vakt.signed_post(body).status
    assert status == 200
    vakt.idle()

    def calls() -> list[Call]:
        return [c for c in vakt.fake.calls_to("response_url") if c.path.endswith(f"/{url_id}")]

    wait_until(lambda: bool(calls()), what=f"for a reply to /vakt {text}")
    return calls()[0]


def test_a_reply_slack_refuses_does_not_stop_the_next_command(vakt: Vakt) -> None:
    # An answer ready in time goes in the ack; a late one to the response_url, which Slack
    # may refuse: every answer late here.
    vakt.runtime.deps.answer_in_ack_within = 0
    vakt.fake.fail_next("response_url", status=500)
    assert reply_to(vakt, "who", "r500").status == 500
    vakt.fake.fail_next("response_url", status=429)
    assert reply_to(vakt, "who", "r429").status == 429
    vakt.fake.fail_next("response_url", hang_up=True)  # respond() raises in the listener
    assert not reply_to(vakt, "who", "cut").ok
    answer = reply_to(vakt, "who", "next")
    assert answer.ok and "On duty: <@U0ANNA>" in Vakt.reply_text(answer.args)


def open_form(vakt: Vakt, n: int) -> None:
    body = slash_command_body(
        "new", user_id="U0ANNA", response_url=vakt.fake.response_url(f"new{n}"), trigger_id="1.2.3"
    )
    assert vakt.signed_post(body).status == 200
    vakt.idle()


def test_views_open_faults_after_the_ack(vakt: Vakt) -> None:
    fake = vakt.fake
    fake.fail_next("views.open", status=500)  # once: retried, the form opens
    open_form(vakt, 1)
    assert [c.status for c in fake.calls_to("views.open")] == [500, 200]
    fake.reset()
    fake.fail_next("views.open", status=503, times=3)  # for good: the user is told
    open_form(vakt, 2)
    assert [c.status for c in fake.calls_to("views.open")] == [503, 503, 503]
    (told,) = fake.wait_for("response_url")
    assert "Slack did not open the form" in Vakt.reply_text(told.args)
    fake.reset()
    fake.fail_next("views.open", hang_up=True)  # the answer cut off: retried, the form opens
    open_form(vakt, 3)
    assert [c.ok for c in fake.calls_to("views.open")] == [False, True]
    # The app lives on: the next command is answered.
    answer = reply_to(vakt, "who", "next")
    assert answer.ok and "On duty: <@U0ANNA>" in Vakt.reply_text(answer.args)
