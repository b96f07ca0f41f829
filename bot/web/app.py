"""HTTP mode: a WSGI app with Slack at /slack/events, the HTTP intake for automations (Zapier,
Make, Power Automate) at /intake, /intake/answered and /intake/post (a post published on an
account: its activity and posting volume), the calendar feeds at /calendar/<token>.ics and
/calendar/<token>/<team>.ics, and for operations /healthz (alive), /readyz
(database reachable, migrations current) and /metrics (Prometheus).

The intake's request parsing is pure (`bot.web.intake`: `parse_intake`, `check_token`, ...):
each refusal is an `IntakeError` carrying the HTTP status and the JSON answer, raised before
anything is stored; Slack's signatures are checked first (`bot.web.signing`). The routing
below only reads the request, calls one service inside one transaction (actor "http") and
writes the answer.
"""

from __future__ import annotations

import io
import json
import logging
import shutil
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import psycopg
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_sdk.signature import SignatureVerifier

from bot.activity import service as activity
from bot.feeds import service as feeds
from bot.items import service as items
from bot.items.core import Status
from bot.items.listeners import refresh_card
from bot.kernel.context import Ctx
from bot.kernel.errors import NotFound, VaktError
from bot.meta.connector import Connector
from bot.slackkit.deps import Deps, request_ctx
from bot.slackkit.early import ARRIVED
from bot.slackkit.listen import deliver_now
from bot.slackkit.shed import WAITED
from bot.store.db import (
    MIGRATIONS,
    current_revision,
    head_revision,
    is_storage_full,
    is_unavailable,
    session_scope,
)
from bot.store.models import Account
from bot.web.httpworker import WAITED as ENVIRON_WAITED
from bot.web.intake import (
    ANSWERED_FIELDS,
    INTAKE_FIELDS,
    MAX_BODY,
    POST_FIELDS,
    IntakeError,
    bearer_matches,
    check_content_type,
    check_size,
    check_token,
    declared_length,
    domain_error,
    parse_answered,
    parse_intake,
    parse_post,
)
from bot.web.metrics import VaktCollector, describe, probe_engine
from bot.web.signing import MAX_SLACK_BODY, SlackRequestError, check_slack_request

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)

ACTOR = "http"
RETRY_AFTER = 30  # seconds an automation is asked to wait while the database is away
# Under this much room beside the SQLite file its next write may fail: /readyz says "full".
MIN_FREE_BYTES = 1024 * 1024
# How long a write refused for lack of room keeps /readyz at "full" (unless a write succeeds):
# PostgreSQL's disk cannot be looked at from here, only its refusals.
FULL_FOR = timedelta(minutes=1)
PROBES = ("/healthz", "/readyz", "/metrics")
META_WEBHOOK = "/meta/webhook"
META_MAX_BODY = 1024 * 1024  # what the HTTP worker keeps of a body; 1000 comments fit


# ---------------------------------------------------------------- parsing (pure)


# ---------------------------------------------------------------- routing


Answer = tuple[int, dict[str, Any]]


class _SlackHandler(SlackRequestHandler):
    """Bolt's WSGI adapter, telling Bolt how long the request waited for a request thread
    (bot.web.httpworker measures it): a command that waited too long is answered "busy"; and
    when it arrived, from which its answer has until bot.slackkit.early's deadline to be in
    the ack."""

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        waited = request.environ.get(ENVIRON_WAITED)
        waited = waited if isinstance(waited, float) else 0.0
        return self.app.dispatch(
            BoltRequest(
                body=request.get_body(),
                query=request.query_string,
                headers=request.get_headers(),
                context={WAITED: waited, ARRIVED: perf_counter() - waited},
            )
        )


