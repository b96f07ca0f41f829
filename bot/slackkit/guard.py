"""What reaches the listeners: a payload shaped as Slack shapes it, from Vakt's own workspace.

Bolt and the listeners read a payload the way Slack sends it (`actions` a list of objects, `view`
an object, `user.id` a text ...); a signed payload of another shape crashed them, and a crash
before the ack is a 500 that Slack sends again. `problem` names what is not Slack's shape in a
payload (Bolt's envelope and the parts every listener reads), `foreign` whether it comes from
another workspace than the one Vakt is installed in. `Gate` answers both before Bolt sees the
request: a plain ack (a short answer to a slash command), and one line in the log. What the
listeners read beyond the envelope (a button's value, a form's private_metadata) they parse
themselves, with bot.slackkit.payload.

Vakt serves one workspace, the one its bot token belongs to (auth.test). A request whose team
is another is refused, unless the organisation is the same: in an Enterprise Grid the
municipality's workspaces share their people and channels, so a colleague in a sibling
workspace acting in a channel shared with Vakt's is Vakt's to serve; anyone else (another
organisation in a Slack Connect channel, another install of the app) is not.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from slack_bolt import BoltResponse

from bot.kernel.i18n import t
from bot.slackkit.gateway import SlackSendError, Workspace

log = logging.getLogger(__name__)

INTERACTIVE = frozenset(
    {
        "block_actions",
        "block_suggestion",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
        "interactive_message",
        "dialog_submission",
        "dialog_suggestion",
        "dialog_cancellation",
        "workflow_step_edit",
    }
)
OTHER_TYPES = frozenset({"event_callback", "url_verification", "app_rate_limited"})
# Texts wherever they appear at the top of a payload (events, commands, interactivity).
TEXTS = (
    "type",
    "token",
    "team_id",
    "team_domain",
    "enterprise_id",
    "user_id",
    "user_name",
    "channel_id",
    "api_app_id",
    "command",
    "text",
    "trigger_id",
    "response_url",
    "callback_id",
    "action_id",
    "action_ts",
    "message_ts",
    "event_id",
    "challenge",
)
# Objects Bolt reads ids from; Slack sends some as a bare id.
IDENTIFIED = ("team", "enterprise", "user", "channel")
OBJECTS = ("container", "message", "view", "event")
# A Slack id (user, channel): what Vakt stores and passes on to Slack's Web API.
SLACK_ID = re.compile(r"[A-Z0-9]{1,40}")


# ---------------------------------------------------------------- the shape


def _text(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _identified(value: Any) -> bool:
    """A bare id, or an object whose ids are texts."""
    if value is None or isinstance(value, str):
        return True
    return isinstance(value, dict) and all(
        _text(value.get(k)) for k in ("id", "team_id", "enterprise_id")
    )


def _id(value: Any) -> bool:
    """No id, or one shaped like Slack's."""
    return value is None or (isinstance(value, str) and bool(SLACK_ID.fullmatch(value)))


def _id_of(value: Any) -> bool:
    """The id of a bare id or of an object (`user`, `channel`) is shaped like Slack's."""
    return _id(value.get("id") if isinstance(value, dict) else value)


def _url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("https", "http") and bool(parts.netloc)


def _top(body: dict[str, Any]) -> str | None:
    """What every payload shares: its texts, ids and objects."""
    for name in TEXTS:
        if not _text(body.get(name)):
            return f"{name} is not a text"
    for name in IDENTIFIED:
        if not _identified(body.get(name)):
            return f"{name} is not an id or an object with one"
    for name in ("user", "channel"):
        if not _id_of(body.get(name)):
            return f"{name} is not a Slack id"
    for name in ("user_id", "channel_id"):
        if not _id(body.get(name)):
            return f"{name} is not a Slack id"
    for name in OBJECTS:
        if body.get(name) is not None and not isinstance(body[name], dict):
            return f"{name} is not an object"
    if "event" in body and not isinstance(body["event"], dict):  # Bolt reads it when present
        return "event is not an object"
    authorizations = body.get("authorizations")
    if authorizations is not None and not (
        isinstance(authorizations, list)
        and all(
            isinstance(a, dict) and all(_text(a.get(k)) for k in ("team_id", "enterprise_id"))
            for a in authorizations
        )
    ):
        return "authorizations is not a list of objects with text ids"
    if body.get("response_url") and not _url(body["response_url"]):
        return "response_url is not a web address"
    urls = body.get("response_urls", [])  # a modal's, when it asks for them
    if not isinstance(urls, list) or not all(
        isinstance(u, dict) and _text(u.get("response_url")) for u in urls
    ):
        return "response_urls is not a list of objects with a web address"
    return None


def _event(body: dict[str, Any]) -> str | None:
    event = body.get("event")
    if not isinstance(event, dict):
        return "event is not an object"
    if not isinstance(event.get("type"), str):
        return "event.type is not a text"
    for name in ("user", "channel"):
        if not _identified(event.get(name)) or not _id_of(event.get(name)):
            return f"event.{name} is not a Slack id or an object with one"
    for name in ("message", "previous_message"):
        if event.get(name) is not None and not isinstance(event[name], dict):
            return f"event.{name} is not an object"
    return None


