"""Synthetic names in each naming tradition (two surnames in Spanish, particles, compound given names)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from tipnet.demo.reference import Country, NamePool, Reference

# ISO 639 code of the language behind a name pool, where it differs from the pool key.
_POOL_LANGUAGE = {"fil": "tl"}


@dataclass(frozen=True)
class PersonName:
    given: tuple[str, ...]
    family: tuple[str, ...]  # in the order the tradition writes them (es: paternal, maternal)

    @property
    def given_text(self) -> str:
        return " ".join(self.given)

    @property
    def family_text(self) -> str:
        return " ".join(self.family)


def pool_for(rng: random.Random, ref: Reference, citizenship: str) -> NamePool:
    """The name pool of a national of `citizenship` (countries with several traditions draw one)."""
    country = ref.countries[citizenship]
    r = rng.random()
    for key, share in country.mix:
        if r < share:
            return ref.pools[key]
        r -= share
    return ref.pools[country.names]


def language_of(pool: NamePool, country: Country) -> str:
    """primary_language (ISO 639) for a person named from `pool` who is a national of `country`."""
    if pool.key == country.names:
        return country.person_language
    return _POOL_LANGUAGE.get(pool.key, pool.key)


def given_pool(pool: NamePool, sex: str, rng: random.Random) -> tuple[str, ...]:
    if sex == "female":
        return pool.female
    if sex == "male":
        return pool.male
    return rng.choice((pool.female, pool.male))


LOCAL_SHARE = 0.35  # family names drawn from the country's own frequent names


def draw_name(rng: random.Random, pool: NamePool, sex: str, local: tuple[str, ...] = ()) -> PersonName:
    """A name from `pool`; `local` holds the country's frequent family names."""
    names = given_pool(pool, sex, rng)
    given = [rng.choice(names)]
    if rng.random() < pool.middle_share:
        second = rng.choice(names)
        if second != given[0] and "-" not in given[0]:
            given.append(second)
    n_family = rng.choice(pool.surnames)
    family: list[str] = []
    while len(family) < n_family:
        if pool.particles and rng.random() < pool.particle_share:
            surname = rng.choice(pool.particles)
        elif local and rng.random() < LOCAL_SHARE:
            surname = rng.choice(local)
        else:
            surname = rng.choice(pool.family)
        if surname not in family:
            family.append(surname)
    return PersonName(tuple(given), tuple(family))
