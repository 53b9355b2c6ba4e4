"""What the checks share: the import's context, the converted result, and the collector of problems."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from tipnet.ingest.profiles import Profile

if TYPE_CHECKING:
    from tipnet.ingest.lookups import Lookup

DTYPES: dict[str, pl.DataType] = {
    "string": pl.Utf8(),
    "integer": pl.Int64(),
    "number": pl.Float64(),
    "date": pl.Date(),
    "boolean": pl.Boolean(),
    "country": pl.Utf8(),
    "country_list": pl.Utf8(),
    "code": pl.Utf8(),
    "code_list": pl.Utf8(),
}
PROBLEM_SCHEMA = {"row": pl.Int64, "code": pl.Utf8, "field": pl.Utf8, "value": pl.Utf8}

# What one distinct value of a looked-up field becomes: (text as checked, typed value, problem code or None).
Outcome = tuple[str | None, Any, str | None]


@dataclass(frozen=True)
class Context:
    profile: Profile
    country: str | None = None  # the submission's country: default for rows, and rows must match it
    today: dt.date = field(default_factory=dt.date.today)
    # fields whose column is source text not yet stripped or blanked (profiles.raw_fields)
    raw: frozenset[str] = frozenset()
    # per field: the outcome of every distinct value seen so far in this import
    lookups: dict[str, Lookup] = field(default_factory=dict, compare=False, repr=False)


@dataclass
class Converted:
    data: pl.DataFrame  # __row + every standard field, typed
    problems: pl.DataFrame  # row, code, field, value


# ---------------------------------------------------------------- problems


class Collector:
    def __init__(self, rows: pl.Series) -> None:
        self.rows = rows
        self.parts: list[pl.DataFrame] = []

    def add(
        self, mask: pl.Series, code: str, field: str, value: pl.Series | Callable[[pl.Series], pl.Series]
    ) -> None:
        """Rows where mask is true get a problem; value: the full column, or a function of the mask that returns
        the values of those rows only (computed only when there is a problem)."""
        if mask.null_count():
            mask = mask.fill_null(False)
        if not mask.any():
            return
        values = value(mask) if callable(value) else value.filter(mask)
        self.add_rows(self.rows.filter(mask), code, field, values)

    def add_rows(self, rows: pl.Series, code: str, field: str, values: pl.Series) -> None:
        if not len(rows):
            return
        self.parts.append(
            pl.DataFrame({"row": rows, "value": values.cast(pl.Utf8)}).select(
                pl.col("row"), pl.lit(code).alias("code"), pl.lit(field).alias("field"), pl.col("value")
            )
        )

    def result(self) -> pl.DataFrame:
        if not self.parts:
            return pl.DataFrame(schema=PROBLEM_SCHEMA)
        return pl.concat(self.parts)
