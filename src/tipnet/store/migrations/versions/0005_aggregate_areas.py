"""aggregates: first-level subdivisions, period granularity, age bands and units of national statistics tables

Revision ID: 0005_aggregate_areas
Revises: 0003
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_aggregate_areas"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = ("aggregate_areas",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Figures already stored (GLOTIP) are yearly counts for a whole country: the defaults say so.
    op.add_column("aggregates", sa.Column("subdivision", sa.String(8), nullable=True))
    op.add_column("aggregates", sa.Column("period_kind", sa.String(8), nullable=False, server_default="year"))
    op.add_column("aggregates", sa.Column("period_number", sa.SmallInteger(), nullable=True))
    op.add_column("aggregates", sa.Column("age_band", sa.String(16), nullable=True))
    op.add_column("aggregates", sa.Column("unit", sa.String(16), nullable=False, server_default="count"))


def downgrade() -> None:
    with op.batch_alter_table("aggregates") as batch:
        batch.drop_column("unit")
        batch.drop_column("age_band")
        batch.drop_column("period_number")
        batch.drop_column("period_kind")
        batch.drop_column("subdivision")
