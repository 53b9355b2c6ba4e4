"""Store tables into compact Arrow, at the speed of the store.

The columns are read straight into Arrow by the database's ADBC driver (SQLite or PostgreSQL): the rows never pass
through Python one by one. SQLite's driver links its own copy of SQLite, so it reads in a worker process
(`stats.read_worker`), as imports write in one; PostgreSQL's reads in this process. A filter is a SQLAlchemy
condition, compiled for the store's dialect with its values bound as parameters (never pasted into the SQL text).
The rows arrive in groups of about `BATCH` and each group is made compact at once (dictionary-encoded codes, narrow
integers), so the wide form of the whole table never exists.

`read_rows` is the older reader through SQLAlchemy rows; it stays for stores ADBC cannot open (an in-memory SQLite
database) and as the reference the fast reader is tested against.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
from sqlalchemy import BigInteger, Boolean, Date, DateTime, Float, Integer, Text, cast, literal_column, select
from sqlalchemy.engine import make_url

from tipnet.stats import read_worker
from tipnet.stats.compact import BATCH, compact_batch, compact_schema, compact_stream
from tipnet.store import Database

log = logging.getLogger(__name__)



def arrow_type(column: Any) -> pa.DataType:
    """The wide Arrow type of a store column (before `compact_type`)."""
    t = column.type
    if isinstance(t, Boolean):
        return pa.bool_()
    if isinstance(t, BigInteger | Integer):
        return pa.int64()
    if isinstance(t, Float):
        return pa.float64()
    if isinstance(t, DateTime):
        return pa.timestamp("us")
    if isinstance(t, Date):
        return pa.date32()
    return pa.string()


def wide_schema(table: Any, columns: list[str]) -> pa.Schema:
    return pa.schema([pa.field(c, arrow_type(table.c[c])) for c in columns])


def read_rows(db: Database, table: Any, columns: list[str], where: Any = None) -> pa.Table:
    """Stream a store table into compact Arrow through SQLAlchemy rows (an empty or all-null batch types the
    same as any other)."""
    cols = [table.c[c] for c in columns]
    schema = wide_schema(table, columns)
    batches: list[pa.RecordBatch] = []
    query = select(*cols) if where is None else select(*cols).where(where)
    with db.engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(query)
        for part in result.partitions(BATCH):
            arrays = [pa.array([row[i] for row in part], type=f.type) for i, f in enumerate(schema)]
            batches.append(compact_batch(arrays, schema))
    return pa.Table.from_batches(batches, schema=compact_schema(schema))


def adbc_readable(db: Database) -> bool:
    """Whether the store can be read through ADBC (a file-backed SQLite database or PostgreSQL)."""
    u = make_url(db.url)
    if u.get_backend_name() == "sqlite":
        name = u.database or ""
        return name not in ("", ":memory:") and not name.startswith("file:")
    return u.get_backend_name() == "postgresql"


def read_table(db: Database, table: Any, columns: list[str], where: Any = None) -> pa.Table:
    """The columns of the rows `where` allows, as compact Arrow: through ADBC when the store allows it."""
    if not adbc_readable(db):
        return read_rows(db, table, columns, where)
    return read_arrow(db, table, columns, where)


def read_arrow(db: Database, table: Any, columns: list[str], where: Any = None) -> pa.Table:
    schema = wide_schema(table, columns)
    if db.backend_name == "sqlite":
        sql, params = _sqlite_query(db, table, columns, where)
        return read_worker.read_sqlite(str(make_url(db.url).database), sql, params, schema)
    from adbc_driver_manager import Error as AdbcError

    try:
        return compact_stream(_postgresql_batches(db, table, columns, where), schema)
    except AdbcError as exc:
        log.error("statistics could not read %s from PostgreSQL: %s", table.name, exc)
        raise read_worker.ReadFailed(f"{type(exc).__name__}: {exc}") from exc


def _compiled(stmt: Any, dialect: Any) -> tuple[str, tuple[Any, ...]]:
    """SQL text with positional placeholders and its bound values, in order."""
    compiled = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    names = compiled.positiontup or []
    return compiled.string, tuple(compiled.params[n] for n in names)


def _sqlite_query(db: Database, table: Any, columns: list[str], where: Any) -> tuple[str, tuple[Any, ...]]:
    """The query for SQLite's ADBC driver. The driver infers each column's type from its first batch, and a column
    that is all NULL there would be typed as integers: a first row of the right types (marked by `_first`, and
    dropped by the reader) fixes them all."""

    def typed(c: Any) -> Any:
        t = arrow_type(c)
        return cast(c, Text) if pa.types.is_string(t) else cast(c, BigInteger) if t == pa.int64() else c

    def sentinel(c: Any) -> Any:
        t = arrow_type(c)
        return literal_column("''" if pa.types.is_string(t) else "0.5" if pa.types.is_floating(t) else "0")

    cols = [table.c[c] for c in columns]
    first = select(*(sentinel(c).label(c.name) for c in cols), literal_column("1").label("_first"))
    rows = select(*(typed(c).label(c.name) for c in cols), literal_column("0").label("_first"))
    if where is not None:
        rows = rows.where(where)
    return _compiled(first.union_all(rows), db.engine.dialect)


def _postgresql_batches(db: Database, table: Any, columns: list[str], where: Any) -> Iterator[pa.RecordBatch]:
    """PostgreSQL through its ADBC driver (rows in PostgreSQL's binary format, decoded into Arrow in C)."""
    import adbc_driver_postgresql.dbapi as pg_dbapi
    from sqlalchemy.dialects.postgresql import psycopg

    query = select(*(table.c[c] for c in columns))
    if where is not None:
        query = query.where(where)
    sql, params = _compiled(query, psycopg.dialect(paramstyle="numeric_dollar"))
    with pg_dbapi.connect(db.bulk.target) as conn, conn.cursor() as cur:
        cur.execute(sql, params or None)
        yield from cur.fetch_record_batch()
