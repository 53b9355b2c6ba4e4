"""Hotspots: where victims were exploited, aggregated to H3 hexagons (Uber's hierarchical grid, `h3` 4.5.0).

The coordinates are restricted data: they are read here, turned into cell counts, and never leave. The grid is
chosen coarsest to finest: every victim is first counted in a cell of resolution `COARSEST` (about 86,000 km²); a
cell is split into its seven children only when every child that holds anyone holds at least 5 victims, down to
`FINEST` (about 250 km², so no published hexagon points at a single building). A coarsest cell under 5 is dropped.
A cell is published whole or split whole, never both, so no published count can be subtracted from another to give a
count under 5.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import h3
from sqlalchemy import ColumnElement

from tipnet.maps.area_figures import THRESHOLD
from tipnet.maps.area_query import NO_FILTER, AreaFilter, victim_rows
from tipnet.store.tables import persons

COARSEST = 2
FINEST = 5


@dataclass(frozen=True)
class Hotspot:
    cell: str  # H3 index
    resolution: int
    victims: int

    def boundary(self) -> list[tuple[float, float]]:
        """The hexagon's corners as (lon, lat), from the cell index (not from any victim's coordinates)."""
        return [(lon, lat) for lat, lon in h3.cell_to_boundary(self.cell)]


def finest_cells(db: Any, country: str | None = None, filt: AreaFilter = NO_FILTER, rows: Any = None,
                 resolution: int = FINEST) -> Counter[str]:
    """Restricted: victims per cell of `resolution` from the exploitation coordinates of `country` (alpha-3; the
    reporting country when the exploitation country is not recorded), or of every country."""
    c = persons.c
    where: list[ColumnElement[bool]] = [c.exploitation_latitude.is_not(None), c.exploitation_longitude.is_not(None)]
    cols = (c.reporting_country, c.exploitation_country, c.exploitation_latitude, c.exploitation_longitude)
    out: Counter[str] = Counter()
    for row in victim_rows(db, cols, where, filt, rows):
        if country and (row.exploitation_country or row.reporting_country or "").upper() != country.upper():
            continue
        out[h3.latlng_to_cell(float(row.exploitation_latitude), float(row.exploitation_longitude), resolution)] += 1
    return out


def publishable_hotspots(cells: Counter[str], threshold: int = THRESHOLD, coarsest: int = COARSEST) -> list[Hotspot]:
    """The published hexagons from restricted counts per finest cell (all of one resolution, at least `coarsest`)."""
    if not cells:
        return []
    finest = h3.get_resolution(next(iter(cells)))
    if any(h3.get_resolution(c) != finest for c in cells) or finest < coarsest:
        raise ValueError("hotspot cells must all be of one resolution, not coarser than the coarsest")
    levels: list[Counter[str]] = [Counter() for _ in range(finest + 1)]
    levels[finest] = Counter(cells)
    for res in range(finest - 1, coarsest - 1, -1):
        for cell, n in levels[res + 1].items():
            levels[res][h3.cell_to_parent(cell, res)] += n
    children: dict[str, list[str]] = defaultdict(list)
    for res in range(coarsest + 1, finest + 1):
        for cell in levels[res]:
            children[h3.cell_to_parent(cell, res - 1)].append(cell)
    out: list[Hotspot] = []

    def publish(cell: str, res: int) -> None:
        kids = children.get(cell, [])
        if res < finest and all(levels[res + 1][k] >= threshold for k in kids):
            for k in kids:
                publish(k, res + 1)
        else:
            out.append(Hotspot(cell, res, levels[res][cell]))

    for cell, n in levels[coarsest].items():
        if n >= threshold:
            publish(cell, coarsest)
    return sorted(out, key=lambda h: (-h.victims, h.cell))


def hotspots(db: Any, country: str | None = None, filt: AreaFilter = NO_FILTER, rows: Any = None,
             threshold: int = THRESHOLD) -> list[Hotspot]:
    """The hexagons that may leave the restricted zone for `country` (alpha-3) or the hemisphere."""
    return publishable_hotspots(finest_cells(db, country, filt, rows), threshold)
