"""The public statistics portal: the hemisphere and each member state, from published releases only.

Every figure on these pages is a cell of a published, disclosure-controlled release, read from its package
(`tipnet.disclosure.portal`); a suppressed cell is shown as suppressed, with the reason. Each table can be
downloaded as CSV exactly as shown, next to the release package's own files. Open to everyone, signed in or not.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import Response

from tipnet.auth.policy import PUBLIC
from tipnet.disclosure import portal, rates, repo
from tipnet.i18n import date, translate
from tipnet.standard.countries import OAS_MEMBERS, country_name
from tipnet.stats.labels import dimension_label
from tipnet.store import Database
from tipnet.web.deps import Db, Lang
from tipnet.web.errors import ApiError
from tipnet.web.pages import Page, PageRouter
from tipnet.web.security import access

router = PageRouter()

ReleaseId = Annotated[int | None, Query(ge=1, le=2**63 - 1, description="A published release (default: the newest)")]
HEMISPHERE = "hemisphere"


def public_counterpart(path: str, lang: str) -> dict[str, str] | None:
    """The portal page to offer someone signing in on the way to a restricted statistics page (`/stats`,
    `/routes`, `/countries/PER`): the public, published figures of the same area. None for any other page."""
    parts = path.split("?", 1)[0].strip("/").split("/")
    if parts[0] in ("stats", "routes") and len(parts) == 1:
        return {"url": f"/statistics?lang={lang}", "label": translate(lang, "portal.login_link")}
    if parts[0] == "countries" and len(parts) == 2 and parts[1].upper() in OAS_MEMBERS:
        code = parts[1].upper()
        return {"url": f"/statistics/{code}?lang={lang}",
                "label": translate(lang, "portal.login_link.country", country=country_name(code, lang))}
    return None


def _release(db: Database, release: int | None) -> dict[str, Any] | None:
    return portal.published_release(db, release)


def _area(iso3: str) -> str:
    code = iso3.upper()
    if code not in OAS_MEMBERS:
        raise ApiError(404, "not-found", f"no member state {iso3}")
    return code


def _query(release: int | None, lang: str) -> str:
    return f"?lang={lang}" + (f"&release={release}" if release else "")


def _about(rel: dict[str, Any], lang: str) -> dict[str, Any]:
    spec = rel["spec"]
    publisher = portal.publisher_of(rel)
    return {"id": rel["id"], "title": repo.title_in(rel, lang), "dataset": rel["dataset"], "version": rel["version"],
            "method": rel["method"], "threshold": spec.get("threshold"), "publisher": publisher,
            "publisher_name": translate(lang, "portal.publisher.hub") if publisher == portal.HUB
            else country_name(publisher, lang),
            "published_at": rel["published_at"], "published": date(lang, (rel["published_at"] or "")[:10], "long"),
            "url": f"/releases/{rel['id']}",
            "files": [{"path": f["path"], "bytes": f["bytes"], "url": f"/releases/{rel['id']}/files/{f['path']}"}
                      for f in rel["files"]]}


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _tables(rel: dict[str, Any], views: list[portal.View], area: str, lang: str, release: int | None
            ) -> list[dict[str, Any]]:
    out = []
    for v in views:
        g = rates.add_rates(portal.grid(v, lang), None if area == HEMISPHERE else area)
        dims = " × ".join(_lower_first(dimension_label(d, lang)) for d in v.dims)
        g["title"] = translate(lang, "portal.table.by", dims=dims) if v.dims else translate(lang, "portal.table.total")
        g["csv"] = f"/statistics/{area}/{v.table}.csv" + _query(release, lang)
        out.append(g)
    return out


def _no_release(lang: str) -> Page:
    return Page("statistics.html", {"release": None, "area": None, "tables": [], "countries": [],
                                    "message": translate(lang, "portal.none")})


@router.page("/statistics")
@access(PUBLIC)
def hemisphere(request: Request, db: Db, lang: Lang, release: ReleaseId = None) -> Page:
    rel = _release(db, release)
    if rel is None:
        return _no_release(lang)
    tables = portal.read_tables(rel)
    totals = portal.country_totals(rel, tables)
    rate_year, latest = rates.latest_rates(portal.country_year_counts(rel, tables))
    countries = sorted(({"code": c, "name": country_name(c, lang), "url": f"/statistics/{c}" + _query(release, lang),
                         **cell.to_dict(), "rate": latest.get(c)} for c, cell in totals.items() if c in OAS_MEMBERS),
                       key=lambda r: r["name"].casefold())
    return Page("statistics.html", {
        "release": _about(rel, lang), "area": None, "reason": portal.suppressed_reason(rel, lang),
        "tables": _tables(rel, portal.portal_view(rel, tables, None), HEMISPHERE, lang, release),
        "countries": countries, "countries_max": max((c["value"] or 0 for c in countries), default=0),
        "rates": {"year": rate_year, "per": rates.PER, "source": rates.population_source()} if latest else None,
        "national": [{"code": c, "name": country_name(c, lang), "url": f"/statistics/{c}?lang={lang}&release={i}"}
                     for c, i in sorted(portal.national_releases(db).items())]})


@router.page("/statistics/{iso3}")
@access(PUBLIC)
def country(request: Request, iso3: str, db: Db, lang: Lang, release: ReleaseId = None) -> Page:
    code = _area(iso3)
    rel = _release(db, release)
    if rel is None:
        return _no_release(lang)
    views = portal.portal_view(rel, portal.read_tables(rel), code)
    tables = [t for t in _tables(rel, views, code, lang, release) if any(c for r in t["rows"] for c in r["cells"])]
    national = portal.national_releases(db).get(code)
    return Page("statistics.html", {
        "release": _about(rel, lang), "area": {"code": code, "name": country_name(code, lang)},
        "reason": portal.suppressed_reason(rel, lang), "tables": tables, "countries": [],
        "message": None if tables else translate(lang, "portal.no_figures", country=country_name(code, lang)),
        "national": [{"code": code, "name": country_name(code, lang),
                      "url": f"/statistics/{code}?lang={lang}&release={national}"}]
        if national and national != rel["id"] else [],
        "hemisphere_url": "/statistics" + _query(release if portal.publisher_of(rel) == portal.HUB else None, lang)})


@router.get("/statistics/{area}/{table}.csv")
@access(PUBLIC)
def table_csv(area: str, table: str, db: Db, lang: Lang, release: ReleaseId = None) -> Response:
    code = None if area == HEMISPHERE else _area(area)
    rel = _release(db, release)
    if rel is None:
        raise ApiError(404, "not-found", "no release has been published yet")
    view = next((v for v in portal.portal_view(rel, portal.read_tables(rel), code) if v.table == table), None)
    if view is None:
        raise ApiError(404, "not-found", f"release {rel['id']} has no table {table} for {area}")
    body = portal.grid_csv(rates.add_rates(portal.grid(view, lang), code), lang)
    name = f"tipnet-r{rel['id']}-{(code or HEMISPHERE).lower()}-{table}-{lang}.csv"
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{name}"'})

