"""Where links Vakt hands out point, and the secret they are signed with."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FeedKeys:
    """Where calendar links point (the public HTTPS address of `vakt serve`) and the secret
    their tokens are derived from."""

    base_url: str
    secret: bytes
