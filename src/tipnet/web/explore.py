"""The statistics explorer on the signed-in pages (`/stats`, `/countries/{iso3}`): what the query string asks for,
the explorer's part of a page (choices, tables and their download links) and the downloads themselves.

Everything is a GET parameter, so a URL is the table: `?year=2021` or `?year=last` or `?from=2018&to=2021`, and
`by=sex&by=age_group` (one table per breakdown); a download link carries the same query plus `table=`. The figures
and their layout come from `tipnet.stats.explorer`; the download is the page's own memoised table, written by
`tipnet.stats.sheet`, so it cannot differ from what is on screen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response

from tipnet.errors import Invalid
from tipnet.i18n import translate
from tipnet.stats import StatsSource, sheet
from tipnet.stats import explorer as ex
from tipnet.stats.labels import dimension_label
from tipnet.web.errors import ApiError

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass(frozen=True)
class Ask:
    """A parsed explorer query: the period, the breakdowns (in order) and those a page may offer."""

    period: ex.Period
    dims: tuple[str, ...]
    allowed: tuple[str, ...]
    table: str | None = None

    def key(self) -> tuple[Any, ...]:
        """The part of a memo key that decides the page's figures (not `table`: one page, several downloads)."""
        return (self.period.key(), self.dims)

    def query(self, lang: str, **extra: str) -> str:
        """The canonical query string of this ask (the same table for the same query, whatever its spelling)."""
        p = self.period
        pairs: list[tuple[str, Any]] = []
        if p.newest:
            pairs.append(("year", ex.NEWEST))
        elif p.first is not None and p.first == p.last:
            pairs.append(("year", p.first))
        else:
            pairs += [(k, v) for k, v in (("from", p.first), ("to", p.last)) if v is not None]
        pairs += [("by", d) for d in self.dims] + [("lang", lang)] + list(extra.items())
        return urlencode(pairs)


def ask(request: Request, lang: str, allowed: tuple[str, ...], default: tuple[str, ...]) -> Ask:
    """The explorer query of a request; an unknown or malformed parameter is refused (422, in the page language)."""
    q = request.query_params
    period = ex.parse_period(q.get("year"), q.get("from"), q.get("to"), lang)
    dims = ex.parse_dims(q.getlist("by"), default, lang, allowed)
    table = q.get("table") or None
    if table is not None and table not in dims:
        raise Invalid(translate(lang, "explorer.error.table", value=table[:30]),
                      {"field": "table", "value": table[:30]})
    return Ask(period, dims, allowed, table)


def explorer(src: StatsSource, a: Ask, filters: dict[str, str | int], lang: str, path: str) -> dict[str, Any]:
    """The explorer's part of a page: the period asked and resolved, the years on offer, the breakdown choices and
    one table per breakdown with its CSV and XLSX links."""
    years = ex.years_with_data(src, filters)
    span = ex.resolve(a.period, years)
    tables = []
    for dim in a.dims:
        t = ex.table(ex.breakdown(src, dim, span, filters), dim, span, lang)
        t["csv"] = f"{path}/table.csv?{a.query(lang, table=dim)}"
        t["xlsx"] = f"{path}/table.xlsx?{a.query(lang, table=dim)}"
        tables.append(t)
    p = a.period
    return {
        "asked": {"year": ex.NEWEST if p.newest else (p.first if p.first is not None and p.first == p.last else None),
                  "from": p.first if not p.newest and p.first != p.last else None,
                  "to": p.last if not p.newest and p.first != p.last else None},
        "span": list(span) if span else None, "period": ex.period_label(span, lang),
        "years": years, "newest": years[-1] if years else None, "by": list(a.dims),
        "choices": [{"code": d, "label": dimension_label(d, lang), "on": d in a.dims} for d in a.allowed],
        "url": f"{path}?{a.query(lang)}", "tables": tables,
    }


def download(request: Request, src: StatsSource, key: tuple[Any, ...], compute: Callable[[], dict[str, Any]],
             fmt: str, a: Ask, stem: str) -> Response:
    """One explorer table of a page, from the page's own memoised data, as CSV or XLSX."""
    if fmt not in FORMATS:
        raise ApiError(404, "not-found", f"no {fmt} download: csv or xlsx")
    data = src.memo(key, compute)
    dim = a.table or a.dims[0]
    t = next(t for t in data["explorer"]["tables"] if t["dim"] == dim)
    header, rows, digits = ex.table_sheet(t)
    span = t["span"]
    period = "all" if not span else str(span[0]) if span[0] == span[1] else f"{span[0]}-{span[1]}"
    lang = request.query_params.get("lang") or ""
    name = f"{stem}-{dim}-{period}{'-' + lang if lang.isalpha() and len(lang) == 2 else ''}.{fmt}"
    body: str | bytes = sheet.to_csv(header, rows) if fmt == "csv" else sheet.to_xlsx(header, rows, t["title"], digits)
    return Response(body, media_type=FORMATS[fmt], headers={"content-disposition": f'attachment; filename="{name}"'})
