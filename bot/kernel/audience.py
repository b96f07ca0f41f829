"""Who a message goes to, and in which language."""

from __future__ import annotations

from sqlmodel import Session

from bot.kernel.config import OrgConfig
from bot.kernel.i18n import language_of_locale
from bot.store.models import Person


def lang_for(session: Session, config: OrgConfig, user: str) -> str:
    """The language to write to a person in: their Slack locale, else the organisation's."""
    person = session.get(Person, user)
    return language_of_locale(person.locale if person else None, config.language)


def lang_of_target(session: Session, config: OrgConfig, target: str) -> str:
    """The language for a recipient: a person's own, a channel's is the organisation's."""
    return lang_for(session, config, target) if target[:1] in ("U", "W") else config.language


def coordinator_targets(config: OrgConfig) -> list[str]:
    """Where the coordinators are told things: their channel, else each of them directly."""
    if config.coordinator_channel:
        return [config.coordinator_channel]
    return list(config.coordinators)
