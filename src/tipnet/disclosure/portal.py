"""The public statistics portal: figures of published releases only, read back from their packages.

Nothing here reads the store's case data or recomputes a figure. A release's tables are read from its package's
CSV files after their SHA-256 is checked against the hashes recorded at creation; a suppressed cell stays
suppressed (no number, the reason instead). The hemisphere view takes the rows where `country` is the margin
(`_all`), a country's view the rows of that country (or the tables filtered on it).

`portal_view(...)` returns language-free views (codes, integers); `labelled(...)` puts the reader's words on them
and `grid(...)` lays a view out as the rows and columns shown on screen, which is also the CSV download.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tipnet.disclosure import repo
from tipnet.disclosure.cells import FORM_DIMS
from tipnet.disclosure.package import list_files
from tipnet.errors import NotVisible, TipnetError
from tipnet.i18n import translate
from tipnet.stats import sheet
from tipnet.stats.cube import ALL
from tipnet.stats.labels import dimension_label, sort_key, value_label
from tipnet.store import Database

HUB = "hub"
TABLE_METHODS = ("threshold", "dp")  # a k-anonymous extract has no tables to show


class PackageIntegrityError(TipnetError):
    """A published release's file no longer matches the hash recorded when it was created."""

    status = 500
    code = "integrity-error"


@dataclass
class Cell:
    value: int | None  # None: suppressed
    status: str  # published | confidential | noisy
    lower: int | None = None
    upper: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "status": self.status, "lower": self.lower, "upper": self.upper}


@dataclass
class View:
    """One published table as seen for an area: its dimensions (without the area's) and cells by value tuple."""

    table: str
    dims: tuple[str, ...]
    cells: dict[tuple[str, ...], Cell] = field(default_factory=dict)

    def values(self, dim: str) -> list[str]:
        i = self.dims.index(dim)
        return sorted({k[i] for k in self.cells})


def publisher_of(rel: dict[str, Any]) -> str:
    return str((rel.get("spec") or {}).get("publisher") or HUB)


def published_release(db: Database, release_id: int | None = None, publisher: str = HUB) -> dict[str, Any] | None:
    """The newest published release with tables of `publisher`, or the published release `release_id`."""
    if release_id is not None:
        rel = repo.get_release(db, release_id)
        if rel is None or rel["status"] != repo.PUBLISHED or rel["method"] not in TABLE_METHODS:
            raise NotVisible(f"no published release {release_id} with tables")
        return rel
    rels = [r for r in repo.list_releases(db, status=repo.PUBLISHED)
            if r["method"] in TABLE_METHODS and publisher_of(r) == publisher]
    if not rels:
        return None
    newest = max(rels, key=lambda r: (r["published_at"] or "", r["id"]))
    return repo.get_release(db, newest["id"])


def national_releases(db: Database) -> dict[str, int]:
    """Country -> id of its newest published national release with tables."""
    out: dict[str, tuple[str, int]] = {}
    for r in repo.list_releases(db, status=repo.PUBLISHED):
        who = publisher_of(r)
        if who != HUB and r["method"] in TABLE_METHODS and (r["published_at"] or "", r["id"]) > out.get(who, ("", 0)):
            out[who] = (r["published_at"] or "", r["id"])
    return {c: rid for c, (_, rid) in out.items()}


def _int(text: str) -> int | None:
    return int(text) if text not in ("", None) else None


