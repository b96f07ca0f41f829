"""Messages about deletions and snapshots that Vakt posts on its own, for the outbox."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from bot.archive import blocks as ab
from bot.kernel.audience import lang_for
from bot.kernel.config import OrgConfig
from bot.kernel.context import Ctx
from bot.kernel.i18n import t
from bot.slackkit import blocks as kit
from bot.slackkit.outbox import Message
from bot.store.models import Deletion, FileFetch

if TYPE_CHECKING:
    from bot.archive.service import DeletionView


def checklist_language(
    session: Session, config: OrgConfig, deletion: Deletion, channel: str
) -> str:
    """A checklist in a channel speaks the organisation's language; one in a direct message
    its reader's."""
    if channel == deletion.logged_by:
        return lang_for(session, config, deletion.logged_by)
    return config.language


def checklist_content(
    ctx: Ctx, view: DeletionView, channel: str
) -> tuple[str, list[dict[str, Any]]]:
    """A deletion's checklist as it should look now, in the language of where it is."""
    lang = checklist_language(ctx.session, ctx.config, view.deletion, channel)
    return ab.checklist(lang, ctx.calendar, view, ctx.config.archive)


def fetch_notice(config: OrgConfig) -> Any:
    """What people hear when a shared file was archived, refused, or could not be fetched:
    a reply in the thread it was shared in, else a direct message to whoever shared it."""

    def notice(
        session: Session, fetch: FileFetch, status: str, params: dict[str, Any]
    ) -> list[Message]:
        if status not in ("done", "refused", "failed", "retry"):
            return []
        if status == "retry":
            return []  # the first failure is silent; the retries are the sweep's business
        in_thread = bool(fetch.channel and fetch.thread_ts)
        channel = fetch.channel if in_thread and fetch.channel else fetch.uploaded_by
        lang = config.language if in_thread else lang_for(session, config, fetch.uploaded_by)
        if status == "done":
            text = t(lang, "archive.stored", **params)
        elif status == "refused":
            key = params.get("reason") or params.get("detail") or "error.file_type"
            reason = t(lang, str(key), **params)
            text = t(lang, "archive.refused", reason=reason, who=fetch.uploaded_by)
        else:
            text = t(lang, "archive.failed", who=fetch.uploaded_by, **params)
        return [
            Message(
                key=f"fetch:{fetch.id}:{status}",
                kind="archive_notice",
                channel=channel,
                text=text,
                blocks=kit.text_blocks(text),
                thread_ts=fetch.thread_ts if in_thread else None,
            )
        ]

    return notice
