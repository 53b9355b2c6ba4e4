"""Victims by subdivision: microdata (hand-counted fixture, codes written as names, ISO and UBIGEO) and the real
SESNSP (Mexico) aggregate excerpt; rates from a subnational population table; the release threshold."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from conftest import FIXTURES

from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.maps.area_figures import ALL, AreaCell, aggregate_cells, microdata_cells, publishable, with_rates
from tipnet.stats import StatsSource

AREAS = Path(__file__).parent / "fixtures" / "areas_small.csv"
SESNSP = FIXTURES / "real" / "sesnsp-victimas" / "IDVFC_NM_dic24_excerpt.csv"


@pytest.fixture
def peru(sqlite_db, settings):
    report = import_file(AREAS, sqlite_db, ImportOptions(country="PER"), settings)
    assert report.rows_accepted == 10
    return sqlite_db


def _cells(cells: list[AreaCell]) -> dict[tuple[str, str], int]:
    return {(c.subdivision, c.category): c.victims for c in cells}


def test_recruitment_by_subdivision_counted_by_hand(peru):
    # Cusco written as "Cusco", "08", "080101", "PE-CUS", "Cuzco" (R1-R5); Puno as "Puno" and "21"; Lima as "Lima".
    # R9 has no subdivision; R10 was recruited in Venezuela: neither counts.
    assert _cells(microdata_cells(peru, "PER")) == {("PE-CUS", ALL): 5, ("PE-PUN", ALL): 2, ("PE-LIM", ALL): 1}
    assert _cells(microdata_cells(peru, "PER", by="sex")) == {
        ("PE-CUS", "female"): 4, ("PE-CUS", "male"): 1, ("PE-PUN", "female"): 1, ("PE-PUN", "male"): 1,
        ("PE-LIM", "female"): 1}
    ages = _cells(microdata_cells(peru, "PER", by="age_group"))
    assert ages[("PE-CUS", "minor")] == 3 and ages[("PE-CUS", "adult")] == 2
    forms = _cells(microdata_cells(peru, "PER", by="form"))  # R5 counts once in each of her two forms
    assert forms[("PE-CUS", "sexual_exploitation")] == 4 and forms[("PE-CUS", "forced_labour")] == 2
    assert microdata_cells(peru, "PER", year=2020) == []


def test_exploitation_by_subdivision_counted_by_hand(peru):
    # Madre de Dios as a name, "17" and "PE-MDD" (R1-R6); Lima Metropolitana as "150101", the name, "PE-LMA", "1501"
    assert _cells(microdata_cells(peru, "PER", event="exploitation")) == {("PE-MDD", ALL): 6, ("PE-LMA", ALL): 4}


def test_nothing_under_five_victims_is_publishable(peru):
    assert publishable(microdata_cells(peru, "PER")) == [AreaCell("PE-CUS", ALL, 5)]
    assert publishable(microdata_cells(peru, "PER", by="sex")) == []
    assert publishable(microdata_cells(peru, "PER", event="exploitation")) == [AreaCell("PE-MDD", ALL, 6)]


def test_rates_from_the_subnational_population_file(peru, tmp_path, monkeypatch):
    pop = tmp_path / "pop.csv"
    pop.write_text("Country Name,Country Code,Year,Value\nCusco,PE-CUS,2021,1000000\nPuno,PE-PUN,2020,500000\n",
                   encoding="utf-8")
    monkeypatch.setenv("TIPNET_SUBNATIONAL_POPULATION_FILE", str(pop))
    rates = {c.subdivision: c.rate_per_100k for c in with_rates(microdata_cells(peru, "PER", year=2021), 2021)}
    assert rates == {"PE-CUS": 0.5, "PE-PUN": None, "PE-LIM": None}  # Puno's population is for another year
    monkeypatch.delenv("TIPNET_SUBNATIONAL_POPULATION_FILE")
    assert all(c.rate_per_100k is None for c in with_rates(microdata_cells(peru, "PER"), 2021))


def test_aggregate_returns_by_state_equal_the_files_sums(sqlite_db, settings):
    report = import_file(SESNSP, sqlite_db, ImportOptions(profile="sesnsp-victimas-fc"), settings)
    assert report.rows_accepted == 42
    months = ["Enero", "Febrero", "Marzo", "Abril", "Mayo", "Junio", "Julio", "Agosto", "Septiembre", "Octubre",
              "Noviembre", "Diciembre"]
    states = {"9": "MX-CMX", "15": "MX-MEX", "23": "MX-ROO"}
    want: Counter[tuple[str, str]] = Counter()
    with SESNSP.open(encoding="cp1252", newline="") as fh:
        for r in csv.DictReader(fh):
            if r["Subtipo de delito"] == "Trata de personas" and r["Año"] == "2024":
                want[(states[r["Clave_Ent"]], ALL)] += sum(int(r[m]) for m in months if r[m].strip())
    assert len(want) == 3 and all(want.values())
    got = _cells(aggregate_cells(StatsSource(sqlite_db), "MEX", year=2024))
    assert got == dict(want)


def test_unknown_split_is_refused(peru):
    with pytest.raises(ValueError, match="cannot be split"):
        microdata_cells(peru, "PER", by="citizenship")