def _command(body: dict[str, Any]) -> str | None:
    for name in ("command", "user_id"):
        if not body.get(name):
            return f"{name} is missing"
    if not _url(body.get("response_url")):  # where the answer goes: Slack always sends it
        return "response_url is missing"
    return None


def _interaction(body: dict[str, Any]) -> str | None:
    kind = body["type"]
    user = body.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        return "user.id is missing"
    for name in ("team", "channel"):  # objects in interactivity, never bare ids
        if body.get(name) is not None and not isinstance(body[name], dict):
            return f"{name} is not an object"
    if kind == "block_actions":
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions:
            return "actions is not a list of actions"
        for action in actions:
            if not isinstance(action, dict) or not isinstance(action.get("action_id"), str):
                return "an action has no action_id"
            if not _text(action.get("block_id")) or not _text(action.get("type")):
                return "an action's block_id or type is not a text"
        # Where the button was (a message or a view) is how its answer finds the user: Slack
        # always says, and a press that does not is answered nowhere.
        container = body.get("container")
        if not isinstance(container, dict) or not container.get("type"):
            return "container is not an object with a type"
        for name in ("type", "channel_id", "message_ts", "view_id"):
            if not _text(container.get(name)):
                return f"container.{name} is not a text"
        if not _id(container.get("channel_id")):
            return "container.channel_id is not a Slack id"
        # A press on a message is answered at its response_url: Slack always sends one.
        if container.get("type") == "message" and not body.get("response_url"):
            return "response_url is missing"
    if kind in ("view_submission", "view_closed") or body.get("view") is not None:
        view = body.get("view")
        if not isinstance(view, dict):
            return "view is not an object"
        for name in ("id", "type", "callback_id", "private_metadata", "app_installed_team_id"):
            if not _text(view.get(name)):
                return f"view.{name} is not a text"
        if kind in ("view_submission", "view_closed") and (
            view.get("callback_id") is None or view.get("type") is None
        ):
            return "view.callback_id or view.type is missing"
    if kind in ("shortcut", "message_action") and not isinstance(body.get("callback_id"), str):
        return "callback_id is missing"
    if kind in ("block_actions", "shortcut", "message_action") and not body.get("trigger_id"):
        return "trigger_id is missing"  # a form opens on it: Slack always sends one
    if kind == "message_action" and not body.get("response_url"):
        return "response_url is missing"
    return None


def problem(body: Any) -> str | None:
    """What is not shaped as Slack sends it in a payload (None: nothing), in a few words."""
    if not isinstance(body, dict):
        return "the payload is not an object"
    found = _top(body)
    if found is not None:
        return found
    if "command" in body:
        return _command(body)
    kind = body.get("type")
    if kind == "event_callback":
        return _event(body)
    if kind == "url_verification" and not isinstance(body.get("challenge"), str):
        return "challenge is missing"
    if kind in INTERACTIVE:
        return _interaction(body)
    if kind not in OTHER_TYPES and "ssl_check" not in body:
        return "its type is not one Slack sends"
    return None


def frame_problem(frame: str) -> tuple[str | None, str | None]:
    """What is wrong with a Socket Mode frame, and the envelope id to acknowledge it by
    (None: nothing is wrong, or there is nothing to acknowledge)."""
    try:
        message = json.loads(frame)
    except (ValueError, RecursionError):
        return "the frame is not JSON", None
    if not isinstance(message, dict):
        return "the frame is not an object", None
    if "envelope_id" not in message:
        return None, None  # hello, disconnect: the client's own business
    envelope_id = message["envelope_id"]
    if not isinstance(envelope_id, str) or not envelope_id:
        return "envelope_id is not a text", None
    if not isinstance(message.get("type"), str):
        return "the envelope's type is not a text", envelope_id
    if not isinstance(message.get("payload"), dict):
        return "the envelope's payload is not an object", envelope_id
    if not isinstance(message.get("accepts_response_payload"), bool | None):
        return "accepts_response_payload is not true or false", envelope_id
    retry = message.get("retry_attempt")
    if retry is not None and (isinstance(retry, bool) or not isinstance(retry, int)):
        return "retry_attempt is not a number", envelope_id
    if not _text(message.get("retry_reason")):
        return "retry_reason is not a text", envelope_id
    return problem(message["payload"]), envelope_id


# ---------------------------------------------------------------- the workspace


def needs_team(body: dict[str, Any]) -> bool:
    """Whether a payload is one a workspace sends: not Slack's own url_verification
    handshake or ssl_check ping, which carry none."""
    return body.get("type") != "url_verification" and "ssl_check" not in body


