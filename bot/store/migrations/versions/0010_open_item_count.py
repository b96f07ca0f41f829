"""open_item_count: each account's open items, kept by triggers in the same transaction

`/vakt unanswered` says how many items are open in the teams one may see: a `count(*)` over
every open item (an index-only scan of 100,000 entries took 9 ms of PostgreSQL's CPU on every
page, more than all of the command's Python). Every insert, delete and update of `item` now
adjusts its account's row here in the same transaction, so raw SQL, `vakt import`, another
replica and a Meta webhook keep it as surely as a listener, and a rolled-back change takes its
adjustment with it. The total is then a sum over at most one row per account. (Overdue items
are still counted: whether an item is overdue changes with the clock, not with a write.)

PostgreSQL: one trigger per statement, over its transition tables (a batch of 1,000 webhook
items is one upsert per account, taken in account order); TRUNCATE empties the counts. SQLite:
one trigger per row. The counts start from the items there are.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Adds `delta` (a SELECT of account_id, delta) to the accounts' counts.
ADD = (
    "INSERT INTO open_item_count (account_id, total) {delta} "
    "ON CONFLICT (account_id) DO UPDATE SET total = open_item_count.total + excluded.total"
)
INSERTED = ADD.format(
    delta="SELECT account_id, count(*) FROM new_items WHERE status = 'open' "
    "GROUP BY account_id ORDER BY account_id"
)
DELETED = ADD.format(
    delta="SELECT account_id, -count(*) FROM old_items WHERE status = 'open' "
    "GROUP BY account_id ORDER BY account_id"
)
UPDATED = ADD.format(
    delta="SELECT account_id, sum(change) FROM ("
    "SELECT account_id, 1 AS change FROM new_items WHERE status = 'open' UNION ALL "
    "SELECT account_id, -1 FROM old_items WHERE status = 'open') AS changes "
    "GROUP BY account_id HAVING sum(change) <> 0 ORDER BY account_id"
)
# Built from the constants above only, never from input.
POSTGRESQL_FUNCTION = (
    "CREATE FUNCTION vakt_count_open_items() RETURNS trigger LANGUAGE plpgsql AS $$\n"  # noqa: S608
    "BEGIN\n"
    "    IF TG_OP = 'TRUNCATE' THEN DELETE FROM open_item_count;\n"
    f"    ELSIF TG_OP = 'INSERT' THEN {INSERTED};\n"
    f"    ELSIF TG_OP = 'DELETE' THEN {DELETED};\n"
    f"    ELSE {UPDATED};\n"
    "    END IF;\n"
    "    RETURN NULL;\n"
    "END\n"
    "$$"
)
POSTGRESQL_TRIGGERS = {
    "item_insert_open_count": "AFTER INSERT ON item REFERENCING NEW TABLE AS new_items",
    "item_delete_open_count": "AFTER DELETE ON item REFERENCING OLD TABLE AS old_items",
    "item_update_open_count": (
        "AFTER UPDATE ON item REFERENCING OLD TABLE AS old_items NEW TABLE AS new_items"
    ),
    "item_truncate_open_count": "AFTER TRUNCATE ON item",
}
SQLITE_TRIGGERS = {
    "item_insert_open_count": (
        "AFTER INSERT ON item WHEN new.status = 'open' BEGIN "
        + ADD.format(delta="SELECT new.account_id, 1 WHERE true")
        + "; END"
    ),
    "item_delete_open_count": (
        "AFTER DELETE ON item WHEN old.status = 'open' BEGIN "
        + ADD.format(delta="SELECT old.account_id, -1 WHERE true")
        + "; END"
    ),
    "item_update_open_count": (
        "AFTER UPDATE OF status, account_id ON item "
        "WHEN old.status = 'open' OR new.status = 'open' BEGIN "
        + ADD.format(delta="SELECT old.account_id, -1 WHERE old.status = 'open'")
        + "; "
        + ADD.format(delta="SELECT new.account_id, 1 WHERE new.status = 'open'")
        + "; END"
    ),
}


def upgrade() -> None:
    op.create_table(
        "open_item_count",
        sa.Column("account_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL_FUNCTION)
        for name, when in POSTGRESQL_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {name} {when} "
                "FOR EACH STATEMENT EXECUTE FUNCTION vakt_count_open_items()"
            )
    else:
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    op.execute(
        "INSERT INTO open_item_count (account_id, total) "
        "SELECT account_id, count(*) FROM item WHERE status = 'open' GROUP BY account_id"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in POSTGRESQL_TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON item")
        op.execute("DROP FUNCTION vakt_count_open_items()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("open_item_count")
