"""Archiving duties as plain functions: what a deletion still lacks, when a snapshot falls due,
which files the archive accepts, and the names they are kept under.

Public-records law makes a municipality keep what it removes from its own accounts (VT3, KG2,
NB5); some organisations require approval and a registration reference for every deletion (RK1),
all of them for confidential content (KG3); each account is snapshot periodically (KG5, NB6).
"""

from __future__ import annotations

import calendar as _cal
import functools
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from PIL import Image

from bot.kernel.calendar import WorkCalendar
from bot.kernel.config import ArchiveRules


class Reason(StrEnum):
    """Why a comment was removed: the list the seeds give, in this order."""

    ATTACK = "attack"  # personal attack or defamation
    HATE = "hate"  # hate speech or harassment
    VIOLENCE = "violence"  # violence or pornography
    CRIME = "crime"  # incitement to crime
    COPYRIGHT = "copyright"
    PROFANITY = "profanity"  # profanity or obscenity
    CONFIDENTIAL = "confidential"  # confidential or sensitive personal data (KG3)
    SPAM = "spam"  # spam or off-topic
    OTHER = "other"  # with a text


class Notified(StrEnum):
    """Whether the poster was told why their comment was removed (RK1, NB5)."""

    YES = "yes"
    IMPOSSIBLE = "impossible"
    NOT_YET = "not_yet"


class Step(StrEnum):
    """A step of a deletion's checklist, in the order people do them."""

    DETAILS = "details"  # the reason (and its text when "other")
    EVIDENCE = "evidence"  # a screenshot archived, or a link to the archive system
    NOTIFIED = "notified"
    APPROVAL = "approval"
    REGISTRATION = "registration"


class SnapshotKind(StrEnum):
    PERIODIC = "periodic"
    BEFORE_CHANGE = "before_change"  # NB6: before a big change
    FINAL = "final"  # before closing the account


@dataclass(frozen=True)
class DeletionState:
    """What the checklist looks at."""

    reason: str | None
    reason_text: str | None
    has_evidence: bool
    poster_notified: str
    approved_by: str | None
    registration_ref: str | None


def needs_reference(rules: ArchiveRules, reason: str | None) -> bool:
    """Confidential content is always registered (KG3); everything is where required."""
    return rules.require_registration or reason == Reason.CONFIDENTIAL


def steps(rules: ArchiveRules, reason: str | None) -> list[Step]:
    """The steps a deletion with this reason has under these rules."""
    wanted = [Step.DETAILS, Step.EVIDENCE, Step.NOTIFIED]
    if rules.require_approval:
        wanted.append(Step.APPROVAL)
    if needs_reference(rules, reason):
        wanted.append(Step.REGISTRATION)
    return wanted


def missing_steps(rules: ArchiveRules, state: DeletionState) -> list[Step]:
    """The steps still open; empty when the deletion is complete."""
    done = {
        Step.DETAILS: state.reason is not None
        and (state.reason != Reason.OTHER or bool(state.reason_text)),
        Step.EVIDENCE: state.has_evidence,
        Step.NOTIFIED: state.poster_notified in (Notified.YES, Notified.IMPOSSIBLE),
        Step.APPROVAL: bool(state.approved_by),
        Step.REGISTRATION: bool(state.registration_ref),
    }
    return [step for step in steps(rules, state.reason) if not done[step]]


# ---------------------------------------------------------------- snapshots


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day when it is shorter (31 Aug + 6 → 28
    or 29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, _cal.monthrange(year, month)[1]))


def snapshot_due(last: date | None, registered: date, months: int) -> date | None:
    """When the next snapshot falls due: `months` after the last one, or after the account was
    registered when there is none yet. None when the account has no interval."""
    if months <= 0:
        return None
    return add_months(last or registered, months)


REMIND_EVERY = timedelta(days=7)


def snapshot_reminder_day(cal: WorkCalendar, due: date, today: date) -> date | None:
    """The day whose reminder is the one to send today, if any: the first working day on or
    after the due date, then the same weekday each week until the snapshot is taken."""
    first = cal.add_working_days(due, 0)
    if today < first:
        return None
    if not cal.is_working_day(today):
        return None
    weeks = (today - first).days // 7
    candidate = first + REMIND_EVERY * weeks
    # A week later may fall on a holiday: the reminder moves to the next working day.
    if cal.add_working_days(candidate, 0) == today:
        return candidate
    return None


def review_day(cal: WorkCalendar, year: int, month_day: tuple[int, int]) -> date:
    """The working day of the yearly guideline review (KG7): the date, or the next working
    day when it is closed. 29 February falls on 28 February in other years."""
    month, day = month_day
    day = min(day, _cal.monthrange(year, month)[1])
    return cal.add_working_days(date(year, month, day), 0)


# ---------------------------------------------------------------- files

# What the archive keeps: images and PDF, recognised by their content, not by their name.
CONTENT_TYPES = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/heic": "heic",
    "application/pdf": "pdf",
}


