"""replicas: who claimed an outbox message; indexes for metrics, reminders, pages, retention

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=80), nullable=True))
    op.create_index("ix_outbox_status_kind", "outbox", ["status", "kind"], unique=False)
    op.drop_index("ix_item_status_deadline", table_name="item")
    op.create_index(
        "ix_item_status_deadline",
        "item",
        ["status", "deadline", "account_id", "received_at"],
        unique=False,
    )
    unregistered = sa.and_(
        sa.column("must_register").is_(True), sa.column("registration_ref").is_(None)
    )
    op.create_index(
        "ix_item_unregistered",
        "item",
        ["deadline"],
        unique=False,
        postgresql_where=unregistered,
        sqlite_where=unregistered,
    )
    kept = sa.column("excerpt").is_not(None)
    op.create_index(
        "ix_item_excerpt_kept",
        "item",
        ["closed_at"],
        unique=False,
        postgresql_where=kept,
        sqlite_where=kept,
    )
    op.create_index(
        "ix_item_open_received",
        "item",
        ["received_at", "id"],
        unique=False,
        postgresql_where=sa.text("status = 'open'"),
        sqlite_where=sa.text("status = 'open'"),
    )


def downgrade() -> None:
    op.drop_index("ix_item_open_received", table_name="item")
    op.drop_index("ix_item_excerpt_kept", table_name="item")
    op.drop_index("ix_item_unregistered", table_name="item")
    op.drop_index("ix_item_status_deadline", table_name="item")
    op.create_index("ix_item_status_deadline", "item", ["status", "deadline"], unique=False)
    op.drop_index("ix_outbox_status_kind", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claimed_by")
