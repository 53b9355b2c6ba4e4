"""First-level subdivisions of a country (states, provinces, departments) as ISO 3166-2 codes, from pycountry."""

from __future__ import annotations

from functools import cache

import pycountry

from tipnet.standard.model import normalise_token


@cache
def _index(alpha3: str) -> dict[str, str]:
    """Normalised code ('mxcmx'), code without the country ('cmx') and name ('ciudaddemexico') -> 'MX-CMX'."""
    country = pycountry.countries.get(alpha_3=alpha3)
    if country is None:
        return {}
    out: dict[str, str] = {}
    for sub in pycountry.subdivisions.get(country_code=country.alpha_2) or []:
        if getattr(sub, "parent_code", None):
            continue  # second level (e.g. a province inside a region): not a first-level subdivision
        code = str(sub.code)
        for key in (code, code.split("-", 1)[1], str(sub.name)):
            out.setdefault(normalise_token(key), code)
    return out


def resolve_subdivision(alpha3: str, raw: str) -> str | None:
    """The ISO 3166-2 code of a first-level subdivision of `alpha3` written as its code or its name; else None."""
    return _index(alpha3).get(normalise_token(raw))


def is_subdivision_of(alpha3: str, code: str) -> bool:
    return code in _index(alpha3).values()


def subdivision_name(code: str) -> str:
    """The ISO 3166-2 name of a subdivision code ('MX-CMX' -> 'Ciudad de México'); the code itself when unknown."""
    sub = pycountry.subdivisions.get(code=code)
    return str(sub.name) if sub is not None else code
