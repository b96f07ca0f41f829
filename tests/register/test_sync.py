"""Teams and accounts declared in the file are applied on start, idempotently by key."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.kernel.config import parse_config
from bot.register.sync import apply_config
from bot.rota.teams import members_of
from bot.store.models import Account, AuditLog, Team
from tests.harness import CONFIG

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


def apply(engine: Engine, text: str) -> list[str]:
    with Session(engine) as session:
        changes = apply_config(session, parse_config(text, "vakt.toml"), NOW)
        session.commit()
    return changes


def test_apply_is_idempotent_and_audited(engine: Engine) -> None:
    assert apply(engine, CONFIG) == ["team komm created", "account fb-main created"]
    assert apply(engine, CONFIG) == []
    with Session(engine) as session:
        team = session.exec(select(Team)).one()
        assert team.managed and members_of(session, team) == ("U0ANNA", "U0BO", "U0CARL")
        assert [a.action for a in session.exec(select(AuditLog)).all()] == [
            "team.apply",
            "account.apply",
        ]


def test_changed_file_updates_and_removed_rows_become_editable(engine: Engine) -> None:
    apply(engine, CONFIG)
    changed = CONFIG.replace('["U0ANNA", "U0BO", "U0CARL"]', '["U0BO", "U0CARL"]')
    assert apply(engine, changed) == ["team komm updated"]
    without_account = changed[: changed.index("[[account]]")]
    assert apply(engine, without_account) == [
        "account fb-main no longer in the file: now editable in Slack"
    ]
    with Session(engine) as session:
        team = session.exec(select(Team)).one()
        assert members_of(session, team) == ("U0BO", "U0CARL")
        account = session.exec(select(Account)).one()
        assert account.managed is False


def test_register_fields_are_applied_and_the_lifecycle_status_is_left_alone(
    engine: Engine,
) -> None:
    apply(engine, CONFIG)
    register = (
        'kind = "open-group"\nunit = "Kulturskolen"\nadmins = ["U0ANNA", "U0BO"]\n'
        'created = "2019-03-01"\nend_date = "2027-06-30"\nmax_posts_week = 10\n'
        'credentials_held = true\npublished_channel = "C0FEED"\n'
    )
    declared = CONFIG.rstrip("\n") + "\n" + register
    assert apply(engine, declared) == ["account fb-main updated"]
    assert apply(engine, declared) == []
    with Session(engine) as session:
        account = session.exec(select(Account)).one()
        assert (account.kind, account.unit, account.admins) == (
            "open-group",
            "Kulturskolen",
            "U0ANNA,U0BO",
        )
        assert str(account.created_on) == "2019-03-01" and str(account.end_date) == "2027-06-30"
        assert (account.max_posts_week, account.credentials_held) == (10, True)
        assert account.published_channel == "C0FEED"
        account.status = "closing"  # a closure started in Slack
        session.add(account)
        session.commit()
        last = session.exec(select(AuditLog).order_by(AuditLog.id.desc())).first()  # type: ignore[union-attr]
        assert last is not None and '"kind": "open-group"' in (last.after or "")
    # Taking the fields out of the file clears them; the closure in progress stays.
    assert apply(engine, CONFIG) == ["account fb-main updated"]
    with Session(engine) as session:
        account = session.exec(select(Account)).one()
        assert (account.kind, account.admins, account.end_date, account.status) == (
            "page",
            "",
            None,
            "closing",
        )
