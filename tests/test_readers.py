"""Readers and file-level failures: encodings, delimiters, ragged rows, spreadsheets, JSON, Parquet, bad files."""

from __future__ import annotations

import json

import openpyxl
import polars as pl

from tipnet.auth.principal import system
from tipnet.auth.records import list_submissions
from tipnet.ingest.pipeline import ImportOptions, import_file, validate_file
from tipnet.settings import Settings
from tipnet.store.repo import count_persons

HEADER = "record_id,case_id,sex,age,citizenship"


def test_utf8_bom_and_semicolons(tmp_path):
    p = tmp_path / "bom.csv"
    p.write_bytes(
        "\ufeffrecord_id;case_id;sex;age;citizenship\n1;A;Femenino;12;Perú\n2;A;masculino;40;Brasil\n".encode(
            "utf-8"
        )
    )
    r = validate_file(p, ImportOptions(country="PER"))
    assert r.encoding == "utf-8-sig" and r.valid and r.rows_valid == 2


def test_latin1_is_read_as_windows_1252(tmp_path):
    p = tmp_path / "latin.csv"
    p.write_bytes(f"{HEADER}\n1,A,F,30,México\n2,B,M,31,Haití\n".encode("cp1252"))
    r = validate_file(p, ImportOptions(country="MEX"))
    assert r.encoding == "cp1252" and r.valid


def test_tab_delimited(tmp_path):
    p = tmp_path / "tabs.tsv"
    p.write_text("record_id\tcase_id\tage\n1\tA\t7\n2\tB\t8\n", encoding="utf-8")
    r = validate_file(p, ImportOptions(country="CHL"))
    assert r.valid and r.rows_total == 2


def test_ragged_rows_are_quarantined_not_cut(sqlite_db, settings, tmp_path):
    p = tmp_path / "ragged.csv"
    p.write_text(
        f'{HEADER}\n1,A,F,30,PER\n2,A,F,30,PER,extra\n3,A,F\n4,B,M,22,"Lima, Perú"\n', encoding="utf-8"
    )
    r = import_file(p, sqlite_db, ImportOptions(country="PER"), settings)
    codes = {p.row: p.code for p in r.problems if p.row}
    assert codes[3] == "extra-cell" and codes[4] == "missing-cell"
    assert codes[5] == "invalid-country"  # "Lima, Perú" is a place, not a country: kept, citizenship unknown
    assert (r.rows_total, r.rows_accepted, r.rows_quarantined) == (4, 2, 2)
    text = (settings.home / "quarantine").glob("*.csv").__next__().read_text(encoding="utf-8")
    assert "extra" in text  # the extra cell is kept in the quarantine file, not dropped


def test_quoted_newlines_keep_record_numbers(tmp_path):
    p = tmp_path / "multiline.csv"
    p.write_text(
        'record_id,case_id,place_of_birth,age\n1,A,"line one\nline two",30\n2,B,Lima,abc\n', encoding="utf-8"
    )
    r = validate_file(p, ImportOptions(country="PER"))
    assert [(x.row, x.code) for x in r.problems] == [(3, "invalid-integer")]


def test_xlsx_with_preamble_rows(tmp_path):
    p = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Ministerio del Interior — registro de víctimas"])
    ws.append([])
    ws.append(["record_id", "case_id", "age", "identification_date", "sex"])
    ws.append(["X1", "C1", 15, "2020-02-02", "F"])
    ws.append(["X2", "C1", 250, "2020-02-02", "M"])
    wb.save(p)
    r = validate_file(p, ImportOptions(country="ARG"))
    assert r.format == "xlsx" and r.rows_total == 2
    assert [(x.row, x.code) for x in r.problems] == [(5, "out-of-range")]  # Excel row 5


