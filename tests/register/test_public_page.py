"""The public list's `index.html` in a real browser: WCAG 2.1 AA by axe-core, readable on a
375 px phone and at 200 % zoom, in the organisation's language (the law on universal design).

One headless Chromium for the module (tests/browser.py); skipped, with the reason, where
chromium or axe-core is not installed. `VAKT_UPDATE_SCREENSHOTS=1` writes the pictures in the
documentation (docs/staff/img/) from the same browser.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.register.io import PublicAccount, collation_key, public_files
from tests.browser import (
    DESKTOP,
    PHONE,
    WCAG_21_AA,
    ZOOM_200,
    Browser,
    Viewport,
    describe,
    running_browser,
    serving,
)

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "staff" / "img"
DAY = date(2026, 11, 23)

# What a municipality's list looks like, with what stretches a layout: a long name, a long
# address, an account without an address yet and one without a unit.
ACCOUNTS = [
    PublicAccount(
        "Ung i Testrud",
        "instagram",
        "page",
        "https://www.instagram.com/ungtestrud",
        "Ungdomstjenesten",
    ),
    PublicAccount(
        "Foreldrenettverket for barnehagene i Testrud kommune",
        "facebook-group",
        "open-group",
        "https://www.facebook.com/groups/foreldrenettverket.barnehagene.testrud.kommune",
        "Oppvekst og utdanning – barnehageavdelingen",
    ),
    PublicAccount("Testrud bibliotek", "facebook", "page", None, "Kultur & fritid"),
    PublicAccount(
        "Testrud kommune", "linkedin", "page", "https://www.linkedin.com/company/testrud", None
    ),
    PublicAccount(
        "Øvre Testrud grendelag", "x", "page", "https://x.com/ovretestrud", "Kultur & fritid"
    ),
]


def in_order(lang: str) -> list[PublicAccount]:
    """The accounts as the export lists them: in the language's alphabetical order."""
    return sorted(ACCOUNTS, key=lambda a: collation_key(a.name, lang))


PAGES = {"nb": in_order("nb"), "sv": in_order("sv"), "en": in_order("en"), "empty": []}
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP, "zoom200": ZOOM_200}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with running_browser() as browser:
        yield browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Each page as `vakt export-register --public` writes it, one folder per language (and
    one of an organisation with no accounts listed yet), on loopback."""
    root = tmp_path_factory.mktemp("public")
    for name, accounts in PAGES.items():
        lang = "nb" if name == "empty" else name
        folder = root / name
        folder.mkdir()
        for file, data in public_files(accounts, "Testrud kommune", lang, DAY).items():
            (folder / file).write_bytes(data)
    with serving(root) as origin:
        yield origin


def show(browser: Browser, site: str, page: str, viewport: Viewport) -> None:
    browser.view(viewport)
    browser.open(f"{site}/{page}/index.html")
    # The page's own viewport meta makes the phone's layout as wide as the phone.
    assert browser.evaluate("document.documentElement.clientWidth") == viewport.width


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("page", PAGES)
def test_axe_finds_no_wcag_21_aa_violation(
    browser: Browser, site: str, page: str, viewport: str
) -> None:
    show(browser, site, page, VIEWPORTS[viewport])
    violations = browser.axe(WCAG_21_AA)
    assert violations == [], f"axe-core {browser.axe_version()}:\n{describe(violations)}"


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("page", PAGES)
def test_the_page_reflows_without_sideways_scrolling_or_clipped_text(
    browser: Browser, site: str, page: str, viewport: str
) -> None:
    """WCAG 1.4.10 (a 320 CSS px wide reading: a 375 px phone, a 1280 px window at 200 %) and
    1.4.4: every word inside the window, the page no wider than it."""
    show(browser, site, page, VIEWPORTS[viewport])
    assert browser.overflow() == []


@pytest.mark.parametrize("viewport", ["phone", "zoom200"])
def test_wider_text_spacing_still_fits(browser: Browser, site: str, viewport: str) -> None:
    """WCAG 1.4.12: a reader's own spacing (line height 1.5, letters .12em, words .16em,
    paragraphs 2em) loses no text."""
    show(browser, site, "nb", VIEWPORTS[viewport])
    browser.evaluate(
        """(() => { const s = document.createElement('style'); s.textContent =
        '* { line-height: 1.5 !important; letter-spacing: .12em !important;'
        + ' word-spacing: .16em !important } p { margin-bottom: 2em !important }';
        document.head.append(s); return true; })()"""
    )
    assert browser.overflow() == []


@pytest.mark.parametrize(
    ("lang", "caption", "heading"),
    [
        ("nb", "Offisielle kontoer (5)", "Ansvarlig enhet"),
        ("sv", "Officiella konton (5)", "Ansvarig enhet"),
        ("en", "Official accounts (5)", "Run by"),
    ],
)
def test_the_page_says_which_language_it_is_in(
    browser: Browser, site: str, lang: str, caption: str, heading: str
) -> None:
    """`<html lang>` is the organisation's language, so a screen reader speaks it right."""
    show(browser, site, lang, DESKTOP)
    assert browser.evaluate("document.documentElement.lang") == lang
    assert browser.evaluate("document.querySelector('caption').textContent") == caption
    assert heading in browser.evaluate("document.querySelector('thead').textContent")


