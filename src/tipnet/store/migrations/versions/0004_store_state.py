"""store state: a revision counter of in-place changes to stored records (statistics reload when it moves)

Revision ID: 0004_store_state
Revises: 0003
Create Date: 2026-11-29 04:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_store_state"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = ("store_state",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "store_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("records_revision", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_state")),
    )
    op.bulk_insert(table, [{"id": 1, "records_revision": 0}])


def downgrade() -> None:
    op.drop_table("store_state")
