"""Count tables with all margins, over a data snapshot, and the canonical cell keys that link tables.

A cell is named by its conditions: the sorted (dimension, value) pairs of the dimensions it is split by plus the
table's filters. The same key in two tables (or two releases of the same snapshot) is the same number, which is what
makes suppression consistent across linked tables and what the audit's linear programme is built on.

A victim with several forms of exploitation counts once in each form's cell and once in every margin over form
(as in `tipnet.stats.cube`): sums over a form dimension are not additive (see `FORM_DIMS`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import combinations, product
from typing import Any, Protocol

from tipnet.stats.cube import ALL

Key = tuple[tuple[str, str], ...]
TOTAL: Key = ()


class QuerySource(Protocol):
    """What the disclosure code needs from `tipnet.stats.StatsSource`: SQL over `victims` and `victim_forms`."""

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]: ...


# dimension -> SQL expression on `victims v` / `victim_forms f`; NULL becomes 'unknown'
DIM_SQL: dict[str, str] = {
    "country": "coalesce(v.country, 'unknown')",
    "year": "coalesce(CAST(v.year AS VARCHAR), 'unknown')",
    "sex": "v.sex",
    "age_group": "v.age_group",
    "age_band": "v.age_band",
    "citizenship": "coalesce(nullif(v.citizenship, ''), 'unknown')",
    "source_type": "v.source_type",
    "destination": "coalesce(v.destination, 'unknown')",
    "form": "f.form",
    "form_group": "f.form_group",
}
# A victim may count in several cells of these dimensions: their cells do not add up to the margin.
FORM_DIMS = frozenset({"form", "form_group"})


@dataclass(frozen=True)
class TableSpec:
    """One published table: counts of victims split by `dims`, with every margin, within `filters`."""

    name: str
    dims: tuple[str, ...]
    filters: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        unknown = [d for d in (*self.dims, *(f for f, _ in self.filters)) if d not in DIM_SQL]
        if unknown:
            raise ValueError(f"unknown dimension(s) {unknown}; choose from {sorted(DIM_SQL)}")
        if len(set(self.dims)) != len(self.dims) or {f for f, _ in self.filters} & set(self.dims):
            raise ValueError(f"table {self.name}: a dimension appears twice (or is both split and filter)")
        if not self.name.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"table name {self.name!r}: use letters, digits, '-' and '_'")

    @classmethod
    def parse(cls, text: str) -> TableSpec:
        """'sex,age_group' or 'sex,age_group@country=PER' or 'name:sex,age_group@country=PER,year=2021'."""
        name, _, rest = text.rpartition(":") if ":" in text else ("", "", text)
        dims_part, _, filter_part = rest.partition("@")
        dims = tuple(d.strip() for d in dims_part.split(",") if d.strip())
        filters = tuple(sorted((k.strip(), v.strip()) for k, v in
                               (p.split("=", 1) for p in filter_part.split(",") if p.strip())))
        default = "_".join(dims) or "total"
        if filters:
            default += "_" + "_".join(f"{k}-{v}" for k, v in filters)
        return cls(name or default, dims, filters)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "dims": list(self.dims), "filters": [list(f) for f in self.filters]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TableSpec:
        return cls(d["name"], tuple(d["dims"]), tuple((str(a), str(b)) for a, b in d.get("filters", [])))


def cell_key(dims: tuple[str, ...], row: tuple[str, ...], filters: Iterable[tuple[str, str]] = ()) -> Key:
    pairs = [(d, v) for d, v in zip(dims, row, strict=True) if v != ALL]
    return tuple(sorted([*pairs, *filters]))


def key_json(key: Key) -> str:
    return json.dumps([list(p) for p in key], ensure_ascii=False, separators=(",", ":"))


def key_from_json(text: str) -> Key:
    return tuple((str(a), str(b)) for a, b in json.loads(text))


@dataclass(frozen=True)
class Snapshot:
    """The data a release was computed from: the record submissions in the store at that time."""

    submission_ids: frozenset[int]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(json.dumps(sorted(self.submission_ids)).encode()).hexdigest()

    def __le__(self, other: Snapshot) -> bool:  # type: ignore[override]
        return self.submission_ids <= other.submission_ids

    def __lt__(self, other: Snapshot) -> bool:  # type: ignore[override]
        return self.submission_ids < other.submission_ids

    def to_list(self) -> list[int]:
        return sorted(self.submission_ids)


def current_snapshot(source: QuerySource) -> Snapshot:
    rows = source.query("SELECT DISTINCT submission_id FROM victims")
    return Snapshot(frozenset(int(r["submission_id"]) for r in rows))


@dataclass
class CountTable:
    """True counts of one table over one snapshot: every cell of the full grid (domains x margins), zeros included."""

    spec: TableSpec
    domains: dict[str, tuple[str, ...]]
    counts: dict[tuple[str, ...], int] = field(default_factory=dict)  # row (value or ALL per dim) -> count

    def rows(self) -> Iterator[tuple[str, ...]]:
        options = [(*self.domains[d], ALL) for d in self.spec.dims]
        yield from product(*options)

    def key(self, row: tuple[str, ...]) -> Key:
        return cell_key(self.spec.dims, row, self.spec.filters)

    def keyed(self) -> dict[Key, int]:
        return {self.key(r): self.counts.get(r, 0) for r in self.rows()}

    def size(self) -> int:
        n = 1
        for d in self.spec.dims:
            n *= len(self.domains[d]) + 1
        return n


def _snapshot_where(snapshot: Snapshot) -> tuple[str, list[Any]]:
    return "list_contains(?, v.submission_id)", [sorted(snapshot.submission_ids)]


def _filter_where(filters: Iterable[tuple[str, str]]) -> tuple[list[str], list[Any]]:
    parts: list[str] = []
    params: list[Any] = []
    for dim, value in filters:
        if dim in FORM_DIMS:
            parts.append(f"v.id IN (SELECT id FROM victim_forms f WHERE {DIM_SQL[dim]} = ?)")
        else:
            parts.append(f"{DIM_SQL[dim]} = ?")
        params.append(value)
    return parts, params


def domains(source: QuerySource, dims: Iterable[str], snapshot: Snapshot) -> dict[str, tuple[str, ...]]:
    """Values each dimension takes in the snapshot (the whole snapshot, so every table of a release shares them)."""
    snap, params = _snapshot_where(snapshot)
    out: dict[str, tuple[str, ...]] = {}
    for d in dict.fromkeys(dims):
        join = " JOIN victim_forms f ON f.id = v.id" if d in FORM_DIMS else ""
        rows = source.query(f"SELECT DISTINCT {DIM_SQL[d]} AS x FROM victims v{join} WHERE {snap}", list(params))
        out[d] = tuple(sorted(str(r["x"]) for r in rows))
    return out


def count_table(source: QuerySource, spec: TableSpec, snapshot: Snapshot,
                dims_domains: dict[str, tuple[str, ...]]) -> CountTable:
    """Distinct victims per cell for every grouping set of `spec.dims` (GROUPING SETS), restricted to the snapshot."""
    snap, params = _snapshot_where(snapshot)
    fparts, fparams = _filter_where(spec.filters)
    where = " AND ".join([snap, *fparts])
    needs_forms = bool(set(spec.dims) & FORM_DIMS)
    join = " JOIN victim_forms f ON f.id = v.id" if needs_forms else ""
    cols = [f"CASE WHEN GROUPING({DIM_SQL[d]}) = 1 THEN '{ALL}' ELSE {DIM_SQL[d]} END AS d{i}"
            for i, d in enumerate(spec.dims)]
    sets = [s for k in range(len(spec.dims), -1, -1) for s in combinations(spec.dims, k)]
    sets_sql = ", ".join("(" + ", ".join(DIM_SQL[d] for d in s) + ")" for s in sets)
    select = ", ".join([*cols, "count(DISTINCT v.id) AS n"])
    group = f" GROUP BY GROUPING SETS ({sets_sql})" if spec.dims else ""
    sql = f"SELECT {select} FROM victims v{join} WHERE {where}{group}"
    table = CountTable(spec, {d: dims_domains[d] for d in spec.dims})
    for r in source.query(sql, [*params, *fparams]):
        row = tuple(str(r[f"d{i}"]) for i in range(len(spec.dims)))
        table.counts[row] = int(r["n"])
    return table
