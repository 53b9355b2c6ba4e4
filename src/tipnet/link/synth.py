"""A hard, seeded set of the region's identities for linkage tests and benchmarks, with ground truth.

Persons come in families that share both surnames and the town (siblings, and twins who also share the birth
date), names are drawn with Zipf weights so that "María García López" is common, and each record of a person is
written down by an agency with realistic differences: accents lost, short forms of given names, middle names
dropped, surnames swapped or one dropped, particles dropped or glued ("Delacruz"), hyphenated compounds split or
joined, given and family names swapped, keyboard typos, birth dates missing or mistyped, towns missing or mistyped.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tipnet.link.normalise import fold, knowledge

DATA_FILE = Path(__file__).parent / "data" / "synth.yaml"
COLUMNS = ("record_id", "given_names", "family_names", "birth_date", "sex", "place_of_birth", "person_key")


@dataclass(frozen=True)
class Noise:
    """Probabilities of each recording difference, per record."""

    no_accents: float = 0.5
    upper: float = 0.3
    nickname: float = 0.15
    drop_middle: float = 0.3
    typo_given: float = 0.12
    typo_family: float = 0.15
    swap_surnames: float = 0.08
    drop_surname: float = 0.15
    particle_variant: float = 0.5
    compound_variant: float = 0.5
    swap_fields: float = 0.04
    dob_missing: float = 0.12
    dob_typo: float = 0.08
    place_missing: float = 0.1
    place_typo: float = 0.05
    sex_missing: float = 0.03


@dataclass(frozen=True)
class Person:
    key: str
    tradition: str
    given: tuple[str, ...]
    family: tuple[str, ...]
    sex: str
    birth: date
    place: str


@dataclass
class SynthSet:
    """Records per country (columns of :data:`COLUMNS`) and the persons behind them."""

    countries: dict[str, dict[str, list[str]]]
    persons: dict[str, Person] = field(default_factory=dict)

    def truth_pairs(self, a: str, b: str) -> set[tuple[str, str]]:
        """(record id in a, record id in b) of every pair of records of the same person."""
        by_person: dict[str, list[str]] = {}
        for rid, pk in zip(self.countries[b]["record_id"], self.countries[b]["person_key"], strict=True):
            by_person.setdefault(pk, []).append(rid)
        return {(ra, rb) for ra, pk in zip(self.countries[a]["record_id"], self.countries[a]["person_key"],
                                           strict=True) for rb in by_person.get(pk, [])}


@cache
def _pools() -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    return raw


def _zipf(rng: random.Random, items: Sequence[str], s: float = 0.8) -> str:
    weights = _weights(len(items), s)
    return rng.choices(items, cum_weights=weights)[0]


@cache
def _weights(n: int, s: float) -> list[float]:
    acc, out = 0.0, []
    for r in range(n):
        acc += 1.0 / (r + 1) ** s
        out.append(acc)
    return out


def _strip(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 4:
        return word + word[-1]
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("sub", "del", "swap", "double", "ins"))
    if kind == "sub":
        low = word[i].lower()
        row = next((r for r in _ROWS if low in r), None)
        if row:
            j = row.index(low)
            ch = rng.choice(row[max(0, j - 1):j] + row[j + 1:j + 2] or row)
            return word[:i] + (ch.upper() if word[i].isupper() else ch) + word[i + 1:]
    if kind == "del":
        return word[:i] + word[i + 1:]
    if kind == "swap" and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "ins":
        return word[:i] + rng.choice("aeiourns") + word[i:]
    return word[:i + 1] + word[i] + word[i + 1:]


def _typo_in(rng: random.Random, parts: list[str]) -> list[str]:
    i = rng.randrange(len(parts))
    words = parts[i].split(" ")
    j = max(range(len(words)), key=lambda k: (len(words[k]), -k))
    words[j] = _typo(rng, words[j])
    return parts[:i] + [" ".join(words)] + parts[i + 1:]


@cache
def _nicknames_of() -> dict[str, list[str]]:
    rev: dict[str, list[str]] = {}
    for nick, canon in knowledge().nicknames.items():
        if len(canon) == 1:
            rev.setdefault(canon[0], []).append(nick)
    return rev


class _Population:
    def __init__(self, rng: random.Random, start_year: int = 1965, end_year: int = 2020) -> None:
        self.rng = rng
        self.pools = _pools()
        self.years = (start_year, end_year)
        self.n = 0
        trads = self.pools["traditions"]
        self.trad_names = list(trads)
        self.trad_cum = _cum([trads[t]["share"] for t in self.trad_names])

    def _surname(self, t: dict[str, Any], taken: list[str]) -> str:
        while True:
            if t["particles"] and self.rng.random() < t["particle_share"]:
                s = self.rng.choice(t["particles"])
            else:
                s = _zipf(self.rng, t["family"])
            if s not in taken:
                return s

    def family(self) -> list[Person]:
        rng = self.rng
        trad = rng.choices(self.trad_names, cum_weights=self.trad_cum)[0]
        t = self.pools["traditions"][trad]
        n_sur = t["surnames"] if isinstance(t["surnames"], int) else rng.choice(t["surnames"])
        surnames: list[str] = []
        while len(surnames) < n_sur:
            surnames.append(self._surname(t, surnames))
        place = _zipf(rng, self.pools["places"], 0.7)
        size = rng.choices((1, 2, 3, 4, 5), weights=(45, 25, 15, 10, 5))[0]
        base = date(rng.randint(*self.years), 1, 1) + timedelta(days=rng.randrange(365))
        latest = date(self.years[1], 12, 31)
        births = [min(latest, base + timedelta(days=rng.randrange(-8 * 365, 8 * 365))) for _ in range(size)]
        if size >= 2 and rng.random() < 0.15:  # twins
            births[1] = births[0]
        out = []
        used_given: set[str] = set()
        for b in births:
            sex = rng.choice(("female", "male"))
            names = t[sex]
            first = _zipf(rng, names, 0.9)
            while first in used_given and len(used_given) < len(names) // 2:
                first = _zipf(rng, names, 0.9)
            used_given.add(first)
            given = [first]
            if rng.random() < t["middle_share"]:
                second = _zipf(rng, names, 0.9)
                if second != first and "-" not in first:
                    given.append(second)
            self.n += 1
            out.append(Person(f"P{self.n:07d}", trad, tuple(given), tuple(surnames), sex, b, place))
        return out


def _cum(ws: Sequence[float]) -> list[float]:
    acc, out = 0.0, []
    for w in ws:
        acc += w
        out.append(acc)
    return out


def _date_typo(rng: random.Random, d: date) -> date:
    if d.day <= 12 and d.day != d.month and rng.random() < 0.4:
        return date(d.year, d.day, d.month)
    if rng.random() < 0.5:
        return d + timedelta(days=rng.choice((-1, 1, 10, -10)))
    try:
        return d.replace(year=d.year + rng.choice((-1, 1, -10)))
    except ValueError:
        return d + timedelta(days=1)


def _family_variant(rng: random.Random, family: list[str], p: Noise) -> list[str]:
    kb = knowledge()
    out = []
    for s in family:
        words = s.split(" ")
        if len(words) > 1 and fold(words[0]) in kb.particles and rng.random() < p.particle_variant:
            if rng.random() < 0.5:
                s = words[-1]  # "de la Cruz" -> "Cruz"
            else:
                s = words[0].capitalize() + "".join(w.lower() for w in words[1:])  # -> "Delacruz"
        elif "-" in s and rng.random() < p.compound_variant:
            s = s.replace("-", " ") if rng.random() < 0.5 else s.replace("-", "")
        out.append(s)
    return out


def render(rng: random.Random, person: Person, p: Noise) -> dict[str, str]:
    """One agency's record of ``person``."""
    given = list(person.given)
    family = list(person.family)
    nicks = _nicknames_of().get(fold(given[0]))
    if nicks and rng.random() < p.nickname:
        given = [rng.choice(nicks).capitalize()]
    if len(given) > 1 and rng.random() < p.drop_middle:
        given = given[:1]
    if len(family) > 1 and rng.random() < p.swap_surnames:
        family = family[::-1]
    if len(family) > 1 and rng.random() < p.drop_surname:
        family = family[-1:] if person.tradition == "pt" else family[:1]
    family = _family_variant(rng, family, p)
    if rng.random() < p.typo_given:
        given = _typo_in(rng, given)
    if rng.random() < p.typo_family:
        family = _typo_in(rng, family)
    g, f = " ".join(given), " ".join(family)
    if rng.random() < p.swap_fields:
        g, f = f, g
    if rng.random() < p.no_accents:
        g, f = _strip(g), _strip(f)
    if rng.random() < p.upper:
        g, f = g.upper(), f.upper()
    birth: date | None = person.birth
    if rng.random() < p.dob_missing:
        birth = None
    elif rng.random() < p.dob_typo:
        birth = _date_typo(rng, person.birth)
    place = person.place
    if rng.random() < p.place_missing:
        place = ""
    elif rng.random() < p.place_typo:
        place = _typo(rng, place)
    sex = "" if rng.random() < p.sex_missing else person.sex
    return {"given_names": g, "family_names": f, "birth_date": birth.isoformat() if birth else "", "sex": sex,
            "place_of_birth": place}


