"""case entry: corrections of submitted cases (which fields, why, by whom, when; never the values)

Revision ID: 0005_case_corrections
Revises: 0004_cases
Create Date: 2026-11-29 04:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_case_corrections"
down_revision: str | None = "0004_cases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_corrections",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("corrected_by", sa.Integer(), nullable=False),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_corrections_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_corrections")),
    )
    op.create_index("ix_case_corrections_case", "case_corrections", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_case_corrections_case", table_name="case_corrections")
    op.drop_table("case_corrections")
