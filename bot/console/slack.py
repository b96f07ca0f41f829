"""A stand-in for Slack, in-process: the few Web API methods Vakt calls, its `response_url`s and
the upload URLs of `files_upload_v2`, on a loopback port that `WebClient(base_url=...)` talks
to. It keeps the workspace's people and channels (for names and locales) and records what Vakt
sends as `Event`s for the console to show."""

from __future__ import annotations

import itertools
import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

log = logging.getLogger(__name__)

BOT_USER = "U0VAKT"
BOT_ID = "B0VAKT"
TEAM = "T0DEMO"
MAX_BODY = 64 * 1024 * 1024


@dataclass(frozen=True)
class User:
    id: str
    name: str  # display name, as mentions show it
    locale: str = "en-US"


@dataclass
class Posted:
    """A message in a channel or DM as it stands (for block_actions' `message`)."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]] | None
    thread_ts: str | None = None
    user: str | None = None  # ephemeral: the one who sees it
    deleted: bool = False


@dataclass(frozen=True)
class SavedFile:
    id: str
    name: str
    title: str
    path: Path
    size: int


@dataclass(frozen=True)
class Event:
    """Something Vakt did in Slack, in the order it happened.

    kind: `message` (new), `update`, `delete`, `ephemeral`, `modal` (views.open/push/update),
    `home` (views.publish), `files` (shared), `warning` (a call the stand-in does not know).
    """

    kind: str
    at: datetime
    channel: str = ""
    ts: str = ""
    user: str = ""  # ephemeral: who sees it; home: whose tab; modal: who opened it
    text: str = ""
    blocks: list[dict[str, Any]] | None = None
    thread_ts: str | None = None
    view: dict[str, Any] | None = None
    view_id: str = ""
    files: tuple[SavedFile, ...] = ()


@dataclass
class Respond:
    """What a response_url answers for: the user, the channel, the message a button was on."""

    user: str
    channel: str
    message_ts: str | None = None
    ephemeral: bool = False


class StandInSlack:
    """The workspace: users, channels, messages, views and files, served over loopback HTTP."""

    def __init__(
        self,
        users: list[User],
        channels: dict[str, str],
        *,
        clock: Callable[[], datetime],
        files_dir: Path,
        default_locale: str = "en-US",
    ) -> None:
        self.users = {u.id: u for u in users}
        self.channels = dict(channels)  # id -> name (without #)
        self.clock = clock
        self.files_dir = files_dir
        self.default_locale = default_locale
        self.events: list[Event] = []
        self.messages: dict[tuple[str, str], Posted] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.homes: dict[str, dict[str, Any]] = {}
        self.dms: dict[str, str] = {}  # DM channel id -> user id
        self.responders: dict[str, Respond] = {}
        self.uploads: dict[str, tuple[str, bytes]] = {}  # file id -> (name, content)
        self.files: dict[str, dict[str, Any]] = {}  # file id -> files.info's file
        self._ids = itertools.count(1)
        self._ts = itertools.count(1)
        self._lock = threading.RLock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # ------------------------------------------------------------ life

    def start(self) -> StandInSlack:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/"

    @property
    def api_url(self) -> str:
        """The base URL for `WebClient(base_url=...)` (a path must end in /)."""
        return self.url + "api/"

    # ------------------------------------------------------------ for the console

    def take_events(self) -> list[Event]:
        """Everything that happened since the last call."""
        with self._lock:
            events, self.events = self.events, []
        return events

    def response_url(self, respond: Respond) -> str:
        """A fresh response_url for one command or button press."""
        with self._lock:
            key = f"R{next(self._ids):05d}"
            self.responders[key] = respond
        return f"{self.url}respond/{key}"

    def add_local_file(self, path: Path, user: str) -> dict[str, Any]:
        """A file the console user 'uploads' into a modal's file input: served by the stand-in
        at a private download URL, as Slack would."""
        content = path.read_bytes()
        with self._lock:
            file_id = f"F{next(self._ids):07d}"
            self.uploads[file_id] = (path.name, content)
        file = {
            "id": file_id,
            "name": path.name,
            "title": path.name,
            "mimetype": _mimetype(path.name),
            "filetype": path.suffix.lstrip(".").lower(),
            "size": len(content),
            "user": user,
            "created": int(self.clock().timestamp()),
            "url_private": f"{self.url}files/{file_id}/{path.name}",
            "url_private_download": f"{self.url}files/{file_id}/download/{path.name}",
        }
        self.files[file_id] = file
        return file

    def channel_name(self, channel: str) -> str:
        if channel in self.dms:
            return "DM to @" + self.user_name(self.dms[channel])
        if channel[:1] in ("U", "W"):
            return "DM to @" + self.user_name(channel)
        return "#" + self.channels.get(channel, channel)

    def user_name(self, user: str) -> str:
        found = self.users.get(user)
        return found.name if found else user

    def message(self, channel: str, ts: str) -> Posted | None:
        return self.messages.get((channel, ts))

    # ------------------------------------------------------------ Web API

    def _record(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)

    def _next_ts(self) -> str:
        return f"{int(self.clock().timestamp())}.{next(self._ts):06d}"

    def _dm(self, user: str) -> str:
        channel = "D" + user[1:] if len(user) > 1 else "D0"
        self.dms[channel] = user
        return channel

    def _channel(self, channel: str) -> str:
        return self._dm(channel) if channel[:1] in ("U", "W") else channel

    def call(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        """One Web API method: Slack's answer as a dict."""
        handler = getattr(self, "m_" + method.replace(".", "_"), None)
        if handler is None:
            self._record(Event("warning", self.clock(), text=f"unknown Slack method {method}"))
            return {"ok": False, "error": "unknown_method"}
        with self._lock:
            answer: dict[str, Any] = handler(args)
        return answer

    def m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
            "team_id": TEAM,
            "user": "vakt",
            "team": "Demo",
            "url": "https://demo.slack.com/",
        }

    def m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = str(args.get("user") or "")
        found = self.users.get(user_id)
        name = found.name if found else user_id
        locale = found.locale if found else self.default_locale
        return {
            "ok": True,
            "user": {
                "id": user_id,
                "name": name,
                "real_name": name,
                "locale": locale,
                "tz": "Europe/Stockholm",
                "profile": {"display_name": name, "real_name": name},
            },
        }

    def m_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args.get("users") or "").split(",")[0]
        return {"ok": True, "channel": {"id": self._dm(user)}}

    def m_conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        name = self.channels.get(channel)
        if name is None:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "channel": {"id": channel, "name": name, "is_member": True}}

    def m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(str(args.get("channel") or ""))
        ts = self._next_ts()
        posted = Posted(
            channel, ts, str(args.get("text") or ""), _blocks(args), thread_ts=args.get("thread_ts")
        )
        self.messages[(channel, ts)] = posted
        self._record(
            Event(
                "message",
                self.clock(),
                channel=channel,
                ts=ts,
                text=posted.text,
                blocks=posted.blocks,
                thread_ts=posted.thread_ts,
            )
        )
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "message": {"text": posted.text, "ts": ts, "blocks": posted.blocks or []},
        }

    def m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(args.get("channel") or ""), str(args.get("ts") or "")
        posted = self.messages.get((channel, ts))
        if posted is None:
            return {"ok": False, "error": "message_not_found"}
        posted.text = str(args.get("text") or posted.text)
        if "blocks" in args:
            posted.blocks = _blocks(args)
        self._record(
            Event(
                "update",
                self.clock(),
                channel=channel,
                ts=ts,
                text=posted.text,
                blocks=posted.blocks,
                thread_ts=posted.thread_ts,
            )
        )
        return {"ok": True, "channel": channel, "ts": ts}

    def m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, user = str(args.get("channel") or ""), str(args.get("user") or "")
        ts = self._next_ts()
        posted = Posted(
            channel,
            ts,
            str(args.get("text") or ""),
            _blocks(args),
            user=user,
            thread_ts=args.get("thread_ts"),
        )
        self.messages[(channel, ts)] = posted
        self._record(
            Event(
                "ephemeral",
                self.clock(),
                channel=channel,
                ts=ts,
                user=user,
                text=posted.text,
                blocks=posted.blocks,
            )
        )
        return {"ok": True, "message_ts": ts}

    def m_chat_getPermalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(args.get("channel") or ""), str(args.get("message_ts") or "")
        return {
            "ok": True,
            "channel": channel,
            "permalink": f"https://demo.slack.com/archives/{channel}/p{ts.replace('.', '')}",
        }

    def m_reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True}

    def _open(self, args: dict[str, Any], kind: str) -> dict[str, Any]:
        view = args.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        view_id = str(args.get("view_id") or "") or f"V{next(self._ids):07d}"
        if kind == "update" and view_id not in self.views:
            return {"ok": False, "error": "not_found"}
        stored = {
            **view,
            "id": view_id,
            "type": view.get("type", "modal"),
            "state": {"values": {}},
            "hash": f"h{next(self._ids)}",
        }
        self.views[view_id] = stored
        self._record(Event("modal", self.clock(), view=stored, view_id=view_id, text=kind))
        return {"ok": True, "view": stored}

    def m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._open(args, "open")

    def m_views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._open(args, "push")

    def m_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._open(args, "update")

    def m_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        view = args.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        user = str(args.get("user_id") or "")
        if not isinstance(view, dict) or not user:
            return {"ok": False, "error": "invalid_arguments"}
        view_id = (self.homes.get(user) or {}).get("id") or f"V{next(self._ids):07d}"
        stored = {**view, "id": view_id, "type": "home"}
        self.homes[user] = stored
        self._record(Event("home", self.clock(), user=user, view=stored, view_id=view_id))
        return {"ok": True, "view": stored}

    def m_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        name = Path(str(args.get("filename") or "file")).name or "file"
        file_id = f"F{next(self._ids):07d}"
        self.uploads[file_id] = (name, b"")
        return {"ok": True, "file_id": file_id, "upload_url": f"{self.url}upload/{file_id}"}

    def m_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        raw = args.get("files")
        listed = json.loads(raw) if isinstance(raw, str) else raw
        if not isinstance(listed, list):
            return {"ok": False, "error": "invalid_arguments"}
        saved: list[SavedFile] = []
        infos: list[dict[str, Any]] = []
        self.files_dir.mkdir(parents=True, exist_ok=True)
        for entry in listed:
            file_id = str(entry.get("id") or "")
            if file_id not in self.uploads:
                return {"ok": False, "error": "file_not_found"}
            name, content = self.uploads[file_id]
            path = _free_path(self.files_dir, name)
            path.write_bytes(content)
            title = str(entry.get("title") or name)
            saved.append(SavedFile(file_id, name, title, path, len(content)))
            info = {
                "id": file_id,
                "name": name,
                "title": title,
                "size": len(content),
                "mimetype": _mimetype(name),
            }
            self.files[file_id] = info
            infos.append(info)
        channel = str(args.get("channel_id") or args.get("channels") or "")
        channel = self._channel(channel) if channel else ""
        self._record(
            Event(
                "files",
                self.clock(),
                channel=channel,
                text=str(args.get("initial_comment") or ""),
                thread_ts=args.get("thread_ts") or None,
                files=tuple(saved),
            )
        )
        return {"ok": True, "files": infos}

    def m_files_info(self, args: dict[str, Any]) -> dict[str, Any]:
        file = self.files.get(str(args.get("file") or ""))
        if file is None:
            return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "file": file}

    # ------------------------------------------------------------ response_url

    def respond(self, key: str, args: dict[str, Any]) -> dict[str, Any]:
        """A POST to a response_url: a reply only the user sees, a replaced or deleted message,
        or (response_type in_channel) a message everyone in the channel sees."""
        with self._lock:
            where = self.responders.get(key)
            if where is None:
                return {"ok": False, "error": "expired_url"}
            now = self.clock()
            original = (
                self.messages.get((where.channel, where.message_ts)) if where.message_ts else None
            )
            if args.get("delete_original") and original is not None:
                original.deleted = True
                self._record(
                    Event(
                        "delete",
                        now,
                        channel=original.channel,
                        ts=original.ts,
                        user=where.user if where.ephemeral else "",
                    )
                )
                return {"ok": True}
            text, blocks = str(args.get("text") or ""), _blocks(args)
            if args.get("replace_original") and original is not None:
                original.text, original.blocks = text, blocks
                self._record(
                    Event(
                        "update",
                        now,
                        channel=original.channel,
                        ts=original.ts,
                        user=original.user or "",
                        text=text,
                        blocks=blocks,
                        thread_ts=original.thread_ts,
                    )
                )
                return {"ok": True}
            ts = self._next_ts()
            if args.get("response_type") == "in_channel":
                self.messages[(where.channel, ts)] = Posted(where.channel, ts, text, blocks)
                self._record(
                    Event("message", now, channel=where.channel, ts=ts, text=text, blocks=blocks)
                )
            else:
                self.messages[(where.channel, ts)] = Posted(
                    where.channel, ts, text, blocks, user=where.user
                )
                self._record(
                    Event(
                        "ephemeral",
                        now,
                        channel=where.channel,
                        ts=ts,
                        user=where.user,
                        text=text,
                        blocks=blocks,
                    )
                )
            return {"ok": True}

    # ------------------------------------------------------------ HTTP

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass  # the console shows what matters; no access log in the middle of it

            def _answer(self, status: int, body: bytes, kind: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _json(self, data: dict[str, Any]) -> None:
                self._answer(200, json.dumps(data).encode())

            def _body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(min(length, MAX_BODY))

            def do_GET(self) -> None:
                match = re.fullmatch(r"/files/(F\w+)/.*", urlsplit(self.path).path)
                found = stand_in.uploads.get(match.group(1)) if match else None
                if found is None:
                    self._answer(404, b"not found", "text/plain")
                    return
                self._answer(200, found[1], _mimetype(found[0]))

            def do_POST(self) -> None:
                parts = urlsplit(self.path)
                raw = self._body()
                if parts.path.startswith("/upload/"):
                    file_id = parts.path.rsplit("/", 1)[-1]
                    with stand_in._lock:
                        if file_id not in stand_in.uploads:
                            self._answer(404, b"unknown upload", "text/plain")
                            return
                        stand_in.uploads[file_id] = (stand_in.uploads[file_id][0], raw)
                    self._answer(200, b"OK - " + str(len(raw)).encode(), "text/plain")
                    return
                args: dict[str, Any] = dict(parse_qsl(parts.query))
                kind = (self.headers.get("Content-Type") or "").split(";")[0].strip()
                if kind == "application/json" and raw:
                    loaded = json.loads(raw)
                    if isinstance(loaded, dict):
                        args.update(loaded)
                elif raw:
                    args.update(parse_qsl(raw.decode("utf-8", errors="replace")))
                if parts.path.startswith("/respond/"):
                    self._json(stand_in.respond(parts.path.rsplit("/", 1)[-1], args))
                elif parts.path.startswith("/api/"):
                    self._json(stand_in.call(parts.path[len("/api/") :], args))
                else:
                    self._answer(404, b"not found", "text/plain")

        return Handler


def _blocks(args: dict[str, Any]) -> list[dict[str, Any]] | None:
    blocks = args.get("blocks")
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except ValueError:
            return None
    return [b for b in blocks if isinstance(b, dict)] if isinstance(blocks, list) else None


MIMETYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "pdf": "application/pdf",
    "csv": "text/csv",
    "txt": "text/plain",
    "heic": "image/heic",
    "ics": "text/calendar",
    "json": "application/json",
}


def _mimetype(name: str) -> str:
    return MIMETYPES.get(name.rsplit(".", 1)[-1].lower(), "application/octet-stream")


def _free_path(folder: Path, name: str) -> Path:
    """`name` in `folder`, or `name-2`, `name-3`... when a file of that name is there."""
    path = folder / name
    stem, suffix = path.stem, path.suffix
    for n in itertools.count(2):
        if not path.exists():
            return path
        path = folder / f"{stem}-{n}{suffix}"
    raise AssertionError("unreachable")
