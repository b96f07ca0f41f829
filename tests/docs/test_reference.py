"""The reference pages document exactly what the code knows, no less and no more.

The convention the pages follow: a reference table is one whose header's first cell names what
it lists (`command`, `subcommand`, `verb`, `setting`, `key`), and each thing it documents is
written in backticks in the first column of a row. What the code knows is read from the code
itself, never from a copy: the functions just below are the only places that know where, so
they are what to re-point when a module moves.
"""

from __future__ import annotations

import argparse
import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]+$")


# ---------------------------------------------------------------- what the code knows


def code_subcommands() -> dict[str, set[str]]:
    """Each `/vakt` subcommand and the other words (nb, sv, en) it answers to."""
    from bot.features import FEATURES
    from bot.slackkit.app import router_of

    return {
        command.name: set(command.words) - {command.name}
        for command in router_of(FEATURES).commands
    }


def code_cli_verbs() -> dict[str, set[str]]:
    """Each `vakt` verb and its long options, from the parser `vakt` itself builds."""
    from bot.cli import build_parser

    parser = build_parser()
    (verbs,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {
        verb: {
            option
            for action in sub._actions
            for option in action.option_strings
            if option.startswith("--") and option != "--help"
        }
        for verb, sub in verbs.choices.items()
    }


def code_settings() -> set[str]:
    """Every environment setting the bot reads: `values.get("X")` in bot/settings.py (the
    `.env` file overlaid by the environment), and `os.environ.get("X")` / `env.get("X")` (a copy
    of the environment) anywhere in bot/ outside the benchmark scripts."""
    names: set[str] = set()
    for path in sorted((ROOT / "bot").rglob("*.py")):
        if "bench" in path.relative_to(ROOT / "bot").parts:
            continue
        readers = {"os.environ", "env"} | ({"values"} if path.name == "settings.py" else set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
                reads = node.func.attr == "get" and ast.unparse(node.func.value) in readers
                if reads or ast.unparse(node.func) == "os.getenv":
                    names |= _env_constant(node.args[0])
            elif isinstance(node, ast.Subscript) and ast.unparse(node.value) in readers:
                names |= _env_constant(node.slice)
    return names


def code_config_keys() -> set[str]:
    """Every section and key `vakt.toml` may hold, as `[section] key` (`[[section]] key` for
    arrays of tables, `[section]` alone for a section whose keys are free, like [half_days]).

    bot/kernel/config.py reads each key of a table through its reader, present or not, before it
    refuses the keys it did not read; so parsing a file that has one of every kind of table
    shows every key. The section names are the ones parse_config accepts."""
    from bot.kernel import config

    seen: list[tuple[str, str]] = []
    raw = config.TableReader.raw

    def recording(reader: config.TableReader, name: str) -> object:
        seen.append((reader.prefix, name))
        return raw(reader, name)

    config.TableReader.raw = recording  # type: ignore[method-assign]
    try:
        config.parse_config(ONE_OF_EVERYTHING, "vakt.toml")
    finally:
        config.TableReader.raw = raw  # type: ignore[method-assign]

    tree = ast.parse(Path(config.__file__).read_text(encoding="utf-8"))
    (sections,) = (
        {element.value for element in node.value.elts if isinstance(element, ast.Constant)}
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and [ast.unparse(t) for t in node.targets] == ["known"]
        and isinstance(node.value, ast.Set)
    )
    prefixes = {prefix for prefix, _ in seen}
    keys: set[str] = set()
    for prefix, name in seen:
        if any(p.startswith(f"{prefix}.{name}[") for p in prefixes):
            continue  # an array of tables inside this one, listed by its own keys
        keys.add(f"{_table(prefix, sections)} {name}")
    read = {_table(prefix, sections).strip("[]") for prefix in prefixes}
    keys |= {f"[{section}]" for section in sections if section not in read}
    return keys


def _env_constant(node: ast.AST) -> set[str]:
    """The name a constant gives, when it looks like an environment variable's."""
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and ENV_NAME.match(node.value)
    ):
        return {node.value}
    return set()


def _table(prefix: str, sections: set[str]) -> str:
    """`team[0]` or `team.komm` → `[[team]]`, `office_hours.season[0]` → `[[office_hours.season]]`,
    `items` → `[items]`."""
    if re.fullmatch(r"[a-z_.]+\[\d+\]", prefix):
        return f"[[{prefix.rsplit('[', 1)[0]}]]"
    head, _, _ = prefix.partition(".")
    if prefix not in sections and head in sections:
        return f"[[{head}]]"  # a team or account, named by its key once the key is read
    return f"[{prefix}]"


ONE_OF_EVERYTHING = """
[organisation]
name = "Testrud kommune"
country = "NO"
timezone = "Europe/Oslo"

[office_hours]
monday = "08:00-16:00"

[[office_hours.season]]
from = "06-15"
to = "08-15"
monday = "08:00-15:00"

[[team]]
key = "komm"
name = "Kommunikasjon"
members = ["U0ANNA"]
start = 2026-11-02

[[account]]
key = "fb-main"
platform = "facebook"
name = "Testrud kommune"
url = "https://www.facebook.com/testrud"
team = "komm"
"""


# ---------------------------------------------------------------- what the pages say


def split_row(line: str) -> list[str]:
    """The cells of a Markdown table row; a `|` inside backticks does not split."""
    cells, cell, in_code = [], "", False
    for char in line.strip().strip("|"):
        if char == "`":
            in_code = not in_code
        if char == "|" and not in_code:
            cells.append(cell.strip())
            cell = ""
        else:
            cell += char
    cells.append(cell.strip())
    return cells


def reference_rows(page: str, header: str) -> Iterator[list[str]]:
    """The rows of every table in the page whose header's first cell is `header`."""
    lines = (DOCS / page).read_text(encoding="utf-8").splitlines()
    in_table = taken = False
    for number, line in enumerate(lines):
        if not line.startswith("|"):
            in_table = False
            continue
        if not in_table:
            in_table = True
            taken = split_row(line)[0] == header
            continue
        if taken and not re.fullmatch(r"\|[\s:|-]+\|?", line.strip()):
            yield split_row(lines[number])


def code_spans(cell: str) -> list[str]:
    """What a cell writes in backticks."""
    return re.findall(r"`([^`]+)`", cell)


def documented_subcommands() -> tuple[set[str], dict[str, set[str]]]:
    """The subcommands of the command tables, and the alias table's other words."""
    names: set[str] = set()
    for row in reference_rows("staff/commands.md", "command"):
        for span in code_spans(row[0]):
            words = span.split()
            assert words[0] == "/vakt", f"{span!r} in staff/commands.md is not a /vakt command"
            if len(words) > 1:
                names.add(words[1])
    aliases: dict[str, set[str]] = {}
    for row in reference_rows("staff/commands.md", "subcommand"):
        (name,) = code_spans(row[0])
        aliases[name] = set(code_spans(row[1]))
    return names, aliases


def documented_cli_verbs() -> dict[str, set[str]]:
    """Each verb of the CLI table, and the options its rows write."""
    verbs: dict[str, set[str]] = {}
    for row in reference_rows("operator/cli.md", "verb"):
        for span in code_spans(row[0]):
            words = span.split()
            assert words[0] == "vakt" and len(words) > 1, f"{span!r} in operator/cli.md"
            verbs.setdefault(words[1], set()).update(re.findall(r"--[a-z][a-z-]*", span))
    return verbs


def documented(page: str, header: str) -> set[str]:
    """Everything the first columns of the page's reference tables write in backticks."""
    return {span for row in reference_rows(page, header) for span in code_spans(row[0])}


def differ(what: str, page: str, code: set[str], docs: set[str]) -> str:
    return (
        f"{page}: {what} the code knows but the page does not document: {sorted(code - docs)}; "
        f"documented but unknown to the code: {sorted(docs - code)}"
    )


# ---------------------------------------------------------------- the checks


def test_every_subcommand_is_documented_and_no_other() -> None:
    code = code_subcommands()
    names, _ = documented_subcommands()
    assert names == set(code), differ("/vakt subcommands", "staff/commands.md", set(code), names)


def test_every_name_a_subcommand_answers_to_is_documented_and_no_other() -> None:
    code = code_subcommands()
    _, aliases = documented_subcommands()
    assert set(aliases) == set(code), differ(
        "subcommands in the names table", "staff/commands.md", set(code), set(aliases)
    )
    for name, words in code.items():
        listed = aliases[name] - {"–"}
        assert listed == words, differ(f"names of `{name}`", "staff/commands.md", words, listed)


def test_every_cli_verb_and_option_is_documented_and_no_other() -> None:
    code = code_cli_verbs()
    docs = documented_cli_verbs()
    assert set(docs) == set(code), differ("vakt verbs", "operator/cli.md", set(code), set(docs))
    for verb, options in code.items():
        assert docs[verb] == options, differ(
            f"options of `vakt {verb}`", "operator/cli.md", options, docs[verb]
        )


def test_every_setting_is_documented_and_no_other() -> None:
    code = code_settings()
    docs = documented("operator/env.md", "setting")
    assert docs == code, differ("settings", "operator/env.md", code, docs)


def test_every_config_key_is_documented_and_no_other() -> None:
    code = code_config_keys()
    docs = documented("operator/config.md", "key")
    assert docs == code, differ("vakt.toml keys", "operator/config.md", code, docs)


def test_the_code_lists_are_read_for_real() -> None:
    """The introspection finds what it must (a guard against a test that compares two empty
    sets after a module moved): a few things every version of Vakt has."""
    assert {"who", "rota", "away", "help"} <= set(code_subcommands())
    assert "hvem" in code_subcommands()["who"]
    assert {"run", "serve", "migrate"} <= set(code_cli_verbs())
    assert "--dry-run" in code_cli_verbs()["sweep"]
    assert {"SLACK_BOT_TOKEN", "DATABASE_URL", "PORT", "WEB_CONCURRENCY"} <= code_settings()
    keys = code_config_keys()
    assert {"[organisation] name", "[items] reminder_times", "[[team]] members"} <= keys
    assert {"[[account]] url", "[[office_hours.season]] from", "[half_days]"} <= keys
