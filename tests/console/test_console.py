"""`vakt console`: the REPL on an input stream over the Norberg demo (the real app, database
and jobs with the stand-in Slack), and the real command through a pseudo-terminal."""

from __future__ import annotations

import io
import os
import re
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pexpect
import pytest
from PIL import Image
from slack_sdk import WebClient

from bot.console import demo
from bot.console.repl import Repl, TimeError, parse_when, stream_reader
from bot.console.session import ConsoleSession
from bot.console.slack import StandInSlack, User
from bot.slackkit.gateway import SlackGateway
from bot.slackkit.outbox import Attachment
from tests.waiting import PATIENCE

STOCKHOLM = ZoneInfo("Europe/Stockholm")
MONDAY = datetime(2026, 11, 23, 9, 5, tzinfo=STOCKHOLM)


@pytest.fixture
def console(tmp_path: Path) -> Iterator[ConsoleSession]:
    # Monday 09:05: the office is open, the week's handovers and report have gone out.
    session = demo.start(
        "norberg",
        tmp_path,
        lang=None,
        at=lambda text, tz: datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz)),
        at_text="2026-11-23T09:05",
    )
    yield session
    session.close()


def run(session: ConsoleSession, *lines: str) -> str:
    out = io.StringIO()
    Repl(session, out).run(stream_reader(io.StringIO("".join(f"{x}\n" for x in lines)), out))
    return out.getvalue()


def test_who_then_a_button_closes_an_item_and_its_card_is_updated(
    console: ConsoleSession,
) -> None:
    out = run(console, "/vakt who", "/vakt unanswered", "[BESVARAD]", "1", ":quit")
    assert "Du är @Karin Sjöberg (samordnare) · mån 23 nov. 2026 09:05 (vecka 48)" in out
    who = out.split("› /vakt who")[1].split("›")[0]
    assert "bara du ser · #console · Vakt · 09:05" in who
    assert "Har bevakningen: @Anna Lindqvist" in who and "Ersättare: @Björn Ek" in who
    listing = out.split("› /vakt unanswered")[1].split("› [BESVARAD]")[0]
    assert listing.count("[Besvarad") == 5 and "[Besvarad·5]" in listing
    pressed = out.split("› [BESVARAD]")[1]
    assert "(uppdaterat)" in pressed and re.search(r"besvarad av @Karin\s+Sjöberg", pressed)
    # The item's card in the team channel was changed too (chat.update by the listener).
    assert "#komm-vakt (uppdaterat) · Vakt" in pressed


def test_as_time_and_intake_show_the_digest_and_the_card(console: ConsoleSession) -> None:
    out = run(
        console,
        ":as anna",
        ":time tomorrow 09:05",
        ':intake fb-kommun "När öppnar biblioteket?"',
        ":quit",
    )
    assert "Nu är du @Anna Lindqvist (Kommunikation)." in out
    assert "Anna Lindqvist · tis 24 nov. 09:05 ›" in out
    moved = out.split("› :time tomorrow 09:05")[1].split("› :intake")[0]
    assert re.search(
        r"⏩ tis 24 nov\. 2026 09:05 \(vecka 48\): jobben kördes, \d+ meddelande", moved
    )
    assert "── DM till @Anna Lindqvist · Vakt · 09:05" in moved
    assert "Obesvarade frågor" in moved and "Försenade: 2" in moved
    card = out.split("› :intake")[1]
    assert "── #komm-vakt · Vakt · 09:05" in card and "> När öppnar biblioteket?" in card


def test_bad_input_gets_a_short_answer_never_a_traceback(console: ConsoleSession) -> None:
    out = run(
        console,
        "/vakt frobnicate",
        "/help",
        ":time yesterday",
        ":time 2026-11-20 09:00",
        ":as @nobody",
        ':intake fb-nowhere "hej"',
        ":intake",
        ":bogus",
        "press me",
    )
    assert "Traceback" not in out
    assert "› /vakt frobnicate\n\n── bara du ser" in out  # Vakt's own localised answer
    assert "Bara /vakt är ett kommando här" in out
    assert "Kan inte läsa den tiden" in out
    assert "Klockan går bara framåt: den är mån 23 nov. 2026 09:05" in out
    assert "Ingen här heter '@nobody'" in out
    assert "Inget konto 'fb-nowhere'. Konton: fb-kommun, ig-kommun, fb-biblioteket." in out
    assert 'Så här: :intake <konto> "frågan"' in out
    assert "Okänt :bogus" in out
    assert "Inget att göra med 'press me'" in out
    assert out.rstrip().endswith("›")  # the end of the input ends the console


