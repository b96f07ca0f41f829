"""`/vakt` end to end: signed HTTP requests in, replies and DMs out at the fake Slack."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from bot.rota import ids
from bot.store.models import Absence, Account, AuditLog, Override, SwapRequest, Team
from tests.harness import OSLO, Vakt


def rows(vakt: Vakt, model: type) -> list:  # type: ignore[type-arg]
    """Every row of a table in the order it was written (PostgreSQL keeps no order unasked)."""
    with Session(vakt.runtime.engine) as session:
        return list(session.exec(select(model).order_by(col(model.id))).all())  # type: ignore[attr-defined]


def test_who_names_primary_and_substitute(vakt: Vakt) -> None:
    # Week 48 is period 3 from the start in week 45: the cycle is back at the first member.
    text = vakt.command("who")
    assert "On duty: <@U0ANNA>" in text
    assert "Substitute: <@U0BO>" in text
    assert "week 48" in text
    assert "open until 16:00" in text
    vakt.fake.assert_no_errors()


def test_bare_vakt_is_who_and_account_finds_its_team(vakt: Vakt) -> None:
    assert "On duty: <@U0ANNA>" in vakt.command("")
    assert "Kommunikasjon" in vakt.command("who fb-main")


def test_who_when_closed_says_when_it_opens(vakt: Vakt) -> None:
    vakt.clock.now = datetime(2026, 11, 28, 11, 0, tzinfo=OSLO)  # Saturday
    text = vakt.command("who")
    assert "closed" in text and "Monday 30 November" in text and "08:00" in text
    assert "On duty: <@U0ANNA>" in text  # Friday's duty holds until Monday's opening


def test_rota_shows_iso_weeks_and_names(vakt: Vakt) -> None:
    text = vakt.command("rota komm 3")
    assert "Week 48" in text and "Week 49" in text and "Week 50" in text
    assert "Week 51" not in text
    week49 = next(line for line in text.splitlines() if "Week 49" in line)
    assert "<@U0BO>" in week49.split(",")[0]


def test_away_changes_duty_and_is_audited(vakt: Vakt) -> None:
    text = vakt.command("away 2026-11-24 2026-11-25 vacation")
    assert "away Tuesday 24 November – Wednesday 25 November" in text
    vakt.clock.now = datetime(2026, 11, 24, 9, 0, tzinfo=OSLO)
    who = vakt.command("who")
    assert "On duty: <@U0BO>" in who and "Substitute: <@U0CARL>" in who
    assert "Away today: <@U0ANNA>" in who
    rota = vakt.command("rota komm 1")
    assert "<@U0ANNA> away" in rota
    audit = [a for a in rows(vakt, AuditLog) if a.action == "absence.add"]
    assert (
        len(audit) == 1 and audit[0].actor == "U0ANNA" and '"2026-11-25"' in (audit[0].after or "")
    )


@pytest.mark.parametrize(
    ("text", "user", "fragment"),
    [
        ("away 2026-11-01", "U0ANNA", "That date has passed"),
        ("away 2026-12-10 2026-12-01", "U0ANNA", "end date is before the start"),
        ("away ferie", "U0ANNA", "A date or week is missing"),
        ("away 2026-13-40", "U0ANNA", "can't read the date"),
        ("away v60", "U0ANNA", "not a week number"),
        ("away tomorrow", "U0STRANGER", "Only team members"),
        ("away <@U0BO|bo> tomorrow", "U0ANNA", "Only coordinators"),
        ("away @bo tomorrow", "U0COORD1", "pick the person from Slack"),
        ("back", "U0ANNA", "No absence is registered for today"),
        ("swap v49", "U0ANNA", "Mention the colleague"),
        ("swap <@U0ANNA> v49", "U0ANNA", "can't swap with yourself"),
        ("cover <@U0BO> <@U0ANNA> tomorrow", "U0ANNA", "Only coordinators"),
        ("team new web Nett", "U0ANNA", "Only coordinators"),
        ("team members komm <@U0BO> <@U0ANNA>", "U0COORD1", "is declared in"),
        ("team rotation web monthly", "U0COORD1", "no team `web`"),
        ("rota komm 99", "U0ANNA", "between 1 and 26 weeks"),
        ("who nowhere", "U0ANNA", "no team or account called `nowhere`"),
        ("fly away", "U0ANNA", "don't know the command `fly`"),
    ],
)
def test_bad_input_gets_a_short_answer_and_changes_nothing(
    vakt: Vakt, text: str, user: str, fragment: str
) -> None:
    before = len(rows(vakt, AuditLog))
    answer = vakt.command(text, user=user)
    assert fragment in answer
    assert "Traceback" not in answer
    assert len(rows(vakt, AuditLog)) == before
    assert rows(vakt, Absence) == [] and rows(vakt, SwapRequest) == []


def test_usage_is_shown_with_input_errors(vakt: Vakt) -> None:
    answer = vakt.command("away 2026-13-40")
    # As sent, escaped for mrkdwn: Slack shows `/vakt away <from> [<to>] [reason]`.
    assert "/vakt away &lt;from&gt; [&lt;to&gt;] [reason]" in answer


def test_answers_in_the_users_slack_language(vakt: Vakt) -> None:
    vakt.fake.users["U0BO"] = {"locale": "sv-SE"}
    vakt.fake.users["U0CARL"] = {"locale": "nb-NO"}
    assert "Ersättare" in vakt.command("who", user="U0BO")
    assert "uke 48" in vakt.command("who", user="U0CARL")


def test_nordic_words_for_commands_and_dates(vakt: Vakt) -> None:
    vakt.fake.users["U0BO"] = {"locale": "nb-NO"}
    answer = vakt.command("borte i morgen syk", user="U0BO")
    assert "24. november" in answer
    (absence,) = rows(vakt, Absence)
    assert absence.kind == "sick" and absence.user_id == "U0BO"


def test_back_ends_todays_absence(vakt: Vakt) -> None:
    vakt.command("away today tomorrow")
    assert "Welcome back" in vakt.command("back")
    (absence,) = rows(vakt, Absence)
    assert absence.cancelled_at is not None  # it started today, so it is withdrawn
    assert "On duty: <@U0ANNA>" in vakt.command("who")


def test_absence_list_and_cancel_button(vakt: Vakt) -> None:
    vakt.command("away v50 ferie")
    listing = vakt.command("away")
    assert "Monday 7 December – Sunday 13 December" in listing and "Cancel" in listing
    (absence,) = rows(vakt, Absence)
    assert "cancelled" in vakt.press(ids.ABSENCE_CANCEL, str(absence.id), user="U0ANNA")
    assert rows(vakt, Absence)[0].cancelled_at is not None
    # Someone else's absence cannot be cancelled by a plain member.
    vakt.command("away v51", user="U0BO")
    other = next(a for a in rows(vakt, Absence) if a.user_id == "U0BO")
    assert "Only coordinators" in vakt.press(ids.ABSENCE_CANCEL, str(other.id), user="U0CARL")


def test_coordinator_registers_departure(vakt: Vakt) -> None:
    answer = vakt.command("away <@U0CARL|carl> 2026-12-01 left", user="U0COORD1")
    assert "left the job" in answer
    vakt.clock.now = datetime(2027, 3, 1, 9, 0, tzinfo=OSLO)
    for _ in range(6):
        text = vakt.command("who")
        assert "U0CARL" not in text
        vakt.clock.now += timedelta(days=7)


def _swap_request(vakt: Vakt) -> SwapRequest:
    answer = vakt.command("swap <@U0BO|bo> v49")
    assert "Sent" in answer
    (request,) = rows(vakt, SwapRequest)
    return request


def test_swap_accept_changes_the_rota_and_tells_both(vakt: Vakt) -> None:
    request = _swap_request(vakt)
    to_bo = vakt.wait_sent("U0BO")
    assert len(to_bo) == 1 and "asks you to swap" in vakt.reply_text(to_bo[0])
    assert "Accept" in vakt.reply_text(to_bo[0]) and "Decline" in vakt.reply_text(to_bo[0])
    assert "Withdraw" in vakt.reply_text(vakt.wait_sent("U0ANNA")[0])
    # Before the answer the rota is unchanged: Bo has week 49.
    vakt.clock.now = datetime(2026, 12, 1, 10, 0, tzinfo=OSLO)
    assert "On duty: <@U0BO>" in vakt.command("who")
    # Only Bo may answer.
    assert "not yours" in vakt.press(ids.SWAP_ACCEPT, str(request.id), user="U0CARL")
    assert "You accepted" in vakt.press(ids.SWAP_ACCEPT, str(request.id), user="U0BO")
    assert "On duty: <@U0ANNA>" in vakt.command("who")
    (override,) = rows(vakt, Override)
    assert (override.kind, override.user_id, override.other_id) == ("swap", "U0ANNA", "U0BO")
    assert any("Swap agreed" in vakt.reply_text(m) for m in vakt.wait_sent("U0ANNA", 2))
    assert any("Swap agreed" in vakt.reply_text(m) for m in vakt.wait_sent("U0BO", 2))
    # A second press changes nothing.
    assert "already been accepted" in vakt.press(ids.SWAP_ACCEPT, str(request.id), user="U0BO")
    assert len(rows(vakt, Override)) == 1


def test_swap_decline_and_withdraw(vakt: Vakt) -> None:
    request = _swap_request(vakt)
    assert "You declined" in vakt.press(ids.SWAP_DECLINE, str(request.id), user="U0BO")
    assert rows(vakt, Override) == []
    assert any("declined" in vakt.reply_text(m) for m in vakt.wait_sent("U0ANNA", 2))
    vakt.command("swap <@U0BO|bo> v50")
    second = max(rows(vakt, SwapRequest), key=lambda r: r.id or 0)
    assert "withdrew" in vakt.press(ids.SWAP_WITHDRAW, str(second.id), user="U0ANNA")
    assert "withdrawn" in vakt.press(ids.SWAP_ACCEPT, str(second.id), user="U0BO")
    assert rows(vakt, Override) == []


def test_coordinator_cover(vakt: Vakt) -> None:
    answer = vakt.command("cover <@U0DORA|dora> <@U0ANNA|anna> today", user="U0COORD1")
    assert "covers" in answer
    assert "On duty: <@U0DORA>" in vakt.command("who")
    assert "Cancelled 1" in vakt.command("uncover <@U0DORA> <@U0ANNA>", user="U0COORD1")
    assert "On duty: <@U0ANNA>" in vakt.command("who")


def test_coordinator_builds_a_team_from_slack(vakt: Vakt) -> None:
    c = "U0COORD1"
    assert "created" in vakt.command("team new web Nettredaksjonen", user=c)
    assert "rotation order" in vakt.command("team members web <@U0EVA|eva> <@U0FRED>", user=c)
    assert "C0WEB" in vakt.command("team channel web <#C0WEB|nett>", user=c)
    assert "U0BOSS" in vakt.command("team manager web <@U0BOSS>", user=c)
    assert "daily" in vakt.command("team rotation web daily 2026-11-23", user=c)
    assert "watched by team" in vakt.command(
        "account new ig-web instagram web https://www.instagram.com/testrud Testrud på Instagram",
        user=c,
    )
    who = vakt.command("who web")
    assert "On duty: <@U0EVA>" in who and "Substitute: <@U0FRED>" in who
    teams = vakt.command("teams")
    assert "Nettredaksjonen" in teams and "managed in" in teams  # komm is from the file
    team = next(t for t in rows(vakt, Team) if t.key == "web")
    assert (team.channel, team.manager, team.rotation, team.managed) == (
        "C0WEB",
        "U0BOSS",
        "daily",
        False,
    )
    actions = [a.action for a in rows(vakt, AuditLog) if a.actor == c]
    assert actions == [
        "team.create",
        "team.members",
        "team.channel",
        "team.manager",
        "team.rotation",
        "account.create",
    ]


def test_a_team_is_built_with_the_norwegian_and_swedish_words_the_help_shows(vakt: Vakt) -> None:
    c = "U0COORD1"
    assert "created" in vakt.command("team ny web Nettredaksjonen", user=c)
    assert "rotation order" in vakt.command("team medlemmer web <@U0EVA|eva>", user=c)
    assert "daily" in vakt.command("team turnus web daglig 2026-11-23", user=c)
    assert "weekly" in vakt.command("team rotasjon web ukentlig", user=c)
    assert "weekly" in vakt.command("team rotation web veckovis", user=c)
    assert "C0WEB" in vakt.command("team kanal web <#C0WEB|nett>", user=c)
    assert "No current or future cover" in vakt.command("fjern-inhopp <@U0DORA> <@U0ANNA>", user=c)
    team = next(t for t in rows(vakt, Team) if t.key == "web")
    assert (team.channel, team.rotation) == ("C0WEB", "weekly")


def test_help_shows_coordinator_commands_to_coordinators_only(vakt: Vakt) -> None:
    assert "For coordinators" not in vakt.command("help")
    assert "For coordinators" in vakt.command("help", user="U0COORD1")


def test_requests_without_a_valid_signature_are_refused(vakt: Vakt) -> None:
    from tests.fakeslack import sign, slash_command_body

    body = slash_command_body("who", response_url=vakt.fake.response_url("x"))
    unsigned = vakt.post(
        "/slack/events", body.encode(), {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert unsigned.status == 401
    wrong = sign(body, "not-the-secret", int(datetime.now().timestamp()))
    assert (
        vakt.post(
            "/slack/events",
            body.encode(),
            {**wrong, "Content-Type": "application/x-www-form-urlencoded"},
        ).status
        == 401
    )
    stale = sign(body, "test-signing-secret", int(datetime.now().timestamp()) - 600)
    assert (
        vakt.post(
            "/slack/events",
            body.encode(),
            {**stale, "Content-Type": "application/x-www-form-urlencoded"},
        ).status
        == 401
    )
    assert vakt.fake.calls_to("response_url") == []


def test_healthz_and_unknown_paths(vakt: Vakt) -> None:
    assert vakt.get("/healthz").json() == {"ok": True}
    assert vakt.get("/nope").status == 404


def test_an_overlapping_absence_is_refused_and_nothing_is_added(vakt: Vakt) -> None:
    assert "away" in vakt.command("away tomorrow")
    again = vakt.command("away tomorrow")
    assert (
        "<@U0ANNA> is already registered away Tuesday 24 November, which overlaps: nothing was "
        "added. Cancel that absence first (`/vakt back`, or Cancel under `/vakt away`), or give "
        "dates outside it."
    ) in again
    assert "already registered away" in vakt.command("away 2026-11-23 2026-11-30 vacation")
    assert "away" in vakt.command("away 2026-11-25")  # the day after: no overlap
    assert len([a for a in rows(vakt, Absence) if a.cancelled_at is None]) == 2
    assert len([a for a in rows(vakt, AuditLog) if a.action == "absence.add"]) == 2


def test_yesterday_is_a_date_in_every_language(vakt: Vakt) -> None:
    for text in ("away tomorrow yesterday", "borte i morgen i går", "borta imorgon igår"):
        assert "end date is before the start" in vakt.command(text), text
    assert "That date has passed" in vakt.command("away yesterday")
    assert rows(vakt, Absence) == []


def test_team_and_account_names_are_shown_literally_never_as_markup(vakt: Vakt) -> None:
    # Names come from the config file, `vakt import` or a coordinator's command: `&`, `<` and
    # `>` in one must never become a ping, a mention or a link in who, teams or status.
    with Session(vakt.runtime.engine) as session:
        team = session.exec(select(Team).where(col(Team.key) == "komm")).one()
        team.name = "Kultur & <!channel>"
        account = session.exec(select(Account).where(col(Account.key) == "fb-main")).one()
        account.name = "Facebook <@U0EVIL>"
        session.commit()
    for command in ("who", "teams", "status"):
        text = vakt.command(command, user="U0COORD1")
        assert "Kultur &amp; &lt;!channel&gt;" in text, (command, text)
        assert "<!channel>" not in text and "<@U0EVIL>" not in text, (command, text)
    assert "Facebook &lt;@U0EVIL&gt;" in vakt.command("who")
