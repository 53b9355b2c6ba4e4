"""Where a GLOTIP export is read from: the UNODC workbook (XLSX) or the same table saved as CSV, and the edition's
release date printed above its header.

UNODC's exports open with a preamble - a line with the office's name and address, then the release date
(`14/04/2025`) - before the header row `Iso3_code, Country, ...`. The date says which edition a figure comes from:
when two editions hold the same cell, the later release wins, whatever order they were imported in. A file without
a readable date falls back to a date in its name (`data_glotip_2023-05-30.xlsx`), else the edition is unknown and
the import order decides (the report says so).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from tipnet.ingest.errors import error_type
from tipnet.ingest.readers import detect_format, open_xlsx
from tipnet.ingest.readers_csv import csv_careful, detect_encoding, sniff_delimiter
from tipnet.ingest.report import Problem
from tipnet.ingest.sources import SAMPLE_BYTES, ReadError, SourceTable, _clean_header

MARKERS = {"Iso3_code", "Indicator", "Dimension", "txtVALUE"}  # header cells that make a table a GLOTIP export
PREAMBLE_ROWS = 20  # how far down the header may be
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


@dataclass
class GlotipSource:
    table: SourceTable
    released: dt.date | None  # the edition's release date, when the file or its name gives one
    released_from: str | None  # "preamble" or "file name"


def _date(text: str) -> dt.date | None:
    text = text.strip()
    try:
        if m := _DMY.match(text):
            return dt.date(int(m[3]), int(m[2]), int(m[1]))  # UNODC writes day/month/year
        if m := _ISO.search(text):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None
    return None


def release_date(preamble: list[list[object]], path: Path) -> tuple[dt.date | None, str | None]:
    """The first date in a preamble cell (a datetime cell as a spreadsheet stores it, or day/month/year text);
    else a yyyy-mm-dd date in the file name."""
    for row in preamble:
        for cell in row:
            if isinstance(cell, dt.datetime):
                return cell.date(), "preamble"
            if isinstance(cell, dt.date):
                return cell, "preamble"
            if isinstance(cell, str) and (d := _date(cell)) is not None:
                return d, "preamble"
    if m := _ISO.search(path.name):
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3])), "file name"
        except ValueError:
            return None, None
    return None, None


def _csv_rows(path: Path, encoding: str) -> tuple[str, list[list[str]]]:
    with path.open("r", encoding=encoding, newline="") as fh:
        sample = fh.read(SAMPLE_BYTES)
    delimiter = sniff_delimiter(sample)
    with path.open("r", encoding=encoding, newline="") as fh:
        return delimiter, list(islice(csv.reader(fh, delimiter=delimiter), PREAMBLE_ROWS))


def _header_index(rows: list[list[str]]) -> int | None:
    for i, row in enumerate(rows):
        if MARKERS <= {str(c).strip().lstrip("\ufeff") for c in row if c is not None}:
            return i
    return None


def _open_csv(path: Path, chunk_rows: int) -> GlotipSource | None:
    encoding = detect_encoding(path)
    encoding = "utf-8-sig" if encoding == "utf-8" else encoding
    delimiter, head = _csv_rows(path, encoding)
    h = _header_index(head)
    if h is None:
        return None
    columns = _clean_header(head[h])
    chunks = csv_careful(path, delimiter, columns, chunk_rows, header_records=h + 1, encoding=encoding)
    released, how = release_date([list(r) for r in head[:h]], path)
    return GlotipSource(SourceTable(path, "csv", columns, encoding, chunks), released, how)


def open_glotip(path: Path, chunk_rows: int) -> GlotipSource | None:
    """The export as a table, or None when the file is not a GLOTIP export. ReadError when it cannot be read."""
    if detect_format(path) == "xlsx":
        table = open_xlsx(path, chunk_rows)
        if not MARKERS <= set(table.columns):
            return None
        released, how = release_date(table.preamble, path)
        return GlotipSource(table, released, how)
    if detect_format(path) != "csv":
        return None
    try:
        return _open_csv(path, chunk_rows)
    except (UnicodeDecodeError, csv.Error) as exc:
        msg = error_type("unreadable-file").message(path=path.name, format="CSV", reason=str(exc)[:200])
        raise ReadError(Problem("unreadable-file", msg)) from exc


def looks_like_glotip(path: Path) -> bool:
    """Cheap: a workbook's header, or the first lines of a text file (no full read, no encoding detection)."""
    if detect_format(path) == "csv":
        with path.open("rb") as fh:
            head = fh.read(SAMPLE_BYTES).decode("utf-8", errors="replace")
        lines = head.splitlines()[:PREAMBLE_ROWS]
        return any(MARKERS <= {c.strip().strip('"').lstrip("\ufeff") for c in re.split(r"[,;\t|]", line)}
                   for line in lines)
    try:
        return open_glotip(path, chunk_rows=1) is not None
    except ReadError:
        return False