def test_a_modal_is_asked_field_by_field_and_submitted(console: ConsoleSession, tmp_path: Path):
    shot = tmp_path / "skarmbild.png"
    Image.new("RGB", (64, 48), (240, 240, 240)).save(shot, format="PNG")
    out = run(
        console,
        "/vakt unanswered",
        "raderad",  # an item's "Raderad…": the deletion modal
        "1",  # the first item's (there are five)
        "2",  # account: a number from the list
        "",  # deleted at: keep the time shown
        "8",  # reason: spam
        "",
        "",
        "",
        "/no/such/file.png",  # asked again
        str(shot),
        "",
        "7",  # out of range: asked again
        "1",
        "@ghost",  # nobody: asked again
        "@maria",
        "",
        ":quit",
    )
    assert "┃ Logga radering" in out
    assert "Ingen fil på /no/such/file.png." in out
    assert "Välj en siffra från 1 till 3." in out
    assert "Ingen här heter '@ghost'" in out
    assert "Raderingar" in out or "Radering #2" in out
    assert "skarmbild.png är arkiverad" in out


def test_cancel_closes_a_modal_without_submitting(console: ConsoleSession) -> None:
    out = run(console, "/vakt unanswered", "raderad 1", ":cancel", ":quit")
    assert "Stängt utan att skicka." in out
    assert "Radering #2" not in out


@pytest.mark.parametrize(
    ("lang", "swap", "others"),
    [
        (
            "en",
            "`/vakt swap @colleague <week | from to>`",
            ("`/vakt away <from> [<to>]", "`/vakt posted <account> [date time]`"),
        ),
        (
            "sv",
            "`/vakt byt @kollega <vecka | från till>`",
            ("`/vakt borta <från> [<till>]", "`/vakt postat <konto> [datum tid]`"),
        ),
    ],
)
def test_usage_hints_read_as_written(
    tmp_path: Path, lang: str, swap: str, others: tuple[str, ...]
) -> None:
    session = demo.start(
        "norberg",
        tmp_path,
        lang=lang,
        at=lambda text, tz: datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz)),
        at_text="2026-11-23T09:05",
    )
    try:
        out = run(session, "/vakt help", "/vakt swap v49", ":quit")
    finally:
        session.close()
    # Wrapping splits lines at spaces only: on one line, each hint reads as written.
    help_text, error = (" ".join(part.split()) for part in out.split("› /vakt swap v49"))
    assert swap in help_text and all(hint in help_text for hint in others)
    assert swap in error
    assert "&lt;" not in out and "&gt;" not in out and "&amp;" not in out


def test_parse_when() -> None:
    assert parse_when("+1d", MONDAY, STOCKHOLM) == datetime(2026, 11, 24, 9, 5, tzinfo=STOCKHOLM)
    assert parse_when("+2h30m", MONDAY, STOCKHOLM).hour == 11
    assert parse_when("2026-12-28 09:05", MONDAY, STOCKHOLM) == datetime(
        2026, 12, 28, 9, 5, tzinfo=STOCKHOLM
    )
    assert parse_when("2026-12-28T10:00", MONDAY, STOCKHOLM).hour == 10
    assert parse_when("13:00", MONDAY, STOCKHOLM) == MONDAY.replace(hour=13, minute=0)
    # "monday" on a Monday is next week's.
    assert parse_when("monday 08:00", MONDAY, STOCKHOLM).day == 30
    assert parse_when("friday", MONDAY, STOCKHOLM).day == 27
    for bad in ("", "soon", "+1y", "25:00", "2026-02-30 09:00", "monday 9 am"):
        with pytest.raises(TimeError):
            parse_when(bad, MONDAY, STOCKHOLM)


