"""The fake workspace and the default answers of the fake Web API.

Shapes follow Slack's docs and the java-slack-sdk field-coverage samples in
``/work/shared/slack/payloads/java-sdk-shapes``; values are fixed and predictable.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TEAM_ID = "T111"
TEAM_NAME = "Vakt Test"
TEAM_DOMAIN = "vakt-test"
APP_ID = "A111"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
BOT_NAME = "vakt"
DEFAULT_TZ = "Europe/Oslo"
DEFAULT_LOCALE = "en-US"
FIRST_TS_SECONDS = 1_700_000_000

SAMPLE_USERS = ("U0ANNA", "U111", "U222", "U999", "W111", "W222")
"""Users known from the start: the builders' default user and the ids in Slack's samples."""


class Workspace:
    """Mutable state of the fake workspace (users, channels, id and ts counters)."""

    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {uid: {} for uid in SAMPLE_USERS}
        self.users[BOT_USER_ID] = {"name": BOT_NAME, "real_name": "Vakt", "is_bot": True}
        self.channels: dict[str, dict[str, Any]] = {}
        self.base_url = ""
        """``http://127.0.0.1:<port>/`` once the server runs (for upload URLs)."""
        self.files: dict[str, dict[str, Any]] = {}
        """File objects ``files.info`` knows, by id (added files and the app's uploads)."""
        self.file_contents: dict[str, bytes] = {}
        """Bytes served at ``url_private``/``url_private_download`` of added files, by id."""
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def next_ts(self) -> str:
        """Unique, increasing message timestamps: 1700000000.000100, 1700000000.000200, ..."""
        with self._lock:
            micros = next(self._ts) * 100
        return f"{FIRST_TS_SECONDS + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def next_id(self, prefix: str) -> str:
        """Slack-like ids: ``V0FAKE0001``, ``F0FAKE0002``, ..."""
        with self._lock:
            number = next(self._ids)
        return f"{prefix}0FAKE{number:04d}"

    def register_file(self, file: dict[str, Any], content: bytes | None = None) -> None:
        """Make ``file`` known to ``files.info`` (and downloadable when ``content`` is given)."""
        with self._lock:
            self.files[str(file["id"])] = copy.deepcopy(file)
            if content is not None:
                self.file_contents[str(file["id"])] = content

    def file(self, file_id: str) -> dict[str, Any] | None:
        """A copy of the known file object ``file_id``, or None."""
        with self._lock:
            file = self.files.get(file_id)
            return copy.deepcopy(file) if file is not None else None

    def file_content(self, file_id: str) -> tuple[dict[str, Any], bytes] | None:
        """The file object and bytes of a downloadable (added) file, or None."""
        with self._lock:
            file, content = self.files.get(file_id), self.file_contents.get(file_id)
            if file is None or content is None:
                return None
            return copy.deepcopy(file), content


Responder = Callable[[Workspace, dict[str, Any]], dict[str, Any]]


