"""Flags and closure: `/vakt flags`, `/vakt account close <key>` (issue 5)."""

from __future__ import annotations
