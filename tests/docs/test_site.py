"""The documentation site meets WCAG 2.1 AA too: built as CI builds it, served on loopback, and
checked by axe-core in a real headless Chromium (tests/browser.py), page by page of the nav.

Skipped, with the reason, where chromium or axe-core is not installed. What the theme does and
no configuration of ours can change is listed in `theme_issue`, each with why, as narrowly as
axe lets us say it (rule, element and viewport); everything else is ours to fix (in the Markdown, `mkdocs.yml` or
`docs/stylesheets/accessibility.css`).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.browser import (
    DESKTOP,
    PHONE,
    WCAG_21_AA,
    Browser,
    Viewport,
    describe,
    running_browser,
    serving,
)
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]

# Rules outside WCAG's own tags that still judge what we write in Markdown: headings in order,
# no empty heading or table heading, one title per page. Run on the page's content only.
CONTENT_RULES = ["heading-order", "empty-heading", "empty-table-header", "page-has-heading-one"]


def nav_pages() -> list[str]:
    """Every page of the nav as its address below the site root ("" for the home page)."""

    def walk(entries: list[Any]) -> Iterator[str]:
        for entry in entries:
            values = entry.values() if isinstance(entry, dict) else [entry]
            for value in values:
                if isinstance(value, list):
                    yield from walk(value)
                else:
                    yield str(value)

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    return [address(page) for page in walk(config["nav"])]


def address(page: str) -> str:
    """Where mkdocs puts a page: staff/duty.md at staff/duty/, index.md at the root."""
    return re.sub(r"\.md$", "/", re.sub(r"(^|/)index\.md$", r"\1", page))


PAGES = [*nav_pages(), "404.html"]
# One phone pass over the pages whose content stretches a narrow screen (tables, code, images);
# the theme's phone layout is the same on every page.
PHONE_PAGES = ["", "operator/config/", "staff/register-files/"]


def theme_issue(viewport: Viewport, rule: str, target: str) -> str | None:
    """Why a finding is the theme's and not ours, or None."""
    if (
        viewport.mobile
        and rule == "scrollable-region-focusable"
        and re.fullmatch(r"#__code_\d+ > code", target)
    ):
        # Material makes a code block that scrolls sideways focusable (tabindex=0) only where
        # `(hover)` matches (its code-block component checks matchMedia("(hover)")), so on a
        # touch screen a keyboard cannot scroll it. On a desktop with a mouse it can, and that
        # is checked. There is no setting for it; wrapping code on phones would misalign it.
        return "mkdocs-material: scrollable code blocks get no tabindex without (hover)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with running_browser() as browser:
        yield browser


@pytest.fixture(scope="module")
def site(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The site as CI builds it (`mkdocs build --strict`), on loopback."""
    out = tmp_path_factory.mktemp("site")
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    with serving(out) as origin:
        yield origin


def check(browser: Browser, site: str, page: str, viewport: Viewport) -> list[dict[str, Any]]:
    """axe's findings on one page, the theme's known ones taken out."""
    browser.view(viewport)
    browser.open(f"{site}/{page}")
    # The theme's script numbers each code block as it sets it up (`pre#__code_N`); axe judges
    # the page once that is done.
    wait_until(
        lambda: browser.evaluate(
            "[...document.querySelectorAll('.md-content pre')].every(p => p.id)"
        ),
        what=f"for the theme to set up {page or 'the home page'}",
    )
    findings = browser.axe(WCAG_21_AA) + browser.axe(rules=CONTENT_RULES, within=".md-content")
    ours = []
    for violation in findings:
        nodes = [
            node
            for node in violation["nodes"]
            if theme_issue(viewport, violation["id"], node["target"]) is None
        ]
        if nodes:
            ours.append({**violation, "nodes": nodes})
    return ours


@pytest.mark.parametrize("page", PAGES)
def test_a_page_on_a_desktop_meets_wcag_21_aa(browser: Browser, site: str, page: str) -> None:
    violations = check(browser, site, page, DESKTOP)
    assert violations == [], f"axe-core {browser.axe_version()}:\n{describe(violations)}"


@pytest.mark.parametrize("page", PHONE_PAGES)
def test_a_page_on_a_phone_meets_wcag_21_aa(browser: Browser, site: str, page: str) -> None:
    violations = check(browser, site, page, PHONE)
    assert violations == [], f"axe-core {browser.axe_version()}:\n{describe(violations)}"


def test_the_nav_is_what_is_checked() -> None:
    """Every page the site has is in the nav (mkdocs `--strict` fails otherwise), so checking
    the nav checks them all; here, that the list read from it is the whole of docs/."""
    written = {address(str(p.relative_to(ROOT / "docs"))) for p in (ROOT / "docs").rglob("*.md")}
    assert set(nav_pages()) == written
