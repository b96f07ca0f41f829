"""The layout's rules that import-linter does not state: features use each other only through
the names a feature exports (no `_private` name imported across folders), and no module is
empty. The layers and cycles themselves are pyproject.toml's import contracts (`lint-imports`).
"""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parent.parent / "bot"


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(BOT.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(BOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found.append((name, path))
    return found


def _folder(module: str) -> str:
    """The top folder of bot a module lives in (bot.items.service -> bot.items)."""
    return ".".join(module.split(".")[:2])


def test_no_private_name_is_imported_across_folders() -> None:
    crossings = []
    for module, path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
                continue
            if not node.module.startswith("bot") or _folder(node.module) == _folder(module):
                continue
            crossings += [
                f"{module}: from {node.module} import {alias.name}"
                for alias in node.names
                if alias.name.startswith("_") and not alias.name.startswith("__")
            ]
    assert crossings == []


def test_no_module_is_empty() -> None:
    empty = []
    for module, path in _modules():
        tree = ast.parse(path.read_text())
        body = [
            n
            for n in tree.body
            if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))
        ]
        if not body and path.name != "__init__.py":
            empty.append(module)
    assert empty == []


def test_every_feature_folder_is_wired() -> None:
    from bot.features import FEATURES

    folders = {p.parent.name for p in BOT.glob("*/feature.py")} - {"slackkit"}
    assert folders == {f.name for f in FEATURES}
