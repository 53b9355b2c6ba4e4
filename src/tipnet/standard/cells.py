"""Text cells that a spreadsheet would run: OWASP's rule against formula injection, and its inverse for re-imports.

A text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel, LibreOffice and
Google Sheets as a formula (`=HYPERLINK(...)`, `+cmd|' /C calc'!A0`, `@SUM(...)`). Every CSV, TSV and vCard that
tipnet writes passes its text cells through `neutralise`, which puts a `'` in front: the spreadsheet shows the text
and runs nothing.

A real number stays a number: `-5`, `+3.2`, `-1.5e3`, `.5` are written as they are (a spreadsheet reads them as the
number they are, nothing runs). Anything else that begins with a trigger is text to protect, `-` on its own and
`-1+2` included.

`restore` undoes `neutralise` exactly, for files tipnet wrote that come back (a corrected quarantine file, a
directory CSV): a cell that already began with quotes before a trigger gets one more on the way out, so that
`restore(neutralise(x)) == x` for every string `x`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
NUMBER = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
_NUMBER = re.compile(NUMBER)
_TRIGGER = r"^[=+\-@\t\r]"
_FIRST = frozenset((*TRIGGERS, QUOTE))  # a cell that begins otherwise is left alone without a closer look


def _runs(text: str) -> bool:
    """The text (after any quotes) would be read as a formula."""
    bare = text.lstrip(QUOTE)
    return bool(bare) and bare[0] in TRIGGERS and not _NUMBER.match(bare)


def neutralise(value: Any) -> Any:
    """The value as a spreadsheet-safe cell: a text that would run gets a leading `'`; anything else is unchanged."""
    if isinstance(value, str) and value[:1] in _FIRST and _runs(value):
        return QUOTE + value
    return value


def restore(value: Any) -> Any:
    """The value `neutralise` was given (one leading `'` removed from a cell it protected)."""
    if isinstance(value, str) and value.startswith(QUOTE) and _runs(value):
        return value[1:]
    return value


def neutralise_row(values: Iterable[Any]) -> list[Any]:
    return [neutralise(v) for v in values]


def neutralise_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: neutralise(v) for k, v in row.items()}


def _text_columns(frame: pl.DataFrame, skip: Iterable[str]) -> list[str]:
    import polars as pl

    left_out = set(skip)
    return [c for c, t in frame.schema.items() if t == pl.Utf8 and c not in left_out]


def neutralise_frame(frame: pl.DataFrame, skip: Iterable[str] = ()) -> pl.DataFrame:
    """`neutralise` on every text column of a polars frame (numbers, dates and booleans are left as they are)."""
    import polars as pl

    exprs = []
    for c in _text_columns(frame, skip):
        bare = pl.col(c).str.strip_chars_start(QUOTE)
        runs = bare.str.contains(_TRIGGER) & ~bare.str.contains(NUMBER)
        exprs.append(pl.when(runs).then(pl.lit(QUOTE) + pl.col(c)).otherwise(pl.col(c)).alias(c))
    return frame.with_columns(exprs) if exprs else frame


def restore_frame(frame: pl.DataFrame, skip: Iterable[str] = ()) -> pl.DataFrame:
    """`restore` on every text column of a polars frame."""
    import polars as pl

    exprs = []
    for c in _text_columns(frame, skip):
        bare = pl.col(c).str.strip_chars_start(QUOTE)
        added = pl.col(c).str.starts_with(QUOTE) & bare.str.contains(_TRIGGER) & ~bare.str.contains(NUMBER)
        exprs.append(pl.when(added).then(pl.col(c).str.slice(1)).otherwise(pl.col(c)).alias(c))
    return frame.with_columns(exprs) if exprs else frame
