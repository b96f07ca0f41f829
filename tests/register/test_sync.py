"""Teams and accounts declared in the file are applied on start, idempotently by key."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.kernel.config import ConfigError, parse_config
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


def test_the_facebook_page_id_is_applied_audited_and_cleared(engine: Engine) -> None:
    apply(engine, CONFIG)
    connected = CONFIG.rstrip("\n") + "\nfacebook_page_id = 1234567890\n"  # a TOML integer
    assert apply(engine, connected) == ["account fb-main updated"]
    assert apply(engine, connected) == []
    with Session(engine) as session:
        account = session.exec(select(Account)).one()
        assert (account.facebook_page_id, account.instagram_user_id) == ("1234567890", None)
        last = session.exec(select(AuditLog).order_by(AuditLog.id.desc())).first()  # type: ignore[union-attr]
        assert last is not None and last.action == "account.apply"
        assert '"facebook_page_id": null' in (last.before or "")
        assert '"facebook_page_id": "1234567890"' in (last.after or "")
    assert apply(engine, CONFIG) == ["account fb-main updated"]
    with Session(engine) as session:
        assert session.exec(select(Account)).one().facebook_page_id is None


def test_an_id_an_account_of_the_database_holds_is_refused_naming_both(engine: Engine) -> None:
    apply(engine, CONFIG)
    with Session(engine) as session:
        team = session.exec(select(Team)).one()
        session.add(
            Account(
                key="fb-slack",
                platform="facebook",
                name="Made in Slack",
                url="https://www.facebook.com/slack",
                team_id=team.id,
                facebook_page_id="1234567890",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        session.commit()
    connected = CONFIG.rstrip("\n") + '\nfacebook_page_id = "1234567890"\n'
    with pytest.raises(ConfigError) as caught:
        apply(engine, connected)
    assert (caught.value.file, caught.value.key) == (
        "vakt.toml",
        "account.fb-main.facebook_page_id",
    )
    assert "account.fb-slack" in caught.value.problem
    with Session(engine) as session:
        assert (
            session.exec(select(Account).where(Account.key == "fb-main")).one().facebook_page_id
            is None
        )
    # Once the file declares the other account too, the id may move between the two.
    slack = connected[connected.index("[[account]]") :].replace("fb-main", "fb-slack")
    slack = slack.replace('facebook_page_id = "1234567890"', 'facebook_page_id = "98765"')
    assert apply(engine, connected + slack) == [
        "account fb-main updated",
        "account fb-slack updated",
    ]
    with Session(engine) as session:
        ids = {a.key: a.facebook_page_id for a in session.exec(select(Account)).all()}
        assert ids == {"fb-main": "1234567890", "fb-slack": "98765"}
        moved = session.exec(
            select(AuditLog).where(AuditLog.target == "account:fb-slack")
        ).one()  # the audit log has the id it had, though it was let go of first
        assert '"facebook_page_id": "1234567890"' in (moved.before or "")
        assert '"facebook_page_id": "98765"' in (moved.after or "")
    # And back again: a swap of the two ids.
    swapped = connected.replace('"1234567890"', '"98765"') + slack.replace(
        '"98765"', '"1234567890"'
    )
    assert apply(engine, swapped) == ["account fb-main updated", "account fb-slack updated"]
    with Session(engine) as session:
        ids = {a.key: a.facebook_page_id for a in session.exec(select(Account)).all()}
        assert ids == {"fb-main": "98765", "fb-slack": "1234567890"}
