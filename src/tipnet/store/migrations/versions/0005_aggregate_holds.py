"""aggregates: figures held out of statistics by the plausibility checks, until a person confirms or corrects them

Revision ID: 0005_aggregate_holds
Revises: 0003
Create Date: 2026-12-07 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_aggregate_holds"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = ("aggregate_holds",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("aggregates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("checks", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("review", sa.String(length=16), nullable=True))
        batch_op.create_index("ix_aggregates_held", ["held"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("aggregates", schema=None) as batch_op:
        batch_op.drop_index("ix_aggregates_held")
        batch_op.drop_column("review")
        batch_op.drop_column("checks")
        batch_op.drop_column("held")
