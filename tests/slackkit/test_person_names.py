"""Vakt keeps the name Slack gives a user with their language, for places outside Slack
(calendar feeds) where a Slack mention cannot be shown."""

from __future__ import annotations

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
