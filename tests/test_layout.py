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


def import_cycles() -> list[list[str]]:
    """Every cycle of imports between bot's modules (strongly connected groups of more than one
    module), counting imports inside functions; annotations under TYPE_CHECKING aside."""
    import grimp

    graph = grimp.build_graph("bot", exclude_type_checking_imports=True)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's algorithm
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return cycles


def test_no_import_cycles_between_modules() -> None:
    assert import_cycles() == []


if __name__ == "__main__":  # python -m tests.test_layout: the listing itself
    for cycle in import_cycles():
        print(" -> ".join(cycle))
    print(f"{len(import_cycles())} import cycle(s) between bot's modules")
