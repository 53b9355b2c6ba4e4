"""The store on both backends (SQLite and PostgreSQL, see the `db` fixture): import, typed read-back,
re-import of the same file, and all-or-nothing imports."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from tipnet.ingest import pipeline
from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.settings import Settings
from tipnet.store import Database
from tipnet.store.tables import persons, submissions

HEADER = (
    "record_id,case_id,sex,age,birth_date,identification_date,forms_of_exploitation,citizenship,"
    "exploitation_country"
)
# Three valid rows (one gives only a birth date, one is a minor) and one with an impossible age.
ROWS = [
    "R1,C1,female,,2001-03-15,2023-06-01,sexual_exploitation,VEN,PER",
    "R2,C1,male,34,,2022-11-20,forced_labour;servitude,PER,PER",
    "R3,C2,female,16,,2024-01-05,forced_begging,COL;VEN,PER",
    "R4,C3,male,150,,2023-02-02,forced_labour,BOL,PER",
]


def _write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def _counts(db: Database) -> tuple[int, int]:
    """(submissions, persons) as a new connection sees them (test_pooled_reads_see_every_import covers the
    store's own pooled connections)."""
    engine = sa.create_engine(db.url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            n_sub = conn.execute(sa.select(sa.func.count()).select_from(submissions)).scalar_one()
            n_per = conn.execute(sa.select(sa.func.count()).select_from(persons)).scalar_one()
    finally:
        engine.dispose()
    return n_sub, n_per


def _quarantine_files(settings: Settings) -> list[Path]:
    folder = settings.home.resolve() / "quarantine"
    return sorted(folder.glob("*")) if folder.exists() else []


def test_import_reads_back_typed_and_reimport_adds_nothing(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    src = _write_csv(tmp_path / "peru.csv", ROWS)

    report = import_file(src, db, ImportOptions(country="PER", strict=True), settings=settings)

    assert report.rows_total == 4
    assert report.rows_accepted == 3
    assert report.rows_quarantined == 1
    assert report.submission_id is not None
    assert report.duplicate_of is None
    assert [(p.code, p.field, p.value) for p in report.problems] == [("out-of-range", "age", "150")]

    with db.engine.connect() as conn:
        sub = conn.execute(sa.select(submissions)).mappings().one()
        rows = conn.execute(sa.select(persons).order_by(persons.c.source_row)).mappings().all()
    assert sub["id"] == report.submission_id
    assert (sub["kind"], sub["reporting_country"], sub["filename"]) == ("records", "PER", "peru.csv")
    assert (sub["rows_total"], sub["rows_accepted"], sub["rows_quarantined"]) == (4, 3, 1)

    assert [r["record_id"] for r in rows] == ["R1", "R2", "R3"]
    assert [r["source_row"] for r in rows] == [2, 3, 4]  # line numbers in the file (line 1 is the header)
    assert {r["submission_id"] for r in rows} == {report.submission_id}
    r1, r2, r3 = rows
    # Dates come back as dates, ages and years as ints, flags as bools: on both backends.
    assert r1["birth_date"] == date(2001, 3, 15) and type(r1["birth_date"]) is date
    assert r1["identification_date"] == date(2023, 6, 1) and type(r1["identification_date"]) is date
    assert r1["identification_year"] == 2023 and type(r1["identification_year"]) is int
    assert r1["age"] == 22 and type(r1["age"]) is int  # derived from the birth date: 2023-06-01 - 2001-03-15
    assert r1["is_minor"] is False
    assert r2["age"] == 34 and type(r2["age"]) is int
    assert r2["birth_date"] is None
    assert r2["identification_date"] == date(2022, 11, 20)
    assert r2["is_minor"] is False
    assert r3["age"] == 16
    assert r3["is_minor"] is True
    assert [r["sex"] for r in rows] == ["female", "male", "female"]
    assert [r["reporting_country"] for r in rows] == ["PER", "PER", "PER"]
    assert [r["exploitation_country"] for r in rows] == ["PER", "PER", "PER"]
    assert [r["citizenship"] for r in rows] == ["VEN", "PER", "COL;VEN"]
    assert [r["forms_of_exploitation"] for r in rows] == [
        "sexual_exploitation",
        "forced_labour;servitude",
        "forced_begging",
    ]
    assert [r["case_id"] for r in rows] == ["C1", "C1", "C2"]

    # The rejected row is kept, as written, in the quarantine file.
    assert report.quarantine_path is not None
    quarantined = Path(report.quarantine_path).read_text(encoding="utf-8")
    assert "R4,C3,male,150" in quarantined
    assert "R1," not in quarantined

    # The same file again: recognised by its content, nothing added.
    again = import_file(src, db, ImportOptions(country="PER", strict=True), settings=settings)
    assert again.duplicate_of == report.submission_id
    assert again.submission_id is None
    assert again.rows_accepted == 0
    assert _counts(db) == (1, 3)


def _json_records(n: int) -> list[dict[str, str]]:
    keys = HEADER.split(",")
    out = []
    for i in range(1, n + 1):
        values = [
            f"R{i}",
            f"C{i}",
            "female",
            str(20 + i),
            "",
            f"2023-01-{i:02d}",
            "forced_labour",
            "PER",
            "PER",
        ]
        out.append({k: v for k, v in zip(keys, values, strict=True) if v})
    return out


def test_import_failing_midway_leaves_nothing(
    inprocess_imports: None, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # chunk_rows=2: the 6 records are checked and stored in three batches of two; storing the second fails.
    # (JSON because its reader splits exactly at chunk_rows; the fast CSV reader batches 16 MiB blocks.)
    settings = Settings.from_env(home=tmp_path / "home", chunk_rows=2)
    records = _json_records(5)
    records.insert(1, {**records[0], "record_id": "R9", "age": "150"})  # quarantined in the first batch
    src = tmp_path / "failing.json"
    src.write_text(json.dumps(records), encoding="utf-8")

    calls: list[int] = []
    real_accept = pipeline.RecordSink.accept

    def accept_then_fail(self: pipeline.RecordSink, frame: pl.DataFrame) -> None:
        calls.append(frame.height)
        if len(calls) > 1:
            raise RuntimeError("simulated failure in the middle of an import")
        real_accept(self, frame)

    monkeypatch.setattr(pipeline.RecordSink, "accept", accept_then_fail)
    with pytest.raises(RuntimeError, match="simulated failure"):
        import_file(src, db, ImportOptions(country="PER", strict=True), settings=settings)

    assert calls == [1, 2]  # the first batch's valid row was stored before the failure
    assert _counts(db) == (0, 0)
    assert _quarantine_files(settings) == []

    # Nothing half-done blocks a later attempt: with the fault gone the same file imports in full.
    monkeypatch.setattr(pipeline.RecordSink, "accept", real_accept)
    report = import_file(src, db, ImportOptions(country="PER", strict=True), settings=settings)
    assert report.duplicate_of is None
    assert (report.rows_total, report.rows_accepted, report.rows_quarantined) == (6, 5, 1)
    assert _counts(db) == (1, 5)
    assert len(_quarantine_files(settings)) == 1


def test_csv_import_failing_after_rows_are_stored_leaves_nothing(
    inprocess_imports: None, db: Database, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = _write_csv(tmp_path / "peru.csv", ROWS)
    stored: list[int] = []
    real_accept, real_reject = pipeline.RecordSink.accept, pipeline.RecordSink.reject

    def accept(self: pipeline.RecordSink, frame: pl.DataFrame) -> None:
        real_accept(self, frame)
        stored.append(frame.height)

    def reject_then_fail(self: pipeline.RecordSink, raw: pl.DataFrame, reasons: dict[int, str]) -> None:
        real_reject(self, raw, reasons)
        raise RuntimeError("simulated failure after writing the quarantine")

    monkeypatch.setattr(pipeline.RecordSink, "accept", accept)
    monkeypatch.setattr(pipeline.RecordSink, "reject", reject_then_fail)
    with pytest.raises(RuntimeError, match="after writing the quarantine"):
        import_file(src, db, ImportOptions(country="PER", strict=True), settings=settings)
    assert stored == [3]
    assert _counts(db) == (0, 0)
    assert _quarantine_files(settings) == []


def test_failed_update_of_submission_rolls_back_rows(
    inprocess_imports: None, db: Database, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure after every row is stored (writing the submission's totals) still leaves nothing behind."""
    src = _write_csv(tmp_path / "late.csv", ROWS)

    def fail(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("simulated failure at the end")

    monkeypatch.setattr("tipnet.store.bulk.BulkTransaction.update", fail)
    with pytest.raises(RuntimeError, match="at the end"):
        import_file(src, db, ImportOptions(country="PER"), settings=settings)
    assert _counts(db) == (0, 0)
    assert _quarantine_files(settings) == []


def test_pooled_reads_see_every_import(db: Database, settings: Settings, tmp_path: Path) -> None:
    """The store's own engine (as a long-running server holds it) sees each import, not a stale snapshot."""
    with db.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(persons)).scalar_one() == 0
    for n in (1, 2, 3):
        src = _write_csv(
            tmp_path / f"batch{n}.csv", [f"B{n}R{i},C{n},female,30,,2023-05-0{i},,PER,PER" for i in (1, 2)]
        )
        report = import_file(src, db, ImportOptions(country="PER"), settings=settings)
        assert report.rows_accepted == 2
        with db.engine.connect() as conn:
            n_persons = conn.execute(sa.select(sa.func.count()).select_from(persons)).scalar_one()
            n_subs = conn.execute(sa.select(sa.func.count()).select_from(submissions)).scalar_one()
        assert (n_subs, n_persons) == (n, 2 * n), f"after import {n}"
