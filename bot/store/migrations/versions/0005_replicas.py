"""replicas: which process claimed an outbox message; indexes for the metrics and the open items' pages

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
    op.drop_index("ix_outbox_status_kind", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claimed_by")
