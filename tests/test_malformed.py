"""Property-based: generated malformed files never crash validate/import, never half-write, and keep the rows
invariant (rows in = rows accepted + rows quarantined)."""

from __future__ import annotations

import csv
import io
import itertools
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tipnet.ingest.pipeline import ImportOptions, import_file, validate_file
from tipnet.settings import Settings
from tipnet.store import Database
from tipnet.store.tables import persons, submissions

COLUMNS = [
    "record_id",
    "case_id",
    "sex",
    "age",
    "birth_date",
    "identification_date",
    "citizenship",
    "forms_of_exploitation",
    "transit_countries",
    "consent_share_hub",
    "exploitation_latitude",
    "junk",
]
CELL = st.one_of(
    st.sampled_from(
        [
            "",
            "F",
            "male",
            "x",
            "17",
            "-3",
            "1e9",
            "2020-02-30",
            "2019-05-01",
            "PER",
            "SAM",
            "Atlantis",
            "forced_labour;bogus",
            "sexual_exploitation",
            "true",
            "maybe",
            "91.5",
            "<5",
            "1,282",
            "-99",
            "NULL",
            '"',
            "a\nb",
            ";;",
            "Perú",
            "\x00",
        ]
    ),
    st.text(max_size=12),
)
_counter = itertools.count()


@st.composite
def csv_files(draw) -> bytes:
    header = draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=8, unique=True))
    if draw(st.booleans()):
        header = ["record_id", "case_id", *[c for c in header if c not in ("record_id", "case_id")]]
    rows = draw(st.lists(st.lists(CELL, min_size=0, max_size=len(header) + 2), max_size=25))
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=draw(st.sampled_from([",", ";", "\t"])))
    writer.writerow(header)
    writer.writerows(rows)
    text = buf.getvalue()
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]  # truncated mid-row
    return text.encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"])), errors="replace")


def _check(report, db: Database, before: int) -> None:
    with db.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(persons)).scalar_one()
        subs = conn.execute(select(func.count()).select_from(submissions)).scalar_one()
    if report.file_error is not None or report.duplicate_of is not None:
        assert stored == before and report.submission_id is None
        return
    assert report.rows_total == report.rows_accepted + report.rows_quarantined
    assert report.rows_total == report.rows_valid + report.rows_invalid
    assert stored - before == report.rows_accepted
    assert subs >= 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=csv_files())
def test_generated_csv_files(tmp_path, data):
    path = tmp_path / f"f{next(_counter)}.csv"
    path.write_bytes(data)
    v = validate_file(path, ImportOptions(country="PER"))
    if v.file_error is None:
        assert v.rows_total == v.rows_valid + v.rows_invalid
    db = Database(f"sqlite:///{tmp_path / 'h.db'}")
    db.upgrade()
    with db.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(persons)).scalar_one()
    report = import_file(path, db, ImportOptions(country="PER"), Settings.from_env(home=tmp_path / "home"))
    _check(report, db, before)
    if report.file_error is None and report.duplicate_of is None:
        assert v.rows_invalid == report.rows_quarantined  # validate and import agree
    db.dispose()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blob=st.binary(max_size=300), suffix=st.sampled_from([".csv", ".xlsx", ".json", ".parquet", ".bin"]))
def test_arbitrary_bytes(tmp_path, blob, suffix):
    path = tmp_path / f"{uuid.uuid4().hex}{suffix}"
    path.write_bytes(blob)
    validate_file(path, ImportOptions(country="PER"))
    db = Database(f"sqlite:///{tmp_path / 'b.db'}")
    db.upgrade()
    with db.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(persons)).scalar_one()
    report = import_file(path, db, ImportOptions(country="PER"), Settings.from_env(home=tmp_path / "home"))
    _check(report, db, before)
    db.dispose()
