"""Teams and accounts declared in the file are applied on start, idempotently by key."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.config import parse_config
from bot.services.config_sync import apply_config
from bot.services.store import members_of
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
