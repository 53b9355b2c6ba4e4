"""First-level subdivisions of a country (states, provinces, departments) as ISO 3166-2 codes.

ISO codes and names come from pycountry; the national codes agencies use (Mexico's INEGI state numbers, Peru's
UBIGEO, Colombia's DANE DIVIPOLA, Brazil's IBGE codes) and other names in use come from
`data/subdivision_codes.yaml` (sources noted there). Longer national codes (a municipality, a district) resolve to
the subdivision they belong to.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import pycountry

from tipnet.standard.model import normalise_token
from tipnet.standard.yaml_parse import parse_yaml


@cache
def _national() -> dict[str, dict[str, Any]]:
    text = resources.files("tipnet.ingest").joinpath("data", "subdivision_codes.yaml").read_text(encoding="utf-8")
    data: dict[str, dict[str, Any]] = parse_yaml(text)
    return data


@cache
def _index(alpha3: str) -> dict[str, str]:
    """Normalised code ('mxcmx'), code without the country ('cmx'), name ('ciudaddemexico') or alias -> 'MX-CMX'."""
    country = pycountry.countries.get(alpha_3=alpha3)
    if country is None:
        return {}
    out: dict[str, str] = {}
    spec = _national().get(alpha3, {})
    subs = pycountry.subdivisions.get(country_code=country.alpha_2) or []
    # second level (a province inside a region) only where agencies use it (`provinces`); the first level wins a tie
    for sub in sorted(subs, key=lambda s: bool(getattr(s, "parent_code", None))):
        if getattr(sub, "parent_code", None) and not spec.get("provinces"):
            continue
        code = str(sub.code)
        for key in (code, code.split("-", 1)[1], str(sub.name)):
            out.setdefault(normalise_token(key), code)
    for alias, code in (_national().get(alpha3, {}).get("aliases") or {}).items():
        out.setdefault(normalise_token(str(alias)), str(code))
    return out


def _national_code(alpha3: str, raw: str) -> str | None:
    """A national numeric code ('09', '9', '150101', '5001') -> ISO 3166-2, or None."""
    spec = _national().get(alpha3)
    digits = raw.strip()
    if spec is None or "codes" not in spec or not digits.isdigit():
        return None
    codes: dict[str, str] = spec["codes"]
    width = len(next(iter(codes)))
    lengths = {width, *spec.get("longer", [])}
    if len(digits) not in lengths and len(digits) + 1 in lengths:
        digits = "0" + digits  # a leading zero lost in a spreadsheet
    if len(digits) not in lengths:
        return None
    for prefix, code in sorted((spec.get("prefixes") or {}).items(), key=lambda kv: -len(kv[0])):
        if len(digits) >= len(prefix) and digits.startswith(prefix):
            return str(code)
    return codes.get(digits[:width])


def resolve_subdivision(alpha3: str, raw: str) -> str | None:
    """The ISO 3166-2 code of a first-level subdivision of `alpha3` written as its ISO code, its name, another name
    in use, or a national code (or a longer national code inside it); else None."""
    return _national_code(alpha3, raw) or _index(alpha3).get(normalise_token(raw))


def is_subdivision_of(alpha3: str, code: str) -> bool:
    return code in _index(alpha3).values()


def subdivision_name(code: str) -> str:
    """The ISO 3166-2 name of a subdivision code ('MX-CMX' -> 'Ciudad de México'); the code itself when unknown."""
    sub = pycountry.subdivisions.get(code=code)
    return str(sub.name) if sub is not None else code
