"""Keep / Start closure on flags, the closure checklist: buttons, the Keep and Waive
modals, and the checklist updated in place after every change."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.archive import blocks as ab
from bot.archive.core import SnapshotKind
from bot.items.blocks import done_modal
from bot.kernel.context import Ctx
from bot.kernel.errors import NotAllowed, VaktError
from bot.kernel.i18n import fmt_date, plain, t
from bot.lifecycle import blocks as lb
from bot.lifecycle import service as lifecycle
from bot.lifecycle.commands import started_text
from bot.register.core import ClosureStepName
from bot.slackkit import blocks as kit
from bot.slackkit import payload
from bot.slackkit.deps import Deps, acting, request_ctx
from bot.slackkit.listen import Press, deliver_now, open_modal
from bot.slackkit.listen import button as app_button
from bot.slackkit.payload import form_field, form_selected, form_values, text_of

log = logging.getLogger(__name__)

# Which field of a modal an error belongs to.
KEEP_FIELDS = {
    "error.lifecycle_keep_reason": lb.FIELD_KEEP_REASON,
    "error.lifecycle_reason_too_long": lb.FIELD_KEEP_REASON,
    "error.lifecycle_keep_period": lb.FIELD_KEEP_PERIOD,
    "error.lifecycle_keep_date": lb.FIELD_KEEP_UNTIL,
}


def updater(deps: Deps) -> lifecycle.Updater:
    """What updates flag messages and checklists in place."""
    return lifecycle.Updater(deps.engine, deps.config, deps.calendar, deps.gateway)


def on_final_snapshot(deps: Deps, account_id: int, now: datetime, actor: str) -> None:
    """A final snapshot of an account was archived: its open closure is looked at again."""
    updater(deps).account(account_id, now, actor)


def refresh_account(deps: Deps, account_id: int, actor: str = "vakt") -> None:
    """A final snapshot of an account was archived: its open closure is looked at again
    (finished when the snapshot was the last piece) and its checklist updated. For the
    snapshot modal and the file fetch to call."""
    updater(deps).account(account_id, deps.clock(), actor)


def _closure_step(value: str) -> tuple[int, str]:
    closure, _, step = value.partition(":")
    return payload.number(closure), step


def _clicked(body: dict[str, Any]) -> tuple[str, str]:
    container = body.get("container") or {}
    return str(container.get("channel_id", "")), str(container.get("message_ts", ""))


def register(app: App, deps: Deps) -> None:
    """Wire the listeners."""

    def _open(body: dict[str, Any], view: dict[str, Any], respond: Respond, lang: str) -> None:
        open_modal(deps, body, view, respond, lang)

    def button(press: Press) -> Callable[[Ack, dict[str, Any], Respond], None]:
        return app_button(deps, press)

    def show_closure(
        body: dict[str, Any], respond: Respond, ctx: Ctx, lang: str, view: lifecycle.ClosureView
    ) -> Callable[[], None]:
        """After a change: the checklist pressed on is replaced; pressed elsewhere (`/vakt
        flags`), the presser hears the outcome and the checklist is updated in place."""
        closure_id = view.closure.id
        assert closure_id is not None
        if lifecycle.checklist_location(ctx.session, closure_id) == _clicked(body):
            text, blocks = lifecycle.checklist_content(ctx.session, ctx.config, ctx.calendar, view)

            def replace() -> None:
                respond(text=text, blocks=blocks, replace_original=True)

            return replace
        if view.open:
            done = t(
                lang,
                "lifecycle.still_missing",
                account=view.account.name,
                missing=lb.missing_text(lang, view),
            )
        elif view.closure.finished_at is not None:
            done = t(lang, "lifecycle.now_closed", account=view.account.name)
        else:
            done = t(lang, "lifecycle.cancelled", account=view.account.name)

        def after() -> None:
            respond(text=done, blocks=kit.text_blocks(done), replace_original=False)
            updater(deps).closure(closure_id, deps.clock())

        return after

    # ------------------------------------------------------------ flags

    def keep(
        body: dict[str, Any], respond: Respond, ctx: Ctx, lang: str, value: str
    ) -> Callable[[], None]:
        view = lifecycle.check_keep(ctx, payload.number(value))
        modal = lb.keep_modal(lang, view)
        return lambda: _open(body, modal, respond, lang)

    app.action(lb.FLAG_KEEP)(button(keep))

    def close_from_flag(
        body: dict[str, Any], respond: Respond, ctx: Ctx, lang: str, value: str
    ) -> Callable[[], None]:
        flag_id = payload.number(value)
        view = lifecycle.start_from_flag(ctx, flag_id)
        done = started_text(ctx, lang, view.account.name)

        def after() -> None:
            deliver_now(deps)  # the checklist
            updater(deps).flag(flag_id, deps.clock())
            respond(text=done, blocks=kit.text_blocks(done), replace_original=False)

        return after

    app.action(lb.FLAG_CLOSE)(button(close_from_flag))

    @app.view(lb.FLAG_KEEP_VIEW)
    def on_keep_submit(ack: Ack, body: dict[str, Any]) -> None:
        user, now, lang = acting(deps, body)
        values = form_values(body)
        reason = text_of(form_field(values, lb.FIELD_KEEP_REASON).get("value"))
        period = form_selected(values, lb.FIELD_KEEP_PERIOD)
        raw_day = form_field(values, lb.FIELD_KEEP_UNTIL).get("selected_date")
        try:
            flag_id = payload.number(payload.raw_metadata(body))
        except payload.Stale:
            ack(
                response_action="errors",
                errors={lb.FIELD_KEEP_REASON: plain(lang, "error.stale_form")},
            )
            return
        try:
            chosen = date.fromisoformat(str(raw_day)) if raw_day else None
        except ValueError:
            ack(
                response_action="errors",
                errors={lb.FIELD_KEEP_REASON: plain(lang, "error.bad_button")},
            )
            return
        try:
            with request_ctx(deps, user, now) as ctx:
                view = lifecycle.keep_flag(ctx, flag_id, reason, period, chosen)
                assert view.flag.quiet_until is not None
                done = t(lang, "lifecycle.kept_done", until=fmt_date(view.flag.quiet_until, lang))
        except VaktError as error:
            field = KEEP_FIELDS.get(error.key, lb.FIELD_KEEP_REASON)
            ack(response_action="errors", errors={field: plain(lang, error.key, **error.params)})
            return
        ack(
            response_action="update",
            view=done_modal(lang, plain(lang, "lifecycle.keep_title"), done),
        )
        updater(deps).flag(flag_id, deps.clock())

    # ------------------------------------------------------------ closure

    def step_done(
        body: dict[str, Any], respond: Respond, ctx: Ctx, lang: str, value: str
    ) -> Callable[[], None]:
        closure_id, step = _closure_step(value)
        view = lifecycle.mark_done(ctx, closure_id, step)
        return show_closure(body, respond, ctx, lang, view)

    app.action(lb.CLOSURE_DONE)(button(step_done))

    def waive(
        body: dict[str, Any], respond: Respond, ctx: Ctx, lang: str, value: str
    ) -> Callable[[], None]:
        closure_id, step = _closure_step(value)
        view = lifecycle.check_waive(ctx, closure_id, step)
        modal = lb.waive_modal(lang, view, ClosureStepName(step))
        return lambda: _open(body, modal, respond, lang)

    app.action(lb.CLOSURE_WAIVE)(button(waive))

    @app.view(lb.CLOSURE_WAIVE_VIEW)
    def on_waive_submit(ack: Ack, body: dict[str, Any]) -> None:
        user, now, lang = acting(deps, body)
        reason = text_of(form_field(form_values(body), lb.FIELD_WAIVE_REASON).get("value"))
        try:
            closure_id, step = _closure_step(payload.raw_metadata(body))
        except payload.Stale:
            ack(
                response_action="errors",
                errors={lb.FIELD_WAIVE_REASON: plain(lang, "error.stale_form")},
            )
            return
        try:
            with request_ctx(deps, user, now) as ctx:
                view = lifecycle.waive(ctx, closure_id, step, reason)
                done = t(
                    lang,
                    "lifecycle.waived_done",
                    step=t(lang, f"lifecycle.step_{step}"),
                    missing=lb.missing_text(lang, view),
                )
        except ValueError:
            ack(
                response_action="errors",
                errors={lb.FIELD_WAIVE_REASON: plain(lang, "error.bad_button")},
            )
            return
        except VaktError as error:
            ack(
                response_action="errors",
                errors={lb.FIELD_WAIVE_REASON: plain(lang, error.key, **error.params)},
            )
            return
        ack(
            response_action="update",
            view=done_modal(lang, plain(lang, "lifecycle.waive_title"), done),
        )
        updater(deps).closure(closure_id, deps.clock())

    def final_snapshot(
        body: dict[str, Any], respond: Respond, ctx: Ctx, lang: str, value: str
    ) -> Callable[[], None]:
        closure_id, _ = _closure_step(value)
        view = lifecycle.get_closure(ctx, closure_id)
        if not lifecycle.may_tick(ctx, view):
            raise NotAllowed("error.lifecycle_not_team", account=view.account.name)
        modal = ab.snapshot_modal(
            lang,
            ctx.config.archive,
            view.account,
            SnapshotKind.FINAL,
            json.dumps({"account": view.account.key}),
        )
        return lambda: _open(body, modal, respond, lang)

    app.action(lb.CLOSURE_SNAPSHOT)(button(final_snapshot))

    def check(
        body: dict[str, Any], respond: Respond, ctx: Ctx, lang: str, value: str
    ) -> Callable[[], None]:
        view = lifecycle.check_closure(ctx, payload.number(value))
        return show_closure(body, respond, ctx, lang, view)

    app.action(lb.CLOSURE_CHECK)(button(check))

    def cancel(
        body: dict[str, Any], respond: Respond, ctx: Ctx, lang: str, value: str
    ) -> Callable[[], None]:
        view = lifecycle.cancel_closure(ctx, payload.number(value))
        flags = lifecycle.open_flag_ids(ctx.session, view.account)
        shown = show_closure(body, respond, ctx, lang, view)

        def after() -> None:
            shown()
            # The flags said "closure started": they get their Keep / Start closure back.
            for flag_id in flags:
                updater(deps).flag(flag_id, deps.clock())

        return after

    app.action(lb.CLOSURE_CANCEL)(button(cancel))
