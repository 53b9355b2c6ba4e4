"""Computed indicators for the Americas from the real UNODC GLOTIP workbook match figures computed by hand from the
workbook itself (read here with python-calamine, independently of tipnet's importer), and microdata wins where a
country has it for the year."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import GLOTIP
from python_calamine import CalamineWorkbook

from tipnet.assess import framework as fwmod
from tipnet.assess.scoring import score
from tipnet.assess.statistics import FigureBook, derive
from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.settings import Settings
from tipnet.stats import StatsSource
from tipnet.store import Database

pytestmark = pytest.mark.skipif(not GLOTIP.exists(), reason="shared GLOTIP data not present")
FIX = Path(__file__).parent / "fixtures"
POPULATION = Path(__file__).resolve().parents[1] / "src" / "tipnet" / "stats" / "data" / "population.csv"


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    data = CalamineWorkbook.from_path(str(GLOTIP)).get_sheet_by_index(0).to_python()
    header = [str(h) for h in data[2]]  # two preamble rows, then the header
    return [dict(zip(header, r, strict=False)) for r in data[3:]]


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> FigureBook:
    tmp = tmp_path_factory.mktemp("assess_glotip")
    db = Database(f"sqlite:///{tmp / 'g.db'}")
    db.upgrade()
    settings = Settings.from_env(home=tmp / "home")
    assert import_file(GLOTIP, db, ImportOptions(), settings).rows_quarantined == 0
    import_file(FIX / "stats_small.csv", db, ImportOptions(country="PER"), settings)  # PER microdata, 2020-2021
    yield FigureBook.from_source(StatsSource(db))
    db.dispose()


def hand(rows: list[dict], iso: str, year: int, indicator: str, dimension: str = "Total", age: str = "Total",
         skip_category: str | None = None) -> tuple[float, float]:
    """Sum of txtVALUE over matching rows ('<5' counts 1..4), straight from the workbook."""
    lo = hi = 0.0
    for r in rows:
        if (r["Iso3_code"] == iso and int(r["Year"]) == year and r["Indicator"] == indicator
                and r["Dimension"] == dimension and r["Sex"] == "Total" and r["Age"] == age
                and r["Category"] != skip_category):
            v = str(r["txtVALUE"])
            if v == "<5":
                lo, hi = lo + 1, hi + 4
            else:
                lo, hi = lo + int(v.replace(",", "")), hi + int(v.replace(",", ""))
    return lo, hi


def population(iso: str, year: int) -> float:
    with POPULATION.open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["Country Code"] == iso and r["Year"] == str(year):
                return float(r["Value"])
    raise KeyError((iso, year))


VICTIMS = "Detected trafficking victims"
CASES = [("ARG", 2018), ("USA", 2019), ("COL", 2020), ("GTM", 2021), ("CAN", 2019), ("BRA", 2018)]


@pytest.mark.parametrize("iso,year", CASES)
def test_base_figures_match_the_workbook(book, rows, iso, year):
    f = book.get(iso, year)
    assert (f["victims"].lo, f["victims"].hi) == hand(rows, iso, year, VICTIMS)
    assert (f["minors"].lo, f["minors"].hi) == hand(rows, iso, year, VICTIMS, age="0 to 17 years")
    for name, indicator in (("prosecuted", "Persons prosecuted"), ("convicted", "Persons convicted")):
        expected = hand(rows, iso, year, indicator)
        assert ((f[name].lo, f[name].hi) if name in f else (0.0, 0.0)) == expected, name
    repatriated = hand(rows, iso, year, VICTIMS, dimension="by country of repatriation")
    assert ((f["repatriated"].lo, f["repatriated"].hi) if "repatriated" in f else (0.0, 0.0)) == repatriated
    assert all(x.source in ("glotip", "population") for x in f.values())


def test_derived_statistics_by_hand(book, rows):
    # Argentina 2018: 1,531 victims, 49 children; World Bank population 44,654,882
    f = book.get("ARG", 2018)
    d = derive(f)
    assert hand(rows, "ARG", 2018, VICTIMS) == (1531, 1531)
    assert population("ARG", 2018) == 44_654_882
    assert d["victims_per_100k"].lo == pytest.approx(1531 / 44_654_882 * 1e5, abs=1e-6)  # 3.4285
    assert d["child_share"].lo == pytest.approx(49 / 1531 * 100, abs=1e-6)  # 3.20 %
    # cross-border: every citizenship but Argentina's own: 531 Bolivia + 132 Paraguay + 41 Peru + 22 Dominican Rep.
    # + 19 China + 16 Colombia + 12 Venezuela + 5 Chile + 5 Uruguay = 783 exact, plus five '<5' (Brazil, Ghana,
    # Haiti, Nigeria, Senegal) = [788, 803] -> share [788/1531, 803/1531]
    assert hand(rows, "ARG", 2018, VICTIMS, "by citizenship", skip_category="Argentina") == (788, 803)
    assert (f["cross_border"].lo, f["cross_border"].hi) == (788, 803)
    assert d["cross_border_share"].lo == pytest.approx(788 / 1531 * 100, abs=1e-6)
    assert d["cross_border_share"].hi == pytest.approx(803 / 1531 * 100, abs=1e-6)
    # United States 2019: 8,375 victims, 475 convicted -> 0.0567 per victim; 343 prosecuted -> 0.0410
    us = derive(book.get("USA", 2019))
    assert us["convictions_per_victim"].lo == pytest.approx(475 / 8375, abs=1e-6)
    assert us["prosecutions_per_victim"].lo == pytest.approx(343 / 8375, abs=1e-6)
    assert us["victims_per_100k"].lo == pytest.approx(8375 / population("USA", 2019) * 1e5, abs=1e-6)
    # Guatemala 2021: repatriations only '<5' -> stays the interval 1..4
    gt = derive(book.get("GTM", 2021))
    assert (gt["repatriations"].lo, gt["repatriations"].hi) == (1, 4)


def test_computed_indicators_score_from_the_workbook(book):
    fw = fwmod.get()
    card = score(fw, {}, book.get("USA", 2019))
    # 8375 / 330,226,227 * 1e5 = 2.536 per 100,000 -> band >= 2 -> 1.0
    assert card.indicators["prosecution.identification_rate"].score == (1.0, 1.0)
    # 475 / 8375 = 0.0567 convictions per victim -> band >= 0.05 -> 0.5
    assert card.indicators["prosecution.convictions"].score == (0.5, 0.5)
    # 343 / 8375 = 0.041 prosecutions per victim -> band >= 0 (under 0.05) -> 0
    assert card.indicators["prosecution.prosecutions"].score == (0.0, 0.0)
    assert not card.indicators["protection.assisted"].answered  # GLOTIP has no assistance figures


def test_microdata_wins_where_the_country_has_it(book, rows):
    per = book.get("PER", 2020)
    assert hand(rows, "PER", 2020, VICTIMS) == (372, 372)  # GLOTIP's figure for Peru 2020
    assert per["victims"].lo == 3 and per["victims"].source == "microdata"  # the fixture's three 2020 victims
    assert book.get("PER", 2019)["victims"].source == "glotip"  # no microdata for 2019
