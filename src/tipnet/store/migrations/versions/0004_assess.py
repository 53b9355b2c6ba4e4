"""self-assessments against indicator frameworks: questionnaires and their append-only versions

Revision ID: 0004_assess
Revises: 0003
Create Date: 2026-12-20 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_assess"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = ("assess",)
depends_on: str | Sequence[str] | None = None

_MESSAGE = "assessment versions are append-only"
_GUARDS = [("assessment_versions_no_update", "UPDATE"), ("assessment_versions_no_delete", "DELETE")]


def upgrade() -> None:
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("framework", sa.String(length=64), nullable=False),
        sa.Column("framework_version", sa.String(length=32), nullable=False),
        sa.Column("country", sa.String(length=3), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
        sa.UniqueConstraint("framework", "country", "year", name="uq_assessments_framework_country_year"),
    )
    op.create_index("ix_assessments_country_year", "assessments", ["country", "year"])
    op.create_table(
        "assessment_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("answers_json", sa.Text(), nullable=False),
        sa.Column("figures_json", sa.Text(), nullable=True),
        sa.Column("scorecard_json", sa.Text(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessments.id"],
                                name=op.f("fk_assessment_versions_assessment_id_assessments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_versions")),
        sa.UniqueConstraint("assessment_id", "version", name="uq_assessment_versions_assessment_id_version"),
    )
    dialect = op.get_bind().dialect.name
    for name, event in _GUARDS:
        if dialect == "sqlite":
            op.execute(f"CREATE TRIGGER {name} BEFORE {event} ON assessment_versions FOR EACH ROW "
                       f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END")
        elif dialect == "postgresql":
            op.execute(f"CREATE FUNCTION {name}_fn() RETURNS trigger AS $$ BEGIN "
                       f"RAISE EXCEPTION '{_MESSAGE}'; END; $$ LANGUAGE plpgsql")
            op.execute(f"CREATE TRIGGER {name} BEFORE {event} ON assessment_versions FOR EACH ROW "
                       f"EXECUTE FUNCTION {name}_fn()")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name, _ in _GUARDS:
        if dialect == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        elif dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON assessment_versions")
            op.execute(f"DROP FUNCTION IF EXISTS {name}_fn()")
    op.drop_table("assessment_versions")
    op.drop_index("ix_assessments_country_year", table_name="assessments")
    op.drop_table("assessments")
