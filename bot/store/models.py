"""SQL tables. Every state that matters has a real column; datetimes are stored as UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes in and out, stored as UTC on SQLite and PostgreSQL alike."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _utc(**kw: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kw)


class Team(SQLModel, table=True):
    __tablename__ = "team"
    __table_args__ = (sa.UniqueConstraint("intake_channel", name="uq_team_intake_channel"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=40, unique=True, index=True)
    name: str = Field(max_length=200)
    channel: str | None = Field(default=None, max_length=20)
    manager: str | None = Field(default=None, max_length=20)
    rotation: str = Field(default="weekly", max_length=10)
    start: date
    intake_channel: str | None = Field(default=None, max_length=20)
    managed: bool = Field(default=False)  # declared in the configuration file: read-only in Slack
    created_at: datetime = _utc()
    updated_at: datetime = _utc()


class TeamMember(SQLModel, table=True):
    __tablename__ = "team_member"
    __table_args__ = (
        sa.UniqueConstraint("team_id", "user_id", name="uq_team_member_user"),
        sa.UniqueConstraint("team_id", "position", name="uq_team_member_position"),
    )
    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True, ondelete="CASCADE")
    user_id: str = Field(max_length=20, index=True)
    position: int


class Account(SQLModel, table=True):
    __tablename__ = "account"
    __table_args__ = (
        sa.UniqueConstraint("intake_channel", name="uq_account_intake_channel"),
        sa.UniqueConstraint("published_channel", name="uq_account_published_channel"),
        # Indexes, not constraints: SQLite adds them without rebuilding the table.
        sa.Index("uq_account_facebook_page_id", "facebook_page_id", unique=True),
        sa.Index("uq_account_instagram_user_id", "instagram_user_id", unique=True),
    )
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=40, unique=True, index=True)
    platform: str = Field(max_length=30)
    name: str = Field(max_length=200)
    url: str = Field(max_length=500)
    team_id: int = Field(foreign_key="team.id", index=True)
    intake_channel: str | None = Field(default=None, max_length=20)
    deadline_working_days: int | None = None  # None: the organisation's setting
    must_register: bool = Field(  # items here must be registered (RK5)
        default=False, sa_column_kwargs={"server_default": sa.false()}
    )
    snapshot_months: int | None = None  # None: the organisation's setting; 0: no snapshots
    managed: bool = Field(default=False)
    created_at: datetime = _utc()
    updated_at: datetime = _utc()
    # The register: see bot.register.core for the values.
    kind: str = Field(default="page", max_length=20, sa_column_kwargs={"server_default": "page"})
    unit: str | None = Field(default=None, max_length=200)  # the owning unit
    manager: str | None = Field(default=None, max_length=20)  # None: the team's manager
    admins: str = Field(  # named administrators: Slack user ids, comma separated
        default="", max_length=400, sa_column_kwargs={"server_default": ""}
    )
    purpose: str | None = None  # the request form's answers (PG3, KG6)
    audience: str | None = None
    dialogue: str | None = None
    privacy: str | None = None
    resources: str | None = None
    plan: str | None = None
    created_on: date | None = None  # created on the platform
    end_date: date | None = None  # time-limited accounts
    cadence_days: int | None = None  # at least one post every N days; None: the org's; 0: none
    max_posts_week: int | None = None  # VT5
    max_posts_day: int | None = None  # per working day
    coordinator_admin: bool = Field(  # the coordinator is an administrator of it (RK4)
        default=False, sa_column_kwargs={"server_default": sa.false()}
    )
    credentials_held: bool = Field(  # the comms unit holds its log-in details (NB2)
        default=False, sa_column_kwargs={"server_default": sa.false()}
    )
    status: str = Field(
        default="active", max_length=12, index=True, sa_column_kwargs={"server_default": "active"}
    )
    status_changed_at: datetime | None = _utc(default=None)
    closed_on: date | None = None
    published_channel: str | None = Field(default=None, max_length=20)  # its "published" feed
    # Connected to the platform (bot.meta): the Facebook Page's or Instagram account's id.
    facebook_page_id: str | None = Field(default=None, max_length=30)
    instagram_user_id: str | None = Field(default=None, max_length=30)


class Absence(SQLModel, table=True):
    __tablename__ = "absence"
    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(max_length=20, index=True)
    start: date
    end: date | None = None  # None: open-ended (left the job)
    kind: str = Field(default="vacation", max_length=20)
    note: str | None = Field(default=None, max_length=200)
    created_by: str = Field(max_length=20)
    created_at: datetime = _utc()
    cancelled_at: datetime | None = _utc(default=None)


class Override(SQLModel, table=True):
    __tablename__ = "override"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=10)  # cover | swap
    user_id: str = Field(max_length=20, index=True)  # who covers / who asked for the swap
    other_id: str = Field(max_length=20, index=True)  # whose duty is covered / swap partner
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    start: date
    end: date
    created_by: str = Field(max_length=20)
    created_at: datetime = _utc()
    cancelled_at: datetime | None = _utc(default=None)
    swap_request_id: int | None = Field(default=None, foreign_key="swap_request.id")


class SwapRequest(SQLModel, table=True):
    __tablename__ = "swap_request"
    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    requester: str = Field(max_length=20, index=True)
    counterpart: str = Field(max_length=20, index=True)
    start: date
    end: date
    status: str = Field(default="pending", max_length=12, index=True)
    created_at: datetime = _utc()
    decided_at: datetime | None = _utc(default=None)


class Gap(SQLModel, table=True):
    """A period ahead with nobody, or no substitute, on duty; alerted once, closed when filled."""

    __tablename__ = "gap"
    __table_args__ = (sa.UniqueConstraint("team_id", "period_start", "kind", name="uq_gap"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True, ondelete="CASCADE")
    period_start: date
    kind: str = Field(max_length=20)
    days: str = Field(default="", max_length=400)  # ISO dates, comma separated
    generation: int = Field(default=1)  # bumped when a closed gap opens again
    opened_at: datetime = _utc()
    closed_at: datetime | None = _utc(default=None)


class Outbox(SQLModel, table=True):
    """Every message the bot sends on a schedule, recorded before it is sent.

    The unique `key` makes a second run, a restart or a second replica a no-op; `status` and
    `next_attempt_at` make a failed send retried, not lost.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index("ix_outbox_slack_message", "slack_channel", "slack_ts"),
        # The metrics count messages by status and kind at every scrape.
        sa.Index("ix_outbox_status_kind", "status", "kind"),
    )
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=300, unique=True, index=True)
    kind: str = Field(max_length=40, index=True)
    channel: str = Field(max_length=20)
    text: str
    blocks: str | None = None  # JSON
    thread_ts: str | None = Field(default=None, max_length=30)  # reply in this thread
    status: str = Field(default="pending", max_length=10, index=True)  # pending|sending|sent|failed
    attempts: int = Field(default=0)
    created_at: datetime = _utc()
    next_attempt_at: datetime = _utc(index=True)
    claimed_at: datetime | None = _utc(default=None)
    claimed_by: str | None = Field(default=None, max_length=80)  # host:pid of the sender
    sent_at: datetime | None = _utc(default=None)
    last_error: str | None = Field(default=None, max_length=300)
    slack_channel: str | None = Field(default=None, max_length=20)
    slack_ts: str | None = Field(default=None, max_length=30)
    # Files shared with the message (a weekly report's chart and CSV), in `outbox_file`.
    has_files: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