def _flag(value: Any) -> bool:
    """Slack booleans arrive as true/"true"/"1" (JSON) or "True" (slack_sdk form encoding)."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def dm_channel_for(user_id: str) -> str:
    """Slack opens a DM ``D...`` when a message is posted to a user id."""
    return "D" + user_id[1:]


def resolve_channel(channel: Any) -> str:
    channel_id = str(channel or "")
    if channel_id[:1] in ("U", "W"):
        return dm_channel_for(channel_id)
    return channel_id


def _tz_offset(tz: str) -> int:
    try:
        offset = datetime.now(ZoneInfo(tz)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return 0
    return int(offset.total_seconds()) if offset is not None else 0


def user_object(ws: Workspace, user_id: str, *, include_locale: bool) -> dict[str, Any]:
    overrides = dict(ws.users[user_id])
    name = overrides.pop("name", user_id.lower())
    real_name = overrides.pop("real_name", f"User {user_id}")
    display_name = overrides.pop("display_name", name)
    email = overrides.pop("email", f"{name}@example.org")
    locale = overrides.pop("locale", DEFAULT_LOCALE)
    tz = overrides.pop("tz", DEFAULT_TZ)
    first, _, last = real_name.partition(" ")
    profile: dict[str, Any] = {
        "title": "",
        "phone": "",
        "skype": "",
        "real_name": real_name,
        "real_name_normalized": real_name,
        "display_name": display_name,
        "display_name_normalized": display_name,
        "status_text": "",
        "status_emoji": "",
        "status_expiration": 0,
        "avatar_hash": "g000000000",
        "email": email,
        "first_name": first,
        "last_name": last,
        "image_24": "https://a.slack-edge.com/avatar_24.png",
        "image_48": "https://a.slack-edge.com/avatar_48.png",
        "image_72": "https://a.slack-edge.com/avatar_72.png",
        "team": TEAM_ID,
    }
    profile.update(overrides.pop("profile", {}))
    user: dict[str, Any] = {
        "id": user_id,
        "team_id": TEAM_ID,
        "name": name,
        "deleted": False,
        "color": "9f69e7",
        "real_name": real_name,
        "tz": tz,
        "tz_label": tz,
        "tz_offset": _tz_offset(tz),
        "profile": profile,
        "is_admin": False,
        "is_owner": False,
        "is_primary_owner": False,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": False,
        "is_app_user": False,
        "updated": FIRST_TS_SECONDS,
        "is_email_confirmed": True,
        "who_can_share_contact_card": "EVERYONE",
    }
    user.update(overrides)
    if include_locale:
        user["locale"] = locale
    return user


def channel_object(ws: Workspace, channel_id: str) -> dict[str, Any]:
    if channel_id.startswith("D"):
        channel: dict[str, Any] = {
            "id": channel_id,
            "created": FIRST_TS_SECONDS,
            "is_im": True,
            "is_org_shared": False,
            "user": "U" + channel_id[1:],
            "is_user_deleted": False,
            "priority": 0,
        }
    else:
        name = f"channel-{channel_id.lower()}"
        channel = {
            "id": channel_id,
            "name": name,
            "name_normalized": name,
            "is_channel": channel_id.startswith("C"),
            "is_group": channel_id.startswith("G"),
            "is_im": False,
            "is_mpim": False,
            "is_private": channel_id.startswith("G"),
            "created": FIRST_TS_SECONDS,
            "creator": BOT_USER_ID,
            "is_archived": False,
            "is_general": False,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "is_member": True,
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
        }
    channel.update(ws.channels.get(channel_id, {}))
    return channel


def _bot_message(ws: Workspace, args: dict[str, Any], ts: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "text": args.get("text") or "",
        "ts": ts,
        "team": TEAM_ID,
        "bot_profile": {
            "id": BOT_ID,
            "app_id": APP_ID,
            "name": BOT_NAME,
            "deleted": False,
            "updated": FIRST_TS_SECONDS,
            "team_id": TEAM_ID,
        },
    }
    for key in ("blocks", "attachments", "thread_ts", "metadata"):
        if args.get(key) is not None:
            message[key] = args[key]
    return message


def chat_post_message(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    ts = ws.next_ts()
    return {
        "ok": True,
        "channel": resolve_channel(args.get("channel")),
        "ts": ts,
        "message": _bot_message(ws, args, ts),
    }


def chat_post_ephemeral(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "message_ts": ws.next_ts()}


def chat_update(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    ts = str(args.get("ts"))
    message = _bot_message(ws, args, ts)
    message.pop("ts")
    message["edited"] = {"user": BOT_USER_ID, "ts": ws.next_ts()}
    return {
        "ok": True,
        "channel": resolve_channel(args.get("channel")),
        "ts": ts,
        "text": args.get("text") or "",
        "message": message,
    }


def chat_delete(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "channel": resolve_channel(args.get("channel")), "ts": args.get("ts")}


def chat_schedule_message(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    ts = ws.next_ts()
    message = _bot_message(ws, args, ts)
    message.pop("ts")
    return {
        "ok": True,
        "channel": resolve_channel(args.get("channel")),
        "scheduled_message_id": ws.next_id("Q"),
        "post_at": int(float(args.get("post_at") or 0)),
        "message": message,
    }


def chat_get_permalink(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = resolve_channel(args.get("channel"))
    ts = str(args.get("message_ts", "")).replace(".", "")
    return {
        "ok": True,
        "channel": channel,
        "permalink": f"https://{TEAM_DOMAIN}.slack.com/archives/{channel}/p{ts}",
    }


def _view_response(ws: Workspace, args: dict[str, Any], *, view_id: str) -> dict[str, Any]:
    raw: dict[str, Any] = dict(args.get("view") or {})
    view: dict[str, Any] = {
        "id": view_id,
        "team_id": TEAM_ID,
        "type": raw.get("type", "modal"),
        "blocks": raw.get("blocks", []),
        "private_metadata": raw.get("private_metadata", ""),
        "callback_id": raw.get("callback_id", ""),
        "state": {"values": {}},
        "hash": f"{FIRST_TS_SECONDS}.{view_id[-8:]}",
        "clear_on_close": bool(raw.get("clear_on_close", False)),
        "notify_on_close": bool(raw.get("notify_on_close", False)),
        "root_view_id": view_id,
        "previous_view_id": None,
        "app_id": APP_ID,
        "external_id": raw.get("external_id", ""),
        "app_installed_team_id": TEAM_ID,
        "bot_id": BOT_ID,
    }
    for key in ("title", "close", "submit", "submit_disabled"):
        if key in raw:
            view[key] = raw[key]
    return {"ok": True, "view": view}


def views_open(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    return _view_response(ws, args, view_id=ws.next_id("V"))


def views_update(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    return _view_response(ws, args, view_id=str(args.get("view_id") or ws.next_id("V")))


def auth_test(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "ok": True,
        "url": f"https://{TEAM_DOMAIN}.slack.com/",
        "team": TEAM_NAME,
        "user": BOT_NAME,
        "team_id": TEAM_ID,
        "user_id": BOT_USER_ID,
        "bot_id": BOT_ID,
        "is_enterprise_install": False,
    }


def users_info(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    user_id = str(args.get("user") or "")
    if user_id not in ws.users:
        return {"ok": False, "error": "user_not_found"}
    include_locale = _flag(args.get("include_locale"))
    return {"ok": True, "user": user_object(ws, user_id, include_locale=include_locale)}


def users_list(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    include_locale = _flag(args.get("include_locale"))
    members = [user_object(ws, uid, include_locale=include_locale) for uid in ws.users]
    return {
        "ok": True,
        "members": members,
        "cache_ts": FIRST_TS_SECONDS,
        "response_metadata": {"next_cursor": ""},
    }


def users_lookup_by_email(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    email = str(args.get("email") or "").lower()
    for uid in ws.users:
        user = user_object(ws, uid, include_locale=False)
        if user["profile"]["email"].lower() == email:
            return {"ok": True, "user": user}
    return {"ok": False, "error": "users_not_found"}


def conversations_open(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    if args.get("channel"):
        channel_id = str(args["channel"])
    else:
        users = args.get("users") or ""
        ids = users if isinstance(users, list) else [u for u in str(users).split(",") if u]
        if not ids:
            return {"ok": False, "error": "users_list_not_supplied"}
        if len(ids) == 1:
            channel_id = dm_channel_for(str(ids[0]))
        else:
            channel_id = "G" + "".join(sorted(str(i)[1:4] for i in ids)).upper()
    channel: dict[str, Any] = {"id": channel_id}
    if _flag(args.get("return_im")):
        channel = channel_object(ws, channel_id)
    return {"ok": True, "channel": channel}


def conversations_info(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel_id = str(args.get("channel") or "")
    if not channel_id:
        return {"ok": False, "error": "channel_not_found"}
    return {"ok": True, "channel": channel_object(ws, channel_id)}


def conversations_list(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channels = [channel_object(ws, cid) for cid in ws.channels]
    return {"ok": True, "channels": channels, "response_metadata": {"next_cursor": ""}}


def conversations_members(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "members": [], "response_metadata": {"next_cursor": ""}}


def conversations_history(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "ok": True,
        "messages": [],
        "has_more": False,
        "response_metadata": {"next_cursor": ""},
    }


def _file_object(ws: Workspace, file_id: str, args: dict[str, Any]) -> dict[str, Any]:
    name = str(args.get("filename") or args.get("title") or "file.txt")
    return {
        "id": file_id,
        "created": FIRST_TS_SECONDS,
        "timestamp": FIRST_TS_SECONDS,
        "name": name,
        "title": str(args.get("title") or name),
        "mimetype": "text/plain",
        "filetype": str(args.get("filetype") or "text"),
        "user": BOT_USER_ID,
        "size": 0,
        "is_public": False,
        "url_private": f"https://files.slack.com/files-pri/{TEAM_ID}-{file_id}/{name}",
        "permalink": f"https://{TEAM_DOMAIN}.slack.com/files/{BOT_USER_ID}/{file_id}/{name}",
    }


FILETYPES: dict[str, tuple[str, str]] = {
    "png": ("png", "PNG"),
    "jpg": ("jpg", "JPEG"),
    "jpeg": ("jpg", "JPEG"),
    "gif": ("gif", "GIF"),
    "webp": ("webp", "WebP"),
    "heic": ("heic", "HEIC"),
    "bmp": ("bmp", "BMP"),
    "svg": ("svg", "SVG"),
    "pdf": ("pdf", "PDF"),
    "txt": ("text", "Plain Text"),
    "csv": ("csv", "CSV"),
    "json": ("json", "JSON"),
    "zip": ("zip", "Zip"),
    "mp4": ("mp4", "MPEG 4 Video"),
    "mov": ("mov", "QuickTime Movie"),
}
"""Slack's ``filetype`` and ``pretty_type`` by file name extension."""


