"""Test data and set-up for the federation tests: national record files with names, birth dates and free text
(which must never reach the hub), nodes and a hub in separate folders and databases."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert

from tipnet.store import Database
from tipnet.store.tables import aggregates, submissions

HEADER = ("record_id,case_id,role,given_names,family_names,birth_date,sex,age,citizenship,identification_date,"
          "consent_share_hub,forms_of_exploitation,place_of_birth,recruitment_place,exploitation_country")
FORMS = ("sexual_exploitation", "forced_labour", "forced_marriage")
# a marker written into free-text fields: it may not appear in anything that leaves a node (nor may any name or
# birth date of the file)
PLACE_MARK = "Tlaxcoyan"
_SYLLABLES = ("ka", "lo", "mi", "ra", "te", "su", "no", "vi", "de", "za", "pe", "ju", "ban", "tor", "gal", "quin")


def _name(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(parts)).capitalize()


@dataclass(frozen=True)
class Person:
    given: str
    family: str
    birth: dt.date
    sex: str


def people(n: int, seed: int) -> list[Person]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        birth = dt.date(1980 + rng.randrange(25), 1 + rng.randrange(12), 1 + rng.randrange(28))
        out.append(Person(_name(rng, 3), _name(rng, 4), birth, rng.choice("FM")))
    return out


def write_records(path: Path, country: str, persons: list[Person], seed: int) -> dict[str, int]:
    """A national file; returns what a correct hub must count: consenting victims by identification year."""
    rng = random.Random(seed)
    lines = [HEADER]
    consenting: dict[str, int] = {}
    for i, p in enumerate(persons):
        ident = dt.date(2021 + rng.randrange(3), 1 + rng.randrange(12), 1 + rng.randrange(28))
        age = ident.year - p.birth.year - ((ident.month, ident.day) < (p.birth.month, p.birth.day))
        consent = ("true", "true", "false", "")[i % 4]
        if consent == "true":
            consenting[str(ident.year)] = consenting.get(str(ident.year), 0) + 1
        lines.append(",".join([
            f"{country}-R{i}", f"{country}-C{i // 2}", "victim", p.given, p.family, p.birth.isoformat(),
            p.sex, str(age), country, ident.isoformat(), consent, rng.choice(FORMS),
            f"{PLACE_MARK} {i}", f"{PLACE_MARK} market", rng.choice(("PER", "COL", "ARG", "USA"))]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return consenting


def add_aggregate_return(db: Database, country: str, year: int, value: int) -> None:
    """A national aggregate return (detected victims, total) as an aggregate submission of the country."""
    with db.engine.begin() as conn:
        sid = conn.execute(insert(submissions).values(
            kind="aggregates", reporting_country=country, profile="glotip", standard_version="1.0",
            filename=f"{country}-return-{year}.xlsx", content_sha256=f"{country}{year}{value}".ljust(64, "0"),
            rows_total=1, rows_accepted=1, rows_quarantined=0, report_json="{}",
            created_at=dt.datetime.now(dt.UTC))).inserted_primary_key[0]
        conn.execute(insert(aggregates).values(
            submission_id=sid, source_row=1, area_code=country, area_kind="country", country=country,
            area_name=country, indicator="detected_victims", dimension="total", category="Total",
            category_code="total", category_kind="total", sex="total", age="total", year=year, value=value,
            value_min=value, value_max=value, censored=False, raw_value=str(value), source="national"))


def expected_table(path: Path, min_cell: int) -> dict[str, int]:
    """Victims of all a file's records by year, summed over the cells of year x sex x age group that are not
    suppressed (>= min_cell), counted from the file itself."""
    import csv
    from collections import Counter

    cells: Counter[tuple[str, str, str]] = Counter()
    with path.open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            cells[(r["identification_date"][:4], r["sex"], "minor" if int(r["age"]) < 18 else "adult")] += 1
    total: Counter[str] = Counter()
    for (year, _, _), n in cells.items():
        total[year] += n if n >= min_cell else 0
    return dict(total)
