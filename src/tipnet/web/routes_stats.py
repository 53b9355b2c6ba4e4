"""Hemisphere overview, country profiles and routes, each with its JSON twin; the web layer only assembles what
`tipnet.stats` and `tipnet.routes` compute. Microdata figures come from the caller's scoped source: a country's
users see their country's records, the hub what countries shared; GLOTIP figures are public."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from tipnet import routes as rt
from tipnet.auth.policy import needs
from tipnet.auth.roles import Permission
from tipnet.i18n import number, translate
from tipnet.ingest.subdivisions import subdivision_name
from tipnet.maps import map_spec
from tipnet.maps.words import say
from tipnet.standard.countries import OAS_MEMBERS, country_name
from tipnet.stats import CubeSpec, StatsSource
from tipnet.stats.cube import ALL
from tipnet.stats.explorer import EXPLORER_DIMS, breakdown, rate_digits
from tipnet.stats.figures import glotip, perpetrators, victims
from tipnet.stats.key_figures import key_figures
from tipnet.stats.national import national, parse_prefer
from tipnet.web import explore
from tipnet.web.accept import wants_json
from tipnet.web.deps import Lang, Me, Sources
from tipnet.web.errors import ApiError
from tipnet.web.pages import Page, PageRouter, answer
from tipnet.web.security import access

router = PageRouter()
STATS = needs(Permission.STATS_READ)
OVERVIEW_DIMS = EXPLORER_DIMS
COUNTRY_DIMS = tuple(d for d in EXPLORER_DIMS if d != "country")


def _int(value: str | None) -> int | None:
    if value in (None, ""):
        return None
    if not value.lstrip("-").isdigit():
        raise ApiError(422, "invalid-request", f"{value!r} is not a year")
    return int(value)


def _json_body(src: StatsSource, key: tuple[Any, ...], compute: Callable[[], dict[str, Any]]) -> bytes:
    return src.memo((*key, "json"), lambda: bytes(JSONResponse(src.memo(key, compute)).body))


def _answer_now(request: Request, src: StatsSource, key: tuple[Any, ...], template: str,
                compute: Callable[[], dict[str, Any]]) -> Response:
    if wants_json(request):
        return Response(_json_body(src, key, compute), media_type="application/json")
    return answer(request, Page(template, src.memo(key, compute)))


async def _answer(request: Request, src: StatsSource, key: tuple[Any, ...], template: str,
                  compute: Callable[[], dict[str, Any]]) -> Response:
    """The page or its JSON twin from figures computed once per store version; the JSON body too is kept, so a
    dashboard polled by many clients costs a look-up per request, answered on the event loop. Anything that needs
    the store or a computation runs in the thread pool (the HTML page is rendered there too). Right after an
    import the previous answer is given while one thread computes the new one (`tipnet.stats.stale`)."""
    if wants_json(request):
        jkey = (*key, "json")
        if (body := src.peek(jkey)) is not None:
            return Response(body, media_type="application/json")
        if (body := src.peek_stale(jkey)) is not None:
            src.refresh_later(jkey, lambda: _json_body(src, key, compute))
            return Response(body, media_type="application/json")
    elif src.peek(key) is None and (data := src.peek_stale(key)) is not None:
        src.refresh_later(key, lambda: src.memo(key, compute))
        return await run_in_threadpool(answer, request, Page(template, data))
    return await run_in_threadpool(_answer_now, request, src, key, template, compute)


def _flows(src: StatsSource, f: rt.RouteFilter) -> list[dict[str, Any]]:
    return [{"origin": p["path"][0], "destination": p["path"][-1], "victims": p["victims"], "via": p["path"][1:-1]}
            for p in rt.paths(src, f, 1)]


@router.page("/stats")
@access(STATS)
async def overview(request: Request, me: Me, lang: Lang, sources: Sources) -> Response:
    src = sources.for_principal(me)
    scope = me.country or "hub"
    ask = explore.ask(request, lang, OVERVIEW_DIMS, ("country",))
    return await _answer(request, src, ("overview", scope, lang, *ask.key()), "overview.html",
                         lambda: _overview(src, scope, lang, ask))


def _overview(src: StatsSource, scope: str, lang: str, ask: explore.Ask) -> dict[str, Any]:
    by_country = [r for r in victims(src, CubeSpec(("country",))) if r["country"] != ALL]
    latest = glotip(src, ("country", "year"))
    latest_year: dict[str, dict[str, Any]] = {}
    for r in latest:
        if r["country"] in OAS_MEMBERS and (r["country"] not in latest_year
                                             or int(r["year"]) > int(latest_year[r["country"]]["year"])):
            latest_year[r["country"]] = {**r, "name": country_name(r["country"], lang)}
    rates = {c: r["rate_per_100k"] for c, r in latest_year.items() if r["rate_per_100k"] is not None}
    return {
        "scope": scope,
        "countries": [{"country": c, "name": country_name(c, lang)} for c in OAS_MEMBERS],
        "explorer": explore.explorer(src, ask, {}, lang, "/stats"),
        "microdata_by_country": by_country,
        "glotip_latest": sorted(latest_year.values(), key=lambda r: r["name"].casefold()),
        "glotip_rate_digits": rate_digits(list(rates.values())),
        "route_summary": rt.summary(src),
        "map": map_spec("choropleth", values=rates, region="americas", title="UNODC GLOTIP",
                        legend=say(lang, "per_100k"), lang=lang),
    }


def _iso3(iso3: str) -> str:
    code = iso3.upper()
    if len(code) != 3 or not code.isalpha():
        raise ApiError(404, "not-found", f"no country {code}")
    return code


@router.page("/countries/{iso3}")
@access(STATS)
async def country_profile(request: Request, iso3: str, me: Me, lang: Lang, sources: Sources) -> Response:
    code = _iso3(iso3)
    src = sources.for_principal(me)
    ask = explore.ask(request, lang, COUNTRY_DIMS, ("sex", "age_group", "form_group"))
    return await _answer(request, src, ("country", code, lang, *ask.key()), "country.html",
                         lambda: _country(src, code, lang, ask))


def _country(src: StatsSource, code: str, lang: str, ask: explore.Ask) -> dict[str, Any]:
    f: dict[str, str | int] = {"country": code}
    by_year = victims(src, CubeSpec(("year",), filters=f))
    rf = rt.RouteFilter(country=code)
    ex = explore.explorer(src, ask, f, lang, f"/countries/{code}")
    span = tuple(ex["span"]) if ex["span"] else None
    glotip_rows = glotip(src, ("year",), filters=f)
    data = {
        "country": code,
        "name": country_name(code, lang),
        "key_figures": key_figures(src, code, lang),
        "explorer": ex,
        "victims_by_year": [r for r in by_year if r["year"] != ALL],
        "victims_total": next((r["victims"] for r in by_year if r["year"] == ALL), 0) or 0,
        **{f"by_{d}": [{d: r["code"], "victims": r["victims"]} for r in breakdown(src, d, span, f)]  # type: ignore[arg-type]
           for d in ("sex", "age_group", "form_group")},
        "perpetrators": [r for r in perpetrators(src, ("country", "year")) if r["country"] == code],
        "glotip_by_year": glotip_rows,
        "glotip_rate_digits": rate_digits([r["rate_per_100k"] for r in glotip_rows if r["rate_per_100k"]]),
        "national": _national(src, code),
        "roles": [r for r in rt.country_roles(src, rf, rt.PUBLIC_MIN_VICTIMS) if r["country"] == code],
        "flows": rt.flows(src, rf, rt.PUBLIC_MIN_VICTIMS),
    }
    data["map"] = map_spec("flows", flows=_flows(src, rf), region=code, title=country_name(code, lang), lang=lang)
    return data


@router.get("/stats/table.{fmt}")
@access(STATS)
async def overview_table(request: Request, fmt: str, me: Me, lang: Lang, sources: Sources) -> Response:
    """The explorer table of `/stats` with the same query, as CSV or XLSX: the rows, labels and numbers shown."""
    src = sources.for_principal(me)
    scope = me.country or "hub"
    ask = explore.ask(request, lang, OVERVIEW_DIMS, ("country",))
    return await run_in_threadpool(
        explore.download, request, src, ("overview", scope, lang, *ask.key()), lambda: _overview(src, scope, lang, ask),
        fmt, ask, f"tipnet-{scope.lower()}")


@router.get("/countries/{iso3}/table.{fmt}")
@access(STATS)
async def country_table(request: Request, iso3: str, fmt: str, me: Me, lang: Lang, sources: Sources) -> Response:
    """A breakdown table of a country page with the same query, as CSV or XLSX (`table=` names the breakdown)."""
    code = _iso3(iso3)
    src = sources.for_principal(me)
    ask = explore.ask(request, lang, COUNTRY_DIMS, ("sex", "age_group", "form_group"))
    return await run_in_threadpool(
        explore.download, request, src, ("country", code, lang, *ask.key()), lambda: _country(src, code, lang, ask),
        fmt, ask, f"tipnet-{code.lower()}")


def _figure(r: dict[str, Any]) -> str:
    return str(r["victims"]) if r["victims"] is not None else f"{r['victims_min']}–{r['victims_max']}"


def _national(src: StatsSource, code: str) -> dict[str, Any]:
    """The country's national statistics (every source but GLOTIP) side by side: a column per source, never added;
    and each source's newest year by first-level subdivision."""
    rows = [r for r in national(src, ("year",), filters={"country": code}) if r["source"] != "GLOTIP"]
    sources = sorted({r["source"] for r in rows})
    cells = {(r["year"], r["source"]): _figure(r) for r in rows}
    years = sorted({r["year"] for r in rows}, reverse=True)
    by_year = [{"year": y, "values": [cells.get((y, s), "") for s in sources]} for y in years]
    areas = []
    for s in sources:
        subs = [r for r in national(src, ("subdivision", "year"), filters={"country": code, "source": s})
                if r["subdivision"]]
        if subs:
            newest = max(r["year"] for r in subs)
            areas.append({"source": s, "year": newest, "rows": sorted(
                ({"code": r["subdivision"], "name": subdivision_name(r["subdivision"]), "victims": _figure(r)}
                 for r in subs if r["year"] == newest), key=lambda a: a["name"])})
    return {"sources": sources, "by_year": by_year, "by_subdivision": areas}


