"""Routes and flows: origin -> transit -> destination, country roles, corridor priorities, land-border crossings."""

from tipnet.routes.flows import (
    CORRIDOR_WEIGHTS,
    PUBLIC_MIN_VICTIMS,
    RouteFilter,
    border_crossings,
    corridors,
    country_roles,
    flows,
    glotip_flows,
    legs,
    paths,
    summary,
)

__all__ = [
    "CORRIDOR_WEIGHTS", "PUBLIC_MIN_VICTIMS", "RouteFilter", "border_crossings", "corridors", "country_roles",
    "flows", "glotip_flows", "legs", "paths", "summary",
]
