"""The account register through Slack end to end: `/vakt accounts`, `/vakt account <key>`, and
the add/edit form (signed slash command, views.open, a view_submission with Slack's own payload
shape, rows and audit log), with per-field errors, refusals and Slack's block limits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from bot.register import blocks as rb
from bot.store.models import Account, AccountPost, AuditLog, Team
from tests.fakeslack import FakeSlack, block_actions_body, slash_command_body, view_submission_body
from tests.harness import CONFIG, OSLO, Vakt

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=OSLO)  # Wednesday, week 48
COORD = "U0COORD1"
REGISTER_CONFIG = (
    CONFIG
    + """
[[team]]
key = "kultur"
name = "Kulturskolen"
channel = "C0TEAM2"
manager = "U0KBOSS"
members = ["U0DINA", "U0EVA"]
rotation = "weekly"
start = "2026-11-02"
intake_channel = "C0KINTAKE"
"""
)


@pytest.fixture
def vakt(fake: FakeSlack, db_url: str, tmp_path: Path) -> Iterator[Vakt]:
    harness = Vakt(fake, db_url, tmp_path, NOW, config_text=REGISTER_CONFIG)
    yield harness
    harness.close()
    fake.assert_no_errors()


@pytest.fixture
def vakt_any_db(fake: FakeSlack, any_db_url: str, tmp_path: Path) -> Iterator[Vakt]:
    harness = Vakt(fake, any_db_url, tmp_path, NOW, config_text=REGISTER_CONFIG)
    yield harness
    harness.close()
    fake.assert_no_errors()


# ---------------------------------------------------------------- helpers


def open_form(vakt: Vakt, text: str, user: str = COORD) -> dict[str, Any]:
    """Run a `/vakt` command that opens a form; return the form Slack was asked to show."""
    before = len(vakt.fake.calls_to("views.open"))
    count = len(vakt.fake.calls_to("response_url"))
    body = slash_command_body(
        text, user_id=user, response_url=vakt.fake.response_url(f"f{count}"), trigger_id="1.2.3"
    )
    assert vakt.signed_post(body).status == 200
    view = vakt.fake.wait_for("views.open", before + 1)[-1].args["view"]
    vakt.idle()
    return json.loads(view) if isinstance(view, str) else dict(view)


def reply_of(vakt: Vakt, text: str, user: str = COORD) -> dict[str, Any]:
    """Run a `/vakt` command; return the message it answered with (to the response_url)."""
    vakt.command(text, user)
    return vakt.fake.calls_to("response_url")[-1].args


def submit(vakt: Vakt, view: dict[str, Any], values: dict[str, Any], user: str = COORD) -> Any:
    reply = vakt.signed_post(
        view_submission_body(
            view["callback_id"],
            values,
            user_id=user,
            private_metadata=view.get("private_metadata", ""),
        )
    )
    assert reply.status == 200, reply.body
    vakt.idle()
    return reply.json() if reply.body else {}


def _option(value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": value, "emoji": True}, "value": value}


def form_values(
    *,
    key: str | None = "ig-kultur",
    name: str | None = "Kulturskolen i Testrud",
    platform: str | None = "instagram",
    kind: str | None = "open-group",
    url: str | None = "https://www.instagram.com/kulturskolen",
    team: str | None = "kultur",
    unit: str | None = "Kulturskolen",
    manager: str | None = "U0KBOSS",
    admins: list[str] | None = None,
    texts: dict[str, str | None] | None = None,
    created: str | None = "2020-08-01",
    end: str | None = "2027-06-30",
    numbers: dict[str, str | None] | None = None,
    access: tuple[str, ...] = ("coordinator_admin", "credentials_held"),
    feed: str | None = "C0FEED",
    platform_ids: dict[str, str | None] | None = None,
) -> dict[str, Any]:
    """A submitted register form, as Slack sends `view.state.values`."""

    def block(name: str, state: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return rb.block_id(name), {rb.block_id(name): state}

    written = {
        "purpose": "Informere elever og foresatte om kulturskolen",
        "audience": "Elever og foresatte",
        "dialogue": "Rektor svarer innen neste arbeidsdag",
        "privacy": "Ingen bilder av elever uten samtykke",
        "resources": "To timer i uka",
        "plan": "Konserter, påmelding og ferier",
        **(texts or {}),
    }
    counts = {
        "cadence_days": "7",
        "max_posts_week": "10",
        "max_posts_day": "2",
        "snapshot_months": "6",
        **(numbers or {}),
    }
    pairs = [
        block("name", {"type": "plain_text_input", "value": name}),
        block(
            "platform",
            {"type": "static_select", "selected_option": _option(platform) if platform else None},
        ),
        block(
            "kind", {"type": "static_select", "selected_option": _option(kind) if kind else None}
        ),
        block("url", {"type": "url_text_input", "value": url}),
        block(
            "team", {"type": "static_select", "selected_option": _option(team) if team else None}
        ),
        block("unit", {"type": "plain_text_input", "value": unit}),
        block("manager", {"type": "users_select", "selected_user": manager}),
        block("admins", {"type": "multi_users_select", "selected_users": admins or []}),
        *(block(n, {"type": "plain_text_input", "value": v}) for n, v in written.items()),
        block("created_on", {"type": "datepicker", "selected_date": created}),
        block("end_date", {"type": "datepicker", "selected_date": end}),
        *(block(n, {"type": "number_input", "value": v}) for n, v in counts.items()),
        block(
            "coordinator_admin",
            {"type": "checkboxes", "selected_options": [_option(a) for a in access]},
        ),
        block(
            "published_channel",
            {"type": "conversations_select", "selected_conversation": feed},
        ),
        *(
            block(n, {"type": "plain_text_input", "value": v})
            for n, v in {
                "facebook_page_id": None,
                "instagram_user_id": None,
                **(platform_ids or {}),
            }.items()
        ),
    ]
    if key is not None:
        pairs.insert(0, block("key", {"type": "plain_text_input", "value": key}))
    return dict(pairs)


def account_row(vakt: Vakt, key: str) -> Account | None:
    with Session(vakt.runtime.engine) as session:
        return session.exec(select(Account).where(Account.key == key)).first()


def register_audits(vakt: Vakt) -> list[AuditLog]:
    with Session(vakt.runtime.engine) as session:
        return list(
            session.exec(
                select(AuditLog)
                .where(col(AuditLog.action).in_(["account.add", "account.edit"]))
                .order_by(col(AuditLog.id))
            ).all()
        )


def block_ids(view: dict[str, Any]) -> list[str]:
    return [b.get("block_id", "") for b in view["blocks"]]


def initial(view: dict[str, Any], name: str) -> Any:
    element = next(b for b in view["blocks"] if b.get("block_id") == rb.block_id(name))["element"]
    for field in (
        "initial_value",
        "initial_option",
        "initial_user",
        "initial_users",
        "initial_date",
        "initial_options",
        "initial_conversation",
    ):
        if field in element:
            return element[field]
    return None


def text_of(message: dict[str, Any]) -> str:
    return Vakt.reply_text(message)


# ---------------------------------------------------------------- adding through the form


def test_a_coordinator_adds_an_account_through_the_form(vakt_any_db: Vakt) -> None:
    vakt = vakt_any_db
    view = open_form(vakt, "account add")
    assert view["callback_id"] == rb.ACCOUNT_VIEW and view["title"]["text"] == "New account"
    assert len(view["blocks"]) <= 100
    ids_ = block_ids(view)
    for name in (
        "key",
        "name",
        "platform",
        "kind",
        "url",
        "team",
        "unit",
        "manager",
        "admins",
        "purpose",
        "audience",
        "dialogue",
        "privacy",
        "resources",
        "plan",
        "created_on",
        "end_date",
        "cadence_days",
        "max_posts_week",
        "max_posts_day",
        "snapshot_months",
        "coordinator_admin",
        "published_channel",
        "facebook_page_id",
        "instagram_user_id",
    ):
        assert rb.block_id(name) in ids_, name
    shown = json.dumps(view)
    assert "never stores passwords" in shown and "Facebook group" in shown
    assert "Kulturskolen (kultur)" in shown and "Secret group" in shown

    answer = submit(vakt, view, form_values(admins=["U0DINA", "U0EVA"]))
    assert answer["response_action"] == "update"
    assert "is in the register" in json.dumps(answer["view"])
    row = account_row(vakt, "ig-kultur")
    assert row is not None and row.status == "active" and not row.managed
    assert (row.platform, row.kind, row.unit, row.manager) == (
        "instagram",
        "open-group",
        "Kulturskolen",
        "U0KBOSS",
    )
    assert row.admins == "U0DINA,U0EVA" and row.purpose and row.plan
    assert (row.created_on, row.end_date) == (date(2020, 8, 1), date(2027, 6, 30))
    assert (row.cadence_days, row.max_posts_week, row.max_posts_day, row.snapshot_months) == (
        7,
        10,
        2,
        6,
    )
    assert row.coordinator_admin and row.credentials_held and row.published_channel == "C0FEED"
    (log,) = register_audits(vakt)
    assert log.action == "account.add" and log.actor == COORD
    assert json.loads(log.after or "{}")["team"] == "kultur"

    # It is on its team's rota at once, and in the register.
    assert "Kulturskolen" in vakt.command("who ig-kultur", "U0DINA")
    listing = text_of(reply_of(vakt, "accounts", "U0ANNA"))
    assert "ig-kultur" in listing and "Kulturskolen i Testrud" in listing


def test_the_form_shows_each_problem_beside_its_field_and_saves_nothing(vakt: Vakt) -> None:
    view = open_form(vakt, "account add")
    answer = submit(
        vakt,
        view,
        form_values(
            key="fb-main",  # taken
            url="ftp://instagram.com/x",
            end="2019-01-01",  # before created
            numbers={"max_posts_week": "3", "max_posts_day": "5", "cadence_days": "400"},
            feed="C0KINTAKE",  # an intake channel
        ),
    )
    assert answer["response_action"] == "errors"
    errors = answer["errors"]
    assert set(errors) == {
        rb.block_id("key"),
        rb.block_id("url"),
        rb.block_id("end_date"),
        rb.block_id("max_posts_day"),
        rb.block_id("cadence_days"),
        rb.block_id("published_channel"),
    }
    assert "already exists" in errors[rb.block_id("key")]
    assert "https://" in errors[rb.block_id("url")]
    assert "from 0 to 365" in errors[rb.block_id("cadence_days")]
    assert "intake channel of `kultur`" in errors[rb.block_id("published_channel")]
    assert account_row(vakt, "fb-main") is not None and register_audits(vakt) == []
    # A number Slack would not send, and a bad date: answered, not a crash.
    answer = submit(vakt, view, form_values(numbers={"max_posts_week": "ten"}, created="01.08.20"))
    assert set(answer["errors"]) == {rb.block_id("max_posts_week"), rb.block_id("created_on")}
    # Fixed: saved.
    answer = submit(vakt, view, form_values(key="ig-kultur"))
    assert answer["response_action"] == "update" and account_row(vakt, "ig-kultur") is not None


def test_the_form_connects_an_account_to_its_instagram_account_and_the_card_shows_it(
    vakt: Vakt,
) -> None:
    view = open_form(vakt, "account add")
    fields = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    page, insta = fields[rb.block_id("facebook_page_id")], fields[rb.block_id("instagram_user_id")]
    assert page["label"]["text"] == "Facebook Page id" and page["optional"] is True
    assert "About → Page transparency" in page["hint"]["text"]
    assert "Meta Business Suite → Settings" in page["hint"]["text"]
    assert insta["label"]["text"] == "Instagram account id"
    assert "Meta Business Suite → Settings → Instagram account" in insta["hint"]["text"]
    assert insta["element"]["type"] == "plain_text_input"

    wrong = {"facebook_page_id": "1234567890", "instagram_user_id": "1784 1400"}
    answer = submit(vakt, view, form_values(platform_ids=wrong))
    assert answer["response_action"] == "errors"
    assert answer["errors"] == {
        rb.block_id("instagram_user_id"): (
            "`1784 1400` is not an id: Meta's ids are 5 to 30 digits, like 1234567890."
        ),
        rb.block_id("facebook_page_id"): (
            "A Facebook Page id is only for an account on Facebook (a Page or a group). "
            "Empty the field, or choose the platform."
        ),
    }
    assert account_row(vakt, "ig-kultur") is None and register_audits(vakt) == []

    right = {"instagram_user_id": " 17841400000000001 "}
    assert submit(vakt, view, form_values(platform_ids=right))["response_action"] == "update"
    row = account_row(vakt, "ig-kultur")
    assert row is not None
    assert (row.instagram_user_id, row.facebook_page_id) == ("17841400000000001", None)
    (log,) = register_audits(vakt)
    assert json.loads(log.after or "{}")["instagram_user_id"] == "17841400000000001"

    card = text_of(reply_of(vakt, "account ig-kultur", "U0DINA"))
    assert "*Connected to Instagram:* account 17841400000000001" in card
    assert "Connected to Facebook" not in card
    vakt.fake.users["U0EVA"] = {"locale": "nb-NO"}
    norsk = text_of(reply_of(vakt, "konto ig-kultur", "U0EVA"))
    assert "*Koblet til Instagram:* konto 17841400000000001" in norsk
    plain_card = text_of(reply_of(vakt, "account fb-main", "U0DINA"))
    assert "Connected to" not in plain_card  # not connected: nothing said

    # The same Instagram account for a second entry: refused beside the field.
    answer = submit(vakt, view, form_values(key="ig-to", feed=None, platform_ids=right))
    assert answer["errors"] == {
        rb.block_id("instagram_user_id"): (
            "`17841400000000001` is already the id of `ig-kultur`: "
            "an account on the platform belongs to one register entry."
        )
    }
    assert account_row(vakt, "ig-to") is None

    # The edit form has it; emptying the field disconnects the account.
    edit = open_form(vakt, "account edit ig-kultur")
    assert initial(edit, "instagram_user_id") == "17841400000000001"
    assert initial(edit, "facebook_page_id") is None
    answer = submit(vakt, edit, form_values(key=None, platform_ids={"instagram_user_id": ""}))
    assert "is saved" in json.dumps(answer["view"])
    row = account_row(vakt, "ig-kultur")
    assert row is not None and row.instagram_user_id is None


def test_the_platform_id_fields_speak_swedish(vakt: Vakt) -> None:
    vakt.fake.users[COORD] = {"locale": "sv-SE"}
    view = open_form(vakt, "konto ny")
    fields = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    page, insta = fields[rb.block_id("facebook_page_id")], fields[rb.block_id("instagram_user_id")]
    assert page["label"]["text"] == "Facebooksidans id"
    assert "Meta Business Suite → Inställningar" in page["hint"]["text"]
    assert insta["label"]["text"] == "Instagramkontots id"
    answer = submit(vakt, view, form_values(platform_ids={"facebook_page_id": "1234567890"}))
    assert answer["errors"] == {
        rb.block_id("facebook_page_id"): (
            "Ett id för en Facebooksida gäller bara ett konto på Facebook (en sida eller en "
            "grupp). Töm fältet, eller välj plattformen."
        )
    }


def test_only_coordinators_get_the_form_and_may_submit_it(vakt: Vakt) -> None:
    for text in ("account add", "account edit fb-main", "konto ny"):
        answer = text_of(reply_of(vakt, text, "U0ANNA"))
        assert "Only coordinators may do that." in answer
    assert vakt.fake.calls_to("views.open") == []
    # A form submitted by someone who is not a coordinator (kept open after losing the role,
    # or forged) is refused and changes nothing.
    view = open_form(vakt, "account add")
    answer = submit(vakt, view, form_values(), user="U0ANNA")
    assert answer["response_action"] == "update"
    assert "Only coordinators" in json.dumps(answer["view"])
    assert account_row(vakt, "ig-kultur") is None and register_audits(vakt) == []


def test_the_key_can_be_given_with_the_command(vakt: Vakt) -> None:
    view = open_form(vakt, "account add yt-kultur")
    assert initial(view, "key") == "yt-kultur"
    answer = text_of(reply_of(vakt, "account add Bad Key"))
    assert "didn't understand" in answer


# ---------------------------------------------------------------- editing


def add_through_form(vakt: Vakt, **changes: Any) -> None:
    view = open_form(vakt, "account add")
    assert submit(vakt, view, form_values(**changes))["response_action"] == "update"


def test_the_edit_button_opens_the_entry_prefilled_and_an_emptied_field_is_cleared(
    vakt_any_db: Vakt,
) -> None:
    vakt = vakt_any_db
    add_through_form(vakt, admins=["U0DINA"])
    card = reply_of(vakt, "account ig-kultur")
    buttons = [
        e
        for b in card["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == rb.ACCOUNT_EDIT
    ]
    assert [b["value"] for b in buttons] == ["ig-kultur"]

    before = len(vakt.fake.calls_to("views.open"))
    body = block_actions_body(
        rb.ACCOUNT_EDIT,
        "ig-kultur",
        user_id=COORD,
        response_url=vakt.fake.response_url("edit"),
        trigger_id="9.8.7",
    )
    assert vakt.signed_post(body).status == 200
    raw = vakt.fake.wait_for("views.open", before + 1)[-1].args["view"]
    view = json.loads(raw) if isinstance(raw, str) else dict(raw)
    vakt.idle()
    assert view["title"]["text"] == "Edit account" and rb.block_id("key") not in block_ids(view)
    assert initial(view, "name") == "Kulturskolen i Testrud"
    assert initial(view, "platform")["value"] == "instagram"
    assert initial(view, "team")["value"] == "kultur"
    assert initial(view, "manager") == "U0KBOSS" and initial(view, "admins") == ["U0DINA"]
    assert initial(view, "end_date") == "2027-06-30" and initial(view, "max_posts_week") == "10"
    assert {o["value"] for o in initial(view, "coordinator_admin")} == {
        "coordinator_admin",
        "credentials_held",
    }
    assert initial(view, "published_channel") == "C0FEED"

    later = NOW + timedelta(hours=2)
    vakt.clock.now = later
    answer = submit(
        vakt,
        view,
        form_values(
            key=None,
            name="Kulturskolen",
            team="komm",
            unit=None,
            manager=None,
            texts={"purpose": None, "plan": None},
            end=None,
            numbers={"max_posts_week": None, "max_posts_day": None},
            access=("credentials_held",),
            feed=None,
        ),
    )
    assert answer["response_action"] == "update" and "is saved" in json.dumps(answer["view"])
    row = account_row(vakt, "ig-kultur")
    assert row is not None and row.name == "Kulturskolen"
    assert (row.unit, row.manager, row.purpose, row.plan, row.end_date) == (
        None,
        None,
        None,
        None,
        None,
    )
    assert row.max_posts_week is None and row.max_posts_day is None
    assert not row.coordinator_admin and row.credentials_held and row.published_channel is None
    assert row.audience and row.updated_at == later
    with Session(vakt.runtime.engine) as session:
        team = session.get(Team, row.team_id)
        assert team is not None and team.key == "komm"
    _, edit = register_audits(vakt)
    before_, after = json.loads(edit.before or "{}"), json.loads(edit.after or "{}")
    assert edit.action == "account.edit" and edit.actor == COORD
    assert before_["unit"] == "Kulturskolen" and after["unit"] is None
    assert before_["team"] == "kultur" and after["team"] == "komm"

    # Saving again unchanged writes nothing.
    answer = submit(
        vakt,
        view,
        form_values(
            key=None,
            name="Kulturskolen",
            team="komm",
            unit=None,
            manager=None,
            texts={"purpose": None, "plan": None},
            end=None,
            numbers={"max_posts_week": None, "max_posts_day": None},
            access=("credentials_held",),
            feed=None,
        ),
    )
    assert "Nothing changed" in json.dumps(answer["view"])
    assert len(register_audits(vakt)) == 2


def test_an_account_declared_in_the_file_stays_read_only(vakt: Vakt) -> None:
    answer = text_of(reply_of(vakt, "account edit fb-main"))
    assert "is declared in" in answer and "vakt.toml" in answer
    card = reply_of(vakt, "account fb-main")
    assert all(b["type"] != "actions" for b in card["blocks"])
    assert "declared in the configuration file" in text_of(card)
    # The button of an older card, pressed anyway: refused.
    count = len(vakt.fake.calls_to("response_url"))
    body = block_actions_body(
        rb.ACCOUNT_EDIT,
        "fb-main",
        user_id=COORD,
        response_url=vakt.fake.response_url("old"),
        trigger_id="9.8.7",
    )
    assert vakt.signed_post(body).status == 200
    refusal = vakt.fake.wait_for("response_url", count + 1)[count].args
    assert "is declared in" in text_of(refusal)
    vakt.idle()
    assert vakt.fake.calls_to("views.open") == []
    # A forged edit submission is refused too.
    view = {
        "callback_id": rb.ACCOUNT_VIEW,
        "private_metadata": '{"mode": "edit", "key": "fb-main"}',
    }
    answer = submit(vakt, view, form_values(key=None, team="komm"))
    assert "is declared in" in json.dumps(answer["view"])
    assert register_audits(vakt) == []


def test_edit_needs_a_key_that_exists(vakt: Vakt) -> None:
    assert "Name the account to edit" in text_of(reply_of(vakt, "account edit"))
    assert "There is no account `nope`" in text_of(reply_of(vakt, "account edit nope"))


# ---------------------------------------------------------------- the card and the listing


def test_the_card_shows_the_whole_entry_in_the_readers_language(vakt: Vakt) -> None:
    add_through_form(vakt, admins=["U0DINA", "U0EVA"])
    row = account_row(vakt, "ig-kultur")
    assert row is not None and row.id is not None
    with Session(vakt.runtime.engine) as session:
        for number, days in enumerate((0, 1, 9)):
            session.add(
                AccountPost(
                    account_id=row.id,
                    external_id=f"p{number}",
                    posted_at=NOW - timedelta(days=days),
                    source="command",
                    created_by="U0DINA",
                    created_at=NOW,
                )
            )
        session.commit()
    card = reply_of(vakt, "account ig-kultur", "U0DINA")
    text = text_of(card)
    assert "Kulturskolen i Testrud" in text and "`ig-kultur`" in text
    assert "Instagram, Open group" in text and "Active" in text
    assert "<@U0DINA>, <@U0EVA>" in text and "<@U0KBOSS>" in text
    assert "*Posts week 48:* 2 (limit 10)" in text and "*Posts today:* 1" in text
    assert "every 6 months" in text and "<#C0FEED>" in text
    assert "Informere elever" in text and "Privacy and confidentiality" in text
    assert "posted today (at least every 7 days)" in text
    assert all(b["type"] != "actions" for b in card["blocks"])  # not a coordinator
    vakt.fake.users["U0EVA"] = {"locale": "nb-NO"}
    norsk = text_of(reply_of(vakt, "konto ig-kultur", "U0EVA"))
    assert "Instagram, Åpen gruppe" in norsk and "Aktiv" in norsk and "Formål" in norsk
    assert "Innlegg uke 48" in norsk
    vakt.fake.users["U0SVEN"] = {"locale": "sv-SE"}  # (Dina's language is known by now)
    svenska = text_of(reply_of(vakt, "konto ig-kultur", "U0SVEN"))
    assert "Öppen grupp" in svenska and "Aktivt" in svenska and "Syfte" in svenska


def make_accounts(vakt: Vakt, count: int, name: str = "Konto") -> None:
    with Session(vakt.runtime.engine) as session:
        teams = list(session.exec(select(Team).order_by(col(Team.key))).all())
        for number in range(count):
            team = teams[number % len(teams)]
            assert team.id is not None
            session.add(
                Account(
                    key=f"acc-{number:04d}",
                    platform="facebook",
                    name=f"{name} {number:04d}",
                    url=f"https://www.facebook.com/testrud-{number:04d}",
                    team_id=team.id,
                    end_date=date(2027, 1, 1),
                    manager="U0KBOSS",
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
        session.commit()


def test_sixty_accounts_fit_in_one_message(vakt: Vakt) -> None:
    make_accounts(vakt, 60)
    message = reply_of(vakt, "accounts", "U0ANNA")
    assert len(message["blocks"]) <= 50
    text = text_of(message)
    assert "61 accounts" in text
    assert all(f"acc-{n:04d}" in text for n in range(60)) and "fb-main" in text
    assert "*Kommunikasjon* (`komm`): 31 accounts" in text
    assert "ends 1 January 2027" in text and "no post recorded (at least every 14 days)" in text
    assert "of 61 accounts shown" not in text


def test_a_register_too_long_for_one_message_is_summarised(vakt: Vakt) -> None:
    make_accounts(vakt, 500, name="Kommunens svært lange kontonavn for et prosjekt " * 3)
    message = reply_of(vakt, "accounts all", "U0ANNA")
    assert len(message["blocks"]) <= 50
    text = text_of(message)
    shown = sum(1 for n in range(500) if f"acc-{n:04d}" in text) + ("fb-main" in text)
    assert 0 < shown < 501
    assert f"{shown} of 501 accounts shown" in text and "vakt export-register" in text


def test_listing_one_team_and_closed_accounts(vakt: Vakt) -> None:
    add_through_form(vakt)
    with Session(vakt.runtime.engine) as session:
        closed = Account(
            key="old-page",
            platform="facebook",
            name="Gammel side",
            url="https://www.facebook.com/gammel",
            team_id=session.exec(select(Team.id).where(Team.key == "kultur")).one() or 0,
            status="closed",
            closed_on=date(2026, 3, 1),
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(closed)
        session.commit()
    kultur = text_of(reply_of(vakt, "accounts kultur", "U0ANNA"))
    assert "ig-kultur" in kultur and "fb-main" not in kultur and "old-page" not in kultur
    closed_list = text_of(reply_of(vakt, "kontoer nedlagt", "U0ANNA"))
    assert "old-page" in closed_list and "ig-kultur" not in closed_list
    assert "Closed" in closed_list
    everything = text_of(reply_of(vakt, "accounts all", "U0ANNA"))
    assert all(k in everything for k in ("old-page", "ig-kultur", "fb-main"))
    unknown = text_of(reply_of(vakt, "accounts nope", "U0ANNA"))
    assert "There is no team `nope`" in unknown
    card = text_of(reply_of(vakt, "account old-page", "U0ANNA"))
    assert "Closed 1 March" in card and "none archived yet" in card
