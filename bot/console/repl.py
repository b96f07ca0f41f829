"""The console's loop: a line in (a `/vakt` command, a button's label, a `:` command), what
Vakt did in the stand-in Slack out, rendered as text. Modals are filled in field by field."""

from __future__ import annotations

import contextlib
import re
import shlex
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot.console import mentions
from bot.console.render import (
    Button,
    Names,
    Rendered,
    Style,
    frame,
    indent,
    mrkdwn,
    pad,
    render_message,
    render_view,
    size_text,
    text_of,
    width_of,
    wrap,
)
from bot.console.session import ButtonPlace, ConsoleSession
from bot.console.slack import Event
from bot.console.texts import short_moment, tr, when_text
from bot.kernel.errors import VaktError

Reader = Callable[[str], str | None]  # shows a prompt, returns the line (None at the end)

WEEKDAYS = {
    name: i
    for i, names in enumerate(
        (
            ("monday", "mon", "mandag", "måndag"),
            ("tuesday", "tue", "tirsdag", "tisdag"),
            ("wednesday", "wed", "onsdag"),
            ("thursday", "thu", "torsdag", "torsdag"),
            ("friday", "fri", "fredag"),
            ("saturday", "sat", "lørdag", "lördag"),
            ("sunday", "sun", "søndag", "söndag"),
        )
    )
    for name in names
}
STEP = re.compile(r"(\d{1,4})\s*([wdhm])")
UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}


