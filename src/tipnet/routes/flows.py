"""Route analysis over the victims table of a StatsSource.

A victim's route is [origin, transit..., destination]: origin is the recruitment country (else the first
citizenship), destination the country of exploitation (else the reporting country); consecutive repeats are dropped.
A leg is two consecutive countries of a route. UNODC reports a flow only at >= 5 victims: public views pass
`min_victims=PUBLIC_MIN_VICTIMS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tipnet.stats.source import StatsSource

PUBLIC_MIN_VICTIMS = 5


@dataclass(frozen=True)
class RouteFilter:
    country: str | None = None  # routes touching this country (origin, transit or destination)
    reporting_country: str | None = None
    year_from: int | None = None
    year_to: int | None = None

    def sql(self) -> tuple[str, list[Any]]:
        parts: list[str] = []
        params: list[Any] = []
        if self.reporting_country:
            parts.append("country = ?")
            params.append(self.reporting_country)
        if self.year_from is not None:
            parts.append("year >= ?")
            params.append(self.year_from)
        if self.year_to is not None:
            parts.append("year <= ?")
            params.append(self.year_to)
        if self.country:
            parts.append("list_contains(path, ?)")
            params.append(self.country)
        return (" WHERE " + " AND ".join(parts)) if parts else "", params


# Victims with a route, grouped by everything route queries select or filter on (`n` victims per group): a route
# depends only on (origin, transits, destination), so each group's path is built once (list lambdas are slow per
# row), and the groups are computed once per store version and shared by every route query of that version.
# "Victims per leg / per transit country" count a victim once however often the leg recurs on its path: distinct
# legs per group, then summed.
_ROUTE_GROUPS = """
CREATE TABLE IF NOT EXISTS route_groups AS
WITH g AS (
    SELECT country, year, age_group, forms, origin, transits, destination, count(*) AS n
    FROM victims WHERE origin IS NOT NULL AND destination IS NOT NULL GROUP BY ALL
), raw AS (
    SELECT *, list_filter([origin] || CASE WHEN transits = '' THEN []::VARCHAR[] ELSE string_split(transits, ';') END
                          || [destination], lambda x: x IS NOT NULL) AS p
    FROM g
)
SELECT row_number() OVER (ORDER BY country, year, age_group, forms, origin, transits, destination) AS g,
       country, year, age_group, forms, origin, destination,
       list_filter(p, lambda x, i: i = 1 OR x <> p[i - 1]) AS path, n
