"""Polling the Graph API (outbound only, and the safety net for a webhook never delivered):
against the fake Graph API over real HTTP, through the sweep a running Vakt does."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.items.core import Status
from bot.store.db import session_scope
from bot.store.models import Account, ArchivedFile, Deletion, Item, MetaState
from tests.fakeslack import FakeSlack
from tests.harness import OSLO, Vakt
from tests.meta.fakegraph import FakeGraph

PAGE = "1234567890321"
IG = "17841400000000001"
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=OSLO)
CITIZEN = "10158000000000001"

IG_ACCOUNT = """
[[account]]
key = "ig-main"
platform = "instagram"
name = "Testrud på Instagram"
url = "https://www.instagram.com/testrud"
team = "komm"
"""


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    with FakeGraph() as fake:
        fake.page_size = 10
        yield fake


@pytest.fixture
def vakt(fake: FakeSlack, graph: FakeGraph, db_url: str, tmp_path: Path) -> Iterator[Vakt]:
    from tests.harness import CONFIG

    graph.page_token = graph.add_page(PAGE, "Testrud kommune", instagram_user_id=IG)  # type: ignore[attr-defined]
    harness = Vakt(
        fake,
        db_url,
        tmp_path,
        NOW,
        config_text=CONFIG + IG_ACCOUNT,
        env={
            "META_APP_SECRET": graph.app_secret,
            "META_ACCESS_TOKEN": graph.user_token,
            "META_GRAPH_URL": graph.base_url,
        },
    )
    with session_scope(harness.runtime.engine) as session:
        for key, column, value in (
            ("fb-main", "facebook_page_id", PAGE),
            ("ig-main", "instagram_user_id", IG),
        ):
            account = session.exec(select(Account).where(Account.key == key)).one()
            setattr(account, column, value)
            session.add(account)
    yield harness
    harness.close()
    fake.assert_no_errors()


def items(vakt: Vakt) -> list[Item]:
    with session_scope(vakt.runtime.engine) as session:
        return list(session.exec(select(Item).order_by(Item.received_at, Item.id)).all())


def state(vakt: Vakt, key: str = "fb-main") -> MetaState:
    with session_scope(vakt.runtime.engine) as session:
        account = session.exec(select(Account).where(Account.key == key)).one()
        found = session.get(MetaState, account.id)
        assert found is not None
        session.expunge(found)
        return found


def sweep(vakt: Vakt, minutes: int = 0) -> None:
    vakt.clock.now = vakt.clock.now + timedelta(minutes=minutes)
    result = vakt.runtime.sweep()
    assert "platforms" not in result.failed_jobs


def ask(graph: FakeGraph, post: str, text: str, at: datetime, **kw: str) -> str:
    return graph.add_comment(
        post, from_id=CITIZEN, from_name="Kari Nordmann", message=text, created_time=at, **kw
    )


def test_the_first_read_goes_back_fourteen_days_across_pages(vakt: Vakt, graph: FakeGraph) -> None:
    old = graph.add_post(PAGE, created_time=NOW - timedelta(days=20))
    recent = graph.add_post(PAGE, created_time=NOW - timedelta(days=3))
    ask(graph, old, "Gammelt spørsmål", NOW - timedelta(days=19))
    for n in range(210):  # three pages of comments at Vakt's 100 a page
        ask(graph, recent, f"Spørsmål {n}", NOW - timedelta(days=2, minutes=-n))
    sweep(vakt)
    found = items(vakt)
    assert [i.excerpt for i in found] == [f"Spørsmål {n}" for n in range(210)]
    assert all(i.source == "facebook" and i.status == Status.OPEN for i in found)
    comment_calls = graph.calls_to(f"{recent}/comments")
    assert len(comment_calls) == 3  # followed paging to the end
    assert not graph.calls_to(f"{old}/comments")  # older than the window
    assert state(vakt).last_read_at == vakt.clock.now


def test_a_later_read_reads_only_posts_with_new_comments(vakt: Vakt, graph: FakeGraph) -> None:
    quiet = graph.add_post(PAGE, created_time=NOW - timedelta(days=2))
    busy = graph.add_post(PAGE, created_time=NOW - timedelta(days=1))
    ask(graph, quiet, "Første", NOW - timedelta(days=1, hours=1))
    sweep(vakt)
    before = len(graph.calls_to(f"{quiet}/comments"))
    ask(graph, busy, "Nytt spørsmål", vakt.clock.now + timedelta(minutes=3))
    sweep(vakt, minutes=5)
    assert len(graph.calls_to(f"{quiet}/comments")) == before
    assert [i.excerpt for i in items(vakt)] == ["Første", "Nytt spørsmål"]


def test_a_read_stopped_midway_resumes_where_it_stopped(vakt: Vakt, graph: FakeGraph) -> None:
    post = graph.add_post(PAGE, created_time=NOW - timedelta(days=1))
    for n in range(150):
        ask(graph, post, f"Spørsmål {n}", NOW - timedelta(hours=20, minutes=-n))
    # The second page of comments fails: Meta is away.
    graph.fail_next(path_contains=f"{post}/comments", code=2, status=500, times=1)
    first = graph.calls_to(f"{post}/comments")
    vakt.runtime.connector.poll(vakt.clock.now)  # type: ignore[union-attr]
    assert state(vakt).resume is not None or len(graph.calls_to(f"{post}/comments")) > len(first)
    sweep(vakt, minutes=5)
    assert len(items(vakt)) == 150
    assert state(vakt).resume is None


def test_the_pages_reply_found_by_polling_answers_the_question(
    vakt: Vakt, graph: FakeGraph
) -> None:
    post = graph.add_post(PAGE, created_time=NOW - timedelta(days=1))
    question = ask(graph, post, "Når er det åpent?", NOW - timedelta(hours=2))
    sweep(vakt)
    graph.add_comment(
        post,
        from_id=PAGE,
        from_name="Testrud kommune",
        message="Kl. 10.",
        created_time=vakt.clock.now + timedelta(minutes=1),
        parent_id=question,
    )
    sweep(vakt, minutes=5)
    [item] = items(vakt)
    assert (item.status, item.closed_by) == (Status.ANSWERED, "facebook")


def test_a_comment_removed_on_facebook_is_noticed_and_logged(vakt: Vakt, graph: FakeGraph) -> None:
    post = graph.add_post(PAGE, created_time=NOW - timedelta(days=1))
    question = ask(graph, post, "Stygt innlegg", NOW - timedelta(hours=2))
    sweep(vakt)
    graph.remove(question)
    sweep(vakt, minutes=5)
    [item] = items(vakt)
    assert item.status == Status.DELETED
    with session_scope(vakt.runtime.engine) as session:
        deletion = session.exec(select(Deletion)).one()
        files = session.exec(select(ArchivedFile)).all()
    assert deletion.item_id == item.id
    capture = json.loads((vakt.runtime.deps.archive_dir / files[0].path).read_text())
    assert capture["message"] == "Stygt innlegg" and capture["author"]["name"] == "Kari Nordmann"


def test_a_throttled_account_waits_while_the_others_go_on(vakt: Vakt, graph: FakeGraph) -> None:
    post = graph.add_post(PAGE, created_time=NOW - timedelta(days=1))
    ask(graph, post, "Facebook-spørsmål", NOW - timedelta(hours=1))
    media = graph.add_ig_media(IG, timestamp=NOW - timedelta(days=1))
    graph.add_ig_comment(
        media,
        from_id="1784",
        username="kari",
        text="Instagram-spørsmål",
        timestamp=NOW - timedelta(hours=1),
    )
    graph.fail_next(path_contains=f"{PAGE}/published_posts", code=80001, regain_minutes=30)
    sweep(vakt)
    assert [i.excerpt for i in items(vakt)] == ["Instagram-spørsmål"]
    blocked = state(vakt).blocked_until
    assert blocked is not None and blocked >= vakt.clock.now + timedelta(minutes=29)
    calls = len(graph.calls)
    sweep(vakt, minutes=5)  # still waiting: no call for the Page
    assert not [c for c in graph.calls[calls:] if PAGE in c.path]
    sweep(vakt, minutes=30)
    assert sorted(i.excerpt or "" for i in items(vakt)) == [
        "Facebook-spørsmål",
        "Instagram-spørsmål",
    ]


def test_an_expired_token_tells_the_coordinators_once(vakt: Vakt, graph: FakeGraph) -> None:
    graph.expire(graph.user_token)
    sweep(vakt)
    sweep(vakt, minutes=5)
    sweep(vakt, minutes=5)
    told = [m for m in vakt.sent("C0COMMS") if "190" in m.get("text", "")]
    assert len(told) == 2  # one for each connected account, once
    assert state(vakt).problem == "expired"


def test_instagram_comments_and_the_accounts_reply(vakt: Vakt, graph: FakeGraph) -> None:
    media = graph.add_ig_media(IG, timestamp=NOW - timedelta(days=1))
    question = graph.add_ig_comment(
        media,
        from_id="1784",
        username="kari",
        text="Hvor er bassenget?",
        timestamp=NOW - timedelta(hours=3),
    )
    sweep(vakt)
    [item] = items(vakt)
    assert (item.source, item.status) == ("instagram", Status.OPEN)
    graph.add_ig_comment(
        media,
        from_id=IG,
        username="testrud",
        text="Ved skolen.",
        timestamp=vakt.clock.now + timedelta(minutes=1),
        parent_id=question,
    )
    sweep(vakt, minutes=5)
    [item] = items(vakt)
    assert (item.status, item.closed_by) == (Status.ANSWERED, "instagram")


def test_no_token_or_secret_in_any_log_record(
    vakt: Vakt, graph: FakeGraph, caplog: pytest.LogCaptureFixture
) -> None:
    post = graph.add_post(PAGE, created_time=NOW - timedelta(days=1))
    for n in range(12):
        ask(graph, post, f"Spørsmål {n}", NOW - timedelta(hours=5, minutes=-n))
    with caplog.at_level(logging.DEBUG):
        sweep(vakt)
        graph.expire(graph.user_token)
        sweep(vakt, minutes=5)
    text = "\n".join(r.getMessage() + str(r.args) for r in caplog.records)
    assert caplog.records
    for secret in (graph.user_token, graph.app_secret, graph.page_token):  # type: ignore[attr-defined]
        assert secret not in text


def test_vakt_sweep_at_runs_the_poll(vakt: Vakt, graph: FakeGraph) -> None:
    post = graph.add_post(PAGE, created_time=NOW - timedelta(days=1))
    ask(graph, post, "Hei", NOW - timedelta(hours=1))
    vakt.runtime.sweep(NOW + timedelta(minutes=1))
    assert len(items(vakt)) == 1
    assert items(vakt)[0].received_at == (NOW - timedelta(hours=1)).astimezone(UTC)


def test_the_account_card_shows_how_vakt_reads_it(vakt: Vakt, graph: FakeGraph) -> None:
    before = vakt.command("account fb-main", user="U0COORD1")
    assert "Connected to Facebook" in before and "Not read yet" in before
    graph.fail_next(path_contains=f"{PAGE}/published_posts", code=80001, regain_minutes=30)
    sweep(vakt)
    throttled = vakt.command("account fb-main", user="U0COORD1")
    assert "Meta asked Vakt to wait" in throttled
    sweep(vakt, minutes=35)
    card = vakt.command("account fb-main", user="U0COORD1")
    assert "by polling" in card and "Last successful read: " in card
    assert "Meta asked Vakt to wait" not in card


def test_the_coordinators_home_lists_the_accounts_vakt_cannot_read(
    vakt: Vakt, graph: FakeGraph
) -> None:
    from bot.home.blocks import home_view
    from bot.home.service import Board, gather

    def coordinators_home() -> str:
        with session_scope(vakt.runtime.engine) as session:
            board = Board(session, vakt.config, vakt.runtime.deps.calendar, vakt.clock.now)
            home = gather(board, "U0COORD1")
            return json.dumps(home_view("en", vakt.runtime.deps.calendar, home))

    sweep(vakt)
    assert "accounts Vakt cannot read" not in coordinators_home()
    # The system user's token is revoked: the Page token derived from it ends with it.
    graph.expire(graph.user_token)
    graph.expire(graph.page_token)  # type: ignore[attr-defined]
    sweep(vakt, minutes=5)
    sweep(vakt, minutes=5)
    home = coordinators_home()
    assert "accounts Vakt cannot read (" in home


def test_delete_on_facebook_archives_first_then_deletes_then_asks_why(
    vakt: Vakt, graph: FakeGraph
) -> None:
    from bot.items import ids as item_ids

    post = graph.add_post(PAGE, created_time=NOW - timedelta(days=1))
    question = ask(graph, post, "Stygg kommentar", NOW - timedelta(hours=1))
    sweep(vakt)
    [item] = items(vakt)
    assert item.id is not None
    calls = len(graph.calls)
    # At the moment Facebook is asked to delete, the evidence must be in the archive: the
    # fake looks at the database and the archive directory when the DELETE arrives.
    seen_at_delete: list[tuple[int, bool]] = []
    serve = graph._serve

    def watching(handler: object, method: str) -> None:
        if method == "DELETE":
            with session_scope(vakt.runtime.engine) as session:
                files = session.exec(select(ArchivedFile)).all()
                present = all((vakt.runtime.deps.archive_dir / f.path).exists() for f in files)
                seen_at_delete.append((len(files), present))
        serve(handler, method)  # type: ignore[arg-type]

    graph._serve = watching  # type: ignore[method-assign]
    text = vakt.press(item_ids.ITEM_DELETE_ON_PLATFORM, str(item.id), "U0ANNA")
    assert "deleted on Facebook" in text
    deletes = [c for c in graph.calls[calls:] if c.method == "DELETE"]
    assert [c.path for c in deletes] == [question]
    assert seen_at_delete == [(2, True)]  # the JSON capture and its sheet, both on disk
    [item] = items(vakt)
    assert item.status == Status.DELETED
    # Then the deletion form opens, to say why.
    opened = vakt.fake.calls_to("views.open")
    assert opened and "deletion" in json.dumps(opened[-1].args).lower()


def test_without_the_permission_the_buttons_say_so_and_change_nothing(
    vakt: Vakt, graph: FakeGraph
) -> None:
    from bot.items import ids as item_ids

    post = graph.add_post(PAGE, created_time=NOW - timedelta(days=1))
    ask(graph, post, "Spørsmål", NOW - timedelta(hours=1))
    sweep(vakt)
    [item] = items(vakt)
    graph.revoke("pages_manage_engagement")
    text = vakt.press(item_ids.ITEM_HIDE_ON_PLATFORM, str(item.id), "U0ANNA")
    assert "may not hide or delete" in text
    [item] = items(vakt)
    assert item.status == Status.OPEN
    with session_scope(vakt.runtime.engine) as session:
        assert session.exec(select(Deletion)).all() == []