class TimeError(ValueError):
    """A `:time` argument the console cannot read: why, as a console text and its values."""

    def __init__(self, key: str, **params: str) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def parse_when(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """A target instant in the organisation's zone: `2026-12-28 09:05` (or T, or a date alone:
    at the same time of day), `13:00` (today), `+1d`, `+2h30m`, `tomorrow 08:00`, `monday 09:05`
    (the next Monday)."""
    words = re.sub(r"^(\d{4}-\d\d-\d\d)t", r"\1 ", text.strip().lower())
    local = now.astimezone(tz)
    if not words:
        raise TimeError("time_say_when")
    if words.startswith("+"):
        steps = STEP.findall(words[1:])
        if not steps or STEP.sub("", words[1:]).strip(" +"):
            raise TimeError("time_steps", text=repr(text))
        delta = timedelta()
        for amount, unit in steps:
            delta += timedelta(**{UNITS[unit]: int(amount)})
        return now + delta
    parts = words.split()
    day: date | None = None
    clock_part: str | None = None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", parts[0]):
        try:
            day = date.fromisoformat(parts[0])
        except ValueError:
            raise TimeError("time_not_a_date", text=repr(parts[0])) from None
        clock_part = parts[1] if len(parts) > 1 else None
    elif parts[0] in ("today", "i dag", "idag"):
        day, clock_part = local.date(), (parts[1] if len(parts) > 1 else None)
    elif parts[0] in ("tomorrow", "i morgen", "imorgon", "imorgen"):
        day, clock_part = local.date() + timedelta(days=1), (parts[1] if len(parts) > 1 else None)
    elif parts[0] in WEEKDAYS:
        ahead = (WEEKDAYS[parts[0]] - local.weekday() - 1) % 7 + 1
        day, clock_part = (
            local.date() + timedelta(days=ahead),
            (parts[1] if len(parts) > 1 else None),
        )
    elif re.fullmatch(r"\d{1,2}:\d{2}", parts[0]) and len(parts) == 1:
        day, clock_part = local.date(), parts[0]
    else:
        raise TimeError("time_try", text=repr(text))
    if len(parts) > 2:
        raise TimeError("time_try", text=repr(text))
    at = local.time().replace(second=0, microsecond=0)
    if clock_part is not None:
        match = re.fullmatch(r"(\d{1,2}):(\d{2})", clock_part)
        if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
            raise TimeError("time_not_a_time", text=repr(clock_part))
        at = time(int(match.group(1)), int(match.group(2)))
    return datetime.combine(day, at, tzinfo=tz)


def _normal(label: str) -> str:
    """A label as typed or shown, compared: case, brackets, spacing and a closing … ignored."""
    return " ".join(label.strip().strip("[]").replace("…", "").rstrip(".").lower().split())


class Repl:
    """One console: reads lines, acts through the session, prints what happened."""

    def __init__(
        self,
        session: ConsoleSession,
        out: TextIO,
        *,
        style: Style | None = None,
        width: int = 80,
    ) -> None:
        self.session = session
        self.out = out
        self.style = style or Style()
        self.width = width
        self.tz = ZoneInfo(session.config.timezone)
        self.lang = session.config.language
        # Buttons on screen, by label as shown (lower case), and the labels of each place.
        self.pressable: dict[str, OnScreen] = {}
        self.labels: dict[str, list[str]] = {}
        self.pending_modal: Event | None = None

    # ------------------------------------------------------------ output

    def say(self, text: str = "", *how: str) -> None:
        self.out.write(self.style(text, *how) + "\n")
        self.out.flush()

    def tr(self, key: str, /, **params: Any) -> str:
        return tr(self.lang, key, **params)

    def names(self) -> Names:
        return self.session.names()

    def banner(self) -> None:
        """Who you are, what time it is, how to get help, three things to try."""
        s = self.session
        self.say(self.tr("title", org=s.config.name), "bold")
        self.say(self.tr("you_are", me=self._me(), when=self._when_text(s.clock())))
        self.say(self.tr(s.note[0], where=s.note[1]), "dim")
        self.say(self.tr("try"))
        self.say()

    def _when_text(self, instant: datetime) -> str:
        return when_text(instant, self.tz, self.lang)

    def _me(self) -> str:
        user = self.session.user
        name = self.session.workspace.users.get(user, user)
        roles = self._roles().get(user)
        return f"@{name}" + (f" ({roles})" if roles else "")

    def _roles(self) -> dict[str, str]:
        config = self.session.config
        roles: dict[str, list[str]] = {}
        for user in config.coordinators:
            roles.setdefault(user, []).append(self.tr("coordinator"))
        for team in config.teams:
            if team.manager:
                roles.setdefault(team.manager, []).append(self.tr("manager_of", team=team.name))
            for member in team.members:
                roles.setdefault(member, []).append(f"{team.name}")
        return {user: ", ".join(found) for user, found in roles.items()}

    def prompt(self) -> str:
        name = self.session.workspace.users.get(self.session.user, self.session.user)
        return f"{name} · {short_moment(self.session.clock(), self.tz, self.lang)} › "

    def _label(self, place: ButtonPlace) -> Callable[[Button], str]:
        key = self._place_key(place)

        def label(button: Button) -> str:
            base = button.text.strip() or button.action_id
            shown = base
            n = 1
            while _normal(shown) in self.pressable:
                n += 1
                shown = f"{base}·{n}"
            self.pressable[_normal(shown)] = OnScreen(button, place, shown, _normal(base))
            self.labels.setdefault(key, []).append(_normal(shown))
            return shown

        return label

    @staticmethod
    def _place_key(place: ButtonPlace) -> str:
        if place.view is not None:
            return f"view:{place.view.get('id')}"
        return f"msg:{place.channel}:{place.ts}"

    def _forget(self, place: ButtonPlace) -> None:
        for label in self.labels.pop(self._place_key(place), []):
            self.pressable.pop(label, None)

    def _rendered(self, event: Event, place: ButtonPlace) -> Rendered:
        self._forget(place)
        return render_message(
            event.text,
            event.blocks,
            self.names(),
            width=self.width - (4 if event.thread_ts else 0),
            style=self.style,
            label=self._label(place),
        )

    def _when(self, event: Event) -> str:
        return f"{event.at.astimezone(self.tz):%H:%M}"

    def _where(self, event: Event) -> str:
        return self._channel_name(event.channel)

    def _channel_name(self, channel: str) -> str:
        """#name, or "DM to @name" for a person's DM."""
        slack = self.session.slack
        person = slack.dms.get(channel) or (channel if channel[:1] in ("U", "W") else None)
        if person is not None:
            return self.tr("dm_to", who="@" + slack.user_name(person))
        return "#" + slack.channels.get(channel, channel)

    def show(self, events: list[Event], *, home: bool = False) -> None:
        """Print what Vakt did, in order. When it shows new buttons, they replace the ones
        shown before (so the numbers stay small); otherwise the earlier ones stay pressable."""
        if any(_has_buttons(e) for e in events):
            self.pressable.clear()
            self.labels.clear()
        for event in events:
            self._show(event, home=home)

    def _show(self, event: Event, *, home: bool) -> None:
        names = self.names()
        if event.kind in ("message", "update"):
            place = ButtonPlace(channel=event.channel, ts=event.ts)
            where = self._where(event)
            if event.user:
                where = self._only(event.user, where)
            if event.thread_ts:
                where = self.tr("thread_reply", where=where)
            if event.kind == "update":
                where = self.tr("updated", where=where)
            rendered = self._rendered(event, place)
            self.say()
            self.say(frame(f"{where} · Vakt", self._when(event), self.width, self.style))
            lines = indent(rendered.lines) if event.thread_ts else rendered.lines
            for line in lines:
                self.say(line)
        elif event.kind == "ephemeral":
            place = ButtonPlace(channel=event.channel, ts=event.ts)
            title = f"{self._only(event.user, self._where(event))} · Vakt"
            self.say()
            self.say(frame(title, self._when(event), self.width, self.style))
            for line in self._rendered(event, place).lines:
                self.say(line)
        elif event.kind == "delete":
            self._forget(ButtonPlace(channel=event.channel, ts=event.ts))
            self.say(
                frame(
                    self.tr("message_deleted", where=self._where(event)),
                    self._when(event),
                    self.width,
                    self.style,
                )
            )
        elif event.kind == "modal":
            if event.text in ("open", "push"):
                self.pending_modal = event
            self._show_view(event.view or {}, self.tr("form", how=event.text), event.at)
        elif event.kind == "home":
            if home and event.user == self.session.user:
                self._show_view(event.view or {}, self.tr("your_home"), event.at)
            else:
                self.say("  " + self.tr("home_refreshed", who=names.user(event.user)), "dim")
        elif event.kind == "files":
            where = self._where(event) if event.channel else "Slack"
            self.say()
            self.say(frame(f"{where} · Vakt", self._when(event), self.width, self.style))
            for line in wrap(mrkdwn(event.text, names), self.width):
                self.say(self.style.finish(line))
            for file in event.files:
                self.say(f"📎 {file.name} ({size_text(file.size)}) → {file.path}")
        elif event.kind == "warning":
            self.say(self.tr("stand_in_warning", text=event.text), "yellow")

    def _only(self, user: str, where: str) -> str:
        """ "only you see · #x", "only @Anna sees · #x": a message one person sees."""
        if user == self.session.user:
            return self.tr("only_you_see", where=where)
        return self.tr("only_they_see", who=self.names().user(user), where=where)

    def _show_view(self, view: Mapping[str, Any], what: str, at: datetime) -> None:
        place = ButtonPlace(view=dict(view), owner=self.session.user)
        self._forget(place)
        rendered = render_view(
            view, self.names(), width=self.width, style=self.style, label=self._label(place)
        )
        self.say()
        self.say(frame(what, f"{at.astimezone(self.tz):%H:%M}", self.width, self.style))
        for line in rendered.lines:
            self.say(line)

    # ------------------------------------------------------------ input

    def run(self, read: Reader) -> int:
        """Read and act until :quit or the end of the input; 0."""
        self.banner()
        while True:
            try:
                line = read(self.prompt())
            except KeyboardInterrupt:
                self.say("\n" + self.tr("interrupted"))
                continue
            if line is None:
                self.say()
                return 0
            if not self.handle(line, read):
                return 0

    def handle(self, line: str, read: Reader) -> bool:
        """Act on one line; False when the console should end."""
        line = line.strip()
        if not line:
            return True
        try:
            return self._handle(line, read)
        except VaktError as error:
            self.say(self.tr("refused", key=error.key), "yellow")
        except Exception as error:  # a console line never ends in a traceback
            import logging

            logging.getLogger(__name__).exception("console line failed: %s", line)
            self.say(self.tr("failed", error=f"{type(error).__name__}: {error}"), "yellow")
        return True

    def _handle(self, line: str, read: Reader) -> bool:
        if line.startswith("/"):
            command, _, rest = line.partition(" ")
            if command.lower() != "/vakt":
                self.say(self.tr("only_vakt", command=command))
                return True
            text = self._with_mentions(rest.strip(), read)
            if isinstance(text, bool):
                return text
            self.session.command(text)
            self._after(read)
            return True
        if line.startswith(":"):
            word, _, rest = line[1:].partition(" ")
            return self._meta(word.lower(), rest.strip(), read)
        return self._press(line, read)

    def _press(self, line: str, read: Reader) -> bool:
        """Press the button whose label was typed, among those the current user can see;
        several alike are asked about."""
        matches = self._matching(line)
        if not matches:
            self.say(self.tr("nothing_to_do", line=repr(line[:40])))
            return True
        mine = [m for m in matches if self.session.can_see(m.place)]
        if not mine:
            self._not_yours(matches[0])
            return True
        picked = mine[0] if len(mine) == 1 else self._which_button(mine, read)
        if not isinstance(picked, OnScreen):
            return picked
        self.session.press(picked.button, picked.place)
        self._after(read)
        return True

    def _matching(self, line: str) -> list[OnScreen]:
        """The buttons on screen a typed label means: all with that label (`answered`), or the
        one numbered (`answered 2`, `[Answered·2]`; 1 is the one shown without a number)."""
        wanted = _normal(line)
        alike = [shown for shown in self.pressable.values() if shown.base == wanted]
        if alike:
            return alike
        numbered = re.fullmatch(r"(.*?)[\s·#]*(\d+)", wanted)
        if numbered:
            base, n = numbered.group(1).strip(), int(numbered.group(2))
            found = self.pressable.get(base if n == 1 else f"{base}·{n}")
            return [found] if found is not None else []
        return []

    def _where_button(self, shown: OnScreen) -> str:
        place = shown.place
        if place.view is not None:
            return self.tr("your_home" if place.view.get("type") == "home" else "your_form")
        where = self._channel_name(place.channel)
        posted = self.session.slack.message(place.channel, place.ts)
        return self._only(posted.user, where) if posted is not None and posted.user else where

    def _not_yours(self, shown: OnScreen) -> None:
        owner = self.session.owner(shown.place)
        if owner is not None:
            handle = mentions.handles(self.session.workspace.users).get(owner, owner)
            who = self.names().user(owner)
            self.say(self.tr("not_yours", label=shown.label, who=who, handle=handle))
        else:
            where = self._channel_name(shown.place.channel)
            self.say(self.tr("not_member", label=shown.label, where=where))

    def _which_button(self, alike: list[OnScreen], read: Reader) -> OnScreen | bool:
        """Ask which of several buttons alike is meant: the one picked, or (nothing pressed)
        the result of the line typed instead."""
        self.say(self.tr("buttons_alike", count=str(len(alike)), label=alike[0].button.text))
        for n, shown in enumerate(alike, 1):
            about = f" – {shown.button.context}" if shown.button.context else ""
            line = f"  {n}) [{shown.label}] {self._where_button(shown)}{about}"
            self.say(line if width_of(line) <= self.width else _clip(line, self.width))
        answer = read(f"  {self.tr('pick_button')} › ")
        choice = (answer or "").strip()
        if choice.isdigit() and 1 <= int(choice) <= len(alike):
            return alike[int(choice) - 1]
        self.say(self.tr("nothing_pressed"))
        if answer is None:
            return True
        return self.handle(choice, read) if choice else True

    def _with_mentions(self, text: str, read: Reader) -> str | bool:
        """The command's text as Slack sends it, people and channels typed by name made into
        markup; an @name that is nobody, or more than one person, is asked about first. A bool
        when the command is not sent: what handling the line typed instead returned."""
        users = self.session.workspace.users
        chosen: dict[int, str] = {}
        for mention in mentions.find(text, users):
            if len(mention.users) == 1:
                chosen[mention.start] = mention.users[0]
                continue
            picked = self._which_person(mention, read)
            if not isinstance(picked, str):
                return picked
            chosen[mention.start] = picked
        text = mentions.apply(text, chosen, users)
        return mentions.special(mentions.channels(text, self.session.workspace.channels))

    def _which_person(self, mention: mentions.Mention, read: Reader) -> str | bool:
        """Ask who an @name means: a user id, or (nothing sent) the result of the line typed
        instead."""
        listed = list(mention.users or mention.candidates)
        if mention.users:
            self.say(self.tr("person_several", name=mention.typed))
        else:
            self.say(self.tr("person_nobody", name=mention.typed[:40]))
        for n, user_id in enumerate(listed[: mentions.MAX_LISTED], 1):
            self.say(f"  {n}) {self.names().user(user_id)} ({user_id})")
        if len(listed) > mentions.MAX_LISTED:
            self.say("  " + self.tr("more_people", count=str(len(listed))))
        answer = read(f"  {self.tr('pick_person')} › ")
        choice = (answer or "").strip()
        if choice.isdigit() and 1 <= int(choice) <= min(len(listed), mentions.MAX_LISTED):
            return listed[int(choice) - 1]
        self.say(self.tr("not_sent"))
        if answer is None:
            return True
        return self.handle(choice, read) if choice else True

    def _after(self, read: Reader) -> None:
        """Show what the action made happen; fill in a modal it opened."""
        self.show(self.session.events())
        while self.pending_modal is not None:
            event, self.pending_modal = self.pending_modal, None
            if event.view is not None:
                self.fill(event.view, read)

    def _meta(self, word: str, rest: str, read: Reader) -> bool:
        if word in ("quit", "q", "exit"):
            return False
        if word in ("help", "h", "?"):
            for line in self.tr("help").splitlines():
                self.say(line)
        elif word == "who":
            roles = self._roles()
            for user, name in self.session.workspace.users.items():
                mark = "→" if user == self.session.user else " "
                self.say(f"{mark} {pad('@' + name, 19)} {user:<11} {roles.get(user, '')}".rstrip())
        elif word == "as":
            found = self.session.user_by_name(rest)
            if found is None:
                self.say(self.tr("nobody_called", name=repr(rest[:40])))
            else:
                self.session.user = found
                self.say(self.tr("now_you_are", me=self._me()))
        elif word == "time":
            self._time(rest)
        elif word == "intake":
            self._intake(rest, read)
        elif word == "comment":
            self._comment(rest, read)
        elif word in ("reply", "remove"):
            self._on_platform(word, rest, read)
        elif word == "home":
            self.session.open_home()
            events = self.session.events()
            self.show(events, home=True)
            if not any(e.kind == "home" and e.user == self.session.user for e in events):
                stored = self.session.slack.homes.get(self.session.user)
                if stored is not None:
                    self._show_view(stored, self.tr("your_home"), self.session.clock())
                else:
                    self.say(self.tr("no_home"))
            self._after(read)
        else:
            self.say(self.tr("unknown_command", word=word[:20]))
        return True

    def _time(self, rest: str) -> None:
        now = self.session.clock()
        try:
            target = parse_when(rest, now, self.tz)
        except TimeError as error:
            self.say(self.tr("time_unreadable", reason=self.tr(error.key, **error.params)))
            return
        if target < now:
            self.say(
                self.tr("time_backwards", now=self._when_text(now), then=self._when_text(target))
            )
            return
        result = self.session.move_clock(target)
        events = self.session.events()
        sent = sum(1 for e in events if e.kind in ("message", "files", "update", "ephemeral"))
        self.say(self.tr("time_moved", when=self._when_text(target), count=sent), "bold")
        if result.failed_jobs:
            self.say(self.tr("jobs_failed", jobs=", ".join(result.failed_jobs)), "yellow")
        self.show(events)

    def _connected(self) -> str:
        keys = [
            a.key for a in self.session.config.accounts if a.facebook_page_id or a.instagram_user_id
        ]
        return ", ".join(keys) or self.tr("no_accounts")

    def _comment(self, rest: str, read: Reader) -> None:
        """A citizen's comment on the stand-in platform, read by the real connector."""
        try:
            words = shlex.split(rest)
        except ValueError:
            words = []
        if len(words) < 2:
            self.say(self.tr("comment_usage", known=self._connected()))
            return
        try:
            self.session.platform_comment(words[0], " ".join(words[1:]))
        except VaktError as error:
            if error.key in ("error.no_account", "error.meta_not_connected"):
                self.say(self.tr("comment_usage", known=self._connected()))
                return
            raise
        self.say(self.tr("commented", account=words[0]), "dim")
        self._after(read)

    def _on_platform(self, word: str, rest: str, read: Reader) -> None:
        """The account's reply under a question (`:reply`), or the comment's removal."""
        try:
            words = shlex.split(rest)
        except ValueError:
            words = []
        number = words[0].lstrip("#") if words else ""
        usage = "reply_usage" if word == "reply" else "remove_usage"
        if not number.isdigit() or (word == "reply" and len(words) < 2):
            self.say(self.tr(usage))
            return
        try:
            self.session.platform_act(int(number), " ".join(words[1:]) if word == "reply" else None)
        except VaktError as error:
            if error.key == "error.no_item":
                self.say(self.tr("not_from_platform", item=number))
                return
            raise
        done = "replied" if word == "reply" else "removed_on_platform"
        self.say(self.tr(done, item=number), "dim")
        self._after(read)

    def _intake(self, rest: str, read: Reader) -> None:
        try:
            words = shlex.split(rest)
        except ValueError:
            words = []
        if len(words) < 2:
            self.say(self.tr("intake_usage"))
            return
        try:
            item_id = self.session.intake(words[0], " ".join(words[1:]))
        except VaktError as error:
            if error.key == "error.no_account":
                known = ", ".join(a.key for a in self.session.config.accounts)
                known = known or self.tr("no_accounts")
                self.say(self.tr("no_account", account=repr(words[0][:40]), known=known))
                return
            raise
        self.say(self.tr("taken_in", item=str(item_id), account=words[0]), "dim")
        self._after(read)

    # ------------------------------------------------------------ modals

    def fill(self, view: dict[str, Any], read: Reader) -> None:
        """Ask for a modal's inputs one by one, submit it, ask again where the app says no."""
        values: dict[str, Any] = {}
        asking = [b for b in view.get("blocks") or [] if b.get("type") == "input"]
        while True:
            if not asking and view.get("submit") is None:
                return
            for block in asking:
                answer = self._ask(block, read)
                if answer is None:
                    self.say(self.tr("closed"))
                    return
                values[str(block.get("block_id"))] = answer
            for block in view.get("blocks") or []:
                if block.get("type") == "input" and str(block.get("block_id")) not in values:
                    values[str(block.get("block_id"))] = self._empty(block)
            reply = self.session.submit(view, values)
            self.show(self.session.events())
            action = reply.get("response_action")
            if action == "errors":
                errors = reply.get("errors") or {}
                self.say(self.tr("vakt_says"), "yellow")
                by_id = {str(b.get("block_id")): b for b in asking + (view.get("blocks") or [])}
                for block_id, message in errors.items():
                    label = text_of((by_id.get(block_id) or {}).get("label"), self.names())
                    self.say(f"  {label or block_id}: {message}", "yellow")
                asking = [
                    b
                    for b in view.get("blocks") or []
                    if b.get("type") == "input" and str(b.get("block_id")) in errors
                ] or asking
                if not errors:
                    return
                continue
            if action in ("update", "push") and isinstance(reply.get("view"), dict):
                view = {**reply["view"], "id": view.get("id")}
                self._show_view(view, self.tr("form", how=action), self.session.clock())
                asking = [b for b in view.get("blocks") or [] if b.get("type") == "input"]
                values = {}
                if asking:
                    continue
            return

    def _empty(self, block: Mapping[str, Any]) -> dict[str, Any]:
        element = block.get("element") or {}
        kind = str(element.get("type"))
        return {str(element.get("action_id")): {"type": kind, **_state(kind, None)}}

    def _ask(self, block: Mapping[str, Any], read: Reader) -> dict[str, Any] | None:
        """One input: its state entry ({action_id: {...}}), or None for :cancel."""
        names = self.names()
        element = block.get("element") or {}
        kind = str(element.get("type"))
        action_id = str(element.get("action_id"))
        label = text_of(block.get("label"), names)
        optional = bool(block.get("optional"))
        options = list(element.get("options") or [])
        for group in element.get("option_groups") or []:
            options.extend(group.get("options") or [])
        default = _initial(element, options, names, self.tz)
        self.say(f"{label} {self.tr('optional')}" if optional else label, "bold")
        if block.get("hint"):
            self.say("  " + text_of(block["hint"], names), "dim")
        for n, option in enumerate(options, 1):
            self.say(f"  {n}) {text_of(option.get('text'), names)}")
        hint_key = {
            "datepicker": "hint_date",
            "datetimepicker": "hint_date_time",
            "timepicker": "hint_time",
            "users_select": "hint_person",
            "multi_users_select": "hint_people",
            "multi_static_select": "hint_numbers",
            "checkboxes": "hint_numbers",
            "static_select": "hint_number",
            "radio_buttons": "hint_number",
            "file_input": "hint_file",
            "number_input": "hint_number",
        }.get(kind)
        hint = self.tr(hint_key) if hint_key else ""
        while True:
            shown = f" [{default[0]}]" if default else ""
            answer = read(f"  {hint + shown + ' ' if hint or shown else ''}› ")
            if answer is None or answer.strip().lower() == ":cancel":
                return None
            answer = answer.strip()
            if not answer:
                if default:
                    return {action_id: {"type": kind, **default[1]}}
                if optional:
                    return {action_id: {"type": kind, **_state(kind, None)}}
                self.say("  " + self.tr("needed"))
                continue
            try:
                state = self._parse_input(kind, answer, options)
            except ValueError as error:
                self.say(f"  {error}")
                continue
            return {action_id: {"type": kind, **state}}

    def _parse_input(self, kind: str, answer: str, options: list[dict[str, Any]]) -> dict[str, Any]:
        if kind in ("static_select", "radio_buttons"):
            return {"selected_option": _option(answer, options, self.names(), self.lang)}
        if kind in ("checkboxes", "multi_static_select"):
            picked = [
                _option(p, options, self.names(), self.lang)
                for p in re.split(r"[,\s]+", answer)
                if p
            ]
            return {"selected_options": picked}
        if kind == "datepicker":
            try:
                return {"selected_date": date.fromisoformat(answer).isoformat()}
            except ValueError:
                raise ValueError(self.tr("bad_date")) from None
        if kind == "datetimepicker":
            try:
                local = datetime.fromisoformat(answer).replace(tzinfo=self.tz)
            except ValueError:
                raise ValueError(self.tr("bad_date_time")) from None
            return {"selected_date_time": int(local.timestamp())}
        if kind == "timepicker":
            if not re.fullmatch(r"\d{2}:\d{2}", answer):
                raise ValueError(self.tr("bad_time"))
            return {"selected_time": answer}
        if kind in ("users_select", "multi_users_select"):
            users = []
            for word in answer.split():
                user = self.session.user_by_name(word)
                if user is None:
                    raise ValueError(self.tr("nobody_here", name=repr(word)))
                users.append(user)
            if kind == "users_select":
                return {"selected_user": users[0]}
            return {"selected_users": users}
        if kind in ("conversations_select", "channels_select"):
            wanted = answer.lstrip("#").lower()
            for channel_id, name in self.session.workspace.channels.items():
                if wanted in (name.lower(), channel_id.lower()):
                    key = (
                        "selected_conversation"
                        if kind == "conversations_select"
                        else ("selected_channel")
                    )
                    return {key: channel_id}
            raise ValueError(self.tr("no_channel", name=wanted))
        if kind == "file_input":
            from pathlib import Path

            files = []
            for raw in shlex.split(answer):
                path = Path(raw).expanduser()
                if not path.is_file():
                    raise ValueError(self.tr("no_file", path=raw))
                files.append(self.session.slack.add_local_file(path, self.session.user))
            return {"files": files}
        return {"value": answer}


@dataclass(frozen=True)
class OnScreen:
    """A button as shown: where it is, its label on screen and the label it shares with its
    like (both as compared)."""

    button: Button
    place: ButtonPlace
    label: str
    base: str


def _clip(line: str, width: int) -> str:
    """`line` cut to `width` terminal columns, with … at the end."""
    while line and width_of(line) > width - 1:
        line = line[:-1]
    return line + "…"


def _has_buttons(event: Event) -> bool:
    blocks = event.blocks or (event.view or {}).get("blocks") or []
    return any(
        isinstance(b, dict)
        and (
            (
                b.get("type") == "actions"
                and any(e.get("type") == "button" for e in b.get("elements") or [])
            )
            or (b.get("accessory") or {}).get("type") == "button"
        )
        for b in blocks
    )


def _state(kind: str, value: Any) -> dict[str, Any]:
    """The state Slack sends for an input left empty."""
    key = {
        "static_select": "selected_option",
        "radio_buttons": "selected_option",
        "checkboxes": "selected_options",
        "multi_static_select": "selected_options",
        "datepicker": "selected_date",
        "datetimepicker": "selected_date_time",
        "timepicker": "selected_time",
        "users_select": "selected_user",
        "multi_users_select": "selected_users",
        "conversations_select": "selected_conversation",
        "channels_select": "selected_channel",
        "file_input": "files",
    }.get(kind, "value")
    if value is None and key in ("selected_options", "selected_users", "files"):
        return {key: []}
    return {key: value}


def _option(answer: str, options: list[dict[str, Any]], names: Names, lang: str) -> dict[str, Any]:
    if answer.isdigit() and 1 <= int(answer) <= len(options):
        return options[int(answer) - 1]
    for option in options:
        if text_of(option.get("text"), names).strip().lower() == answer.strip().lower():
            return option
    raise ValueError(tr(lang, "pick_number", count=str(len(options))))


def _initial(
    element: Mapping[str, Any], options: list[dict[str, Any]], names: Names, tz: ZoneInfo
) -> tuple[str, dict[str, Any]] | None:
    """The value an input starts with, as shown and as its state, if it has one."""
    if element.get("initial_value"):
        return str(element["initial_value"]), {"value": str(element["initial_value"])}
    if element.get("initial_date"):
        return str(element["initial_date"]), {"selected_date": str(element["initial_date"])}
    if isinstance(element.get("initial_option"), dict):
        option = element["initial_option"]
        return text_of(option.get("text"), names), {"selected_option": option}
    if element.get("initial_options"):
        chosen = list(element["initial_options"])
        shown = ", ".join(text_of(o.get("text"), names) for o in chosen)
        return shown, {"selected_options": chosen}
    if element.get("initial_user"):
        return names.user(str(element["initial_user"])), {
            "selected_user": str(element["initial_user"])
        }
    if element.get("initial_users"):
        users = [str(u) for u in element["initial_users"]]
        return " ".join(names.user(u) for u in users), {"selected_users": users}
    if element.get("initial_conversation"):
        conv = str(element["initial_conversation"])
        return names.channel(conv), {"selected_conversation": conv}
    if element.get("initial_date_time"):
        local = datetime.fromtimestamp(int(element["initial_date_time"]), tz)
        return f"{local:%Y-%m-%d %H:%M}", {"selected_date_time": int(element["initial_date_time"])}
    return None


def stream_reader(stream: TextIO, echo: TextIO | None = None) -> Reader:
    """Lines from a stream (a file, a pipe, a test's StringIO); the prompt and the line are
    written to `echo` so a transcript reads like a session."""

    def read(prompt: str) -> str | None:
        line = stream.readline()
        if echo is not None:
            echo.write(prompt + line if line else prompt)
            echo.flush()
        return line.rstrip("\n") if line else None

    return read


def terminal_reader() -> Reader:
    """Lines typed at the terminal, with line editing and history when readline is there."""
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (input() edits lines once it is loaded)

    def read(prompt: str) -> str | None:
        try:
            return input(prompt)
        except EOFError:
            return None

    return read


def default_reader() -> Reader:
    """The terminal's reader when stdin is one, else the stream's (echoing the lines)."""
    if sys.stdin.isatty():
        return terminal_reader()
    return stream_reader(sys.stdin, sys.stdout)
