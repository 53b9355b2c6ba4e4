"""store state: which submissions each records revision changed (statistics patch only those)

Revision ID: 0005_record_changes
Revises: 0004_store_state
Create Date: 2026-12-07 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_record_changes"
down_revision: str | None = "0004_store_state"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("record_changes"):  # idempotent: a store that already has it keeps it
        return
    op.create_table(
        "record_changes",
        sa.Column("revision", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("submission_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("revision", "submission_id", name=op.f("pk_record_changes")),
    )


def downgrade() -> None:
    op.drop_table("record_changes")
