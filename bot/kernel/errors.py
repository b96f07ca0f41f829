"""Domain errors. Each carries a catalog key and parameters; the Slack edge renders them."""

from __future__ import annotations

from typing import Any


class VaktError(Exception):
    """Base of every error Vakt answers with a friendly, localised message."""

    def __init__(self, key: str, /, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class UserInputError(VaktError):
    """What was typed could not be understood; the answer shows the right usage."""


class NotAllowed(VaktError):
    """The user lacks the role for this action."""


class NotFound(VaktError):
    """A team, account, person or request that does not exist."""


class Conflict(VaktError):
    """The action contradicts the current state (already decided, managed in config, ...)."""


class StartupError(Exception):
    """Vakt cannot start (Slack refused its token, ...); the message says why in one line."""
