"""Calendar feeds end to end: `/vakt calendar` through signed Slack requests, the links it gives
fetched over HTTP (GET and HEAD) and read by vobject, renewal and revocation turning them into
404s, refusals for everyone else, and no token in any log record."""

from __future__ import annotations

import logging
import re
import urllib.request
from datetime import date

import pytest
import vobject

from bot.kernel.links import FeedKeys
from tests.harness import HttpReply, Vakt
from tests.waiting import PATIENCE

LINK = re.compile(r"`(http://127\.0\.0\.1:\d+(/calendar/[^`]+))`")


def turn_on(vakt: Vakt) -> None:
    # The public address is known once the server listens: set it as VAKT_PUBLIC_URL would.
    vakt.runtime.deps.feed_keys = FeedKeys(vakt.url, b"a-feed-secret-for-the-http-tests")


def paths(reply: str) -> list[str]:
    return [path for _, path in LINK.findall(reply)]


def head(vakt: Vakt, path: str) -> HttpReply:
    request = urllib.request.Request(vakt.url + path, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=PATIENCE) as response:
            return HttpReply(response.status, response.read(), dict(response.headers))
    except urllib.error.HTTPError as error:
        return HttpReply(error.code, error.read(), dict(error.headers))


def test_without_a_public_url_the_command_says_how_to_turn_feeds_on(vakt: Vakt) -> None:
    reply = vakt.command("calendar")
    assert "VAKT_PUBLIC_URL" in reply and "/calendar/" not in reply
    assert vakt.get("/calendar/" + "A" * 32 + ".ics").status == 404


def test_a_link_from_the_command_serves_the_rota_and_a_new_one_replaces_it(
    vakt: Vakt, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    turn_on(vakt)
    reply = vakt.command("calendar")
    assert "Subscribe" in reply and "private" in reply
    mine, team = paths(reply)
    assert team.endswith("/komm.ics")

    caplog.clear()  # from here on: the fetches only (the reply itself is Slack's business)
    got = vakt.get(mine)
    assert got.status == 200
    assert got.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert got.headers["Cache-Control"].startswith("private, max-age=")
    cal = vobject.readOne(got.body.decode())
    events = sorted(cal.vevent_list, key=lambda e: e.dtstart.value)
    # Anna (U0ANNA) is primary in week 48 (the harness's today) and substitute in week 50.
    week48 = next(e for e in events if e.dtstart.value == date(2026, 11, 23))
    assert week48.summary.value == "Duty week 48: Kommunikasjon (primary)"
    assert week48.dtend.value == date(2026, 11, 28)
    assert "Substitute: @U0BO" in week48.description.value
    assert any(e.summary.value == "Duty week 50: Kommunikasjon (substitute)" for e in events)

    headed = head(vakt, mine)
    assert headed.status == 200 and headed.body == b""
    assert headed.headers["Content-Length"] == str(len(got.body))
    team_feed = vakt.get(team)
    assert team_feed.status == 200 and b"Duty week 48: Kommunikasjon" in team_feed.body

    assert_no_token(caplog, [mine, team])

    renewed = paths(vakt.command("calendar ny"))  # the Norwegian word works too
    assert renewed[0] != mine
    caplog.clear()
    assert vakt.get(mine).status == 404 and vakt.get(team).status == 404
    assert head(vakt, mine).status == 404
    assert vakt.get(renewed[0]).status == 200
    assert_no_token(caplog, [mine, *renewed])
    assert paths(vakt.command("calendar")) == renewed  # shown again, the same link


def assert_no_token(caplog: pytest.LogCaptureFixture, links: list[str]) -> None:
    """No log record of the fetches (at DEBUG, every logger) holds a link's token."""
    tokens = {p.split("/")[2].removesuffix(".ics") for p in links}
    logged = [f"{r.getMessage()} {r.args!r} {r.exc_text}" for r in caplog.records]
    assert not any(token in line for token in tokens for line in logged)


def test_revoking_is_for_the_owner_and_coordinators(vakt: Vakt) -> None:
    turn_on(vakt)
    mine = paths(vakt.command("calendar"))[0]
    refused = vakt.command("calendar revoke <@U0ANNA>", user="U0BO")
    assert "Only coordinators" in refused
    assert vakt.get(mine).status == 200
    done = vakt.command("calendar återkalla <@U0ANNA>", user="U0COORD1")
    assert "revoked" in done
    assert vakt.get(mine).status == 404
    assert "no calendar link" in vakt.command("calendar tilbakekall")
    # A coordinator sees every team's link.
    coordinator = paths(vakt.command("calendar", user="U0COORD1"))
    assert [p.rsplit("/", 1)[-1] for p in coordinator[1:]] == ["komm.ics"]


def test_bad_words_get_the_usage_line(vakt: Vakt) -> None:
    turn_on(vakt)
    reply = vakt.command("calendar please")
    assert "please" in reply and "/vakt calendar new" in reply
    assert "/vakt calendar new" in vakt.command("calendar revoke everyone")


BAD_PATHS = (
    "/calendar/",
    "/calendar/short.ics",
    "/calendar/" + "A" * 32 + ".ics",  # well-formed, unknown
    "/calendar/" + "A" * 32 + "/komm.ics",
    "/calendar/" + "%" * 32 + ".ics",
    "/calendar/../healthz",
)


def test_anything_but_a_live_link_is_a_plain_404_and_only_get_and_head(vakt: Vakt) -> None:
    turn_on(vakt)
    for path in BAD_PATHS:
        got = vakt.get(path)
        assert (got.status, got.json()) == (404, {"ok": False, "error": "not_found"}), path
    got = vakt.post("/calendar/" + "A" * 32 + ".ics", b"", {"Content-Type": "text/plain"})
    assert got.status == 405 and got.headers["Allow"] == "GET, HEAD"
