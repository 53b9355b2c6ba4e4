"""Where the demo's victims were recruited, below the country: a first-level subdivision (ISO 3166-2) per case.

Drawn from a generator of its own, seeded by the case, so adding subdivisions leaves every other drawn value of the
demo as it was. Each country's subdivisions get fixed, unequal weights (a few hotspots, a long tail), the same in
every run.
"""

from __future__ import annotations

import random
from functools import cache

import pycountry

from tipnet.maps.subdivisions import subdivisions

RECRUITMENT_SHARE = 0.7  # cases whose recruitment subdivision is recorded


@cache
def _weighted(iso3: str) -> tuple[tuple[str, ...], tuple[float, ...]]:
    country = pycountry.countries.get(alpha_3=iso3)
    codes = [s.code for s in subdivisions(country.alpha_2)] if country is not None else []
    random.Random(f"hotspots:{iso3}").shuffle(codes)
    return tuple(codes), tuple(1.0 / (rank + 1) for rank in range(len(codes)))


def recruitment_subdivision(case: str, iso3: str) -> str | None:
    """The ISO 3166-2 code where the victims of `case` were recruited in `iso3`, or None (not recorded)."""
    codes, weights = _weighted(iso3)
    rng = random.Random(f"recruitment-subdivision:{case}")
    if not codes or rng.random() >= RECRUITMENT_SHARE:
        return None
    return rng.choices(codes, weights=weights)[0]
