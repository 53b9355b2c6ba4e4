"""The independent benchmark generator (benchmarks/latam_names.py): reproducible from its seed, and it makes the
corruptions its docstring claims at about its rates."""

import importlib.util
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from tipnet.link.normalise import fold

_spec = importlib.util.spec_from_file_location("latam_names",
                                              Path(__file__).parents[1] / "benchmarks" / "latam_names.py")
assert _spec is not None and _spec.loader is not None
latam = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(latam)

DRAWS = 6000


def test_same_seed_same_records_other_seed_other_records():
    one, two, other = latam.generate(500, seed=3), latam.generate(500, seed=3), latam.generate(500, seed=4)
    assert one == two
    assert one["AAA"]["given_names"] != other["AAA"]["given_names"]


def test_countries_share_half_of_their_persons_and_families_give_hard_negatives():
    data = latam.generate(2000, seed=5)
    a, b = data["AAA"], data["BBB"]
    assert len(a["record_id"]) == len(b["record_id"]) == 2000
    assert len(set(a["person_key"]) & set(b["person_key"])) == 1000
    families = {}
    for k in a["person_key"] + b["person_key"]:
        families.setdefault(k.rsplit("-", 1)[0], set()).add(k)
    assert sum(len(v) > 1 for v in families.values()) > 200  # siblings (and twins) of different persons


def _renders(person, seed=11):
    rng = np.random.Generator(np.random.PCG64(seed))
    return [latam.render(rng, person) for _ in range(DRAWS)]


def _share(flags):
    return sum(flags) / len(flags)


PERSON = {"key": "P1-0", "given": ["Efraín", "Wilmer"], "family": ["Quispe", "Núñez"], "sex": "M",
          "dob": date(1990, 5, 7), "place": "Bogotá"}


@pytest.mark.parametrize(("what", "rate", "test"), [
    ("birth date missing", 0.15, lambda r: r["birth_date"] == ""),
    ("birth year off by one", 0.05, lambda r: r["birth_date"][:4] in ("1989", "1991")),
    ("day and month swapped", 0.04, lambda r: r["birth_date"] == "1990-07-05"),
    ("place missing", 0.15, lambda r: r["place_of_birth"] == ""),
    ("sex missing", 0.03, lambda r: r["sex"] == ""),
    ("given and family fields swapped", 0.04, lambda r: fold(r["family_names"]).startswith(("e", "w"))),
    ("upper case", 0.3, lambda r: r["given_names"].isupper()),
])
def test_corruption_rates(what, rate, test):
    got = _share([test(r) for r in _renders(PERSON)])
    assert abs(got - rate) < max(0.015, rate * 0.25), (what, got, rate)


def test_name_corruptions():
    rows = [r for r in _renders(PERSON) if not fold(r["family_names"]).startswith(("e", "w"))]  # fields in place
    family = [fold(r["family_names"]).split() for r in rows]
    given = [fold(r["given_names"]).split() for r in rows]
    assert abs(_share([len(f) == 1 for f in family]) - 0.2) < 0.03  # maternal surname dropped
    assert abs(_share([len(f) == 2 and f[0].startswith("n") for f in family]) - 0.04) < 0.015  # surnames swapped
    assert abs(_share([len(g) == 1 for g in given]) - 0.35) < 0.03  # second given name dropped
    accents = _share(["Núñez" not in r["family_names"] and "NÚÑEZ" not in r["family_names"] for r in rows])
    assert 0.55 < accents < 0.7  # accents lost in half the records, plus those that dropped the maternal surname
    typos = _share([g not in (["efrain", "wilmer"], ["efrain"]) for g in given])
    assert 0.04 < typos < 0.14  # keyboard typos in the given names (15% of records, 60% of their words)


def test_nicknames_and_compound_surnames():
    lupe = {**PERSON, "given": ["Guadalupe"]}
    nick = _share([fold(r["given_names"]) == "lupe" for r in _renders(lupe)])
    assert 0.07 < nick < 0.13  # 12% nicknames, less those with a typo or swapped fields
    rng = np.random.Generator(np.random.PCG64(2))
    forms = [latam._compound(rng, "Ponce de León") for _ in range(DRAWS)]
    assert abs(_share([f == "PoncedeLeón" for f in forms]) - 0.15) < 0.02  # joined
    assert abs(_share([f == "Ponce León" for f in forms]) - 0.15) < 0.02  # particle dropped
    assert abs(_share([f == "Ponce de León" for f in forms]) - 0.70) < 0.03  # as written
