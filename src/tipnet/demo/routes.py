"""Trafficking routes: origin (citizenship), recruitment, ordered transit countries, exploitation."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from tipnet.demo.profiles import CountryProfile
from tipnet.demo.reference import Reference
from tipnet.demo.volumes import pick

TRANSIT_RECORDED = 0.65  # share of routes along a corridor whose transit countries the agency recorded
RECRUITED_AT_DESTINATION = 0.08  # migrants recruited after arriving in the country of exploitation


@dataclass(frozen=True)
class Route:
    citizenship: str
    recruitment_country: str
    transit: tuple[str, ...]
    exploitation_country: str


@cache
def _corridor_transits(
    corridors: tuple[tuple[str, ...], ...],
) -> dict[tuple[str, str], tuple[tuple[str, ...], ...]]:
    """(origin, destination) -> the transit sequences (one or two countries) the corridors allow."""
    found: dict[tuple[str, str], list[tuple[str, ...]]] = {}
    for corridor in corridors:
        for i, origin in enumerate(corridor):
            for j in range(i + 2, min(i + 4, len(corridor))):
                options = found.setdefault((origin, corridor[j]), [])
                if corridor[i + 1 : j] not in options:
                    options.append(corridor[i + 1 : j])
    return {k: tuple(v) for k, v in found.items()}


def transit_options(ref: Reference, origin: str, destination: str) -> tuple[tuple[str, ...], ...]:
    if destination in ref.countries[origin].land:  # neighbours: the border is crossed directly
        return ()
    return _corridor_transits(ref.corridors).get((origin, destination), ())


def draw_citizenship(rng: random.Random, profile: CountryProfile) -> str:
    if rng.random() < profile.domestic_share or not profile.origins:
        return profile.alpha3
    return pick(rng, profile.origins)


def draw_route(rng: random.Random, ref: Reference, citizenship: str, exploitation: str) -> Route:
    if citizenship == exploitation:
        return Route(citizenship, citizenship, (), exploitation)
    recruitment = exploitation if rng.random() < RECRUITED_AT_DESTINATION else citizenship
    transit: tuple[str, ...] = ()
    options = transit_options(ref, citizenship, exploitation)
    if recruitment == citizenship and options and rng.random() < TRANSIT_RECORDED:
        transit = rng.choice(options)
    return Route(citizenship, recruitment, transit, exploitation)


def abroad_destinations(
    profiles: Mapping[str, CountryProfile], ref: Reference, origin: str
) -> dict[str, float]:
    """Where nationals of `origin` are exploited abroad: GLOTIP flows naming `origin`, else its neighbours."""
    flows = {
        iso: (p.annual_victims or 1.0) * (1 - p.domestic_share) * p.origins[origin]
        for iso, p in profiles.items()
        if iso != origin and origin in p.origins
    }
    if flows:
        return flows
    country = ref.countries[origin]
    return {iso: 1.0 for iso in country.land + country.near if iso in profiles}
