"""Block Kit for the account register: `/vakt accounts`, one account's card, and the add/edit
form."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    DatePickerElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
    UrlInputElement,
    UserMultiSelectElement,
    UserSelectElement,
)
from slack_sdk.models.blocks.block_elements import ConversationFilter, ConversationSelectElement
from slack_sdk.models.views import View

from bot.kernel.config import META_IDS, PLATFORMS, AccountKind, RegisterRules
from bot.kernel.i18n import fmt_date, fmt_moment, fmt_week, plain, t
from bot.slackkit import blocks as kit
from bot.slackkit.blocks import MESSAGE_BLOCKS, SECTION_LIMIT, escape, linked

if TYPE_CHECKING:
    from bot.kernel.config import AccountFields
    from bot.register.service import AccountCard, AccountRow, TeamRegister
    from bot.store.models import Account, MetaState, Team

# Action and callback ids of the register (the listeners import them from here).
ACCOUNT_EDIT = "vakt_account_edit"  # the card's Edit button: opens the edit form
ACCOUNT_VIEW = "vakt_account_view"  # the add/edit form (private_metadata says which)
ACCESS = "coordinator_admin", "credentials_held"  # the two checkboxes, one block
MAX_TEXT = 2000


def block_id(name: str) -> str:
    """The form's block (and action) id of a register field."""
    return f"acct_{'access' if name in ACCESS else name}"


def _who(user: str | None) -> str:
    return f"<@{user}>" if user else "–"


def _link(account: Account) -> str:
    return linked(account.url, account.name)


def day_text(day: date, lang: str, today: date) -> str:
    """A date the Nordic way, with the year when it is not this year's."""
    text = fmt_date(day, lang, weekday=False)
    return text if day.year == today.year else f"{text} {day.year}"


def platform_text(lang: str, platform: str, kind: str) -> str:
    return t(
        lang,
        "register.platform_kind",
        platform=platform_label(lang, platform),
        kind=kind_label(lang, kind),
    )


def platform_label(lang: str, platform: str) -> str:
    return t(lang, f"platform.{platform}") if platform in PLATFORMS else platform


def kind_label(lang: str, kind: str) -> str:
    return t(lang, f"kind.{kind}") if kind in tuple(AccountKind) else kind


def status_label(lang: str, status: str) -> str:
    known = ("requested", "active", "flagged", "closing", "closed")
    return t(lang, f"register_status.{status}") if status in known else status


def flag_label(lang: str, kind: str) -> str:
    return t(lang, f"register_flag.{kind}") if kind in ("inactive", "ended", "coverage") else kind


def last_post_text(lang: str, last: date | None, today: date, cadence: int) -> str:
    if last is None:
        when = t(lang, "register.never_posted")
    elif last >= today:
        when = t(lang, "register.posted_today")
    else:
        when = t(lang, "register.posted_days_ago", count=(today - last).days)
    every = (
        t(lang, "register.cadence", count=cadence) if cadence else t(lang, "register.no_cadence")
    )
    return f"{when} ({every})"


# ---------------------------------------------------------------- /vakt accounts


def _entry(lang: str, row: AccountRow, today: date) -> str:
    account = row.account
    head = " · ".join(
        [
            f"*{_link(account)}*",
            f"`{account.key}`",
            platform_text(lang, account.platform, account.kind),
            status_label(lang, account.status),
            t(lang, "register.manager_short", who=_who(row.manager)),
        ]
    )
    if account.closed_on is not None:
        details = [t(lang, "register.closed_day", day=day_text(account.closed_on, lang, today))]
    else:
        details = [last_post_text(lang, row.last_post, today, row.cadence)]
    if account.end_date:
        details.append(t(lang, "register.ends", day=day_text(account.end_date, lang, today)))
    if row.flags:
        labels = ", ".join(flag_label(lang, f) for f in row.flags)
        details.append(f":triangular_flag_on_post: {labels}")
    if row.closing and account.status != "closing":
        details.append(t(lang, "register.closure_running"))
    return f"{head}\n{' · '.join(details)}"