class OutboxFile(SQLModel, table=True):
    """A file sent with an outbox message (files_upload_v2), kept with it so a retry sends the
    same bytes and the message is made once."""

    __tablename__ = "outbox_file"
    __table_args__ = (sa.UniqueConstraint("outbox_id", "position", name="uq_outbox_file"),)
    id: int | None = Field(default=None, primary_key=True)
    outbox_id: int = Field(foreign_key="outbox.id", index=True, ondelete="CASCADE")
    position: int = Field(default=0)
    filename: str = Field(max_length=200)
    title: str = Field(max_length=200)
    content: bytes = Field(sa_type=sa.LargeBinary)


class AuditLog(SQLModel, table=True):
    """Who changed what, when, with the state before and after (JSON)."""

    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _utc(index=True)
    actor: str = Field(max_length=20, index=True)
    action: str = Field(max_length=60, index=True)
    target: str = Field(max_length=200)
    before: str | None = None
    after: str | None = None


class Person(SQLModel, table=True):
    """What Slack told us about a user that changes how we talk to them (their language) and
    how places outside Slack name them (calendar feeds)."""

    __tablename__ = "person"
    user_id: str = Field(primary_key=True, max_length=20)
    locale: str | None = Field(default=None, max_length=20)
    fetched_at: datetime = _utc()
    name: str | None = Field(default=None, max_length=200)  # Slack's display or real name


