"""Shared by the messaging tests: an account's principal, and a search of every cell and of the raw database files
for plaintext."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from tipnet.auth.principal import Principal, Via
from tipnet.auth.roles import Role
from tipnet.store import Database


def principal(account) -> Principal:  # type: ignore[no-untyped-def]
    u = account.user
    return Principal(via=Via.SESSION, user_id=u.id, email=u.email, role=Role(u.role), country=u.country)


def _raw(value: object) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes | memoryview):
        return bytes(value)
    return str(value).encode("utf-8")


def plaintext_cells(db: Database, needles: list[bytes]) -> tuple[int, list[tuple[str, str, bytes]]]:
    """(cells read, [(table, column, needle)] for every cell of every table that holds one of the needles)."""
    found, cells = [], 0
    inspector = sa.inspect(db.engine)
    with db.engine.connect() as conn:
        for table in inspector.get_table_names():
            cols = [c["name"] for c in inspector.get_columns(table)]
            for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')):
                for col, value in zip(cols, row, strict=True):
                    cells += 1
                    found += [(table, col, n) for n in needles if n in _raw(value)]
    return cells, found


def plaintext_in_files(folder: Path, pattern: str, needles: list[bytes]) -> list[bytes]:
    """The needles found in the raw bytes of the database files (main file, journal, WAL)."""
    raw = b"".join(p.read_bytes() for p in folder.glob(pattern))
    assert raw, f"no database file {pattern} in {folder}"
    return [n for n in needles if n in raw]
