"""person raw values: the raw cells an import could not read, kept on the record; reporting country may be unknown

Revision ID: 0005_person_raw_values
Revises: 0003
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_person_raw_values"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = ("person_raw_values",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("raw_values", sa.Text(), nullable=True))
        batch_op.alter_column("reporting_country", existing_type=sa.String(length=3), nullable=True)


def downgrade() -> None:
    # Records of a global data set may have no reporting country; the old schema cannot hold them, and inventing a
    # country would put victims in the wrong country's figures. Refuse, saying what to remove first.
    orphans = op.get_bind().execute(sa.text("SELECT count(*) FROM persons WHERE reporting_country IS NULL")).scalar()
    if orphans:
        raise RuntimeError(
            f"cannot downgrade 0005_person_raw_values: {orphans} records have no reporting country (imported with "
            "`reporting_country: optional`); remove their submissions first"
        )
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.alter_column("reporting_country", existing_type=sa.String(length=3), nullable=False)
        batch_op.drop_column("raw_values")