def _packed(entries: list[str]) -> list[str]:
    """Entries packed into section texts within Slack's 3000 characters, never split."""
    chunks: list[str] = []
    current = ""
    for entry in entries:
        entry = entry[: SECTION_LIMIT - 10]
        if current and len(current) + len(entry) + 2 > SECTION_LIMIT:
            chunks.append(current)
            current = ""
        current = f"{current}\n\n{entry}" if current else entry
    if current:
        chunks.append(current)
    return chunks


def register_list(
    lang: str, registers: Sequence[TeamRegister], today: date, show: str, team: str | None
) -> tuple[str, list[dict[str, Any]]]:
    """The register by team, within Slack's 50 blocks: what does not fit is counted, with the
    way to the full list."""
    total = sum(len(r.rows) for r in registers)
    head_key = {"closed": "register.list_head_closed", "all": "register.list_head_all"}.get(
        show, "register.list_head"
    )
    head = t(lang, head_key, count=total)
    if not registers:
        text = t(lang, "register.list_empty_closed" if show == "closed" else "register.list_empty")
        return text, kit.dicts([SectionBlock(text=kit.md(text))])
    blocks: list[Block] = [HeaderBlock(text=head[:150])]
    room = MESSAGE_BLOCKS - 1  # the last one for the summary, when needed
    shown = 0
    for register in registers:
        team_head = SectionBlock(
            text=kit.md(
                t(
                    lang,
                    "register.team_head",
                    team=escape(register.team.name),
                    key=register.team.key,
                    count=len(register.rows),
                )
            )
        )
        sections = _packed([_entry(lang, row, today) for row in register.rows])
        if len(blocks) + 3 > room:  # the divider, the team's head and at least one entry
            break
        blocks += [DividerBlock(), team_head]
        for chunk in sections:
            if len(blocks) + 1 > room:
                break
            blocks.append(SectionBlock(text=kit.md(chunk)))
            shown += chunk.count("\n\n") + 1
    if shown < total:
        more = t(lang, "register.list_more", shown=shown, total=total)
        blocks.append(ContextBlock(elements=[kit.md(more)]))
    elif team is None:
        blocks.append(ContextBlock(elements=[kit.md(t(lang, "register.list_hint"))]))
    return head, kit.dicts(blocks[:MESSAGE_BLOCKS])


# ---------------------------------------------------------------- /vakt account <key>


def _yes_no(lang: str, value: bool) -> str:
    return t(lang, "register.yes") if value else t(lang, "register.no")


def _limit(lang: str, limit: int | None) -> str:
    return t(lang, "register.limit", limit=limit) if limit else t(lang, "register.no_limit")


def _channel(channel: str | None, lang: str) -> str:
    return f"<#{channel}>" if channel else t(lang, "register.none")


def connection_lines(lang: str, state: MetaState | None, tz: tzinfo | None) -> list[str]:
    """How Vakt reads a connected account: by webhook or polling, the last read, the newest
    comment seen, a problem or a throttle to wait out."""

    def when(instant: datetime) -> str:
        return fmt_moment(instant, tz or UTC, lang)

    if state is None or state.last_read_at is None:
        lines = [t(lang, "meta.state_never_read")]
    else:
        lines = [t(lang, "meta.state_last_read", when=when(state.last_read_at))]
    if state is not None and state.last_webhook_at is not None:
        lines.insert(0, t(lang, "meta.state_webhook", when=when(state.last_webhook_at)))
    else:
        lines.insert(0, t(lang, "meta.state_polling"))
    if state is not None and state.last_comment_at is not None:
        lines.append(t(lang, "meta.state_last_comment", when=when(state.last_comment_at)))
    if state is not None and state.problem:
        problem = escape(state.problem_detail or state.problem)
        lines.append(t(lang, "meta.state_problem", problem=problem))
    if state is not None and state.blocked_until is not None:
        lines.append(t(lang, "meta.state_blocked", when=when(state.blocked_until)))
    return [f"    {line}" for line in lines]