class Item(SQLModel, table=True):
    """A citizen's question or comment on an account that needs an answer.

    Unique per account and external id (the platform's, or Slack's channel and ts), so an
    integration posting twice or Slack retrying an event never makes two.
    """

    __tablename__ = "item"
    __table_args__ = (
        sa.UniqueConstraint("account_id", "external_id", name="uq_item_external"),
        sa.UniqueConstraint("slack_channel", "slack_ts", name="uq_item_slack_message"),
        # The reminders count open items past their deadline per team and day of arrival.
        sa.Index("ix_item_status_deadline", "status", "deadline", "account_id", "received_at"),
        # Items waiting for a registration reference (the registration reminders).
        sa.Index(
            "ix_item_unregistered",
            "deadline",
            postgresql_where=sa.and_(
                sa.column("must_register").is_(True), sa.column("registration_ref").is_(None)
            ),
            sqlite_where=sa.and_(
                sa.column("must_register").is_(True), sa.column("registration_ref").is_(None)
            ),
        ),
        # Closed items whose excerpt the retention job has still to purge.
        sa.Index(
            "ix_item_excerpt_kept",
            "closed_at",
            postgresql_where=sa.column("excerpt").is_not(None),
            sqlite_where=sa.column("excerpt").is_not(None),
        ),
        # `/vakt unanswered` pages through open items oldest first.
        sa.Index(
            "ix_item_open_received",
            "received_at",
            "id",
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    source: str = Field(max_length=10)  # channel | shortcut | command | http
    external_id: str = Field(max_length=200)
    url: str | None = Field(default=None, max_length=1000)
    received_at: datetime = _utc()
    excerpt: str | None = Field(default=None, max_length=500)
    status: str = Field(default="open", max_length=10)  # see bot.items.core.Status
    deadline: datetime = _utc()
    closed_by: str | None = Field(default=None, max_length=40)
    closed_at: datetime | None = _utc(default=None, index=True)
    must_register: bool = Field(default=False)
    registration_ref: str | None = Field(default=None, max_length=100)
    registered_by: str | None = Field(default=None, max_length=40)
    registered_at: datetime | None = _utc(default=None)
    created_by: str = Field(max_length=40)
    created_at: datetime = _utc()
    slack_channel: str | None = Field(default=None, max_length=20)  # the message it came from
    slack_ts: str | None = Field(default=None, max_length=30)
    excerpt_purged_at: datetime | None = _utc(default=None)


class SlackEvent(SQLModel, table=True):
    """Events API deliveries already handled, by event_id: a retry or a second replica's copy
    is recognised and dropped."""

    __tablename__ = "slack_event"
    event_id: str = Field(primary_key=True, max_length=40)
    received_at: datetime = _utc(index=True)


class Deletion(SQLModel, table=True):
    """A comment or post removed from one of the municipality's accounts, and its checklist:
    evidence archived, poster told, approval and registration reference where required."""

    __tablename__ = "deletion"
    __table_args__ = (
        sa.UniqueConstraint("source_channel", "source_ts", name="uq_deletion_source"),
        sa.Index("ix_deletion_open", "completed_at", "logged_by"),
    )
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    item_id: int | None = Field(default=None, foreign_key="item.id", index=True)
    deleted_at: datetime = _utc(index=True)
    reason: str | None = Field(default=None, max_length=20)  # see bot.archive.core.Reason
    reason_text: str | None = Field(default=None, max_length=500)
    summary: str | None = Field(default=None, max_length=500)  # what was removed, in short
    url: str | None = Field(default=None, max_length=1000)
    approved_by: str | None = Field(default=None, max_length=100)
    registration_ref: str | None = Field(default=None, max_length=100)
    poster_notified: str = Field(default="not_yet", max_length=12)  # yes|impossible|not_yet
    archive_link: str | None = Field(default=None, max_length=1000)  # the archive system's
    logged_by: str = Field(max_length=40)
    logged_at: datetime = _utc()
    completed_at: datetime | None = _utc(default=None)
    source_channel: str | None = Field(default=None, max_length=20)  # the message it was on
    source_ts: str | None = Field(default=None, max_length=30)
    thread_channel: str | None = Field(default=None, max_length=20)  # where its checklist is
    thread_ts: str | None = Field(default=None, max_length=30)


class Snapshot(SQLModel, table=True):
    """A snapshot of an account (screenshots or a PDF of the whole page), archived."""

    __tablename__ = "snapshot"
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    kind: str = Field(max_length=15)  # periodic | before_change | final
    taken_at: datetime = _utc(index=True)
    recorded_by: str = Field(max_length=40)
    note: str | None = Field(default=None, max_length=500)
    archive_link: str | None = Field(default=None, max_length=1000)
    thread_channel: str | None = Field(default=None, max_length=20)
    thread_ts: str | None = Field(default=None, max_length=30)


class ArchivedFile(SQLModel, table=True):
    """A file kept in the archive directory (evidence of a deletion, or a snapshot), with the
    facts of its JSON sidecar."""

    __tablename__ = "archived_file"
    __table_args__ = (sa.UniqueConstraint("path", name="uq_archived_file_path"),)
    id: int | None = Field(default=None, primary_key=True)
    deletion_id: int | None = Field(default=None, foreign_key="deletion.id", index=True)
    snapshot_id: int | None = Field(default=None, foreign_key="snapshot.id", index=True)
    path: str = Field(max_length=300)  # relative to the archive directory
    sha256: str = Field(max_length=64)
    size: int
    original_name: str = Field(max_length=255)
    content_type: str = Field(max_length=100)
    slack_file_id: str | None = Field(default=None, max_length=20, index=True)
    uploaded_by: str = Field(max_length=40)
    uploaded_at: datetime = _utc()
    archived_at: datetime = _utc()


class FileFetch(SQLModel, table=True):
    """A file to fetch from Slack into the archive: tried at once, retried by the sweep when
    the download fails, reported when it keeps failing."""

    __tablename__ = "file_fetch"
    __table_args__ = (
        sa.UniqueConstraint("slack_file_id", "target", name="uq_file_fetch_target"),
        sa.Index("ix_file_fetch_due", "status", "next_attempt_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    slack_file_id: str = Field(max_length=20)
    target: str = Field(max_length=40)  # deletion:<id> | snapshot:<id>
    uploaded_by: str = Field(max_length=40)
    channel: str | None = Field(default=None, max_length=20)  # where to answer
    thread_ts: str | None = Field(default=None, max_length=30)
    status: str = Field(default="pending", max_length=10)  # pending|done|refused|failed
    attempts: int = Field(default=0)
    next_attempt_at: datetime = _utc()
    last_error: str | None = Field(default=None, max_length=300)
    created_at: datetime = _utc()
    archived_file_id: int | None = Field(default=None, foreign_key="archived_file.id")


class AccountRequest(SQLModel, table=True):
    """A request for a new account (PG1, PG3, KG6, NB1): the form's answers and the decision."""

    __tablename__ = "account_request"
    id: int | None = Field(default=None, primary_key=True)
    requester: str = Field(max_length=20, index=True)
    status: str = Field(default="pending", max_length=12, index=True)  # pending|approved|declined
    name: str = Field(max_length=200)
    platform: str = Field(max_length=30)
    kind: str = Field(default="page", max_length=20)
    url: str | None = Field(default=None, max_length=500)
    team_id: int = Field(foreign_key="team.id", index=True)
    unit: str | None = Field(default=None, max_length=200)
    purpose: str
    audience: str
    dialogue: str
    privacy: str
    resources: str
    plan: str | None = None
    admins: str = Field(default="", max_length=400)  # proposed administrators, comma separated
    substitute: str | None = Field(default=None, max_length=20)
    end_date: date | None = None
    created_at: datetime = _utc()
    coordinator_approved_by: str | None = Field(default=None, max_length=20)
    coordinator_approved_at: datetime | None = _utc(default=None)
    manager_approved_by: str | None = Field(default=None, max_length=20)
    manager_approved_at: datetime | None = _utc(default=None)
    decided_by: str | None = Field(default=None, max_length=20)
    decided_at: datetime | None = _utc(default=None)
    decline_reason: str | None = Field(default=None, max_length=500)
    account_id: int | None = Field(default=None, foreign_key="account.id")


class AccountPost(SQLModel, table=True):
    """A post published on an account: its activity (cadence) and volume (VT5).

    Unique per account and external id, so an integration reporting twice, Slack retrying an
    event or a double click counts once."""

    __tablename__ = "account_post"
    __table_args__ = (
        sa.UniqueConstraint("account_id", "external_id", name="uq_account_post_external"),
        sa.Index("ix_account_post_account_time", "account_id", "posted_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    external_id: str = Field(max_length=200)
    posted_at: datetime = _utc()
    source: str = Field(max_length=10)  # command | button | http | feed
    created_by: str = Field(max_length=40)
    created_at: datetime = _utc()


class AccountFlag(SQLModel, table=True):
    """A condition found on an account (inactive, past its end date, rota coverage), raised to
    the coordinators and the account's manager once, kept quiet for a while, or resolved.

    `open_key` is "<account id>:<kind>" while the flag is open and NULL once resolved: the
    unique constraint allows one open flag per condition, even with several replicas."""

    __tablename__ = "account_flag"
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    kind: str = Field(max_length=20)  # see bot.register.core.FlagKind
    open_key: str | None = Field(default=None, max_length=40, unique=True)
    detail: str | None = Field(default=None, max_length=200)
    raised_at: datetime = _utc()
    raised_count: int = Field(default=1)  # raised again when still true after a quiet period
    last_raised_on: date
    quiet_until: date | None = None
    kept_by: str | None = Field(default=None, max_length=20)
    kept_at: datetime | None = _utc(default=None)
    keep_reason: str | None = Field(default=None, max_length=500)
    resolved_at: datetime | None = _utc(default=None)


class AccountClosure(SQLModel, table=True):
    """Closing an account (VT4, NB6, NB7, PG1): a checklist whose steps are done or waived."""

    __tablename__ = "account_closure"
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    open_key: str | None = Field(default=None, max_length=20, unique=True)  # account id while open
    reason: str | None = Field(default=None, max_length=500)
    flag_id: int | None = Field(default=None, foreign_key="account_flag.id")
    started_by: str = Field(max_length=20)
    started_at: datetime = _utc()
    finished_at: datetime | None = _utc(default=None)
    cancelled_by: str | None = Field(default=None, max_length=20)
    cancelled_at: datetime | None = _utc(default=None)


class ClosureStep(SQLModel, table=True):
    """One step of a closure, done or waived (with a reason) by someone."""

    __tablename__ = "closure_step"
    __table_args__ = (sa.UniqueConstraint("closure_id", "step", name="uq_closure_step"),)
    id: int | None = Field(default=None, primary_key=True)
    closure_id: int = Field(foreign_key="account_closure.id", index=True, ondelete="CASCADE")
    step: str = Field(max_length=30)  # see bot.register.core.ClosureStepName
    done_by: str = Field(max_length=20)
    done_at: datetime = _utc()
    waived_reason: str | None = Field(default=None, max_length=500)


class CalendarFeed(SQLModel, table=True):
    """A person's secret calendar link. Only a hash of the token is stored: the link itself is
    derived again from the server's secret and `nonce` when its owner asks for it, so a copy of
    the database gives nobody a working link. Revoking sets `revoked_at`; a new nonce makes a
    new link."""

    __tablename__ = "calendar_feed"
    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(max_length=20, index=True)
    nonce: str = Field(max_length=64)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _utc()
    revoked_at: datetime | None = _utc(default=None)
    revoked_by: str | None = Field(default=None, max_length=20)
    last_fetched_at: datetime | None = _utc(default=None)


class HomeView(SQLModel, table=True):
    """A user's App Home tab as last published: refreshed only when its content changed, and
    not more often than the debounce allows."""

    __tablename__ = "home_view"
    user_id: str = Field(primary_key=True, max_length=20)
    opened_at: datetime = _utc()
    published_at: datetime | None = _utc(default=None)
    content_hash: str | None = Field(default=None, max_length=64)
    dirty_at: datetime | None = _utc(default=None, index=True)  # something of theirs changed


class MetaChange(SQLModel, table=True):
    """A change a platform told Vakt of (a webhook's, or one a poll found), stored before it is
    acted on: the key makes a retried or duplicated delivery one row, and a change stored but
    not yet processed (a crash between the two) is processed by the next sweep.

    `payload` holds the comment as the platform sent it, normalised (bot.meta.core.Change):
    personal data, so it is emptied once the change is processed."""

    __tablename__ = "meta_change"
    __table_args__ = (
        sa.UniqueConstraint("key", name="uq_meta_change_key"),
        sa.Index("ix_meta_change_due", "status", "next_attempt_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64)  # bot.meta.core.change_key
    platform: str = Field(max_length=10)  # facebook | instagram
    object_id: str = Field(max_length=30)  # the Page's or Instagram account's id
    comment_id: str = Field(max_length=100, index=True)
    verb: str = Field(max_length=10)  # add | edited | remove | hide | unhide
    verdict: str = Field(max_length=10)  # bot.meta.core.Verdict
    thread_id: str = Field(max_length=100, index=True)  # the thread's top-level comment
    created_at: datetime | None = _utc(default=None)  # when the comment was written
    via: str = Field(max_length=10)  # webhook | poll
    payload: str | None = None
    received_at: datetime = _utc(index=True)
    status: str = Field(default="pending", max_length=10)  # pending | done | failed
    attempts: int = Field(default=0)
    next_attempt_at: datetime = _utc()
    last_error: str | None = Field(default=None, max_length=300)
    processed_at: datetime | None = _utc(default=None)


class MetaState(SQLModel, table=True):
    """What Vakt knows of one connected account's connection: the last read, where an
    interrupted poll resumes, a throttle to wait out, and the problem the coordinators were
    told of (told again only when it changes)."""

    __tablename__ = "meta_state"
    account_id: int = Field(foreign_key="account.id", primary_key=True)
    last_read_at: datetime | None = _utc(default=None)  # the last poll that read to the end
    last_attempt_at: datetime | None = _utc(default=None)
    last_comment_at: datetime | None = _utc(default=None)  # the newest comment seen
    last_webhook_at: datetime | None = _utc(default=None)  # the last change a webhook brought
    since: datetime | None = _utc(default=None)  # the next poll reads posts from here
    resume: str | None = None  # JSON: where an interrupted poll goes on
    blocked_until: datetime | None = _utc(default=None)  # throttled: no calls before
    problem: str | None = Field(default=None, max_length=20)  # expired | permission | gone | ...
    problem_detail: str | None = Field(default=None, max_length=300)
    problem_since: datetime | None = _utc(default=None)
    calls: int = Field(default=0)  # Graph API calls made for it
    errors: int = Field(default=0)


class CommentCapture(SQLModel, table=True):
    """A comment on a connected account that became an item: its thread (so the account's
    reply answers it), and its full content as it stood when Vakt saw it (KG2, NB5, VT3): kept
    sealed while the item is open, the evidence of a deletion when it is removed, purged with
    the excerpt when the item is closed otherwise."""

    __tablename__ = "comment_capture"
    __table_args__ = (sa.UniqueConstraint("account_id", "comment_id", name="uq_comment_capture"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    comment_id: str = Field(max_length=100)
    thread_id: str = Field(max_length=100, index=True)  # the thread's top-level comment
    created_at: datetime | None = _utc(default=None)  # when the comment was written
    item_id: int | None = Field(default=None, foreign_key="item.id", index=True)
    # JSON (bot.meta.core.capture_of); None when captures are off, or once purged or archived
    # as a deletion's evidence.
    content: str | None = None
    sha256: str = Field(max_length=64)  # of content, as first or last captured
    captured_at: datetime = _utc()
    updated_at: datetime = _utc()
    deletion_id: int | None = Field(default=None, foreign_key="deletion.id", index=True)
    purged_at: datetime | None = _utc(default=None)
    checked_at: datetime | None = _utc(default=None)  # last looked at again by a poll


class ShedCount(SQLModel, table=True):
    """How many requests Vakt answered "busy" instead of running them, by kind (`command`,
    `view_submission`): each process counts its own and adds them here every few seconds, so
    /metrics shows every replica's, and a restart loses none but the last few seconds'."""

    __tablename__ = "shed_count"
    kind: str = Field(primary_key=True, max_length=20)
    count: int = Field(default=0)


class ReadRevision(SQLModel, table=True):
    """One row: a random token that triggers replace with every statement writing a team, a
    member, an account, an absence or an override (migration 0009). What a process read of
    those is good for as long as the token is the same (`bot.rota.teams.read_model`)."""

    __tablename__ = "read_revision"
    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    token: str = Field(max_length=32)


class OpenItemCount(SQLModel, table=True):
    """Per account, how many of its items are open: kept by triggers on `item` in the same
    transaction as every change (migration 0010), so `/vakt unanswered` sums a row per
    account instead of counting every open item."""

    __tablename__ = "open_item_count"
    account_id: int = Field(
        foreign_key="account.id",
        primary_key=True,
        ondelete="CASCADE",
        sa_column_kwargs={"autoincrement": False},
    )
    total: int