def accessibility_tree(browser: Browser) -> list[tuple[str, str]]:
    nodes: list[dict[str, Any]] = browser.command("Accessibility.getFullAXTree")["nodes"]
    return [
        (node["role"]["value"], node.get("name", {}).get("value", ""))
        for node in nodes
        if not node.get("ignored")
    ]


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_a_screen_reader_gets_a_table_on_a_phone_too(
    browser: Browser, site: str, viewport: str
) -> None:
    """On a phone the rows are laid out as blocks; the browser still hands a screen reader a
    table with its caption, column headings and one row heading per account, and the
    headings shown in front of each cell are not read out a second time."""
    show(browser, site, "en", VIEWPORTS[viewport])
    tree = accessibility_tree(browser)
    assert ("table", "Official accounts (5)") in tree
    assert [name for role, name in tree if role == "columnheader"] == [
        "Name",
        "Platform",
        "Type",
        "Address",
        "Run by",
    ]
    assert [name for role, name in tree if role == "rowheader"] == [a.name for a in PAGES["en"]]
    cells = [name for role, name in tree if role == "cell"]
    assert "Instagram" in cells and "Open group" in cells
    assert not any(name.startswith(("Platform", "Type:")) for name in cells)
    assert [role for role, _ in tree].count("main") == 1
    assert ("link", "https://www.instagram.com/ungtestrud") in tree


def test_the_keyboard_focus_is_plain_to_see(browser: Browser, site: str) -> None:
    """WCAG 2.4.7: Tab reaches the first address, and it gets a solid ring of 3 px."""
    show(browser, site, "nb", DESKTOP)
    browser.press_tab()
    focused = browser.evaluate(
        """(() => { const e = document.activeElement, s = getComputedStyle(e);
        return [e.tagName, e.textContent, s.outlineStyle, s.outlineWidth]; })()"""
    )
    first = next(a.url for a in PAGES["nb"] if a.url)
    assert focused == ["A", first, "solid", "3px"]


def test_the_screenshots_in_the_documentation(browser: Browser, site: str, tmp_path: Path) -> None:
    """The pictures in docs/staff/register-files.md come from this browser; they stay small.
    With VAKT_UPDATE_SCREENSHOTS=1 this test writes them anew."""
    update = os.environ.get("VAKT_UPDATE_SCREENSHOTS") == "1"
    folder = SCREENSHOTS if update else tmp_path
    for name, viewport in (("public-list-phone.png", PHONE), ("public-list-desktop.png", DESKTOP)):
        show(browser, site, "nb", viewport)
        browser.screenshot(folder / name)
        shot = (folder / name).read_bytes()
        assert shot.startswith(b"\x89PNG\r\n\x1a\n")
        assert len(shot) < 150_000, (name, len(shot))
        committed = SCREENSHOTS / name
        assert committed.is_file() and committed.stat().st_size < 150_000, committed
    docs = (ROOT / "docs" / "staff" / "register-files.md").read_text()
    assert "](img/public-list-phone.png)" in docs and "](img/public-list-desktop.png)" in docs
