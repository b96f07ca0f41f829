"""Vakt keeps the name Slack gives a user with their language, for places outside Slack
(calendar feeds) where a Slack mention cannot be shown."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from bot.store.models import Person
from tests.harness import Vakt


def test_a_users_name_is_kept_with_their_language(vakt: Vakt) -> None:
    vakt.fake.users["U0ANNA"] = {"real_name": "Anna Lindqvist", "locale": "nb-NO"}
    vakt.fake.users["U0BO"] = {"real_name": "", "display_name": "bo"}
    vakt.command("who", user="U0ANNA")
    vakt.command("who", user="U0BO")
    with Session(vakt.runtime.engine) as session:
        anna = session.get(Person, "U0ANNA")
        bo = session.get(Person, "U0BO")
        assert anna is not None and (anna.name, anna.locale) == ("Anna Lindqvist", "nb-NO")
        assert bo is not None and bo.name == "bo"


def test_a_users_language_is_asked_of_slack_once_and_read_from_the_database_once(
    vakt: Vakt,
) -> None:
    vakt.fake.users["U0BO"] = {"locale": "sv-SE"}
    assert "Ersättare" in vakt.command("who", user="U0BO")
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = vakt.runtime.engine
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        assert "Ersättare" in vakt.command("who", user="U0BO")
        assert "Bara chefer" in vakt.command("unanswered", user="U0BO")
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert not [s for s in statements if "person" in s.lower()], statements
    assert len(vakt.fake.calls_to("users.info")) == 1
    # A week on, Slack is asked again: a changed language is followed.
    vakt.fake.users["U0BO"] = {"locale": "nb-NO"}
    vakt.clock.now += timedelta(days=7)
    assert "Stedfortreder" in vakt.command("who", user="U0BO")
