"""Planted duplicates (same person, second record, realistic differences) and planted invalid values."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from tipnet.demo import details
from tipnet.demo.cases import CountryBatch, Record, common_fields
from tipnet.demo.corrupt import corrupt
from tipnet.demo.people import LAST_DAY, Agency, base_identity, identity_fields
from tipnet.demo.volumes import rng_for

WITHIN_SHARE = 0.05  # victims recorded again by a second agency of the same country
CROSS_SHARE = 0.025  # transnational victims (from a member state) recorded again in their origin country
INVALID_SHARE = 0.005  # rows given one invalid value
# Fields a second record re-derives instead of copying.
_PER_RECORD = frozenset(
    {
        "given_names",
        "family_names",
        "birth_date",
        "age",
        "place_of_birth",
        "gender",
        "primary_language",
        "victim_status",
        "assistance_types",
        "assistance_start_date",
        "consent_data_processing",
        "consent_share_hub",
        "consent_research",
        "reporting_country",
        "agency",
        "source_type",
        "role",
        "identification_date",
    }
)
# (field, value) written into planted invalid rows, in turn.
INVALID_VALUES = (
    ("identification_date", "2019-13-45"),
    ("age", "150"),
    ("forms_of_exploitation", "sport_exploitation"),
    ("citizenship", "Atlantis"),
)


@dataclass(frozen=True)
class Invalid:
    file: str
    record: Record
    field: str
    value: str


def _second_record(
    rng: random.Random, original: Record, agency: Agency, case: str, on: date, kind: str
) -> Record:
    person = original.person
    identity, _ = corrupt(rng, base_identity(person, agency), person.pool)
    fields = common_fields(agency, on, "victim")
    fields["victim_status"] = details.victim_status(rng, agency.source_type)
    fields |= identity_fields(rng, person, identity, agency, on)
    fields |= {k: v for k, v in original.fields.items() if k not in _PER_RECORD}
    for optional in (
        "means_of_control",
        "recruitment_method",
        "recruiter_relationship",
        "sexual_exploitation_type",
    ):
        if optional in fields and rng.random() < 0.3:  # the second agency did not ask
            del fields[optional]
    child = int(fields.get("age", "18")) < 18
    foreign = person.citizenship != agency.country
    sexual = "sexual_exploitation" in fields.get("forms_of_exploitation", "")
    fields |= details.assistance(rng, agency.source_type, on, foreign=foreign, child=child, sexual=sexual)
    fields |= details.consent(rng, agency.source_type)
    return Record(agency, case, on, person, fields, kind=kind, seq=original.seq)


def _pick_agency(rng: random.Random, agencies: list[Agency], prefer: Mapping[str, float]) -> Agency:
    return rng.choices(agencies, weights=[prefer.get(a.source_type, a.weight) for a in agencies])[0]


def plant_within(seed: int, batch: CountryBatch) -> list[Record]:
    """Second records, by another agency of the same country, of about WITHIN_SHARE of the victims."""
    rng = rng_for(seed, "within", batch.alpha3)
    groups: dict[tuple[str, str], tuple[str, date]] = {}
    out = []
    for original in batch.records:
        if original.role != "victim" or original.kind != "original" or rng.random() >= WITHIN_SHARE:
            continue
        others = [a for a in batch.agencies if a is not original.agency]
        agency = _pick_agency(rng, others, {})
        later = min(LAST_DAY, original.on + timedelta(days=rng.randrange(0, 120)))
        case, on = groups.setdefault((original.case, agency.file), (f"{original.case}~{agency.code}", later))
        out.append(_second_record(rng, original, agency, case, on, "within_country_duplicate"))
    return out


def plant_cross(seed: int, batches: Mapping[str, CountryBatch]) -> dict[str, list[Record]]:
    """Records, in the origin country, of about CROSS_SHARE of the victims detected abroad (e.g. returned)."""
    out: dict[str, list[Record]] = {iso: [] for iso in batches}
    prefer = {
        "ngo": 0.4,
        "social_services": 0.4,
        "police": 0.3,
        "prosecution": 0.05,
        "labour_inspection": 0.02,
    }
    for iso, batch in batches.items():
        rng = rng_for(seed, "cross", iso)
        groups: dict[tuple[str, str], tuple[str, date]] = {}
        for original in batch.records:
            origin = original.person.citizenship
            if (
                original.role != "victim"
                or original.kind != "original"
                or origin == iso
                or origin not in batches
            ):
                continue
            if rng.random() >= CROSS_SHARE:
                continue
            agency = _pick_agency(rng, batches[origin].agencies, prefer)
            later = min(LAST_DAY, original.on + timedelta(days=rng.randrange(20, 400)))
            case, on = groups.setdefault(
                (original.case, agency.file), (f"{original.case}~{agency.code}", later)
            )
            record = _second_record(rng, original, agency, case, on, "cross_country_duplicate")
            for detail in ("transit_countries", "exploitation_subdivision", "exploitation_place"):
                # The origin country knows less of the route.
                if detail in record.fields and rng.random() < 0.5:
                    del record.fields[detail]
            out[origin].append(record)
    return out


def plant_invalid(seed: int, batches: Mapping[str, CountryBatch]) -> list[Invalid]:
    """Give about INVALID_SHARE of the rows one invalid value, on victims that have no second record."""
    rng = rng_for(seed, "invalid")
    records = [r for iso in sorted(batches) for r in batches[iso].records]
    seen: dict[str, int] = {}
    for r in records:
        seen[r.person.key] = seen.get(r.person.key, 0) + 1
    candidates = [r for r in records if r.role == "victim" and seen[r.person.key] == 1]
    n = max(len(INVALID_VALUES), round(INVALID_SHARE * len(records)))
    chosen = rng.sample(candidates, min(n, len(candidates)))
    planted = []
    for i, record in enumerate(chosen):
        name, value = INVALID_VALUES[i % len(INVALID_VALUES)]
        record.fields[name] = value
        if name == "age":
            record.fields.pop("birth_date", None)
        planted.append(Invalid(record.agency.file, record, name, value))
    return planted


def attach(batches: Mapping[str, CountryBatch], extra: Mapping[str, list[Record]]) -> None:
    for iso, records in extra.items():
        batches[iso].records.extend(records)
