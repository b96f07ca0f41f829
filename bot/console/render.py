"""Block Kit as readable terminal text: pure functions of the blocks, the names of the
workspace's users and channels, the width and the style (colours only on a TTY)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wcwidth import wcswidth, wcwidth

# The shortcodes Vakt's texts use (and a few common ones); others are left as typed.
EMOJI = {
    "white_check_mark": "✅",
    "warning": "⚠️",
    "wastebasket": "🗑️",
    "hourglass_flowing_sand": "⏳",
    "hourglass": "⌛",
    "file_cabinet": "🗄️",
    "file_folder": "📁",
    "tada": "🎉",
    "no_entry": "⛔",
    "lock": "🔒",
    "eyes": "👀",
    "busts_in_silhouette": "👥",
    "bust_in_silhouette": "👤",
    "zzz": "💤",
    "wave": "👋",
    "repeat": "🔁",
    "memo": "📝",
    "leftwards_arrow_with_hook": "↩️",
    "card_index": "📇",
    "speech_balloon": "💬",
    "ballot_box_with_check": "☑️",
    "x": "❌",
    "white_large_square": "⬜",
    "rotating_light": "🚨",
    "red_circle": "🔴",
    "large_green_circle": "🟢",
    "large_yellow_circle": "🟡",
    "palm_tree": "🌴",
    "handshake": "🤝",
    "camera_with_flash": "📸",
    "camera": "📷",
    "calendar": "📆",
    "spiral_calendar_pad": "🗓️",
    "triangular_flag_on_post": "🚩",
    "heavy_minus_sign": "➖",
    "bar_chart": "📊",
    "chart_with_upwards_trend": "📈",
    "chart_with_downwards_trend": "📉",
    "bell": "🔔",
    "house": "🏠",
    "inbox_tray": "📥",
    "link": "🔗",
    "paperclip": "📎",
    "point_right": "👉",
    "sunrise": "🌅",
    "thermometer": "🌡️",
    "question": "❓",
    "information_source": "ℹ️",
}

BOLD_ON, BOLD_OFF = "\x01", "\x02"  # markers while wrapping; styled (or dropped) afterwards
ANSI = {"bold": "1", "dim": "2", "italic": "3", "underline": "4", "cyan": "36", "yellow": "33"}
MAX_DIVIDER = 60


@dataclass(frozen=True)
class Style:
    """Terminal styling: ANSI escapes when `colour`, else the plain text unchanged."""

    colour: bool = False

    def __call__(self, text: str, *names: str) -> str:
        if not self.colour or not names or not text:
            return text
        codes = ";".join(ANSI[name] for name in names)
        return f"\x1b[{codes}m{text}\x1b[0m"

    def finish(self, text: str) -> str:
        """Turn the bold markers left by `mrkdwn` into escapes (or drop them)."""
        if self.colour:
            return text.replace(BOLD_ON, "\x1b[1m").replace(BOLD_OFF, "\x1b[22m")
        return text.replace(BOLD_ON, "").replace(BOLD_OFF, "")


@dataclass(frozen=True)
class Names:
    """Display names of the workspace: users by id, channels by id (without the #)."""

    users: Mapping[str, str] = field(default_factory=dict)
    channels: Mapping[str, str] = field(default_factory=dict)

    def user(self, user_id: str) -> str:
        return "@" + self.users.get(user_id, user_id)

    def channel(self, channel_id: str) -> str:
        return "#" + self.channels.get(channel_id, channel_id)


@dataclass(frozen=True)
class Button:
    """A pressable element as it was rendered: what a block_actions payload needs."""

    text: str
    action_id: str
    value: str | None
    block_id: str | None
    element: Mapping[str, Any]
    context: str = ""  # the first line of the text it stands under, to tell like buttons apart


Labeller = Callable[[Button], str]


def _plain_label(button: Button) -> str:
    return button.text


@dataclass
class Rendered:
    lines: list[str]
    buttons: list[Button]


# ---------------------------------------------------------------- mrkdwn

_ANGLE = re.compile(r"<([^<>]+)>")
_BOLD = re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w])_(?!\s)([^_\n]+?)(?<!\s)_(?![\w])")
_STRIKE = re.compile(r"(?<![\w~])~(?!\s)([^~\n]+?)(?<!\s)~(?![\w~])")
_EMOJI = re.compile(r":([a-z][a-z0-9_+-]*):")
# Slack decodes these three and shows every other "&...;" as typed.
_ENTITY = re.compile(r"&(amp|lt|gt);")
_DECODED = {"amp": "&", "lt": "<", "gt": ">"}


