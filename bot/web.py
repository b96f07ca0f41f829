"""HTTP mode: a WSGI app with Slack at /slack/events and a health check at /healthz."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment


class WebApp:
    """Routes requests; everything Slack sends goes through Bolt's signature check."""

    def __init__(self, app: App, engine: Engine) -> None:
        self.slack = SlackRequestHandler(app, path="/slack/events")
        self.engine = engine

    def _json(
        self, start_response: StartResponse, status: str, body: dict[str, Any]
    ) -> Iterable[bytes]:
        data = json.dumps(body).encode()
        start_response(
            status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
        )
        return [data]

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz":
            try:
                with self.engine.connect() as conn:
                    conn.execute(sa.text("SELECT 1"))
            except sa.exc.SQLAlchemyError:
                return self._json(
                    start_response, "503 Service Unavailable", {"ok": False, "database": "down"}
                )
            return self._json(start_response, "200 OK", {"ok": True})
        if path == "/slack/events":
            if method != "POST":
                return self._json(start_response, "405 Method Not Allowed", {"ok": False})
            return self.slack(environ, start_response)
        return self._json(start_response, "404 Not Found", {"ok": False, "error": "not_found"})
