"""TOTP seeds encrypted at rest: wider columns, existing plaintext seeds encrypted with the server's secret key

Revision ID: 0004_totp_encryption
Revises: 0003
Create Date: 2026-11-28 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_totp_encryption"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = ("totp_encryption",)
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("totp_secret", "totp_pending")
_users = sa.table("users", sa.column("id", sa.Integer), *(sa.column(c, sa.String) for c in _COLUMNS))


def _alter(old: int, new: int) -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        for name in _COLUMNS:
            op.alter_column("users", name, type_=sa.String(length=new), existing_type=sa.String(length=old),
                            existing_nullable=True)
        return
    # SQLite stores text the same whatever the declared VARCHAR length, so only the declaration changes: the
    # documented schema edit (https://sqlite.org/lang_altertable.html#otheralter) instead of rebuilding `users`,
    # which sessions and API tokens point at (a rebuild would need foreign keys off, impossible in a transaction).
    sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'").scalar_one()
    for name in _COLUMNS:
        sql = sql.replace(f"{name} VARCHAR({old})", f"{name} VARCHAR({new})")
    version = conn.exec_driver_sql("PRAGMA schema_version").scalar_one()
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    conn.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'users'", (sql,))
    conn.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    conn.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    from tipnet.auth import secretbox

    _alter(64, 255)
    conn = op.get_bind()
    rows = conn.execute(sa.select(_users)).all()
    for row in rows:
        values = {c: secretbox.seal(getattr(row, c), f"users.{c}") for c in _COLUMNS
                  if getattr(row, c) is not None and not secretbox.is_encrypted(getattr(row, c))}
        if values:
            conn.execute(_users.update().where(_users.c.id == row.id).values(**values))


def downgrade() -> None:
    from tipnet.auth import secretbox

    conn = op.get_bind()
    for row in conn.execute(sa.select(_users)).all():
        values = {c: secretbox.open_(getattr(row, c), f"users.{c}") for c in _COLUMNS
                  if secretbox.is_encrypted(getattr(row, c))}
        if values:
            conn.execute(_users.update().where(_users.c.id == row.id).values(**values))
    _alter(255, 64)
