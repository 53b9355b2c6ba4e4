"""Keep the victim, flag the fact: which problems cost a row, and the raw cells kept on the rows that stay.

Outside a strict profile, a cell that cannot be read (an unknown code, an impossible date, a flag that is neither
yes nor no) leaves its field unknown and the row is kept: the problem is reported as a warning and the raw cell is
stored in the record's `raw_values` (JSON: {field: raw}; a flag column's cell under "field:column"). Only the
fields needed to count a victim at all (`Profile.required_fields`) quarantine a row; a strict profile quarantines
the row for any cell, as tipnet did before.
"""

from __future__ import annotations

import json

import polars as pl

from tipnet.ingest.errors import CATALOGUE, CELL_CODES
from tipnet.ingest.profiles import Profile
from tipnet.ingest.sources import ROW

RAW_VALUES = "raw_values"


def costs_row(code: str, field: str | None, profile: Profile) -> bool:
    """True when this problem sends its row to quarantine."""
    if code not in CELL_CODES:
        return CATALOGUE[code].severity == "error"
    return profile.strict or field in profile.required_fields()


def level(code: str, lost: bool) -> str | None:
    """The problem's severity where it differs from the catalogue's (None: the catalogue's)."""
    wanted = "error" if lost else "warning"
    return None if CATALOGUE[code].severity == wanted else wanted


def raw_key(code: str, field: str | None, column: str | None) -> str:
    """Where a kept cell goes in `raw_values`: the field, or "field:column" for a flag column."""
    if code == "invalid-flag" and column:
        return f"{field}:{column}"
    return field or column or "?"


class KeptCells:
    """The raw cells of one chunk's kept problems, by source row."""

    def __init__(self, source: pl.DataFrame) -> None:
        self.source = source
        self.cells: dict[int, dict[str, str | None]] = {}
        self._position: dict[int, int] | None = None

    def add(self, row: int, code: str, field: str | None, column: str | None, value: str | None) -> None:
        raw = value
        if column is not None and column in self.source.columns:
            if self._position is None:
                self._position = {r: i for i, r in enumerate(self.source.get_column(ROW).to_list())}
            at = self._position.get(row)
            if at is not None:
                raw = self.source.get_column(column)[at]
        self.cells.setdefault(row, {})[raw_key(code, field, column)] = raw

    def count(self, lost_rows: set[int] | dict[int, list[str]]) -> int:
        """How many cells were kept on rows that are not quarantined."""
        return sum(len(v) for r, v in self.cells.items() if r not in lost_rows)

    def column(self, rows: pl.Series) -> pl.Series:
        """`raw_values` for these rows: JSON text, null where nothing was kept."""
        if not self.cells:
            return pl.repeat(None, len(rows), dtype=pl.Utf8, eager=True).alias(RAW_VALUES)
        texts = {r: json.dumps(v, ensure_ascii=False, sort_keys=True) for r, v in self.cells.items()}
        return rows.replace_strict(texts, default=None, return_dtype=pl.Utf8).alias(RAW_VALUES)
