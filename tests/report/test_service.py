"""The weekly report gathered from real tables (SQLite and PostgreSQL): items, deletions,
snapshots, flags and gaps per team; a manager's report holds only their teams; the CSV holds
the message's figures; the chart is a deterministic PNG."""

from __future__ import annotations

import csv
import io
import struct
from datetime import date, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.items.core import Status
from bot.kernel.config import OrgConfig, parse_config
from bot.register.sync import apply_config
from bot.report import blocks as rb
from bot.report import core
from bot.report import service as report
from bot.report.chart import chart_png
from bot.store.db import session_scope
from bot.store.models import Account, AccountFlag, Deletion, Gap, Item, Team
from tests.harness import OSLO

CONFIG = """
[organisation]
name = "Testrud kommune"
country = "NO"
timezone = "Europe/Oslo"
language = "nb"
coordinators = ["U0COORD1"]
coordinator_channel = "C0COMMS"

[office_hours]
monday = "08:00-16:00"
tuesday = "08:00-16:00"
wednesday = "08:00-16:00"
thursday = "08:00-16:00"
friday = "08:00-16:00"

[[team]]
key = "komm"
name = "Kommunikasjon"
channel = "C0TEAM1"
manager = "U0BOSS"
members = ["U0ANNA", "U0BO"]
rotation = "weekly"
start = "2026-11-02"

[[team]]
key = "kultur"
name = "Kultur og fritid"
manager = "U0KBOSS"
members = ["U0KARI"]
rotation = "weekly"
start = "2026-11-02"

[[team]]
key = "idrett"
name = "Idrett"
manager = "U0BOSS"
members = ["U0IDA", "U0IVAR"]
rotation = "weekly"
start = "2026-11-02"

[[account]]
key = "fb-main"
platform = "facebook"
name = "Testrud kommune"
url = "https://www.facebook.com/testrud"
team = "komm"
created = "2020-01-01"
snapshot_months = 6

[[account]]
key = "fb-kultur"
platform = "facebook"
name = "Kultur i Testrud"
url = "https://www.facebook.com/testrudkultur"
team = "kultur"
created = "2026-10-01"

[[account]]
key = "fb-idrett"
platform = "facebook"
name = "Idrett i Testrud"
url = "https://www.facebook.com/testrudidrett"
team = "idrett"
created = "2026-10-01"
"""

MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=OSLO)  # ISO week 48; the report covers week 47
W47 = core.Week(2026, 47)


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=OSLO)


class Org:
    """A municipality with three teams and what happened in it, in real tables."""

    def __init__(self, engine: Engine, text: str = CONFIG) -> None:
        self.engine = engine
        self.config: OrgConfig = parse_config(text, "vakt.toml")
        self.calendar = self.config.calendar()
        self.serial = 0
        with session_scope(engine) as session:
            apply_config(session, self.config, MONDAY - timedelta(days=90))

    def account_id(self, key: str) -> int:
        with Session(self.engine) as session:
            account = session.exec(select(Account).where(Account.key == key)).one()
            assert account.id is not None
            return account.id

    def team_id(self, key: str) -> int:
        with Session(self.engine) as session:
            team = session.exec(select(Team).where(Team.key == key)).one()
            assert team.id is not None
            return team.id

    def item(
        self,
        account: str,
        received: datetime,
        closed: datetime | None = None,
        status: str = Status.ANSWERED,
    ) -> None:
        self.serial += 1
        with session_scope(self.engine) as session:
            session.add(
                Item(
                    account_id=self.account_id(account),
                    source="command",
                    external_id=f"x{self.serial}",
                    received_at=received,
                    deadline=self.calendar.deadline(received, 1),
                    status=status if closed is not None else Status.OPEN,
                    closed_at=closed,
                    closed_by="U0ANNA" if closed is not None else None,
                    created_by="U0ANNA",
                    created_at=received,
                )
            )

    def deletion(self, account: str, logged: datetime, complete: bool) -> None:
        with session_scope(self.engine) as session:
            session.add(
                Deletion(
                    account_id=self.account_id(account),
                    deleted_at=logged,
                    logged_by="U0ANNA",
                    logged_at=logged,
                    completed_at=logged + timedelta(hours=1) if complete else None,
                )
            )

    def flag(self, account: str, raised: datetime, resolved: bool = False) -> None:
        account_id = self.account_id(account)
        with session_scope(self.engine) as session:
            session.add(
                AccountFlag(
                    account_id=account_id,
                    kind="inactive",
                    open_key=None if resolved else f"{account_id}:inactive",
                    raised_at=raised,
                    last_raised_on=raised.date(),
                    resolved_at=raised + timedelta(days=1) if resolved else None,
                )
            )

    def gap(self, team: str, start: date, kind: str, closed: bool = False) -> None:
        with session_scope(self.engine) as session:
            session.add(
                Gap(
                    team_id=self.team_id(team),
                    period_start=start,
                    kind=kind,
                    days=",".join((start + timedelta(days=d)).isoformat() for d in range(5)),
                    opened_at=MONDAY - timedelta(days=3),
                    closed_at=MONDAY if closed else None,
                )
            )

    def report(self, team_ids: list[int] | None = None, now: datetime = MONDAY) -> report.Report:
        with Session(self.engine) as session:
            return report.report_for(
                session, self.config, self.calendar, W47, now, team_ids=team_ids
            )


