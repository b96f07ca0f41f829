"""register: the account register, requests, posts, flags, closures

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.store.models

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("open_key", sa.String(length=40), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.Column("raised_at", bot.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("raised_count", sa.Integer(), nullable=False),
        sa.Column("last_raised_on", sa.Date(), nullable=False),
        sa.Column("quiet_until", sa.Date(), nullable=True),
        sa.Column("kept_by", sa.String(length=20), nullable=True),
        sa.Column("kept_at", bot.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("keep_reason", sa.String(length=500), nullable=True),
        sa.Column("resolved_at", bot.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("open_key"),
    )
    with op.batch_alter_table("account_flag", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_flag_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "account_post",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("posted_at", bot.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", bot.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "external_id", name="uq_account_post_external"),
    )
    with op.batch_alter_table("account_post", schema=None) as batch_op:
        batch_op.create_index(
            "ix_account_post_account_time", ["account_id", "posted_at"], unique=False
        )

    op.create_table(
        "account_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requester", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("platform", sa.String(length=30), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=200), nullable=True),
        sa.Column("purpose", sa.String(), nullable=False),
        sa.Column("audience", sa.String(), nullable=False),
        sa.Column("dialogue", sa.String(), nullable=False),
        sa.Column("privacy", sa.String(), nullable=False),
        sa.Column("resources", sa.String(), nullable=False),
        sa.Column("plan", sa.String(), nullable=True),
        sa.Column("admins", sa.String(length=400), nullable=False),
        sa.Column("substitute", sa.String(length=20), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("created_at", bot.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("coordinator_approved_by", sa.String(length=20), nullable=True),
        sa.Column(
            "coordinator_approved_at", bot.store.models.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("manager_approved_by", sa.String(length=20), nullable=True),
        sa.Column(
            "manager_approved_at", bot.store.models.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("decided_by", sa.String(length=20), nullable=True),
        sa.Column("decided_at", bot.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decline_reason", sa.String(length=500), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["team.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("account_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_request_requester"), ["requester"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_account_request_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_account_request_team_id"), ["team_id"], unique=False)

    op.create_table(
        "account_closure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("open_key", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("flag_id", sa.Integer(), nullable=True),
        sa.Column("started_by", sa.String(length=20), nullable=False),
        sa.Column("started_at", bot.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", bot.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.String(length=20), nullable=True),
        sa.Column("cancelled_at", bot.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["flag_id"],
            ["account_flag.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("open_key"),
    )
    with op.batch_alter_table("account_closure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_closure_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "closure_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("closure_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=30), nullable=False),
        sa.Column("done_by", sa.String(length=20), nullable=False),
        sa.Column("done_at", bot.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("waived_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["closure_id"], ["account_closure.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("closure_id", "step", name="uq_closure_step"),
    )
    with op.batch_alter_table("closure_step", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_closure_step_closure_id"), ["closure_id"], unique=False
        )

    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=20), server_default="page", nullable=False)
        )
        batch_op.add_column(sa.Column("unit", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("manager", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column("admins", sa.String(length=400), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("purpose", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("audience", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("dialogue", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("privacy", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("resources", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("plan", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("created_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("end_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("cadence_days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("max_posts_week", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("max_posts_day", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("coordinator_admin", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("credentials_held", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("status", sa.String(length=12), server_default="active", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "status_changed_at", bot.store.models.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(sa.Column("closed_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("published_channel", sa.String(length=20), nullable=True))
        batch_op.create_index(batch_op.f("ix_account_status"), ["status"], unique=False)
        batch_op.create_unique_constraint("uq_account_published_channel", ["published_channel"])


def downgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_constraint("uq_account_published_channel", type_="unique")
        batch_op.drop_index(batch_op.f("ix_account_status"))
        batch_op.drop_column("published_channel")
        batch_op.drop_column("closed_on")
        batch_op.drop_column("status_changed_at")
        batch_op.drop_column("status")
        batch_op.drop_column("credentials_held")
        batch_op.drop_column("coordinator_admin")
        batch_op.drop_column("max_posts_day")
        batch_op.drop_column("max_posts_week")
        batch_op.drop_column("cadence_days")
        batch_op.drop_column("end_date")
        batch_op.drop_column("created_on")
        batch_op.drop_column("plan")
        batch_op.drop_column("resources")
        batch_op.drop_column("privacy")
        batch_op.drop_column("dialogue")
        batch_op.drop_column("audience")
        batch_op.drop_column("purpose")
        batch_op.drop_column("admins")
        batch_op.drop_column("manager")
        batch_op.drop_column("unit")
        batch_op.drop_column("kind")

    with op.batch_alter_table("closure_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_closure_step_closure_id"))

    op.drop_table("closure_step")
    with op.batch_alter_table("account_closure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_closure_account_id"))

    op.drop_table("account_closure")
    with op.batch_alter_table("account_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_request_team_id"))
        batch_op.drop_index(batch_op.f("ix_account_request_status"))
        batch_op.drop_index(batch_op.f("ix_account_request_requester"))

    op.drop_table("account_request")
    with op.batch_alter_table("account_post", schema=None) as batch_op:
        batch_op.drop_index("ix_account_post_account_time")

    op.drop_table("account_post")
    with op.batch_alter_table("account_flag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_flag_account_id"))

    op.drop_table("account_flag")
