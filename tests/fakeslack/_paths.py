"""Where Slack's reference data lives: ``../shared/slack`` beside the repository root."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The repository root (``/work/main``)."""

SLACK_REFERENCE_DIR = Path(
    os.environ.get("VAKT_SLACK_REFERENCE_DIR", REPO_ROOT.parent / "shared" / "slack")
)
"""``/work/shared/slack``; override with ``VAKT_SLACK_REFERENCE_DIR`` when checked out elsewhere."""

PAYLOADS_DIR = SLACK_REFERENCE_DIR / "payloads"
SPECS_DIR = SLACK_REFERENCE_DIR / "specs"
WEB_API_SPEC = SPECS_DIR / "slack_web_openapi_v2_without_examples.json"
