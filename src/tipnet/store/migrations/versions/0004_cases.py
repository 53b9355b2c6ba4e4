"""case entry: cases (drafts per user, submitted cases) and their consent history

Revision ID: 0004_cases
Revises: 0003
Create Date: 2026-11-28 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_cases"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = ("cases",)
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=24), nullable=False),
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data_json", sa.Text(), nullable=False),
        sa.Column("is_minor", sa.Boolean(), nullable=False),
        sa.Column("risk_level", sa.String(length=16), nullable=True),
        sa.Column("referral_provider", sa.Text(), nullable=True),
        sa.Column("referral_authority_id", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        _ts("created_at"),
        sa.Column("updated_by", sa.Integer(), nullable=False),
        _ts("updated_at"),
        sa.Column("submitted_by", sa.Integer(), nullable=True),
        _ts("submitted_at", nullable=True),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"],
                                name=op.f("fk_cases_submission_id_submissions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("public_id", name=op.f("uq_cases_public_id")),
    )
    op.create_index("ix_cases_country_status", "cases", ["country", "status"])
    op.create_index("ix_cases_created_by", "cases", ["created_by"])
    op.create_table(
        "case_consents",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=40), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("given_by", sa.String(length=32), nullable=True),
        sa.Column("on_date", sa.String(length=10), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        _ts("recorded_at"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_consents_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_consents")),
    )
    op.create_index("ix_case_consents_case", "case_consents", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_consents_case", table_name="case_consents")
    op.drop_table("case_consents")
    op.drop_index("ix_cases_created_by", table_name="cases")
    op.drop_index("ix_cases_country_status", table_name="cases")
    op.drop_table("cases")
