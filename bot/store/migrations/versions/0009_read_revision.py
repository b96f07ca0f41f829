"""read_revision: a token that changes with every change to what the rota is made of

Every statement that writes `team`, `team_member`, `account`, `absence` or `override` gives the
one row of `read_revision` a new random token, in the same transaction, by a trigger: so raw SQL,
`vakt import`, the configuration file and another replica change it as surely as a listener.
A process may then keep the teams, members, accounts and duty inputs it read, and use them for
as long as the token it reads at the start of a transaction is the one they were read under
(`bot.rota.teams`). A token, not a counter: a rolled-back transaction's token is never seen by
another, and no two transactions can end on the same one.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("team", "team_member", "account", "absence", "override")
OPERATIONS = ("insert", "update", "delete")
# An upsert, not an update: a database emptied row by row (the tests' reset, a careless
# operator) gets its row back with the next change instead of never changing again.
SQLITE_BUMP = (
    "INSERT INTO read_revision (id, token) VALUES (1, lower(hex(randomblob(16)))) "
    "ON CONFLICT (id) DO UPDATE SET token = excluded.token"
)
POSTGRESQL_FUNCTION = """
CREATE FUNCTION vakt_bump_read_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO read_revision (id, token) VALUES (1, replace(gen_random_uuid()::text, '-', ''))
    ON CONFLICT (id) DO UPDATE SET token = excluded.token;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "read_revision",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL_FUNCTION)
        op.execute(
            "INSERT INTO read_revision (id, token) "
            "VALUES (1, replace(gen_random_uuid()::text, '-', ''))"
        )
        for table in TABLES:
            op.execute(
                f'CREATE TRIGGER "{table}_read_revision" '
                f'AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{table}" '
                "FOR EACH STATEMENT EXECUTE FUNCTION vakt_bump_read_revision()"
            )
        return
    op.execute(SQLITE_BUMP)
    for table in TABLES:
        for operation in OPERATIONS:
            op.execute(
                f'CREATE TRIGGER "{table}_{operation}_read_revision" '
                f'AFTER {operation.upper()} ON "{table}" '
                f"BEGIN {SQLITE_BUMP}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f'DROP TRIGGER "{table}_read_revision" ON "{table}"')
        op.execute("DROP FUNCTION vakt_bump_read_revision()")
    else:
        for table in TABLES:
            for operation in OPERATIONS:
                op.execute(f'DROP TRIGGER "{table}_{operation}_read_revision"')
    op.drop_table("read_revision")