def filetype_for(name: str) -> str:
    """Slack's ``filetype`` for a file name: ``png``, ``jpg``, ``text``, ... or ``binary``."""
    _, dot, extension = name.rpartition(".")
    if not dot or not extension:
        return "binary"
    known = FILETYPES.get(extension.lower())
    return known[0] if known else extension.lower()


def pretty_type_for(filetype: str) -> str:
    for known, pretty in FILETYPES.values():
        if known == filetype:
            return pretty
    return "Binary" if filetype == "binary" else filetype.upper()


def hosted_file_object(
    ws: Workspace,
    file_id: str,
    *,
    name: str,
    mimetype: str,
    filetype: str | None,
    user: str,
    size: int,
) -> dict[str, Any]:
    """A file a user shared in Slack, as ``files.info`` answers it (Slack's documented shape).

    ``url_private``/``url_private_download`` point at the fake (``ws.base_url``).
    """
    filetype = filetype or filetype_for(name)
    quoted = quote(name)
    private = f"{ws.base_url}files-pri/{TEAM_ID}-{file_id}"
    return {
        "id": file_id,
        "created": FIRST_TS_SECONDS,
        "timestamp": FIRST_TS_SECONDS,
        "name": name,
        "title": name,
        "mimetype": mimetype,
        "filetype": filetype,
        "pretty_type": pretty_type_for(filetype),
        "user": user,
        "user_team": TEAM_ID,
        "editable": False,
        "size": size,
        "mode": "hosted",
        "is_external": False,
        "external_type": "",
        "is_public": False,
        "public_url_shared": False,
        "display_as_bot": False,
        "username": "",
        "url_private": f"{private}/{quoted}",
        "url_private_download": f"{private}/download/{quoted}",
        "permalink": f"https://{TEAM_DOMAIN}.slack.com/files/{user}/{file_id}/{quoted}",
        "permalink_public": f"https://slack-files.com/{TEAM_ID}-{file_id}-0000000000",
        "is_starred": False,
        "has_rich_preview": False,
        "file_access": "visible",
    }