def test_json_and_parquet(tmp_path):
    records = [
        {
            "record_id": "1",
            "case_id": "A",
            "forms_of_exploitation": ["forced_labour", "forced_begging"],
            "age": 9,
        },
        {"record_id": "2", "case_id": "A", "age": "nine"},
    ]
    pj = tmp_path / "r.json"
    pj.write_text(json.dumps(records), encoding="utf-8")
    rj = validate_file(pj, ImportOptions(country="COL"))
    assert rj.format == "json" and [(x.row, x.code) for x in rj.problems] == [(2, "invalid-integer")]
    pq = tmp_path / "r.parquet"
    pl.DataFrame({"record_id": ["1", "2"], "case_id": ["A", "B"], "age": [9, 300]}).write_parquet(pq)
    rp = validate_file(pq, ImportOptions(country="COL"))
    assert rp.format == "parquet" and [(x.row, x.code) for x in rp.problems] == [(2, "out-of-range")]


def test_unreadable_spreadsheet_writes_nothing(sqlite_db, settings, tmp_path):
    p = tmp_path / "broken.xlsx"
    p.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    r = import_file(p, sqlite_db, ImportOptions(country="PER"), settings)
    assert r.file_error is not None and r.file_error.code == "unreadable-file"
    assert "broken.xlsx" in r.file_error.message
    assert list_submissions(sqlite_db, system("test")) == [] and count_persons(sqlite_db) == 0


def test_file_over_the_size_limit(sqlite_db, tmp_path):
    p = tmp_path / "big.csv"
    p.write_text(f"{HEADER}\n" + "1,A,F,30,PER\n" * 100, encoding="utf-8")
    small = Settings.from_env(home=tmp_path / "h", max_file_bytes=100)
    r = import_file(p, sqlite_db, ImportOptions(country="PER"), small)
    assert r.file_error is not None and r.file_error.code == "file-too-large"
    assert list_submissions(sqlite_db, system("test")) == []


def test_missing_required_column_is_a_header_error(tmp_path):
    p = tmp_path / "nocase.csv"
    p.write_text("record_id,age\n1,3\n", encoding="utf-8")
    r = validate_file(p, ImportOptions(country="PER"))
    assert (
        r.file_error is not None and r.file_error.code == "missing-column" and r.file_error.field == "case_id"
    )


def test_quarantine_file_can_be_fixed_and_reimported(sqlite_db, settings, tmp_path):
    p = tmp_path / "first.csv"
    p.write_text(f"{HEADER}\n1,A,F,30,PER\n2,A,F,300,PER\n3,B,M,20,Narnia\n", encoding="utf-8")
    strict = tmp_path / "strict.yaml"  # a strict profile quarantines a row for any cell it cannot read
    strict.write_text("name: flat-strict\nmatch_labels: true\nstrict: true\n", encoding="utf-8")
    first = import_file(p, sqlite_db, ImportOptions(country="PER", profile=str(strict)), settings)
    assert (first.rows_accepted, first.rows_quarantined) == (1, 2)
    qtext = open(first.quarantine_path, encoding="utf-8").read()
    fixed = tmp_path / "fixed.csv"
    fixed.write_text(qtext.replace(",300,", ",30,").replace("Narnia", "Bolivia"), encoding="utf-8")
    second = import_file(fixed, sqlite_db, ImportOptions(country="PER", profile=str(strict)), settings)
    assert (second.rows_total, second.rows_accepted, second.rows_quarantined) == (2, 2, 0)
    assert second.problem_counts["unmapped-column"] == 0  # tipnet_row / tipnet_errors are ours, not data
    assert count_persons(sqlite_db) == 3


def test_old_mac_line_endings_and_control_bytes(tmp_path):
    p = tmp_path / "cr.csv"
    p.write_bytes(b"\r\x01")
    r = validate_file(p, ImportOptions(country="PER"))
    assert r.file_error is not None and r.file_error.code == "empty-file"
    q = tmp_path / "mac.csv"
    q.write_bytes(b"record_id,case_id,age\r1,A,7\r2,B,x\r")
    r2 = validate_file(q, ImportOptions(country="PER"))
    assert r2.rows_total == 2 and [(x.row, x.code) for x in r2.problems] == [(3, "invalid-integer")]
