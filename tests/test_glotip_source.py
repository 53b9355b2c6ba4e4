"""GLOTIP exports as UNODC publishes them: the workbook or the CSV, a preamble above the header with the release date
(the real 2025 excerpt), or no date at all."""

from __future__ import annotations

import csv
import datetime as dt
import json

from test_glotip_holds import EXCERPT
from typer.testing import CliRunner

from tipnet.cli import app
from tipnet.ingest.glotip_source import looks_like_glotip, release_date
from tipnet.ingest.pipeline import ImportOptions, validate_file


def _excerpt_rows() -> list[list[str]]:
    with EXCERPT.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def test_the_csv_export_is_recognised_and_read_whole(tmp_path, settings):
    rows = _excerpt_rows()
    assert rows[1][0] == "14/04/2025" and rows[2][0] == "Iso3_code"  # what the file itself says
    assert looks_like_glotip(EXCERPT)
    report = validate_file(EXCERPT, ImportOptions(), settings)
    assert (report.kind, report.format, report.profile) == ("aggregates", "csv", "glotip")
    assert report.rows_total == len(rows) - 3 == 251
    assert report.released == dt.date(2025, 4, 14)
    result = CliRunner().invoke(app, ["validate", str(EXCERPT), "--json"])
    assert json.loads(result.stdout)["released"] == "2025-04-14"


def test_a_semicolon_copy_without_preamble_has_no_date_and_says_so(tmp_path, settings):
    rows = _excerpt_rows()[2:]
    path = tmp_path / "glotip_copy.csv"
    with path.open("w", encoding="cp1252", newline="") as fh:
        csv.writer(fh, delimiter=";").writerows(rows)
    report = validate_file(path, ImportOptions(), settings)
    assert report.kind == "aggregates" and report.rows_total == 251 and report.released is None
    assert report.problem_counts["edition-date-unknown"] == 1


def test_release_date_from_the_preamble_or_the_file_name(tmp_path):
    assert release_date([["UNODC", "unodc_dass@un.org"], ["30/05/2023"]], tmp_path / "x.xlsx") == (
        dt.date(2023, 5, 30), "preamble")
    assert release_date([[dt.datetime(2025, 4, 14, 0, 0)]], tmp_path / "x.xlsx") == (dt.date(2025, 4, 14), "preamble")
    assert release_date([], tmp_path / "data_glotip_2023-05-30.xlsx") == (dt.date(2023, 5, 30), "file name")
    assert release_date([["31/02/2023"]], tmp_path / "data.csv") == (None, None)  # not a date: unknown


def test_an_ordinary_csv_is_not_taken_for_glotip(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text("record_id,case_id,reporting_country\n1,1,PER\n", encoding="utf-8")
    assert not looks_like_glotip(path)
