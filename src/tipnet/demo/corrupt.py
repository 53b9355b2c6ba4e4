"""Realistic recording differences between two records of the same person (for planted duplicates)."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, timedelta

from tipnet.demo.names import PersonName
from tipnet.demo.reference import NamePool


def _neighbour_keys() -> dict[str, str]:
    """Keys next to each letter on a QWERTY keyboard, for substitution typos."""
    rows = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
    near: dict[str, str] = {}
    for r, row in enumerate(rows):
        for i, ch in enumerate(row):
            around = row[max(0, i - 1) : i] + row[i + 1 : i + 2]
            for other in rows[max(0, r - 1) : r] + rows[r + 1 : r + 2]:
                around += other[i : i + 1]
            near[ch] = around
    return near


_NEAR = _neighbour_keys()


@dataclass(frozen=True)
class Identity:
    """The identifying fields as one agency writes them."""

    name: PersonName
    birth_date: date | None
    upper: bool = False  # written in capitals
    plain: bool = False  # accents dropped

    def render(self) -> tuple[str, str]:
        given, family = self.name.given_text, self.name.family_text
        if self.plain:
            given, family = strip_accents(given), strip_accents(family)
        if self.upper:
            given, family = given.upper(), family.upper()
        return given, family


def strip_accents(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def typo(rng: random.Random, word: str) -> str:
    """One keyboard slip: substitution by a neighbouring key, deletion, transposition or a doubled letter."""
    if len(word) < 4:
        return word + word[-1]
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("sub", "del", "swap", "double"))
    if kind == "sub" and word[i].lower() in _NEAR:
        ch = rng.choice(_NEAR[word[i].lower()])
        return word[:i] + (ch.upper() if word[i].isupper() else ch) + word[i + 1 :]
    if kind == "del":
        return word[:i] + word[i + 1 :]
    if kind == "swap" and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[: i + 1] + word[i] + word[i + 1 :]


def _typo_in(rng: random.Random, parts: tuple[str, ...]) -> tuple[str, ...]:
    i = rng.randrange(len(parts))
    words = parts[i].split(" ")
    j = max(range(len(words)), key=lambda k: (len(words[k]), -k))  # the longest word, not a particle
    words[j] = typo(rng, words[j])
    return parts[:i] + (" ".join(words),) + parts[i + 1 :]


def birth_date_typo(rng: random.Random, d: date) -> date:
    """Day and month swapped, a day off, or a year digit slipped."""
    if d.day <= 12 and d.day != d.month and rng.random() < 0.4:
        return date(d.year, d.day, d.month)
    if rng.random() < 0.5:
        return d + timedelta(days=rng.choice((-1, 1, 10, -10)))
    try:
        return d.replace(year=d.year + rng.choice((-1, 1, -10)))
    except ValueError:  # 29 February
        return d + timedelta(days=1)


def _available(identity: Identity, pool: NamePool) -> list[str]:
    name = identity.name
    ops = ["typo_given", "typo_family", "typo_family"]
    if len(name.family) >= 2:
        ops += ["swap_surnames", "drop_surname", "drop_surname"]
    if len(name.given) >= 2:
        ops.append("drop_middle")
    if name.given[0] in pool.nicknames:
        ops += ["nickname", "nickname"]
    if strip_accents(name.given_text + name.family_text) != name.given_text + name.family_text:
        ops += ["no_accents", "no_accents"]
    if identity.birth_date is not None:
        ops += ["birth_date_typo", "birth_date_missing"]
    ops += ["fields_swapped"] if pool.family_first else []
    return ops


def corrupt(rng: random.Random, identity: Identity, pool: NamePool) -> tuple[Identity, list[str]]:
    """A second agency's version of `identity`: one to three differences, returned with their names."""
    n_ops = rng.choices((1, 2, 3), weights=(45, 40, 15))[0]
    applied: list[str] = []
    for _ in range(n_ops):
        options = [op for op in _available(identity, pool) if op not in applied]
        if not options:
            break
        op = rng.choice(options)
        identity = _apply(rng, op, identity, pool)
        applied.append(op)
    return identity, applied


def _apply(rng: random.Random, op: str, identity: Identity, pool: NamePool) -> Identity:
    name = identity.name
    if op == "typo_given":
        return replace(identity, name=PersonName(_typo_in(rng, name.given), name.family))
    if op == "typo_family":
        return replace(identity, name=PersonName(name.given, _typo_in(rng, name.family)))
    if op == "swap_surnames":
        return replace(identity, name=PersonName(name.given, tuple(reversed(name.family))))
    if op == "drop_surname":
        # Spanish records keep the paternal (first) surname; Portuguese ones the paternal (last).
        kept = name.family[-1:] if pool.key == "pt" else name.family[:1]
        return replace(identity, name=PersonName(name.given, kept))
    if op == "drop_middle":
        return replace(identity, name=PersonName(name.given[:1], name.family))
    if op == "nickname":
        return replace(identity, name=PersonName((rng.choice(pool.nicknames[name.given[0]]),), name.family))
    if op == "no_accents":
        return replace(identity, plain=True)
    if op == "birth_date_typo" and identity.birth_date is not None:
        return replace(identity, birth_date=birth_date_typo(rng, identity.birth_date))
    if op == "birth_date_missing":
        return replace(identity, birth_date=None)
    if op == "fields_swapped":
        return replace(identity, name=PersonName(name.family, name.given))
    return identity
