"""Rows without a value in any read column are dropped, whichever column holds a row's only value."""

from __future__ import annotations

import polars as pl

from tipnet.ingest.blank_rows import without_empty_rows
from tipnet.ingest.sources import ROW, Chunk


def test_a_row_is_kept_for_a_value_in_any_read_column_and_dropped_when_all_are_blank():
    data = pl.DataFrame(
        {
            ROW: [2, 3, 4, 5, 6, 7, 8],
            "a": ["R1", None, " ", "", None, "\t", None],
            "b": [None, "x", None, " ", None, None, None],
            "c": [None, None, " y ", None, None, " ", None],
            "unread": ["z", "z", "z", "z", "z", "z", "z"],  # a value only here does not make a record
        },
        schema_overrides={"a": pl.Utf8, "b": pl.Utf8, "c": pl.Utf8},
    )
    chunk, dropped = without_empty_rows(Chunk(data, [], set(), None), ["a", "b", "c", "not in the file"])
    assert dropped == [5, 6, 7, 8]
    assert chunk.data.get_column(ROW).to_list() == [2, 3, 4]
    assert chunk.data.get_column("c").to_list() == [None, None, " y "]
