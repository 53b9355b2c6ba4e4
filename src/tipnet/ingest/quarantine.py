"""Quarantine files: rejected rows, as they were in the source, with the row number and the reasons.

A quarantine file is a CSV in the source's own columns plus `tipnet_row` and `tipnet_errors`. Fix the cells,
then import the file again: those two columns are ignored on the way in. A cell (or column name) that a spreadsheet
would run as a formula (`=...`, `+...`, `-...`, `@...`: `tipnet.standard.cells`) is written with a leading `'`, and
`reopened` takes that quote off again when a file with both annotation columns comes back, so a corrected file
imports the values the source had. It is written the way the source was (its
encoding and delimiter; UTF-8 with a byte-order mark when the source was UTF-8 or not CSV), so it reopens in the
spreadsheet that saved the source: a Windows-1252 file with semicolons from a Spanish-locale office stays one.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import polars as pl

from tipnet.ingest.readers import ROW, Chunk, SourceTable
from tipnet.ingest.readers_csv import sniff_delimiter
from tipnet.standard.cells import neutralise, neutralise_frame, neutralise_row, restore, restore_frame

ROW_COLUMN = "tipnet_row"
ERRORS_COLUMN = "tipnet_errors"
ANNOTATION_COLUMNS = (ROW_COLUMN, ERRORS_COLUMN)
UTF8_WITH_BOM = "utf-8-sig"


def source_dialect(table: SourceTable) -> tuple[str, str]:
    """The encoding and delimiter to write a quarantine file of this source in."""
    if table.format != "csv" or not table.encoding:
        return UTF8_WITH_BOM, ","
    name = codecs.lookup(table.encoding).name
    encoding = UTF8_WITH_BOM if name in ("utf-8", "utf-8-sig") else table.encoding
    with table.path.open("r", encoding=table.encoding, errors="replace", newline="") as fh:
        sample = fh.read(64 * 1024)
    return encoding, sniff_delimiter(sample)


class QuarantineWriter:
    """Writes to `<path>.partial`; `publish()` renames it once the import has committed, so a killed import leaves
    at most a `.partial` file and never a quarantine file that no submission points to."""

    def __init__(
        self, path: Path, source_columns: list[str], encoding: str = UTF8_WITH_BOM, delimiter: str = ","
    ) -> None:
        self.path = path
        self.delimiter = delimiter
        self.partial = path.with_name(path.name + ".partial")
        self.columns = [c for c in source_columns if c not in ANNOTATION_COLUMNS]
        self.rows = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        # a value the source's encoding cannot hold (only tipnet's own messages could) is escaped, never dropped
        self._fh = self.partial.open("w", encoding=encoding, errors="backslashreplace", newline="")
        self._writer = csv.writer(self._fh, delimiter=delimiter)
        self._writer.writerow([*neutralise_row(self.columns), ROW_COLUMN, ERRORS_COLUMN])

    def write(self, raw: pl.DataFrame, reasons: dict[int, str]) -> None:
        """raw: the source chunk's rejected rows (source columns + __row)."""
        if not raw.height:
            return
        numbers = raw.get_column(ROW)
        keys = pl.Series(list(reasons), dtype=pl.Int64)
        frame = raw.select(
            *[pl.col(c).cast(pl.Utf8) for c in self.columns],
            numbers.alias(ROW_COLUMN),
            numbers.replace_strict(
                keys, pl.Series([neutralise(r) for r in reasons.values()], dtype=pl.Utf8), default=""
            ).alias(ERRORS_COLUMN),
        )
        frame = neutralise_frame(frame, skip=ANNOTATION_COLUMNS)
        # the csv module's dialect (minimal quoting, CRLF), as for the header row
        text = frame.write_csv(
            include_header=False, line_terminator="\r\n", quote_style="necessary", separator=self.delimiter
        )
        self._fh.write(text)
        self.rows += raw.height

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()

    def publish(self) -> None:
        self.close()
        if self.rows:
            self.partial.replace(self.path)
        else:
            self.partial.unlink(missing_ok=True)

    def discard(self) -> None:
        self.close()
        self.partial.unlink(missing_ok=True)


def reopened(table: SourceTable) -> SourceTable:
    """The table as the source had it when it is a quarantine file coming back (it has both annotation columns):
    the `'` that `QuarantineWriter` put before formula-like cells and column names is taken off. Any other table
    is returned as it is: a national file's own quotes are its data."""
    if not set(ANNOTATION_COLUMNS) <= set(table.columns):
        return table
    columns = list(table.columns)
    renames: dict[str, str] = {}
    for i, name in enumerate(columns):
        original = restore(name)
        if original != name and original not in columns:
            renames[name] = columns[i] = original
    source = table.chunks()

    def chunks() -> Iterator[Chunk]:
        for chunk in source:
            data = restore_frame(chunk.data, skip=(ROW, *ANNOTATION_COLUMNS))
            yield replace(chunk, data=data.rename(renames) if renames else data)

    return SourceTable(table.path, table.format, columns, table.encoding, chunks())