def test_files_shared_with_files_upload_v2_are_saved(tmp_path: Path) -> None:
    slack = StandInSlack(
        [User("U0ANNA", "Anna")],
        {"C0KOMM": "kommunikation"},
        clock=lambda: MONDAY,
        files_dir=tmp_path / "files",
    ).start()
    try:
        gateway = SlackGateway(WebClient(token="xoxb-console", base_url=slack.api_url))
        chart = Attachment("week-48.png", "Vecka 48", b"\x89PNG" + b"1" * 2048)
        table = Attachment("week-48.csv", "Vecka 48 (CSV)", b"team;median\nkomm;3.5\n")
        gateway.upload_files("U0ANNA", (chart, table), "Veckorapport")
        gateway.upload_files("C0KOMM", (chart,), "Again")
        assert gateway.client.api_call("nothing.here").get("error") is None  # unreachable
    except Exception as error:  # the unknown method is refused, not raised as ok
        assert "unknown_method" in str(error)
    finally:
        slack.close()
    files = [e for e in slack.take_events() if e.kind == "files"]
    assert [e.channel for e in files] == ["D0ANNA", "C0KOMM"]
    assert [f.name for f in files[0].files] == ["week-48.png", "week-48.csv"]
    assert files[0].files[1].path.read_bytes() == b"team;median\nkomm;3.5\n"
    assert files[1].files[0].path.name == "week-48-2.png"  # the first one is not overwritten


def test_vakt_console_through_a_pseudo_terminal(tmp_path: Path) -> None:
    """The real command, as a newcomer types it."""
    vakt = Path(sys.executable).with_name("vakt")
    env = {**os.environ, "NO_COLOR": "1", "TMPDIR": str(tmp_path), "COLUMNS": "100"}
    child = pexpect.spawn(
        str(vakt),
        ["console", "--preset", "norberg"],
        env=env,
        encoding="utf-8",
        timeout=PATIENCE,
        dimensions=(40, 100),
    )
    try:
        # The demo starts before Monday's opening; the README's first step is `:time 08:05`.
        child.expect_exact("Karin Sjöberg · mån 23 nov. 07:55 › ")
        child.sendline(":time 08:05")
        child.expect_exact("Veckorapport – vecka 47")
        child.expect(r"📎 vakt-2026-W47\.png \(\d+ KB\) → ")
        child.expect_exact("Karin Sjöberg · mån 23 nov. 08:05 › ")
        child.sendline(":time 09:05")
        child.expect_exact("Karin Sjöberg · mån 23 nov. 09:05 › ")
        child.sendline("/vakt who")
        child.expect_exact("Har bevakningen: @Anna Lindqvist")
        child.expect_exact("› ")
        child.sendline("/vakt unanswered")
        child.expect_exact("[Besvarad·5]")
        child.expect_exact("› ")
        child.sendline("besvarad")
        child.expect_exact("5 knappar [Besvarad] kan du trycka på. Vilken?")
        child.expect_exact("en siffra (Enter: inget trycks) › ")
        child.sendline("1")
        child.expect_exact("(uppdaterat)")
        child.expect_exact("besvarad av @Karin Sjöberg")
        child.expect_exact("› ")
        child.sendline(":as @anna")
        child.expect_exact("Nu är du @Anna Lindqvist")
        child.sendline(":time +1d")
        child.expect(r"⏩ tis 24 nov\. 2026 09:05 \(vecka 48\)")
        child.expect_exact("── DM till @Anna Lindqvist · Vakt · 09:05")
        child.expect_exact("Anna Lindqvist · tis 24 nov. 09:05 › ")
        child.sendline(':intake fb-kommun "När öppnar biblioteket?"')
        child.expect_exact("> När öppnar biblioteket?")
        child.expect_exact("› ")
        child.sendline(":time last week")
        child.expect_exact("Kan inte läsa den tiden")
        child.sendline(":quit")
        child.expect(r"Hej då\. Demons databas är borta; filerna Vakt delade finns i (\S+)")
        files = Path(child.match.group(1))
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert "Traceback" not in (child.before or "")
    assert child.exitstatus == 0
    # Thrown away, as the README says: only the files Vakt shared (the report's chart) stay.
    assert not list(tmp_path.rglob("*.sqlite3*")) and not list(tmp_path.rglob("vakt.log"))
    assert [p.name for p in files.parent.iterdir()] == ["files"]
    assert any(p.suffix == ".png" for p in files.iterdir())


