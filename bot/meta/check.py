"""`vakt meta check` and `vakt meta subscribe`: what an operator asks of the connection, one
clear line per account and problem."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from bot.meta.connector import Connector
from bot.meta.graph import GraphError
from bot.store.db import session_scope
from bot.store.models import Account, MetaState

FACEBOOK_PERMISSIONS = (
    "pages_show_list",
    "pages_read_engagement",
    "pages_read_user_content",
    "pages_manage_metadata",  # webhooks
    "pages_manage_engagement",  # hide and delete
)
INSTAGRAM_PERMISSIONS = ("instagram_basic", "instagram_manage_comments")

EXPLAINED = {
    "expired": "the token has expired or was revoked (Meta error 190): renew META_ACCESS_TOKEN",
    "permission": "a permission is missing (Meta error {code}): grant it to the app",
    "gone": "not found (Meta error {code}): check the account's id in the register",
    "throttled": "Meta is throttling the app (error {code}): it waits and tries again",
    "unavailable": "Meta did not answer ({message}): try again in a while",
    "other": "Meta refused: {message}",
}


def explain(error: GraphError) -> str:
    return EXPLAINED[error.kind if error.kind in EXPLAINED else "other"].format(
        code=error.code, message=error.message
    )


def _when(instant: datetime | None) -> str:
    return instant.strftime("%Y-%m-%d %H:%M UTC") if instant else "never"


def check(connector: Connector) -> Iterator[str]:
    """A line per connected account: token, permissions, webhook subscription, last read."""
    graph = connector.graph
    with session_scope(connector.deps.engine) as session:
        accounts = [(a, session.get(MetaState, a.id)) for a in connector.connected(session)]
        session.expunge_all()
    if not accounts:
        yield "no account has a facebook_page_id or instagram_user_id: nothing to check"
        return
    if graph is None:
        yield "META_ACCESS_TOKEN is not set: webhooks only, no polling, nothing to check here"
        return
    try:
        granted = {p for p, status in graph.permissions().items() if status == "granted"}
        connector.page_token("", fresh=True)
    except GraphError as error:
        yield f"the access token: {explain(error)}"
        return
    for account, state in accounts:
        yield from _check_one(connector, account, state, granted)


def _check_one(
    connector: Connector, account: Account, state: MetaState | None, granted: set[str]
) -> Iterator[str]:
    last = _when(state.last_read_at if state else None)
    for platform, object_id, needed in (
        ("facebook", account.facebook_page_id, FACEBOOK_PERMISSIONS),
        ("instagram", account.instagram_user_id, INSTAGRAM_PERMISSIONS),
    ):
        if not object_id:
            continue
        name = f"{account.key} ({platform} {object_id})"
        token = connector.page_token(object_id)
        if token is None:
            yield f"{name}: the token reaches no such account: add it to the system user's assets"
            continue
        missing = [p for p in needed if p not in granted]
        subscribed = "-"
        if platform == "facebook":
            try:
                apps = connector.graph_for(token).get(f"{object_id}/subscribed_apps")
                fields = {
                    str(f)
                    for app in apps.get("data") or []
                    for f in app.get("subscribed_fields") or []
                }
                subscribed = (
                    "subscribed to feed"
                    if "feed" in fields
                    else "NOT subscribed (vakt meta subscribe)"
                )
            except GraphError as error:
                subscribed = f"subscription unknown: {explain(error)}"
        problems = f"missing permissions: {', '.join(missing)}" if missing else "permissions ok"
        yield f"{name}: token ok, {problems}, webhook {subscribed}, last read {last}"


def subscribe(connector: Connector) -> Iterator[tuple[str, bool]]:
    """Subscribe every connected Facebook Page to the `feed` field: (line, ok)."""
    with session_scope(connector.deps.engine) as session:
        pages = [(a.key, a.facebook_page_id) for a in connector.connected(session)]
    if connector.graph is None:
        yield "META_ACCESS_TOKEN is not set: Vakt cannot subscribe the Pages", False
        return
    for key, page_id in pages:
        if not page_id:
            continue
        token = connector.page_token(page_id)
        if token is None:
            yield f"{key} (facebook {page_id}): the token reaches no such Page", False
            continue
        try:
            answer = connector.graph_for(token).post(
                f"{page_id}/subscribed_apps", subscribed_fields="feed"
            )
        except GraphError as error:
            yield f"{key} (facebook {page_id}): {explain(error)}", False
            continue
        ok = answer.get("success") is True
        yield f"{key} (facebook {page_id}): {'subscribed to feed' if ok else 'Meta said no'}", ok
