"""cooperation: files attached to MLA and extradition requests

Revision ID: 0005_directory_files
Revises: 0004_directory
Create Date: 2026-11-28 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_directory_files"
down_revision: str | None = "0004_directory"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "coop_request_files",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("coop_requests.id"), nullable=False),
        sa.Column("slot", sa.String(48), nullable=False),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("media_type", sa.String(120), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.Text),
    )
    op.create_index("ix_coop_request_files_request", "coop_request_files", ["request_id"])


def downgrade() -> None:
    op.drop_table("coop_request_files")
