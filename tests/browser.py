"""A real headless Chromium, driven over the DevTools protocol, with axe-core for WCAG checks.

What the municipality publishes is a web page, and the law on universal design (WCAG 2.1 AA in
Norway and Sweden) judges it as a browser shows it; so the tests look at it in one. The browser
is Debian's `chromium` (or `VAKT_TEST_CHROMIUM`); axe-core is not part of the repository: `.ci/run`
installs a pinned version with npm into `AXE_CACHE`, or `VAKT_TEST_AXE` names an `axe.min.js`.
Without either, `need_browser()` skips the test and says which one is missing.

One browser per test module (the `browser` fixtures are module-scoped); each page is loaded on
loopback by a plain HTTP server (port 0) over a directory.
"""

from __future__ import annotations

import base64
import functools
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.waiting import PATIENCE, wait_until

AXE_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "vakt" / "axe-core"
"""Where `.ci/run` installs axe-core (`npm install --prefix` this folder)."""

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
"""The axe tags of WCAG 2.0 and 2.1, levels A and AA: what the law asks of a public page."""


def chromium_binary() -> str | None:
    return os.environ.get("VAKT_TEST_CHROMIUM") or shutil.which("chromium")


def axe_script() -> Path | None:
    named = os.environ.get("VAKT_TEST_AXE")
    path = Path(named) if named else AXE_CACHE / "node_modules" / "axe-core" / "axe.min.js"
    return path if path.is_file() else None


def need_browser() -> tuple[str, Path]:
    """Chromium and axe-core, or a skip that says which is missing and how to get it."""
    binary, axe = chromium_binary(), axe_script()
    if binary is None:
        pytest.skip("no chromium here (apt-get install chromium, or set VAKT_TEST_CHROMIUM)")
    if axe is None:
        pytest.skip(
            f"no axe-core here: npm install --prefix {AXE_CACHE} axe-core@<version in .ci/run>, "
            "or set VAKT_TEST_AXE to an axe.min.js"
        )
    return binary, axe


class BrowserError(AssertionError):
    """The browser answered a command with an error, or a page script threw."""


@dataclass
class Viewport:
    """A window as the page's CSS sees it. 200 % zoom of a 1280 px window is a 640 CSS px
    viewport at two device pixels per CSS pixel: that is what browser zoom does to layout."""

    width: int
    height: int
    scale: float = 1.0
    mobile: bool = False


PHONE = Viewport(375, 812, 1.0, mobile=True)
DESKTOP = Viewport(1280, 800)
ZOOM_200 = Viewport(640, 400, 2.0)


