"""Routing: "who do I ask in country X for measure Y about crime Z" -> the competent authorities, ranked, each with
the reasons for its place and the conditions the requested state sets (dual criminality, languages, channels).

The score is explicit so the ranking can be explained: the authority's competence for the measure (first-choice
competence 100, second 70, third 50), +20 when it specialises in the crime, +10 for a 24/7 operational contact on
urgent measures, -15 when its entry is stale, -40 when dual criminality applies and the conduct is not an offence
in the requested state. Authorities whose legal profile does not accept the measure are listed apart, with why.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from tipnet.coop.directory import Authority, listing
from tipnet.coop.directory_model import CRIMES, MEASURES
from tipnet.errors import Invalid
from tipnet.standard.countries import OAS_MEMBERS
from tipnet.store import Database

COMPETENCE_POINTS = (100, 70, 50)
SPECIALISED, OPERATIONAL, STALE, NOT_AN_OFFENCE = 20, 10, -15, -40
URGENT = frozenset({"provisional_arrest", "identification_location", "victim_protection"})

_TEXT = {
    "competence": "competent for {competence} (choice {rank} for this measure)",
    "specialised": "specialised in {crime}",
    "operational": "has a 24/7 operational contact for urgent action",
    "stale": "entry not verified since {last_verified}: confirm the contact first",
    "dual_criminality": "dual criminality required: the conduct must be an offence in both states",
    "not_an_offence": "{crime} is not listed as an offence in the requested state: refusal likely",
    "languages": "requests accepted in {languages}",
    "translation": "a translation into {languages} must be attached",
    "channels": "channels: {channels}",
    "legal_basis": "legal basis: {basis}",
    "not_accepted": "its legal profile does not accept {measure}",
    "no_competence": "no competence for {measure}",
}


def note(code: str, **params: Any) -> dict[str, Any]:
    """One reason or condition: a stable code (for translation), its parameters and the English text."""
    return {"code": code, "params": params, "text": _TEXT[code].format(**params)}


@dataclass
class Candidate:
    authority: Authority
    score: int = 0
    reasons: list[dict[str, Any]] = field(default_factory=list)
    conditions: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self, restricted: bool, rank: int) -> dict[str, Any]:
        return {"rank": rank, "score": self.score, "authority": self.authority.view(restricted),
                "reasons": self.reasons, "conditions": self.conditions}


def check_query(country: str, measure: str, crime: str) -> tuple[str, str, str]:
    country = (country or "").strip().upper()
    if country not in OAS_MEMBERS:
        raise Invalid(f"country {country!r} is not an OAS member state", {"field": "country", "value": country})
    if measure not in MEASURES:
        raise Invalid(f"unknown measure {measure!r}; choose from {', '.join(MEASURES)}",
                      {"field": "measure", "value": measure})
    if crime not in CRIMES:
        raise Invalid(f"unknown crime {crime!r}; choose from {', '.join(CRIMES)}", {"field": "crime", "value": crime})
    return country, measure, crime


def conditions(profile: dict[str, Any], measure: str, crime: str) -> list[dict[str, Any]]:
    """What the requested state's legal profile asks of a request for this measure about this crime."""
    out = []
    coercive = MEASURES[measure].coercive
    dual = profile.get("dual_criminality", "coercive")
    if dual == "all" or (dual == "coercive" and coercive):
        out.append(note("dual_criminality"))
        if crime not in profile.get("offences", CRIMES):
            out.append(note("not_an_offence", crime=crime))
    languages = profile.get("request_languages") or []
    if languages:
        out.append(note("languages", languages=", ".join(languages)))
        if profile.get("translation_required"):
            out.append(note("translation", languages=", ".join(languages)))
    if profile.get("channels"):
        out.append(note("channels", channels=", ".join(profile["channels"])))
    if profile.get("legal_basis"):
        out.append(note("legal_basis", basis="; ".join(profile["legal_basis"])))
    return out


def _assess(a: Authority, measure: str, crime: str, today: dt.date | None) -> tuple[Candidate | None, dict[str, Any]]:
    wanted = MEASURES[measure].competences
    ranks = [i for i, c in enumerate(wanted) if c in a.doc["competences"]]
    if not ranks:
        return None, note("no_competence", measure=measure)
    if measure not in a.profile.get("accepts", []):
        return None, note("not_accepted", measure=measure)
    best = ranks[0]
    cand = Candidate(a, COMPETENCE_POINTS[min(best, len(COMPETENCE_POINTS) - 1)])
    cand.reasons.append(note("competence", competence=wanted[best], rank=best + 1))
    if crime in a.doc.get("specialisations", []):
        cand.score += SPECIALISED
        cand.reasons.append(note("specialised", crime=crime))
    if measure in URGENT and a.doc.get("ops_24_7"):
        cand.score += OPERATIONAL
        cand.reasons.append(note("operational"))
    if a.stale(today):
        cand.score += STALE
        cand.reasons.append(note("stale", last_verified=a.last_verified.isoformat()))
    cand.conditions = conditions(a.profile, measure, crime)
    if any(c["code"] == "not_an_offence" for c in cand.conditions):
        cand.score += NOT_AN_OFFENCE
    return cand, {}


def route(db: Database, country: str, measure: str, crime: str, restricted: bool = False,
          today: dt.date | None = None) -> dict[str, Any]:
    """The competent authorities of `country` for `measure` about `crime`, best first, with reasons; plus the
    authorities that have a competence but whose profile does not accept the measure (with why)."""
    country, measure, crime = check_query(country, measure, crime)
    ranked: list[Candidate] = []
    excluded: list[dict[str, Any]] = []
    for a in listing(db, country=country):
        cand, why = _assess(a, measure, crime, today)
        if cand is not None:
            ranked.append(cand)
        elif why["code"] == "not_accepted":
            excluded.append({"authority": a.view(restricted), "reasons": [why]})
    ranked.sort(key=lambda c: (-c.score, c.authority.name, c.authority.id))
    return {"country": country, "measure": measure, "kind": MEASURES[measure].kind, "crime": crime,
            "coercive": MEASURES[measure].coercive,
            "authorities": [c.to_dict(restricted, i + 1) for i, c in enumerate(ranked)], "excluded": excluded}


def best(db: Database, country: str, measure: str, crime: str) -> Authority | None:
    """The first-ranked authority (the one a request is addressed to by default)."""
    country, measure, crime = check_query(country, measure, crime)
    found = [c for a in listing(db, country=country) if (c := _assess(a, measure, crime, None)[0]) is not None]
    found.sort(key=lambda c: (-c.score, c.authority.name, c.authority.id))
    return found[0].authority if found else None