def test_people_typed_by_name_are_sent_as_mentions(console: ConsoleSession) -> None:
    out = run(console, "/vakt away @björn", "/vakt away @Anna Lindqvist", "/vakt away @U0MARIA")
    assert "Frånvaro för @Björn Ek" in out
    assert "@Anna Lindqvist har ingen registrerad frånvaro" in out
    assert "@Maria Holm har ingen registrerad frånvaro" in out


def test_an_unknown_or_ambiguous_name_is_asked_about_not_sent(console: ConsoleSession) -> None:
    console.workspace.users["U0ANNAB"] = "Anna Berg"
    out = run(
        console,
        "/vakt away @nobody",
        "",  # not sent
        "/vakt away @lind",
        "1",  # Anna Lindqvist
        "/vakt away @anna",
        "2",  # Anna Berg
        "/vakt away @anna",
        ":who",  # not sent: the line is what it says
    )
    unknown = out.split("› /vakt away @nobody")[1].split("› /vakt away @lind")[0]
    assert "Ingen här heter @nobody. Vem menas?" in unknown and "Inte skickat." in unknown
    assert "  1) @Karin Sjöberg (U0KARIN)" in unknown and "Vakt ·" not in unknown
    slip = out.split("› /vakt away @lind")[1].split("› /vakt away @anna")[0]
    assert "  1) @Anna Lindqvist (U0ANNA)" in slip and "  2)" not in slip
    assert "@Anna Lindqvist har ingen registrerad frånvaro" in slip
    first, second = out.split("› /vakt away @anna")[1:]
    assert "@anna är mer än en person här. Vem menas?" in first
    assert "  1) @Anna Lindqvist (U0ANNA)\n  2) @Anna Berg (U0ANNAB)" in first
    assert "@Anna Berg har ingen registrerad frånvaro" in first
    assert "Inte skickat." in second and "→ @Karin Sjöberg" in second and "Vakt ·" not in second


def test_a_label_presses_only_a_button_the_user_can_see(console: ConsoleSession) -> None:
    out = run(
        console,
        ":time 13:00",  # the second reminder: digests to David and Anna, in their DMs
        "besvarad",
        "besvarad 2",
        ":as anna",
        "besvarad",  # her digest has two: which one?
        "2",
        ":as david",
        ":home",
        "besvarad",  # his Home tab's only one
    )
    karin = out.split("› besvarad\n", 1)[1].split("› :as anna")[0]
    assert "[Besvarad] är till för @David Nyström att trycka på, inte dig: :as david" in karin
    assert "[Besvarad·2] är till för @Anna Lindqvist att trycka på, inte dig: :as anna" in karin
    assert "(uppdaterat)" not in karin
    anna = out.split("› :as anna")[1].split("› :as david")[0]
    assert "2 knappar [Besvarad] kan du trycka på. Vilken?" in anna
    assert re.search(r"  1\) \[Besvarad·2\] DM till @Anna Lindqvist – #1 Norbergs kommun", anna)
    assert re.search(r"  2\) \[Besvarad·3\] DM till @Anna Lindqvist – #2 Norbergs kommun", anna)
    pressed = " ".join(anna.split("› 2")[1].split())
    assert "#2 Norbergs kommun" in pressed.split("besvarad av @Anna Lindqvist")[0]
    assert "[Besvarad]" in pressed.split("#2 Norbergs kommun")[0]  # #1 is left open
    david = out.split("› :home")[1]
    assert "Vilken?" not in david and "#kultur-fritid (uppdaterat)" in david


def test_a_channel_button_is_for_its_members(console: ConsoleSession) -> None:
    out = run(console, ':intake fb-biblioteket "Har ni lånekort för barn?"', ":as anna", "besvarad")
    assert "#kultur-fritid · Vakt" in out
    assert "[Besvarad] finns i #kultur-fritid, där du inte är medlem." in out
