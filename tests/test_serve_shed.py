"""Load shed by a real `vakt serve`: with as many listeners of its worker held as it runs
commands at once (each opening a form, Slack's views.open kept waiting), more commands are
acknowledged at once with "very busy, try again in a minute" in the person's language and
nothing of them runs; the accepted ones all open their forms once the hold is released;
/metrics counts the busy answers."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from bot.items.ids import NEW_ITEM_VIEW
from bot.kernel.i18n import plain, t
from bot.server import SHED_LIMITS
from tests.fakeslack import (
    RESPONSE_URL,
    FakeSlack,
    signed_request,
    slash_command_body,
    view_submission_body,
)
from tests.fakeslack.responses import DEFAULT_RESPONDERS
from tests.harness import SECRET
from tests.test_ops import HttpReply, get, metrics
from tests.test_serve import serving
from tests.waiting import PATIENCE, wait_until

ACK_DEADLINE = 3.0  # seconds: Slack gives up on an acknowledgement after 3
AWAY = "away 2027-01-04 2027-01-05"  # records an absence when it runs
FORM_BLOCKS = [
    {
        "type": "input",
        "block_id": "item_url",
        "label": {"type": "plain_text", "text": "Link"},
        "element": {"type": "plain_text_input", "action_id": "url"},
    }
]


def post(url: str, body: str) -> tuple[HttpReply, float]:
    """A signed request to /slack/events: the answer, and how long it took."""
    raw, headers = signed_request(body, SECRET)
    request = urllib.request.Request(
        f"{url}/slack/events", data=raw, headers=headers, method="POST"
    )
    began = time.monotonic()
    with urllib.request.urlopen(request, timeout=PATIENCE) as response:
        reply = HttpReply(response.status, response.read(), dict(response.headers))
    return reply, time.monotonic() - began


def command(
    url: str, fake: FakeSlack, text: str, user: str, answer_at: str, trigger_id: str | None = None
) -> HttpReply:
    """A command, its answer in the ack shown as Slack shows it (FakeSlack.acked)."""
    body = slash_command_body(
        text, user_id=user, response_url=fake.response_url(answer_at), trigger_id=trigger_id
    )
    reply, _ = post(url, body)
    assert reply.status == 200, reply.body
    fake.acked(body, reply.status, reply.body)
    return reply


class Hold:
    """Forms opened at the fake wait until released: the listener opening one keeps its thread
    until then."""

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake
        self.release = threading.Event()
        self.cond = threading.Condition()
        self.holding = 0

    def __call__(self, args: dict[str, Any]) -> dict[str, Any]:
        with self.cond:
            self.holding += 1
            self.cond.notify_all()
        self.release.wait(PATIENCE)
        return DEFAULT_RESPONDERS["views.open"](self.fake.workspace, args)

    def wait_holding(self, count: int) -> None:
        with self.cond:
            assert self.cond.wait_for(lambda: self.holding >= count, PATIENCE), self.holding


def absences(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "data" / "vakt.sqlite3") as conn:
        return int(conn.execute("SELECT count(*) FROM absence").fetchone()[0])


def test_a_full_worker_answers_busy_at_once_and_loses_nothing(tmp_path: Path) -> None:
    with FakeSlack() as fake, serving(tmp_path, fake) as served:
        fake.users["U0ANNA"] = {"locale": "nb-NO"}
        fake.users["U0BO"] = {"locale": "sv-SE"}
        url = served.url
        # Anna and Bo have been answered before: the worker knows their languages.
        command(url, fake, "help", "U0ANNA", "warm-anna")
        command(url, fake, "help", "U0BO", "warm-bo")
        fake.wait_for(RESPONSE_URL, count=2)

        hold = Hold(fake)
        fake.set_handler("views.open", hold)
        accepted: list[str] = []
        for n in range(4 * SHED_LIMITS.backlog):  # a machine stalled past a limit sheds some
            if len(accepted) == SHED_LIMITS.backlog:
                break
            reply = command(url, fake, "new", "U0CARL", f"held-{n}", trigger_id=f"{n}.2.3")
            if not reply.body:  # acked plainly: its listener runs, opening the form
                accepted.append(f"{n}.2.3")
        assert len(accepted) == SHED_LIMITS.backlog
        hold.wait_holding(SHED_LIMITS.backlog)  # as many as the worker runs at once

        shed: list[tuple[str, str, HttpReply, float]] = []
        for user, lang in (("U0ANNA", "nb"), ("U0BO", "sv"), ("U0NEW", "en")):
            body = slash_command_body(
                AWAY, user_id=user, response_url=fake.response_url(f"busy-{user}")
            )
            reply, took = post(url, body)
            shed.append((user, lang, reply, took))
        form, form_took = post(
            url,
            view_submission_body(
                NEW_ITEM_VIEW,
                {"item_url": {"url": {"type": "plain_text_input", "value": "https://x.test/1"}}},
                user_id="U0ANNA",
                blocks=FORM_BLOCKS,
            ),
        )

        for user, lang, reply, took in shed:
            assert reply.status == 200, (user, reply.body)
            # Nothing to wait for on the way to this answer: Slack's 3 seconds hold.
            assert took < ACK_DEADLINE, (user, took)
            answer = json.loads(reply.body)
            assert answer["response_type"] == "ephemeral"
            assert answer["text"] == t(lang, "error.busy"), (user, answer)
            assert t(lang, "error.busy") in json.dumps(answer["blocks"], ensure_ascii=False)
        assert form.status == 200 and form_took < ACK_DEADLINE, form_took
        assert json.loads(form.body) == {
            "response_action": "errors",
            "errors": {"item_url": plain("nb", "error.busy")},
        }

        # Counted for /metrics (stored within a few seconds).
        def counted() -> bool:
            scraped = metrics(get(f"{url}/metrics"))
            return (
                scraped.get(("vakt_shed_total", (("kind", "command"),))) == 3
                and scraped.get(("vakt_shed_total", (("kind", "view_submission"),))) == 1
            )

        wait_until(counted, what="for the busy answers in /metrics")

        hold.release.set()
        opened = fake.wait_for("views.open", count=SHED_LIMITS.backlog)
        fake.set_handler("views.open", None)
        assert sorted(c.args["trigger_id"] for c in opened) == sorted(accepted)
        assert all(c.ok for c in opened)
        assert len(fake.calls_to(RESPONSE_URL)) == 2  # shed: no later answer (warm-ups only)
        assert absences(tmp_path) == 0  # the shed "away" was not run

        # Once the worker has room, the same command runs (and records the absence).
        reply = command(url, fake, AWAY, "U0ANNA", "after")
        assert json.loads(reply.body)["text"] != t("nb", "error.busy")  # answered in the ack
        assert absences(tmp_path) == 1
    busy_lines = [line for line in served.output.splitlines() if "answered busy" in line]
    assert len(busy_lines) == 4, busy_lines
    assert sum("from U0ANNA" in line for line in busy_lines) == 2
    assert not [line for line in busy_lines if "2027-01-04" in line or "x.test" in line]
