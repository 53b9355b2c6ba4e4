"""The period a submission covers: named with the import, or the span of its accepted rows' dates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from tipnet.cli import app
from tipnet.ingest.period import PeriodError, parse_period
from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.store import Database
from tipnet.store.tables import submissions

D = dt.date


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2023", D(2023, 1, 1), D(2023, 12, 31)),
        ("2024-02", D(2024, 2, 1), D(2024, 2, 29)),  # leap year
        ("2023-02", D(2023, 2, 1), D(2023, 2, 28)),
        ("2023-01-15..2023-06-30", D(2023, 1, 15), D(2023, 6, 30)),
        ("2022/2023", D(2022, 1, 1), D(2023, 12, 31)),
        ("2022-07..2023-03", D(2022, 7, 1), D(2023, 3, 31)),
        ("2023-05-05", D(2023, 5, 5), D(2023, 5, 5)),
    ],
)
def test_periods_are_read_as_people_write_them(text, start, end):
    assert parse_period(text) == (start, end)


@pytest.mark.parametrize("text", ["23", "2023-13", "2023-06-31", "2024..2023", "last year"])
def test_a_wrong_period_says_what_is_wrong(text):
    with pytest.raises(PeriodError, match=text.split("..")[0][:4]):
        parse_period(text)


HEADER = "record_id,case_id,sex,age,identification_date,identification_year,citizenship\n"


def _period(db: Database, submission_id: int) -> tuple[object, object]:
    with db.engine.connect() as conn:
        row = conn.execute(sa.select(submissions.c.period_start, submissions.c.period_end)
                           .where(submissions.c.id == submission_id)).one()
    return row.period_start, row.period_end


def test_period_is_the_span_of_the_accepted_rows(db, settings, tmp_path: Path):
    csv = tmp_path / "cases.csv"
    csv.write_text(HEADER + "A1,C1,female,20,2022-03-04,,PER\n"
                            "A2,C1,male,30,2023-10-01,,PER\n"
                            "A3,C2,female,25,,2021,PER\n"  # only a year: the whole year counts
                            "A4,C3,female,400,2019-01-01,,PER\n",  # rejected (age): its date does not count
                   encoding="utf-8")
    report = import_file(csv, db, ImportOptions(country="PER", strict=True), settings)
    assert report.rows_accepted == 3 and report.rows_quarantined == 1
    assert (report.period_start, report.period_end) == (D(2021, 1, 1), D(2023, 10, 1))
    assert _period(db, report.submission_id) == (D(2021, 1, 1), D(2023, 10, 1))
    assert report.to_dict()["period_start"] == "2021-01-01"


def test_a_named_period_wins(db, settings, tmp_path: Path):
    csv = tmp_path / "cases.csv"
    csv.write_text(HEADER + "B1,C1,female,20,2022-03-04,,PER\n", encoding="utf-8")
    report = import_file(csv, db, ImportOptions(country="PER", period="2022"), settings)
    assert _period(db, report.submission_id) == (D(2022, 1, 1), D(2022, 12, 31))


def test_a_wrong_period_is_refused_before_anything_is_written(sqlite_db, settings, tmp_path: Path):
    csv = tmp_path / "cases.csv"
    csv.write_text(HEADER + "B1,C1,female,20,2022-03-04,,PER\n", encoding="utf-8")
    with pytest.raises(PeriodError):
        import_file(csv, sqlite_db, ImportOptions(country="PER", period="2022-13"), settings)
    with sqlite_db.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(submissions)).scalar() == 0
    result = CliRunner().invoke(app, ["import", str(csv), "--country", "PER", "--period", "2022-13",
                                      "--db", sqlite_db.url])
    assert result.exit_code == 2 and "2022-13" in result.output