def busy_week(org: Org) -> None:
    """Week 47 in Testrud: known working times, an older week, and the archive's and register's
    news."""
    # Kommunikasjon: answered after 1, 2, 3 and 10 working hours; one referred.
    org.item("fb-main", at(11, 16, 8), at(11, 16, 9))
    org.item("fb-main", at(11, 16, 8), at(11, 16, 10))
    org.item("fb-main", at(11, 17, 8), at(11, 17, 11))
    org.item("fb-main", at(11, 18, 8), at(11, 19, 10))  # 8 h + 2 h: within Thursday 16:00
    org.item("fb-main", at(11, 18, 9), at(11, 18, 9, 30), Status.REFERRED)
    # Thursday 15:00, due Friday 16:00, still open: overdue on Monday.
    org.item("fb-main", at(11, 19, 15), None)
    # Kultur: Friday 15:00 → Wednesday 09:00 of week 47: 1 h + 16 h + 1 h = 18 h, late.
    org.item("fb-kultur", at(11, 13, 15), at(11, 18, 9))
    # Idrett: received on Saturday, answered Monday 08:30 (30 min); an item in week 45 too.
    org.item("fb-idrett", at(11, 14, 11), at(11, 16, 8, 30))
    org.item("fb-idrett", at(11, 3, 9), at(11, 3, 13))
    # Archive: two deletions in week 47 (one complete), one the week before.
    org.deletion("fb-main", at(11, 17, 10), complete=True)
    org.deletion("fb-kultur", at(11, 19, 10), complete=False)
    org.deletion("fb-main", at(11, 10, 10), complete=False)
    # Register: an open flag raised in week 47, an older open one, a resolved one.
    org.flag("fb-kultur", at(11, 16, 9))
    org.flag("fb-idrett", at(10, 5, 9))
    org.flag("fb-main", at(11, 17, 9), resolved=True)
    # Rota: a gap ahead for Kultur, a closed one for Idrett.
    org.gap("kultur", date(2026, 12, 7), "nobody")
    org.gap("idrett", date(2026, 11, 30), "no_substitute", closed=True)


def test_the_figures_per_team_and_in_total(engine: Engine) -> None:
    org = Org(engine)
    busy_week(org)
    rep = org.report()
    teams = {r.team.key: r for r in rep.teams}
    assert list(teams) == ["idrett", "komm", "kultur"]

    komm = teams["komm"].figures
    assert (komm.received, komm.answered, komm.closed_other) == (6, 4, 1)
    # 1, 2, 3, 10 hours: the median between 2 and 3, p90 at 3 + 0.7 × 7 = 7.9 hours.
    assert komm.median == timedelta(hours=2, minutes=30)
    assert komm.p90 == timedelta(hours=7, minutes=54)
    assert komm.within_deadline == 4
    assert teams["komm"].overdue == 1

    kultur = teams["kultur"].figures
    assert (kultur.received, kultur.answered, kultur.within_deadline) == (0, 1, 0)
    assert kultur.median == timedelta(hours=18)

    idrett = teams["idrett"]
    assert idrett.figures.median == timedelta(minutes=30)
    # Its week 45 item is in the chart's history, weeks without answers have no figure.
    by_week = dict(zip([w.key for w in rep.weeks], idrett.history, strict=True))
    assert by_week["2026-W45"].median == timedelta(hours=4)
    assert by_week["2026-W46"].median is None

    total = rep.total
    assert (total.received, total.answered, total.closed_other) == (6, 6, 1)
    assert total.within_deadline == 5 and rep.overdue == 1
    # Six response times: 0.5, 1, 2, 3, 10, 18 hours.
    assert total.median == timedelta(hours=2, minutes=30)

    extras = rep.extras
    assert (extras.deletions, extras.deletions_complete) == (2, 1)
    assert (extras.flags_open, extras.flags_new) == (2, 1)
    assert [s.account for s in extras.snapshots_due] == ["Testrud kommune"]
    assert [(g.team, g.kind) for g in extras.gaps] == [("Kultur og fritid", "nobody")]
    assert rep.deadline == timedelta(hours=8) and rep.whole


def test_a_managers_report_holds_only_their_teams(engine: Engine) -> None:
    org = Org(engine)
    busy_week(org)
    with Session(engine) as session:
        teams = report.all_team_infos(session)
    mine = report.managed_teams(teams, "U0BOSS")
    rep = org.report(mine)
    assert sorted(r.team.key for r in rep.teams) == ["idrett", "komm"] and not rep.whole
    assert (rep.total.received, rep.total.answered) == (6, 5)
    assert rep.extras.deletions == 1 and rep.extras.flags_open == 1
    assert rep.extras.gaps == ()  # Kultur's gap is not theirs
    _, blocks = rb.report_message(rep, "nb", OSLO)
    shown = str(blocks)
    assert "Kommunikasjon" in shown and "Idrett" in shown
    assert "Kultur og fritid" not in shown
    assert "Ukerapport – uke 47 (16.–22. nov. 2026)" in shown


