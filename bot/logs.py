"""Logging set-up: today's one-line text, or one JSON object per line for log collectors.

`VAKT_LOG_FORMAT=json` makes every line on stderr (and gunicorn's access log on stdout) a JSON
object with `time` (ISO 8601, UTC), `level`, `logger`, `message`, `exception` when there is one,
and whatever a call passed with `extra=`.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from types import TracebackType
from typing import Any
from urllib.parse import quote

from gunicorn.glogging import Logger as _GunicornLogger
from pythonjsonlogger.json import JsonFormatter as _LibraryJsonFormatter

from bot.feeds.service import redact

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Fields of gunicorn's access-log atoms worth a key of their own: never its headers (which
# could carry Slack's signatures or the intake token), nor the query string.
ACCESS_FIELDS = {"h": "remote", "m": "method", "U": "path", "s": "status", "B": "bytes"}


class JsonFormatter(_LibraryJsonFormatter):
    """python-json-logger's formatter with Vakt's field names, the time first."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            fmt=["levelname", "name", "message", "process"],
            rename_fields={
                "levelname": "level",
                "name": "logger",
                "process": "pid",
                "exc_info": "exception",
                "stack_info": "stack",
            },
            timestamp="time",
            json_ensure_ascii=False,
            **kwargs,
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            atoms = record.args
            for atom, key in ACCESS_FIELDS.items():
                value = atoms.get(atom)
                if value is None or value == "-":
                    continue
                is_number = key == "status" and str(value).isdigit()
                log_data[key] = int(value) if is_number else value
            if isinstance(atoms.get("D"), int):  # microseconds
                log_data["duration_ms"] = atoms["D"] / 1000

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        time = log_data.pop("time")
        return {"time": time.isoformat(timespec="milliseconds"), **log_data}


# Characters a logged path keeps as they are (RFC 3986's unreserved and sub-delimiters, ":", "@"
# and "/"); everything else is percent-encoded, so a path logs in one spelling whatever the client
# sent, and a line break in it cannot forge a log line.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def loggable_path(path_info: str) -> str:
    """A request's decoded path (WSGI's PATH_INFO) as it may be logged: re-encoded in its one
    canonical spelling, the token of a calendar path cut out."""

    # WSGI hands the path over as Latin-1: encoding back gives the bytes as sent.
    raw = path_info.encode("latin-1", errors="replace")
    return redact(quote(raw, safe=_PATH_SAFE))


class RedactingLogger(_GunicornLogger):
    """gunicorn's logger, its access lines without secrets: the request line shows the decoded
    path in its canonical spelling with the token of a calendar link cut out (so `%63alendar/…`
    is redacted like `calendar/…`), any query string as `?[redacted]` (automations put tokens
    there), and no request header or environ atom exists to log at all."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        # gunicorn's own atoms with the request's headers and environ left out from the start
        # (rather than built, every header and environ entry, and then dropped: on a busy
        # worker that was a tenth of its CPU); the response's headers are kept. Every atom that
        # could carry a calendar link (the path, the user, referer, agent, response headers) is
        # redacted, as when all of gunicorn's were.
        path = loggable_path(str(environ.get("PATH_INFO") or ""))
        query = "?[redacted]" if environ.get("QUERY_STRING") else ""
        method = environ.get("REQUEST_METHOD", "-")
        protocol = environ.get("SERVER_PROTOCOL", "-")
        status = resp.status
        if isinstance(status, str):
            status = status.split(None, 1)[0]
        sent = getattr(resp, "sent", None)
        seconds, micros = request_time.seconds, request_time.microseconds
        atoms: dict[str, Any] = {
            "h": environ.get("REMOTE_ADDR", "-"),
            "l": "-",
            "u": redact(self._get_user(environ) or "-"),
            "t": self.now(),
            "r": f"{method} {path}{query} {protocol}",
            "s": status,
            "m": method,
            "U": path,
            "q": "[redacted]" if query else "",
            "H": protocol,
            "b": str(sent) if sent is not None else "-",
            "B": sent,
            "f": redact(str(environ.get("HTTP_REFERER", "-"))),
            "a": redact(str(environ.get("HTTP_USER_AGENT", "-"))),
            "T": seconds,
            "D": seconds * 1_000_000 + micros,
            "M": seconds * 1000 + micros // 1000,
            "L": f"{seconds}.{micros:06d}",
            "p": f"<{os.getpid()}>",
        }
        headers = resp.headers.items() if hasattr(resp.headers, "items") else resp.headers
        atoms.update({f"{{{k.lower()}}}o": redact(str(v)) for k, v in headers})
        return atoms


def formatter(fmt: str) -> logging.Formatter:
    """The formatter for `fmt` ("text" or "json")."""
    if fmt == "json":
        return JsonFormatter()
    if fmt == "text":
        return logging.Formatter(TEXT_FORMAT)
    raise ValueError(f"log format {fmt!r} is not one of {', '.join(FORMATS)}")


def _level(level: str) -> int:
    value = getattr(logging, level.upper(), logging.INFO)
    return value if isinstance(value, int) else logging.INFO


def setup_logging(level: str, fmt: str) -> None:
    """Log to stderr at `level` in `fmt`; like `logging.basicConfig`, a no-op when the root
    logger already has handlers (a test runner's, say)."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(fmt))  # refuses an unknown format even when it is a no-op
    # The SDK logs the bodies it sends at DEBUG, and replies can hold a calendar link.
    logging.getLogger("slack_sdk").setLevel(max(logging.INFO, _level(level)))
    # matplotlib says "generated new fontManager" at INFO the first time its cache (in the
    # data directory) is made: nothing an operator needs to read.
    logging.getLogger("matplotlib").setLevel(max(logging.WARNING, _level(level)))
    # httpx logs every Graph API request line at INFO: a poll would fill the log with them.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, _level(level)))
    if logging.getLogger().handlers:
        return
    logging.basicConfig(level=_level(level), handlers=[handler])
    if fmt == "json":
        # Whatever would otherwise print itself on stderr becomes a JSON line too.
        logging.captureWarnings(True)
        sys.excepthook = _log_uncaught
        threading.excepthook = _log_thread_crash


def _log_uncaught(
    kind: type[BaseException], error: BaseException, traceback: TracebackType | None
) -> None:
    logging.getLogger("vakt").critical("uncaught exception", exc_info=(kind, error, traceback))


def _log_thread_crash(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "?"
    error = args.exc_value
    logging.getLogger("vakt").error(
        "uncaught exception in thread %s",
        name,
        exc_info=None if error is None else (args.exc_type, error, args.exc_traceback),
    )


def gunicorn_logconfig(level: str, fmt: str) -> dict[str, Any]:
    """gunicorn's `logconfig_dict`: empty for text (gunicorn's own lines), else its error log
    and ours as JSON on stderr and its access log as JSON on stdout, as in text mode."""
    if fmt != "json":
        return {}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": level.upper(), "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            },
            "stdout": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            },
        },
        "formatters": {"json": {"()": "bot.logs.JsonFormatter"}},
    }