def read_tables(rel: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """The release's published tables as the package holds them (CSV rows), each file checked against its hash."""
    folder = Path(rel["package_path"])
    recorded = {f["path"]: f["sha256"] for f in rel["files"]}
    on_disk = {f.path: f.sha256 for f in list_files(folder)} if folder.is_dir() else {}
    out: dict[str, list[dict[str, str]]] = {}
    for t in rel["spec"]["tables"]:
        path = f"data/{t['name']}.csv"
        if path not in recorded or on_disk.get(path) != recorded[path]:
            raise PackageIntegrityError(f"file {path} of release {rel['id']} does not match its recorded hash")
        with (folder / path).open(encoding="utf-8", newline="") as fh:
            out[t["name"]] = list(csv.DictReader(fh))
    return out


def _cell(row: dict[str, str]) -> Cell:
    return Cell(_int(row.get("victims", "")), row.get("status", ""), _int(row.get("lower", "")),
                _int(row.get("upper", "")))


def portal_view(rel: dict[str, Any], tables: dict[str, list[dict[str, str]]], country: str | None) -> list[View]:
    """The views of a release for the hemisphere (`country` None) or one country; tables that say nothing about
    the area are left out (a table filtered on another country; a table without country for a country page)."""
    views: list[View] = []
    for spec in rel["spec"]["tables"]:
        dims = tuple(spec["dims"])
        filters = {k: v for k, v in spec.get("filters", [])}
        if "country" in filters:
            if filters["country"] != country:
                continue
            keep = dims
            pick: Any = lambda r: True  # noqa: E731 - the whole table is the country's
        elif "country" in dims:
            want = country if country is not None else ALL
            keep = tuple(d for d in dims if d != "country")
            pick = lambda r, want=want: r["country"] == want  # noqa: E731
        elif country is None:
            keep, pick = dims, (lambda r: True)
        else:
            continue
        view = View(spec["name"], keep)
        for r in tables[spec["name"]]:
            if pick(r):
                view.cells[tuple(r[d] for d in keep)] = _cell(r)
        views.append(view)
    return views


def country_totals(rel: dict[str, Any], tables: dict[str, list[dict[str, str]]]) -> dict[str, Cell]:
    """Each country's published total (every other dimension at its margin), from the first table split by country."""
    for spec in rel["spec"]["tables"]:
        dims = list(spec["dims"])
        if "country" in dims and not spec.get("filters"):
            return {r["country"]: _cell(r) for r in tables[spec["name"]]
                    if r["country"] != ALL and all(r[d] == ALL for d in dims if d != "country")}
    return {}


def country_year_counts(rel: dict[str, Any], tables: dict[str, list[dict[str, str]]]
                        ) -> dict[tuple[str, str], int | None]:
    """(country, year) -> published count (None when suppressed), from the first unfiltered country-by-year table."""
    for spec in rel["spec"]["tables"]:
        if sorted(spec["dims"]) == ["country", "year"] and not spec.get("filters"):
            return {(r["country"], r["year"]): _cell(r).value for r in tables[spec["name"]]
                    if r["country"] != ALL and r["year"] != ALL}
    return {}


# ---- what a reader sees ----------------------------------------------------------------------------------------

def suppressed_reason(rel: dict[str, Any], lang: str) -> str:
    if rel["method"] == "dp":
        return translate(lang, "portal.noisy.reason")
    return translate(lang, "portal.suppressed.reason", threshold_less=int(rel["spec"].get("threshold") or 5) - 1)


def grid(view: View, lang: str) -> dict[str, Any]:
    """The view as a table of labelled rows and columns: one dimension down, a second across (a cross-table), more
    dimensions as leading columns. Each cell keeps its integer (or None when suppressed) and status."""
    dims = view.dims
    across = dims[1] if len(dims) == 2 else None
    down = [d for d in dims if d != across]
    cols = sorted({k[1] for k in view.cells}, key=lambda c: sort_key(across, c, lang)) if across else [None]
    row_keys = sorted({tuple(k[i] for i, d in enumerate(dims) if d != across) for k in view.cells},
                      key=lambda rk: tuple(sort_key(d, v, lang) for d, v in zip(down, rk, strict=True)))
    rows = []
    for rk in row_keys:
        cells = []
        for c in cols:
            key = (*rk, c) if across else rk
            cell = view.cells.get(tuple(key))  # type: ignore[arg-type]
            cells.append(cell.to_dict() if cell else None)
        rows.append({"codes": list(rk), "labels": [value_label(d, v, lang) for d, v in zip(down, rk, strict=True)],
                     "total": ALL in rk, "cells": cells})
    return {"table": view.table, "dims": list(dims),
            "row_headings": [dimension_label(d, lang) for d in down] or [translate(lang, "portal.area")],
            "across": across, "across_heading": dimension_label(across, lang) if across else None,
            "columns": [{"code": c, "label": value_label(across, c, lang) if across and c else
                         translate(lang, "portal.victims"), "total": c == ALL} for c in cols],
            "rows": rows if dims else [{"codes": [], "labels": [translate(lang, "stats.value.all")], "total": True,
                                        "cells": [view.cells[()].to_dict()] if () in view.cells else [None]}],
            "not_additive": bool(set(dims) & FORM_DIMS),
            "max": _scale(view)}


def _scale(view: View) -> int:
    """What a bar of full width stands for: the table's total when published (so a bar is a share of it, even when
    the other cells are suppressed), else the largest published cell."""
    total = view.cells.get(tuple(ALL for _ in view.dims))
    if len(view.dims) == 1 and total is not None and total.value:
        return total.value
    return max((c.value or 0 for k, c in view.cells.items() if ALL not in k), default=0)


def grid_csv(g: dict[str, Any], lang: str) -> str:
    """The grid exactly as shown: the same headings, rows and columns; counts as plain integers, a suppressed
    cell as the word shown on screen."""
    mark = translate(lang, "portal.suppressed")
    rates = g.get("rates")
    header = [*g["row_headings"], *(c["label"] for c in g["columns"]),
              *([translate(lang, "portal.rate")] if rates else [])]
    rows = []
    for r in g["rows"]:
        shown: list[Any] = [*r["labels"],
                            *("" if c is None else (mark if c["value"] is None else c["value"]) for c in r["cells"])]
        if rates:
            shown.append("" if r.get("rate") is None else f"{r['rate']:.2f}")
        rows.append(shown)
    return sheet.to_csv(header, rows)
