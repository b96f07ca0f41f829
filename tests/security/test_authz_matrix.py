"""The authorization matrix: every privileged `/vakt` subcommand, button, modal and reaction,
sent through the real HTTP app by everyone who does NOT hold a role allowed to use it, is
refused with its clear (localised) message – and changes nothing: a dump of every table is the
same before and after, and Vakt sends no message, updates none and opens no modal.

Vakt writes no audit row for a refusal (the audit log holds what changed; a refusal changes
nothing), and the slack_event table (Events API de-duplication) records only deliveries it
handled. Both are in the dump: neither may change for a refused action here.

The matrix must name every listener the app registers: `test_the_matrix_covers_every_listener`
fails when a new subcommand, action, modal or shortcut appears without a row (or a reasoned
place among the open ones).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from bot.activity.blocks import ACTIVITY_POSTED
from bot.archive import ids as archive_ids
from bot.features import FEATURES
from bot.home import ids as home_ids
from bot.items import ids as item_ids
from bot.lifecycle import blocks as lb
from bot.register import blocks as regb
from bot.register.core import ClosureStepName
from bot.requests import blocks as reqb
from bot.rota import ids as rota_ids
from bot.slackkit.app import router_of
from bot.store.models import (
    Item,
)
from tests.fakeslack import FakeSlack, block_actions_body
from tests.harness import Vakt
from tests.security._helpers import (
    FLAG_DAY,
    NOW,
    ROLES,
    SECURITY_CONFIG,
    State,
    build_state,
    changes,
    dump,
    event,
    introduce,
    press,
    registered_listeners,
    says,
    slash,
    submit,
)

U = ROLES


# ---------------------------------------------------------------- the matrix


Send = Callable[[Vakt, State, str], str]


@dataclass(frozen=True)
class Row:
    """One privileged action: how to send it, who may, and what everyone else hears."""

    kind: str  # command | action | view | event
    target: str  # subcommand name, action_id, callback_id or event type
    label: str
    allowed: frozenset[str]
    send: Send
    refusal: str | None  # the i18n key of the refusal; None: ignored without a word
    refusal_by_role: dict[str, str] = field(default_factory=dict)

    def refusal_for(self, role: str) -> str | None:
        return self.refusal_by_role.get(role, self.refusal)


def roles(*names: str) -> frozenset[str]:
    unknown = set(names) - set(ROLES)
    assert not unknown, unknown
    return frozenset(names)


COORDINATOR = roles("coordinator")
KOMM = roles("coordinator", "manager", "member", "colleague")  # fb-main's team, its manager
WEB_TEAM = roles("coordinator", "other_manager", "other_member")  # ig-web's
DECIDERS = roles("coordinator", "manager")  # of a request for komm
FB_MANAGERS = roles("coordinator", "manager")  # keep or close fb-main
MANAGERS = roles("coordinator", "manager", "other_manager")  # open questions, of their teams


def cmd(text: str) -> Send:
    def send(vakt: Vakt, state: State, user: str) -> str:
        return slash(vakt, state.fmt(text), user).text

    return send


def btn(action_id: str, value: str, **extra: Any) -> Send:
    def send(vakt: Vakt, state: State, user: str) -> str:
        return press(vakt, action_id, state.fmt(value), user, **extra).text

    return send


def home_btn(action_id: str, value: str) -> Send:
    """A press on a button of the App Home tab: no response_url; the answer is the home
    republished with a notice on top."""

    def send(vakt: Vakt, state: State, user: str) -> str:
        before = len(vakt.fake.calls_to("views.publish"))
        body = block_actions_body(
            action_id,
            state.fmt(value),
            user_id=user,
            view={"id": "V0HOME1", "type": "home", "blocks": []},
            trigger_id="111.222.home",
        )
        assert vakt.signed_post(body).status == 200
        vakt.idle()
        view = vakt.fake.wait_for("views.publish", before + 1)[-1].args["view"]
        return _view_text(view if isinstance(view, dict) else json.loads(view))

    return send


def _view_text(view: dict[str, Any]) -> str:
    return Vakt.reply_text({"blocks": view.get("blocks") or []})


def modal(callback: str, values: Callable[[State], dict[str, Any]], metadata: str) -> Send:
    def send(vakt: Vakt, state: State, user: str) -> str:
        reply, answer = submit(vakt, callback, values(state), user, state.fmt(metadata))
        assert reply.status == 200, reply.body
        if answer.get("response_action") == "errors":
            return "\n".join(answer.get("errors", {}).values())
        if answer.get("response_action") == "update":
            return _view_text(answer.get("view") or {})
        return json.dumps(answer)

    return send


def reaction(name: str) -> Send:
    def send(vakt: Vakt, state: State, user: str) -> str:
        with Session(vakt.runtime.engine) as session:
            item = session.get(Item, state.item)
            assert item is not None
            where = {"type": "message", "channel": item.slack_channel, "ts": item.slack_ts}
        payload = {
            "type": "reaction_added",
            "user": user,
            "reaction": name,
            "item": where,
            "item_user": "U111",
            "event_ts": f"{FLAG_DAY.timestamp():.6f}",
        }
        assert event(vakt, payload).status == 200
        return ""

    return send


def _text(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def _block(block: str, element: dict[str, Any]) -> dict[str, Any]:
    return {block: {block: element}}


def deletion_values(state: State) -> dict[str, Any]:
    return {
        **_block(
            archive_ids.FIELD_DELETED_AT,
            {"type": "datetimepicker", "selected_date_time": int(FLAG_DAY.timestamp()) - 300},
        ),
        **_block(
            archive_ids.FIELD_REASON,
            {"type": "static_select", "selected_option": {"value": "spam"}},
        ),
        **_block(archive_ids.FIELD_SUMMARY, _text("Reklame for kryptovaluta")),
        **_block(
            item_ids.FIELD_ACCOUNT,
            {"type": "static_select", "selected_option": {"value": "fb-main"}},
        ),
        **_block(
            archive_ids.FIELD_NOTIFIED,
            {"type": "radio_buttons", "selected_option": {"value": "yes"}},
        ),
        **_block(archive_ids.FIELD_FILES, {"type": "file_input", "files": []}),
    }


def snapshot_values(state: State) -> dict[str, Any]:
    return {
        **_block(archive_ids.FIELD_FILES, {"type": "file_input", "files": []}),
        **_block(
            archive_ids.FIELD_ARCHIVE_LINK,
            {"type": "url_text_input", "value": "https://arkiv.testrud.kommune.no/sak/1"},
        ),
        **_block(
            archive_ids.FIELD_KIND,
            {"type": "static_select", "selected_option": {"value": "periodic"}},
        ),
    }


def register_values(state: State) -> dict[str, Any]:
    return {
        **_block(item_ids.FIELD_REFERENCE, _text("2026/4711-3")),
    }


def account_values(state: State) -> dict[str, Any]:
    return {
        **_block(regb.block_id("key"), _text("yt-main")),
        **_block(regb.block_id("name"), _text("Testrud på YouTube")),
        **_block(
            regb.block_id("platform"),
            {"type": "static_select", "selected_option": {"value": "youtube"}},
        ),
        **_block(regb.block_id("url"), _text("https://www.youtube.com/@testrud")),
        **_block(
            regb.block_id("team"), {"type": "static_select", "selected_option": {"value": "komm"}}
        ),
        **_block(
            regb.block_id("kind"), {"type": "static_select", "selected_option": {"value": "page"}}
        ),
    }


def decline_values(state: State) -> dict[str, Any]:
    return _block(reqb.FIELD_REASON, _text("Vi har nok kontoer"))


def keep_values(state: State) -> dict[str, Any]:
    return {
        **_block(lb.FIELD_KEEP_REASON, _text("Brukes i beredskap")),
        **_block(
            lb.FIELD_KEEP_PERIOD, {"type": "static_select", "selected_option": {"value": "3m"}}
        ),
        **_block(lb.FIELD_KEEP_UNTIL, {"type": "datepicker", "selected_date": None}),
    }


def waive_values(state: State) -> dict[str, Any]:
    return _block(lb.FIELD_WAIVE_REASON, _text("Kontoen hadde ingen følgere"))


STEP = ClosureStepName.FOLLOWERS_TOLD.value
NOT_ITEM = "error.not_your_item"
NOT_ACCOUNT = "error.not_your_account"
COORD_ONLY = "error.coordinators_only"

MATRIX: list[Row] = [
    # ------------------------------------------------------------ /vakt subcommands
    Row(
        "command",
        "cover",
        "cover",
        COORDINATOR,
        cmd("cover <@U0BO> <@U0ANNA> 2027-03-01"),
        COORD_ONLY,
    ),
    Row("command", "uncover", "uncover", COORDINATOR, cmd("uncover <@U0BO> <@U0ANNA>"), COORD_ONLY),
    Row("command", "report", "report", MANAGERS, cmd("report"), "error.report_not_allowed"),
    Row(
        "command",
        "export",
        "export",
        COORDINATOR,
        cmd("export deletions 2026-01-01 2026-12-31"),
        COORD_ONLY,
    ),
    Row("command", "team", "team new", COORDINATOR, cmd("team new sos Sosiale medier"), COORD_ONLY),
    Row(
        "command",
        "team",
        "team members",
        COORDINATOR,
        cmd("team members komm <@U0EVE>"),
        COORD_ONLY,
    ),
    Row(
        "command",
        "team",
        "team channel",
        COORDINATOR,
        cmd("team channel komm <#C0EVIL|x>"),
        COORD_ONLY,
    ),
    Row(
        "command",
        "team",
        "team manager",
        COORDINATOR,
        cmd("team manager komm <@U0EVE>"),
        COORD_ONLY,
    ),
    Row(
        "command", "team", "team rotation", COORDINATOR, cmd("team rotation komm daily"), COORD_ONLY
    ),
    Row(
        "command",
        "team",
        "team intake",
        COORDINATOR,
        cmd("team intake komm <#C0EVIL|x>"),
        COORD_ONLY,
    ),
    Row("command", "team", "team name", COORDINATOR, cmd("team name komm Overtatt"), COORD_ONLY),
    Row(
        "command",
        "account",
        "account intake",
        COORDINATOR,
        cmd("account intake fb-main <#C0EVIL|x>"),
        COORD_ONLY,
    ),
    Row(
        "command",
        "account",
        "account add (one line)",
        COORDINATOR,
        cmd("account add yt-main youtube komm https://www.youtube.com/@testrud Testrud"),
        COORD_ONLY,
    ),
    Row(
        "command",
        "account",
        "account add (form)",
        COORDINATOR,
        cmd("account add yt-main"),
        COORD_ONLY,
    ),
    Row("command", "account", "account edit", COORDINATOR, cmd("account edit fb-main"), COORD_ONLY),
    Row(
        "command",
        "account",
        "account close",
        FB_MANAGERS,
        cmd("account close fb-main Ingen bruk"),
        "error.lifecycle_not_manager",
    ),
    Row(
        "command",
        "away",
        "away for someone else",
        roles("coordinator", "colleague"),
        cmd("away <@U0BO> 2027-03-01"),
        COORD_ONLY,
    ),
    Row(
        "command",
        "away",
        "away (oneself)",
        roles("coordinator", "member", "colleague", "other_member"),
        cmd("away 2027-03-02"),
        "error.members_only",
    ),
    Row(
        "command",
        "back",
        "back for someone else",
        roles("coordinator", "colleague"),
        cmd("back <@U0BO>"),
        COORD_ONLY,
    ),
    Row(
        "command",
        "back",
        "back (oneself)",
        roles("coordinator", "member", "colleague", "other_member"),
        cmd("back"),
        "error.members_only",
    ),
    Row(
        "command",
        "swap",
        "swap",
        roles("coordinator", "member", "colleague", "other_member"),
        cmd("swap <@U0CARL> 2027-03-08 2027-03-12"),
        "error.members_only",
    ),
    Row("command", "unanswered", "unanswered", MANAGERS, cmd("unanswered"), "error.managers_only"),
    Row(
        "command",
        "unanswered",
        "unanswered komm",
        roles("coordinator", "manager"),
        cmd("unanswered komm"),
        "error.managers_only",
        {"other_manager": "error.not_your_team"},
    ),
    Row("command", "status", "status", MANAGERS, cmd("status"), "error.managers_only"),
    Row(
        "action",
        home_ids.HOME_ANSWERED,
        "home answered",
        KOMM,
        home_btn(home_ids.HOME_ANSWERED, "{item}"),
        NOT_ITEM,
    ),
    Row(
        "action",
        home_ids.HOME_NO_REPLY,
        "home no reply",
        KOMM,
        home_btn(home_ids.HOME_NO_REPLY, "{item}"),
        NOT_ITEM,
    ),
    Row(
        "action",
        home_ids.HOME_REFERRED,
        "home referred",
        KOMM,
        home_btn(home_ids.HOME_REFERRED, "{item}"),
        NOT_ITEM,
    ),
    Row(
        "command",
        "calendar",
        "calendar revoke",
        COORDINATOR,
        cmd("calendar revoke <@U0CARL>"),
        COORD_ONLY,
    ),
    Row(
        "command",
        "posted",
        "posted",
        KOMM,
        cmd("posted fb-main"),
        "error.post_not_your_account",
    ),
    Row("command", "snapshot", "snapshot", KOMM, cmd("snapshot fb-main"), NOT_ACCOUNT),
    Row(
        "command",
        "deleted",
        "deleted fb-main",
        KOMM,
        cmd("deleted fb-main"),
        NOT_ACCOUNT,
        {"stranger": "error.no_accounts_of_yours"},
    ),
    Row(
        "command",
        "deleted",
        "deleted",
        roles(*(set(ROLES) - {"stranger"})),
        cmd("deleted"),
        "error.no_accounts_of_yours",
    ),
    # ------------------------------------------------------------ buttons
    Row(
        "action",
        rota_ids.SWAP_ACCEPT,
        "swap accept",
        roles("colleague"),
        btn(rota_ids.SWAP_ACCEPT, "{swap}"),
        "error.not_your_swap",
    ),
    Row(
        "action",
        rota_ids.SWAP_DECLINE,
        "swap decline",
        roles("colleague"),
        btn(rota_ids.SWAP_DECLINE, "{swap}"),
        "error.not_your_swap",
    ),
    Row(
        "action",
        rota_ids.SWAP_WITHDRAW,
        "swap withdraw",
        roles("member"),
        btn(rota_ids.SWAP_WITHDRAW, "{swap}"),
        "error.not_your_swap",
    ),
    Row(
        "action",
        rota_ids.ABSENCE_CANCEL,
        "absence cancel",
        roles("coordinator", "member"),
        btn(rota_ids.ABSENCE_CANCEL, "{absence}"),
        COORD_ONLY,
    ),
    Row(
        "action",
        item_ids.ITEM_ANSWERED,
        "answered",
        KOMM,
        btn(item_ids.ITEM_ANSWERED, "{item}"),
        NOT_ITEM,
    ),
    Row(
        "action",
        item_ids.ITEM_NO_REPLY,
        "no reply",
        KOMM,
        btn(item_ids.ITEM_NO_REPLY, "{item}"),
        NOT_ITEM,
    ),
    Row(
        "action",
        item_ids.ITEM_REFERRED,
        "referred",
        KOMM,
        btn(item_ids.ITEM_REFERRED, "{item}"),
        NOT_ITEM,
    ),
    Row(
        "action",
        item_ids.ITEM_REOPEN,
        "reopen",
        KOMM,
        btn(item_ids.ITEM_REOPEN, "{closed_item}"),
        NOT_ITEM,
    ),
    Row(
        "action",
        item_ids.ITEM_REGISTER,
        "register",
        KOMM,
        btn(item_ids.ITEM_REGISTER, "{item}"),
        NOT_ITEM,
    ),
    Row(
        "action",
        item_ids.ITEM_DELETED,
        "deleted…",
        KOMM,
        btn(item_ids.ITEM_DELETED, "{item}"),
        NOT_ITEM,
        {"stranger": "error.no_accounts_of_yours"},
    ),
    Row(
        "action",
        item_ids.ITEM_HIDE_ON_PLATFORM,
        "hide on the platform",
        KOMM,
        btn(item_ids.ITEM_HIDE_ON_PLATFORM, "{item}"),
        NOT_ITEM,
    ),
    Row(
        "action",
        item_ids.ITEM_DELETE_ON_PLATFORM,
        "delete on the platform",
        KOMM,
        btn(item_ids.ITEM_DELETE_ON_PLATFORM, "{item}"),
        NOT_ITEM,
    ),
    Row(
        "action",
        item_ids.UNANSWERED_MORE,
        "more",
        MANAGERS,
        btn(item_ids.UNANSWERED_MORE, "20|0|"),
        "error.managers_only",
    ),
    Row(
        "action",
        item_ids.UNANSWERED_MORE,
        "more of komm",
        roles("coordinator", "manager"),
        btn(item_ids.UNANSWERED_MORE, "20|0|komm"),
        "error.managers_only",
        {"other_manager": "error.not_your_team"},
    ),
    Row(
        "action",
        archive_ids.DELETION_EDIT,
        "deletion edit",
        KOMM,
        btn(archive_ids.DELETION_EDIT, "{deletion}"),
        NOT_ACCOUNT,
    ),
    Row(
        "action",
        archive_ids.DELETION_NOTIFIED,
        "poster told",
        KOMM,
        btn(archive_ids.DELETION_NOTIFIED, "{deletion}"),
        NOT_ACCOUNT,
    ),
    Row(
        "action",
        archive_ids.DELETION_IMPOSSIBLE,
        "poster cannot be told",
        KOMM,
        btn(archive_ids.DELETION_IMPOSSIBLE, "{deletion}"),
        NOT_ACCOUNT,
    ),
    Row(
        "action",
        regb.ACCOUNT_EDIT,
        "account edit",
        COORDINATOR,
        btn(regb.ACCOUNT_EDIT, "fb-main"),
        COORD_ONLY,
    ),
    Row(
        "action",
        reqb.APPROVE,
        "approve",
        DECIDERS,
        btn(reqb.APPROVE, "{request}"),
        "request.error.not_decider",
    ),
    Row(
        "action",
        reqb.APPROVE,
        "approve one's own request",
        roles("coordinator"),
        btn(reqb.APPROVE, "{own_request}"),
        "request.error.not_decider",
        {"manager": "request.error.own_request"},
    ),
    Row(
        "action",
        reqb.DECLINE,
        "decline",
        DECIDERS,
        btn(reqb.DECLINE, "{request}"),
        "request.error.not_decider",
    ),
    Row(
        "action",
        ACTIVITY_POSTED,
        "posted today",
        KOMM,
        btn(ACTIVITY_POSTED, "{fb_main}"),
        "error.post_not_your_account",
    ),
    Row(
        "action",
        lb.FLAG_KEEP,
        "keep",
        FB_MANAGERS,
        btn(lb.FLAG_KEEP, "{flag}"),
        "error.lifecycle_not_manager",
    ),
    Row(
        "action",
        lb.FLAG_CLOSE,
        "start closure",
        FB_MANAGERS,
        btn(lb.FLAG_CLOSE, "{flag}"),
        "error.lifecycle_not_manager",
    ),
    Row(
        "action",
        lb.CLOSURE_DONE,
        "closure step done",
        WEB_TEAM,
        btn(lb.CLOSURE_DONE, "{closure}:" + STEP),
        "error.lifecycle_not_team",
    ),
    Row(
        "action",
        lb.CLOSURE_WAIVE,
        "closure step waive",
        COORDINATOR,
        btn(lb.CLOSURE_WAIVE, "{closure}:" + STEP),
        COORD_ONLY,
    ),
    Row(
        "action",
        lb.CLOSURE_SNAPSHOT,
        "final snapshot…",
        WEB_TEAM,
        btn(lb.CLOSURE_SNAPSHOT, "{closure}:final_snapshot"),
        "error.lifecycle_not_team",
    ),
    Row(
        "action",
        lb.CLOSURE_CHECK,
        "closure check again",
        WEB_TEAM,
        btn(lb.CLOSURE_CHECK, "{closure}"),
        "error.lifecycle_not_team",
    ),
    Row(
        "action",
        lb.CLOSURE_CANCEL,
        "closure cancel",
        COORDINATOR,
        btn(lb.CLOSURE_CANCEL, "{closure}"),
        COORD_ONLY,
    ),
    # ------------------------------------------------------------ modal submissions
    Row(
        "view",
        item_ids.REGISTER_VIEW,
        "registration reference",
        KOMM,
        modal(item_ids.REGISTER_VIEW, register_values, '{{"item": {item}}}'),
        NOT_ITEM,
    ),
    Row(
        "view",
        archive_ids.DELETION_VIEW,
        "new deletion",
        KOMM,
        modal(archive_ids.DELETION_VIEW, deletion_values, "{{}}"),
        NOT_ACCOUNT,
    ),
    Row(
        "view",
        archive_ids.DELETION_VIEW,
        "deletion edited",
        KOMM,
        modal(archive_ids.DELETION_VIEW, deletion_values, '{{"deletion": {deletion}}}'),
        NOT_ACCOUNT,
    ),
    Row(
        "view",
        archive_ids.SNAPSHOT_VIEW,
        "snapshot",
        KOMM,
        modal(archive_ids.SNAPSHOT_VIEW, snapshot_values, '{{"account": "fb-main"}}'),
        NOT_ACCOUNT,
    ),
    Row(
        "view",
        regb.ACCOUNT_VIEW,
        "account form (add)",
        COORDINATOR,
        modal(regb.ACCOUNT_VIEW, account_values, '{{"mode": "add"}}'),
        COORD_ONLY,
    ),
    Row(
        "view",
        regb.ACCOUNT_VIEW,
        "account form (edit)",
        COORDINATOR,
        modal(regb.ACCOUNT_VIEW, account_values, '{{"mode": "edit", "key": "fb-main"}}'),
        COORD_ONLY,
    ),
    Row(
        "view",
        reqb.DECLINE_VIEW,
        "decline with a reason",
        DECIDERS,
        modal(reqb.DECLINE_VIEW, decline_values, '{{"request": {request}}}'),
        "request.error.not_decider",
    ),
    Row(
        "view",
        lb.FLAG_KEEP_VIEW,
        "keep with a reason",
        FB_MANAGERS,
        modal(lb.FLAG_KEEP_VIEW, keep_values, "{flag}"),
        "error.lifecycle_not_manager",
    ),
    Row(
        "view",
        lb.CLOSURE_WAIVE_VIEW,
        "waive with a reason",
        COORDINATOR,
        modal(lb.CLOSURE_WAIVE_VIEW, waive_values, "{closure}:" + STEP),
        COORD_ONLY,
    ),
    # ------------------------------------------------------------ reactions
    Row(
        "event",
        "reaction_added",
        "check mark",
        KOMM,
        reaction("white_check_mark"),
        None,
    ),
    Row(
        "event",
        "reaction_added",
        "wastebasket",
        KOMM,
        reaction("wastebasket"),
        None,
    ),
]

# What anyone in the workspace may do, and why.
OPEN_COMMANDS = {
    "who": "who is on duty is no secret",
    "rota": "the rota is shared",
    "teams": "the list of teams",
    "accounts": "the register is public information (the public list is published)",
    "new": "anyone may report a citizen's question",
    "request": "anyone may ask for an account",
    "requests": "shows the reader's own requests (and those they decide)",
    "flags": "shows flags; buttons only for who may act, each refused otherwise",
    "help": "help",
    "calendar": "own links for anyone; revoking another's is the `calendar revoke` row",
}
OPEN_LISTENERS = {
    ("view", item_ids.NEW_ITEM_VIEW): "anyone may report a citizen's question",
    ("view", item_ids.TRACK_VIEW): "anyone may track a message as a question",
    ("shortcut", item_ids.TRACK_SHORTCUT): "opens the track form",
    ("view", reqb.REQUEST_VIEW): "anyone may ask for an account",
    ("command", "/vakt"): "every subcommand is in the matrix or in OPEN_COMMANDS",
    ("event", "message"): "a message in an intake channel is a question, whoever posts it",
    ("event", "app_home_opened"): "publishes the opener's own home only",
    ("action", home_ids.HOME_SHOW_ALL): "lists only what the presser's own home shows",
}


# ---------------------------------------------------------------- the tests


@pytest.fixture
def vakt(fake: FakeSlack, db_url: str, tmp_path: Path) -> Iterator[Vakt]:
    harness = Vakt(fake, db_url, tmp_path, NOW, config_text=SECURITY_CONFIG)
    yield harness
    harness.close()
    fake.assert_no_errors()


SENDS = ("chat.postMessage", "chat.update", "chat.postEphemeral", "views.open", "views.update")


@pytest.fixture
def sqlite_vakt(fake: FakeSlack, sqlite_url: str, tmp_path: Path) -> Iterator[Vakt]:
    harness = Vakt(fake, sqlite_url, tmp_path, NOW, config_text=SECURITY_CONFIG)
    yield harness
    harness.close()


def test_every_privileged_action_is_refused_for_everyone_else(vakt: Vakt) -> None:
    state = build_state(vakt)
    failures: list[str] = []
    tried = 0
    for row in MATRIX:
        for role, user in ROLES.items():
            if role in row.allowed:
                continue
            tried += 1
            before, calls = dump(vakt.runtime.engine), len(vakt.fake.calls)
            text = row.send(vakt, state, user)
            # An event's delivery may be recorded to de-duplicate Slack's retries; a refusal on
            # the App Home is told by republishing the presser's own home, which is recorded.
            ignore = ("slack_event",) if row.kind == "event" else ("home_view",)
            changed = changes(before, dump(vakt.runtime.engine), ignore)
            sent = [c.method for c in vakt.fake.calls[calls:] if c.method in SENDS]
            key = row.refusal_for(role)
            heard = text == "" if key is None else says(text, key)
            if not heard or changed or sent:
                failures.append(
                    f"{row.label} by {role}: said {text[:120]!r} (wanted {key}); "
                    f"changed {changed}; sent {sent}"
                )
    assert failures == [], "\n".join(failures)
    assert tried > 150
    allowed_users_are_not_refused(vakt, state)


def test_the_refusals_are_clear_in_every_language() -> None:
    """Every refusal key the matrix expects says in nb, sv and en that it is not allowed."""
    from bot.kernel.i18n import catalog

    keys = {r.refusal for r in MATRIX if r.refusal} | {
        k for r in MATRIX for k in r.refusal_by_role.values()
    }
    words = {
        "en": ("only", "not", "yourself"),
        "nb": ("bare", "kun", "ikke", "selv"),
        "sv": ("bara", "endast", "inte", "själv"),
    }
    for lang, markers in words.items():
        for key in sorted(keys):
            text = catalog(lang)[key].lower()
            assert any(m in text for m in markers), (lang, key, text)


def test_the_matrix_covers_every_listener(
    sqlite_vakt: Vakt, monkeypatch: pytest.MonkeyPatch
) -> None:
    registered = registered_listeners(sqlite_vakt, monkeypatch)
    in_matrix = {(r.kind, r.target) for r in MATRIX if r.kind != "command"}
    missing = registered - in_matrix - set(OPEN_LISTENERS)
    assert missing == set(), f"listeners with no row in the authorization matrix: {missing}"
    stale = (in_matrix | set(OPEN_LISTENERS)) - registered
    assert stale == set(), f"rows for listeners the app no longer has: {stale}"

    subcommands = {c.name for c in router_of(FEATURES).commands}
    covered = {r.target for r in MATRIX if r.kind == "command"} | set(OPEN_COMMANDS)
    assert subcommands - covered == set(), "subcommands with no row in the matrix"
    assert covered - subcommands == set(), "rows for subcommands that are gone"
    # The subcommands the dispatcher refuses before parsing are in the matrix as such.
    gated = {r.target for r in MATRIX if r.kind == "command" and r.allowed == COORDINATOR}
    assert {"cover", "uncover", "export"} <= gated


def allowed_users_are_not_refused(vakt: Vakt, state: State) -> None:
    """The other half, on a sample: the matrix's refusals are about the role, not about a
    broken request (each of these rows succeeds for someone allowed)."""
    samples = {  # label: (an allowed role, whether it changes a row)
        "cover": ("coordinator", True),
        "team new": ("coordinator", True),
        "unanswered komm": ("manager", False),
        "report": ("other_manager", True),
        "posted": ("colleague", True),
        "answered": ("member", True),
        "swap accept": ("colleague", True),
        "absence cancel": ("member", True),
        "approve": ("manager", True),
        "keep": ("manager", False),
        "closure step done": ("other_member", True),
        "closure cancel": ("coordinator", True),
        "snapshot": ("colleague", False),
        "new deletion": ("member", True),
        "registration reference": ("colleague", True),
    }
    rows = {r.label: r for r in MATRIX}
    for label, (role, changing) in samples.items():
        row = rows[label]
        assert role in row.allowed
        before = dump(vakt.runtime.engine)
        text = row.send(vakt, state, ROLES[role])
        key = row.refusal_for(role)
        assert key is not None and not says(text, key), (label, text)
        if changing:
            assert changes(before, dump(vakt.runtime.engine)), (label, text)


def test_someone_elses_absences_are_not_shown_to_everyone(vakt: Vakt) -> None:
    """`/vakt away @person` lists that person's absences with their kind and note – sick leave
    is health data (GDPR art. 9). The README documents `/vakt away` as "your absences"; only
    the person and the coordinators (who register absences for others) should see the list."""
    introduce(vakt)
    assert "Saved" in slash(vakt, "away 2027-01-11 syk legevakt", ROLES["colleague"]).text
    shown = {
        role: slash(vakt, "away <@U0BO>", user).text
        for role, user in ROLES.items()
        if role not in ("coordinator", "colleague")
    }
    leaked = {role: text[:80] for role, text in shown.items() if "legevakt" in text}
    assert leaked == {}
    assert all(says(text, COORD_ONLY) for text in shown.values())
