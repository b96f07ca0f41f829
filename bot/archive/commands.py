"""The archive's `/vakt` subcommands: log a deletion, take a snapshot, export the deletions."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any

from bot.archive import blocks as ab
from bot.archive import service as archive
from bot.archive.core import SnapshotKind
from bot.archive.export import deletions_csv
from bot.items import service as items
from bot.kernel.audit import audit
from bot.kernel.context import Ctx
from bot.kernel.errors import NotAllowed, UserInputError
from bot.kernel.i18n import fmt_date, t
from bot.kernel.parse import (
    ISO_DATE,
    NORDIC_DATE,
    parse_when,
)
from bot.rota.teams import team_views
from bot.slackkit import blocks as kit
from bot.slackkit.router import Command, Reply, Upload
from bot.store.models import Account


def cmd_deleted(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    if len(words) > 1:
        raise UserInputError("error.unexpected", value=words[1][:40])
    view = deletion_modal_for(ctx, lang, account_key=words[0] if words else None)
    return Reply(t(lang, "new.opening"), kit.text_blocks(t(lang, "new.opening")), view=view)


SNAPSHOT_KINDS = {
    **dict.fromkeys(
        (
            "before-change",
            "before",
            "change",
            "før-endring",
            "for-endring",
            "endring",
            "före-ändring",
            "fore-andring",
            "ändring",
        ),
        SnapshotKind.BEFORE_CHANGE,
    ),
    **dict.fromkeys(
        ("final", "last", "closing", "siste", "avslutning", "slutlig", "sista"),
        SnapshotKind.FINAL,
    ),
    **dict.fromkeys(("periodic", "periodisk", "regular", "vanlig"), SnapshotKind.PERIODIC),
}


def cmd_snapshot(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    if not words:
        plans = archive.plans(ctx.session, ctx.config.archive.snapshot_months, ctx.calendar)
        return Reply(t(lang, "snapshot.plans_head"), ab.snapshot_plans(lang, plans, ctx.today))
    account = items.account_by_key(ctx.session, words[0])
    kind = SnapshotKind.PERIODIC
    if len(words) > 1:
        found = SNAPSHOT_KINDS.get(words[1].lower())
        if found is None:
            raise UserInputError("error.bad_snapshot_kind", value=words[1][:40])
        kind = found
    if len(words) > 2:
        raise UserInputError("error.unexpected", value=words[2][:40])
    view = items.team_view_of(ctx, account)
    if not archive.may_handle(ctx, view):
        raise NotAllowed("error.not_your_account", team=view.team.name)
    modal = ab.snapshot_modal(
        lang, ctx.config.archive, account, kind, json.dumps({"account": account.key})
    )
    return Reply(t(lang, "new.opening"), kit.text_blocks(t(lang, "new.opening")), view=modal)


def _full_date(word: str) -> date:
    """A date with its year (2026-11-23 or 23.11.2026): exports look back, so a date without
    a year would be ambiguous."""
    nordic = NORDIC_DATE.match(word)
    with_year = bool(ISO_DATE.match(word)) or bool(nordic and nordic.group(3))
    found = parse_when([word], 0, date(2000, 1, 1)) if with_year else None
    if found is None:
        raise UserInputError("error.bad_full_date", value=word[:40])
    return found[0].start


# `/vakt export deletions <from> <to>`: what there is to export, in nb, sv and en.
EXPORT_WORDS = ("deletions", "slettinger", "raderingar", "sletting")


def cmd_export(ctx: Ctx, lang: str, words: list[str]) -> Reply:
    ctx.require_coordinator()
    if len(words) != 3 or words[0].lower() not in EXPORT_WORDS:
        raise UserInputError("error.export_usage")
    start, end = _full_date(words[1]), _full_date(words[2])
    if start > end:
        raise UserInputError("error.export_order")
    content = deletions_csv(ctx.session, start, end, ctx.calendar.tz)
    rows = max(len(list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))) - 1, 0)
    name = f"deletions_{start.isoformat()}_{end.isoformat()}.csv"
    text = t(lang, "export.sent", count=rows, start=fmt_date(start, lang), end=fmt_date(end, lang))
    audit(
        ctx.session,
        actor=ctx.actor,
        action="export.deletions",
        target=name,
        now=ctx.now,
        after={"from": start.isoformat(), "to": end.isoformat(), "rows": rows},
    )
    return Reply(
        text,
        kit.text_blocks(text),
        upload=Upload(name, content, name, t(lang, "export.comment", start=start, end=end)),
    )


COMMANDS = (
    Command(
        "deleted",
        ("deleted", "delete", "slettet", "slett", "raderad", "radera", "borttagen", "ta-bort"),
        cmd_deleted,
    ),
    Command(
        "snapshot",
        ("snapshot", "snapshots", "øyeblikksbilde", "ögonblicksbild", "skjermbilde", "skärmbild"),
        cmd_snapshot,
    ),
    Command(
        "export",
        ("export", "eksport", "eksporter", "exportera"),
        cmd_export,
        coordinators_only=True,
    ),
)


def deletion_modal_for(
    ctx: Ctx, lang: str, *, account_key: str | None = None, item_id: int | None = None
) -> dict[str, Any]:
    """The modal of a new deletion, for an account (or an item) when one is given."""
    accounts = handled_accounts(ctx)
    if not accounts:
        raise NotAllowed("error.no_accounts_of_yours")
    account: Account | None = None
    url = summary = None
    if item_id is not None:
        item, account, view = items.get_item(ctx, item_id)
        if not archive.may_handle(ctx, view):
            raise NotAllowed("error.not_your_item", team=view.team.name)
        url, summary = item.url, item.excerpt
    elif account_key:
        account = items.account_by_key(ctx.session, account_key)
        if account not in accounts:
            raise NotAllowed("error.not_your_account", team=account.key)
    metadata = json.dumps({"item": item_id} if item_id is not None else {})
    return ab.deletion_modal(
        lang,
        ctx.config.archive,
        accounts if account is None else [account, *[a for a in accounts if a is not account]],
        ctx.now,
        metadata,
        account=account,
        url=url,
        summary=summary,
    )


def handled_accounts(ctx: Ctx) -> list[Account]:
    accounts = [a for v in team_views(ctx) if archive.may_handle(ctx, v) for a in v.accounts]
    return sorted(accounts, key=lambda a: a.name.lower())
