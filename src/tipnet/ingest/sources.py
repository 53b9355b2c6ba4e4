"""What every reader yields: chunks of text columns with source row numbers, and the errors that stop a read."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from tipnet.ingest.errors import error_type
from tipnet.ingest.report import Problem

ROW = "__row"
SAMPLE_BYTES = 64 * 1024


class ReadError(Exception):
    """The file cannot be read at all; carries the one problem to report."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


@dataclass
class Chunk:
    data: pl.DataFrame  # source columns (Utf8) + __row (Int64)
    problems: list[Problem] = field(default_factory=list)  # structural problems of rows in this chunk
    bad_rows: set[int] = field(default_factory=set)  # rows that those problems make invalid
    maybe_nul: bool = True  # False when the reader knows that no cell holds a NUL character


@dataclass
class SourceTable:
    path: Path
    format: str
    columns: list[str]
    encoding: str | None = None
    _chunks: Iterator[Chunk] | None = None
    preamble: list[list[Any]] = field(default_factory=list)  # rows above the header (titles, release dates)

    def chunks(self) -> Iterator[Chunk]:
        assert self._chunks is not None
        return self._chunks


def _unreadable(path: Path, fmt: str, reason: str) -> ReadError:
    msg = error_type("unreadable-file").message(path=path.name, format=fmt, reason=reason)
    return ReadError(Problem("unreadable-file", msg))


def _clean_header(raw: list[Any]) -> list[str]:
    out = []
    for i, name in enumerate(raw):
        text = "" if name is None else str(name).strip().lstrip("\ufeff")
        out.append(text or f"column_{i + 1}")
    return out

def _rows_chunk(
    rows: list[list[Any]], numbers: list[int], columns: list[str], problems: list[Problem], bad: set[int]
) -> Chunk:
    data = {c: [r[i] for r in rows] for i, c in enumerate(columns)}
    df = pl.DataFrame(data, schema={c: pl.Utf8 for c in columns})
    df = df.with_columns(pl.Series(ROW, numbers, dtype=pl.Int64))
    return Chunk(df, problems, bad)