def account_card(
    lang: str, card: AccountCard, today: date, config_file: str
) -> tuple[str, list[dict[str, Any]]]:
    """One account's whole register entry, its activity, snapshots, flags and closure."""
    account = card.account
    f = lambda name: t(lang, f"register_field.{name}")  # noqa: E731
    manager = _who(card.manager)
    if card.manager_is_team and card.manager:
        manager = t(lang, "register.team_manager", who=manager)
    admins = ", ".join(_who(a) for a in account.admins.split(",") if a) or t(
        lang, "register.none_named"
    )
    status = status_label(lang, account.status)
    if account.closed_on is not None:
        day = day_text(account.closed_on, lang, today)
        status = t(lang, "register.closed_on", status=status, day=day)
    elif card.status_since is not None:
        day = day_text(card.status_since, lang, today)
        status = t(lang, "register.status_since", status=status, day=day)
    lines = [
        _link(account),
        f"*{f('key')}:* `{account.key}` · "
        f"*{f('team')}:* {escape(card.team.name)} (`{card.team.key}`)",
        f"*{f('platform')}:* {platform_text(lang, account.platform, account.kind)}",
        f"*{f('status')}:* {status}",
        f"*{f('unit')}:* {escape(account.unit) if account.unit else t(lang, 'register.none')}",
        f"*{f('manager')}:* {manager}",
        f"*{f('admins')}:* {admins}",
    ]
    dates = [
        f"*{f('created_on')}:* "
        + (
            day_text(account.created_on, lang, today)
            if account.created_on
            else t(lang, "register.unknown")
        )
    ]
    if account.end_date:
        dates.append(f"*{f('end_date')}:* {day_text(account.end_date, lang, today)}")
    lines.append(" · ".join(dates))
    activity = [
        f"*{f('last_post')}:* {last_post_text(lang, card.last_post, today, card.cadence)}",
        t(
            lang,
            "register.posts_week",
            week=fmt_week(today, lang),
            count=card.posts_week,
            limit=_limit(lang, account.max_posts_week),
        ),
        t(
            lang,
            "register.posts_today",
            count=card.posts_today,
            limit=_limit(lang, account.max_posts_day),
        ),
    ]
    if card.snapshot_months:
        snapshot = t(lang, "register.snapshot_every", count=card.snapshot_months)
    else:
        snapshot = t(lang, "register.snapshot_none")
    snapshot += " · " + (
        t(lang, "register.snapshot_last", day=day_text(card.last_snapshot, lang, today))
        if card.last_snapshot
        else t(lang, "register.snapshot_never")
    )
    if card.snapshot_due is not None:
        snapshot += " · " + t(
            lang, "register.snapshot_due", day=day_text(card.snapshot_due, lang, today)
        )
    activity.append(f"*{f('snapshots')}:* {snapshot}")
    access = [
        f"*{f('coordinator_admin')}:* {_yes_no(lang, account.coordinator_admin)}",
        f"*{f('credentials_held')}:* {_yes_no(lang, account.credentials_held)}",
        f"*{f('published_channel')}:* {_channel(account.published_channel, lang)}",
        f"*{f('intake_channel')}:* {_channel(account.intake_channel, lang)}",
    ]
    if account.facebook_page_id:
        access.append(t(lang, "register.connected_facebook", id=account.facebook_page_id))
    if account.instagram_user_id:
        access.append(t(lang, "register.connected_instagram", id=account.instagram_user_id))
    if account.facebook_page_id or account.instagram_user_id:
        access += connection_lines(lang, card.connection, card.tz)
    blocks: list[Block] = [
        HeaderBlock(text=account.name[:150]),
        SectionBlock(text=kit.md("\n".join(lines))),
        SectionBlock(text=kit.md("\n".join(activity))),
        SectionBlock(text=kit.md("\n".join(access))),
    ]
    for name in ("purpose", "audience", "dialogue", "privacy", "resources", "plan"):
        value = getattr(account, name)
        if value:
            blocks.append(
                SectionBlock(text=kit.md(f"*{f(name)}*\n{escape(value)[: MAX_TEXT + 500]}"))
            )
    if card.flags:
        flag_lines = []
        for flag in card.flags:
            line = t(
                lang,
                "register.flag_line",
                flag=flag_label(lang, flag.kind),
                day=day_text(flag.last_raised_on, lang, today),
            )
            if flag.quiet_until is not None and flag.quiet_until > today:
                line += " · " + t(
                    lang, "register.flag_quiet", day=day_text(flag.quiet_until, lang, today)
                )
            flag_lines.append(f":triangular_flag_on_post: {line}")
        blocks.append(SectionBlock(text=kit.md("\n".join(flag_lines))))
    if card.closure is not None:
        closure = t(
            lang,
            "register.closure_line",
            who=_who(card.closure.started_by),
            day=day_text(card.closure_started or today, lang, today),
        )
        if card.closure.reason:
            closure += f"\n> {escape(card.closure.reason)}"
        blocks.append(SectionBlock(text=kit.md(closure)))
    if account.managed:
        blocks.append(
            ContextBlock(
                elements=[kit.md(t(lang, "register.managed_note", file=escape(config_file)))]
            )
        )
    if card.editable:
        blocks.append(
            ActionsBlock(
                block_id=f"account-{account.key}",
                elements=[
                    ButtonElement(
                        text=plain(lang, "register.edit")[:75],
                        action_id=ACCOUNT_EDIT,
                        value=account.key,
                    )
                ],
            )
        )
    text = t(
        lang,
        "register.card_text",
        name=account.name,
        key=account.key,
        status=status_label(lang, account.status),
    )
    return text, kit.dicts(blocks)


