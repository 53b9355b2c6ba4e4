"""Maps for tipnet: Natural Earth geometry (vendored, offline), static maps (matplotlib) and interactive maps (d3).

Nothing here touches the network: the TopoJSON ships in `tipnet/maps/data/`, d3 and topojson-client in
`tipnet/web/static/vendor/` (see `maps/data/SOURCES.md` and `scripts/vendor_assets.sh`). Flows and border crossings
under `MIN_VICTIMS` (5, the UNODC convention) are never drawn nor written into a map file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tipnet.maps.geometry import (
    border_point,
    centroid,
    countries,
    country_name,
    neighbours,
    region_bounds,
    shared_border,
)
from tipnet.maps.html import html_map
from tipnet.maps.model import MIN_VICTIMS, Flow, publishable_crossings, publishable_flows
from tipnet.maps.spec import GEOMETRY_URL, map_spec
from tipnet.maps.topology import iso3_by_numeric

if TYPE_CHECKING:
    from tipnet.maps.render import border_map, choropleth, flow_map

_RENDER = ("border_map", "choropleth", "flow_map")

__all__ = [
    "GEOMETRY_URL",
    "MIN_VICTIMS",
    "Flow",
    "border_map",
    "border_point",
    "centroid",
    "choropleth",
    "countries",
    "country_name",
    "flow_map",
    "html_map",
    "iso3_by_numeric",
    "map_spec",
    "neighbours",
    "publishable_crossings",
    "publishable_flows",
    "region_bounds",
    "shared_border",
]


def __getattr__(name: str) -> Any:
    """The matplotlib renderers load on first use: building a web spec need not import the drawing stack."""
    if name in _RENDER:
        from tipnet.maps import render

        return getattr(render, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
