"""The account add/edit form: the card's Edit button opens it, its submission saves the register
entry, or shows each problem beside its field."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.items.blocks import done_modal
from bot.kernel.config import AccountFields
from bot.kernel.context import Ctx
from bot.kernel.errors import VaktError
from bot.kernel.i18n import plain, t
from bot.register import blocks as rb
from bot.register import service
from bot.register.commands import edit_modal
from bot.register.service import FieldError, InvalidFields
from bot.slackkit.blocks import escape
from bot.slackkit.deps import Deps, acting, request_ctx
from bot.slackkit.listen import button, open_modal
from bot.slackkit.payload import (
    Stale,
    as_list,
    form_field,
    form_selected,
    form_values,
    meta_text,
    metadata,
)

NUMBERS = ("cadence_days", "max_posts_week", "max_posts_day", "snapshot_months")
DATES = ("created_on", "end_date")
TEXTS = (
    "name",
    "unit",
    "purpose",
    "audience",
    "dialogue",
    "privacy",
    "resources",
    "plan",
    "facebook_page_id",
    "instagram_user_id",
)


def _value(values: dict[str, dict[str, Any]], name: str) -> str | None:
    value = form_field(values, rb.block_id(name)).get("value")
    return str(value) if value is not None else None


def form_fields(
    values: dict[str, dict[str, Any]],
) -> tuple[str, AccountFields | None, list[FieldError]]:
    """The key and the entry a submitted form holds; what cannot be read (a number that is not
    one, a date Slack would not send) comes back as problems by field."""
    problems: list[FieldError] = []
    numbers: dict[str, int | None] = {}
    for name in NUMBERS:
        raw = (_value(values, name) or "").strip()
        try:
            numbers[name] = int(raw) if raw else None
        except ValueError:
            problems.append(FieldError(name, "error.register_not_number", {"value": raw[:20]}))
    dates: dict[str, date | None] = {}
    for name in DATES:
        picked = form_field(values, rb.block_id(name)).get("selected_date")
        try:
            dates[name] = date.fromisoformat(str(picked)) if picked else None
        except ValueError:
            problems.append(
                FieldError(name, "error.register_bad_date", {"value": str(picked)[:20]})
            )
    access = {
        str(o.get("value"))
        for o in as_list(
            form_field(values, rb.block_id("coordinator_admin")).get("selected_options")
        )
        if isinstance(o, dict)
    }
    admins = as_list(form_field(values, rb.block_id("admins")).get("selected_users"))
    text = {name: _value(values, name) for name in TEXTS}
    key = (_value(values, "key") or "").strip().lower()
    if problems:
        return key, None, problems
    entry = AccountFields(
        name=text["name"] or "",
        platform=form_selected(values, rb.block_id("platform")) or "",
        url=(_value(values, "url") or "").strip(),
        team=form_selected(values, rb.block_id("team")) or "",
        kind=form_selected(values, rb.block_id("kind")) or "",
        manager=form_field(values, rb.block_id("manager")).get("selected_user") or None,
        admins=tuple(str(a) for a in admins if a),
        created_on=dates["created_on"],
        end_date=dates["end_date"],
        coordinator_admin="coordinator_admin" in access,
        credentials_held="credentials_held" in access,
        published_channel=form_field(values, rb.block_id("published_channel")).get(
            "selected_conversation"
        )
        or None,
        facebook_page_id=text["facebook_page_id"],
        instagram_user_id=text["instagram_user_id"],
        unit=text["unit"],
        purpose=text["purpose"],
        audience=text["audience"],
        dialogue=text["dialogue"],
        privacy=text["privacy"],
        resources=text["resources"],
        plan=text["plan"],
        cadence_days=numbers["cadence_days"],
        max_posts_week=numbers["max_posts_week"],
        max_posts_day=numbers["max_posts_day"],
        snapshot_months=numbers["snapshot_months"],
    )
    return key, entry, []


def _errors(
    lang: str, problems: tuple[FieldError, ...] | list[FieldError], editing: bool
) -> dict[str, str]:
    """Problems as Slack's per-block errors (one text per field: the first)."""
    errors: dict[str, str] = {}
    for problem in problems:
        name = "name" if problem.field == "key" and editing else problem.field
        errors.setdefault(rb.block_id(name), plain(lang, problem.key, **problem.params))
    return errors


def register(app: App, deps: Deps) -> None:
    """Wire the listeners."""

    def edit(
        body: dict[str, Any], respond: Respond, ctx: Ctx, lang: str, key: str
    ) -> Callable[[], None]:
        view = edit_modal(ctx, lang, key)
        return lambda: open_modal(deps, body, view, respond, lang)

    app.action(rb.ACCOUNT_EDIT)(button(deps, edit))

    @app.view(rb.ACCOUNT_VIEW)
    def on_submit(ack: Ack, body: dict[str, Any]) -> None:
        user, now, lang = acting(deps, body)
        try:
            meta = metadata(body)
            editing = meta.get("mode") == "edit"
            edit_key = meta_text(meta, "key") if editing else None
        except Stale:
            ack(
                response_action="errors",
                errors={rb.block_id("name"): plain(lang, "error.stale_form")},
            )
            return
        key, entry, problems = form_fields(form_values(body))
        if entry is None:
            ack(response_action="errors", errors=_errors(lang, problems, editing))
            return
        try:
            with request_ctx(deps, user, now) as ctx:
                if edit_key is not None:
                    saved = service.edit_account(ctx, edit_key, entry)
                    done_key = "register.saved_edit" if saved.changed else "register.unchanged"
                else:
                    saved = service.add_account(ctx, key, entry)
                    done_key = "register.saved_add"
                done = t(lang, done_key, name=escape(saved.account.name), key=saved.account.key)
        except InvalidFields as invalid:
            ack(response_action="errors", errors=_errors(lang, invalid.errors, editing))
            return
        except VaktError as error:  # not a coordinator, declared in the file, gone
            title = plain(lang, "register.title_edit" if editing else "register.title_add")
            ack(
                response_action="update",
                view=done_modal(lang, title, t(lang, error.key, **error.params)),
            )
            return
        title = plain(lang, "register.title_edit" if editing else "register.title_add")
        ack(response_action="update", view=done_modal(lang, title, done))