def files_info(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    file = ws.file(str(args.get("file") or ""))
    if file is None:
        return {"ok": False, "error": "file_not_found"}
    return {
        "ok": True,
        "file": file,
        "comments": [],
        "response_metadata": {"next_cursor": ""},
    }


def files_upload(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    file = _file_object(ws, ws.next_id("F"), args)
    ws.register_file(file)
    return {"ok": True, "file": file}


def files_get_upload_url_external(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    file_id = ws.next_id("F")
    return {"ok": True, "upload_url": f"{ws.base_url}upload/{file_id}", "file_id": file_id}


def files_complete_upload_external(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    files = args.get("files") or []
    if not isinstance(files, list):
        return {"ok": False, "error": "invalid_arguments"}
    completed = [_file_object(ws, str(f.get("id")), f) for f in files if isinstance(f, dict)]
    for file in completed:
        ws.register_file(file)
    return {"ok": True, "files": completed}


def team_info(ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "team": {"id": TEAM_ID, "name": TEAM_NAME, "domain": TEAM_DOMAIN}}


DEFAULT_RESPONDERS: dict[str, Responder] = {
    "auth.test": auth_test,
    "chat.postMessage": chat_post_message,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.update": chat_update,
    "chat.delete": chat_delete,
    "chat.scheduleMessage": chat_schedule_message,
    "chat.getPermalink": chat_get_permalink,
    "views.open": views_open,
    "views.push": views_open,
    "views.update": views_update,
    "views.publish": views_open,
    "users.info": users_info,
    "users.list": users_list,
    "users.lookupByEmail": users_lookup_by_email,
    "conversations.open": conversations_open,
    "conversations.info": conversations_info,
    "conversations.list": conversations_list,
    "conversations.members": conversations_members,
    "conversations.history": conversations_history,
    "conversations.replies": conversations_history,
    "files.info": files_info,
    "files.upload": files_upload,
    "files.getUploadURLExternal": files_get_upload_url_external,
    "files.completeUploadExternal": files_complete_upload_external,
    "team.info": team_info,
}
"""Methods with a shaped answer; every other known method answers ``{"ok": true}``."""
