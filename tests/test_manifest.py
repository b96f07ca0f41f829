"""manifest.yml is a valid Slack app manifest that declares what the code listens to."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT.parent / "shared" / "slack" / "specs" / "slack-app-manifest.schemastore.json"


def _manifest() -> dict[str, object]:
    return dict(yaml.safe_load((ROOT / "manifest.yml").read_text()))


def test_manifest_validates_against_the_schema() -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validate(_manifest(), schema)


def test_manifest_declares_the_command_scopes_and_interactivity() -> None:
    manifest = _manifest()
    features = manifest["features"]
    assert isinstance(features, dict)
    commands = [c["command"] for c in features["slash_commands"]]
    assert commands == ["/vakt"]
    assert features["slash_commands"][0]["should_escape"] is True  # mentions arrive as <@U…>
    settings = manifest["settings"]
    assert isinstance(settings, dict)
    assert settings["interactivity"]["is_enabled"] is True
    scopes = manifest["oauth_config"]["scopes"]["bot"]  # type: ignore[index]
    for scope in ("commands", "chat:write", "im:write", "users:read"):
        assert scope in scopes


def test_manifest_declares_the_intake_events_and_the_shortcut() -> None:
    from bot.items import ids

    manifest = _manifest()
    settings = manifest["settings"]
    assert isinstance(settings, dict)
    events = settings["event_subscriptions"]["bot_events"]
    for event in ("message.channels", "message.groups", "reaction_added"):
        assert event in events
    scopes = manifest["oauth_config"]["scopes"]["bot"]  # type: ignore[index]
    for scope in ("channels:history", "groups:history", "reactions:read"):
        assert scope in scopes
    features = manifest["features"]
    assert isinstance(features, dict)
    shortcuts = {s["callback_id"]: s for s in features["shortcuts"]}
    assert shortcuts[ids.TRACK_SHORTCUT]["type"] == "message"


def test_manifest_enables_the_home_tab_and_its_event() -> None:
    manifest = _manifest()
    features = manifest["features"]
    assert isinstance(features, dict)
    assert features["app_home"]["home_tab_enabled"] is True
    settings = manifest["settings"]
    assert isinstance(settings, dict)
    assert "app_home_opened" in settings["event_subscriptions"]["bot_events"]
