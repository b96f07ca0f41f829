"""What the security tests share: the people and their roles, a second team, a full dump of
every table, log capture, and signed requests sent as Slack would send them (the harness's own
helpers assume a reply always comes; these say what came instead)."""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from slack_bolt import App
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.items import ids
from bot.kernel.i18n import catalog
from bot.requests import blocks as reqb
from bot.store.models import (
    Absence,
    Account,
    AccountClosure,
    AccountFlag,
    AccountRequest,
    Deletion,
    Item,
    SwapRequest,
)
from tests.fakeslack import (
    block_actions_body,
    event_body,
    sign,
    slash_command_body,
    view_submission_body,
)
from tests.fakeslack.signing import FORM, JSON
from tests.harness import CONFIG, OSLO, SECRET, HttpReply, Vakt

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=OSLO)  # Monday, week 48, office open
INTAKE = "C0INTAKE"

# One person per role. The team "komm" (the harness's) has the account fb-main with an intake
# channel; the team "web" is the other team, with its own account.
ROLES: dict[str, str] = {
    "coordinator": "U0COORD1",
    "manager": "U0BOSS",  # manages komm, is not a member
    "member": "U0ANNA",  # komm
    "colleague": "U0BO",  # komm
    "other_member": "U0DORA",  # web
    "other_manager": "U0ERIK",  # manages web
    "stranger": "U0EVE",  # in the workspace, in no team
}
USERS = tuple(ROLES.values())

SECURITY_CONFIG = (
    CONFIG.replace('team = "komm"\n', f'team = "komm"\nintake_channel = "{INTAKE}"\n')
    + """
[[team]]
key = "web"
name = "Nettredaksjonen"
channel = "C0TEAM2"
manager = "U0ERIK"
members = ["U0DORA", "U0FIA"]
rotation = "weekly"
start = "2026-11-02"

[[account]]
key = "ig-web"
platform = "instagram"
name = "Testrud på Instagram"
url = "https://www.instagram.com/testrud"
team = "web"
"""
)


def introduce(vakt: Vakt) -> None:
    """Make everyone known to the fake Slack (English) and to Vakt's locale cache, so a
    request by any of them changes nothing merely because Vakt met them for the first time."""
    for user in USERS:
        vakt.fake.users[user] = {"locale": "en-GB"}
    for user in USERS:
        slash(vakt, "help", user)


# ---------------------------------------------------------------- the database

