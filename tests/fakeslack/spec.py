"""Slack's published Web API OpenAPI 2.0 spec, reduced to what the fake checks.

The spec dates from 2020: it lacks newer methods and arguments. A method is known when the
spec lists it or ``slack_sdk.WebClient`` has it; an argument is allowed when the spec lists it
or it is a parameter of the matching ``WebClient`` method. Only the spec's ``required`` flags
are enforced (plus the few corrections in :data:`REQUIRED_ALTERNATIVES`).
"""

from __future__ import annotations

import inspect
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slack_sdk import WebClient

from ._paths import WEB_API_SPEC

GLOBAL_ARGUMENTS = frozenset({"token", "team_id"})
"""Accepted on every method: ``token`` (may travel as an argument) and ``team_id``, which
``WebClient(team_id=...)`` adds to every call (org-wide apps)."""

REQUIRED_ALTERNATIVES: dict[str, dict[str, tuple[str, ...]]] = {
    # Since 2021 a modal can be opened from a workflow step's interactivity_pointer instead of a
    # trigger_id; WebClient.views_open/views_push accept either.
    "views.open": {"trigger_id": ("interactivity_pointer",)},
    "views.push": {"trigger_id": ("interactivity_pointer",)},
}
"""Spec-required arguments that the live API lets another argument replace."""

EXTRA_REQUIRED: dict[str, tuple[str, ...]] = {
    # The spec marks nothing required for these, but Slack (and WebClient's signatures) do.
    "views.update": ("view",),
    "chat.delete": ("channel", "ts"),
    "chat.scheduleMessage": ("channel", "post_at"),
}


@dataclass(frozen=True)
class MethodSpec:
    """What the fake knows about one Web API method."""

    name: str
    """Slack's name, e.g. ``chat.postMessage``."""
    python_name: str
    """``WebClient`` method name, e.g. ``chat_postMessage``."""
    in_spec: bool
    required: frozenset[str]
    """Required arguments, ``token`` excluded (it travels in the header)."""
    spec_arguments: frozenset[str]
    sdk_arguments: frozenset[str]

    @property
    def allowed(self) -> frozenset[str]:
        return self.spec_arguments | self.sdk_arguments | GLOBAL_ARGUMENTS

    def missing(self, args: dict[str, Any]) -> list[str]:
        """Required arguments that ``args`` lacks (in the spec's order, sorted)."""
        alternatives = REQUIRED_ALTERNATIVES.get(self.name, {})
        missing = []
        for name in sorted(self.required):
            candidates = (name, *alternatives.get(name, ()))
            if not any(_present(args.get(c)) for c in candidates):
                missing.append(name)
        return missing

    def unexpected(self, args: dict[str, Any]) -> list[str]:
        """Arguments that neither the spec nor ``WebClient`` know for this method."""
        return sorted(k for k in args if k not in self.allowed)


def _present(value: Any) -> bool:
    return value is not None and value != ""


def python_name(method: str) -> str:
    """``chat.postMessage`` -> ``chat_postMessage``."""
    return method.replace(".", "_")


def _sdk_parameters(method: str) -> frozenset[str] | None:
    name = python_name(method)
    # Only API methods defined on WebClient itself (not BaseClient helpers such as api_call).
    function = WebClient.__dict__.get(name)
    if "." not in method or not callable(function):
        return None
    params = inspect.signature(function).parameters.values()
    return frozenset(
        p.name
        for p in params
        if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    )


class WebApiSpec:
    """Lookup of :class:`MethodSpec` by Slack method name (thread-safe, cached)."""

    def __init__(self, path: Path = WEB_API_SPEC) -> None:
        document = json.loads(path.read_text(encoding="utf-8"))
        self.path = path
        self._operations: dict[str, list[dict[str, Any]]] = {}
        for route, operations in document["paths"].items():
            params: list[dict[str, Any]] = []
            for operation in operations.values():
                params.extend(operation.get("parameters", []))
            self._operations[route.lstrip("/")] = params
        self._cache: dict[str, MethodSpec | None] = {}
        self._lock = threading.Lock()

    @property
    def methods(self) -> frozenset[str]:
        """Method names listed in the spec."""
        return frozenset(self._operations)

    def lookup(self, method: str) -> MethodSpec | None:
        """The method's spec, or None when neither the spec nor ``WebClient`` know it."""
        with self._lock:
            if method not in self._cache:
                self._cache[method] = self._build(method)
            return self._cache[method]

    def _build(self, method: str) -> MethodSpec | None:
        sdk = _sdk_parameters(method)
        params = self._operations.get(method)
        if params is None and sdk is None:
            return None
        params = params or []
        required = {p["name"] for p in params if p.get("required")} - {"token"}
        required |= set(EXTRA_REQUIRED.get(method, ()))
        return MethodSpec(
            name=method,
            python_name=python_name(method),
            in_spec=method in self._operations,
            required=frozenset(required),
            spec_arguments=frozenset(p["name"] for p in params),
            sdk_arguments=sdk or frozenset(),
        )


_default_spec: WebApiSpec | None = None
_default_lock = threading.Lock()


def default_spec() -> WebApiSpec:
    """The spec from ``/work/shared/slack/specs``, parsed once per process."""
    global _default_spec
    with _default_lock:
        if _default_spec is None:
            _default_spec = WebApiSpec()
        return _default_spec
