"""Account register commands: `/vakt accounts`, `/vakt account <key>|add|edit` (issue 5)."""

from __future__ import annotations