def test_an_empty_week_reads_as_no_answers(engine: Engine) -> None:
    org = Org(engine)
    rep = org.report()
    assert rep.total == core.WeekFigures() and rep.overdue == 0
    text, blocks = rb.report_message(rep, "en", OSLO)
    assert text.endswith(": 0 received, 0 answered, 0 overdue now.")
    shown = str(blocks)
    assert "No items were answered this week." in shown
    assert "no gaps ahead" in shown and "no deletions logged" in shown
    png = chart_png(rep, "en")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_the_csv_holds_the_messages_figures(engine: Engine) -> None:
    org = Org(engine)
    busy_week(org)
    rep = org.report()
    data = report.report_csv(rep, "Alle team")
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel shows æøå
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert tuple(rows[0]) == report.CSV_COLUMNS
    # One row per team and week for the 8 weeks, and 8 total rows.
    assert len(rows) == 3 * 8 + 8
    komm = next(r for r in rows if r["team_key"] == "komm" and r["week"] == "2026-W47")
    assert komm["team"] == "Kommunikasjon"
    assert (komm["received"], komm["answered"], komm["closed_otherwise"]) == ("6", "4", "1")
    assert (komm["median_minutes"], komm["p90_minutes"]) == ("150", "474")
    assert (komm["within_deadline_pct"], komm["overdue_now"]) == ("100", "1")
    earlier = next(r for r in rows if r["team_key"] == "komm" and r["week"] == "2026-W46")
    assert earlier["median_minutes"] == "" and earlier["overdue_now"] == ""

    total = next(r for r in rows if r["team_key"] == "total" and r["week"] == "2026-W47")
    assert total["team"] == "Alle team"
    assert (total["received"], total["answered"], total["overdue_now"]) == ("6", "6", "1")
    assert (total["deletions"], total["deletions_complete"], total["flags_new"]) == ("2", "1", "1")
    assert (total["snapshots_due"], total["gaps_ahead"]) == ("1", "1")

    # The message shows the same figures.
    _, blocks = rb.report_message(rep, "nb", OSLO)
    shown = str(blocks)
    assert "*6* mottatt · *6* besvart · *1* lukket på annen måte · *1* på overtid nå" in shown
    assert "median 2 t 30 min · 90-pers. 7 t 54 min" in shown
    assert rb.duration(timedelta(minutes=int(total["median_minutes"])), "nb") == "2 t 30 min"


def test_a_formula_in_a_team_name_is_defused_for_every_delimiter(engine: Engine) -> None:
    org = Org(engine)
    busy_week(org)
    with session_scope(engine) as session:
        team = session.exec(select(Team).where(Team.key == "komm")).one()
        team.name = "x;=cmd|' /C calc'!A0;y,@SUM(1)"
    data = report.report_csv(org.report(), "-Alle team")
    for delimiter in (",", ";"):
        reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter)
        cells = [cell for row in reader for cell in row]
        formulas = [c for c in cells if c.lstrip(' "').startswith(("=", "+", "-", "@", "\t"))]
        assert formulas == [], delimiter
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert {r["team"] for r in rows} >= {"x;'=cmd|' /C calc'!A0;y,'@SUM(1)", "'-Alle team"}


def test_the_chart_is_a_deterministic_png(engine: Engine) -> None:
    org = Org(engine)
    busy_week(org)
    rep = org.report()
    png = chart_png(rep, "nb")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    assert (width, height) == (1100, 620)
    assert 10_000 < len(png) < 400_000
    assert b"Software" not in png and b"matplotlib" not in png.lower()
    assert chart_png(org.report(), "nb") == png
    assert chart_png(rep, "sv") != png  # the labels are the reader's language


def test_many_teams_stay_within_slacks_50_blocks() -> None:
    config = parse_config(CONFIG, "vakt.toml")
    calendar = config.calendar()
    weeks = tuple(core.weeks_before(W47))
    teams = tuple(report.TeamInfo(i, f"t{i:02d}", f"Team {i}", None) for i in range(1, 41))
    items = tuple(
        core.ItemFact(i, at(11, 17, 9), at(11, 18, 16), Status.ANSWERED, at(11, 17, 9 + i % 6))
        for i in range(1, 41)
    )
    data = report.ReportData(W47, weeks, MONDAY, teams, items, (), (), (), ())
    rep = report.build(calendar, config, data)
    _, blocks = rb.report_message(rep, "en", OSLO)
    assert len(blocks) <= 50
    assert sum(1 for b in blocks if b.get("fields")) == rb.SHOWN_TEAMS
    assert "… and 28 more teams" in str(blocks)
    assert chart_png(rep, "en").startswith(b"\x89PNG")
