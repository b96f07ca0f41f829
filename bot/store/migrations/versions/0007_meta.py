"""meta: accounts connected to Facebook and Instagram, the changes the platforms report, each
connection's state, and comments captured as they stood

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.models

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = bot.store.models.UTCDateTime


def upgrade() -> None:
    op.add_column("account", sa.Column("facebook_page_id", sa.String(length=30), nullable=True))
    op.add_column("account", sa.Column("instagram_user_id", sa.String(length=30), nullable=True))
    # Unique indexes, not constraints: SQLite adds them without rebuilding the table (which
    # the rows of other tables that refer to an account would forbid).
    op.create_index("uq_account_facebook_page_id", "account", ["facebook_page_id"], unique=True)
    op.create_index("uq_account_instagram_user_id", "account", ["instagram_user_id"], unique=True)
    op.create_table(
        "meta_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=10), nullable=False),
        sa.Column("object_id", sa.String(length=30), nullable=False),
        sa.Column("comment_id", sa.String(length=100), nullable=False),
        sa.Column("verb", sa.String(length=10), nullable=False),
        sa.Column("verdict", sa.String(length=10), nullable=False),
        sa.Column("thread_id", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=True),
        sa.Column("via", sa.String(length=10), nullable=False),
        sa.Column("payload", sa.String(), nullable=True),
        sa.Column("received_at", UTC(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("processed_at", UTC(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", name="uq_meta_change_key"),
    )
    op.create_index("ix_meta_change_due", "meta_change", ["status", "next_attempt_at"])
    op.create_index("ix_meta_change_comment_id", "meta_change", ["comment_id"])
    op.create_index("ix_meta_change_thread_id", "meta_change", ["thread_id"])
    op.create_index("ix_meta_change_received_at", "meta_change", ["received_at"])
    op.create_table(
        "meta_state",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("last_read_at", UTC(timezone=True), nullable=True),
        sa.Column("last_attempt_at", UTC(timezone=True), nullable=True),
        sa.Column("last_comment_at", UTC(timezone=True), nullable=True),
        sa.Column("last_webhook_at", UTC(timezone=True), nullable=True),
        sa.Column("since", UTC(timezone=True), nullable=True),
        sa.Column("resume", sa.String(), nullable=True),
        sa.Column("blocked_until", UTC(timezone=True), nullable=True),
        sa.Column("problem", sa.String(length=20), nullable=True),
        sa.Column("problem_detail", sa.String(length=300), nullable=True),
        sa.Column("problem_since", UTC(timezone=True), nullable=True),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.PrimaryKeyConstraint("account_id"),
    )
    op.create_table(
        "comment_capture",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.String(length=100), nullable=False),
        sa.Column("thread_id", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("content", sa.String(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("captured_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.Column("deletion_id", sa.Integer(), nullable=True),
        sa.Column("purged_at", UTC(timezone=True), nullable=True),
        sa.Column("checked_at", UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"]),
        sa.ForeignKeyConstraint(["deletion_id"], ["deletion.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "comment_id", name="uq_comment_capture"),
    )
    op.create_index("ix_comment_capture_account_id", "comment_capture", ["account_id"])
    op.create_index("ix_comment_capture_item_id", "comment_capture", ["item_id"])
    op.create_index("ix_comment_capture_thread_id", "comment_capture", ["thread_id"])
    op.create_index("ix_comment_capture_deletion_id", "comment_capture", ["deletion_id"])


def downgrade() -> None:
    op.drop_index("ix_comment_capture_deletion_id", table_name="comment_capture")
    op.drop_index("ix_comment_capture_thread_id", table_name="comment_capture")
    op.drop_index("ix_comment_capture_item_id", table_name="comment_capture")
    op.drop_index("ix_comment_capture_account_id", table_name="comment_capture")
    op.drop_table("comment_capture")
    op.drop_table("meta_state")
    op.drop_index("ix_meta_change_received_at", table_name="meta_change")
    op.drop_index("ix_meta_change_thread_id", table_name="meta_change")
    op.drop_index("ix_meta_change_comment_id", table_name="meta_change")
    op.drop_index("ix_meta_change_due", table_name="meta_change")
    op.drop_table("meta_change")
    op.drop_index("uq_account_instagram_user_id", table_name="account")
    op.drop_index("uq_account_facebook_page_id", table_name="account")
    # ALTER TABLE ... DROP COLUMN on both (SQLite since 3.35): a rebuilt account table would
    # be refused while other tables' rows refer to it.
    op.execute("ALTER TABLE account DROP COLUMN instagram_user_id")
    op.execute("ALTER TABLE account DROP COLUMN facebook_page_id")