def generate(n: int, countries: Sequence[str] = ("AAA", "BBB"), overlap: float = 0.5, seed: int = 2026,
             noise: Noise = Noise()) -> SynthSet:
    """``n`` records per country; about ``overlap`` of each country's records are persons also recorded in
    another country (with two countries: exactly ``round(overlap * n)`` shared persons, one record each side).
    Relatives (same surnames and town, twins with the same birth date) land anywhere, as hard negatives."""
    if not 0 <= overlap <= 1:
        raise ValueError("overlap must be between 0 and 1")
    rng = random.Random(f"tipnet-synth:{seed}")
    k = len(countries)
    shared = round(overlap * n)
    travellers = shared if k == 2 else max(1, round(shared * k / 2))
    need = travellers + k * (n - shared)
    pop = _Population(rng)
    persons: list[Person] = []
    while len(persons) < need:
        persons.extend(pop.family())
    rng.shuffle(persons)  # relatives are split across roles and countries
    persons = persons[:need]
    assign: dict[str, list[Person]] = {c: [] for c in countries}
    trav, locals_ = persons[:travellers], persons[travellers:]
    if k == 2:
        for c in countries:
            assign[c].extend(trav)
    else:
        for c in countries:
            assign[c].extend(rng.sample(trav, min(shared, len(trav))))
    for i, c in enumerate(countries):
        assign[c].extend(locals_[i * (n - shared):(i + 1) * (n - shared)])
    out: dict[str, dict[str, list[str]]] = {}
    for c in countries:
        people = assign[c]
        rng.shuffle(people)
        cols: dict[str, list[str]] = {name: [] for name in COLUMNS}
        for j, person in enumerate(people):
            rec = render(rng, person, noise)
            rec |= {"record_id": f"{c}-{j + 1:07d}", "person_key": person.key}
            for name in COLUMNS:
                cols[name].append(rec[name])
        out[c] = cols
    return SynthSet(out, {p.key: p for p in persons})
