"""Population for rates per 100,000: the World Bank table shipped with the package, or the user's own."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv


@dataclass(frozen=True)
class Population:
    source: str  # where the figures come from, stated next to every rate
    table: pa.Table  # country (ISO3), year, sex, age, population

    @cached_property
    def lookup(self) -> dict[tuple[str, str, str, str], float]:
        """(country, year, sex, age) -> population, for the non-empty figures; built once per table."""
        t = self.table.to_pydict()
        return {(str(c), str(y), str(s), str(a)): float(v)
                for c, y, s, a, v in zip(t["country"], t["year"], t["sex"], t["age"], t["population"], strict=True)
                if v}


def _default_path() -> Path:
    return Path(str(resources.files("tipnet.stats").joinpath("data", "population.csv")))


@cache
def _load(path: str) -> Population:
    raw = pacsv.read_csv(path)
    names = {n.lower().replace(" ", "_"): n for n in raw.column_names}
    country = raw[names.get("country_code", names.get("country", ""))]
    year = pc.cast(raw[names["year"]], pa.int32())
    value = pc.cast(raw[names.get("value", names.get("population", ""))], pa.float64())
    n = raw.num_rows
    sex = raw[names["sex"]] if "sex" in names else pa.array(["total"] * n)
    age = raw[names["age"]] if "age" in names else pa.array(["total"] * n)
    table = pa.table({"country": country, "year": year, "sex": sex, "age": age, "population": value})
    label = "World Bank SP.POP.TOTL (shipped)" if Path(path) == _default_path() else f"user table {path}"
    return Population(label, table)


def load_population() -> Population:
    return _load(os.environ.get("TIPNET_POPULATION_FILE") or str(_default_path()))