@router.page("/routes")
@access(STATS)
async def routes_page(request: Request, me: Me, lang: Lang, sources: Sources) -> Response:
    q = request.query_params
    country = (q.get("country") or "").upper() or None
    f = rt.RouteFilter(country=country, year_from=_int(q.get("from")), year_to=_int(q.get("to")))
    src = sources.for_principal(me)
    return await _answer(request, src, ("routes", f, lang), "routes.html", lambda: _routes(src, f, lang))


def _routes(src: StatsSource, f: rt.RouteFilter, lang: str = "en") -> dict[str, Any]:
    country = f.country
    flows = rt.flows(src, f, rt.PUBLIC_MIN_VICTIMS)
    crossings = rt.border_crossings(src, f, rt.PUBLIC_MIN_VICTIMS)
    corridors = rt.corridors(src, f, rt.PUBLIC_MIN_VICTIMS)[:20]
    data: dict[str, Any] = {
        "filter": {"country": country, "from": f.year_from, "to": f.year_to},
        "summary": rt.summary(src, f),
        "flows": [x for x in flows if x["origin"] != x["destination"]],
        "domestic": [x for x in flows if x["origin"] == x["destination"]],
        "border_crossings": crossings,
        "corridors": corridors,
        "min_victims": rt.PUBLIC_MIN_VICTIMS,
    }
    data["corridor_terms"] = _corridor_terms(corridors, lang)
    codes = {c for r in (*flows, *corridors) for c in (r["origin"], r["destination"])}
    codes |= {c for r in crossings for c in (r["from_country"], r["to_country"])}
    data["names"] = {c: country_name(c, lang) for c in sorted(codes | ({country} if country else set()))}
    region = country or "americas"
    data["map"] = map_spec("flows", flows=_flows(src, f), region=region, lang=lang)
    all_crossings = {(c["from_country"], c["to_country"]): int(c["victims"]) for c in rt.border_crossings(src, f, 1)}
    data["border_map"] = map_spec("borders", crossings=all_crossings, region=region, lang=lang)
    return data


