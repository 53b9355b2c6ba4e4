"""releases, release files and cells, privacy budgets and ledger; immutability triggers

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_IMMUTABLE = "published releases are immutable"
_LEDGER = "the privacy ledger is append-only"

# (trigger name, table, event, condition on OLD/NEW, message)
_GUARDS = [
    ("releases_published_update", "releases", "UPDATE", "OLD.status = 'published'", _IMMUTABLE),
    ("releases_published_delete", "releases", "DELETE", "OLD.status = 'published'", _IMMUTABLE),
    ("release_files_insert", "release_files", "INSERT",
     "(SELECT status FROM releases WHERE id = NEW.release_id) = 'published'", _IMMUTABLE),
    ("release_files_update", "release_files", "UPDATE",
     "(SELECT status FROM releases WHERE id = OLD.release_id) = 'published'", _IMMUTABLE),
    ("release_files_delete", "release_files", "DELETE",
     "(SELECT status FROM releases WHERE id = OLD.release_id) = 'published'", _IMMUTABLE),
    ("release_cells_insert", "release_cells", "INSERT",
     "(SELECT status FROM releases WHERE id = NEW.release_id) = 'published'", _IMMUTABLE),
    ("release_cells_update", "release_cells", "UPDATE",
     "(SELECT status FROM releases WHERE id = OLD.release_id) = 'published'", _IMMUTABLE),
    ("release_cells_delete", "release_cells", "DELETE",
     "(SELECT status FROM releases WHERE id = OLD.release_id) = 'published'", _IMMUTABLE),
    ("privacy_ledger_update", "privacy_ledger", "UPDATE", "1 = 1", _LEDGER),
    ("privacy_ledger_delete", "privacy_ledger", "DELETE", "1 = 1", _LEDGER),
    ("privacy_budgets_spent", "privacy_budgets", "UPDATE",
     "NEW.epsilon_spent < OLD.epsilon_spent OR NEW.rho_spent < OLD.rho_spent", _LEDGER),
]


def _create_guards() -> None:
    dialect = op.get_bind().dialect.name
    for name, table, event, when, message in _GUARDS:
        if dialect == "sqlite":
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW WHEN {when} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
        elif dialect == "postgresql":
            row = "OLD" if event == "DELETE" else "NEW"
            op.execute(
                f"CREATE FUNCTION {name}_fn() RETURNS trigger AS $$ BEGIN "
                f"IF {when} THEN RAISE EXCEPTION '{message}'; END IF; RETURN {row}; END; $$ LANGUAGE plpgsql"
            )
            op.execute(f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}_fn()")


def _drop_guards() -> None:
    dialect = op.get_bind().dialect.name
    for name, table, *_ in _GUARDS:
        if dialect == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        elif dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}_fn()")


def upgrade() -> None:
    op.create_table(
        "releases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dataset", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("spec_json", sa.Text(), nullable=False),
        sa.Column("snapshot_json", sa.Text(), nullable=False),
        sa.Column("snapshot_sha256", sa.String(length=64), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("package_path", sa.Text(), nullable=False),
        sa.Column("summary_json", sa.Text(), nullable=False),
        sa.Column("audit_json", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases")),
        sa.UniqueConstraint("dataset", "version", name="uq_releases_dataset_version"),
    )
    op.create_table(
        "privacy_budgets",
        sa.Column("dataset", sa.String(length=64), nullable=False),
        sa.Column("epsilon_total", sa.Float(), nullable=True),
        sa.Column("rho_total", sa.Float(), nullable=True),
        sa.Column("epsilon_spent", sa.Float(), nullable=False),
        sa.Column("rho_spent", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("dataset", name=op.f("pk_privacy_budgets")),
    )
    op.create_table(
        "release_files",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["release_id"], ["releases.id"],
                                name=op.f("fk_release_files_release_id_releases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_files")),
        sa.UniqueConstraint("release_id", "path", name="uq_release_files_release_id_path"),
    )
    op.create_table(
        "release_cells",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("cell_key", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=True),
        sa.Column("lower", sa.BigInteger(), nullable=True),
        sa.Column("upper", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["release_id"], ["releases.id"],
                                name=op.f("fk_release_cells_release_id_releases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_cells")),
    )
    with op.batch_alter_table("release_cells", schema=None) as batch_op:
        batch_op.create_index("ix_release_cells_release", ["release_id"], unique=False)
    op.create_table(
        "privacy_ledger",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dataset", sa.String(length=64), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=True),
        sa.Column("measure", sa.String(length=16), nullable=False),
        sa.Column("epsilon", sa.Float(), nullable=True),
        sa.Column("rho", sa.Float(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["dataset"], ["privacy_budgets.dataset"],
                                name=op.f("fk_privacy_ledger_dataset_privacy_budgets")),
        sa.ForeignKeyConstraint(["release_id"], ["releases.id"],
                                name=op.f("fk_privacy_ledger_release_id_releases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_ledger")),
    )
    with op.batch_alter_table("privacy_ledger", schema=None) as batch_op:
        batch_op.create_index("ix_privacy_ledger_dataset", ["dataset"], unique=False)
    _create_guards()


def downgrade() -> None:
    _drop_guards()
    with op.batch_alter_table("privacy_ledger", schema=None) as batch_op:
        batch_op.drop_index("ix_privacy_ledger_dataset")
    op.drop_table("privacy_ledger")
    with op.batch_alter_table("release_cells", schema=None) as batch_op:
        batch_op.drop_index("ix_release_cells_release")
    op.drop_table("release_cells")
    op.drop_table("release_files")
    op.drop_table("privacy_budgets")
    op.drop_table("releases")
