"""Bulk loads through ADBC (Arrow straight into SQLite or PostgreSQL), one transaction per import.

SQLAlchemy owns the schema and ordinary queries; an import's many rows go through ADBC, which binds Arrow batches
in C (SQLite) or streams them with COPY (PostgreSQL). Everything an import writes happens on one ADBC connection
inside one transaction, so a failure or a killed process leaves nothing behind.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)


class BulkTransaction:
    """Writes of one import, all or nothing."""

    def __init__(self, conn: Any, placeholder: str) -> None:
        self._conn = conn
        self._cur = conn.cursor()
        self._placeholder = placeholder

    def _params(self, n: int) -> str:
        if self._placeholder == "?":
            return ", ".join("?" * n)
        return ", ".join(f"${i + 1}" for i in range(n))

    def insert_returning_id(self, table: str, row: Mapping[str, Any]) -> int:
        cols = list(row)
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({self._params(len(cols))}) RETURNING id"
        self._cur.execute(sql, tuple(row[c] for c in cols))
        result = self._cur.fetchone()
        assert result is not None
        return int(result[0])

    def update(self, table: str, row_id: int, values: Mapping[str, Any]) -> None:
        cols = list(values)
        if self._placeholder == "?":
            sets = ", ".join(f"{c} = ?" for c in cols)
            where = "?"
        else:
            sets = ", ".join(f"{c} = ${i + 1}" for i, c in enumerate(cols))
            where = f"${len(cols) + 1}"
        self._cur.execute(
            f"UPDATE {table} SET {sets} WHERE id = {where}", (*[values[c] for c in cols], row_id)
        )

    def find_id(self, table: str, column: str, value: Any) -> int | None:
        p = "?" if self._placeholder == "?" else "$1"
        self._cur.execute(f"SELECT id FROM {table} WHERE {column} = {p}", (value,))
        row = self._cur.fetchone()
        return None if row is None else int(row[0])

    def ingest(self, table: str, data: pa.Table) -> None:
        if data.num_rows:
            self._cur.adbc_ingest(table, data, mode="append")


@dataclass(frozen=True)
class BulkBackend:
    """Opens ADBC connections to the store for bulk loads."""

    kind: str
    target: str

    def _connect(self) -> Any:
        if self.kind == "sqlite":
            import adbc_driver_sqlite.dbapi as sqlite_dbapi

            conn = sqlite_dbapi.connect(self.target)
            cur = conn.cursor()
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
            conn.commit()
            return conn
        try:
            import adbc_driver_postgresql.dbapi as pg_dbapi
        except ImportError as exc:  # pragma: no cover - depends on the installed extra
            raise RuntimeError("PostgreSQL support needs the extra: pip install 'tipnet[postgres]'") from exc
        return pg_dbapi.connect(self.target)

    @contextmanager
    def transaction(self) -> Iterator[BulkTransaction]:
        conn = self._connect()
        try:
            tx = BulkTransaction(conn, "?" if self.kind == "sqlite" else "$")
            yield tx
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            conn.close()


def backend_for(url: str) -> BulkBackend:
    u = make_url(url)
    backend = u.get_backend_name()
    if backend == "sqlite":
        if not u.database or u.database == ":memory:":
            raise ValueError("bulk loads need a file-backed SQLite database, not :memory:")
        return BulkBackend("sqlite", u.database)
    if backend == "postgresql":
        plain = u.set(drivername="postgresql").render_as_string(hide_password=False)
        return BulkBackend("postgresql", plain)
    raise ValueError(f"unsupported database backend {backend!r} (use sqlite or postgresql)")
