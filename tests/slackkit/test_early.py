"""A command's answer in its ack when it is ready in time, else an empty ack at the deadline
and the answer at the response_url (bot.slackkit.early)."""

from __future__ import annotations

import json
import threading
from typing import Any

from bot.slackkit.early import Deadlines
from tests.fakeslack import slash_command_body
from tests.fakeslack.responses import users_info
from tests.harness import Vakt
from tests.waiting import PATIENCE, wait_until


def test_an_answer_ready_in_time_is_in_the_ack_and_nothing_is_posted(vakt: Vakt) -> None:
    body = slash_command_body("who", user_id="U0ANNA", response_url=vakt.fake.response_url("w"))
    reply = vakt.signed_post(body)
    vakt.idle()
    assert reply.status == 200
    answer = json.loads(reply.body)
    assert answer["response_type"] == "ephemeral"
    assert "On duty: <@U0ANNA>" in Vakt.reply_text(answer)
    (shown,) = vakt.fake.calls_to("response_url")
    assert (shown.http_method, shown.path, shown.rejected) == ("ACK", "/response/w", False)


def test_a_late_answer_is_acked_empty_at_the_deadline_then_posted(vakt: Vakt) -> None:
    # Bo's first command asks Slack for his locale: held here until the empty ack is seen.
    release, asked = threading.Event(), threading.Event()

    def held_users_info(args: dict[str, Any]) -> dict[str, Any]:
        asked.set()
        release.wait(PATIENCE)
        return users_info(vakt.fake.workspace, args)

    vakt.fake.set_handler("users.info", held_users_info)
    vakt.runtime.deps.answer_in_ack_within = 0.3
    body = slash_command_body("who", user_id="U0BO", response_url=vakt.fake.response_url("late"))
    reply = vakt.signed_post(body)  # returns at the deadline, while users.info is held
    assert asked.is_set() and not release.is_set()
    assert (reply.status, reply.body) == (200, b"")
    assert vakt.fake.calls_to("response_url") == []
    release.set()
    (posted,) = vakt.fake.wait_for("response_url")
    vakt.idle()
    assert (posted.http_method, posted.path, posted.ok) == ("POST", "/response/late", True)
    assert "On duty" in Vakt.reply_text(posted.args)
    assert len(vakt.fake.calls_to("response_url")) == 1  # answered once


def test_the_watcher_acks_empty_only_what_is_unanswered_at_its_deadline() -> None:
    deadlines = Deadlines()
    acked: list[str] = []
    done = threading.Event()

    def ack(name: str) -> Any:
        def call() -> None:
            acked.append(name)
            if name == "slow":
                done.set()

        return call

    answered = deadlines.watch(ack("answered"), deadlines.clock() + 0.1)
    assert answered.claim()  # the listener has its answer first: it acks with it
    deadlines.watch(ack("slow"), deadlines.clock() + 0.2)
    assert done.wait(PATIENCE)
    wait_until(lambda: deadlines.pending() == 0, what="both deadlines passed")
    assert acked == ["slow"]
    late = deadlines.watch(ack("late"), deadlines.clock() - 1)  # past already: acked at once
    assert acked == ["slow", "late"] and not late.claim()
