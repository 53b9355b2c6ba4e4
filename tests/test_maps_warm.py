"""A web server loads the maps' geometry and fonts when it starts, not during the first user's map."""

from __future__ import annotations

from tipnet.maps import geometry, subdivisions, topology
from tipnet.maps.warm import warm_in_background


def test_warming_up_fills_the_geometry_caches():
    for loader in (subdivisions.by_code, subdivisions.arcs, topology.arcs, geometry._arrays):
        loader.cache_clear()  # type: ignore[attr-defined]
    warm_in_background().join(timeout=120)
    assert len(subdivisions.by_code()) == 615 and "PE-LMA" in subdivisions.by_code()
    for loader in (subdivisions.by_code, subdivisions.arcs, topology.arcs, geometry._arrays):
        assert loader.cache_info().currsize == 1  # type: ignore[attr-defined]
