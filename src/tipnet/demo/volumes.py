"""How many victims each country gets, and the sex/age/exploitation draws from the GLOTIP profiles."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from itertools import accumulate

from tipnet.demo.profiles import CountryProfile

TARGET_VICTIMS = 27_000  # victims (before duplicates and perpetrators) over all countries at scale 1
FLOOR = 30  # fewest victims per country at scale 1
YEARS = tuple(range(2015, 2025))
_YEAR_WEIGHTS = tuple(1.0 + 0.06 * i for i in range(len(YEARS)))  # detection grows slowly over the decade


def rng_for(seed: int, *parts: object) -> random.Random:
    """A reproducible stream for one purpose (never Python's hash(), which is salted per process)."""
    digest = hashlib.sha256(":".join(str(p) for p in (seed, *parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def pick(rng: random.Random, weights: Mapping[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def pick_some(rng: random.Random, weights: Mapping[str, float], k: int) -> list[str]:
    """k distinct keys drawn by weight, in draw order."""
    pool = dict(weights)
    out: list[str] = []
    while pool and len(out) < k:
        key = pick(rng, pool)
        out.append(key)
        del pool[key]
    return out


def victim_counts(
    profiles: Mapping[str, CountryProfile], members: Sequence[str], scale: float
) -> dict[str, int]:
    """Victims per country: proportional to GLOTIP's yearly detections, with a floor for every state."""
    weights = {iso: profiles[iso].annual_victims or 0.0 for iso in members}
    total = sum(weights.values()) or 1.0
    floor = max(6, round(FLOOR * scale))
    return {iso: max(floor, round(TARGET_VICTIMS * scale * w / total)) for iso, w in weights.items()}


def draw_sex_age(rng: random.Random, profile: CountryProfile) -> tuple[str, bool]:
    """(sex, is_child) for a new victim."""
    cell = pick(rng, profile.sex_age)
    sex, _, age = cell.partition("_")
    if rng.random() < profile.other_sex:
        sex = "other"
    return sex, age == "child"


def cell_of(sex: str, child: bool) -> str:
    return f"{'male' if sex == 'male' else 'female'}_{'child' if child else 'adult'}"


def draw_form_group(rng: random.Random, profile: CountryProfile, sex: str, child: bool) -> str:
    """GLOTIP's three-way split: 'sexual', 'labour' or 'other'."""
    return pick(rng, profile.forms[cell_of(sex, child)])


_CHILD_AGES = tuple(range(3, 18))
_CHILD_CUM = tuple(accumulate(max(1, a - 6) ** 1.6 for a in _CHILD_AGES))
_ADULT_AGES = tuple(range(18, 66))
_ADULT_CUM = tuple(accumulate(1.0 / (1 + 0.09 * (a - 18)) ** 2 for a in _ADULT_AGES))


def draw_age(rng: random.Random, child: bool) -> int:
    """Age at identification: children mostly 12-17, adults mostly young."""
    if child:
        return rng.choices(_CHILD_AGES, cum_weights=_CHILD_CUM)[0]
    return rng.choices(_ADULT_AGES, cum_weights=_ADULT_CUM)[0]


def draw_date(rng: random.Random) -> date:
    year = rng.choices(YEARS, weights=_YEAR_WEIGHTS)[0]
    return date(year, 1, 1) + timedelta(days=rng.randrange(366 if year % 4 == 0 else 365))


def draw_case_size(rng: random.Random, group: str) -> int:
    if group == "labour":
        return rng.choices([1, 2, 3, 4, 6, 9, 14], weights=[45, 14, 10, 10, 9, 7, 5])[0]
    return rng.choices([1, 2, 3, 4, 6], weights=[68, 15, 8, 6, 3])[0]


# Specific codes of the exploitation_form vocabulary behind GLOTIP's groups, for (child, sex).
def form_codes(rng: random.Random, group: str, sex: str, child: bool) -> list[str]:
    if group == "sexual":
        main = "sexual_exploitation"
    elif group == "labour":
        if child:
            main = pick(rng, {"child_labour": 5, "forced_labour": 3, "servitude": 2})
        else:
            main = pick(rng, {"forced_labour": 8, "servitude": 3 if sex == "female" else 1})
    else:
        weights = {
            "forced_begging": 2.0,
            "forced_criminality": 3.0,
            "forced_marriage": 1.5,
            "illegal_adoption": 0.3,
            "forced_military": 0.4,
            "organ_removal": 0.2,
            "surrogacy": 0.2,
            "other": 1.0,
        }
        if child:
            weights |= {"forced_begging": 9.0, "illegal_adoption": 0.8, "forced_military": 1.0}
        if sex == "male":
            weights |= {"forced_marriage": 0.2, "surrogacy": 0.0}
        main = pick(rng, weights)
    forms = [main]
    if rng.random() < 0.12:  # mixed exploitation, e.g. sexual exploitation and forced labour
        second = {
            "sexual": ["forced_labour", "forced_criminality", "servitude"],
            "labour": ["sexual_exploitation", "forced_criminality"],
            "other": ["sexual_exploitation", "forced_labour"],
        }[group]
        extra = rng.choice(second)
        if extra != main:
            forms.append(extra)
    return forms


LABOUR_SECTORS = {"A": 30, "C": 12, "F": 12, "T": 14, "B": 7, "I": 10, "G": 6, "S": 5, "N": 2, "H": 2}


def labour_sectors(rng: random.Random, sex: str, forms: Sequence[str], mining: bool) -> list[str]:
    weights = dict(LABOUR_SECTORS)
    if "servitude" in forms:
        weights |= {"T": 80}
    if sex == "female":
        weights |= {"T": weights["T"] * 2, "F": 3, "B": 2}
    if mining:
        weights |= {"B": 25}
    return pick_some(rng, weights, 2 if rng.random() < 0.1 else 1)


SEXUAL_TYPES = {"prostitution": 70, "private_sexual_services": 12, "pornography": 10, "remote_interactive": 8}


def sexual_types(rng: random.Random, child: bool) -> list[str]:
    weights = SEXUAL_TYPES | ({"pornography": 22, "remote_interactive": 14} if child else {})
    return pick_some(rng, weights, 2 if rng.random() < 0.15 else 1)
