"""submissions: the release date of the edition a file of aggregate figures is (GLOTIP)

Revision ID: 0006_submission_released_on
Revises: 0003
Create Date: 2026-12-07 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_submission_released_on"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = ("submission_released_on",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Editions imported before this column existed keep NULL: the import order decides between them, as it did.
    op.add_column("submissions", sa.Column("released_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("released_on")
