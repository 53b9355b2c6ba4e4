"""Figures for people: victims by any dimensions (microdata) and GLOTIP aggregate figures, with rates per 100,000.

Every figure carries its provenance (`source`) and, for aggregate returns, an interval (`<5` is 1..4).
"""

from __future__ import annotations

from typing import Any

from tipnet.stats.cube import ALL, CubeSpec, cube_sqls
from tipnet.stats.population import load_population
from tipnet.stats.source import StatsSource

# GLOTIP dimension used for each of our dimensions (GLOTIP never crosses form with citizenship).
_GLOTIP_DIMENSION = {"form_group": "form_of_exploitation", "citizenship": "citizenship"}
GLOTIP_DIMS = ("country", "year", "sex", "age_group", "form_group", "citizenship")


def victims(source: StatsSource, spec: CubeSpec) -> list[dict[str, Any]]:
    """Victim counts from case microdata for every grouping set of `spec`, with rates where country and year are
    known."""
    rows: list[dict[str, Any]] = []
    for sql, params in cube_sqls(spec):
        rows.extend(source.query(sql, params))
    order = list(spec.dims)
    _check_keys(rows, order)
    for r in rows:
        r["victims_min"] = r["victims_max"] = r["victims"]
        r["censored"] = False
        r["source"] = "microdata"
        for dim, value in spec.filters.items():
            if dim not in order:  # a filtered dimension that is also requested already holds its value
                r[dim] = str(value)
    _add_rates(rows)
    rows.sort(key=lambda r: tuple((r[d] == ALL, str(r[d])) for d in order))
    return rows


def _check_keys(rows: list[dict[str, Any]], dims: list[str]) -> None:
    """One row per key, always: a repeated key would make every sum over the answer count victims twice."""
    seen: set[tuple[Any, ...]] = set()
    for r in rows:
        key = tuple(r[d] for d in dims)
        if key in seen:
            raise RuntimeError(f"statistics: the key {dict(zip(dims, key, strict=True))} appears twice")
        seen.add(key)


def glotip(source: StatsSource, dims: tuple[str, ...], indicator: str = "detected_victims",
           filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """GLOTIP figures split by `dims` (a subset of GLOTIP_DIMS), picking the one GLOTIP dimension that holds them."""
    bad = [d for d in dims if d not in GLOTIP_DIMS]
    if bad:
        raise ValueError(f"GLOTIP figures cannot be split by {bad}; available: {GLOTIP_DIMS}")
    special = [d for d in dims if d in _GLOTIP_DIMENSION]
    if len(special) > 1:
        raise ValueError("GLOTIP does not cross form of exploitation with citizenship")
    dimension = _GLOTIP_DIMENSION[special[0]] if special else "total"
    where = ["indicator = ?", "dimension = ?"]  # glotip_figures: GLOTIP only, countries, newest edition per cell
    params: list[Any] = [indicator, dimension]
    where.append("sex " + ("<> 'total'" if "sex" in dims else "= 'total'"))
    where.append("age " + ("<> 'total'" if "age_group" in dims else "= 'total'"))
    if dimension == "citizenship":
        where.append("category_code IS NOT NULL")
    for dim, value in (filters or {}).items():
        col = {"country": "country", "year": "year", "sex": "sex", "age_group": "age"}.get(dim)
        if col is None:
            raise ValueError(f"cannot filter GLOTIP figures by {dim}")
        where.append(f"{col} = ?")
        params.append(value)
    select = {"country": "country", "year": "CAST(year AS VARCHAR)", "sex": "sex", "age_group": "age",
              "form_group": "category_code", "citizenship": "category_code"}
    cols = ", ".join(f"{select[d]} AS {d}" for d in dims)
    group = ", ".join(select[d] for d in dims)
    sql = (f"SELECT {cols}{',' if cols else ''} sum(value_min) AS victims_min, sum(value_max) AS victims_max, "
           f"bool_or(censored) AS censored, count(*) AS n_figures FROM glotip_figures WHERE {' AND '.join(where)}"
           f"{' GROUP BY ' + group if group else ''} ORDER BY {group or 1}")
    rows = source.query(sql, params)
    _check_keys(rows, list(dims))
    for r in rows:
        r["victims"] = r["victims_min"] if r["victims_min"] == r["victims_max"] else None
        r["source"] = "glotip"
        for dim, value in (filters or {}).items():
            r.setdefault(dim, str(value) if dim == "year" else value)
    _add_rates(rows)
    return rows


def _add_rates(rows: list[dict[str, Any]]) -> None:
    """Rates per 100,000 (SDG 16.2.2) where a row names one country and one year; intervals stay intervals."""
    pop = load_population()
    lookup = pop.lookup
    for r in rows:
        country, year = r.get("country"), r.get("year")
        r["rate_per_100k"] = r["rate_min"] = r["rate_max"] = None
        r["population_source"] = None
        if not country or not year or ALL in (country, str(year)):
            continue
        sex = r.get("sex") if r.get("sex") not in (None, ALL) else "total"
        age = r.get("age_group") if r.get("age_group") not in (None, ALL) else "total"
        p = lookup.get((country, str(year), str(sex), str(age)))
        if not p:
            continue
        r["population_source"] = pop.source
        r["rate_min"] = round(r["victims_min"] / p * 1e5, 4)
        r["rate_max"] = round(r["victims_max"] / p * 1e5, 4)
        r["rate_per_100k"] = r["rate_min"] if r["rate_min"] == r["rate_max"] else None


def perpetrators(source: StatsSource, dims: tuple[str, ...] = ("country", "year")) -> list[dict[str, Any]]:
    """Persons prosecuted (prosecuted, convicted or acquitted) and convicted, from case microdata."""
    allowed = {"country", "year", "sex"}
    if not set(dims) <= allowed:
        raise ValueError(f"perpetrator figures can be split by {sorted(allowed)}")
    cols = ", ".join(f"CAST({d} AS VARCHAR) AS {d}" for d in dims)
    sql = (f"SELECT {cols}{',' if cols else ''} "
           "count(*) FILTER (WHERE legal_status IN ('prosecuted', 'convicted', 'acquitted')) AS prosecuted, "
           "count(*) FILTER (WHERE legal_status = 'convicted') AS convicted, count(*) AS perpetrators "
           f"FROM perpetrators{' GROUP BY ALL ORDER BY ALL' if dims else ''}")
    return source.query(sql)
