"""`vakt console`: the real app in the terminal, with an in-process stand-in for Slack.

`bot.console.slack` is the stand-in, `render` turns Block Kit into text, `repl` is the loop,
`session` wires the runtime to the stand-in (the console's composition root) and `demo` seeds
the demo municipalities. Its own words (banner, help, prompts, hints: `texts`, the catalogs'
`console.*`) are in the organisation's language or `--lang`, as Vakt's messages are.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TextIO

from bot.console.render import Style
from bot.console.texts import tr


def _log_to_file(path: Path) -> None:
    """Vakt's log goes to a file: the terminal is for the conversation."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def run_console(
    *,
    preset: str | None,
    lang: str | None,
    at: Callable[[str, str], datetime] | None,
    at_text: str | None,
    wall_clock: Callable[[], datetime],
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    read: Callable[[str], str | None] | None = None,
) -> int:
    """Start a console session and run its loop until :quit or the end of the input."""
    from bot.console import demo, repl, session

    out = out or sys.stdout
    temp = Path(tempfile.mkdtemp(prefix="vakt-console-"))
    _log_to_file(temp / "vakt.log")
    env = dict(os.environ if environ is None else environ)
    console = (
        demo.start(preset, temp, lang=lang, at=at, at_text=at_text)
        if preset is not None
        else session.start(
            lang=lang,
            at=at,
            at_text=at_text,
            wall_clock=wall_clock,
            environ=env,
            temp=temp,
        )
    )
    tty = out.isatty()
    style = Style(colour=tty and not env.get("NO_COLOR"))
    width = shutil.get_terminal_size((80, 24)).columns if tty else 80
    loop = repl.Repl(console, out, style=style, width=max(40, min(width, 120)))
    try:
        return loop.run(read or repl.default_reader())
    finally:
        console.close()
        out.write(_farewell(temp, demo=preset is not None, lang=console.config.language))
        out.flush()


def _farewell(temp: Path, *, demo: bool, lang: str) -> str:
    """Leave what the user may want: a demo's database, archive and log are thrown away, as
    the README says; the files Vakt shared stay, and where is said."""
    if not demo:
        return tr(lang, "bye", path=str(temp)) + "\n"
    logging.shutdown()  # the log file is closed before it goes
    files = temp / "files"
    for path in temp.iterdir():
        if path != files:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    if files.is_dir() and any(files.iterdir()):
        return tr(lang, "bye_demo_files", path=str(files)) + "\n"
    shutil.rmtree(temp, ignore_errors=True)
    return tr(lang, "bye_demo") + "\n"
