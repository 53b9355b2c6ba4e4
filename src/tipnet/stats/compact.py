"""Compact in-memory Arrow types for statistics: codes dictionary-encoded with the narrowest index, narrow integers.

pyarrow only (no SQLAlchemy): the SQLite read worker imports it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc

BATCH = 200_000

# Compact in-memory types: codes repeat a lot, so strings are dictionary-encoded with the narrowest index that fits
# what the standard allows (vocabulary codes < 128, countries < 300, ';'-lists and free text need int32).
_INT8_CODES = {"source_type", "role", "victim_status", "age_band", "sex", "legal_status", "area_kind", "indicator",
               "dimension", "category_kind", "age"}
_INT16_CODES = {"reporting_country", "recruitment_country", "exploitation_country", "country", "area_code",
                "category_code", "source"}
_NARROW_INTS = {"submission_id": pa.int32(), "identification_year": pa.int16(), "year": pa.int16(), "age": pa.int16()}


def compact_type(name: str, t: pa.DataType) -> pa.DataType:
    if pa.types.is_string(t):
        index = pa.int8() if name in _INT8_CODES else pa.int16() if name in _INT16_CODES else pa.int32()
        return pa.dictionary(index, pa.string())
    return _NARROW_INTS.get(name, t)


def compact_schema(schema: pa.Schema) -> pa.Schema:
    return pa.schema([pa.field(f.name, compact_type(f.name, f.type)) for f in schema])


def compact_batch(arrays: list[pa.Array], schema: pa.Schema) -> pa.RecordBatch:
    """One batch in the compact types of `compact_schema(schema)` (encoded batch by batch: the wide form of the
    whole table never exists)."""
    out = []
    for arr, f in zip(arrays, compact_schema(schema), strict=True):
        if pa.types.is_dictionary(f.type):
            out.append(pc.dictionary_encode(arr).cast(f.type))
        else:
            out.append(arr.cast(f.type))
    return pa.RecordBatch.from_arrays(out, schema=compact_schema(schema))


def _cast(arr: pa.Array, t: pa.DataType) -> pa.Array:
    if arr.type == t:
        return arr
    if pa.types.is_null(arr.type):
        return pa.nulls(len(arr), type=t)
    return arr.cast(t)


def compact_stream(batches: Iterator[pa.RecordBatch], schema: pa.Schema) -> pa.Table:
    """A driver's batches (their first `len(schema)` columns, cast to the wide `schema`) as one compact table, made
    compact in groups of about BATCH rows."""
    pending: list[pa.RecordBatch] = []
    size = 0
    out: list[pa.RecordBatch] = []
    n = len(schema)
    for batch in batches:
        if batch.num_rows == 0:
            continue
        arrays = [_cast(batch.column(i), f.type) for i, f in enumerate(schema)]
        pending.append(pa.RecordBatch.from_arrays(arrays[:n], schema=schema))
        size += batch.num_rows
        if size >= BATCH:
            out.append(_compact_group(pending, schema))
            pending, size = [], 0
    if pending:
        out.append(_compact_group(pending, schema))
    return pa.Table.from_batches(out, schema=compact_schema(schema))


def _compact_group(pending: list[pa.RecordBatch], schema: pa.Schema) -> pa.RecordBatch:
    group = pa.concat_batches(pending)
    return compact_batch([group.column(i) for i in range(len(schema))], schema)
