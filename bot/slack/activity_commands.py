"""Activity: `/vakt posted <account>` (issue 5)."""

from __future__ import annotations