# ---------------------------------------------------------------- the add/edit form


def _options(lang: str, prefix: str, values: Sequence[str]) -> list[Option]:
    return [Option(value=v, text=plain(lang, f"{prefix}.{v}")[:75]) for v in values]


def _chosen(options: list[Option], value: str | None) -> Option | None:
    return next((o for o in options if o.value == value), None)


def _input(
    lang: str,
    name: str,
    element: Any,
    *,
    optional: bool = True,
    hint: str | None = None,
) -> InputBlock:
    return InputBlock(
        block_id=block_id(name),
        label=plain(lang, f"register_field.{name}")[:2000],
        element=element,
        optional=optional,
        hint=hint[:2000] if hint else None,
    )


def _text(
    name: str, value: str | None, *, max_length: int, multiline: bool = False
) -> PlainTextInputElement:
    return PlainTextInputElement(
        action_id=block_id(name),
        initial_value=value or None,
        max_length=max_length,
        multiline=multiline or None,
    )


def _number(name: str, value: int | None, low: int, high: int) -> NumberInputElement:
    return NumberInputElement(
        action_id=block_id(name),
        is_decimal_allowed=False,
        initial_value=str(value) if value is not None else None,
        min_value=str(low),
        max_value=str(high),
    )


def _date(name: str, value: date | None) -> DatePickerElement:
    return DatePickerElement(
        action_id=block_id(name), initial_date=value.isoformat() if value else None
    )


