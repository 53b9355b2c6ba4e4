"""Threshold releases: the attacker's view of earlier published releases, the suppression pattern of a new one, and
its audit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tipnet.disclosure import repo
from tipnet.disclosure.audit import AuditResult, Protection, check, fixed_values
from tipnet.disclosure.cells import CountTable, Key, QuerySource, Snapshot, TableSpec, domains
from tipnet.disclosure.package import OutTable
from tipnet.disclosure.suppression import Suppression, suppress
from tipnet.disclosure.system import ReleaseView, build_system
from tipnet.store import Database


def publisher_of(release: dict[str, Any]) -> str:
    return str(release["spec"].get("publisher") or "hub")  # releases from before publishers were the hub's


def published_views(db: Database, exclude: int | None = None, publisher: str = "hub") -> list[ReleaseView]:
    """Every published threshold release of the publisher, as the attacker sees it. Each publisher's releases count
    their own population (the hub's shared, consented records; a country's own), so a cell key means one number
    only within one publisher's releases."""
    views = []
    for r in repo.list_releases(db, status=repo.PUBLISHED, method="threshold"):
        if r["id"] == exclude or publisher_of(r) != publisher:
            continue
        views.append(view_of(db, r))
    return views


def view_of(db: Database, r: dict[str, Any]) -> ReleaseView:
    specs = [TableSpec.from_dict(t) for t in r["spec"]["tables"]]
    doms = {d: tuple(v) for d, v in r["summary"]["domains"].items()}
    published = {k: int(v) for _, k, status, v, _, _ in repo.cells(db, r["id"]) if status == "published"
                 and v is not None}
    return ReleaseView(f"release {r['id']}", Snapshot(frozenset(r["snapshot"])), specs, doms, published)


def grid_keys(specs: list[TableSpec], doms: dict[str, tuple[str, ...]]) -> set[Key]:
    keys: set[Key] = set()
    for spec in specs:
        t = CountTable(spec, {d: doms[d] for d in spec.dims})
        keys.update(t.key(r) for r in t.rows())
    return keys


@dataclass
class ThresholdResult:
    snapshot: Snapshot
    domains: dict[str, tuple[str, ...]]
    suppression: Suppression
    true: dict[Key, int]


def run(source: QuerySource, db: Database, snapshot: Snapshot, specs: list[TableSpec],
        protection: Protection, publisher: str = "hub") -> ThresholdResult:
    doms = domains(source, [d for s in specs for d in s.dims], snapshot)
    views = [*published_views(db, publisher=publisher), ReleaseView("this release", snapshot, specs, doms, {})]
    system = build_system(source, views)
    layer = system.layer_of(snapshot)
    keys = grid_keys(specs, doms)
    result = suppress(system, layer, keys, protection)
    return ThresholdResult(snapshot, doms, result, system.layers[layer].true)


def out_tables(specs: list[TableSpec], doms: dict[str, tuple[str, ...]],
               published: dict[Key, int]) -> tuple[list[OutTable], list[tuple[str, Key, str, int | None, None, None]]]:
    tables: list[OutTable] = []
    cells: list[tuple[str, Key, str, int | None, None, None]] = []
    for spec in specs:
        t = CountTable(spec, {d: doms[d] for d in spec.dims})
        rows = []
        for row in t.rows():
            k = t.key(row)
            value = published.get(k)
            status = "published" if value is not None else "confidential"
            rows.append({**dict(spec.filters), **dict(zip(spec.dims, row, strict=True)), "victims": value,
                         "status": status})
            cells.append((spec.name, k, "published" if value is not None else "suppressed", value, None, None))
        cols = [*(f for f, _ in spec.filters), *spec.dims, "victims", "status"]
        tables.append(OutTable(spec.name, f"Victims by {', '.join(spec.dims) or 'total'}", cols, rows,
                               list(spec.dims), [list(f) for f in spec.filters],
                               "Detected victims; threshold rule with secondary suppression"))
    return tables, cells


def audit(source: QuerySource, db: Database, release: dict[str, Any], protection: Protection) -> AuditResult:
    """The LP audit of `release` together with every other published threshold release."""
    views = [*published_views(db, exclude=release["id"], publisher=publisher_of(release)), view_of(db, release)]
    system = build_system(source, views)
    return check(system, fixed_values(system), protection)
