"""Bulk writes read back exactly on both backends (the `db` fixture; on PostgreSQL the batches go through `COPY`):
NULL against empty text, quotes, separators, line breaks, a line that is only `\\.`, accents, dates, booleans and
floats all survive the round trip."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from tipnet.ingest.submission import ImportOptions, submission_row
from tipnet.store import Database
from tipnet.store.tables import persons

TEXTS = [
    None, "", " ", "plain", 'say "hi", then go', "two\nlines", "cr\r\nlf", "\\.", "x\n\\.\ny", "\\N", "NULL",
    "tab\there", "María Ñahui Cárdenas", "ends with comma,", '"', "\u2028",
]


def _frame(submission_id: int) -> pl.DataFrame:
    n = len(TEXTS)
    return pl.DataFrame(
        {
            "submission_id": [submission_id] * n,
            "source_row": list(range(2, n + 2)),
            "record_id": [f"R{i}" for i in range(n)],
            "case_id": [f"C{i}" for i in range(n)],
            "given_names": TEXTS,
            "agency": list(reversed(TEXTS)),
            "identification_date": [date(2023, 1, 31), None] * (n // 2),
            "age": [None, 0, 17, 120] * (n // 4),
            "is_minor": [True, False, None, True] * (n // 4),
            "exploitation_latitude": [0.1, -12.046374, None, 1 / 3, 1e-300, -2.5, 5e-324, 1.7976931348623157e308]
            * (n // 8),
        },
        schema_overrides={"submission_id": pl.Int32, "given_names": pl.Utf8, "agency": pl.Utf8},
    )


def test_bulk_rows_read_back_exactly(db: Database, tmp_path: Path) -> None:
    frame = _frame(0)
    with db.bulk.transaction() as tx:
        sid = tx.insert_returning_id(
            "submissions", submission_row(db, "records", ImportOptions(country="PER"), "tipnet", tmp_path / "x.csv",
                                          "0" * 64)
        )
        frame = frame.with_columns(pl.lit(sid, dtype=pl.Int32).alias("submission_id"))
        tx.ingest("persons", frame)
    with db.engine.connect() as conn:
        rows = conn.execute(sa.select(*[persons.c[c] for c in frame.columns]).order_by(persons.c.source_row)).all()
    assert len(rows) == len(TEXTS)
    got = {c: [r[i] for r in rows] for i, c in enumerate(frame.columns)}
    for column in frame.columns:
        assert got[column] == frame.get_column(column).to_list(), column