class Browser:
    """One headless Chromium process and one tab in it, spoken to over the DevTools protocol."""

    def __init__(self, binary: str, axe: Path) -> None:
        self._axe_source = axe.read_text()
        self._profile = tempfile.TemporaryDirectory(prefix="vakt-chromium-")
        args = [
            binary,
            "--headless",
            "--remote-debugging-port=0",
            f"--user-data-dir={self._profile.name}",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--disable-extensions",
            "--disable-background-networking",
            # Headless Chromium has no mouse, so `(hover)` would never match; a desktop reader
            # has one. A phone's touch screen comes back with `Viewport.mobile` (see `view`).
            "--blink-settings=primaryHoverType=2,availableHoverTypes=2,"
            "primaryPointerType=4,availablePointerTypes=4",
            "about:blank",
        ]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to run its sandbox as root
        self._process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        active = Path(self._profile.name) / "DevToolsActivePort"

        def ready() -> bool:
            if self._process.poll() is not None:
                error = self._process.stderr.read().decode() if self._process.stderr else ""
                raise BrowserError(f"chromium exited with {self._process.returncode}: {error}")
            return active.is_file() and len(active.read_text().splitlines()) >= 2

        wait_until(ready, what="for chromium to open its DevTools port")
        port, path = active.read_text().splitlines()[:2]
        self._ids = itertools.count(1)
        self._closing = ExitStack()
        self._socket: ClientConnection = self._closing.enter_context(
            connect(f"ws://127.0.0.1:{port}{path}", max_size=None, open_timeout=PATIENCE)
        )
        target = self._send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self._session = self._send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        self.command("Page.enable")
        self.command("Runtime.enable")

    def close(self) -> None:
        # The browser may be gone already (it crashed, or a test closed it); it is stopped below.
        with suppress(BrowserError, ConnectionClosed, TimeoutError):
            self._send("Browser.close")
        self._closing.close()
        try:
            self._process.wait(timeout=PATIENCE)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stderr:
            self._process.stderr.close()
        self._profile.cleanup()

    # ------------------------------------------------------------ the protocol

    def _send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        number = next(self._ids)
        message: dict[str, Any] = {"id": number, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._socket.send(json.dumps(message))
        while True:  # events arrive in between; the answer is the message with our id
            answer = json.loads(self._socket.recv(timeout=PATIENCE))
            if answer.get("id") == number:
                if "error" in answer:
                    raise BrowserError(f"{method}: {answer['error']}")
                result: dict[str, Any] = answer.get("result", {})
                return result

    def command(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """A DevTools command to the tab."""
        return self._send(method, params, self._session)

    def evaluate(self, expression: str) -> Any:
        """The value of a script in the page (a promise is awaited)."""
        result = self.command(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise BrowserError(details.get("exception", {}).get("description") or str(details))
        return result["result"].get("value")

    # ------------------------------------------------------------ what tests use

    def view(self, viewport: Viewport) -> None:
        """Lay the page out in a window of this size (and zoom); a phone has a touch screen
        and no mouse."""
        self.command(
            "Emulation.setTouchEmulationEnabled",
            {"enabled": viewport.mobile, "maxTouchPoints": 5 if viewport.mobile else 1},
        )
        self.command(
            "Emulation.setDeviceMetricsOverride",
            {
                "width": viewport.width,
                "height": viewport.height,
                "deviceScaleFactor": viewport.scale,
                "mobile": viewport.mobile,
            },
        )

    def open(self, url: str) -> None:
        """Load a page and wait until it (with its fonts) is complete."""
        answer = self.command("Page.navigate", {"url": url})
        if answer.get("errorText"):
            raise BrowserError(f"{url}: {answer['errorText']}")
        wait_until(
            lambda: self.evaluate(
                f"location.href === {json.dumps(url)} && document.readyState === 'complete'"
            ),
            what=f"for {url} to load",
        )
        self.evaluate("document.fonts.ready.then(() => true)")

    def axe(
        self,
        tags: list[str] | None = None,
        rules: list[str] | None = None,
        within: str | None = None,
    ) -> list[dict[str, Any]]:
        """axe-core's violations on the page as it is laid out now: of these tags (WCAG 2.1 AA
        unless told), or of these rules only; on the whole page, or `within` a CSS selector."""
        if not self.evaluate("typeof window.axe === 'object'"):
            self.evaluate(self._axe_source)
        only = (
            {"type": "rule", "values": rules}
            if rules
            else {"type": "tag", "values": tags or WCAG_21_AA}
        )
        options = {"runOnly": only, "resultTypes": ["violations"]}
        context = json.dumps({"include": [within]}) if within else "document"
        script = f"""
            axe.run({context}, {json.dumps(options)}).then(result => result.violations.map(v => ({{
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({{
                    target: n.target.join(' '), html: n.html.slice(0, 200),
                    summary: n.failureSummary,
                }})),
            }})))
        """
        violations: list[dict[str, Any]] = self.evaluate(script)
        return violations

    def axe_version(self) -> str:
        if not self.evaluate("typeof window.axe === 'object'"):
            self.evaluate(self._axe_source)
        return str(self.evaluate("axe.version"))

    def overflow(self) -> list[str]:
        """What does not fit the window's width: the page scrolling sideways, a box whose
        content sticks out of it, or text outside the window. Visually hidden text (the
        1 px clip of a screen-reader-only label) is meant not to be seen and is left out."""
        found: list[str] = self.evaluate(_OVERFLOW_SCRIPT)
        return found

    def screenshot(self, path: Path) -> None:
        """The whole page as a PNG, as laid out now, down to the end of its content."""
        height = self.evaluate("Math.ceil(document.body.getBoundingClientRect().bottom)")
        width = self.evaluate("document.documentElement.clientWidth")
        shot = self.command(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
            },
        )
        path.write_bytes(base64.b64decode(shot["data"]))

    def press_tab(self) -> None:
        """The Tab key, as a keyboard user presses it."""
        for kind in ("rawKeyDown", "keyUp"):
            self.command(
                "Input.dispatchKeyEvent",
                {"type": kind, "key": "Tab", "code": "Tab", "windowsVirtualKeyCode": 9},
            )


_OVERFLOW_SCRIPT = """
(() => {
  const width = document.documentElement.clientWidth;
  const found = [];
  const page = document.documentElement.scrollWidth;
  if (page > width) found.push(`the page is ${page} px wide in a ${width} px window`);
  const hidden = el => {
    for (let e = el; e && e !== document.body; e = e.parentElement) {
      const style = getComputedStyle(e);
      const box = e.getBoundingClientRect();
      if (style.display === 'none' || style.visibility === 'hidden') return true;
      if ((style.clip !== 'auto' || style.clipPath !== 'none') && box.width <= 1) return true;
    }
    return false;
  };
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + ' "' + (el.textContent || '').trim().slice(0, 40) + '"';
  for (const el of document.body.querySelectorAll('*')) {
    if (hidden(el)) continue;
    if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1)
      found.push(`${name(el)}: content ${el.scrollWidth} px wide in a ${el.clientWidth} px box`);
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim() || hidden(node.parentElement)) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const rect of range.getClientRects()) {
      if (rect.width && (rect.left < -0.5 || rect.right > width + 0.5))
        found.push(`text "${node.textContent.trim().slice(0, 40)}" runs from ${Math.round(rect.left)}`
          + ` to ${Math.round(rect.right)} px in a ${width} px window`);
    }
  }
  return found;
})()
"""


@contextmanager
def running_browser() -> Iterator[Browser]:
    """A browser for a test module (skips if chromium or axe-core is missing)."""
    binary, axe = need_browser()
    browser = Browser(binary, axe)
    try:
        yield browser
    finally:
        browser.close()


@contextmanager
def serving(directory: Path) -> Iterator[str]:
    """A directory served over HTTP on loopback (port 0); yields the origin."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(directory))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def describe(violations: list[dict[str, Any]]) -> str:
    """axe's findings, one line per element, for an assertion message."""
    lines = []
    for v in violations:
        for node in v["nodes"]:
            lines.append(f"{v['id']} ({v['impact']}): {v['help']} at {node['target']}")
            lines.append(f"    {node['html']}")
            lines.append("    " + (node["summary"] or "").replace("\n", "\n    "))
    return "\n".join(lines)