def _angle(match: re.Match[str], names: Names) -> str:
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return "@" + label if label else names.user(target[1:])
    if target.startswith("#"):
        return "#" + label if label else names.channel(target[1:])
    if target.startswith("!date^"):
        return label or target
    if target.startswith("!subteam^"):
        return label or "@group"
    if target.startswith("!"):
        return "@" + target[1:]
    if target.startswith("mailto:"):
        return label or target[len("mailto:") :]
    if label and label != target:
        return f"{label} ({target})"
    return target


def mrkdwn(text: str, names: Names) -> str:
    """Slack mrkdwn made readable: mentions and channels by name, links as `label (url)`,
    dates by their fallback, emoji shortcodes as emoji, *bold* marked for the style, and
    `&amp;`, `&lt;` and `&gt;` (only those, as in Slack) as the characters they stand for."""
    text = _ANGLE.sub(lambda m: _angle(m, names), text)
    text = _BOLD.sub(lambda m: BOLD_ON + m.group(1) + BOLD_OFF, text)
    text = _ITALIC.sub(r"\1", text)
    text = _STRIKE.sub(r"\1", text)
    text = _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)
    return _ENTITY.sub(lambda m: _DECODED[m.group(1)], text)


def text_of(obj: Any, names: Names) -> str:
    """A text object's words: mrkdwn made readable, plain_text as it is."""
    if not isinstance(obj, dict):
        return str(obj or "")
    raw = str(obj.get("text") or "")
    if obj.get("type") == "mrkdwn":
        return mrkdwn(raw, names)
    return _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), raw)


# ---------------------------------------------------------------- layout


_INVISIBLE = re.compile(r"\x1b\[[0-9;]*m|[\x01\x02]")
_JOINERS = {"\u200d"}  # a zero-width joiner binds the next character to the one before


def width_of(text: str) -> int:
    """The columns `text` takes on a terminal: wide characters (emoji, CJK) take two,
    combining marks and variation selectors none; style escapes and bold markers none."""
    visible = _INVISIBLE.sub("", text)
    measured = wcswidth(visible)
    if measured >= 0:
        return int(measured)
    return sum(max(0, wcwidth(ch)) for ch in visible)  # a control character: count the rest


def pad(text: str, columns: int) -> str:
    """`text` with spaces after it up to `columns` terminal columns."""
    return text + " " * max(0, columns - width_of(text))


def _cut(word: str, room: int) -> tuple[str, str]:
    """The longest head of `word` that fits in `room` columns (at least one character, with
    the marks that belong to it), and the rest."""
    end = 0
    for i in range(1, len(word) + 1):
        if i < len(word) and (wcwidth(word[i]) == 0 or word[i - 1] in _JOINERS):
            continue  # never part a character from its marks, nor a joined sequence
        if end and width_of(word[:i]) > room:
            break
        end = i
    return word[:end], word[end:]


def _wrap_line(line: str, width: int, first: str, rest: str) -> list[str]:
    """One line filled to `width` terminal columns, word by word: runs of spaces inside a line
    are kept, those where it breaks dropped, a word longer than a line cut."""
    chunks = re.findall(r"\S+|\s+", line)
    out: list[str] = []
    i = 0
    while i < len(chunks):
        indent = rest if out else first
        room = max(1, width - width_of(indent))
        taken: list[str] = []
        used = 0
        while i < len(chunks):
            chunk = chunks[i]
            size = width_of(chunk)
            if chunk.isspace() and (out or used + size > room) and not taken:
                i += 1  # no line starts with the spaces it broke at
                continue
            if used + size <= room:
                taken.append(chunk)
                used += size
                i += 1
                continue
            if not chunk.isspace() and size > room:
                head, tail = _cut(chunk, room - used)
                if not taken or width_of(head) <= room - used:
                    taken.append(head)
                    chunks[i] = tail
                    i += 0 if tail else 1
            break
        while taken and taken[-1].isspace():
            taken.pop()
        if taken:
            out.append(indent + "".join(taken))
    return out


