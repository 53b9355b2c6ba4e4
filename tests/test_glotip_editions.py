"""Two GLOTIP editions in one store: the 2023 workbook (release 30/05/2023) and the real 2025 excerpt (release
14/04/2025), imported in either order (the 2025 one as the UNODC xlsx shape, or as the CSV export itself). A cell
both editions hold is read from the newer release - never the sum of the two - a cell only the 2023 workbook holds
keeps its value, and a key the 2023 workbook repeats within itself (Argentina 2018, sex other) is read as before.
The same rule holds for statistics, GLOTIP flows and assessments.

Expected figures are computed here with openpyxl and the csv module over both inputs, never with the code under test.
"""

from __future__ import annotations

import csv
from collections import defaultdict

import openpyxl
import pytest
from conftest import GLOTIP
from sqlalchemy import func, select
from test_glotip_holds import EXCERPT, _as_workbook

from tipnet.assess.statistics import FigureBook
from tipnet.auth.principal import system
from tipnet.auth.sources import SourceCache
from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.routes.flows import glotip_flows
from tipnet.settings import Settings
from tipnet.stats.figures import glotip
from tipnet.store import Database
from tipnet.store.tables import aggregates, submissions

pytestmark = pytest.mark.skipif(not GLOTIP.exists(), reason="shared GLOTIP data not present")

INDICATORS = {"Detected trafficking victims": "detected_victims", "Persons prosecuted": "prosecuted",
              "Persons convicted": "convicted"}
SEX = {"Female": "female", "Male": "male", "Other": "other", "Unknown": "unknown", "Total": "total"}
COUNTRIES = ("PAN", "PAK", "ARG")  # in both editions, in both editions, only in 2023

Cell = tuple[str, str, str, str, str, str, int]  # country, indicator, dimension, category, sex, age, year


def _interval(text: str) -> tuple[int, int]:
    if text == "<5":
        return 1, 4
    n = int(text.replace(",", ""))
    return n, n


def _cells(rows: list[list[str]]) -> dict[Cell, list[tuple[int, int]]]:
    """Every figure of a file under its key, repeats kept (a file may hold the same key twice)."""
    out: dict[Cell, list[tuple[int, int]]] = defaultdict(list)
    for r in rows:
        out[(r[0], r[4], r[5], r[6], r[7], r[8], int(float(r[9])))].append(_interval(str(r[11])))
    return out


@pytest.fixture(scope="module")
def editions() -> tuple[dict[Cell, list[tuple[int, int]]], dict[Cell, list[tuple[int, int]]]]:
    wb = openpyxl.load_workbook(GLOTIP, read_only=True)
    old = [list(r) for r in wb.active.iter_rows(min_row=4, values_only=True) if r[0] in COUNTRIES]
    wb.close()
    with EXCERPT.open(encoding="utf-8", newline="") as fh:
        new = [r for r in list(csv.reader(fh))[3:] if r[0] in COUNTRIES]
    return _cells(old), _cells(new)


@pytest.fixture(scope="module", params=["2023 workbook first", "2025 CSV export first"])
def store(request, tmp_path_factory):
    """Both editions in one store, in either order: the release dates above their headers (30/05/2023,
    14/04/2025) decide which is newer, not the order of import. The 2025 edition goes in as the UNODC xlsx shape
    in one order and as the CSV export itself (preamble and all) in the other."""
    tmp = tmp_path_factory.mktemp("editions")
    db = Database(f"sqlite:///{tmp / 'e.db'}")
    db.upgrade()
    settings = Settings.from_env(home=tmp / "home")
    if request.param == "2023 workbook first":
        old = import_file(GLOTIP, db, ImportOptions(), settings)
        new = import_file(_as_workbook(tmp), db, ImportOptions(), settings)
        assert new.submission_id > old.submission_id
    else:
        new = import_file(EXCERPT, db, ImportOptions(), settings)
        old = import_file(GLOTIP, db, ImportOptions(), settings)
        assert old.submission_id > new.submission_id and new.format == "csv"
        assert (new.rows_total, new.rows_accepted + new.rows_quarantined) == (251, 251)
    assert (str(old.released), str(new.released)) == ("2023-05-30", "2025-04-14")
    assert "edition-date-unknown" not in old.problem_counts | new.problem_counts
    with db.engine.connect() as conn:
        stored = dict(conn.execute(select(submissions.c.id, submissions.c.released_on)).all())
    assert {str(d) for d in stored.values()} == {"2023-05-30", "2025-04-14"}
    yield db, settings, tmp
    db.dispose()


def _source(db: Database):
    return SourceCache(db).for_principal(system())


def _expected(editions, country: str, indicator: str, by_sex: bool) -> dict[tuple[str, str], tuple[int, int]]:
    """(year, sex) -> interval over the 'Total' dimension, each cell from the newest edition holding it."""
    old, new = editions
    out: dict[tuple[str, str], list[int]] = {}
    for cell in set(old) | set(new):
        c, ind, dim, _cat, sex, age, year = cell
        if c != country or INDICATORS.get(ind) != indicator or dim != "Total" or age != "Total":
            continue
        if (sex != "Total") != by_sex:
            continue
        values = new[cell] if cell in new else old[cell]
        acc = out.setdefault((str(year), SEX[sex]), [0, 0])
        acc[0] += sum(lo for lo, _ in values)
        acc[1] += sum(hi for _, hi in values)
    return {k: (v[0], v[1]) for k, v in out.items()}


