"""Vulnerable areas: a country's victims by first-level subdivision (where recruited or exploited), as a map drawn on
the server (SVG, no script) and a table. Only subdivisions with at least 5 victims carry a number, in the page, its
JSON twin and the map file alike."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from tipnet.auth.policy import needs
from tipnet.auth.roles import Permission
from tipnet.maps.area_figures import ALL, EVENTS, THRESHOLD, AreaCell, microdata_cells, publishable
from tipnet.maps.subdivision_map import alpha2, subdivision_choropleth
from tipnet.maps.subdivisions import by_code, subdivisions
from tipnet.maps.words import say
from tipnet.standard.countries import OAS_MEMBERS, country_name
from tipnet.stats import StatsSource
from tipnet.web.deps import Lang, Me, Sources
from tipnet.web.errors import ApiError
from tipnet.web.pages import Page, PageRouter
from tipnet.web.security import access

router = PageRouter()
STATS = needs(Permission.STATS_READ)


def _args(iso3: str, event: str) -> str:
    code = iso3.upper()
    if code not in OAS_MEMBERS:
        raise ApiError(404, "not-found", f"no member state {code}")
    if event not in EVENTS:
        raise ApiError(422, "invalid-parameter", f"event must be one of {', '.join(EVENTS)}",
                       details={"field": "event"})
    return code


def _counts(src: StatsSource, code: str, event: str) -> dict[str, int]:
    """Restricted counts per subdivision (memoised per source and store version)."""
    rows = src.rows.persons if src.rows is not None else None
    return src.memo(("areas", code, event),
                    lambda: {c.subdivision: c.victims for c in microdata_cells(src.db, code, event, rows=rows)})


def _page(counts: dict[str, int], code: str, event: str, lang: str) -> dict[str, Any]:
    shown = publishable_counts(counts)
    subs = by_code()
    return {
        "country": code, "name": country_name(code, lang), "event": event, "threshold": THRESHOLD,
        "title": say(lang, f"title.subdivision_{event}"),
        "rows": [{"code": k, "name": subs[k].name(lang) if k in subs else k, "victims": v}
                 for k, v in sorted(shown.items(), key=lambda kv: (-kv[1], kv[0]))],
        "under_threshold": sum(1 for v in counts.values() if 0 < v < THRESHOLD),
        "subdivisions": len(subdivisions(alpha2(code))),
        "map_url": f"/areas/{code}/map.svg?event={event}&lang={lang}",
    }


def publishable_counts(counts: dict[str, int]) -> dict[str, int]:
    return {c.subdivision: c.victims for c in publishable(AreaCell(k, ALL, v) for k, v in counts.items())}


async def _restricted(iso3: str, event: str, me: Any, sources: Any) -> tuple[str, StatsSource, dict[str, int]]:
    """The checked country code, the caller's scoped statistics source and its counts per subdivision."""
    code = _args(iso3, event)
    src = sources.for_principal(me)
    return code, src, await run_in_threadpool(_counts, src, code, event)


@router.page("/areas/{iso3}")
@access(STATS)
async def areas_page(request: Request, iso3: str, me: Me, lang: Lang, sources: Sources,
                     event: str = "recruitment") -> Page:
    code, src, counts = await _restricted(iso3, event, me, sources)
    return Page("areas.html", _page(counts, code, event, lang))


def _svg(counts: dict[str, int], code: str, event: str, lang: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        out = subdivision_choropleth(counts, Path(tmp) / "map.svg", title=say(lang, f"title.subdivision_{event}"),
                                     legend=say(lang, "detected_victims"), country=code, lang=lang)
        return out.read_bytes()


@router.get("/areas/{iso3}/map.svg")
@access(STATS)
async def areas_map(request: Request, iso3: str, me: Me, lang: Lang, sources: Sources,
                    event: str = "recruitment") -> Response:
    code, src, counts = await _restricted(iso3, event, me, sources)
    body = await run_in_threadpool(lambda: src.memo(("areas-svg", code, event, lang),
                                                    lambda: _svg(counts, code, event, lang)))
    return Response(body, media_type="image/svg+xml", headers={"Cache-Control": "private, no-store"})
