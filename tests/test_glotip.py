"""The real UNODC GLOTIP workbook: every data row accounted for, figures identical to the workbook's."""

from __future__ import annotations

from collections import Counter

import openpyxl
import pytest
from conftest import GLOTIP
from sqlalchemy import func, select

from tipnet.ingest.pipeline import ImportOptions, import_file, validate_file
from tipnet.settings import Settings
from tipnet.store import Database
from tipnet.store.repo import aggregate_value, count_aggregates
from tipnet.store.tables import aggregates

pytestmark = pytest.mark.skipif(not GLOTIP.exists(), reason="shared GLOTIP data not present")


@pytest.fixture(scope="module")
def workbook_rows() -> list[tuple]:
    wb = openpyxl.load_workbook(GLOTIP, read_only=True)
    rows = [r for r in wb.active.iter_rows(min_row=4, values_only=True) if any(c is not None for c in r)]
    wb.close()
    return rows


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("glotip")
    db = Database(f"sqlite:///{tmp / 'g.db'}")
    db.upgrade()
    settings = Settings.from_env(home=tmp / "home")
    report = import_file(GLOTIP, db, ImportOptions(), settings)
    yield db, report, settings
    db.dispose()


def test_every_data_row_is_accounted_for(loaded, workbook_rows):
    db, report, _ = loaded
    assert len(workbook_rows) == 46_556
    assert report.kind == "aggregates" and report.profile == "glotip"
    assert report.rows_total == 46_556
    assert report.rows_accepted + report.rows_quarantined == report.rows_total
    assert report.rows_quarantined == 0
    assert count_aggregates(db, report.submission_id) == 46_556


def test_figures_match_the_workbook(loaded):
    db, _, _ = loaded
    assert [r["value"] for r in aggregate_value(db, "USA", 2019)] == [8375]
    assert [r["value"] for r in aggregate_value(db, "USA", 2019, sex="female")] == [6931]
    assert [r["value"] for r in aggregate_value(db, "USA", 2019, sex="female", age="minor")] == [1544]
    assert [r["value"] for r in aggregate_value(db, "ARG", 2018)] == [1531]


def test_censored_values_stay_intervals(loaded, workbook_rows):
    db, _, _ = loaded
    n_censored = sum(1 for r in workbook_rows if r[11] == "<5")
    with db.engine.connect() as conn:
        got = conn.execute(
            select(
                func.count(),
                func.min(aggregates.c.value_min),
                func.max(aggregates.c.value_max),
                func.count(aggregates.c.value),
            ).where(aggregates.c.censored.is_(True))
        ).one()
    assert got == (n_censored, 1, 4, 0)  # never a guessed number


def test_dimensions_are_kept_apart(loaded, workbook_rows):
    db, _, _ = loaded
    expected = Counter(r[5] for r in workbook_rows)
    with db.engine.connect() as conn:
        got = dict(
            conn.execute(select(aggregates.c.dimension, func.count()).group_by(aggregates.c.dimension)).all()
        )
    assert got == {
        "total": expected["Total"],
        "form_of_exploitation": expected["by form of exploitation"],
        "citizenship": expected["by citizenship"],
        "repatriation": expected["by country of repatriation"],
    }


def test_citizenship_names_resolve_to_iso3_and_regions_stay_regions(loaded):
    db, _, _ = loaded
    a = aggregates.c
    with db.engine.connect() as conn:
        arg_2010 = dict(
            conn.execute(
                select(a.category, a.category_code).where(
                    a.country == "ARG",
                    a.year == 2010,
                    a.dimension == "citizenship",
                    a.indicator == "detected_victims",
                    a.sex == "total",
                    a.age == "total",
                )
            ).all()
        )
        regions = conn.execute(
            select(func.count()).where(a.area_code == "SAM", a.area_kind == "region", a.country.is_(None))
        ).scalar_one()
    assert arg_2010["Bolivia (Plurinational State of)"] == "BOL"
    assert arg_2010["Paraguay"] == "PRY"
    assert regions > 0


def test_reimport_adds_nothing(loaded):
    db, first, settings = loaded
    again = import_file(GLOTIP, db, ImportOptions(), settings)
    assert again.duplicate_of == first.submission_id and again.submission_id is None
    assert count_aggregates(db) == 46_556


def test_validate_writes_nothing(tmp_path):
    report = validate_file(GLOTIP)
    assert report.valid and report.rows_total == 46_556


def test_submission_period_spans_the_workbook_years(loaded, workbook_rows):
    _, report, _ = loaded
    years = [int(r[9]) for r in workbook_rows if str(r[9] or "").isdigit()]  # column J: Year
    assert report.to_dict()["period_start"] == f"{min(years)}-01-01"
    assert report.to_dict()["period_end"] == f"{max(years)}-12-31"