def wrap(text: str, width: int, indent: str = "") -> list[str]:
    """Wrap each line of `text` to `width` terminal columns, keeping a list's hanging indent."""
    out: list[str] = []
    for line in text.expandtabs().split("\n"):
        if not line.strip():
            out.append(indent.rstrip())
            continue
        lead = len(line) - len(line.lstrip())
        bullet = re.match(r"\s*(?:[•◦▪\-–]|\d+[.)])\s+", line)
        hang = " " * (width_of(bullet.group(0)) if bullet else lead)
        if line.startswith("> "):
            hang = "> "  # a quoted line stays quoted when it wraps
        out.extend(_wrap_line(line, max(20, width), indent, indent + hang) or [indent])
    return out


def columns(cells: Sequence[str], width: int) -> list[str]:
    """Section fields two by two, side by side when they fit, else one under the other."""
    half = (width - 2) // 2
    lines: list[str] = []
    for i in range(0, len(cells), 2):
        pair = cells[i : i + 2]
        left = wrap(pair[0], half)
        right = wrap(pair[1], half) if len(pair) > 1 else []
        for row in range(max(len(left), len(right))):
            a = left[row] if row < len(left) else ""
            b = right[row] if row < len(right) else ""
            lines.append((pad(a, half + 2) + b).rstrip() if b else a)
    return lines


def _element(
    el: Mapping[str, Any], block_id: str | None, names: Names, label: Labeller, context: str = ""
) -> tuple[str, Button | None]:
    """An interactive element inline: `[Label]` for a button, a short note for the rest."""
    kind = el.get("type")
    if kind == "button":
        button = Button(
            text=text_of(el.get("text"), names),
            action_id=str(el.get("action_id") or ""),
            value=str(el["value"]) if el.get("value") is not None else None,
            block_id=block_id,
            element=el,
            context=context,
        )
        return f"[{label(button)}]", button
    if kind == "image":
        return f"[image: {el.get('alt_text') or ''}]", None
    if kind in ("static_select", "overflow", "users_select", "conversations_select"):
        placeholder = text_of(el.get("placeholder"), names) if el.get("placeholder") else "menu"
        return f"[{placeholder} ▾]", None
    if kind == "datepicker":
        return f"[date: {el.get('initial_date') or 'YYYY-MM-DD'}]", None
    return f"[{kind}]", None


def _rich_text(node: Any, names: Names) -> str:
    if isinstance(node, list):
        return "".join(_rich_text(n, names) for n in node)
    if not isinstance(node, dict):
        return ""
    kind = node.get("type")
    if kind == "text":
        return str(node.get("text") or "")
    if kind == "link":
        return str(node.get("text") or node.get("url") or "")
    if kind == "user":
        return names.user(str(node.get("user_id") or ""))
    if kind == "channel":
        return names.channel(str(node.get("channel_id") or ""))
    if kind == "emoji":
        return EMOJI.get(str(node.get("name")), f":{node.get('name')}:")
    if kind == "rich_text_list":
        return "\n".join("• " + _rich_text(e, names) for e in node.get("elements") or [])
    inner = _rich_text(node.get("elements") or [], names)
    return inner + ("\n" if kind in ("rich_text_section", "rich_text_preformatted") else "")


INPUT_HINTS = {
    "plain_text_input": "text",
    "url_text_input": "web address",
    "email_text_input": "e-mail",
    "number_input": "number",
    "datepicker": "YYYY-MM-DD",
    "datetimepicker": "YYYY-MM-DD HH:MM",
    "timepicker": "HH:MM",
    "static_select": "pick one",
    "radio_buttons": "pick one",
    "checkboxes": "pick any",
    "multi_static_select": "pick any",
    "users_select": "@name",
    "multi_users_select": "@name @name",
    "conversations_select": "#channel",
    "channels_select": "#channel",
    "file_input": "file path",
}


