"""The victim cube: counts over any set of dimensions with all their margins, as pure SQL for DuckDB.

A victim with several forms of exploitation counts once in each form's cell and once in every margin that is not
split by form. One statement per request: victims are first grouped by the requested plain dimensions and their set
of forms (a few hundred thousand rows even for millions of victims); grouping sets without form sum those groups,
sets with form unnest each group's forms (distinct per victim), sets with the GLOTIP form group unnest each group's
distinct form groups. So a margin never sums exploded rows (which would count pairs, not victims).

Every row has its own key (one value or ALL per requested dimension):

- a missing value of a plain dimension is the key 'unknown', never NULL (NULL and 'unknown' are one cell);
- a dimension that is both requested and filtered has one value, so it is kept in every grouping set: its margin
  would be the same cell again under a second key (and "all years" would be a lie when only one year was read);
- a filter on form or form group keeps the victims with a matching form *and* only their matching forms, so a
  victim filtered on sexual exploitation never shows in a forced-labour cell of the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from itertools import combinations

PLAIN_DIMENSIONS = ("country", "year", "sex", "age_group", "age_band", "citizenship", "source_type", "destination")
FORM_DIMENSIONS = ("form", "form_group")
CUBE_DIMENSIONS: tuple[str, ...] = PLAIN_DIMENSIONS + FORM_DIMENSIONS
ALL = "_all"
UNKNOWN = "unknown"
NOT_RECORDED = "not_recorded"


def forms_list(column: str = "forms") -> str:
    """SQL for a victim's distinct forms from the ';'-joined `column` (blanks dropped); ['not_recorded'] when none."""
    codes = (f"list_distinct(list_filter(list_transform(string_split({column}, ';'), lambda x: trim(x)), "
             "lambda x: x <> ''))")
    return f"CASE WHEN len({codes}) = 0 THEN ['{NOT_RECORDED}'] ELSE {codes} END"


FORMS_LIST = forms_list()


@cache
def group_case(expr: str) -> str:
    """SQL mapping a form code to its GLOTIP group (sexual / labour / other), 'not_recorded' otherwise."""
    from tipnet.standard import load_standard

    vocab = load_standard().vocabularies["exploitation_form"]
    whens = " ".join(f"WHEN '{v.code}' THEN '{v.attrs['glotip']}'" for v in vocab.values)
    return f"CASE {expr} {whens} ELSE '{NOT_RECORDED}' END"


@dataclass(frozen=True)
class CubeSpec:
    dims: tuple[str, ...]
    margins: bool = True  # every grouping set over the dimensions not filtered; False: only the full-detail set
    filters: dict[str, str | int] = field(default_factory=dict)  # dimension -> value (equality)

    def __post_init__(self) -> None:
        unknown = [d for d in (*self.dims, *self.filters) if d not in CUBE_DIMENSIONS]
        if unknown:
            raise ValueError(f"unknown dimension(s) {unknown}; choose from {sorted(CUBE_DIMENSIONS)}")
        if len(set(self.dims)) != len(self.dims):
            raise ValueError("a dimension appears twice")

    def grouping_sets(self) -> list[tuple[str, ...]]:
        """The grouping sets, finest first: every subset of the free dimensions, each with the filtered ones."""
        if not self.margins:
            return [self.dims]
        free = [d for d in self.dims if d not in self.filters]
        return [tuple(d for d in self.dims if d in self.filters or d in subset)
                for k in range(len(free), -1, -1) for subset in combinations(free, k)]


def _where(spec: CubeSpec) -> tuple[str, list[str | int]]:
    """The filter on plain dimensions (on the victims view) and its parameters, numbered from $1."""
    parts: list[str] = []
    params: list[str | int] = []
    for dim, value in spec.filters.items():
        if dim in PLAIN_DIMENSIONS:
            params.append(value)
            parts.append(f"{dim} = ${len(params)}")
    return (" WHERE " + " AND ".join(parts)) if parts else "", params


def _kept_forms(spec: CubeSpec, params: list[str | int]) -> str:
    """SQL for each group's forms that pass the form filters (all of them without one); appends to `params`."""
    tests: list[str] = []
    for dim, value in spec.filters.items():
        if dim in FORM_DIMENSIONS:
            params.append(value)
            tests.append(f"{'x' if dim == 'form' else group_case('x')} = ${len(params)}")
    if not tests:
        return FORMS_LIST
    return f"list_filter({FORMS_LIST}, lambda x: {' AND '.join(tests)})"


def cube_sqls(spec: CubeSpec) -> list[tuple[str, list[str | int]]]:
    """One SQL returning every dimension (ALL on margins) and `victims` for every grouping set of `spec`."""
    plain = [d for d in spec.dims if d in PLAIN_DIMENSIONS]
    sets = spec.grouping_sets()

    def select(family: list[tuple[str, ...]]) -> str:
        present = {d for s in family for d in s}
        cols = [(f"CASE WHEN GROUPING({d}) = 1 THEN '{ALL}' ELSE {d} END" if d in present else f"'{ALL}'")
                + f" AS {d}" for d in spec.dims]
        return ", ".join([*cols, "CAST(coalesce(sum(n), 0) AS BIGINT) AS victims"])

    def grouping(family: list[tuple[str, ...]]) -> str:
        if not any(family):
            return ""
        return " GROUP BY GROUPING SETS (" + ", ".join("(" + ", ".join(s) + ")" for s in family) + ")"

    where, params = _where(spec)
    keys = [f"coalesce(CAST({d} AS VARCHAR), '{UNKNOWN}') AS {d}" for d in plain]
    base = f"SELECT {', '.join([*keys, 'forms', 'count(*) AS n'])} FROM (SELECT * FROM victims{where}) GROUP BY ALL"
    kept = (f"SELECT {', '.join([*plain, 'fl', 'n'])} FROM (SELECT *, {_kept_forms(spec, params)} AS fl FROM base) "
            "WHERE len(fl) > 0")
    parts = []
    no_form = [s for s in sets if not set(s) & set(FORM_DIMENSIONS)]
    if no_form:
        parts.append(f"SELECT {select(no_form)} FROM kept{grouping(no_form)}")
    with_form = [s for s in sets if "form" in s]
    if with_form:
        parts.append(f"SELECT {select(with_form)} FROM (SELECT *, {group_case('form')} AS form_group FROM kept, "
                     f"unnest(fl) AS f(form)){grouping(with_form)}")
    group_only = [s for s in sets if "form_group" in s and "form" not in s]
    if group_only:
        groups = f"list_distinct(list_transform(fl, lambda x: {group_case('x')}))"
        parts.append(f"SELECT {select(group_only)} FROM kept, unnest({groups}) AS g(form_group)"
                     f"{grouping(group_only)}")
    sql = f"WITH base AS MATERIALIZED ({base}), kept AS ({kept}) " + " UNION ALL ".join(parts)
    return [(sql, params)]
