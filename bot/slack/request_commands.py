"""Account requests: `/vakt request`, `/vakt requests` (issue 5)."""

from __future__ import annotations
