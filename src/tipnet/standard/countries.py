"""Resolve country references (alpha-3, alpha-2, names in en/es/fr/pt, known aliases) to ISO 3166-1 alpha-3."""

from __future__ import annotations

import gettext
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

import pycountry

from tipnet.i18n.collation import sort_key
from tipnet.standard.demonyms import demonym_index
from tipnet.standard.model import normalise_token
from tipnet.standard.yaml_parse import parse_yaml

OWN = "OWN"
# Codes that ISO 3166-1 leaves user-assigned but that official statistics use.
_EXTRA_CODES = {"XKX": ("XK", "Kosovo")}


@dataclass(frozen=True)
class CountryMatch:
    """Outcome of resolving one raw value: a country, a region, the reporter's own nationals, or nothing."""

    kind: str  # "country" | "region" | "own" | "unknown"
    code: str | None = None


def _read(name: str) -> dict:
    ref = resources.files("tipnet.standard").joinpath("data", name)
    return parse_yaml(ref.read_text(encoding="utf-8"))


@cache
def region_codes() -> dict[str, str]:
    return {k.upper(): v for k, v in _read("regions.yaml")["unodc"].items()}


@cache
def _name_index() -> dict[str, str]:
    index: dict[str, str] = {}
    translators = [
        gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)
        for lang in ("es", "fr", "pt", "pt_BR")
    ]
    for c in pycountry.countries:
        names = {c.name, getattr(c, "official_name", c.name), getattr(c, "common_name", c.name)}
        for t in translators:
            names |= {t.gettext(n) for n in list(names)}
        for n in names:
            index.setdefault(normalise_token(n), c.alpha_3)
            # "Bolivia, Plurinational State of" -> also "Bolivia"
            if "," in n:
                index.setdefault(normalise_token(n.split(",")[0]), c.alpha_3)
    for alpha3, (_, name) in _EXTRA_CODES.items():
        index.setdefault(normalise_token(name), alpha3)
    for form, code in demonym_index().items():
        index.setdefault(form, code)  # a country's own name wins over a nationality word spelt the same
    for alias, code in _read("country_aliases.yaml")["aliases"].items():
        index[normalise_token(str(alias))] = str(code)
    return index


def country_spellings() -> dict[str, str]:
    """Every normalised name, alias and demonym the resolver knows -> its alpha-3 code (or OWN); a copy."""
    return dict(_name_index())


def _repair_mojibake(raw: str) -> str:
    """Undo UTF-8 read as Latin-1 ("CÃ´te d'Ivoire" -> "Côte d'Ivoire"); leave anything else alone."""
    try:
        return raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return raw


@cache
def resolve_country(raw: str) -> CountryMatch:
    value = raw.strip()
    if not value:
        return CountryMatch("unknown")
    upper = value.upper()
    if len(upper) == 3 and upper.isalpha():
        if pycountry.countries.get(alpha_3=upper) is not None or upper in _EXTRA_CODES:
            return CountryMatch("country", upper)
        if upper in region_codes():
            return CountryMatch("region", upper)
    if len(upper) == 2 and upper.isalpha():
        c = pycountry.countries.get(alpha_2=upper)
        if c is not None:
            return CountryMatch("country", c.alpha_3)
        for alpha3, (alpha2, _) in _EXTRA_CODES.items():
            if alpha2 == upper:
                return CountryMatch("country", alpha3)
    index = _name_index()
    for candidate in (value, _repair_mojibake(value)):
        code = index.get(normalise_token(candidate))
        if code == OWN:
            return CountryMatch("own")
        if code:
            return CountryMatch("country", code)
    return CountryMatch("unknown")


def country_name(alpha3: str, lang: str = "en") -> str:
    c = pycountry.countries.get(alpha_3=alpha3)
    if c is None:
        return _EXTRA_CODES.get(alpha3, ("", alpha3))[1] or region_codes().get(alpha3, alpha3)
    name = getattr(c, "common_name", c.name)
    if lang == "en":
        return name
    t = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)
    return t.gettext(name)


@cache
def known_countries() -> frozenset[str]:
    """Every ISO 3166-1 alpha-3 code (and the few user-assigned codes tipnet reads, such as XKX)."""
    return frozenset(c.alpha_3 for c in pycountry.countries) | frozenset(_EXTRA_CODES)


def countries_by_name(codes: Iterable[str], lang: str = "en") -> list[dict[str, str]]:
    """Countries as a reader picks them from a list: `{"code", "name"}` with the name in `lang`, sorted by that name
    as the language orders it (Perú between Paraguay and Saint Kitts in Spanish), never by code."""
    named = [{"code": c, "name": country_name(c, lang)} for c in codes]
    return sorted(named, key=lambda c: sort_key(c["name"], lang))


# The 35 member states of the Organization of American States (ISO 3166-1 alpha-3).
OAS_MEMBERS: tuple[str, ...] = (
    "ATG", "ARG", "BHS", "BRB", "BLZ", "BOL", "BRA", "CAN", "CHL", "COL", "CRI", "CUB", "DMA", "DOM", "ECU", "SLV",
    "USA", "GRD", "GTM", "GUY", "HTI", "HND", "JAM", "MEX", "NIC", "PAN", "PRY", "PER", "KNA", "LCA", "VCT", "SUR",
    "TTO", "URY", "VEN",
)