def _corridor_terms(corridors: list[dict[str, Any]], lang: str) -> dict[str, Any] | None:
    """What "Growth" and "Score" mean on the corridors table, with the years growth compares."""
    if not corridors:
        return None
    last = int(corridors[0]["last_year"])
    wv, wg, wc = rt.CORRIDOR_WEIGHTS
    return {"recent": [last - 1, last], "before": [last - 3, last - 2],
            "growth": translate(lang, "routes.growth.help", recent=f"{last - 1}–{last}",
                                before=f"{last - 3}–{last - 2}"),
            "score": translate(lang, "routes.score.help", wv=number(lang, wv, 1), wg=number(lang, wg, 1),
                               wc=number(lang, wc, 1))}


@router.get("/api/stats")
@access(STATS)
async def stats_api(request: Request, me: Me, sources: Sources) -> Response:
    """Figures as JSON or CSV: ?by=country,year&source=microdata|glotip|national&country=PER&year=2020&format=csv;
    national figures keep each source on its own rows unless `prefer=MEX=SESNSP,...` names one per country."""
    q = request.query_params
    dims = tuple(d for d in (q.get("by") or "country,year").split(",") if d)
    filters: dict[str, Any] = {}
    if q.get("country"):
        filters["country"] = q["country"].upper()
    if q.get("year"):
        filters["year"] = _int(q["year"])
    src, indicator, kind = sources.for_principal(me), q.get("indicator", "detected_victims"), q.get("source")
    if kind not in (None, "", "microdata", "glotip", "national"):
        raise ApiError(422, "invalid-request", f"unknown source {kind!r}: microdata, glotip or national",
                       {"field": "source", "value": kind})
    try:
        prefer = parse_prefer(q.get("prefer")) if kind == "national" else {}
    except ValueError as exc:
        raise ApiError(422, "invalid-request", str(exc), {"field": "prefer", "value": q.get("prefer")}) from exc
    key = ("api", dims, tuple(sorted(filters.items())), indicator, kind or "microdata", tuple(sorted(prefer.items())))
    if q.get("format") != "csv":
        jkey = (*key, "json")
        if (body := src.peek(jkey)) is not None:
            return Response(body, media_type="application/json")
        if (body := src.peek_stale(jkey)) is not None:
            src.refresh_later(jkey, lambda: _stats_json(src, key, dims, filters, indicator, kind, prefer))
            return Response(body, media_type="application/json")
    return await run_in_threadpool(_stats_now, request, src, key, dims, filters, indicator, kind, prefer)


