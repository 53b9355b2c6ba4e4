"""Case details drawn per victim or perpetrator: control, recruitment, assistance, consent, justice stage."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta

from tipnet.demo.volumes import pick, pick_some

_CONTROL = {
    "sexual": {
        "physical_threats": 6,
        "physical_abuse": 6,
        "sexual_abuse": 6,
        "psychoactive_substances": 4,
        "takes_earnings": 6,
        "debt_bondage": 6,
        "restricts_movement": 5,
        "withholds_documents": 3,
        "false_promises": 8,
        "psychological_abuse": 7,
        "threats_family": 3,
        "threats_law_enforcement": 2,
    },
    "labour": {
        "debt_bondage": 10,
        "withholds_documents": 8,
        "excessive_working_hours": 9,
        "takes_earnings": 6,
        "restricts_movement": 5,
        "false_promises": 10,
        "withholds_necessities": 4,
        "threats_law_enforcement": 4,
        "physical_threats": 3,
        "restricts_financial_access": 3,
        "restricts_medical_care": 2,
    },
    "other": {
        "psychological_abuse": 7,
        "physical_threats": 6,
        "threats_family": 5,
        "physical_abuse": 5,
        "false_promises": 5,
        "restricts_movement": 4,
        "other": 2,
    },
}
_RECRUITMENT = {
    "online_social_network": 8,
    "online_advertisement": 3,
    "employment_agency": 5,
    "friends": 7,
    "family": 5,
    "place_of_business": 3,
    "at_work": 2,
    "educational_institution": 1,
    "newspaper_advertisement": 1,
    "television_advertisement": 0.3,
    "abduction": 1.5,
    "other": 1,
}
_RELATIONSHIP = {
    "stranger": 25,
    "acquaintance": 25,
    "friend": 12,
    "intimate_partner": 12,
    "family": 10,
    "other": 3,
    "unknown": 13,
}
_PERPETRATOR_ROLES = {
    "recruiter": 10,
    "exploiter": 10,
    "controlled": 5,
    "transporter": 4,
    "harboured": 3,
    "received": 2,
    "sold": 2,
    "bought": 1.5,
    "broker_travel_agent": 2,
    "abuser": 2,
    "smuggler": 2,
    "kidnapper": 0.5,
    "transferred": 1,
    "travelling_partner": 0.5,
    "other": 0.5,
}
_LEGAL_STATUS = {
    "police": {"suspected": 60, "prosecuted": 30, "convicted": 10},
    "prosecution": {"suspected": 8, "prosecuted": 45, "convicted": 35, "acquitted": 12},
}
VICTIM_STATUS_POSSIBLE = {"hotline": 0.6, "ngo": 0.2, "social_services": 0.2, "labour_inspection": 0.25}
ASSISTED = {"ngo": 0.85, "social_services": 0.9}
CONSENT = {"police": 0.8, "prosecution": 0.85, "hotline": 0.7, "labour_inspection": 0.75}


def join(values: Sequence[str]) -> str:
    return ";".join(values)


def means_of_control(rng: random.Random, group: str) -> str:
    return join(pick_some(rng, _CONTROL[group], rng.choices((1, 2, 3), weights=(40, 40, 20))[0]))


def recruitment(rng: random.Random, group: str, child: bool, female_adult: bool) -> dict[str, str]:
    methods = dict(_RECRUITMENT)
    if group == "labour":
        methods |= {"employment_agency": 12, "newspaper_advertisement": 3}
    if group == "sexual":
        methods |= {"online_social_network": 14}
    if child:
        methods |= {"educational_institution": 3, "family": 9}
    relation = dict(_RELATIONSHIP)
    if child:
        relation |= {"family": 22}
    if group == "sexual" and female_adult:
        relation |= {"intimate_partner": 22}
    return {
        "recruitment_method": join(pick_some(rng, methods, 2 if rng.random() < 0.15 else 1)),
        "recruiter_relationship": pick(rng, relation),
    }


def victim_status(rng: random.Random, source_type: str) -> str:
    return "possible" if rng.random() < VICTIM_STATUS_POSSIBLE.get(source_type, 0.1) else "actual"


def assistance(
    rng: random.Random, source_type: str, on: date, *, foreign: bool, child: bool, sexual: bool
) -> dict[str, str]:
    if rng.random() >= ASSISTED.get(source_type, 0.3):
        return {}
    weights = {
        "psychological": 9.0,
        "legal": 7.0,
        "medical": 6.0,
        "shelter": 6.0,
        "social": 6.0,
        "reintegration": 4.0,
        "financial": 3.0,
        "livelihood": 2.0,
        "rights_training": 2.0,
    }
    if foreign:
        weights |= {"repatriation": 8.0, "interpretation": 3.0}
    if child:
        weights |= {"education": 6.0}
    if sexual:
        weights |= {"sexual_exploitation_rehabilitation": 3.0}
    chosen = pick_some(rng, weights, rng.choices((1, 2, 3, 4), weights=(30, 35, 25, 10))[0])
    start = on + timedelta(days=rng.randrange(0, 31))
    return {"assistance_types": join(chosen), "assistance_start_date": start.isoformat()}


def consent(rng: random.Random, source_type: str) -> dict[str, str]:
    if rng.random() < 0.1:
        return {}
    agrees = rng.random() < CONSENT.get(source_type, 0.92)
    out = {"consent_data_processing": str(agrees).lower()}
    out["consent_share_hub"] = str(agrees and rng.random() < 0.7).lower()
    out["consent_research"] = str(agrees and rng.random() < 0.5).lower()
    return out


def perpetrator(rng: random.Random, source_type: str) -> dict[str, str]:
    roles = pick_some(rng, _PERPETRATOR_ROLES, 2 if rng.random() < 0.35 else 1)
    return {
        "role": "perpetrator",
        "perpetrator_roles": join(roles),
        "legal_status": pick(rng, _LEGAL_STATUS.get(source_type, _LEGAL_STATUS["police"])),
    }


def exploitation_period(rng: random.Random, on: date) -> dict[str, str]:
    """Start and end of the exploitation, ending at or shortly before identification."""
    end = on - timedelta(days=rng.choice((0, 0, 0, 1, 3, 7, 30)))
    start = end - timedelta(days=rng.randrange(14, 1100))
    return {"exploitation_start_date": start.isoformat(), "exploitation_end_date": end.isoformat()}
