"""Value types shared by the map modules."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

LonLat = tuple[float, float]
Ring = tuple[LonLat, ...]  # closed: first point == last point
Polygon = tuple[Ring, ...]  # exterior ring first, then holes
Bounds = tuple[float, float, float, float]  # west, south, east, north in degrees

# UNODC convention: a flow or a crossing is published only when it counts at least this many victims.
MIN_VICTIMS = 5


@dataclass(frozen=True)
class Flow:
    """Victims moved from `origin` to `destination` (ISO 3166-1 alpha-3), optionally through transit countries."""

    origin: str
    destination: str
    victims: int
    via: tuple[str, ...] = ()

    @property
    def domestic(self) -> bool:
        """True when the victims never left one country (drawn as a circle, not an arc)."""
        return len(self.stops) == 1

    @property
    def stops(self) -> tuple[str, ...]:
        """origin, transits..., destination with consecutive repeats dropped."""
        out: list[str] = []
        for code in (self.origin, *self.via, self.destination):
            if not out or out[-1] != code:
                out.append(code)
        return tuple(out)


def publishable_flows(flows: Iterable[Flow], min_victims: int = MIN_VICTIMS) -> list[Flow]:
    """Flows with the same route summed, then only those with at least `min_victims` victims, largest first.

    This is the disclosure rule for maps: a flow under the threshold is neither drawn nor written into a map file.
    """
    totals: dict[tuple[str, ...], int] = {}
    for f in flows:
        key = tuple(c.upper() for c in f.stops)
        totals[key] = totals.get(key, 0) + int(f.victims)
    kept = [
        Flow(key[0], key[-1], n, key[1:-1]) for key, n in totals.items() if n >= min_victims
    ]
    return sorted(kept, key=lambda f: (-f.victims, f.stops))


def publishable_crossings(
    crossings: Mapping[tuple[str, str], int], min_victims: int = MIN_VICTIMS
) -> dict[tuple[str, str], int]:
    """Crossings summed per border (both directions together, key sorted), kept at `min_victims` or more."""
    totals: dict[tuple[str, str], int] = {}
    for (a, b), n in crossings.items():
        x, y = sorted((a.upper(), b.upper()))
        totals[(x, y)] = totals.get((x, y), 0) + int(n)
    return {k: v for k, v in sorted(totals.items()) if v >= min_victims and k[0] != k[1]}