FROM raw
"""


def _query(source: StatsSource, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    return source.query(sql, params, ensure=_ROUTE_GROUPS)


_MINOR = "age_group = 'minor'"


def _n(condition: str | None = None) -> str:
    """Victims of the groups aggregated (those meeting `condition`): what `count(*)` was over one row per victim."""
    where = f" FILTER (WHERE {condition})" if condition else ""
    return f"CAST(coalesce(sum(n){where}, 0) AS BIGINT)"


def _routes(f: RouteFilter) -> tuple[str, list[Any]]:
    """The groups of victims with a route (`route_groups`, `n` victims each) that `f` selects."""
    where, params = f.sql()
    return f"SELECT * FROM route_groups{where}", params


def summary(source: StatsSource, f: RouteFilter = RouteFilter()) -> dict[str, Any]:
    routes, params = _routes(f)
    row = _query(
        source, f"SELECT {_n()} AS victims_with_route, {_n('origin = destination')} AS domestic, "
        f"{_n('origin <> destination')} AS transnational, "
        f"{_n('len(path) > 2')} AS with_transit FROM ({routes})", params)[0]
    total = row["victims_with_route"] or 0
    row["domestic_share"] = round(row["domestic"] / total, 4) if total else None
    row["transnational_share"] = round(row["transnational"] / total, 4) if total else None
    return row


def flows(source: StatsSource, f: RouteFilter = RouteFilter(), min_victims: int = 1,
          by_year: bool = False) -> list[dict[str, Any]]:
    """Victims by origin -> destination (domestic included, origin == destination), with children and transits."""
    routes, params = _routes(f)
    year = "year, " if by_year else ""
    sql = (
        f"SELECT {year}origin, destination, {_n()} AS victims, "
        f"{_n(_MINOR)} AS minors, "
        f"{_n('len(path) > 2')} AS via_transit "
        f"FROM ({routes}) GROUP BY ALL HAVING sum(n) >= ? ORDER BY victims DESC, origin, destination"
    )
    return _query(source, sql, [*params, min_victims])


def legs(source: StatsSource, f: RouteFilter = RouteFilter(), min_victims: int = 1) -> list[dict[str, Any]]:
    """Victims per leg (two consecutive countries of a route), domestic stays excluded."""
    routes, params = _routes(f)
    sql = (
        f"SELECT from_country, to_country, {_n()} AS victims FROM (SELECT DISTINCT g, n, path[i] AS from_country, "
        f"path[i + 1] AS to_country FROM (SELECT g, n, path, unnest(range(1, len(path))) AS i FROM ({routes}))) "
        f"GROUP BY ALL HAVING sum(n) >= ? ORDER BY victims DESC, from_country, to_country"
    )
    return _query(source, sql, [*params, min_victims])


def border_crossings(source: StatsSource, f: RouteFilter = RouteFilter(), min_victims: int = 1,
                     neighbours: Callable[[], dict[str, frozenset[str]]] | None = None) -> list[dict[str, Any]]:
    """Legs between land neighbours (neighbours derived from the map geometry's shared borders)."""
    if neighbours is None:
        from tipnet.maps.geometry import neighbours as geometry_neighbours

        neighbours = geometry_neighbours
    adj = neighbours()
    return [leg for leg in legs(source, f, min_victims)
            if leg["to_country"] in adj.get(leg["from_country"], frozenset())]


def country_roles(source: StatsSource, f: RouteFilter = RouteFilter(), min_victims: int = 1
                  ) -> list[dict[str, Any]]:
    """Each country's role as origin, transit and destination of transnational routes, with the evidence."""
    routes, params = _routes(f)
    sql = f"""
        WITH r AS ({routes}),
        o AS (SELECT origin AS c, {_n()} AS n FROM r WHERE origin <> destination GROUP BY 1),
        d AS (SELECT destination AS c, {_n()} AS n FROM r WHERE origin <> destination GROUP BY 1),
        t AS (SELECT c, {_n()} AS n FROM (SELECT DISTINCT g, n, c FROM (SELECT g, n, unnest(path[2:-2]) AS c FROM r))
              GROUP BY 1),
        h AS (SELECT origin AS c, {_n()} AS n FROM r WHERE origin = destination GROUP BY 1),
        cs AS (SELECT c FROM o UNION SELECT c FROM d UNION SELECT c FROM t UNION SELECT c FROM h)
        SELECT cs.c AS country, coalesce(o.n, 0) AS as_origin, coalesce(t.n, 0) AS as_transit,
               coalesce(d.n, 0) AS as_destination, coalesce(h.n, 0) AS domestic
        FROM cs LEFT JOIN o USING (c) LEFT JOIN d USING (c) LEFT JOIN t USING (c) LEFT JOIN h USING (c)
        ORDER BY country
    """
    rows = _query(source, sql, params)
    for r in rows:
        r["roles"] = [role for role, key in (("origin", "as_origin"), ("transit", "as_transit"),
                                             ("destination", "as_destination")) if r[key] >= min_victims]
    return rows


CORRIDOR_WEIGHTS = (0.5, 0.2, 0.3)  # volume, growth, share of children


def corridors(source: StatsSource, f: RouteFilter = RouteFilter(), min_victims: int = 1,
              weights: tuple[float, float, float] = CORRIDOR_WEIGHTS) -> list[dict[str, Any]]:
    """Transnational corridors ranked for prevention priority.

    score = w_volume * volume / max volume + w_growth * clamp(growth, 0, 1) + w_children * share of children,
    where growth = (victims in the last two years - the two years before) / max(the two years before, 1), measured
    against the latest year with data in the filtered routes (`last_year` on every row).
    """
    routes, params = _routes(f)
    sql = f"""
        WITH r AS ({routes}), last AS (SELECT max(year) AS y FROM r)
        SELECT origin, destination, {_n()} AS victims, (SELECT y FROM last) AS last_year,
               {_n(_MINOR)} AS minors,
               {_n("year > (SELECT y FROM last) - 2")} AS recent,
               {_n("year <= (SELECT y FROM last) - 2 AND year > (SELECT y FROM last) - 4")} AS before,
               list_sort(list_distinct(flatten(list(string_split(forms, ';'))))) AS forms
        FROM r WHERE origin <> destination GROUP BY origin, destination HAVING sum(n) >= ?
    """
    rows = _query(source, sql, [*params, min_victims])
    top = max((r["victims"] for r in rows), default=0)
    wv, wg, wc = weights
    for r in rows:
        r["child_share"] = round(r["minors"] / r["victims"], 4)
        r["growth"] = round((r["recent"] - r["before"]) / max(r["before"], 1), 4)
        r["forms"] = [x for x in r["forms"] if x]
        r["score"] = round(wv * r["victims"] / top + wg * min(max(r["growth"], 0.0), 1.0)
                           + wc * r["child_share"], 4) if top else 0.0
    rows.sort(key=lambda r: (-r["score"], -r["victims"], r["origin"], r["destination"]))
    for i, r in enumerate(rows, 1):
        r["rank"] = i
    return rows


def glotip_flows(source: StatsSource, destination: str | None = None, year: int | None = None,
                 min_victims: int = 1) -> list[dict[str, Any]]:
    """Origin -> detecting-country flows from GLOTIP 'by citizenship' figures (intervals where censored).

    A censored figure (`<5`) has at most 4 victims, so with min_victims >= 5 it is never shown."""
    where = ["indicator = 'detected_victims'", "dimension = 'citizenship'",  # newest GLOTIP edition per cell
             "sex = 'total'", "age = 'total'", "category_code IS NOT NULL", "category_kind IN ('country', 'own')"]
    params: list[Any] = []
    if destination:
        where.append("country = ?")
        params.append(destination)
    if year is not None:
        where.append("year = ?")
        params.append(year)
    sql = (f"SELECT year, category_code AS origin, country AS destination, category AS origin_as_written, "
           f"value AS victims, value_min AS victims_min, value_max AS victims_max, censored "
           f"FROM glotip_figures WHERE {' AND '.join(where)} AND value_min >= ? "
           f"ORDER BY year, victims_max DESC, origin")
    return source.query(sql, [*params, min_victims])


def paths(source: StatsSource, f: RouteFilter = RouteFilter(), min_victims: int = 1) -> list[dict[str, Any]]:
    """Victims per full route (origin, transits..., destination), e.g. for drawing arcs through transit countries."""
    routes, params = _routes(f)
    sql = (f"SELECT path, {_n()} AS victims FROM ({routes}) GROUP BY path HAVING sum(n) >= ? "
           f"ORDER BY victims DESC, array_to_string(path, '>')")
    return _query(source, sql, [*params, min_victims])
