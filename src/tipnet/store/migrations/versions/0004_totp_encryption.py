"""TOTP seeds encrypted at rest: wider columns, existing plaintext seeds encrypted with the server's secret key

Revision ID: 0004_totp_encryption
Revises: 0003
Create Date: 2026-11-28 21:30:00
"""

import base64
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

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


# This migration's own copy of the secret box as it stood when it was written (tipnet.auth.secretbox, format enc1):
# a migration must keep doing what it did whatever later becomes of the application's code.
_PREFIX = "enc1:"


def _server_key() -> bytes:
    """TIPNET_SECRET_KEY (32+ characters) or the key file TIPNET_HOME/secret.key (created 0600 when missing),
    derived with HKDF-SHA256 as the application does."""
    material = os.environ.get("TIPNET_SECRET_KEY", "").encode("utf-8")
    if material and len(material.decode("utf-8")) < 32:
        raise RuntimeError("TIPNET_SECRET_KEY must be at least 32 characters long")
    if not material:
        path = Path(os.environ.get("TIPNET_HOME") or "var").resolve() / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as out:
                out.write(base64.b64encode(secrets.token_bytes(32)).decode("ascii") + "\n")
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        material = base64.b64decode(path.read_text(encoding="ascii").strip(), validate=True)
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"tipnet secretbox v1").derive(material)


def _sealed(value: str | None) -> bool:
    return value is not None and value.startswith(_PREFIX)


def _seal(key: bytes, plaintext: str, purpose: str) -> str:
    nonce = secrets.token_bytes(12)
    blob = nonce + AESGCM(key).encrypt(nonce, plaintext.encode("utf-8"), purpose.encode("ascii"))
    return _PREFIX + base64.urlsafe_b64encode(blob).decode("ascii")


def _open(key: bytes, stored: str, purpose: str) -> str:
    blob = base64.urlsafe_b64decode(stored[len(_PREFIX):].encode("ascii"))
    return AESGCM(key).decrypt(blob[:12], blob[12:], purpose.encode("ascii")).decode("utf-8")


def upgrade() -> None:
    _alter(64, 255)
    conn = op.get_bind()
    rows = conn.execute(sa.select(_users)).all()
    plain = [row for row in rows if any(getattr(row, c) is not None and not _sealed(getattr(row, c)) for c in _COLUMNS)]
    key = _server_key() if plain else b""
    for row in plain:
        values = {c: _seal(key, getattr(row, c), f"users.{c}") for c in _COLUMNS
                  if getattr(row, c) is not None and not _sealed(getattr(row, c))}
        if values:
            conn.execute(_users.update().where(_users.c.id == row.id).values(**values))


def downgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(_users)).all()
    key = _server_key() if any(_sealed(getattr(row, c)) for row in rows for c in _COLUMNS) else b""
    for row in rows:
        values = {c: _open(key, getattr(row, c), f"users.{c}") for c in _COLUMNS if _sealed(getattr(row, c))}
        if values:
            conn.execute(_users.update().where(_users.c.id == row.id).values(**values))
    _alter(255, 64)