def _figures(src: StatsSource, dims: tuple[str, ...], filters: dict[str, Any], indicator: str, kind: str | None,
             prefer: dict[str, str]) -> list[dict[str, Any]]:
    if kind == "glotip":
        return glotip(src, dims, indicator, filters)
    if kind == "national":
        return national(src, dims, indicator, filters, prefer)
    return victims(src, CubeSpec(dims, filters=filters))


def _stats_now(request: Request, src: StatsSource, key: tuple[Any, ...], dims: tuple[str, ...],
               filters: dict[str, Any], indicator: str, kind: str | None, prefer: dict[str, str]) -> Response:
    q = request.query_params
    try:
        rows = src.memo(key, lambda: _figures(src, dims, filters, indicator, kind, prefer))
    except ValueError as exc:
        raise ApiError(422, "invalid-request", str(exc)) from exc
    if q.get("format") == "csv":
        import csv
        import io

        from tipnet.standard.cells import neutralise_dict

        buf = io.StringIO()
        if rows:
            w = csv.DictWriter(buf, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(neutralise_dict(r) for r in rows)
        return PlainTextResponse(buf.getvalue(), media_type="text/csv; charset=utf-8")
    return Response(_stats_json(src, key, dims, filters, indicator, kind, prefer), media_type="application/json")


def _stats_json(src: StatsSource, key: tuple[Any, ...], dims: tuple[str, ...], filters: dict[str, Any],
                indicator: str, kind: str | None, prefer: dict[str, str]) -> bytes:
    rows = src.memo(key, lambda: _figures(src, dims, filters, indicator, kind, prefer))
    return src.memo((*key, "json"), lambda: bytes(JSONResponse({"dimensions": list(dims), "filters": filters,
                                                                 "rows": rows}).body))
