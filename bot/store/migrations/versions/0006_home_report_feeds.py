"""home, report, feeds: the App Home as published, files sent with a message, calendar links,
people's names (for the calendar feeds)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.models

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = bot.store.models.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "calendar_feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=20), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("revoked_at", UTC(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=20), nullable=True),
        sa.Column("last_fetched_at", UTC(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_calendar_feed_user_id", "calendar_feed", ["user_id"], unique=False)
    op.create_table(
        "home_view",
        sa.Column("user_id", sa.String(length=20), nullable=False),
        sa.Column("opened_at", UTC(timezone=True), nullable=False),
        sa.Column("published_at", UTC(timezone=True), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("dirty_at", UTC(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_index("ix_home_view_dirty_at", "home_view", ["dirty_at"], unique=False)
    op.create_table(
        "outbox_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["outbox_id"], ["outbox.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("outbox_id", "position", name="uq_outbox_file"),
    )
    op.create_index("ix_outbox_file_outbox_id", "outbox_file", ["outbox_id"], unique=False)
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(
            sa.Column("has_files", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("name", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.drop_column("name")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("has_files")
    op.drop_index("ix_outbox_file_outbox_id", table_name="outbox_file")
    op.drop_table("outbox_file")
    op.drop_index("ix_home_view_dirty_at", table_name="home_view")
    op.drop_table("home_view")
    op.drop_index("ix_calendar_feed_user_id", table_name="calendar_feed")
    op.drop_table("calendar_feed")
