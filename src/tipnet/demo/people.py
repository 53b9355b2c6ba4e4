"""Persons (true identities) and the fields an agency writes about them."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from tipnet.demo.corrupt import Identity
from tipnet.demo.names import PersonName, draw_name, language_of, pool_for
from tipnet.demo.reference import NamePool, Reference

LAST_DAY = date(2024, 12, 31)


@dataclass(frozen=True)
class Agency:
    country: str
    source_type: str
    code: str  # three letters used in record_id and case_id
    name: str
    file: str  # path of its CSV relative to the output folder
    upper_names: bool  # writes names in capitals
    perpetrators: bool  # records perpetrators
    weight: float
    labour_weight: float


@dataclass(frozen=True)
class Person:
    """A true person: every record of them derives from this."""

    key: str
    sex: str
    name: PersonName
    birth_date: date
    place_of_birth: str
    citizenship: str
    pool: NamePool
    language: str


@dataclass(frozen=True)
class Recording:
    """How completely an agency of one source type records identifying data."""

    birth_date: float
    age_without_birth_date: float
    place_of_birth: float


RECORDING = {
    "police": Recording(0.85, 0.7, 0.6),
    "prosecution": Recording(0.92, 0.8, 0.7),
    "ngo": Recording(0.75, 0.8, 0.5),
    "hotline": Recording(0.3, 0.6, 0.2),
    "labour_inspection": Recording(0.7, 0.7, 0.4),
    "social_services": Recording(0.85, 0.8, 0.6),
}


def years_before(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February
        return d.replace(year=d.year - years, day=28)


def age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def birth_date_for(rng: random.Random, age: int, on: date) -> date:
    """A birth date that makes the person exactly `age` on `on`."""
    latest = years_before(on, age)
    earliest = years_before(on, age + 1) + timedelta(days=1)
    return earliest + timedelta(days=rng.randrange((latest - earliest).days + 1))


def new_person(
    rng: random.Random,
    ref: Reference,
    key: str,
    sex: str,
    age: int,
    on: date,
    citizenship: str,
    relative: PersonName | None = None,
) -> Person:
    pool = pool_for(rng, ref, citizenship)
    country = ref.countries[citizenship]
    name = draw_name(rng, pool, sex, country.family_names if pool.key == country.names else ())
    if relative is not None:
        name = PersonName(name.given, relative.family)
    return Person(
        key=key,
        sex=sex,
        name=name,
        birth_date=birth_date_for(rng, age, on),
        place_of_birth=rng.choice(country.places).label,
        citizenship=citizenship,
        pool=pool,
        language=language_of(pool, country),
    )


def gender_of(rng: random.Random, sex: str) -> str:
    if sex == "female":
        return "feminine"
    if sex == "male":
        return "masculine"
    return rng.choice(("transgender_feminine", "transgender_masculine", "transgender", "non_conforming"))


def identity_fields(
    rng: random.Random, person: Person, identity: Identity, agency: Agency, on: date
) -> dict[str, str]:
    """Identifying and demographic fields as `agency` writes them on `on`."""
    rec = RECORDING[agency.source_type]
    given, family = identity.render()
    fields = {
        "given_names": given,
        "family_names": family,
        "sex": person.sex,
        "citizenship": person.citizenship,
    }
    birth = identity.birth_date if rng.random() < rec.birth_date else None
    if birth is not None and birth < on:
        fields["birth_date"] = birth.isoformat()
        fields["age"] = str(age_on(birth, on))
    elif rng.random() < rec.age_without_birth_date:
        fields["age"] = str(age_on(person.birth_date, on))
    if rng.random() < rec.place_of_birth:
        fields["place_of_birth"] = person.place_of_birth
    fields["gender"] = gender_of(rng, person.sex)
    fields["primary_language"] = person.language
    return fields


def base_identity(person: Person, agency: Agency) -> Identity:
    return Identity(person.name, person.birth_date, upper=agency.upper_names)
