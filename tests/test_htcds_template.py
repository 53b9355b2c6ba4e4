"""The IOM's own HTCDS 2.0 Excel template (tests/fixtures/real/htcds_template, CC BY 4.0): as published it holds no
record; filled with the values its own drop-down lists offer, every value is read. The lists are read here with
openpyxl from the template's "validation" sheet, independently of tipnet."""

from __future__ import annotations

import warnings
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from tipnet.ingest.pipeline import ImportOptions, import_file, validate_file
from tipnet.store.tables import persons, submissions

TEMPLATE = Path(__file__).parent / "fixtures" / "real" / "htcds_template" / "htcds_v2_single_select.xlsx"
LISTS = {  # template column -> the validation list its drop-down offers
    "prs_Gender": "Gender", "prs_Citizenship": "Country", "vic_TraffickingStatus": "Trafficking Status",
    "vic_MethodOfRecruitment": "Method of Recruitment", "vic_MethodsOfControl": "Methods of Control",
    "vic_TypeOfExploitation": "Type of Exploitation", "vic_ForcedLabourIndustry": "Forced Labour Industry",
    "vic_TypeOfSexExploitation": "Type of Sex Exploitation",
}


def _book() -> openpyxl.Workbook:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Data Validation extension is not supported": the lists stay readable
        return openpyxl.load_workbook(TEMPLATE)


def _lists(wb: openpyxl.Workbook) -> dict[str, list[str]]:
    rows = list(wb["validation"].iter_rows(values_only=True))
    header = rows[2]
    return {h: [str(r[i]) for r in rows[3:] if i < len(r) and r[i] not in (None, "")]
            for i, h in enumerate(header) if h}


@pytest.fixture(scope="module")
def filled(tmp_path_factory) -> tuple[Path, int]:
    """The template with one row per value of its longest list, each column cycling through its own list."""
    wb = _book()
    lists = _lists(wb)
    sheet = wb["Case Sheet"]
    column = {c.value: c.column for c in sheet[1] if c.value}
    n = max(len(lists[v]) for v in LISTS.values())
    for i in range(n):
        for name, listed in LISTS.items():
            values = lists[listed]
            sheet.cell(row=3 + i, column=column[name], value=values[i % len(values)])
    path = tmp_path_factory.mktemp("htcds") / "filled.xlsx"
    wb.save(path)
    return path, n


def test_the_template_as_published_holds_no_record(sqlite_db, settings):
    report = import_file(TEMPLATE, sqlite_db, ImportOptions(country="PER"), settings)
    assert report.profile == "htcds" and report.file_error is None
    assert (report.rows_total, report.rows_accepted, report.rows_quarantined, report.rows_skipped) == (0, 0, 0, 1001)
    assert report.problem_counts["labels-row"] == 1 and report.problem_counts["rows-without-values"] == 1
    with sqlite_db.engine.connect() as conn:
        assert conn.execute(select(persons.c.id)).all() == []


def test_every_value_the_template_offers_is_read(filled, settings):
    path, n = filled
    report = validate_file(path, ImportOptions(country="PER"), settings)
    assert (report.rows_total, report.rows_valid, report.rows_skipped) == (n, n, 1 + 1000 - n)
    row_problems = [(p.code, p.column, p.value) for p in report.problems if p.row]
    assert row_problems == []
    assert set(report.problem_counts) == {"labels-row", "rows-without-values", "unmapped-column"}


def test_filled_values_land_in_their_fields(filled, sqlite_db, settings):
    path, n = filled
    report = import_file(path, sqlite_db, ImportOptions(country="PER"), settings)
    assert report.rows_accepted == n
    with sqlite_db.engine.connect() as conn:
        rows = {r.source_row: r for r in conn.execute(select(persons)).all()}
        assert conn.execute(select(submissions.c.rows_total)).scalar_one() == n
    first = rows[3]  # the first value of every list (written out by hand from the template)
    assert (first.gender, first.sex, first.citizenship) == ("feminine", "female", "AFG")
    assert first.forms_of_exploitation == "forced_labour" and first.labour_sector == "A"
    water = next(r for r in rows.values() if r.labour_sector == "E")  # "Water supply; sewerage, ...": one section
    assert ";" not in water.labour_sector
    assert all(r.citizenship for r in rows.values()) and all(r.means_of_control for r in rows.values())
