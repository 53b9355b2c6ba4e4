"""A scope's view of the analytics base: a DuckDB connection that holds only the rows the scope may read.

The base (`stats.base`) holds every country's rows once. A scope's connection is given, under the names
`scope_persons`, `scope_aggregates` and `scope_editions`, Arrow tables holding only *the scope's rows* of the base's
tables, selected once per base version: where those rows lie in few runs (a country's rows, a shared submission's
consented rows: the base keeps each submission's rows together), as zero-copy slices of the base, so a query scans
the scope's rows only and nothing is copied; otherwise a filtered copy. The unfiltered tables are never registered in
a scope's connection, and DuckDB's scans of Python variables by name are
switched off there, so no SQL run on it - a bug in a statistics query, a crafted parameter - can name another
country's rows. The scope's conditions are Arrow expressions built from its kind and a country code checked to be a
code; nothing from outside is ever SQL text here.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from tipnet.errors import Invalid

log = logging.getLogger(__name__)
_CODE = re.compile(r"[A-Z0-9]{2,8}")
MAX_RUNS = 2048  # a scope's rows in more separate runs of the base than this are copied instead of sliced
KINDS = ("all", "country", "hub", "none")


def checked_code(value: str) -> str:
    """A country code, or an error for anything that is not a plain code."""
    if not isinstance(value, str) or not _CODE.fullmatch(value):
        raise Invalid(f"not a country code: {value!r}")
    return value


@dataclass(frozen=True)
class BaseScope:
    """Which of the base's rows a scope reads: `all`; a `country`'s own records and public figures; the `hub`'s
    shared, consented records and shared or public figures; anything else (`none`): public figures only. The same
    rows as `tipnet.auth.tenancy.Scope.persons()` / `.aggregates()` select in the store."""

    kind: str = "all"
    country: str | None = None


def base_scope(kind: str, country: str | None) -> BaseScope:
    if kind == "all":
        return BaseScope()
    if kind == "country" and country is not None:
        return BaseScope("country", checked_code(country))
    if kind == "hub":
        return BaseScope("hub")
    return BaseScope("none")


def hub_readable() -> pc.Expression:
    """The persons of a shared submission the hub reads: victims who consented; perpetrators and others need no
    consent."""
    victim = ~pc.field("role").is_valid() | (pc.field("role") == "victim")
    return pc.coalesce(pc.field("consent_share_hub"), pa.scalar(False)) | ~victim


def _ids(values: list[int], like: pa.Field) -> pa.Array:
    return pa.array(sorted(values), like.type)


def _filters(tables: dict[str, pa.Table], scope: BaseScope) -> tuple[pc.Expression | None, list[int] | None]:
    """(condition on persons, the submissions whose figures the scope reads); None: every row."""
    if scope.kind == "all":
        return None, None
    subs = tables["base_submissions"]
    ids = subs.column("id").to_pylist()
    countries = subs.column("reporting_country").to_pylist()
    shared = set(tables["base_shared"].column("submission_id").to_pylist())
    public = [i for i, c in zip(ids, countries, strict=True) if c is None]
    sid = tables["persons_all"].schema.field("submission_id")
    if scope.kind == "country" and scope.country is not None:
        code = checked_code(scope.country)
        own = [i for i, c in zip(ids, countries, strict=True) if c == code]
        return pc.field("reporting_country") == code, public + own
    if scope.kind == "hub":
        return pc.field("submission_id").isin(_ids(sorted(shared), sid)) & hub_readable(), public + sorted(shared)
    return pc.scalar(False), public


def select_rows(table: pa.Table, keep: pc.Expression) -> pa.Table:
    """The rows of `table` where `keep` holds (null: not kept), in the table's order: zero-copy slices of `table`
    when they lie in at most `MAX_RUNS` runs of consecutive rows, else a filtered copy."""
    if table.num_rows == 0:
        return table
    mask = ds.dataset(table).to_table(columns={"keep": keep}).column("keep").fill_null(False)
    flags = mask.to_numpy().astype(np.int8)
    edges = np.flatnonzero(np.diff(flags, prepend=np.int8(0), append=np.int8(0)))
    starts, stops = edges[0::2], edges[1::2]
    if len(starts) == 0:
        return table.slice(0, 0)
    if len(starts) > MAX_RUNS:
        log.debug("scope rows: %d runs, copied", len(starts))
        return table.filter(mask)
    log.debug("scope rows: %d runs, sliced", len(starts))
    return pa.concat_tables([table.slice(int(a), int(b - a)) for a, b in zip(starts, stops, strict=True)])


def connect(tables: dict[str, pa.Table], person_columns: list[str], scope: BaseScope) -> duckdb.DuckDBPyConnection:
    """A new connection whose `persons_raw` and `aggregates_raw` are the scope's rows of the base, and nothing else
    of it."""
    people, figures = tables["persons_all"], tables["aggregates_all"]
    keep_persons, keep_figures = _filters(tables, scope)
    con = duckdb.connect(":memory:")
    con.execute("SET python_enable_replacements = false")  # no table found by a Python variable's name (`lock`)
    if keep_persons is None:
        con.register("scope_persons", people)
    else:
        con.register("scope_persons", select_rows(people, keep_persons))
    editions = tables["base_submissions"].select(["id", "edition"])
    if keep_figures is None:
        con.register("scope_aggregates", figures)
    else:
        allowed = sorted(set(keep_figures))
        con.register("scope_aggregates", select_rows(figures, pc.field("submission_id").isin(
            _ids(allowed, figures.schema.field("submission_id")))))
        editions = editions.filter(pc.is_in(editions.column("id"), value_set=pa.array(allowed, pa.int64())))
    con.register("scope_editions", editions)
    keep = [c for c in person_columns if c != "consent_share_hub"]
    con.execute(f"CREATE VIEW persons_raw AS SELECT {', '.join(keep)} FROM scope_persons")
    con.execute("CREATE VIEW aggregates_raw AS SELECT a.*, coalesce(e.edition, 0) AS edition "
                "FROM scope_aggregates a LEFT JOIN scope_editions e ON e.id = a.submission_id")
    lock(con)
    return con


def lock(con: duckdb.DuckDBPyConnection) -> None:
    """No files for the connection's SQL (it could read the store's own file, every country's rows, or attach it),
    no scans of Python variables by name, and no SQL that changes either back."""
    con.execute("SET python_enable_replacements = false")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


__all__ = ["KINDS", "MAX_RUNS", "BaseScope", "base_scope", "checked_code", "connect", "hub_readable", "lock",
           "select_rows"]
