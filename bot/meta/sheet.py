"""A comment's capture drawn as a PNG "capture sheet": the comment as it stood, with the
account, the time, the link and the SHA-256 of the JSON capture it was drawn from, so a person
reading the archive sees it and can check it against the JSON beside it."""

from __future__ import annotations

import io
import textwrap
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw, ImageFont

from bot.kernel.i18n import plain

WIDTH = 1000
MARGIN = 40
LINE = 26
WRAP = 80


def capture_sheet(capture: dict[str, Any], sha256: str, lang: str, tz: ZoneInfo) -> bytes:
    """The PNG bytes of the sheet (deterministic for the same capture)."""
    font = ImageFont.load_default(size=18)
    small = ImageFont.load_default(size=14)
    author = capture.get("author") or {}
    created = capture.get("created_at")
    when = (
        datetime.fromisoformat(created).astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")
        if created
        else "?"
    )
    facts = [
        (plain(lang, "meta.sheet_account"), str(capture.get("account") or "")),
        (plain(lang, "meta.sheet_platform"), str(capture.get("platform") or "")),
        (
            plain(lang, "meta.sheet_author"),
            f"{author.get('name') or '?'} ({author.get('id') or '?'})",
        ),
        (plain(lang, "meta.sheet_written"), when),
        (plain(lang, "meta.sheet_link"), str(capture.get("link") or "")),
    ]
    body: list[str] = []
    for paragraph in str(capture.get("message") or "").splitlines() or [""]:
        body.extend(textwrap.wrap(paragraph, WRAP) or [""])
    for earlier in capture.get("earlier") or []:
        body.append("")
        body.append(plain(lang, "meta.sheet_earlier"))
        body.extend(textwrap.wrap(str(earlier.get("message") or ""), WRAP) or [""])
    attachments = [str(url) for url in capture.get("attachments") or []]
    lines = len(facts) + 2 + len(body) + len(attachments) + 3
    image = Image.new("RGB", (WIDTH, MARGIN * 2 + LINE * lines), "white")
    draw = ImageDraw.Draw(image)
    y = MARGIN
    draw.text((MARGIN, y), plain(lang, "meta.sheet_title"), fill="black", font=font)
    y += LINE * 2
    for label, value in facts:
        draw.text((MARGIN, y), f"{label}: {value[:110]}", fill="black", font=small)
        y += LINE
    y += LINE // 2
    draw.line((MARGIN, y, WIDTH - MARGIN, y), fill="#888888", width=1)
    y += LINE // 2
    for line in body:
        draw.text((MARGIN, y), line, fill="black", font=font)
        y += LINE
    for url in attachments:
        draw.text((MARGIN, y), url[:120], fill="#1a4d8f", font=small)
        y += LINE
    y += LINE
    draw.text((MARGIN, y), f"SHA-256 (JSON): {sha256}", fill="#333333", font=small)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
