"""The Graph API client against the fake Graph API over real HTTP on loopback: paging, errors,
rate-limit headers, appsecret_proof, and the token kept out of URLs, logs and messages."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from bot.meta.graph import Graph, GraphError, Usage, appsecret_proof, error_of, usage_of
from tests.loopback import Server
from tests.meta.fakegraph import FakeGraph
from tests.waiting import PATIENCE

PAYLOADS = Path(__file__).resolve().parents[3] / "shared" / "meta" / "payloads"
PAGE = "104857600000001"
IG_USER = "17841400000000001"
MORNING = datetime(2026, 11, 23, 9, 15, tzinfo=UTC)
COMMENT_FIELDS = "id,message,from,created_time,parent{id},is_hidden,permalink_url,comment_count"


@pytest.fixture
def graph(fake_graph: FakeGraph) -> Iterator[Graph]:
    client = Graph(fake_graph.base_url, fake_graph.user_token, fake_graph.app_secret)
    yield client
    client.close()


def a_post_with_comments(fake: FakeGraph, count: int) -> tuple[str, str, list[str]]:
    """A Page with one post and `count` comments a minute apart: (page token, post, comments)."""
    token = fake.add_page(PAGE, "Lillevik kommune", instagram_user_id=IG_USER)
    post = fake.add_post(PAGE, created_time=MORNING - timedelta(hours=1), message="Brøyting")
    comments = [
        fake.add_comment(
            post,
            from_id=f"5000{n}",
            from_name=f"Innbygger {n}",
            message=f"Når kommer brøytebilen? ({n})",
            created_time=MORNING + timedelta(minutes=n),
        )
        for n in range(count)
    ]
    return token, post, comments


def test_each_follows_paging_next_across_three_pages_to_the_end(
    fake_graph: FakeGraph, graph: Graph
) -> None:
    token, post, comments = a_post_with_comments(fake_graph, 6)
    fake_graph.page_size = 2
    page = graph.with_token(token)

    found = list(page.each(f"{post}/comments", filter="stream", fields=COMMENT_FIELDS))

    assert [c["id"] for c in found] == comments
    assert found[0]["from"] == {"name": "Innbygger 0", "id": "50000"}
    assert found[0]["created_time"] == "2026-11-23T09:15:00+0000"
    listed = fake_graph.calls_to("/comments")
    assert len(listed) == 3
    assert all(call.params["fields"] == COMMENT_FIELDS for call in listed)
    assert all(call.token == token for call in listed)


def test_a_saved_next_url_resumes_where_it_left_off_and_holds_no_token(
    fake_graph: FakeGraph, graph: Graph
) -> None:
    token, post, comments = a_post_with_comments(fake_graph, 5)
    fake_graph.page_size = 2
    first, saved = graph.with_token(token).page(f"{post}/comments", order="chronological")
    assert [c["id"] for c in first] == comments[:2]
    assert saved is not None
    assert token not in saved and fake_graph.user_token not in saved
    assert "access_token" not in saved and "appsecret_proof" not in saved

    # Later, another process with a fresh client picks up the saved URL.
    with Graph(fake_graph.base_url, token, fake_graph.app_secret) as later:
        rest, following = later.page(saved)
        assert [c["id"] for c in rest] == comments[2:4]
        assert following is not None
        last, end = later.page(following)
    assert [c["id"] for c in last] == comments[4:]
    assert end is None


def test_the_access_token_in_metas_next_url_is_stripped_before_it_is_followed(
    fake_graph: FakeGraph, graph: Graph
) -> None:
    token, post, _ = a_post_with_comments(fake_graph, 3)
    fake_graph.page_size = 1
    page = graph.with_token(token)
    raw = page.get(f"{post}/comments")
    assert f"access_token={token}" in raw["paging"]["next"]  # as Meta writes it

    assert len(list(page.each(f"{post}/comments"))) == 3

    # The fake refuses a call with access_token in its query: none was made, and every call
    # had the token in the header and a proof in the query.
    assert len(fake_graph.calls) == 4
    for call in fake_graph.calls:
        assert "access_token" not in call.params
        assert call.token == token
        assert call.params["appsecret_proof"] == appsecret_proof(token, fake_graph.app_secret)


@pytest.mark.parametrize(
    "elsewhere",
    [
        "http://127.0.0.2:{port}/v27.0/1_2/comments?after=x",  # another host
        "http://127.0.0.1:{other}/v27.0/1_2/comments?after=x",  # another port
        "https://127.0.0.1:{port}/v27.0/1_2/comments?after=x",  # another scheme
        "http://127.0.0.1:{port}@127.0.0.1:{other}/v27.0/1_2/comments",  # a userinfo trick
        "ftp://127.0.0.1:{port}/v27.0/",
    ],
)
def test_a_next_url_on_another_host_is_not_followed(fake_graph: FakeGraph, elsewhere: str) -> None:
    other = Server(answer=lambda handler: handler.send_error(500)).start()
    try:
        port = fake_graph.base_url.split(":")[2].split("/")[0]
        other_port = other.origin.rsplit(":", 1)[1]
        url = elsewhere.format(port=port, other=other_port)
        with (
            Graph(fake_graph.base_url, fake_graph.user_token, fake_graph.app_secret) as graph,
            pytest.raises(GraphError) as refused,
        ):
            graph.page(url)
        assert refused.value.kind == "other"
        assert other.seen == []
        assert fake_graph.calls == []
    finally:
        other.stop()


@pytest.mark.parametrize(
    ("code", "subcode", "status", "kind"),
    [
        (190, 460, 400, "expired"),
        (190, None, 401, "expired"),
        (10, None, 403, "permission"),
        (200, None, 403, "permission"),
        (230, None, 400, "permission"),
        (100, 33, 400, "gone"),
        (100, None, 400, "other"),
        (803, None, 404, "gone"),
        (4, None, 403, "throttled"),
        (17, None, 403, "throttled"),
        (32, None, 403, "throttled"),
        (613, None, 400, "throttled"),
        (80001, None, 400, "throttled"),
        (1, None, 500, "unavailable"),
        (2, None, 503, "unavailable"),
        (368, None, 400, "other"),
    ],
)
def test_each_error_code_has_its_kind(
    fake_graph: FakeGraph, graph: Graph, code: int, subcode: int | None, status: int, kind: str
) -> None:
    fake_graph.fail_next(path_contains="me/permissions", code=code, subcode=subcode, status=status)
    with pytest.raises(GraphError) as failed:
        graph.permissions()
    error = failed.value
    assert (error.status, error.code, error.subcode, error.kind) == (status, code, subcode, kind)
    assert error.message and len(error.message) <= 200
    assert error.regain_seconds is None
    assert graph.errors == {code: 1}
    assert graph.permissions()["pages_show_list"] == "granted"  # it failed once, as asked


def test_a_throttled_call_says_when_calls_may_resume(fake_graph: FakeGraph, graph: Graph) -> None:
    token, post, _ = a_post_with_comments(fake_graph, 1)
    fake_graph.fail_next(path_contains="/comments", code=32, status=403, regain_minutes=10)
    page = graph.with_token(token)
    with pytest.raises(GraphError) as failed:
        page.page(f"{post}/comments")
    assert failed.value.kind == "throttled"
    assert failed.value.regain_seconds == 600
    assert page.usage == Usage(percent=100, regain_seconds=600)


def test_a_page_at_its_business_use_case_limit_is_throttled(
    fake_graph: FakeGraph, graph: Graph
) -> None:
    token, post, _ = a_post_with_comments(fake_graph, 1)
    page = graph.with_token(token)
    fake_graph.set_usage(PAGE, 87, regain_minutes=0)
    page.page(f"{post}/comments")
    assert page.usage == Usage(percent=87, regain_seconds=0)

    fake_graph.set_usage(PAGE, 100, regain_minutes=7)
    with pytest.raises(GraphError) as failed:
        page.page(f"{post}/comments")
    assert (failed.value.code, failed.value.kind, failed.value.regain_seconds) == (
        80001,
        "throttled",
        420,
    )


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>502 Bad Gateway</body></html>",
        b'{"data": [{"id": "1"',
        b"\xff\xfe\x00",
        b"",
        b'["not", "an", "object"]',
        b'{"data": "not a list"}',
    ],
)
def test_an_answer_that_is_not_a_json_object_is_unavailable(
    fake_graph: FakeGraph, graph: Graph, body: bytes
) -> None:
    fake_graph.fail_next(path_contains="me/accounts", code=0, status=200, body=body)
    with pytest.raises(GraphError) as failed:
        graph.page_tokens()
    assert failed.value.kind == "unavailable"


def test_a_body_cut_short_by_the_connection_is_unavailable() -> None:
    def cut(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", "4000")
        handler.end_headers()
        handler.wfile.write(b'{"data": [{"id": "1"}, {"id"')
        handler.close_connection = True

    server = Server(answer=cut).start()
    try:
        with (
            Graph(server.origin + "/v27.0/", "EAAtoken", "secret") as graph,
            pytest.raises(GraphError) as failed,
        ):
            graph.get("me/accounts")
            assert failed.value.kind == "unavailable"
            assert graph.errors == {0: 1}
    finally:
        server.stop()


def test_a_graph_api_that_does_not_answer_in_time_is_unavailable() -> None:
    release = threading.Event()

    def hang(handler: BaseHTTPRequestHandler) -> None:
        release.wait(PATIENCE)

    server = Server(answer=hang).start()
    try:
        with (
            Graph(server.origin + "/v27.0/", "EAAtoken", "secret", timeout=0.2) as graph,
            pytest.raises(GraphError) as failed,
        ):
            graph.get("me/accounts")
        assert failed.value.kind == "unavailable"
    finally:
        release.set()
        server.stop()


def test_a_graph_api_that_cannot_be_reached_is_unavailable() -> None:
    server = Server(answer=lambda handler: None).start()
    origin = server.origin
    server.stop()  # nothing listens on that port any more
    with (
        Graph(origin + "/v27.0/", "EAAtoken", "secret") as graph,
        pytest.raises(GraphError) as failed,
    ):
        graph.get("me/accounts")
    assert (failed.value.kind, failed.value.status, failed.value.code) == ("unavailable", 0, 0)


def test_usage_headers_are_read_like_metas() -> None:
    business = (PAYLOADS / "restfb" / "graph-api-header-business.json").read_text()
    assert usage_of({"X-Business-Use-Case-Usage": business}) == Usage(100, 600)
    app = '{"call_count":28,"total_time":25,"total_cputime":61}'
    assert usage_of({"x-app-usage": app}) == Usage(61, 0)
    two_pages = json.dumps(
        {
            "1": [{"type": "pages", "call_count": 12, "total_cputime": 3, "total_time": 4}],
            "2": [
                {"type": "pages", "call_count": 40, "estimated_time_to_regain_access": 0},
                {"type": "instagram", "total_time": 75, "estimated_time_to_regain_access": 3},
            ],
        }
    )
    assert usage_of({"X-Business-Use-Case-Usage": two_pages, "X-App-Usage": app}) == Usage(75, 180)
    assert usage_of({}) is None
    assert usage_of({"X-App-Usage": "{not json"}) is None
    assert usage_of({"X-App-Usage": '{"call_count": "lots"}'}) == Usage(0, 0)


def test_x_app_usage_of_the_system_user_reaches_the_client(
    fake_graph: FakeGraph, graph: Graph
) -> None:
    fake_graph.app_usage = 42
    graph.permissions()
    assert graph.usage == Usage(percent=42, regain_seconds=0)


def test_error_of_reads_metas_own_error_samples() -> None:
    expired = error_of(400, (PAYLOADS / "restfb" / "graph-exampleErrorNew.json").read_bytes(), {})
    assert (expired.code, expired.subcode, expired.kind) == (190, 460, "expired")
    assert expired.message == "Message describing the error"
    gone = error_of(
        400,
        (PAYLOADS / "issues" / "jstolpe-blog_code-4-ig-object-missing-error.json").read_bytes(),
        {},
    )
    assert (gone.code, gone.subcode, gone.kind) == (100, 33, "gone")
    long = error_of(400, json.dumps({"error": {"code": 1, "message": "x" * 500}}).encode(), {})
    assert len(long.message) == 200
    assert error_of(404, b"Not Found", {}).kind == "unavailable"  # a proxy's, not Meta's


def test_a_client_with_the_wrong_app_secret_is_refused(fake_graph: FakeGraph) -> None:
    with (
        Graph(fake_graph.base_url, fake_graph.user_token, "not-the-app-secret") as graph,
        pytest.raises(GraphError) as refused,
    ):
        graph.permissions()
    assert (refused.value.code, refused.value.kind) == (100, "other")
    assert "appsecret_proof" in refused.value.message


def test_appsecret_proof_is_hex_hmac_sha256_of_the_token_keyed_by_the_secret() -> None:
    # The HMAC-SHA256 test vector everyone knows.
    proof = appsecret_proof("The quick brown fox jumps over the lazy dog", "key")
    assert proof == "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"


def test_an_expired_token_is_refused_with_190(fake_graph: FakeGraph, graph: Graph) -> None:
    token, post, _ = a_post_with_comments(fake_graph, 1)
    fake_graph.expire(token)
    with pytest.raises(GraphError) as refused:
        graph.with_token(token).page(f"{post}/comments")
    assert (refused.value.code, refused.value.subcode, refused.value.kind) == (190, 463, "expired")
    assert graph.permissions()  # the system user's token still works


def test_page_tokens_reads_every_page_of_me_accounts(fake_graph: FakeGraph, graph: Graph) -> None:
    first = fake_graph.add_page(PAGE, "Lillevik kommune", instagram_user_id=IG_USER)
    second = fake_graph.add_page("104857600000002", "Lillevik bibliotek")
    fake_graph.page_size = 1

    assert graph.page_tokens() == {PAGE: first, IG_USER: first, "104857600000002": second}
    assert len(fake_graph.calls_to("me/accounts")) == 2


def test_permissions_shows_what_was_declined(fake_graph: FakeGraph, graph: Graph) -> None:
    fake_graph.revoke("pages_manage_engagement")
    permissions = graph.permissions()
    assert permissions["pages_manage_engagement"] == "declined"
    assert permissions["pages_read_engagement"] == "granted"


def test_writes_are_form_encoded_and_deletes_answer_success(
    fake_graph: FakeGraph, graph: Graph
) -> None:
    token, _, comments = a_post_with_comments(fake_graph, 2)
    page = graph.with_token(token)
    assert page.post(comments[0], is_hidden="true") == {"success": True}
    assert page.get(comments[0], fields="is_hidden") == {"is_hidden": True, "id": comments[0]}
    assert page.delete(comments[1]) == {"success": True}
    with pytest.raises(GraphError) as gone:
        page.get(comments[1])
    assert gone.value.kind == "gone"
    hiding = fake_graph.calls_to(comments[0])[0]
    assert hiding.method == "POST" and hiding.params["is_hidden"] == "true"


def test_with_token_shares_the_counters(fake_graph: FakeGraph, graph: Graph) -> None:
    token, post, _ = a_post_with_comments(fake_graph, 1)
    graph.permissions()
    page = graph.with_token(token)
    page.page(f"{post}/comments")
    fake_graph.fail_next(path_contains="comments", code=2, status=500)
    with pytest.raises(GraphError):
        page.page(f"{post}/comments")
    assert graph.calls == page.calls == 3
    assert graph.errors == page.errors == {2: 1}


def test_the_token_is_never_a_parameter(graph: Graph) -> None:
    with pytest.raises(ValueError):
        graph.get("me/accounts", access_token="EAAsomething")


def test_neither_token_nor_secret_reaches_a_log_record_or_a_message(
    fake_graph: FakeGraph, graph: Graph, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token, post, _ = a_post_with_comments(fake_graph, 5)
    fake_graph.add_page("104857600000002", "Lillevik bibliotek")
    fake_graph.page_size = 2

    tokens = graph.page_tokens()
    page = graph.with_token(tokens[PAGE])
    assert len(list(page.each(f"{post}/comments", filter="stream"))) == 5
    fake_graph.fail_next(path_contains="comments", code=190, subcode=460)
    with pytest.raises(GraphError) as failed:
        page.page(f"{post}/comments")
    logging.getLogger("test").exception("as a caller would log it", exc_info=failed.value)

    secrets = [token, fake_graph.user_token, fake_graph.app_secret]
    assert any(record.name.startswith("httpx") for record in caplog.records)  # URLs were logged
    for record in caplog.records:
        text = record.getMessage() + (caplog.text or "")
        assert not any(secret in text for secret in secrets), record.name
    assert not any(secret in repr(graph) + repr(page) + str(failed.value) for secret in secrets)


def test_a_token_echoed_in_metas_error_message_is_redacted() -> None:
    token = "EAAechoedtoken0123456789abcdef"

    def echo(handler: BaseHTTPRequestHandler) -> None:
        body = json.dumps(
            {
                "error": {
                    "message": f"Bad token {token} in https://x/?access_token={token}&a=1",
                    "type": "OAuthException",
                    "code": 190,
                }
            }
        ).encode()
        handler.send_response(400)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    server = Server(answer=echo).start()
    try:
        with (
            Graph(server.origin + "/v27.0", token, "secret") as graph,
            pytest.raises(GraphError) as failed,
        ):
            graph.get("me")
        assert token not in str(failed.value)
        assert failed.value.kind == "expired"
        assert server.seen[0].authorization == f"Bearer {token}"
        assert token not in server.seen[0].path and "appsecret_proof=" in server.seen[0].path
    finally:
        server.stop()
