"""One country's agencies and original case records: victims grouped in cases, some with perpetrators."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from tipnet.demo import details
from tipnet.demo.areas import exploitation_point, recruitment_subdivision
from tipnet.demo.corrupt import Identity
from tipnet.demo.people import Agency, Person, age_on, base_identity, identity_fields, new_person
from tipnet.demo.profiles import CountryProfile
from tipnet.demo.reference import Place, Reference
from tipnet.demo.routes import Route, abroad_destinations, draw_citizenship, draw_route
from tipnet.demo.volumes import (
    draw_age,
    draw_case_size,
    draw_date,
    draw_form_group,
    draw_sex_age,
    form_codes,
    labour_sectors,
    pick,
    rng_for,
    sexual_types,
)

PERPETRATOR_RATIO = 0.11  # perpetrator rows per victim row (about 10% of all rows)
RETURNEE_SHARE = 0.04  # nationals detected at home after exploitation abroad
SAME_PROFILE = 0.7  # co-victims with the lead victim's sex and age group
SAME_ORIGIN = 0.85  # co-victims from the lead victim's country
RELATIVES = 0.12  # co-victims sharing the lead victim's family names
LABOUR_FORMS = frozenset({"forced_labour", "child_labour", "servitude"})
MINING_COUNTRIES = frozenset({"PER", "BOL", "COL", "GUY", "SUR", "VEN", "BRA", "ECU"})


@dataclass
class Record:
    agency: Agency
    case: str  # internal case token; output replaces it with the agency's case_id
    on: date
    person: Person
    fields: dict[str, str]
    kind: str = "original"  # original | within_country_duplicate | cross_country_duplicate
    seq: int = 0
    record_id: str = ""

    @property
    def role(self) -> str:
        return self.fields["role"]


@dataclass
class CountryBatch:
    alpha3: str
    agencies: list[Agency]
    records: list[Record] = field(default_factory=list)


def make_agencies(rng: random.Random, ref: Reference, iso: str, n_victims: int) -> list[Agency]:
    size = "small" if n_victims < 150 else "medium" if n_victims < 1500 else "large"
    lineup = rng.choice(ref.lineups[size])
    language = ref.countries[iso].language
    agencies = []
    for source_type in lineup:
        t = ref.agency_types[source_type]
        agencies.append(
            Agency(
                country=iso,
                source_type=source_type,
                code=t.code,
                name=t.names[language],
                file=f"{iso}/{iso}_{source_type}.csv",
                upper_names=t.perpetrators and rng.random() < 0.5,
                perpetrators=t.perpetrators,
                weight=t.weight,
                labour_weight=t.labour_weight,
            )
        )
    return agencies


def choose_agency(rng: random.Random, agencies: list[Agency], group: str) -> Agency:
    weights = [a.labour_weight if group == "labour" else a.weight for a in agencies]
    return rng.choices(agencies, weights=weights)[0]


def common_fields(agency: Agency, on: date, role: str) -> dict[str, str]:
    return {
        "reporting_country": agency.country,
        "agency": agency.name,
        "source_type": agency.source_type,
        "role": role,
        "identification_date": on.isoformat(),
    }


def route_fields(route: Route, place: Place | None, case: str = "") -> dict[str, str]:
    out = {
        "recruitment_country": route.recruitment_country,
        "exploitation_country": route.exploitation_country,
    }
    where = recruitment_subdivision(case, route.recruitment_country) if case else None
    if where is not None:
        out["recruitment_subdivision"] = where
    if route.transit:
        out["transit_countries"] = details.join(route.transit)
    if place is not None:
        out["exploitation_subdivision"], out["exploitation_place"] = place.subdivision, place.town
        point = exploitation_point(case, route.exploitation_country, place.subdivision) if case else None
        if point is not None:
            out["exploitation_latitude"], out["exploitation_longitude"] = f"{point[0]}", f"{point[1]}"
    return out


def exploitation_fields(
    rng: random.Random, iso: str, group: str, person: Person, child: bool
) -> dict[str, str]:
    forms = form_codes(rng, group, person.sex, child)
    out = {"forms_of_exploitation": details.join(forms)}
    if LABOUR_FORMS & set(forms):
        out["labour_sector"] = details.join(labour_sectors(rng, person.sex, forms, iso in MINING_COUNTRIES))
    if "sexual_exploitation" in forms and rng.random() < 0.6:
        out["sexual_exploitation_type"] = details.join(sexual_types(rng, child))
    return out


def victim_record(
    rng: random.Random,
    agency: Agency,
    case: str,
    on: date,
    person: Person,
    group: str,
    route: Route,
    place: Place | None,
) -> Record:
    child = age_on(person.birth_date, on) < 18
    fields = common_fields(agency, on, "victim")
    fields["victim_status"] = details.victim_status(rng, agency.source_type)
    fields |= identity_fields(rng, person, base_identity(person, agency), agency, on)
    fields |= exploitation_fields(rng, agency.country, group, person, child)
    if rng.random() < 0.75:
        fields["means_of_control"] = details.means_of_control(rng, group)
    if rng.random() < 0.6:
        female_adult = person.sex == "female" and not child
        fields |= details.recruitment(rng, group, child, female_adult)
    fields |= route_fields(route, place, case)
    if rng.random() < 0.5:
        period = details.exploitation_period(rng, on)
        start = date.fromisoformat(period["exploitation_start_date"])
        start = max(start, person.birth_date + timedelta(days=365))
        period["exploitation_start_date"] = min(start, on).isoformat()
        fields |= period
        fields["age_at_trafficking"] = str(age_on(person.birth_date, min(start, on)))
    foreign = person.citizenship != agency.country
    fields |= details.assistance(
        rng, agency.source_type, on, foreign=foreign, child=child, sexual=group == "sexual"
    )
    fields |= details.consent(rng, agency.source_type)
    return Record(agency, case, on, person, fields)


def perpetrator_record(
    rng: random.Random, ref: Reference, agency: Agency, case: str, on: date, key: str, victim: Person
) -> Record:
    citizenship = agency.country if rng.random() < 0.55 else victim.citizenship
    sex = "male" if rng.random() < 0.62 else "female"
    age = 20 + int(rng.betavariate(2.0, 4.0) * 45)
    person = new_person(rng, ref, key, sex, age, on, citizenship)
    fields = common_fields(agency, on, "perpetrator")
    identity = Identity(person.name, person.birth_date, agency.upper_names)
    fields |= identity_fields(rng, person, identity, agency, on)
    fields.setdefault("age", str(age))  # investigators always note at least an (estimated) age
    fields |= details.perpetrator(rng, agency.source_type)
    return Record(agency, case, on, person, fields)


def generate_country(
    seed: int, iso: str, n_victims: int, ref: Reference, profiles: Mapping[str, CountryProfile]
) -> CountryBatch:
    rng = rng_for(seed, "country", iso)
    profile = profiles[iso]
    batch = CountryBatch(iso, make_agencies(rng, ref, iso, n_victims))
    abroad = abroad_destinations(profiles, ref, iso)
    people = 0
    cases: list[tuple[Agency, str, date, Person]] = []
    remaining = n_victims
    while remaining > 0:
        token = f"{iso}#{len(cases) + 1}"
        sex, child = draw_sex_age(rng, profile)
        group = draw_form_group(rng, profile, sex, child)
        size = min(remaining, draw_case_size(rng, group))
        remaining -= size
        on, agency = draw_date(rng), choose_agency(rng, batch.agencies, group)
        origin = draw_citizenship(rng, profile)
        exploited_in = (
            pick(rng, abroad) if origin == iso and abroad and rng.random() < RETURNEE_SHARE else iso
        )
        case_route = draw_route(rng, ref, origin, exploited_in)
        places = ref.countries[exploited_in].places
        place = rng.choice(places) if rng.random() < 0.7 else None
        # Victims of one case exploited abroad are nationals returned home together.
        same_origin = SAME_ORIGIN if exploited_in == iso else 1.0
        lead: Person | None = None
        for _ in range(size):
            if lead is not None and rng.random() >= SAME_PROFILE:
                sex, child = draw_sex_age(rng, profile)
            citizenship = (
                origin if lead is None or rng.random() < same_origin else draw_citizenship(rng, profile)
            )
            relative = (
                lead.name if lead and citizenship == lead.citizenship and rng.random() < RELATIVES else None
            )
            people += 1
            person = new_person(
                rng, ref, f"P-{iso}-{people:06d}", sex, draw_age(rng, child), on, citizenship, relative
            )
            route = case_route if citizenship == origin else draw_route(rng, ref, citizenship, exploited_in)
            batch.records.append(victim_record(rng, agency, token, on, person, group, route, place))
            lead = lead or person
        assert lead is not None
        cases.append((agency, token, on, lead))
    _add_perpetrators(rng, ref, batch, cases, round(PERPETRATOR_RATIO * n_victims), people)
    for i, record in enumerate(batch.records):
        record.seq = i
    return batch


def _add_perpetrators(
    rng: random.Random,
    ref: Reference,
    batch: CountryBatch,
    cases: list[tuple[Agency, str, date, Person]],
    target: int,
    people: int,
) -> None:
    eligible = [c for c in cases if c[0].perpetrators]
    rng.shuffle(eligible)
    added = 0
    for agency, token, on, lead in eligible:
        if added >= target:
            break
        for _ in range(min(target - added, rng.choices((1, 2, 3), weights=(55, 30, 15))[0])):
            people += 1
            key = f"P-{batch.alpha3}-{people:06d}"
            batch.records.append(perpetrator_record(rng, ref, agency, token, on, key, lead))
            added += 1