class WebApp:
    """Routes requests; everything Slack sends goes through Bolt's signature check, the intake
    through its bearer token, and /metrics through its own when one is set."""

    def __init__(
        self,
        app: App,
        deps: Deps,
        *,
        intake_token: str | None = None,
        metrics_token: str | None = None,
        signing_secret: str | None = None,
        meta: Connector | None = None,
    ) -> None:
        self.slack = _SlackHandler(app, path="/slack/events")
        self.meta = meta
        # Checked here first, so a forged or garbled request is a 401 before Bolt parses it.
        self._verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self.deps = deps
        self.engine = deps.engine
        self._intake_token = intake_token
        self._metrics_token = metrics_token
        self.intake_routes: dict[str, Callable[[bytes], Answer]] = {
            "/intake": self._intake,
            "/intake/answered": self._answered,
            "/intake/post": self._post,
        }
        # The probes and the metrics open their own short-lived connections with short
        # timeouts: they answer at once while the database is away or the pool is busy.
        self.probe = probe_engine(self.engine)
        self.head = head_revision()
        self.revisions = {
            script.revision for script in ScriptDirectory(str(MIGRATIONS)).walk_revisions()
        }
        self._full_since: datetime | None = None  # a write last refused for lack of room
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(VaktCollector(self.probe, deps.clock))

    def __repr__(self) -> str:
        return (
            f"WebApp(intake={'on' if self._intake_token else 'off'}, "
            f"metrics={'token' if self._metrics_token else 'open'})"
        )

    def _json(
        self,
        start_response: StartResponse,
        status: int,
        body: dict[str, Any],
        headers: Iterable[tuple[str, str]] = (),
    ) -> Iterable[bytes]:
        data = json.dumps(body).encode()
        start_response(
            f"{status} {HTTPStatus(status).phrase}",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(data))),
                *headers,
            ],
        )
        return [data]

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path in PROBES:
            return self._operations(path, method, environ, start_response)
        if path == "/slack/events":
            if method != "POST":
                return self._json(start_response, 405, {"ok": False}, [("Allow", "POST")])
            if self._verifier is not None:
                refused = self._check_slack(environ)
                if refused is not None:
                    return self._json(start_response, refused.status, refused.answer())
            return self.slack(environ, start_response)
        if path.startswith(feeds.PREFIX):
            return self._calendar(path, method, start_response)
        if path == META_WEBHOOK:
            return self._meta_webhook(environ, method, start_response)
        route = self.intake_routes.get(path)
        if route is not None:
            return self._intake_call(route, environ, start_response)
        return self._json(start_response, 404, {"ok": False, "error": "not_found"})

    # ------------------------------------------------------------ calendar feeds

    def _calendar(self, path: str, method: str, start_response: StartResponse) -> Iterable[bytes]:
        """A calendar feed. The token in the path is a password: the path is never logged,
        and an unknown, revoked or garbled token is the same 404 as any unknown path."""
        if method not in ("GET", "HEAD"):
            allow = [("Allow", "GET, HEAD")]
            return self._json(
                start_response, 405, {"ok": False, "error": "method_not_allowed"}, allow
            )
        keys, wanted = self.deps.feed_keys, feeds.parse_path(path)
        body: bytes | None = None
        try:
            if keys is not None and wanted is not None:
                with session_scope(self.engine) as session:
                    body = feeds.fetch(
                        session,
                        keys,
                        self.deps.config,
                        self.deps.calendar,
                        self.deps.clock(),
                        *wanted,
                    )
        except (sa.exc.SQLAlchemyError, psycopg.Error) as exc:
            if not is_unavailable(exc):
                log.error("calendar feed failed: %s", type(exc).__name__)
                return self._json(start_response, 500, {"ok": False, "error": "internal"})
            log.warning("calendar feed: %s: %s", self._note_outage(exc), describe(exc))
            retry = [("Retry-After", str(RETRY_AFTER))]
            return self._json(start_response, 503, self._unavailable(exc), retry)
        if body is None:
            return self._json(start_response, 404, {"ok": False, "error": "not_found"})
        start_response(
            "200 OK",
            [
                ("Content-Type", feeds.CONTENT_TYPE),
                ("Content-Length", str(len(body))),
                ("Content-Disposition", 'inline; filename="vakt.ics"'),
                ("Cache-Control", f"private, max-age={feeds.MAX_AGE}"),
                ("X-Robots-Tag", "noindex"),
            ],
        )
        return [] if method == "HEAD" else [body]

    # ------------------------------------------------------------ operations

    def _operations(
        self, path: str, method: str, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        if method not in ("GET", "HEAD"):
            allow = [("Allow", "GET, HEAD")]
            return self._json(
                start_response, 405, {"ok": False, "error": "method_not_allowed"}, allow
            )
        if path == "/healthz":
            # Alive: answered without the database, so an outage does not get the process
            # restarted by its orchestrator (/readyz takes it out of the load balancer instead).
            body = self._json(start_response, 200, {"ok": True})
        elif path == "/readyz":
            status, answer = self._readiness()
            body = self._json(start_response, status, answer)
        else:
            body = self._metrics(environ, start_response)
        return [] if method == "HEAD" else body

    def _readiness(self) -> Answer:
        """Ready: the database answers, is at the migration this code expects and has room for
        a write."""
        try:
            current = current_revision(self.probe)
        except sa.exc.SQLAlchemyError as exc:
            log.warning("readiness: the database did not answer: %s", describe(exc))
            return 503, {"ok": False, "database": "down"}
        if current == self.head:
            if self._storage_full():
                return 503, {"ok": False, "database": "ok", "migration": current, "storage": "full"}
            return 200, {"ok": True, "database": "ok", "migration": current}
        # Behind: `vakt migrate` (or `vakt serve`) has not run yet. Ahead: a newer Vakt migrated.
        state = "behind" if current is None or current in self.revisions else "ahead"
        return 503, {
            "ok": False,
            "database": "ok",
            "migration": state,
            "current": current,
            "head": self.head,
        }

    def _storage_full(self) -> bool:
        """No room for a write: a write was refused for it within FULL_FOR (and none has
        succeeded since), or, on SQLite, the disk of the database file is all but full."""
        since = self._full_since
        if since is not None and self.deps.clock() - since < FULL_FOR:
            return True
        url = self.engine.url
        if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
            return False
        try:
            free = shutil.disk_usage(Path(url.database).resolve().parent).free
        except OSError:
            return False  # the probe's own query above has already said whether it is there
        return free < MIN_FREE_BYTES

    def _note_outage(self, exc: BaseException) -> str:
        """What a database error says about the database, for the log (and /readyz)."""
        if is_storage_full(exc):
            self._full_since = self.deps.clock()
            return "the database's storage is full"
        return "the database is unavailable"

    @staticmethod
    def _unavailable(exc: BaseException) -> dict[str, Any]:
        return STORAGE_FULL if is_storage_full(exc) else UNAVAILABLE

    def _metrics(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Prometheus' text format (or OpenMetrics, when the scraper asks for it)."""
        token = self._metrics_token
        if token is not None and not bearer_matches(environ.get("HTTP_AUTHORIZATION"), token):
            return self._json(
                start_response,
                401,
                {"ok": False, "error": "unauthorized"},
                [("WWW-Authenticate", 'Bearer realm="vakt-metrics"')],
            )
        encode, content_type = choose_encoder(environ.get("HTTP_ACCEPT", ""))
        data = encode(self.registry)
        start_response(
            "200 OK", [("Content-Type", content_type), ("Content-Length", str(len(data)))]
        )
        return [data]

    # ------------------------------------------------------------ Meta's webhook

    def _meta_webhook(
        self, environ: WSGIEnvironment, method: str, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Facebook's and Instagram's webhook: the verification handshake (GET) and changes
        (POST), the signature checked over the raw body before anything is read from it."""
        if self.meta is None:
            return self._json(start_response, 404, {"ok": False, "error": "not_found"})
        if method == "GET":
            query = parse_qs(str(environ.get("QUERY_STRING") or ""), max_num_fields=10)
            status, text = self.meta.handshake(
                _first(query, "hub.mode"),
                _first(query, "hub.verify_token"),
                _first(query, "hub.challenge"),
            )
            data = text.encode()
            start_response(
                f"{status} {HTTPStatus(status).phrase}",
                [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))],
            )
            return [data]
        if method != "POST":
            return self._json(start_response, 405, {"ok": False}, [("Allow", "GET, POST")])
        try:
            raw = self._read_body(environ, META_MAX_BODY)
            if raw is None:
                raise IntakeError(411, "length_required")
            if len(raw) > META_MAX_BODY:
                raise IntakeError(413, "body_too_large")
            status, answer = self.meta.receive(
                raw, environ.get("HTTP_X_HUB_SIGNATURE_256"), self.deps.clock()
            )
        except IntakeError as error:
            status, answer = error.status, error.answer()
        except (sa.exc.SQLAlchemyError, psycopg.Error) as exc:
            # Not stored: Meta retries a delivery that was not answered 200.
            log.warning("Meta webhook not stored: %s", describe(exc))
            status, answer = 503, {"ok": False, "error": "unavailable"}
        return self._json(start_response, status, answer)

    # ------------------------------------------------------------ the intake

    def _intake_call(
        self,
        route: Callable[[bytes], Answer],
        environ: WSGIEnvironment,
        start_response: StartResponse,
    ) -> Iterable[bytes]:
        headers: list[tuple[str, str]] = []
        try:
            if self._intake_token is not None and environ.get("REQUEST_METHOD") != "POST":
                headers.append(("Allow", "POST"))
                raise IntakeError(405, "method_not_allowed", message="Use POST.")
            # Read (at most the limit) before answering anything, so the answer is not cut off
            # by a connection reset over an unread body.
            raw = self._read_body(environ)
            try:
                check_token(environ.get("HTTP_AUTHORIZATION"), self._intake_token)
            except IntakeError as error:
                if error.status == 401:
                    headers.append(("WWW-Authenticate", 'Bearer realm="vakt"'))
                raise
            body = check_size(raw)
            check_content_type(environ.get("CONTENT_TYPE"))
            status, answer = route(body)
            self._full_since = None  # it was stored (or found stored): there is room again
        except IntakeError as error:
            status, answer = error.status, error.answer()
        except (sa.exc.SQLAlchemyError, psycopg.Error) as exc:
            if not is_unavailable(exc):
                log.exception("HTTP intake failed on %s", environ.get("PATH_INFO"))
                status, answer = 500, {"ok": False, "error": "internal"}
            else:
                # One line, no traceback: an outage would otherwise flood the log.
                log.warning(
                    "HTTP intake on %s: %s: %s",
                    environ.get("PATH_INFO"),
                    self._note_outage(exc),
                    describe(exc),
                )
                status, answer = 503, self._unavailable(exc)
                headers.append(("Retry-After", str(RETRY_AFTER)))
        except Exception:
            # Logs the path and the traceback, never the request's headers or body.
            log.exception("HTTP intake failed on %s", environ.get("PATH_INFO"))
            status, answer = 500, {"ok": False, "error": "internal"}
        return self._json(start_response, status, answer, headers)

    def _check_slack(self, environ: WSGIEnvironment) -> SlackRequestError | IntakeError | None:
        """Read the body (at most MAX_SLACK_BODY) and refuse it unless Slack signed it; the
        body read is handed on to Bolt as if unread."""
        assert self._verifier is not None
        try:
            raw = check_size(self._read_body(environ, MAX_SLACK_BODY), MAX_SLACK_BODY)
            headers = {
                name[5:].replace("_", "-").lower(): str(value)
                for name, value in environ.items()
                if name.startswith("HTTP_")
            }
            if environ.get("CONTENT_TYPE"):
                headers["content-type"] = str(environ["CONTENT_TYPE"])
            check_slack_request(self._verifier, raw, headers)
        except (SlackRequestError, IntakeError) as refused:
            return refused
        environ["wsgi.input"] = io.BytesIO(raw)
        environ["CONTENT_LENGTH"] = str(len(raw))
        return None

    @staticmethod
    def _read_body(environ: WSGIEnvironment, limit: int = MAX_BODY) -> bytes | None:
        """At most `limit` + 1 bytes of the body; None when its end cannot be told."""
        length = declared_length(environ.get("CONTENT_LENGTH"))
        if length is None and not environ.get("wsgi.input_terminated"):
            return None  # a plain WSGI stream without a length would block at its end
        # gunicorn ends a chunked body itself (wsgi.input_terminated).
        want = limit + 1 if length is None else min(length, limit + 1)
        return bytes(environ["wsgi.input"].read(want))

    def _account(self, ctx: Ctx, key: str) -> Account:
        try:
            return items.account_by_key(ctx.session, key)
        except NotFound:
            raise IntakeError(
                422, "unknown_account", "account", f"There is no account '{key}' in Vakt."
            ) from None

    def _intake(self, body: bytes) -> Answer:
        request = parse_intake(body)
        now = self.deps.clock()
        try:
            with request_ctx(self.deps, ACTOR, now) as ctx:
                created = items.create_item(
                    ctx,
                    items.NewItem(
                        account=self._account(ctx, request.account),
                        source="http",
                        external_id=request.external_id,
                        received_at=request.received_at,
                        url=request.url,
                        text=request.text,
                        must_register=request.must_register,
                    ),
                )
                item = created.item
                answer = {
                    "ok": True,
                    "id": item.id,
                    "created": created.created,
                    "deadline": item.deadline.astimezone(self.deps.calendar.tz).isoformat(),
                }
        except VaktError as error:
            raise domain_error(error, INTAKE_FIELDS) from None
        if created.created:
            log.info("HTTP intake: item %s for %r", item.id, request.account)
            self._after(lambda: deliver_now(self.deps), "sending its card")
        return (201 if created.created else 200), answer

    def _answered(self, body: bytes) -> Answer:
        request = parse_answered(body)
        now = self.deps.clock()
        try:
            with request_ctx(self.deps, ACTOR, now) as ctx:
                item, changed = items.close_external(
                    ctx,
                    self._account(ctx, request.account),
                    request.external_id,
                    Status.ANSWERED,
                    request.answered_at,
                )
                item_id = item.id
        except NotFound as error:
            if error.key != "error.no_item_external":
                raise domain_error(error, ANSWERED_FIELDS) from None
            raise IntakeError(
                404,
                "unknown_item",
                "external_id",
                "No question with that external_id on that account.",
            ) from None
        except VaktError as error:
            raise domain_error(error, ANSWERED_FIELDS) from None
        if changed and item_id is not None:
            log.info("HTTP intake: item %s answered", item_id)
            self._after(lambda: self._refresh_card(item_id), "refreshing its card")
        return 200, {"ok": True, "id": item_id, "changed": changed}

    def _post(self, body: bytes) -> Answer:
        request = parse_post(body)
        now = self.deps.clock()
        try:
            with request_ctx(self.deps, ACTOR, now) as ctx:
                post, created = activity.record_post(
                    ctx,
                    self._account(ctx, request.account),
                    request.external_id,
                    request.posted_at,
                    "http",
                )
                answer = {
                    "ok": True,
                    "id": post.id,
                    "created": created,
                    "posted_at": post.posted_at.astimezone(self.deps.calendar.tz).isoformat(),
                }
        except VaktError as error:
            raise domain_error(error, POST_FIELDS) from None
        if created:
            log.info("HTTP intake: post %s for %r", post.id, request.account)
        return (201 if created else 200), answer

    def _refresh_card(self, item_id: int) -> None:

        refresh_card(self.deps, item_id)

    @staticmethod
    def _after(action: Callable[[], None], what: str) -> None:
        """Slack work after the commit: best effort, since the outbox retries what is not sent
        and the answer must tell the automation the truth about what was stored. Slack's own
        errors are handled inside; what is left is the database."""
        try:
            action()
        except (sa.exc.SQLAlchemyError, VaktError) as exc:
            log.warning("HTTP intake: stored, but %s failed: %s", what, type(exc).__name__)


def _first(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


UNAVAILABLE = {
    "ok": False,
    "error": "unavailable",
    "message": "Vakt cannot reach its database just now. Send the same request again in a "
    "while: repeating it is safe.",
}

STORAGE_FULL = {
    "ok": False,
    "error": "unavailable",
    "message": "Vakt cannot store anything just now: the disk its database is on is full. "
    "Send the same request again once whoever runs Vakt has made room: repeating it is safe.",
}