def _claims(body: dict[str, Any]) -> list[tuple[str | None, str | None]]:
    """The (team, organisation) pairs a payload says it comes from."""
    found: list[tuple[str | None, str | None]] = []
    team, enterprise = body.get("team"), body.get("enterprise")
    enterprise_id = enterprise.get("id") if isinstance(enterprise, dict) else enterprise
    enterprise_id = enterprise_id or body.get("enterprise_id")
    if isinstance(team, dict):
        found.append((team.get("id"), team.get("enterprise_id") or enterprise_id))
    elif isinstance(team, str):
        found.append((team, enterprise_id))
    if body.get("team_id") is not None:
        found.append((body["team_id"], enterprise_id))
    view = body.get("view")
    installed = view.get("app_installed_team_id") if isinstance(view, dict) else None
    if installed is not None:
        found.append((installed, enterprise_id))
    if not found and enterprise_id is not None:
        found.append((None, enterprise_id))  # an org-wide install: no team, the organisation
    return found


def _ours(claim: tuple[str | None, str | None], home: Workspace) -> bool:
    team, enterprise = claim
    if team and team == home.team_id:
        return True
    # An app installed on a whole Enterprise Grid organisation is named by the organisation's
    # id where a workspace's would be (a modal's app_installed_team_id).
    return bool(home.enterprise_id) and home.enterprise_id in (team, enterprise)


def _describe(claims: Iterable[tuple[str | None, str | None]]) -> str:
    """Teams and organisations for the log: what a payload says, so at most a few of them,
    shortened, as Python writes texts (no line breaks)."""
    shown = [
        f"{ascii(team[:20]) if team else '-'}/{ascii(enterprise[:20]) if enterprise else '-'}"
        for team, enterprise in list(claims)[:3]
    ]
    return ", ".join(shown)


def foreign(body: dict[str, Any], home: Workspace) -> str | None:
    """Why a payload is not from Vakt's workspace (None: it is). Every team it names must be
    Vakt's (or of Vakt's organisation); the installations an event is delivered for
    (`authorizations`) must include Vakt's."""
    claims = _claims(body)
    if not claims:
        return "it names no workspace"
    strangers = [c for c in claims if not _ours(c, home)]
    if strangers:
        return f"it comes from {_describe(strangers)}"
    authorizations = body.get("authorizations") or []
    granted = [(a.get("team_id"), a.get("enterprise_id")) for a in authorizations]
    if granted and not any(_ours(c, home) for c in granted):
        return f"it is delivered for {_describe(granted)}"
    return None


# ---------------------------------------------------------------- the log


def _shown(value: Any) -> str:
    """A text from a payload for the log: shortened, as Python writes texts (one line)."""
    return ascii(value[:40]) if isinstance(value, str) else "-"


def summary(body: dict[str, Any]) -> str:
    """What a request is, for one line in the log: its kind and the id a listener goes by
    (never what a person wrote)."""
    if "command" in body:
        return f"command {_shown(body.get('command'))}"
    kind = body.get("type")
    if kind == "event_callback":
        return f"event {_shown(body['event'].get('type'))}"
    if kind == "block_actions":
        return f"block_actions {_shown(body['actions'][0].get('action_id'))}"
    view = body.get("view")
    if kind in ("view_submission", "view_closed") and isinstance(view, dict):
        return f"{kind} {_shown(view.get('callback_id'))}"
    return f"{_shown(kind)} {_shown(body.get('callback_id'))}"


# ---------------------------------------------------------------- the gate


def _is_event(body: dict[str, Any]) -> bool:
    return body.get("type") == "event_callback"


class Gate:
    """Answers a request that no listener should see (None: let it through). `workspace`
    asks Slack which workspace Vakt serves (once; SlackSendError when Slack cannot say);
    `language` is the organisation's, for the few words a refused slash command gets (the
    person is not Vakt's to look up)."""

    def __init__(self, workspace: Callable[[], Workspace], language: str) -> None:
        self.workspace = workspace
        self.language = language

    def _answer(self, body: dict[str, Any], key: str) -> BoltResponse:
        if "command" in body:
            return BoltResponse(status=200, body=t(self.language, key))
        return BoltResponse(status=200, body="")

    def __call__(self, body: Any) -> BoltResponse | None:
        wrong = problem(body)
        if wrong is not None:
            log.warning("ignored a request not shaped as Slack sends it: %s", wrong)
            return BoltResponse(status=200, body="")
        if not needs_team(body):
            return None
        try:
            home = self.workspace()
        except SlackSendError as exc:
            # Events wait for Slack to send them again; a person is told to try again.
            log.warning(
                "a request is left for later: Slack did not say which workspace Vakt serves "
                "(auth.test: %s)",
                exc.code,
            )
            if _is_event(body):
                return BoltResponse(status=503, body="")
            return self._answer(body, "error.slack_unavailable")
        why = foreign(body, home)
        if why is not None:
            log.warning("refused a request from another workspace than %s: %s", home.team_id, why)
            return self._answer(body, "error.other_workspace")
        return None
