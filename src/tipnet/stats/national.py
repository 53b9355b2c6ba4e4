"""Aggregate figures of every source (national statistics tables, GLOTIP) by country, subdivision, year, period,
sex and age, each source on its own rows.

Rules, so that no victim is counted twice:

- Figures of different sources are never added: `source` is always part of the key. `prefer` names one source per
  country (the others are left out for it); without it the sources stand side by side.
- Within one source, a newer submission replaces an older one cell by cell (a revised release of the same table).
- A breakdown that is not asked for is summed over its cells unless the source gives its total: then the total is
  used and the cells are not added to it (sex and age, subdivisions and the whole country, months and the year).
- Only counts (`unit = count`) are summed; a censored count (`<5`) keeps its interval.
"""

from __future__ import annotations

from typing import Any

from tipnet.stats.editions import newest_edition
from tipnet.stats.figures import _add_rates

NATIONAL_DIMS = ("country", "subdivision", "year", "period", "sex", "age_group", "age_band", "form_group",
                 "citizenship")
_SELECT = {
    "country": "country", "subdivision": "subdivision", "year": "CAST(year AS VARCHAR)", "sex": "sex",
    "age_group": "age", "age_band": "coalesce(age_band, age)", "form_group": "category_code",
    "citizenship": "category_code",
    "period": "CASE period_kind WHEN 'month' THEN printf('%d-%02d', year, period_number) "
              "WHEN 'quarter' THEN printf('%d-Q%d', year, period_number) ELSE CAST(year AS VARCHAR) END",
}
_FILTERS = {"country": "country", "subdivision": "subdivision", "year": "year", "sex": "sex", "age_group": "age",
            "source": "source"}
# The columns that together name one cell of a source's table.
_CELL = ["source", "indicator", "country", "subdivision", "year", "period_kind", "period_number", "sex", "age",
         "age_band", "dimension", "category_code"]


def _totals_or_parts(step: str, src: str, is_total: str, others: list[str]) -> str:
    """A CTE keeping, per group of `others`, the total rows if the group has one, else the part rows."""
    return (f"{step} AS (SELECT * FROM (SELECT *, ({is_total}) AS {step}_total, "
            f"bool_or({is_total}) OVER (PARTITION BY {', '.join(others)}) AS {step}_has FROM {src}) "
            f"WHERE {step}_total = {step}_has)")


def national_sqls(dims: tuple[str, ...], indicator: str, filters: dict[str, Any],
                  prefer: dict[str, str]) -> tuple[str, list[Any]]:
    bad = [d for d in dims if d not in NATIONAL_DIMS]
    if bad:
        raise ValueError(f"aggregate figures cannot be split by {bad}; available: {NATIONAL_DIMS}")
    if "form_group" in dims and "citizenship" in dims:
        raise ValueError("aggregate figures do not cross form of exploitation with citizenship")
    dimension = ("form_of_exploitation" if "form_group" in dims else "citizenship" if "citizenship" in dims
                 else "total")
    where = ["unit = 'count'", "country IS NOT NULL", "area_kind IN ('country', 'subdivision')", "indicator = ?",
             "dimension = ?"]
    params: list[Any] = [indicator, dimension]
    for dim, value in filters.items():
        if dim not in _FILTERS:
            raise ValueError(f"cannot filter aggregate figures by {dim}")
        where.append(f"{_FILTERS[dim]} = ?")
        params.append(value)
    for country, source in prefer.items():
        where.append("(country <> ? OR source = ?)")
        params += [country, source]
    ctes = [f"base AS (SELECT * FROM aggregates WHERE {' AND '.join(where)})",
            f"latest AS ({newest_edition('base', _CELL)})"]
    src = "latest"
    # (step, what marks its total, the dimensions that ask for its parts, the cell columns it spans)
    steps = [("by_sex", "sex = 'total'", ("sex",), ("sex",)),
             ("by_age", "age = 'total'", ("age_group", "age_band"), ("age", "age_band")),
             ("by_area", "subdivision IS NULL", ("subdivision",), ("subdivision",)),
             ("by_period", "period_kind = 'year'", ("period",), ("period_kind", "period_number"))]
    # A cell that is a total in every breakdown not asked for wins over all the parts below it, whichever way they
    # are split: a part split two ways (sex unknown and age unknown, say) has no total of its own in either single
    # step below, and would otherwise be added to the total.
    unasked = [(is_total, spans) for _step, is_total, asked, spans in steps if not any(d in dims for d in asked)]
    if len(unasked) > 1:
        spanned = {c for _t, spans in unasked for c in spans}
        ctes.append(_totals_or_parts("by_totals", src, " AND ".join(f"({t})" for t, _s in unasked),
                                     [c for c in _CELL if c not in spanned]))
        src = "by_totals"
    for step, is_total, asked, spans in steps:
        if any(d in dims for d in asked):
            ctes.append(f"{step} AS (SELECT * FROM {src} WHERE NOT ({is_total}))")
        else:
            ctes.append(_totals_or_parts(step, src, is_total, [c for c in _CELL if c not in spans]))
        src = step
    cols = ", ".join(f"{_SELECT[d]} AS {d}" for d in dims)
    group = ", ".join(["source", *(_SELECT[d] for d in dims)])
    sql = (f"WITH {', '.join(ctes)} SELECT {cols}{', ' if cols else ''}source, sum(value_min) AS victims_min, "
           f"sum(value_max) AS victims_max, bool_or(censored) AS censored, count(*) AS n_figures FROM {src} "
           f"GROUP BY {group} ORDER BY {group}")
    return sql, params


def national(source: Any, dims: tuple[str, ...], indicator: str = "detected_victims",
             filters: dict[str, Any] | None = None, prefer: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Aggregate figures split by `dims` (a subset of NATIONAL_DIMS), one row per source; rates per 100,000 where a
    row is one whole country and one whole year."""
    filters = filters or {}
    sql, params = national_sqls(dims, indicator, filters, prefer or {})
    rows = source.query(sql, params)
    for r in rows:
        r["victims"] = r["victims_min"] if r["victims_min"] == r["victims_max"] else None
        for dim, value in filters.items():
            r.setdefault(dim, str(value) if dim == "year" else value)
    for r in rows:
        r["rate_per_100k"] = r["rate_min"] = r["rate_max"] = r["population_source"] = None
    _add_rates([r for r in rows if not r.get("subdivision") and "period" not in dims])  # national populations only
    return rows


def parse_prefer(text: str | None) -> dict[str, str]:
    """'MEX=SESNSP,PER=INEI' -> {'MEX': 'SESNSP', 'PER': 'INEI'}; ValueError for a part without '='."""
    out: dict[str, str] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        country, sep, source = part.partition("=")
        if not sep or not country.strip() or not source.strip():
            raise ValueError(f"--prefer: {part!r} is not COUNTRY=SOURCE")
        out[country.strip().upper()] = source.strip()
    return out