def render_blocks(
    blocks: Sequence[Mapping[str, Any]],
    names: Names,
    *,
    width: int = 80,
    style: Style | None = None,
    label: Labeller = _plain_label,
) -> Rendered:
    """Blocks as lines of text, and the buttons in them (in the order shown)."""
    style = style or Style()
    lines: list[str] = []
    buttons: list[Button] = []

    def add(text_lines: list[str], *how: str) -> None:
        lines.extend(
            style(style.finish(line), *how) if how else style.finish(line) for line in text_lines
        )

    context = ""  # the text the next buttons stand under

    def press(el: Mapping[str, Any], block_id: str | None) -> str:
        shown, button = _element(el, block_id, names, label, context)
        if button is not None:
            buttons.append(button)
            return style(shown, "bold", "cyan")
        return style(shown, "dim")

    for block in blocks:
        kind = block.get("type")
        block_id = str(block["block_id"]) if block.get("block_id") else None
        if kind in ("header", "section") and block.get("text"):
            context = Style().finish(text_of(block["text"], names)).strip().split("\n")[0]
        if kind == "header":
            title = text_of(block.get("text"), names)
            add([title], "bold")
            add(["═" * min(width, width_of(title))])
        elif kind == "section":
            if block.get("text"):
                add(wrap(text_of(block["text"], names), width))
            if block.get("fields"):
                add(columns([text_of(f, names) for f in block["fields"]], width))
            accessory = block.get("accessory")
            if isinstance(accessory, dict):
                lines.append("  " + press(accessory, block_id))
        elif kind == "context":
            parts = [
                f"[image: {el.get('alt_text') or ''}]"
                if el.get("type") == "image"
                else text_of(el, names)
                for el in block.get("elements") or []
            ]
            add(wrap("  ".join(p for p in parts if p), width - 2, "  "), "dim")
        elif kind == "divider":
            lines.append(style("─" * min(width, MAX_DIVIDER), "dim"))
        elif kind == "actions":
            shown = [press(el, block_id) for el in block.get("elements") or []]
            row = ""
            for item in shown:
                if row and width_of(row) + 1 + width_of(item) > width:
                    lines.append(row)
                    row = ""
                row = f"{row} {item}" if row else item
            if row:
                lines.append(row)
        elif kind == "image":
            title = text_of(block.get("title"), names) if block.get("title") else ""
            lines.append(style(f"[image: {block.get('alt_text') or title}]", "dim"))
        elif kind == "input":
            el = block.get("element") or {}
            optional = " (optional)" if block.get("optional") else ""
            hint = INPUT_HINTS.get(str(el.get("type")), str(el.get("type")))
            add([f"▸ {text_of(block.get('label'), names)}{optional}  ‹{hint}›"])
            if block.get("hint"):
                add(wrap(text_of(block["hint"], names), width - 4, "    "), "dim")
        elif kind == "rich_text":
            add(wrap(_rich_text(block.get("elements") or [], names).rstrip("\n"), width))
        elif kind == "file":
            lines.append(style("[file]", "dim"))
        else:
            lines.append(style(f"[{kind} block]", "dim"))
    return Rendered(lines, buttons)


def render_message(
    text: str,
    blocks: Sequence[Mapping[str, Any]] | None,
    names: Names,
    *,
    width: int = 80,
    style: Style | None = None,
    label: Labeller = _plain_label,
) -> Rendered:
    """A message: its blocks, or its text when it has none."""
    style = style or Style()
    if blocks:
        return render_blocks(blocks, names, width=width, style=style, label=label)
    return Rendered([style.finish(line) for line in wrap(mrkdwn(text, names), width)], [])


def render_view(
    view: Mapping[str, Any],
    names: Names,
    *,
    width: int = 80,
    style: Style | None = None,
    label: Labeller = _plain_label,
) -> Rendered:
    """A modal or Home tab: its title (modals), then its blocks."""
    style = style or Style()
    rendered = render_blocks(view.get("blocks") or [], names, width=width, style=style, label=label)
    title = text_of(view.get("title"), names) if view.get("title") else ""
    if title:
        rendered.lines[:0] = [style(f"┃ {title}", "bold"), ""]
    return rendered


def frame(where: str, when: str, width: int = 80, style: Style | None = None) -> str:
    """The line above a message: where it went, who sent it, when."""
    style = style or Style()
    head = f"── {where} · {when} "
    return style(head + "─" * max(2, min(width, 72) - width_of(head)), "cyan")


def size_text(size: int) -> str:
    """A file size the way people read it: 512 B, 34 KB, 1.2 MB."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def indent(lines: Sequence[str], prefix: str = "    ") -> list[str]:
    """Lines of a thread reply, set in under the message it answers."""
    return [prefix + line if line else prefix.rstrip() for line in lines]
