"""cooperation: directory of authorities with history, reminder outbox, MLA and extradition request register

Revision ID: 0004_directory
Revises: 0003
Create Date: 2026-11-28 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_directory"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = ("directory",)
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "coop_authorities",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("country", sa.String(3), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("competences", sa.Text, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("last_verified", sa.Date, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.Column("updated_by", sa.Text),
    )
    op.create_index("ix_coop_authorities_country", "coop_authorities", ["country"])
    op.create_table(
        "coop_authority_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("authority_id", sa.Integer, sa.ForeignKey("coop_authorities.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("changed_fields", sa.Text, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        _ts("changed_at"),
        sa.Column("changed_by", sa.Text),
    )
    op.create_index("ix_coop_authority_history_authority", "coop_authority_history", ["authority_id"])
    op.create_table(
        "coop_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("country", sa.String(3), nullable=False),
        sa.Column("object_type", sa.String(32), nullable=False),
        sa.Column("object_id", sa.Integer, nullable=False),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        _ts("created_at"),
    )
    op.create_index("ix_coop_outbox_object", "coop_outbox", ["object_type", "object_id"])
    op.create_table(
        "coop_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("reference", sa.String(40), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("requesting_country", sa.String(3), nullable=False),
        sa.Column("requested_country", sa.String(3), nullable=False),
        sa.Column("authority_id", sa.Integer, sa.ForeignKey("coop_authorities.id")),
        sa.Column("measures", sa.Text, nullable=False),
        sa.Column("crime", sa.String(48), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("fields", sa.Text, nullable=False),
        sa.Column("attachments", sa.Text, nullable=False),
        sa.Column("case_ids", sa.Text, nullable=False),
        sa.Column("deadline", sa.Date),
        sa.Column("created_by", sa.Text),
        _ts("created_at"),
        _ts("updated_at"),
    )
    op.create_index("ix_coop_requests_requesting", "coop_requests", ["requesting_country"])
    op.create_index("ix_coop_requests_requested", "coop_requests", ["requested_country"])
    op.create_table(
        "coop_request_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("coop_requests.id"), nullable=False),
        sa.Column("from_status", sa.String(16)),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("note", sa.Text),
        _ts("at"),
        sa.Column("actor", sa.Text),
        sa.Column("actor_country", sa.String(3)),
    )
    op.create_index("ix_coop_request_events_request", "coop_request_events", ["request_id"])


def downgrade() -> None:
    op.drop_table("coop_request_events")
    op.drop_table("coop_requests")
    op.drop_table("coop_outbox")
    op.drop_table("coop_authority_history")
    op.drop_table("coop_authorities")