def sniff(head: bytes) -> str | None:
    """The content type the first bytes of a file show, among those the archive keeps."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1"):
        return "image/heic"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


# Pillow's names for what the first bytes showed (a phone's JPEG with several pictures in it, a
# depth map say, opens as MPO; pillow-heif names HEIC "HEIF").
DECODED_AS = {
    "image/png": ("PNG",),
    "image/jpeg": ("JPEG", "MPO"),
    "image/gif": ("GIF",),
    "image/webp": ("WEBP",),
    "image/heic": ("HEIF",),
}
MAX_PIXELS = 80_000_000  # more than any phone camera or full-page screenshot; bounds the memory


def whole_image(content: bytes, content_type: str) -> bool:
    """Whether a file whose first bytes show `content_type` really is such an image, whole: it
    decodes to the last pixel of every frame as that format, and, where the format says where
    it ends (PNG, WebP, HEIC), nothing follows, so an HTML page hidden behind a valid picture
    is no screenshot either. A PDF is taken by its first bytes."""
    formats = DECODED_AS.get(content_type)
    if formats is None:
        return content_type in CONTENT_TYPES
    if content_type == "image/heic":
        _heif_opener()
    try:
        with Image.open(io.BytesIO(content), formats=formats) as image:
            if image.format not in formats or image.width * image.height > MAX_PIXELS:
                return False
            image.verify()
        with Image.open(io.BytesIO(content), formats=formats) as image:
            for frame in range(getattr(image, "n_frames", 1)):
                image.seek(frame)
                image.load()
    except Exception:  # a decoder fed a hostile file may fail in any way at all
        return False
    return _ends_at_the_end(content, content_type)


@functools.cache
def _heif_opener() -> None:
    import pillow_heif

    pillow_heif.register_heif_opener()


def _ends_at_the_end(content: bytes, content_type: str) -> bool:
    if content_type == "image/png":
        return _png_end(content) == len(content)
    if content_type == "image/webp":  # a RIFF file says its length
        return 8 + int.from_bytes(content[4:8], "little") == len(content)
    if content_type == "image/heic":
        return _boxes_end(content) == len(content)
    if content_type == "image/gif":
        return _gif_end(content) == len(content)
    # JPEG: phones keep more after the picture's end (motion photos, depth maps).
    return True


def _png_end(content: bytes) -> int | None:
    """Where a PNG's IEND chunk ends (length, type, data, CRC per chunk), None without one."""
    at = 8
    while at + 12 <= len(content):
        length = int.from_bytes(content[at : at + 4], "big")
        kind = content[at + 4 : at + 8]
        at += 12 + length
        if kind == b"IEND":
            return at
    return None


def _gif_end(content: bytes) -> int | None:
    """Where a GIF's trailer byte is: after the colour table, each extension and image, and
    their data sub-blocks; None when the structure breaks off first."""
    if len(content) < 13:
        return None
    at = 13 + _colour_table(content[10])
    while at < len(content):
        block = content[at]
        if block == 0x3B:
            return at + 1
        if block == 0x21:  # an extension: introducer, label, sub-blocks
            at += 2
        elif block == 0x2C:  # an image: descriptor, colour table, LZW code size, sub-blocks
            if at + 10 > len(content):
                return None
            at += 10 + _colour_table(content[at + 9]) + 1
        else:
            return None
        while at < len(content) and content[at] != 0:
            at += 1 + content[at]
        at += 1  # the empty sub-block that ends them
    return None


def _colour_table(flags: int) -> int:
    return 3 * (2 << (flags & 7)) if flags & 0x80 else 0


def _boxes_end(content: bytes) -> int | None:
    """Where the last top-level box of an ISO media file (HEIC) ends, None when one is broken."""
    at = 0
    while at < len(content):
        if at + 8 > len(content):
            return None
        size = int.from_bytes(content[at : at + 4], "big")
        if size == 0:  # "to the end of the file"
            return len(content)
        if size == 1:
            if at + 16 > len(content):
                return None
            size = int.from_bytes(content[at + 8 : at + 16], "big")
        if size < 8:
            return None
        at += size
    return at


def declared_type(mimetype: str | None) -> str | None:
    """The archive's name for the type Slack says a file has, or None when it is not kept."""
    value = (mimetype or "").split(";")[0].strip().lower()
    if value == "image/jpg":
        value = "image/jpeg"
    return value if value in CONTENT_TYPES else None


SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def archive_path(
    owner: str, owner_id: int, file_id: str, sha256: str, content_type: str, day: date
) -> str:
    """Where an archived file is kept, relative to the archive directory: by year and month,
    named by what it belongs to, Slack's file id and the start of its hash, so two files can
    never share a name (and the same file for the same owner always has the same one)."""
    ext = CONTENT_TYPES[content_type]
    name = f"{owner}-{owner_id}_{SAFE.sub('_', file_id)[:20]}_{sha256[:16]}.{ext}"
    return f"{day.year:04d}/{day.month:02d}/{name}"


def clean_name(name: str) -> str:
    """An uploaded file's original name, fit to keep in a sidecar (no paths, no controls)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable())
    base = base[:255].strip()
    return base if base not in ("", ".", "..") else "file"