def test_no_figure_compared_here_is_held(store):
    db, _, _ = store
    with db.engine.connect() as conn:
        held = conn.execute(select(func.count()).where(
            aggregates.c.held.is_(True), aggregates.c.country.in_(COUNTRIES), aggregates.c.dimension == "total")
        ).scalar_one()
    assert held == 0  # so every expected figure below is a figure statistics show


@pytest.mark.parametrize("country", COUNTRIES)
@pytest.mark.parametrize("indicator", sorted(set(INDICATORS.values())))
def test_each_cell_comes_from_the_newest_edition(store, editions, country, indicator):
    db, _, _ = store
    src = _source(db)
    for by_sex in (False, True):
        dims = ("country", "year", "sex") if by_sex else ("country", "year")
        rows = glotip(src, dims, indicator, {"country": country})
        got = {(r["year"], r.get("sex", "total")): (r["victims_min"], r["victims_max"]) for r in rows}
        assert got == _expected(editions, country, indicator, by_sex)
        assert got or by_sex  # every pair of country and indicator here has totals (not all split by sex)


def test_overlap_gives_the_2025_value_not_the_sum(store, editions):
    old, new = editions
    src = _source(store[0])
    for year, v2025 in ((2019, 32_022), (2020, 20_045)):  # Pakistan's victims: '<5' and 22 in 2023, revised in 2025
        cell = ("PAK", "Detected trafficking victims", "Total", "Total", "Total", "Total", year)
        assert new[cell] == [(v2025, v2025)] and len(old[cell]) == 1 and old[cell] != new[cell]
        rows = glotip(src, ("country", "year"), filters={"country": "PAK", "year": year})
        assert [(r["victims_min"], r["victims_max"], r["n_figures"]) for r in rows] == [(v2025, v2025, 1)]


def test_a_cell_only_in_2023_keeps_its_value(store, editions):
    old, new = editions
    pan = ("PAN", "Detected trafficking victims", "Total", "Total", "Total", "Total", 2018)
    assert pan in old and pan not in new  # the excerpt stops at Panama 2014
    src = _source(store[0])
    rows = glotip(src, ("country", "year"), filters={"country": "PAN", "year": 2018})
    assert [(r["victims_min"], r["victims_max"]) for r in rows] == old[pan]
    # a key the 2023 workbook repeats within itself is still read as the workbook gives it (both rows)
    arg = ("ARG", "Detected trafficking victims", "Total", "Total", "Other", "Total", 2018)
    assert len(old[arg]) == 2
    rows = glotip(src, ("country", "year", "sex"), filters={"country": "ARG", "year": 2018, "sex": "other"})
    assert [(r["victims_min"], r["victims_max"], r["n_figures"]) for r in rows] == [
        (sum(lo for lo, _ in old[arg]), sum(hi for _, hi in old[arg]), 2)]


def test_flows_take_each_cell_from_one_edition(store, editions):
    _, new = editions
    rows = glotip_flows(_source(store[0]), destination="PAN")
    keys = [(r["year"], r["origin"]) for r in rows]
    assert len(keys) == len(set(keys))  # never the same origin twice in a year
    fresh = {(cell[6], cell[3]): values for cell, values in new.items()
             if cell[0] == "PAN" and cell[2] == "by citizenship" and cell[1] == "Detected trafficking victims"
             and cell[4] == "Total" and cell[5] == "Total"}
    covered = [r for r in rows if (r["year"], r["origin_as_written"]) in fresh]
    assert covered  # Panama 2010-2014 by citizenship is in the 2025 excerpt
    for r in covered:
        assert [(r["victims_min"], r["victims_max"])] == fresh[(r["year"], r["origin_as_written"])]


def test_assessment_figures_follow_the_same_rule(store, editions):
    book = FigureBook.from_source(_source(store[0]), ("PAK", "PAN"))
    for country, year in (("PAK", 2020), ("PAN", 2013), ("PAN", 2018)):  # in both; in both; only in 2023
        victims = book.get(country, year)["victims"]
        assert (victims.lo, victims.hi) == _expected(editions, country, "detected_victims", False)[(str(year), "total")]
    assert book.get("PAK", 2020)["victims"].lo == 20_045  # not 20,045 + 22


def test_importing_the_older_workbook_again_changes_nothing(store, editions):
    db, settings, _ = store
    before = glotip(_source(db), ("country", "year"), filters={"country": "PAN"})
    again = import_file(GLOTIP, db, ImportOptions(), settings)
    assert again.submission_id is None and again.duplicate_of is not None
    assert glotip(_source(db), ("country", "year"), filters={"country": "PAN"}) == before


@pytest.mark.parametrize("country", COUNTRIES)
@pytest.mark.parametrize("indicator", sorted(set(INDICATORS.values())))
def test_the_aggregate_reading_takes_a_total_never_adds_a_part_to_it(store, editions, country, indicator):
    """`stats.national` reads GLOTIP as one source among others: a year's figure is the file's total, never the
    total plus a part that has no total of its own (e.g. Panama 2017's 'unknown sex, unknown age' row)."""
    from tipnet.stats.national import national

    db, _, _ = store
    rows = national(_source(db), ("country", "year"), indicator, {"country": country})
    got = {(r["year"], "total"): (r["victims_min"], r["victims_max"]) for r in rows if r["source"] == "GLOTIP"}
    expected = _expected(editions, country, indicator, by_sex=False)
    # where the file gives a year's total, that is the figure (a year without one is the sum of its parts, by design)
    assert {k: got.get(k) for k in expected} == expected
