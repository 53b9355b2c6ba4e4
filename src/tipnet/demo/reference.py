"""The demo's reference data (OAS members, name pools, agencies, corridors) from ``demo/data/*.yaml``."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pycountry
import yaml

YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader where PyYAML has it

DATA_DIR = Path(__file__).with_name("data")


def fold(text: str) -> str:
    """Case-, accent- and spacing-insensitive key ("PERÚ " -> "peru"); keeps U+FFFD so garbled names match."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


@dataclass(frozen=True)
class Place:
    town: str
    subdivision: str

    @property
    def label(self) -> str:
        return f"{self.town}, {self.subdivision}"


@dataclass(frozen=True)
class Country:
    alpha3: str
    name: str
    member: bool
    language: str  # main language (ISO 639-1)
    person_language: str  # what primary_language records for its nationals
    names: str  # key of the name pool
    mix: tuple[tuple[str, float], ...]  # other name pools and their shares
    land: tuple[str, ...]
    near: tuple[str, ...]
    places: tuple[Place, ...]
    family_names: tuple[str, ...]  # frequent in the country; added to its name pool
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class NamePool:
    key: str
    surnames: tuple[int, ...]  # drawn uniformly: how many family names a person carries
    middle_share: float
    particle_share: float
    female: tuple[str, ...]
    male: tuple[str, ...]
    family: tuple[str, ...]
    particles: tuple[str, ...]
    nicknames: dict[str, tuple[str, ...]]
    family_first: bool


@dataclass(frozen=True)
class AgencyType:
    source_type: str
    code: str
    weight: float
    labour_weight: float
    perpetrators: bool
    names: dict[str, str]


@dataclass(frozen=True)
class Reference:
    countries: dict[str, Country]  # OAS members and the named extra-regional origins
    members: tuple[str, ...]  # the 35 OAS members, sorted
    pools: dict[str, NamePool]
    agency_types: dict[str, AgencyType]
    lineups: dict[str, tuple[tuple[str, ...], ...]]
    corridors: tuple[tuple[str, ...], ...]
    domestic_markers: frozenset[str]  # folded

    def pool_for(self, alpha3: str) -> NamePool:
        return self.pools[self.countries[alpha3].names]


def _read(name: str) -> Any:
    return yaml.load((DATA_DIR / name).read_text(encoding="utf-8"), Loader=YAML_LOADER)


def _country(alpha3: str, raw: dict[str, Any], member: bool) -> Country:
    iso = pycountry.countries.get(alpha_3=alpha3)
    if iso is None:
        raise ValueError(f"oas_members.yaml: {alpha3} is not an ISO 3166-1 alpha-3 code")
    places = []
    for p in raw.get("places", []):
        town, _, subdivision = str(p).partition(", ")
        places.append(Place(town, subdivision))
    language = str(raw["language"])
    return Country(
        alpha3=alpha3,
        name=str(getattr(iso, "common_name", iso.name)),
        member=member,
        language=language,
        person_language=str(raw.get("person_language", language)),
        names=str(raw.get("names", language)),
        mix=tuple((str(k), float(v)) for k, v in sorted(raw.get("mix", {}).items())),
        land=tuple(raw.get("land", [])),
        near=tuple(raw.get("near", [])),
        places=tuple(places),
        family_names=tuple(str(n) for n in raw.get("family_names", [])),
        aliases=tuple(str(a) for a in raw.get("aliases", [])),
    )


def _pool(key: str, raw: dict[str, Any]) -> NamePool:
    surnames = raw["surnames"]
    return NamePool(
        key=key,
        surnames=tuple(surnames) if isinstance(surnames, list) else (int(surnames),),
        middle_share=float(raw["middle_share"]),
        particle_share=float(raw["particle_share"]),
        female=tuple(raw["female"]),
        male=tuple(raw["male"]),
        family=tuple(raw["family"]),
        particles=tuple(raw.get("particles") or ()),
        nicknames={str(k): tuple(v) for k, v in (raw.get("nicknames") or {}).items()},
        family_first=bool(raw.get("family_first", False)),
    )


@cache
def load_reference() -> Reference:
    members_raw = _read("oas_members.yaml")
    countries = {a3: _country(a3, raw, True) for a3, raw in members_raw["members"].items()}
    countries |= {a3: _country(a3, raw, False) for a3, raw in members_raw["extra_regional"].items()}
    names_raw = _read("names.yaml")["pools"]
    agencies_raw = _read("agencies.yaml")
    agency_types = {
        st: AgencyType(
            source_type=st,
            code=str(raw["code"]),
            weight=float(raw["weight"]),
            labour_weight=float(raw["labour_weight"]),
            perpetrators=bool(raw["perpetrators"]),
            names={str(k): str(v) for k, v in raw["names"].items()},
        )
        for st, raw in agencies_raw["source_types"].items()
    }
    return Reference(
        countries=countries,
        members=tuple(sorted(members_raw["members"])),
        pools={k: _pool(k, v) for k, v in names_raw.items()},
        agency_types=agency_types,
        lineups={k: tuple(tuple(x) for x in v) for k, v in agencies_raw["lineups"].items()},
        corridors=tuple(tuple(c) for c in members_raw["corridors"]),
        domestic_markers=frozenset(fold(m) for m in members_raw["domestic_markers"]),
    )
