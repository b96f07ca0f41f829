"""Vakt's connection to Facebook and Instagram: the webhook's door, the poll, and taking what
both stored.

One `Connector` per process, built by the composition root when META_APP_SECRET is set. The
webhook (`receive`) verifies the signature over the raw body before reading it, stores every
change and answers; what was stored is taken at once by a worker thread (`kick`) and, in any
case, by the next sweep (`cycle`), so a crash between the two loses nothing. The poll reads each
connected account's recent posts and their comments through the Graph API — the way in behind
a firewall that lets only outbound traffic through, and the safety net for a webhook Meta never
delivered — and stores what it finds the same way. Tokens live in memory only.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.items.core import Status
from bot.items.listeners import refresh_card
from bot.kernel.audience import coordinator_targets, lang_of_target
from bot.kernel.config import LIVE
from bot.kernel.i18n import t
from bot.meta import core, service
from bot.meta.core import Change
from bot.meta.graph import Graph, GraphError
from bot.slackkit.deps import Deps, request_ctx
from bot.slackkit.listen import deliver_now
from bot.slackkit.outbox import Message, enqueue
from bot.store.db import session_scope
from bot.store.models import Account, CommentCapture, Item, MetaState

log = logging.getLogger(__name__)

MAX_BODY = 4 * 1024 * 1024  # a webhook of 1000 changes is well under this
THROTTLE_WAIT = timedelta(minutes=10)  # when Meta throttles without saying for how long
SLOW_DOWN_AT = 90  # % of a usage limit: this account waits for the next poll
OVERLAP = timedelta(minutes=2)  # comments read again at the edge of the last read
PROBLEM_KIND = "meta_problem"
PERMISSIONS_TTL = timedelta(minutes=10)
WEBHOOK_NOTE_EVERY = timedelta(minutes=1)
RECHECK_PER_POLL = 25  # open questions looked at again per account and poll
RECHECK_EVERY = timedelta(minutes=30)
COMMENT_FIELDS = "id,message,from,created_time,parent{id},is_hidden,permalink_url,attachment"


class Problem(Exception):
    """What stops one account's read besides Meta's own errors (GraphError has the same
    attributes): no token for it among the Pages the token reaches, or its usage near the
    limit."""

    def __init__(self, kind: str, message: str, regain_seconds: int | None = None) -> None:
        super().__init__(message)
        self.kind, self.message, self.regain_seconds, self.code = kind, message, regain_seconds, 0


@dataclass
class PollResult:
    accounts: int = 0
    calls: int = 0
    stored: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # account key -> problem


class Connector:
    def __init__(
        self,
        deps: Deps,
        *,
        app_secret: str,
        verify_token: str | None,
        access_token: str | None,
        graph_url: str,
        client: httpx.Client | None = None,
    ) -> None:
        self.deps = deps
        self._app_secret = app_secret
        self._verify_token = verify_token
        self.graph = (
            Graph(graph_url, access_token, app_secret, client=client) if access_token else None
        )
        self._tokens: dict[str, str] | None = None  # object id -> Page token, in memory only
        self._tokens_lock = threading.Lock()
        self._permissions: tuple[datetime, set[str]] | None = None
        self._wake = threading.Event()
        self._worker: threading.Thread | None = None
        self._stop = threading.Event()

    def __repr__(self) -> str:
        return f"Connector(graph={'on' if self.graph else 'off'})"

    # ------------------------------------------------------------ the webhook

    def handshake(
        self, mode: str | None, token: str | None, challenge: str | None
    ) -> tuple[int, str]:
        """`GET /meta/webhook`: the challenge back when the verify token matches, else 403."""
        if (
            self._verify_token is None
            or mode != "subscribe"
            or not challenge
            or not core.token_matches(token, self._verify_token)
        ):
            return 403, "forbidden"
        return 200, challenge[:200]

    def receive(
        self, body: bytes, signature: str | None, now: datetime
    ) -> tuple[int, dict[str, Any]]:
        """`POST /meta/webhook`: verified, stored, answered. Nothing is stored unless the
        signature over these very bytes is right."""
        if not core.signature_matches(self._app_secret, body, signature):
            return 401, {"ok": False, "error": "bad_signature"}
        try:
            envelope = json.loads(body.decode("utf-8"))
            changes = core.changes_of(envelope)
        except (UnicodeDecodeError, ValueError, RecursionError):
            # Signed by Meta but not an envelope Vakt reads: acknowledged, so Meta does not
            # retry it for 36 hours; one line in the log.
            log.warning("Meta webhook: a signed body that is not a webhook envelope")
            return 200, {"ok": True, "stored": 0}
        with session_scope(self.deps.engine) as session:
            stored = service.store(session, changes, "webhook", now)
        try:
            with session_scope(self.deps.engine) as session:
                self._note_webhook(session, changes, now)
        except sa.exc.IntegrityError:
            pass  # another worker noted the same account's first delivery at this instant
        if stored:
            self.kick()
        return 200, {"ok": True, "stored": stored}

    def _note_webhook(self, session: Session, changes: list[Change], now: datetime) -> None:
        """When a webhook last brought something for each account (at most once a minute a
        write: a busy Page's deliveries do not all update the same row)."""
        pages = {c.object_id for c in changes if c.platform == core.FACEBOOK}
        instagram = {c.object_id for c in changes if c.platform == core.INSTAGRAM}
        if not pages and not instagram:
            return
        ids = list(
            session.exec(
                select(Account.id).where(
                    sa.or_(
                        col(Account.facebook_page_id).in_(pages),
                        col(Account.instagram_user_id).in_(instagram),
                    )
                )
            ).all()
        )
        if not ids:
            return
        known = set(
            session.exec(select(MetaState.account_id).where(col(MetaState.account_id).in_(ids)))
        )
        for account_id in ids:
            if account_id is not None and account_id not in known:
                session.add(MetaState(account_id=account_id, last_webhook_at=now))
        session.execute(
            sa.update(MetaState)
            .where(
                col(MetaState.account_id).in_(known),
                sa.or_(
                    col(MetaState.last_webhook_at).is_(None),
                    col(MetaState.last_webhook_at) < now - WEBHOOK_NOTE_EVERY,
                ),
            )
            .values(last_webhook_at=now)
        )

    # ------------------------------------------------------------ taking what was stored

    def kick(self) -> None:
        """Have the worker thread take what was stored (started on first use)."""
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._work, name="vakt-meta", daemon=True)
            self._worker.start()
        self._wake.set()

    def _work(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=60)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.process(self.deps.clock())
            except Exception:
                log.exception("taking the platforms' changes failed; the sweep tries again")

    def close(self, timeout: float = 60.0) -> None:
        """Stop the worker thread, after the change it is taking (what is left waits for the
        sweep)."""
        self._stop.set()
        self._wake.set()
        worker = self._worker
        if worker is not None and worker.is_alive() and worker is not threading.current_thread():
            worker.join(timeout)

    def process(self, now: datetime, limit: int = 2000) -> int:
        """Take every stored change that is due; each in its own transaction."""
        taken = 0
        with session_scope(self.deps.engine) as session:
            ids = service.due(session, now, limit)
        touched: list[int] = []
        for change_id in ids:
            if self._stop.is_set() and threading.current_thread() is self._worker:
                break
            try:
                with request_ctx(self.deps, "vakt", now) as ctx:
                    row = service.claim(ctx.session, change_id)
                    if row is None:
                        continue
                    ctx.actor = service.actor_of(row.platform)
                    result = service.take(ctx, row, self.deps.archive_dir)
                touched.extend(result.items)
                taken += 1
            except Exception as exc:
                log.warning(
                    "platform change %s not taken (%s): tried again later",
                    change_id,
                    type(exc).__name__,
                )
                log.debug("platform change %s", change_id, exc_info=True)
                with session_scope(self.deps.engine) as session:
                    service.failed(session, change_id, now, type(exc).__name__)
        if taken:
            self._after(touched)
        return taken

    def _after(self, touched: list[int]) -> None:
        """Cards and checklists: sent now, best effort (the outbox retries what is not)."""
        try:
            deliver_now(self.deps)
            for item_id in dict.fromkeys(touched):
                refresh_card(self.deps, item_id)
        except (sa.exc.SQLAlchemyError, OSError) as exc:
            log.warning("platform changes taken, but Slack not updated yet: %s", type(exc).__name__)

    # ------------------------------------------------------------ the sweep's part

    def cycle(self, now: datetime) -> PollResult:
        """What every sweep does: poll the accounts that are due, then take what is stored."""
        result = PollResult()
        if self.graph is not None and self.deps.config.meta.poll:
            result = self.poll(now)
        self.process(now)
        return result

    # ------------------------------------------------------------ polling

    def page_token(self, object_id: str, *, fresh: bool = False) -> str | None:
        """The Page's token (for an Instagram account, its Page's), from me/accounts."""
        assert self.graph is not None
        with self._tokens_lock:
            if self._tokens is None or fresh:
                self._tokens = self.graph.page_tokens()
            return self._tokens.get(object_id)

    def connected(self, session: Session) -> list[Account]:
        return list(
            session.exec(
                select(Account)
                .where(
                    col(Account.status).in_(LIVE),
                    sa.or_(
                        col(Account.facebook_page_id).is_not(None),
                        col(Account.instagram_user_id).is_not(None),
                    ),
                )
                .order_by(col(Account.key))
            ).all()
        )

    def poll(self, now: datetime, *, everything: bool = False) -> PollResult:
        """Read every connected account that is due (`everything`: every account, and every
        open question looked at again — the console's stand-in platform). One failing account
        never stops the others: its problem is recorded (and told once), and the next poll
        tries again."""
        assert self.graph is not None
        result = PollResult()
        with session_scope(self.deps.engine) as session:
            accounts = [(a.id, a.key) for a in self.connected(session)]
        minutes = self.deps.config.meta.poll_minutes
        for account_id, key in accounts:
            assert account_id is not None
            with session_scope(self.deps.engine) as session:
                state = session.get(MetaState, account_id)
                if state is not None:
                    if state.blocked_until is not None and now < state.blocked_until:
                        continue
                    if (
                        not everything
                        and state.resume is None
                        and state.last_attempt_at is not None
                        and now - state.last_attempt_at < timedelta(minutes=minutes) - OVERLAP / 4
                    ):
                        continue
            result.accounts += 1
            calls_before = self.graph.calls
            try:
                result.stored += self._poll_account(account_id, now, everything)
                self._problem(account_id, None, now)
            except (GraphError, Problem) as error:
                result.failed[key] = error.kind
                if error.kind in ("expired", "gone"):
                    # A Page token ends with the token it was derived from, and a Page may
                    # have been given to the system user since: ask me/accounts again.
                    with self._tokens_lock:
                        self._tokens = None
                self._problem(account_id, error, now)
            except httpx.HTTPError as error:
                result.failed[key] = "unavailable"
                log.warning("reading %s from Meta failed: %s", key, type(error).__name__)
            finally:
                result.calls += self.graph.calls - calls_before
                self._count_calls(account_id, self.graph.calls - calls_before)
        return result

    def _count_calls(self, account_id: int, calls: int) -> None:
        with session_scope(self.deps.engine) as session:
            state = session.get(MetaState, account_id) or MetaState(account_id=account_id)
            state.calls += calls
            session.add(state)

    def _poll_account(self, account_id: int, now: datetime, everything: bool = False) -> int:
        with session_scope(self.deps.engine) as session:
            account = session.get(Account, account_id)
            assert account is not None
            state = session.get(MetaState, account_id) or MetaState(account_id=account_id)
            state.last_attempt_at = now
            session.add(state)
            page_id, ig_id = account.facebook_page_id, account.instagram_user_id
            resume = json.loads(state.resume) if state.resume else None
            since = state.since
        backfill = now - timedelta(days=self.deps.config.meta.backfill_days)
        window = since - OVERLAP if since is not None else backfill
        stored = 0
        if page_id:
            token = self.page_token(page_id)
            if token is None:
                raise Problem("gone", f"the token reaches no Page {page_id}")
            stored += self._read_facebook(account_id, page_id, token, window, backfill, resume, now)
        if ig_id:
            token = self.page_token(ig_id)
            if token is None:
                raise Problem("gone", f"the token reaches no Instagram account {ig_id}")
            stored += self._read_instagram(account_id, ig_id, token, window, backfill, resume, now)
        stored += self._recheck(account_id, now, everything)
        with session_scope(self.deps.engine) as session:
            state = session.get(MetaState, account_id) or MetaState(account_id=account_id)
            state.since, state.last_read_at, state.resume = now, now, None
            session.add(state)
        return stored

    def _save(
        self, account_id: int, changes: list[Change], resume: dict[str, Any] | None, now: datetime
    ) -> int:
        """Store what one page of comments held and where the poll goes on, together: a poll
        stopped here resumes after this page."""
        with session_scope(self.deps.engine) as session:
            stored = service.store(session, changes, "poll", now)
            state = session.get(MetaState, account_id) or MetaState(account_id=account_id)
            state.resume = json.dumps(resume) if resume is not None else None
            newest = max((c.created_at for c in changes if c.created_at), default=None)
            if newest is not None and (
                state.last_comment_at is None or newest > state.last_comment_at
            ):
                state.last_comment_at = newest
            session.add(state)
        return stored

    def _slow_down(self, graph: Graph) -> None:
        usage = graph.usage
        if usage is not None and usage.percent >= SLOW_DOWN_AT:
            raise Problem("throttled", f"usage at {usage.percent} %", usage.regain_seconds or None)

    def _read_facebook(
        self,
        account_id: int,
        page_id: str,
        token: str,
        window: datetime,
        backfill: datetime,
        resume: dict[str, Any] | None,
        now: datetime,
    ) -> int:
        """The Page's posts of the backfill window, and the comments of those with something
        new since the last read (a post's updated_time moves when someone comments)."""
        graph = self.graph_for(token)
        if resume is None or resume.get("platform") != core.FACEBOOK:
            posts = [
                post["id"]
                for post in graph.each(
                    f"{page_id}/published_posts",
                    fields="id,created_time,updated_time",
                    since=int(backfill.timestamp()),
                )
                if isinstance(post.get("id"), str)
                and (core.graph_time(post.get("updated_time")) or now) >= window
            ]
            resume = {"platform": core.FACEBOOK, "posts": posts, "next": None}
            self._save(account_id, [], resume, now)
        stored = 0
        while resume["posts"]:
            post_id = resume["posts"][0]
            url = resume.get("next") or f"{post_id}/comments"
            params: dict[str, str | int] = (
                {}
                if resume.get("next")
                else {
                    "filter": "stream",
                    "order": "chronological",
                    "fields": COMMENT_FIELDS,
                    "limit": 100,
                }
            )
            data, following = graph.page(url, **params)
            changes: list[Change] = []
            for comment in data:
                change = core.facebook_comment(page_id, post_id, comment)
                if change is None:
                    continue
                changes.append(change)
                if comment.get("is_hidden") is True:
                    changes.append(Change(**{**change.__dict__, "verb": "hide"}))
            if following:
                resume = {**resume, "next": following}
            else:
                resume = {**resume, "posts": resume["posts"][1:], "next": None}
            stored += self._save(account_id, changes, resume, now)
            self._slow_down(graph)
        return stored

    def _read_instagram(
        self,
        account_id: int,
        ig_id: str,
        token: str,
        window: datetime,
        backfill: datetime,
        resume: dict[str, Any] | None,
        now: datetime,
    ) -> int:
        graph = self.graph_for(token)
        if resume is None or resume.get("platform") != core.INSTAGRAM:
            media: list[str] = []
            for item in graph.each(f"{ig_id}/media", fields="id,timestamp,permalink"):
                when = core.graph_time(item.get("timestamp"))
                if when is not None and when < backfill:
                    break  # newest first: the rest is older still
                if isinstance(item.get("id"), str):
                    media.append(item["id"])
            resume = {"platform": core.INSTAGRAM, "posts": media, "next": None}
            self._save(account_id, [], resume, now)
        stored = 0
        while resume["posts"]:
            media_id = resume["posts"][0]
            url = resume.get("next") or f"{media_id}/comments"
            params: dict[str, str | int] = (
                {}
                if resume.get("next")
                else {"fields": "id,text,timestamp,from,username,hidden,parent_id"}
            )
            data, following = graph.page(url, **params)
            changes: list[Change] = []
            for comment in data:
                change = core.instagram_comment(ig_id, media_id, comment)
                if change is None:
                    continue
                if (change.created_at or now) >= window:
                    changes.append(change)
                if comment.get("hidden") is True:
                    changes.append(Change(**{**change.__dict__, "verb": "hide"}))
                for reply in graph.each(
                    f"{change.comment_id}/replies",
                    fields="id,text,timestamp,from,username,hidden,parent_id",
                ):
                    answer = core.instagram_comment(ig_id, media_id, reply, change.comment_id)
                    if answer is not None and (answer.created_at or now) >= window:
                        changes.append(answer)
            if following:
                resume = {**resume, "next": following}
            else:
                resume = {**resume, "posts": resume["posts"][1:], "next": None}
            stored += self._save(account_id, changes, resume, now)
            self._slow_down(graph)
        return stored

    def _recheck(self, account_id: int, now: datetime, everything: bool = False) -> int:
        """The account's open questions looked at again: gone (code 100, subcode 33) or hidden
        on the platform since? Removed comments bring no webhook with their content, and a
        hidden Instagram comment none at all. At most RECHECK_PER_POLL a poll, those looked at
        longest ago first, none twice within RECHECK_EVERY: the calls a poll makes grow with
        the accounts, not with the questions open."""
        with session_scope(self.deps.engine) as session:
            account = session.get(Account, account_id)
            assert account is not None
            rows = session.exec(
                select(CommentCapture.id, CommentCapture.comment_id, Item.source)
                .join(Item, col(Item.id) == col(CommentCapture.item_id))
                .where(
                    CommentCapture.account_id == account_id,
                    col(Item.status) == Status.OPEN,
                    sa.or_(
                        col(CommentCapture.checked_at).is_(None),
                        col(CommentCapture.checked_at)
                        < now - (timedelta(0) if everything else RECHECK_EVERY),
                    ),
                )
                .order_by(
                    col(CommentCapture.checked_at).is_not(None), col(CommentCapture.checked_at)
                )
                .limit(None if everything else RECHECK_PER_POLL)
            ).all()
            ids = {
                core.FACEBOOK: account.facebook_page_id,
                core.INSTAGRAM: account.instagram_user_id,
            }
        changes: list[Change] = []
        checked: list[int] = []
        for capture_id, comment_id, platform in rows:
            object_id = ids.get(platform)
            if object_id is None or capture_id is None:
                continue
            token = self.page_token(object_id)
            if token is None:
                continue
            graph = self.graph_for(token)
            field_name = "hidden" if platform == core.INSTAGRAM else "is_hidden"
            try:
                found = graph.get(comment_id, fields=f"id,{field_name}")
            except GraphError as error:
                if error.kind != "gone":
                    raise
                found = None
            checked.append(capture_id)
            if found is None:
                changes.append(Change(platform, object_id, comment_id, "remove"))
            elif found.get(field_name) is True:
                changes.append(Change(platform, object_id, comment_id, "hide"))
        if checked:
            with session_scope(self.deps.engine) as session:
                session.execute(
                    sa.update(CommentCapture)
                    .where(col(CommentCapture.id).in_(checked))
                    .values(checked_at=now)
                )
        if not changes:
            return 0
        return self._save(account_id, changes, None, now)

    def graph_for(self, token: str) -> Graph:
        assert self.graph is not None
        return self.graph.with_token(token)

    # ------------------------------------------------------------ acting on the platform

    def permissions(self, now: datetime) -> set[str]:
        """The permissions the token holds (asked at most every 10 minutes)."""
        assert self.graph is not None
        cached = self._permissions
        if cached is None or now - cached[0] > PERMISSIONS_TTL or now < cached[0]:
            granted = {p for p, s in self.graph.permissions().items() if s == "granted"}
            self._permissions = cached = (now, granted)
        return cached[1]

    def may_remove(self, platform: str, now: datetime) -> bool:
        needed = (
            "instagram_manage_comments" if platform == core.INSTAGRAM else "pages_manage_engagement"
        )
        try:
            return needed in self.permissions(now)
        except GraphError:
            return False

    def remove(self, removal: service.Removal, *, hide: bool) -> None:
        """Hide or delete the comment on its platform (its evidence is archived already)."""
        token = self.page_token(removal.object_id)
        if token is None:
            raise GraphError(
                status=0,
                code=0,
                subcode=None,
                kind="gone",
                message="the token reaches no such account",
            )
        graph = self.graph_for(token)
        if not hide:
            graph.delete(removal.comment_id)
        elif removal.platform == core.INSTAGRAM:
            graph.post(removal.comment_id, hide="true")
        else:
            graph.post(removal.comment_id, is_hidden="true")

    # ------------------------------------------------------------ problems

    def _problem(self, account_id: int, error: GraphError | Problem | None, now: datetime) -> None:
        """Record the account's problem; tell the coordinators once when it starts or changes,
        and once when it is over."""
        kind = None if error is None else error.kind
        if kind == "unavailable":
            log.warning("Meta did not answer for account %s: tried again next poll", account_id)
            return
        with request_ctx(self.deps, "vakt", now) as ctx:
            state = ctx.session.get(MetaState, account_id) or MetaState(account_id=account_id)
            account = ctx.session.get(Account, account_id)
            assert account is not None
            if error is not None and error.kind == "throttled":
                wait = (
                    timedelta(seconds=error.regain_seconds)
                    if error.regain_seconds
                    else THROTTLE_WAIT
                )
                state.blocked_until = now + wait
                state.errors += 1
                ctx.session.add(state)
                log.info(
                    "Meta throttles account %s: waiting until %s", account.key, state.blocked_until
                )
                return
            before = state.problem
            if error is not None:
                state.errors += 1
            else:
                state.blocked_until = None  # read to the end: no throttle to wait out
            if kind == before:
                ctx.session.add(state)
                return
            if kind is None:
                since = state.problem_since
                state.problem = state.problem_detail = state.problem_since = None
                state.blocked_until = None
                ctx.session.add(state)
                if before is not None and since is not None:
                    self._tell(
                        ctx.session,
                        account,
                        "problem_solved",
                        f"{account.id}:{since.isoformat()}",
                        now,
                        {},
                    )
                return
            assert error is not None
            state.problem, state.problem_detail, state.problem_since = (
                kind,
                error.message[:300],
                now,
            )
            ctx.session.add(state)
            log.warning("reading account %s from Meta: %s (code %s)", account.key, kind, error.code)
            key = kind if kind in ("expired", "permission", "gone") else "other"
            self._tell(
                ctx.session,
                account,
                f"problem_{key}",
                f"{account.id}:{kind}:{now.isoformat()}",
                now,
                {
                    "detail": error.message[:200],
                    "id": account.facebook_page_id or account.instagram_user_id or "",
                },
            )

    def _tell(
        self,
        session: Session,
        account: Account,
        what: str,
        key: str,
        now: datetime,
        params: dict[str, str],
    ) -> None:
        platform = "Facebook" if account.facebook_page_id else "Instagram"
        for target in coordinator_targets(self.deps.config):
            lang = lang_of_target(session, self.deps.config, target)
            text = t(lang, f"meta.{what}", account=account.name, platform=platform, **params)
            enqueue(
                session,
                Message(
                    key=f"meta:{what}:{key}:{target}", kind=PROBLEM_KIND, channel=target, text=text
                ),
                now,
            )