def account_modal(
    lang: str,
    teams: Sequence[Team],
    rules: RegisterRules,
    snapshot_months: int,
    metadata: str,
    *,
    key: str | None = None,
    current: AccountFields | None = None,
    new_key: str | None = None,
) -> dict[str, Any]:
    """The register entry as a form: a new account (`key` None; `new_key` a key to start
    from) or an edit of the account `key`, prefilled with `current`."""
    editing = key is not None
    platforms = _options(lang, "platform", list(PLATFORMS))
    kinds = _options(lang, "kind", [k.value for k in AccountKind])
    team_options = [
        Option(value=team.key, text=f"{team.name} ({team.key})"[:75]) for team in teams[:100]
    ]
    access = _options(lang, "register_field", list(ACCESS))
    checked = [o for o in access if current is not None and getattr(current, str(o.value))]
    blocks: list[Block] = [
        SectionBlock(
            text=kit.md(
                t(lang, "register.form_edit_intro", key=key)
                if editing
                else t(lang, "register.form_add_intro")
            )
        )
    ]
    if not editing:
        blocks.append(
            _input(
                lang,
                "key",
                PlainTextInputElement(
                    action_id=block_id("key"), max_length=40, initial_value=new_key or None
                ),
                optional=False,
                hint=plain(lang, "register_hint.key"),
            )
        )
    blocks += [
        _input(
            lang,
            "name",
            _text("name", current.name if current else None, max_length=200),
            optional=False,
        ),
        _input(
            lang,
            "platform",
            StaticSelectElement(
                action_id=block_id("platform"),
                placeholder=plain(lang, "register.choose")[:150],
                options=platforms,
                initial_option=_chosen(platforms, current.platform if current else None),
            ),
            optional=False,
        ),
        _input(
            lang,
            "kind",
            StaticSelectElement(
                action_id=block_id("kind"),
                placeholder=plain(lang, "register.choose")[:150],
                options=kinds,
                initial_option=_chosen(kinds, current.kind if current else AccountKind.PAGE.value),
            ),
            optional=False,
            hint=plain(lang, "register_hint.kind"),
        ),
        _input(
            lang,
            "url",
            UrlInputElement(
                action_id=block_id("url"), initial_value=current.url if current else None
            ),
            optional=False,
        ),
        _input(
            lang,
            "team",
            StaticSelectElement(
                action_id=block_id("team"),
                placeholder=plain(lang, "register.choose")[:150],
                options=team_options,
                initial_option=_chosen(
                    team_options,
                    current.team if current else (teams[0].key if len(teams) == 1 else None),
                ),
            ),
            optional=False,
        ),
        _input(lang, "unit", _text("unit", current.unit if current else None, max_length=200)),
        _input(
            lang,
            "manager",
            UserSelectElement(
                action_id=block_id("manager"),
                initial_user=current.manager if current and current.manager else None,
            ),
            hint=plain(lang, "register_hint.manager"),
        ),
        _input(
            lang,
            "admins",
            UserMultiSelectElement(
                action_id=block_id("admins"),
                initial_users=list(current.admins) if current and current.admins else None,
                max_selected_items=30,
            ),
            hint=plain(lang, "register_hint.admins"),
        ),
        HeaderBlock(text=plain(lang, "register.form_answers")[:150]),
    ]
    for name in ("purpose", "audience", "dialogue", "privacy", "resources", "plan"):
        blocks.append(
            _input(
                lang,
                name,
                _text(
                    name,
                    getattr(current, name) if current else None,
                    max_length=MAX_TEXT,
                    multiline=True,
                ),
                hint=plain(lang, f"register_hint.{name}"),
            )
        )
    blocks += [
        HeaderBlock(text=plain(lang, "register.form_rules")[:150]),
        _input(lang, "created_on", _date("created_on", current.created_on if current else None)),
        _input(
            lang,
            "end_date",
            _date("end_date", current.end_date if current else None),
            hint=plain(lang, "register_hint.end_date"),
        ),
        _input(
            lang,
            "cadence_days",
            _number("cadence_days", current.cadence_days if current else None, 0, 365),
            hint=plain(lang, "register_hint.cadence_days", days=rules.cadence_days),
        ),
        _input(
            lang,
            "max_posts_week",
            _number("max_posts_week", current.max_posts_week if current else None, 1, 1000),
            hint=plain(lang, "register_hint.max_posts_week"),
        ),
        _input(
            lang,
            "max_posts_day",
            _number("max_posts_day", current.max_posts_day if current else None, 1, 100),
            hint=plain(lang, "register_hint.max_posts_day"),
        ),
        _input(
            lang,
            "snapshot_months",
            _number("snapshot_months", current.snapshot_months if current else None, 0, 60),
            hint=plain(lang, "register_hint.snapshot_months", months=snapshot_months),
        ),
        InputBlock(
            block_id=block_id("coordinator_admin"),
            label=plain(lang, "register_field.access")[:2000],
            optional=True,
            element=CheckboxesElement(
                action_id=block_id("coordinator_admin"),
                options=access,
                initial_options=checked or None,
            ),
            hint=plain(lang, "register_hint.access")[:2000],
        ),
        _input(
            lang,
            "published_channel",
            ConversationSelectElement(
                action_id=block_id("published_channel"),
                initial_conversation=current.published_channel if current else None,
                filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
            ),
            hint=plain(lang, "register_hint.published_channel"),
        ),
    ]
    for name in META_IDS:
        blocks.append(
            _input(
                lang,
                name,
                _text(name, getattr(current, name) if current else None, max_length=30),
                hint=plain(lang, f"register_hint.{name}"),
            )
        )
    view = View(
        type="modal",
        callback_id=ACCOUNT_VIEW,
        private_metadata=metadata[:3000],
        title=PlainTextObject(
            text=plain(lang, "register.title_edit" if editing else "register.title_add")[:24]
        ),
        submit=PlainTextObject(text=plain(lang, "modal.save")[:24]),
        close=PlainTextObject(text=plain(lang, "modal.cancel")[:24]),
        blocks=blocks,
    )
    return view.to_dict()
