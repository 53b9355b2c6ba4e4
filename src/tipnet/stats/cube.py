"""The victim cube: counts over any set of dimensions with all their margins, as pure SQL for DuckDB.

A victim with several forms of exploitation counts once in each form's cell and once in every margin that is not
split by form. One statement per request: victims are first grouped by the requested plain dimensions and their set
of forms (a few hundred thousand rows even for millions of victims); grouping sets without form sum those groups,
sets with form unnest each group's forms (distinct per victim), sets with the GLOTIP form group unnest each group's
distinct form groups. So a margin never sums exploded rows (which would count pairs, not victims).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from itertools import combinations

PLAIN_DIMENSIONS = ("country", "year", "sex", "age_group", "age_band", "citizenship", "source_type", "destination")
FORM_DIMENSIONS = ("form", "form_group")
CUBE_DIMENSIONS: tuple[str, ...] = PLAIN_DIMENSIONS + FORM_DIMENSIONS
ALL = "_all"
FORMS_LIST = "CASE WHEN forms = '' THEN ['not_recorded'] ELSE string_split(forms, ';') END"


@cache
def group_case(expr: str) -> str:
    """SQL mapping a form code to its GLOTIP group (sexual / labour / other), 'not_recorded' otherwise."""
    from tipnet.standard import load_standard

    vocab = load_standard().vocabularies["exploitation_form"]
    whens = " ".join(f"WHEN '{v.code}' THEN '{v.attrs['glotip']}'" for v in vocab.values)
    return f"CASE {expr} {whens} ELSE 'not_recorded' END"


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


def _where(spec: CubeSpec) -> tuple[str, list[str | int]]:
    parts: list[str] = []
    params: list[str | int] = []
    for dim, value in spec.filters.items():
        if dim == "form":
            parts.append(f"list_contains({FORMS_LIST}, ?)")
        elif dim == "form_group":
            parts.append(f"list_contains(list_transform({FORMS_LIST}, lambda f: {group_case('f')}), ?)")
        else:
            parts.append(f"{dim} = ?")
        params.append(value)
    return (" WHERE " + " AND ".join(parts)) if parts else "", params


def cube_sqls(spec: CubeSpec) -> list[tuple[str, list[str | int]]]:
    """One SQL returning every dimension (ALL on margins) and `victims` for every grouping set of `spec`."""
    plain = [d for d in spec.dims if d in PLAIN_DIMENSIONS]
    sets = spec.grouping_sets()

    def select(family: list[tuple[str, ...]]) -> str:
        present = {d for s in family for d in s}
        cols = [(f"CASE WHEN GROUPING({d}) = 1 THEN '{ALL}' ELSE CAST({d} AS VARCHAR) END" if d in present
                 else f"'{ALL}'") + f" AS {d}" for d in spec.dims]
        return ", ".join([*cols, "CAST(sum(n) AS BIGINT) AS victims"])

    def grouping(family: list[tuple[str, ...]]) -> str:
        if not any(family):
            return ""
        return " GROUP BY GROUPING SETS (" + ", ".join("(" + ", ".join(s) + ")" for s in family) + ")"

    where, params = _where(spec)
    base = f"SELECT {', '.join([*plain, 'forms', 'count(*) AS n'])} FROM victims{where} GROUP BY ALL"
    parts = []
    no_form = [s for s in sets if not set(s) & set(FORM_DIMENSIONS)]
    if no_form:
        parts.append(f"SELECT {select(no_form)} FROM base{grouping(no_form)}")
    with_form = [s for s in sets if "form" in s]
    if with_form:
        parts.append(f"SELECT {select(with_form)} FROM (SELECT *, {group_case('form')} AS form_group FROM base, "
                     f"unnest({FORMS_LIST}) AS f(form)){grouping(with_form)}")
    group_only = [s for s in sets if "form_group" in s and "form" not in s]
    if group_only:
        groups = f"list_distinct(list_transform({FORMS_LIST}, lambda f: {group_case('f')}))"
        parts.append(f"SELECT {select(group_only)} FROM base, unnest({groups}) AS g(form_group)"
                     f"{grouping(group_only)}")
    return [(f"WITH base AS MATERIALIZED ({base}) " + " UNION ALL ".join(parts), params)]
