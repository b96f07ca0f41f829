"""The fake Graph API held against Meta's own samples (`../shared/meta/payloads`): its comments,
paging, errors and webhook deliveries have the same keys and nesting, and it refuses what Meta
(or Vakt's rules) would refuse. What passes here is what the connector's tests can trust."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.meta.graph import appsecret_proof
from tests.meta.fakegraph import (
    FakeGraph,
    deliver,
    envelope,
    feed_comment_change,
    ig_comment_change,
    shape,
    sign,
    walk,
)

PAYLOADS = Path(__file__).resolve().parents[3] / "shared" / "meta" / "payloads"
PAGE = "1234567890321"
IG_USER = "17841400000000001"
MORNING = datetime(2026, 11, 23, 9, 15, tzinfo=UTC)


def sample(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text())


def raw(
    fake: FakeGraph,
    method: str,
    path: str,
    token: str | None,
    *,
    proof: bool = True,
    **params: str,
) -> httpx.Response:
    """A call as it reaches the fake, to read its answer byte for byte."""
    query = dict(params)
    if proof and token is not None:
        query["appsecret_proof"] = appsecret_proof(token, fake.app_secret)
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.request(method, fake.base_url + path, params=query, headers=headers)


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def covers(bigger: Any, smaller: Any) -> bool:
    """Every key of `smaller` is in `bigger`, nested the same way."""
    if isinstance(smaller, dict):
        return isinstance(bigger, dict) and all(
            key in bigger and covers(bigger[key], value) for key, value in smaller.items()
        )
    if isinstance(smaller, list):
        return isinstance(bigger, list) and all(covers(bigger[0], item) for item in smaller)
    return bigger == smaller


@pytest.fixture
def world(fake_graph: FakeGraph) -> Iterator[dict[str, str]]:
    """A Page with an Instagram account, a post, a citizen's comment and the Page's reply."""
    token = fake_graph.add_page(PAGE, "Tester", instagram_user_id=IG_USER)
    post = fake_graph.add_post(PAGE, created_time=MORNING - timedelta(hours=2), message="Hei")
    question = fake_graph.add_comment(
        post,
        from_id="987654321",
        from_name="Test User",
        message="Når åpner biblioteket?",
        created_time=MORNING,
    )
    reply = fake_graph.add_comment(
        post,
        from_id=PAGE,
        from_name="Tester",
        message="Klokka ti!",
        created_time=MORNING + timedelta(minutes=30),
        parent_id=question,
    )
    media = fake_graph.add_ig_media(IG_USER, timestamp=MORNING - timedelta(days=1))
    ig_question = fake_graph.add_ig_comment(
        media, from_id="1234536447", username="testuser", text="Åpent?", timestamp=MORNING
    )
    ig_reply = fake_graph.add_ig_comment(
        media,
        from_id=IG_USER,
        username="tester",
        text="Ja",
        timestamp=MORNING + timedelta(minutes=5),
        parent_id=ig_question,
    )
    yield {
        "token": token,
        "post": post,
        "question": question,
        "reply": reply,
        "media": media,
        "ig_question": ig_question,
        "ig_reply": ig_reply,
    }


# -- shapes, beside Meta's samples -------------------------------------------------------------


def test_a_comment_list_has_the_shape_of_metas(
    fake_graph: FakeGraph, world: dict[str, str]
) -> None:
    listed = ok(raw(fake_graph, "GET", f"{world['post']}/comments", world["token"], summary="1"))
    assert shape(listed) == shape(sample("restfb/graph-v5_0-post-with-comment.json")["comments"])
    assert shape(listed) == shape(sample("restfb/graph-v2_5-photo-comments.json")["comments"])
    assert listed["data"][0]["created_time"] == "2026-11-23T09:15:00+0000"
    assert listed["summary"] == {"order": "chronological", "total_count": 1, "can_comment": True}


def test_a_comment_has_the_shape_of_metas(fake_graph: FakeGraph, world: dict[str, str]) -> None:
    permalink = sample("restfb/graph-v2_9-comment-permalink.json")
    got = ok(
        raw(fake_graph, "GET", world["question"], world["token"], fields="permalink_url,message,id")
    )
    assert shape(got) == shape(permalink)
    assert got["permalink_url"].startswith("https://www.facebook.com/")

    can_hide = sample("restfb/graph-v2_2-comment_canHide.json")
    got = ok(raw(fake_graph, "GET", world["question"], world["token"], fields=",".join(can_hide)))
    assert set(got) == set(can_hide)
    assert covers(shape(can_hide), shape(got))  # a citizen's `from` has no category


def test_the_fields_the_poller_asks_for(fake_graph: FakeGraph, world: dict[str, str]) -> None:
    fields = "id,message,from,created_time,parent{id},is_hidden,permalink_url,comment_count"
    listed = ok(
        raw(
            fake_graph,
            "GET",
            f"{world['post']}/comments",
            world["token"],
            filter="stream",
            order="reverse_chronological",
            summary="1",
            fields=fields,
        )
    )
    reply, question = listed["data"]
    assert reply["id"] == world["reply"] and reply["parent"] == {"id": world["question"]}
    assert reply["from"] == {"name": "Tester", "id": PAGE}
    assert "parent" not in question and question["comment_count"] == 1
    assert listed["summary"]["order"] == "reverse_chronological"
    assert listed["summary"]["total_count"] == 2


def test_replies_are_nested_under_their_comment(
    fake_graph: FakeGraph, world: dict[str, str]
) -> None:
    got = ok(
        raw(
            fake_graph,
            "GET",
            world["question"],
            world["token"],
            fields="comment_count,comments{from,created_time}",
        )
    )
    assert got["comment_count"] == 1
    assert got["comments"]["data"] == [
        {
            "from": {"name": "Tester", "id": PAGE},
            "created_time": "2026-11-23T09:45:00+0000",
            "id": world["reply"],
        }
    ]
    assert set(got["comments"]["paging"]["cursors"]) == {"before", "after"}


def test_paging_has_the_shape_of_metas(fake_graph: FakeGraph, world: dict[str, str]) -> None:
    fake_graph.add_page("1234567890322", "Second")
    fake_graph.page_size = 1
    first = ok(raw(fake_graph, "GET", "me/accounts", fake_graph.user_token, fields="id,name"))
    assert shape(first["data"]) == shape(
        sample("restfb/graph-v2_2-cursor_only_paging1.json")["data"]
    )
    assert set(first["paging"]) == {"cursors", "next"}
    assert shape(first["paging"]["cursors"]) == shape(
        sample("restfb/graph-v2_2-cursor_only_paging1.json")["paging"]["cursors"]
    )
    # Meta's next URLs carry the token, as in Meta's sample; following one is the client's job.
    meta_next = sample("restfb/graph-conversation.json")["messages"]["paging"]["next"]
    assert "access_token=" in meta_next and "access_token=" in first["paging"]["next"]

    last = ok(
        raw(
            fake_graph,
            "GET",
            "me/accounts",
            fake_graph.user_token,
            fields="id,name",
            after=first["paging"]["cursors"]["after"],
        )
    )
    assert set(last["paging"]) == {"cursors", "previous"}  # the end: no next
    beyond = ok(
        raw(
            fake_graph,
            "GET",
            "me/accounts",
            fake_graph.user_token,
            after=last["paging"]["cursors"]["after"],
        )
    )
    assert beyond == sample("restfb/graph-v2_2-cursor_only_paging2.json")


def test_errors_have_the_shape_of_metas(fake_graph: FakeGraph, world: dict[str, str]) -> None:
    fake_graph.expire(world["token"])
    expired = raw(fake_graph, "GET", f"{world['post']}/comments", world["token"])
    assert expired.status_code == 400
    assert shape(expired.json()) == shape(sample("restfb/graph-exampleErrorNew.json"))
    assert shape(expired.json()) == shape(sample("meta-docs/graph-error-handling-example.json"))
    assert expired.json()["error"]["code"] == 190

    fake_graph.remove(world["ig_question"])
    gone = raw(fake_graph, "GET", world["ig_question"], fake_graph.user_token)
    body = gone.json()
    assert shape(body) == shape(sample("issues/jstolpe-blog_code-4-ig-object-missing-error.json"))
    assert (body["error"]["code"], body["error"]["error_subcode"]) == (100, 33)
    assert body["error"]["message"].startswith("Unsupported get request. Object with ID")

    deleted_twice = raw(fake_graph, "DELETE", world["ig_question"], fake_graph.user_token)
    assert shape(deleted_twice.json()) == shape(
        sample("issues/fb-php-business-sdk-226-unsupported-delete-error.json")
    )


def test_json_is_written_as_meta_writes_it(fake_graph: FakeGraph, world: dict[str, str]) -> None:
    answer = raw(
        fake_graph, "GET", world["question"], world["token"], fields="message,permalink_url"
    )
    assert b"N\\u00e5r \\u00e5pner" in answer.content  # non-ASCII escaped
    assert b"https:\\/\\/www.facebook.com" in answer.content
    assert answer.headers["content-type"].startswith("application/json")


# -- the rules Meta (and Vakt) keep -----------------------------------------------------------


@pytest.mark.parametrize(
    ("how", "code"),
    [
        ("no bearer", 190),
        ("token in the URL", 190),
        ("unknown token", 190),
        ("no proof", 100),
        ("wrong proof", 100),
    ],
)
def test_a_call_that_breaks_the_rules_is_refused_and_recorded(
    fake_graph: FakeGraph, world: dict[str, str], how: str, code: int
) -> None:
    token = fake_graph.user_token
    proof = appsecret_proof(token, fake_graph.app_secret)
    params: dict[str, str] = {"appsecret_proof": proof}
    headers = {"Authorization": f"Bearer {token}"}
    if how == "no bearer":
        headers = {}
    elif how == "token in the URL":
        params["access_token"] = token
    elif how == "unknown token":
        headers = {"Authorization": "Bearer EAAnotatoken"}
        params["appsecret_proof"] = appsecret_proof("EAAnotatoken", fake_graph.app_secret)
    elif how == "no proof":
        del params["appsecret_proof"]
    else:
        params["appsecret_proof"] = appsecret_proof(token, "another secret")
    answer = httpx.get(fake_graph.base_url + "me/accounts", params=params, headers=headers)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == code
    if code == 100:
        assert "appsecret_proof" in answer.json()["error"]["message"]
    assert fake_graph.calls[-1].path == "me/accounts"
    assert fake_graph.calls[-1].at_index == len(fake_graph.calls) - 1


def test_from_reaches_only_the_pages_own_token(
    fake_graph: FakeGraph, world: dict[str, str]
) -> None:
    as_user = ok(raw(fake_graph, "GET", f"{world['post']}/comments", fake_graph.user_token))
    as_page = ok(raw(fake_graph, "GET", f"{world['post']}/comments", world["token"]))
    assert "from" not in as_user["data"][0]
    assert as_page["data"][0]["from"] == {"name": "Test User", "id": "987654321"}


def test_filter_stream_brings_the_replies(fake_graph: FakeGraph, world: dict[str, str]) -> None:
    top = ok(raw(fake_graph, "GET", f"{world['post']}/comments", world["token"]))
    stream = ok(
        raw(fake_graph, "GET", f"{world['post']}/comments", world["token"], filter="stream")
    )
    assert [c["id"] for c in top["data"]] == [world["question"]]
    assert [c["id"] for c in stream["data"]] == [world["question"], world["reply"]]


def test_hiding_and_deleting_need_the_page_token_and_the_permission(
    fake_graph: FakeGraph, world: dict[str, str]
) -> None:
    question, token = world["question"], world["token"]
    by_user = raw(fake_graph, "POST", question, fake_graph.user_token, is_hidden="true")
    assert by_user.json()["error"]["code"] == 210
    assert ok(raw(fake_graph, "POST", question, token, is_hidden="true")) == {"success": True}
    assert ok(raw(fake_graph, "GET", question, token, fields="is_hidden"))["is_hidden"] is True

    fake_graph.revoke("pages_manage_engagement")
    refused = raw(fake_graph, "DELETE", question, token)
    assert refused.json()["error"]["code"] == 200
    permissions = ok(raw(fake_graph, "GET", "me/permissions", fake_graph.user_token))["data"]
    assert {"permission": "pages_manage_engagement", "status": "declined"} in permissions

    fake_graph.permissions.add("pages_manage_engagement")
    assert ok(raw(fake_graph, "DELETE", question, token)) == {"success": True}
    gone = raw(fake_graph, "GET", question, token).json()["error"]
    assert (gone["code"], gone["error_subcode"]) == (100, 33)


def test_published_posts_newest_first_since_a_time(
    fake_graph: FakeGraph, world: dict[str, str]
) -> None:
    later = fake_graph.add_post(PAGE, created_time=MORNING + timedelta(hours=3), message="Nytt")
    fake_graph.add_post(PAGE, created_time=MORNING - timedelta(days=3))
    since = str(int((MORNING - timedelta(days=1)).timestamp()))
    posts = ok(
        raw(
            fake_graph,
            "GET",
            f"{PAGE}/published_posts",
            world["token"],
            since=since,
            fields="id,created_time,permalink_url",
        )
    )["data"]
    assert [p["id"] for p in posts] == [later, world["post"]]
    assert set(posts[0]) == {"id", "created_time", "permalink_url"}
    by_user = raw(fake_graph, "GET", f"{PAGE}/published_posts", fake_graph.user_token)
    assert by_user.json()["error"]["code"] == 210


def test_subscribing_a_page_to_feed(fake_graph: FakeGraph, world: dict[str, str]) -> None:
    token = world["token"]
    assert ok(raw(fake_graph, "GET", f"{PAGE}/subscribed_apps", token)) == {"data": []}
    assert ok(
        raw(fake_graph, "POST", f"{PAGE}/subscribed_apps", token, subscribed_fields="feed")
    ) == {"success": True}
    assert fake_graph.subscribed == {PAGE: ["feed"]}
    apps = ok(raw(fake_graph, "GET", f"{PAGE}/subscribed_apps", token))["data"]
    documented = (PAYLOADS / "meta-docs" / "page-subscribed-apps-responses.txt").read_text()
    for key in ("category", "link", "name", "id"):
        assert f'"{key}"' in documented and key in apps[0]


def test_instagram_media_comments_replies_and_moderation(
    fake_graph: FakeGraph, world: dict[str, str]
) -> None:
    token = world["token"]
    media = ok(raw(fake_graph, "GET", f"{IG_USER}/media", token, fields="id,timestamp,permalink"))
    assert media["data"][0]["id"] == world["media"]
    assert set(media["data"][0]) == {"id", "timestamp", "permalink"}

    fields = "id,text,timestamp,from,username,hidden,parent_id"
    comments = ok(raw(fake_graph, "GET", f"{world['media']}/comments", token, fields=fields))[
        "data"
    ]
    assert [c["id"] for c in comments] == [world["ig_question"]]  # top level only
    assert comments[0]["from"] == {"id": "1234536447", "username": "testuser"}
    assert comments[0]["hidden"] is False and "parent_id" not in comments[0]
    replies = ok(raw(fake_graph, "GET", f"{world['ig_question']}/replies", token, fields=fields))
    assert replies["data"][0]["parent_id"] == world["ig_question"]

    ig_sample = sample("restfb/ig-comment.json")
    got = ok(
        raw(
            fake_graph,
            "GET",
            world["ig_question"],
            token,
            fields="id,hidden,like_count,media,text,timestamp,replies",
        )
    )
    assert covers(shape(ig_sample), shape(got))

    assert ok(raw(fake_graph, "POST", world["ig_question"], token, hide="true")) == {
        "success": True
    }
    assert (
        ok(raw(fake_graph, "GET", world["ig_question"], token, fields="hidden"))["hidden"] is True
    )
    assert ok(raw(fake_graph, "DELETE", world["ig_reply"], token)) == {"success": True}


def test_a_failure_on_demand_comes_and_goes(fake_graph: FakeGraph, world: dict[str, str]) -> None:
    fake_graph.fail_next(path_contains="/comments", code=613, times=2, regain_minutes=5)
    for _ in range(2):
        failed = raw(fake_graph, "GET", f"{world['post']}/comments", world["token"])
        assert failed.json()["error"]["code"] == 613
        usage = json.loads(failed.headers["x-business-use-case-usage"])
        assert usage[PAGE][0]["estimated_time_to_regain_access"] == 5
    assert raw(fake_graph, "GET", f"{world['post']}/comments", world["token"]).status_code == 200


def test_an_unknown_field_is_refused_as_meta_does(
    fake_graph: FakeGraph, world: dict[str, str]
) -> None:
    refused = raw(fake_graph, "GET", world["question"], world["token"], fields="id,is_hiden")
    error = refused.json()["error"]
    assert error["code"] == 100 and "(is_hiden)" in error["message"]


# -- webhook deliveries, beside Meta's samples -----------------------------------------------


def a_comment(verb: str, *, legacy: bool = False, photo: str | None = None) -> dict[str, Any]:
    return feed_comment_change(
        PAGE,
        verb=verb,
        comment_id="901097836652708_903438993085259",
        post_id=f"{PAGE}_901097836652708",
        parent_id=f"{PAGE}_901097836652708",
        from_id=PAGE,
        from_name="Tester",
        message="and the next one",
        created_time=1449135003,
        legacy=legacy,
        photo=photo,
    )


@pytest.mark.parametrize(
    ("verb", "legacy", "photo", "name"),
    [
        ("add", False, None, "restfb/webhook-feed-comment-add-211.json"),
        ("add", False, None, "issues/restfb-817-feed-comment-add-v2.11-from.json"),
        ("add", True, None, "restfb/webhook-feed-comment-add-25.json"),
        ("edited", True, None, "restfb/webhook-feed-comment-edited-25.json"),
        (
            "add",
            True,
            "https://example.fbcdn.net/p.jpg",
            "restfb/webhook-feed-comment-add-with-photo.json",
        ),
        ("hide", True, None, "restfb/webhook-feed-comment-hide.json"),
        ("unhide", True, None, "restfb/webhook-feed-comment-unhide.json"),
        ("remove", True, None, "restfb/webhook-feed-comment-remove-25.json"),
        ("remove", False, None, "restfb/webhook-feed-comment-remove-25.json"),
    ],
)
def test_a_feed_delivery_has_the_shape_of_metas(
    verb: str, legacy: bool, photo: str | None, name: str
) -> None:
    body = envelope("page", [(PAGE, 1449135003, [a_comment(verb, legacy=legacy, photo=photo)])])
    delivered = json.loads(body)
    assert shape(delivered) == shape(sample(name))
    value = delivered["entry"][0]["changes"][0]["value"]
    if legacy and verb != "remove":
        assert value["sender_id"] == int(PAGE)  # a number in the old shape, as in the sample
    if verb == "remove":
        assert "message" not in value


def test_an_instagram_delivery_has_the_shape_of_metas() -> None:
    reply = ig_comment_change(
        comment_id="123456789",
        media_id="76543987",
        from_id="1234536447",
        username="testuser",
        text="This is an example.",
        parent_id="987654321",
    )
    delivered = json.loads(envelope("instagram", [("0", 1519399307, [reply])]))
    assert shape(delivered) == shape(sample("restfb/ig-wh-comments-2021.json"))
    assert covers(shape(delivered), shape(sample("restfb/ig-wh-comments.json")))
    assert delivered == sample("restfb/ig-wh-comments-2021.json")
    live = ig_comment_change(
        comment_id="1", media_id="2", from_id="3", username="u", text="t", live=True
    )
    assert live["field"] == "live_comments"


def test_a_delivery_is_signed_over_the_bytes_sent() -> None:
    received: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    try:
        change = feed_comment_change(
            PAGE,
            verb="add",
            comment_id="1_2",
            post_id=f"{PAGE}_1",
            parent_id=f"{PAGE}_1",
            from_id="42",
            from_name="Åse Ødegård",
            message="Hvor er søppelbilen? https://example.org/a",
            created_time=1795425300,
        )
        body = envelope("page", [(PAGE, 1795425301, [change])])
        assert b"\\u00c5se \\u00d8deg\\u00e5rd" in body and b"https:\\/\\/example.org" in body
        answer = deliver(f"http://127.0.0.1:{server.server_address[1]}/meta", body, "s3cret")
        assert answer.status_code == 200
        headers, got = received[0]
        assert got == body
        expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
        assert headers["X-Hub-Signature-256"] == sign(body, "s3cret") == f"sha256={expected}"
        assert headers["X-Hub-Signature"].startswith("sha1=")
        assert json.loads(got)["entry"][0]["changes"][0]["value"]["from"]["name"] == "Åse Ødegård"
    finally:
        server.shutdown()
        server.server_close()


def test_no_answer_of_the_fake_holds_a_secret_but_in_a_next_url(
    fake_graph: FakeGraph, world: dict[str, str]
) -> None:
    fake_graph.page_size = 1
    answer = ok(
        raw(fake_graph, "GET", f"{world['post']}/comments", world["token"], filter="stream")
    )
    strings = [v for v in walk(answer) if isinstance(v, str)]
    assert [s for s in strings if world["token"] in s] == [answer["paging"]["next"]]
    assert not any(fake_graph.app_secret in s for s in strings)
