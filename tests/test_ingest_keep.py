"""Nothing silently lost: flags as spreadsheets write them, unreadable cells kept raw with a warning, quarantine files
in the source's own encoding and delimiter. Expected values are written out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select

from tipnet.ingest.flags import UNREADABLE, read_flag
from tipnet.ingest.pipeline import ImportOptions, import_file, validate_file
from tipnet.store.tables import persons

FIX = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize("cell", ["1", "1.0", "1,0", "1.00", "+1", "-1", "TRUE", "True", "true", "Sí", "si", "SIM",
                                  "X", "x", "yes", "Y", "oui", "Verdadero", "✓", " 1.0 "])
def test_yes_in_every_spelling(cell):
    assert read_flag(cell) is True


@pytest.mark.parametrize("cell", ["0", "0.0", "0,0", "0.000", "FALSE", "false", "No", "NÃO", "não", "non", "n",
                                  "Falso", "faux"])
def test_no_in_every_spelling(cell):
    assert read_flag(cell) is False


@pytest.mark.parametrize("cell", ["", "  ", None, "-99"])
def test_blank_and_missing_mean_not_recorded(cell):
    assert read_flag(cell, ("-99",)) is None


@pytest.mark.parametrize("cell", ["2", "0.5", "maybe", "1;0", "unknown", "1.5"])
def test_what_no_rule_reads_is_unreadable(cell):
    assert read_flag(cell) == UNREADABLE


def _csv(tmp_path: Path, text: str, name: str = "flags.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


CTDC_HEADER = "yearOfRegistration,majorityStatus,CountryOfExploitation,isForcedLabour,isSexualExploit,citizenship\n"


def test_flag_cells_are_read_or_reported_never_dropped(sqlite_db, settings, tmp_path):
    path = _csv(tmp_path, CTDC_HEADER + "2019,Adult,US,1.0,0.0,MX\n2019,Adult,US,TRUE,Sí,MX\n"
                "2019,Adult,US,maybe,1,MX\n2019,Adult,US,-99,-99,MX\n")
    report = import_file(path, sqlite_db, ImportOptions(), settings)
    assert (report.rows_total, report.rows_accepted, report.rows_quarantined) == (4, 4, 0)
    with sqlite_db.engine.connect() as conn:
        rows = {r.source_row: r for r in conn.execute(select(persons)).all()}
    assert rows[2].forms_of_exploitation == "forced_labour"
    assert set(rows[3].forms_of_exploitation.split(";")) == {"forced_labour", "sexual_exploitation"}
    assert rows[4].forms_of_exploitation == "sexual_exploitation"  # the readable flag counts
    assert json.loads(rows[4].raw_values) == {"forms_of_exploitation:isForcedLabour": "maybe"}
    assert rows[5].forms_of_exploitation is None and rows[5].raw_values is None  # -99: not recorded, no warning
    bad = [p for p in report.problems if p.code == "invalid-flag"]
    assert [(p.row, p.field, p.column, p.value, p.severity) for p in bad] == [
        (4, "forms_of_exploitation", "isForcedLabour", "maybe", "warning")]


def test_only_what_counts_a_victim_quarantines_a_row(tmp_path):
    path = _csv(tmp_path, "record_id,case_id,age,birth_date,citizenship,sex\n"
                "1,A,300,1990-02-30,Narnia,zz\n,B,30,,PER,F\n")
    report = validate_file(path, ImportOptions(country="PER"))
    by_row: dict[int, set[tuple[str, str]]] = {}
    for p in report.problems:
        if p.row:
            by_row.setdefault(p.row, set()).add((p.code, p.severity))
    assert by_row[2] == {("out-of-range", "warning"), ("invalid-date", "warning"), ("invalid-country", "warning"),
                         ("invalid-code", "warning")}
    assert by_row[3] == {("required", "error")}  # no record identifier: cannot be counted
    assert (report.rows_valid, report.rows_invalid, report.values_kept) == (1, 1, 4)  # the cells an import keeps


def test_quarantine_of_a_cp1252_semicolon_file_is_cp1252_with_semicolons(sqlite_db, settings, tmp_path):
    mapping = tmp_path / "strict.yaml"
    mapping.write_text((FIX / "national_mapping.yaml").read_text(encoding="utf-8") + "strict: true\n",
                       encoding="utf-8")
    source = (FIX / "national_cp1252.csv").read_bytes()
    report = import_file(FIX / "national_cp1252.csv", sqlite_db,
                         ImportOptions(profile=str(mapping), country="PER"), settings)
    assert (report.rows_accepted, report.rows_quarantined) == (2, 1)
    data = Path(report.quarantine_path).read_bytes()
    header, juan = source.splitlines()[0], source.splitlines()[3]
    assert b"\xf3" in header  # "intervención" in Windows-1252, as in the source
    assert data.startswith(header + b";tipnet_row;tipnet_errors\r\n")  # no BOM, the source's own header bytes
    assert data.splitlines()[1].startswith(juan + b";4;")  # the rejected row byte for byte, then its number
    assert data.decode("cp1252").count("\n") == 2


def test_quarantine_of_a_utf8_tab_file_is_utf8_with_bom_and_tabs(sqlite_db, settings, tmp_path):
    path = tmp_path / "tabs.tsv"
    path.write_text("record_id\tcase_id\tage\n1\tA\t7\n\tB\t8\n", encoding="utf-8")
    report = import_file(path, sqlite_db, ImportOptions(country="CHL"), settings)
    assert (report.rows_accepted, report.rows_quarantined) == (1, 1)
    data = Path(report.quarantine_path).read_bytes()
    assert data.startswith(b"\xef\xbb\xbfrecord_id\tcase_id\tage\ttipnet_row\ttipnet_errors\r\n\tB\t8\t3\t")


def test_the_migration_gives_persons_its_raw_values_and_an_optional_reporting_country(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from tipnet.store.db import Database
    from tipnet.store.tables import metadata

    db = Database(f"sqlite:///{tmp_path / 'migrated.db'}")
    db.upgrade()
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
        columns = {c["name"]: c for c in sa_inspect(conn).get_columns("persons")}
    mine = ("raw_values", "reporting_country")
    assert [d for d in diff if "persons" in str(d) and any(f"'{c}'" in str(d) for c in mine)] == []
    assert columns["raw_values"]["nullable"] and columns["reporting_country"]["nullable"]


CONTRADICTIONS = ("record_id,case_id,identification_date,identification_year,birth_date,age,age_band,is_minor,"
                  "exploitation_start_date,exploitation_end_date\n"
                  "1,A,2020-03-01,2019,,,,,,\n"           # the year is not the date's year
                  "2,A,2020-03-01,,2012-01-01,30,,,,\n"   # a stated age of 30, a birth date that makes 8
                  "3,A,,,,25,9-17,,,\n"                   # a band of children for an age of 25
                  "4,A,,,,25,,true,,\n"                   # a minor aged 25
                  "5,A,2010-01-01,,2012-01-01,,,,,\n"     # identified before being born
                  "6,A,,,,,,,2021-05-01,2020-05-01\n"     # exploitation ending before it began
                  "7,A,2020-03-01,2020,2000-01-01,20,18-20,false,,\n")  # all consistent


def test_a_contradiction_leaves_the_field_unknown_and_keeps_the_victim(sqlite_db, settings, tmp_path):
    """A field that contradicts another is unknown on the kept record, raw cell kept, nothing derived from the
    other side; the consistent row is read whole. Expected values written out by hand."""
    report = import_file(_csv(tmp_path, CONTRADICTIONS, "c.csv"), sqlite_db, ImportOptions(country="PER"), settings)
    assert (report.rows_total, report.rows_accepted, report.rows_quarantined) == (7, 7, 0)
    with sqlite_db.engine.connect() as conn:
        got = {r.record_id: r for r in conn.execute(select(persons)).all()}
    one, two, three, four, five, six, seven = (got[str(i)] for i in range(1, 8))
    assert one.identification_year is None and str(one.identification_date) == "2020-03-01"
    assert json.loads(one.raw_values) == {"identification_year": "2019"}
    assert (two.age, two.age_band, two.is_minor) == (None, None, None)  # not 30, and not 8 either
    assert json.loads(two.raw_values) == {"age": "30"}
    assert (three.age, three.age_band, three.is_minor) == (25, None, False)
    assert (four.age, four.is_minor, four.age_band) == (25, None, "24-26")  # the band of 25 in the vocabulary
    assert five.identification_date is None and five.identification_year is None
    assert six.exploitation_end_date is None and str(six.exploitation_start_date) == "2021-05-01"
    assert (seven.identification_year, seven.age, seven.age_band, seven.is_minor, seven.raw_values) == (
        2020, 20, "18-20", False, None)
    codes = sorted((p.row, p.code, p.severity) for p in report.problems if p.row)
    assert codes == [(2, "inconsistent-year", "warning"), (3, "inconsistent-age", "warning"),
                     (4, "inconsistent-age-band", "warning"), (5, "inconsistent-age", "warning"),
                     (6, "date-order", "warning"), (7, "date-order", "warning")]


def test_a_strict_profile_quarantines_contradictions(tmp_path):
    profile = tmp_path / "strict.yaml"
    columns = CONTRADICTIONS.splitlines()[0].split(",")
    profile.write_text("name: strict-tipnet\nstrict: true\ncolumns:\n" + "".join(f"  {c}: {c}\n" for c in columns),
                       encoding="utf-8")
    report = validate_file(_csv(tmp_path, CONTRADICTIONS, "c.csv"), ImportOptions(country="PER",
                                                                                   profile=str(profile)))
    assert (report.rows_valid, report.rows_invalid) == (1, 6)
