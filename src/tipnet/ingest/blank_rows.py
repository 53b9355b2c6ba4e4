"""Rows that are not records: nothing in any column the profile reads, or a second header row of labels.

Templates come with such rows. The IOM's HTCDS Excel template numbers a thousand empty rows in a column nothing
maps, and writes each column's label ("First Name") under its field name ("prs_FirstName"): read as records, the
numbered rows become a thousand victims with generated identifiers and the labels one more. Such rows are skipped,
counted and reported (`rows-without-values`, `labels-row`), never stored or quarantined as victims. A row with a
value in any mapped column is a record as before, however little it holds.
"""

from __future__ import annotations

import re

import polars as pl

from tipnet.ingest.errors import error_type
from tipnet.ingest.report import Problem, Report
from tipnet.ingest.sources import ROW, Chunk
from tipnet.standard import load_standard
from tipnet.standard.model import normalise_token

_PREFIX = re.compile(r"^[a-z]{2,4}_")  # HTCDS-style prefixes: prs_, vic_, cas_
LABEL_SHARE = 0.6  # share of the filled mapped cells of a row that must be their column's label
LABEL_MIN = 3


def _names(column: str, field: str | None) -> set[str]:
    names = {normalise_token(column), normalise_token(_PREFIX.sub("", column))}
    if field:
        f = load_standard().field(field)
        names |= {normalise_token(f.name), *(normalise_token(v) for v in f.labels.values())}
    return names


def is_labels_row(chunk: Chunk, columns: dict[str, str | None]) -> bool:
    """True when the chunk's first row repeats the header as labels (cells equal to their column's name without
    its prefix, or to the label of the field the column maps to)."""
    if not chunk.data.height:
        return False
    first = chunk.data.row(0, named=True)
    filled = [(c, str(first[c]).strip()) for c in columns if first.get(c) not in (None, "")]
    if len(filled) < LABEL_MIN:
        return False
    hits = sum(1 for c, v in filled if normalise_token(v) in _names(c, columns[c]))
    return hits >= LABEL_MIN and hits / len(filled) >= LABEL_SHARE


def without_empty_rows(chunk: Chunk, columns: list[str]) -> tuple[Chunk, list[int]]:
    """The chunk without rows that hold nothing in `columns`, and the source numbers of those rows."""
    present = [c for c in columns if c in chunk.data.columns]
    if not present:
        return chunk, []
    # Column by column, each on the rows without a value so far: in a file of records nearly every row shows one in
    # the first column, and the others are not looked at (stripping every cell of a chunk cost more than its checks).
    mask = pl.Series("v", [False] * chunk.data.height, dtype=pl.Boolean)
    for c in present:
        todo = (~mask).arg_true()
        if not len(todo):
            break
        cells = chunk.data.get_column(c).gather(todo)
        filled = cells.str.strip_chars().str.len_chars().fill_null(0) > 0
        mask = mask.scatter(todo.filter(filled), True)
    if mask.all():
        return chunk, []
    dropped = chunk.data.filter(~mask).get_column(ROW).to_list()
    return Chunk(chunk.data.filter(mask), chunk.problems, chunk.bad_rows, chunk.maybe_nul), dropped


def report_skipped(report: Report, empty: list[int], labels_row: int | None) -> None:
    if labels_row is not None:
        report.add(Problem("labels-row", error_type("labels-row").message(row=labels_row), row=None))
    if empty:
        report.add(Problem("rows-without-values", error_type("rows-without-values").message(
            count=len(empty), first=min(empty), last=max(empty))))
    report.rows_skipped += len(empty) + (labels_row is not None)
