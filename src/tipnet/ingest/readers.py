"""Readers: turn a CSV, XLSX, JSON or Parquet file into chunks of text columns with source row numbers.

Every cell arrives as text (or null); typing is the checks' job. Each chunk carries a `__row` column with the row
number a person would find in the source file (CSV: the header is row 1; XLSX: the sheet's row number; JSON and
Parquet: the record's position, from 1).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from tipnet.ingest.errors import error_type
from tipnet.ingest.limits import ReadLimits, check_document_bytes, too_large
from tipnet.ingest.readers_csv import NotUtf8, RaggedInput, open_csv
from tipnet.ingest.report import Problem
from tipnet.ingest.sources import (
    ROW,
    SAMPLE_BYTES,
    Chunk,
    ReadError,
    SourceTable,
    _clean_header,
    _rows_chunk,
    _unreadable,
)

log = logging.getLogger(__name__)

__all__ = ["ROW", "SAMPLE_BYTES", "Chunk", "NotUtf8", "RaggedInput", "ReadError", "ReadLimits", "SourceTable",
           "detect_format", "open_csv", "open_json", "open_parquet", "open_source", "open_xlsx"]


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        return "xlsx"
    if suffix in (".json", ".ndjson", ".jsonl"):
        return "json"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.lstrip()[:1] in (b"[", b"{"):
        return "json"
    return "csv"



def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


def _find_header(rows: list[list[Any]]) -> int:
    """Skip preamble rows (titles, licence text, release dates): the header is the first row that is mostly filled."""
    width = max((len(r) for r in rows[:50]), default=0)
    for i, r in enumerate(rows[:50]):
        filled = sum(1 for c in r if _cell_text(c) is not None)
        if width and filled >= max(2, (width + 1) // 2):
            return i
    return 0


def open_xlsx(path: Path, chunk_rows: int, sheet: str | None = None, limits: ReadLimits | None = None) -> SourceTable:
    """The first (or the named) sheet of a workbook (XLSX, XLSM, ODS, XLS). The workbook is checked against the
    limits before the spreadsheet library unpacks it (`tipnet.ingest.workbook`)."""
    from python_calamine import CalamineWorkbook

    from tipnet.ingest.workbook import check_workbook

    limits = limits or ReadLimits.of()
    check_workbook(path, limits)
    if not zipfile.is_zipfile(path):  # a legacy XLS is read whole: its size is its unpacked size
        check_document_bytes(path, limits, "spreadsheet")
    try:
        wb = CalamineWorkbook.from_path(str(path))
        if len(wb.sheet_names) > limits.max_sheets:
            raise too_large(path, f"the number of sheets ({len(wb.sheet_names):,})", f"{limits.max_sheets:,}",
                            "max_sheets")
        ws = wb.get_sheet_by_name(sheet) if sheet else wb.get_sheet_by_index(0)
        if ws.height * ws.width > limits.max_sheet_cells or ws.height > limits.max_sheet_rows:
            raise too_large(path, f"the used area of the sheet ({ws.height:,} rows by {ws.width:,} columns)",
                            f"{limits.max_sheet_cells:,} cells and {limits.max_sheet_rows:,} rows",
                            "max_sheet_cells, max_sheet_rows")
        rows = ws.to_python(skip_empty_area=False)
    except ReadError:
        raise
    except Exception as exc:  # calamine raises several unrelated types for a broken workbook
        raise _unreadable(
            path, "a spreadsheet (XLSX)", str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        ) from exc
    if not rows:
        raise ReadError(Problem("empty-file", error_type("empty-file").message(path=path.name)))
    h = _find_header(rows)
    columns = _clean_header(rows[h])
    width = len(columns)

    def chunks() -> Iterator[Chunk]:
        body = rows[h + 1 :]
        for start in range(0, len(body), chunk_rows):
            part = body[start : start + chunk_rows]
            numbers, texts = [], []
            for offset, r in enumerate(part):
                cells = [_cell_text(c) for c in r[:width]] + [None] * (width - len(r))
                if all(c is None for c in cells):
                    continue
                texts.append(cells)
                numbers.append(h + 2 + start + offset)
            if texts:
                yield _rows_chunk(texts, numbers, columns, [], set())

    return SourceTable(path, "xlsx", columns, None, chunks(), preamble=rows[:h])


# ---------------------------------------------------------------- JSON and Parquet


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return ";".join(str(v) for v in value if v is not None) or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    return text if text.strip() else None


def open_json(path: Path, chunk_rows: int, limits: ReadLimits | None = None) -> SourceTable:
    check_document_bytes(path, limits or ReadLimits.of(), "JSON")  # parsed whole, into many times its size
    try:
        text = path.read_text(encoding="utf-8-sig")
        stripped = text.lstrip()
        if stripped.startswith("["):
            records = json.loads(text)
        elif stripped.startswith("{") and "\n{" not in stripped.rstrip():
            doc = json.loads(text)
            records = next(
                (doc[k] for k in ("records", "data", "rows") if isinstance(doc.get(k), list)), [doc]
            )
        else:
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _unreadable(path, "JSON", str(exc)) from exc
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise _unreadable(path, "JSON", "expected a list of objects")
    columns: list[str] = []
    for r in records:
        for k in r:
            if k not in columns:
                columns.append(k)
    if not columns:
        raise ReadError(Problem("empty-file", error_type("empty-file").message(path=path.name)))

    def chunks() -> Iterator[Chunk]:
        for start in range(0, len(records), chunk_rows):
            part = records[start : start + chunk_rows]
            rows = [[_json_text(r.get(c)) for c in columns] for r in part]
            yield _rows_chunk(rows, list(range(start + 1, start + 1 + len(part))), columns, [], set())

    return SourceTable(path, "json", columns, "utf-8", chunks())


def open_parquet(path: Path, chunk_rows: int) -> SourceTable:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise _unreadable(path, "Parquet", str(exc)) from exc
    columns = list(pf.schema_arrow.names)

    def chunks() -> Iterator[Chunk]:
        first = 1
        for batch in pf.iter_batches(batch_size=chunk_rows):
            df = pl.from_arrow(batch)
            assert isinstance(df, pl.DataFrame)
            exprs = []
            for c in columns:
                dtype = df.schema[c]
                if isinstance(dtype, pl.List):
                    exprs.append(pl.col(c).list.eval(pl.element().cast(pl.Utf8)).list.join(";").alias(c))
                elif dtype == pl.Boolean:
                    exprs.append(pl.col(c).cast(pl.Utf8).alias(c))
                else:
                    exprs.append(pl.col(c).cast(pl.Utf8).alias(c))
            df = df.select(exprs).with_columns(
                pl.int_range(first, first + df.height, dtype=pl.Int64).alias(ROW)
            )
            first += df.height
            yield Chunk(df)

    return SourceTable(path, "parquet", columns, None, chunks())


def open_source(
    path: Path,
    chunk_rows: int,
    fmt: str | None = None,
    sheet: str | None = None,
    careful: bool = False,
    quick_encoding: bool = False,
    limits: ReadLimits | None = None,
) -> SourceTable:
    """limits: what the reader may expand (default: the settings' limits)."""
    fmt = fmt or detect_format(path)
    limits = limits or ReadLimits.of()
    if fmt == "csv":
        return open_csv(path, chunk_rows, careful, quick_encoding, limits)
    if fmt == "xlsx":
        return open_xlsx(path, chunk_rows, sheet, limits)
    if fmt == "json":
        return open_json(path, chunk_rows, limits)
    if fmt == "parquet":
        return open_parquet(path, chunk_rows)
    raise ReadError(
        Problem("unknown-format", error_type("unknown-format").message(path=path.name, reason=fmt))
    )
