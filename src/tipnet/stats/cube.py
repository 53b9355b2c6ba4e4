"""The victim cube: counts over any set of dimensions with all their margins, as pure SQL for DuckDB.

A victim with several forms of exploitation counts once in each form's cell and once in every margin that is not
split by form: grouping sets that split by form read the (victim, form) pairs, the others read one row per victim.
So a margin never sums exploded rows (which would count pairs, not victims).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

# dimension -> (column, table family)
CUBE_DIMENSIONS: dict[str, str] = {
    "country": "victims",
    "year": "victims",
    "sex": "victims",
    "age_group": "victims",
    "age_band": "victims",
    "citizenship": "victims",
    "source_type": "victims",
    "destination": "victims",
    "form": "victim_forms",
    "form_group": "victim_form_groups",
}
ALL = "_all"


@dataclass(frozen=True)
class CubeSpec:
    dims: tuple[str, ...]
    margins: bool = True  # all 2^k grouping sets; False: only the full-detail set
    filters: dict[str, str | int] = field(default_factory=dict)  # dimension -> value (equality)

    def __post_init__(self) -> None:
        unknown = [d for d in (*self.dims, *self.filters) if d not in CUBE_DIMENSIONS]
        if unknown:
            raise ValueError(f"unknown dimension(s) {unknown}; choose from {sorted(CUBE_DIMENSIONS)}")
        if len(set(self.dims)) != len(self.dims):
            raise ValueError("a dimension appears twice")

    def grouping_sets(self) -> list[tuple[str, ...]]:
        if not self.margins:
            return [self.dims]
        return [s for k in range(len(self.dims), -1, -1) for s in combinations(self.dims, k)]


def _family(gset: tuple[str, ...]) -> str:
    if "form" in gset:
        return "victim_forms"
    if "form_group" in gset:
        return "victim_form_groups"
    return "victims"


_SOURCES = {
    "victims": "victims v",
    "victim_forms": "victims v JOIN victim_forms f ON f.id = v.id",
    "victim_form_groups": "victims v JOIN (SELECT DISTINCT id, form_group FROM victim_forms) f ON f.id = v.id",
}


def _col(dim: str) -> str:
    return f"f.{dim}" if dim in ("form", "form_group") else f"v.{dim}"


def _where(spec: CubeSpec) -> tuple[str, list[str | int]]:
    parts, params = [], []
    for dim, value in spec.filters.items():
        if dim in ("form", "form_group"):
            parts.append(f"v.id IN (SELECT id FROM victim_forms WHERE {dim} = ?)")
        else:
            parts.append(f"{_col(dim)} = ?")
        params.append(value)
    return (" WHERE " + " AND ".join(parts)) if parts else "", params


def cube_sqls(spec: CubeSpec) -> list[tuple[str, list[str | int]]]:
    """One SQL per table family; each returns every dimension (ALL on margins) and `victims`."""
    by_family: dict[str, list[tuple[str, ...]]] = {}
    for gset in spec.grouping_sets():
        by_family.setdefault(_family(gset), []).append(gset)
    where, params = _where(spec)
    out = []
    for family, sets in by_family.items():
        present = sorted({d for s in sets for d in s}, key=spec.dims.index)
        select_dims = []
        for d in spec.dims:
            if d in present:
                select_dims.append(
                    f"CASE WHEN GROUPING({_col(d)}) = 1 THEN '{ALL}' ELSE CAST({_col(d)} AS VARCHAR) END AS {d}"
                )
            else:
                select_dims.append(f"'{ALL}' AS {d}")
        sets_sql = ", ".join("(" + ", ".join(_col(d) for d in s) + ")" for s in sets)
        group = f" GROUP BY GROUPING SETS ({sets_sql})" if present else ""
        cols = ", ".join([*select_dims, "count(*) AS victims"])
        out.append((f"SELECT {cols} FROM {_SOURCES[family]}{where}{group}", list(params)))
    return out