PG_URL = os.environ.get("VAKT_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def databases() -> list[str]:
    """The databases tests run on (like tests/conftest.py: VAKT_TEST_DATABASES)."""
    names = os.environ.get("VAKT_TEST_DATABASES", "sqlite,postgresql").split(",")
    return [n.strip() for n in names if n.strip()]


@contextmanager
def scratch_database(kind: str, directory: Path) -> Iterator[str]:
    """An empty database for a module's worth of tests: a SQLite file, or a PostgreSQL
    database made for it and dropped after."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'vakt.sqlite3'}"
        return
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"vakt_sec_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError:
        admin.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_URL}")
        pytest.skip("PostgreSQL is not running here")
    try:
        yield PG_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


Dump = dict[str, list[tuple[Any, ...]]]
_reflected: dict[str, sa.MetaData] = {}


def _tables(engine: Engine) -> sa.MetaData:
    """The tables of a database, reflected once (the schema does not change under a test)."""
    key = engine.url.render_as_string(hide_password=False)
    if key not in _reflected:
        metadata = sa.MetaData()
        metadata.reflect(engine)
        _reflected[key] = metadata
    return _reflected[key]


def dump(engine: Engine) -> Dump:
    """Every row of every table, in a stable order: what "nothing changed" is compared on."""
    metadata = _tables(engine)
    result: Dump = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(sa.select(table).order_by(*order)).all()
            result[table.name] = [tuple(row) for row in rows]
    return result


def changes(before: Dump, after: Dump, ignore: tuple[str, ...] = ()) -> dict[str, Any]:
    """The tables whose rows differ (added and removed rows), except the ignored ones."""
    found: dict[str, Any] = {}
    for name in sorted(set(before) | set(after)):
        if name in ignore:
            continue
        old, new = before.get(name, []), after.get(name, [])
        if old != new:
            found[name] = {
                "added": [r for r in new if r not in old][:3],
                "removed": [r for r in old if r not in new][:3],
            }
    return found


# ---------------------------------------------------------------- logs


class Captured(logging.Handler):
    """Every log record of every logger, as rendered text (message and traceback)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._formatter = logging.Formatter("%(levelname)s %(name)s: %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def rendered(self) -> list[str]:
        """Each record as a handler would write it, traceback included."""
        return [self._formatter.format(r) for r in list(self.records)]

    def errors(self) -> list[str]:
        """Records at ERROR and above, and any record carrying an exception."""
        return [
            self._formatter.format(r)
            for r in list(self.records)
            if r.levelno >= logging.ERROR or r.exc_info
        ]

    def clear(self) -> None:
        self.records.clear()


@contextmanager
def capture_logs(level: int = logging.DEBUG, loggers: tuple[str, ...] = ()) -> Iterator[Captured]:
    """A handler on the root logger at `level`; the root and the named loggers set to `level`
    meanwhile (and restored after)."""
    handler = Captured()
    handler.setLevel(level)
    root = logging.getLogger()
    touched = [root, *(logging.getLogger(name) for name in loggers)]
    levels = [lg.level for lg in touched]
    for lg in touched:
        lg.setLevel(level)
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for lg, old in zip(touched, levels, strict=True):
            lg.setLevel(old)


# ---------------------------------------------------------------- Slack requests


@dataclass
class Answer:
    """What a slash command or a button press came to: the message sent to its response_url,
    or the modal it opened, or neither."""

    status: int
    message: dict[str, Any] | None
    view: dict[str, Any] | None

    @property
    def text(self) -> str:
        return Vakt.reply_text(self.message) if self.message is not None else ""

    @property
    def is_error(self) -> bool:
        """An error answer: the warning Vakt puts before every refusal, or a text-only
        answer that is one of the error texts."""
        if self.message is None:
            return False
        return self.text.startswith(":warning:") or _is_error_text(self.text)


def _is_error_text(text: str) -> bool:
    return any(_pattern(key).fullmatch(text) for key in _error_keys())


def is_refusal(message: dict[str, Any] | None) -> bool:
    """Whether a message Vakt answered with is a refusal: its text (the notification text,
    whatever its blocks show) is one of the error texts."""
    return message is not None and _is_error_text(str(message.get("text") or ""))


_counter = iter(range(1, 10**9))


def _new_views(vakt: Vakt, before: int) -> dict[str, Any] | None:
    calls = [c for c in vakt.fake.calls_to("views.open") if c.ok][before:]
    if not calls:
        return None
    view = calls[-1].args["view"]
    return json.loads(view) if isinstance(view, str) else dict(view)


def _ok_views(vakt: Vakt) -> int:
    return len([c for c in vakt.fake.calls_to("views.open") if c.ok])


def _response(vakt: Vakt, name: str) -> dict[str, Any] | None:
    """What was sent to the response_url called `name` (listeners answer before they end)."""
    for call in vakt.fake.calls_to("response_url"):
        if call.path.endswith(f"/{name}"):
            return call.args
    return None


def slash(vakt: Vakt, text: str, user: str) -> Answer:
    """`/vakt <text>` as `user`, signed, with a trigger for a modal."""
    name = f"sec-cmd-{next(_counter)}"
    views = _ok_views(vakt)
    body = slash_command_body(
        text, user_id=user, response_url=vakt.fake.response_url(name), trigger_id="1.2.3"
    )
    reply = vakt.signed_post(body)
    vakt.idle()
    return Answer(reply.status, _response(vakt, name), _new_views(vakt, views))


def press(
    vakt: Vakt,
    action_id: str,
    value: str | None,
    user: str,
    *,
    channel: str = INTAKE,
    **extra: Any,
) -> Answer:
    """Press a button on a message in `channel` as `user`."""
    name = f"sec-act-{next(_counter)}"
    views = _ok_views(vakt)
    body = block_actions_body(
        action_id,
        value,
        user_id=user,
        channel_id=channel,
        response_url=vakt.fake.response_url(name),
        trigger_id="111.222.trigger",
        **extra,
    )
    reply = vakt.signed_post(body)
    vakt.idle()
    return Answer(reply.status, _response(vakt, name), _new_views(vakt, views))


def submit(
    vakt: Vakt, callback: str, values: dict[str, Any], user: str, metadata: str = ""
) -> tuple[HttpReply, dict[str, Any]]:
    """Submit a modal as `user`: the HTTP reply and the JSON it carries (Vakt's ack)."""
    reply = vakt.signed_post(
        view_submission_body(callback, values, user_id=user, private_metadata=metadata)
    )
    vakt.idle()
    try:
        answer = json.loads(reply.body) if reply.body else {}
    except ValueError:
        answer = {"unreadable": reply.body[:200].decode("utf-8", "replace")}
    return reply, answer if isinstance(answer, dict) else {"unexpected": answer}


def event(vakt: Vakt, payload: dict[str, Any], event_id: str | None = None) -> HttpReply:
    """Deliver an Events API event, signed; wait until its listener is done."""
    body = event_body(
        payload, event_id=event_id or f"Ev{next(_counter)}", event_time=int(time.time())
    )
    reply = vakt.signed_post(body)
    vakt.idle()
    return reply


# What each kind of request goes by over HTTP and in Socket Mode.
EVENT, INTERACTIVE, COMMAND = "events_api", "interactive", "slash_commands"


def encode(kind: str, doc: Any) -> tuple[bytes, str]:
    """A payload as Slack sends it over HTTP: JSON for events, `payload=<JSON>` for
    interactivity, form fields (texts only: a form has no other type) for slash commands."""
    if kind == EVENT:
        return json.dumps(doc).encode(), JSON
    if kind == INTERACTIVE:
        return urlencode({"payload": json.dumps(doc)}).encode(), FORM
    if not isinstance(doc, dict):
        return json.dumps(doc).encode(), FORM
    fields = {k: v if isinstance(v, str) else json.dumps(v) for k, v in doc.items()}
    return urlencode(fields, encoding="utf-8", errors="surrogatepass").encode(), FORM


def post_payload(vakt: Vakt, kind: str, doc: Any) -> HttpReply:
    """Any payload, signed, to /slack/events as Slack sends its `kind`."""
    raw, content_type = encode(kind, doc)
    return vakt.post(
        "/slack/events", raw, sign(raw, SECRET, int(time.time()), content_type=content_type)
    )


# ---------------------------------------------------------------- refusals


@cache
def _pattern(key: str) -> re.Pattern[str]:
    template = catalog("en")[key]
    parts = re.split(r"\{[^{}]*\}", template)
    return re.compile(".+?".join(re.escape(p) for p in parts), re.DOTALL)


def _error_keys() -> list[str]:
    return [k for k in catalog("en") if ".error." in f".{k}" or k.startswith("error.")]


def says(text: str, key: str) -> bool:
    """Whether a reply's text is the refusal `key` (in English)."""
    return bool(_pattern(key).search(text))


# ---------------------------------------------------------------- the state acted upon

# Three weeks after the accounts were registered, neither has posted: both are flagged.
FLAG_DAY = datetime(2026, 12, 14, 10, 0, tzinfo=OSLO)
U = ROLES


@dataclass
class State:
    """Ids of what the privileged actions act on (all on komm's fb-main unless named)."""

    item: int = 0
    closed_item: int = 0
    swap: int = 0
    absence: int = 0
    deletion: int = 0
    request: int = 0
    own_request: int = 0  # asked for by komm's manager, who may decide others'
    flag: int = 0  # fb-main's inactivity flag
    closure: int = 0  # ig-web (team web) is being closed
    fb_main: int = 0

    def fmt(self, text: str) -> str:
        return text.format(**self.__dict__)


def _one(vakt: Vakt, model: Any, *where: Any) -> Any:
    with Session(vakt.runtime.engine) as session:
        return session.exec(select(model).where(*where).order_by(col(model.id).desc())).first()


def request_values(requester_note: str) -> dict[str, Any]:
    """A complete account request form, as Slack sends it."""

    def text(value: str | None) -> dict[str, Any]:
        return {"type": "plain_text_input", "value": value}

    def choice(value: str) -> dict[str, Any]:
        return {"type": "static_select", "selected_option": {"value": value}}

    fields: dict[str, dict[str, Any]] = {
        "name": text(f"Testrud bibliotek {requester_note}"),
        "unit": text("Biblioteket"),
        "purpose": text("Arrangementer og nyheter fra biblioteket"),
        "audience": text("Lånere og familier"),
        "dialogue": text("Svar senest neste virkedag"),
        "privacy": text("Ingen personopplysninger i innlegg"),
        "resources": text("To timer i uka"),
        "plan": text("Ukentlige innlegg"),
        "platform": choice("instagram"),
        "kind": choice("page"),
        "team": choice("komm"),
        "url": {"type": "url_text_input", "value": None},
        "admins": {"type": "multi_users_select", "selected_users": [U["member"], U["colleague"]]},
        "substitute": {"type": "users_select", "selected_user": "U0CARL"},
        "end_date": {"type": "datepicker", "selected_date": None},
    }
    return {reqb.block_id(n): {reqb.block_id(n): element} for n, element in fields.items()}


def build_state(vakt: Vakt) -> State:
    """Everything acted upon, made through Vakt itself by the people allowed to."""
    state = State()
    vakt.clock.now = FLAG_DAY
    vakt.runtime.sweep(FLAG_DAY)  # raises the inactivity flags
    introduce(vakt)  # after the clock moved: the locale cache is fresh for everyone
    state.fb_main = _one(vakt, Account, Account.key == "fb-main").id
    flag = _one(vakt, AccountFlag, AccountFlag.account_id == state.fb_main)
    assert flag is not None, "fb-main was not flagged"
    state.flag = flag.id

    def intake_item(n: int) -> int:
        ts = f"{FLAG_DAY.timestamp() - 600 - n:.6f}"
        message = {
            "type": "message",
            "text": f"Spørsmål {n}: når åpner svømmehallen?",
            "user": "U111",
            "ts": ts,
            "team": "T111",
            "channel": INTAKE,
            "event_ts": ts,
            "channel_type": "channel",
        }
        assert event(vakt, message).status == 200
        item = _one(vakt, Item, Item.slack_ts == ts)
        assert item is not None
        return int(item.id)

    state.item = intake_item(1)
    state.closed_item = intake_item(2)
    assert "answered" in press(vakt, ids.ITEM_ANSWERED, str(state.closed_item), U["member"]).text

    assert "Sent" in slash(vakt, "swap <@U0BO|bo> 2027-01-11 2027-01-15", U["member"]).text
    state.swap = _one(vakt, SwapRequest).id
    assert "Saved" in slash(vakt, "away 2027-02-01 2027-02-05", U["member"]).text
    state.absence = _one(vakt, Absence).id

    # A wastebasket on a message in the intake channel logs a deletion (its checklist follows).
    wastebasket = {
        "type": "reaction_added",
        "user": U["member"],
        "reaction": "wastebasket",
        "item": {"type": "message", "channel": INTAKE, "ts": f"{FLAG_DAY.timestamp() - 900:.6f}"},
        "item_user": "U111",
        "event_ts": f"{FLAG_DAY.timestamp():.6f}",
    }
    assert event(vakt, wastebasket).status == 200
    state.deletion = _one(vakt, Deletion).id

    for requester in (U["member"], U["manager"]):
        _, answer = submit(vakt, reqb.REQUEST_VIEW, request_values(requester), requester)
        assert answer.get("response_action") == "update", answer
    state.request = _one(vakt, AccountRequest, AccountRequest.requester == U["member"]).id
    state.own_request = _one(vakt, AccountRequest, AccountRequest.requester == U["manager"]).id

    started = slash(vakt, "account close ig-web Ikke i bruk lenger", U["coordinator"]).text
    assert "ig-web" in started or "Instagram" in started, started
    state.closure = _one(vakt, AccountClosure).id
    vakt.runtime.sweep(FLAG_DAY)  # everything recorded so far is sent: nothing left to send
    vakt.idle()
    return state


# ---------------------------------------------------------------- what the app listens to


def registered_listeners(vakt: Vakt, monkeypatch: pytest.MonkeyPatch) -> set[tuple[str, str]]:
    """What the app registers, by kind and id: Bolt's registration methods watched while the
    app is built again from the same runtime."""
    seen: set[tuple[str, str]] = set()

    def watch(kind: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def method(self: App, constraint: Any = None, *args: Any, **kwargs: Any) -> Any:
            if isinstance(constraint, dict):
                constraint = constraint.get("callback_id") or constraint.get("action_id")
            seen.add((kind, str(constraint)))
            return original(self, constraint, *args, **kwargs)

        return method

    for name in (
        "command",
        "action",
        "block_action",
        "view",
        "view_submission",
        "shortcut",
        "message_shortcut",
        "global_shortcut",
        "event",
        "message",
        "options",
        "block_suggestion",
        "view_closed",
        "function",
    ):
        kind = {
            "block_action": "action",
            "view_submission": "view",
            "message_shortcut": "shortcut",
            "global_shortcut": "shortcut",
            "block_suggestion": "options",
        }.get(name, name)
        monkeypatch.setattr(App, name, watch(kind, getattr(App, name)))
    vakt.runtime.app(signing_secret=SECRET)
    return seen
