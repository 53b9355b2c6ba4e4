"""Public key sets: every category a differentially private table may show, known before looking at the data.

They come from the standard's vocabularies, the OAS member list and ISO 3166 — never from the data, since the set
of categories present in the data is itself private (a key seen only once reveals a victim).
"""

from __future__ import annotations

from functools import cache

import pycountry

from tipnet.standard import load_standard
from tipnet.standard.countries import OAS_MEMBERS

UNKNOWN = "unknown"


@cache
def _iso3() -> tuple[str, ...]:
    return tuple(sorted({c.alpha_3 for c in pycountry.countries} | {"XKX"}))


def _vocab(name: str) -> tuple[str, ...]:
    return tuple(load_standard().vocabularies[name].codes)


def public_domain(dim: str, years: tuple[int, int] | None = None) -> tuple[str, ...]:
    """The public categories of `dim` (as the strings the cells use)."""
    if dim == "year":
        if years is None:
            raise ValueError("a differentially private table split by year needs a public year range (years=...)")
        return tuple(str(y) for y in range(years[0], years[1] + 1))
    if dim == "sex":
        return _vocab("sex")
    if dim == "age_group":
        return ("adult", "minor", UNKNOWN)
    if dim in ("age_band", "source_type"):
        return (*_vocab(dim), UNKNOWN)
    if dim == "form":
        return (*_vocab("exploitation_form"), "not_recorded")
    if dim == "form_group":
        groups = load_standard().vocabularies["exploitation_form"].attr_map("glotip").values()
        return (*sorted(set(groups)), "not_recorded")
    if dim == "country":
        return (*sorted(OAS_MEMBERS), UNKNOWN)
    if dim in ("citizenship", "destination"):
        return (*_iso3(), UNKNOWN)
    raise ValueError(f"no public key set for dimension {dim!r}")
