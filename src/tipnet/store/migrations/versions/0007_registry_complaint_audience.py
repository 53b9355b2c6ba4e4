"""registry: a complaint is shown to its own country and the hub unless its author marks it for every country

Revision ID: 0007_registry_complaint_audience
Revises: 0006_compendium_narrow_rows
Create Date: 2026-12-12 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_registry_complaint_audience"
down_revision: str | None = "0006_compendium_narrow_rows"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # complaints recorded before this revision were never marked by their authors: they become their country's own
    with op.batch_alter_table("agency_complaints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("for_all", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("agency_complaints", schema=None) as batch_op:
        batch_op.drop_column("for_all")
