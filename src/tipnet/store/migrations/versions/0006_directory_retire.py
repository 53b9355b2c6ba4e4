"""cooperation: retired directory entries; requests registered by the requested state (received outside tipnet)

Revision ID: 0006_directory_retire
Revises: 0005_directory_files
Create Date: 2026-11-28 22:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_directory_retire"
down_revision: str | None = "0005_directory_files"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("coop_authorities", sa.Column("retired_on", sa.Date, nullable=True))
    op.add_column("coop_authorities", sa.Column("retired_reason", sa.Text, nullable=True))
    op.add_column("coop_requests", sa.Column("registered_by", sa.String(3), nullable=True))
    op.add_column("coop_requests", sa.Column("external_reference", sa.Text, nullable=True))
    op.add_column("coop_requests", sa.Column("received_on", sa.Date, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("coop_requests") as batch:
        batch.drop_column("received_on")
        batch.drop_column("external_reference")
        batch.drop_column("registered_by")
    with op.batch_alter_table("coop_authorities") as batch:
        batch.drop_column("retired_reason")
        batch.drop_column("retired_on")
