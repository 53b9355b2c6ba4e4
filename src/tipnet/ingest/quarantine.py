"""Quarantine files: rejected rows, as they were in the source, with the row number and the reasons.

A quarantine file is a CSV in the source's own columns plus `tipnet_row` and `tipnet_errors`. Fix the cells,
then import the file again: those two columns are ignored on the way in.
"""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl

from tipnet.ingest.readers import ROW

ROW_COLUMN = "tipnet_row"
ERRORS_COLUMN = "tipnet_errors"
ANNOTATION_COLUMNS = (ROW_COLUMN, ERRORS_COLUMN)


class QuarantineWriter:
    """Writes to `<path>.partial`; `publish()` renames it once the import has committed, so a killed import leaves
    at most a `.partial` file and never a quarantine file that no submission points to."""

    def __init__(self, path: Path, source_columns: list[str]) -> None:
        self.path = path
        self.partial = path.with_name(path.name + ".partial")
        self.columns = [c for c in source_columns if c not in ANNOTATION_COLUMNS]
        self.rows = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self.partial.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._fh)
        self._writer.writerow([*self.columns, ROW_COLUMN, ERRORS_COLUMN])

    def write(self, raw: pl.DataFrame, reasons: dict[int, str]) -> None:
        """raw: the source chunk's rejected rows (source columns + __row)."""
        cols = [*self.columns, ROW]
        for values in raw.select(cols).iter_rows():
            row = values[-1]
            self._writer.writerow(
                [("" if v is None else v) for v in values[:-1]] + [row, reasons.get(row, "")]
            )
            self.rows += 1

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
