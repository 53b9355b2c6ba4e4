"""Each import profile on a small real-shaped file, with expectations worked out by hand from the file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from tipnet.ingest.pipeline import ImportOptions, import_file, validate_file
from tipnet.store.tables import persons

FIX = Path(__file__).parent / "fixtures"


def _rows(db, submission_id: int) -> dict[str, dict]:
    with db.engine.connect() as conn:
        rows = conn.execute(select(persons).where(persons.c.submission_id == submission_id)).mappings().all()
    return {r["record_id"]: dict(r) for r in rows}


def test_htcds_flat_file(sqlite_db, settings):
    report = import_file(FIX / "htcds_sample.csv", sqlite_db, ImportOptions(country="PER"), settings)
    assert report.profile == "htcds"
    assert (report.rows_total, report.rows_accepted, report.rows_quarantined) == (3, 3, 0)
    rows = _rows(sqlite_db, report.submission_id)
    a = rows["H-001"]
    assert a["case_id"] == "CASE-10"
    assert a["given_names"] == "María José" and a["family_names"] == "Quispe Huamán"
    assert a["birth_date"] == dt.date(2003, 4, 12) and a["identification_date"] == dt.date(2021, 2, 3)
    assert a["age"] == 17 and a["is_minor"] is True and a["age_band"] == "9-17"
    assert a["sex"] == "female" and a["gender"] == "feminine"
    assert a["citizenship"] == "VEN"
    assert a["forms_of_exploitation"] == "sexual_exploitation;forced_labour"
    assert a["labour_sector"] == "I"
    assert a["means_of_control"] == "debt_bondage;withholds_documents"
    assert a["recruiter_relationship"] == "acquaintance"
    assert (a["recruitment_country"], a["recruitment_place"]) == ("VEN", "Caracas")
    assert a["transit_countries"] == "COL"
    assert (a["exploitation_country"], a["exploitation_place"]) == ("PER", "Lima")
    assert a["victim_status"] == "actual" and a["source_type"] == "ngo" and a["consent_share_hub"] is True
    b = rows["H-002"]
    assert b["age"] == 30 and b["is_minor"] is False and b["sex"] == "male"
    assert b["victim_status"] == "possible" and b["recruiter_relationship"] == "family"
    assert b["exploitation_place"] == "Madre de Dios" and b["labour_sector"] == "A"
    # H-003: forms of exploitation that are no value of the vocabulary: the victim is kept, the field unknown, the
    # cell kept raw and a warning reported (row 4 of the file)
    c = rows["H-003"]
    assert c["forms_of_exploitation"] is None and json.loads(c["raw_values"]) == {
        "forms_of_exploitation": "Surrogacy;NotAForm"
    }
    warned = [p for p in report.problems if p.row == 4 and p.code == "invalid-code"]
    assert [(p.field, p.column, p.value, p.severity) for p in warned] == [
        ("forms_of_exploitation", "vic_TypeOfExploitation", "Surrogacy;NotAForm", "warning")
    ]
    assert report.quarantine_path is None and report.values_kept == 1


def test_ctdc_2017_layout_alpha2_and_minus_99(sqlite_db, settings):
    report = import_file(FIX / "ctdc2017_sample.csv", sqlite_db, ImportOptions(), settings)
    assert report.profile == "ctdc2017"
    assert (report.rows_total, report.rows_accepted, report.rows_quarantined) == (4, 4, 0)
    rows = _rows(sqlite_db, report.submission_id)
    first = rows["row-2"]
    assert first["identification_year"] == 2015 and first["source_type"] == "ngo"
    assert first["sex"] == "female" and first["age_band"] == "18-20" and first["is_minor"] is False
    assert first["citizenship"] == "COL" and first["exploitation_country"] == "USA"
    assert first["reporting_country"] == "USA"
    assert first["forms_of_exploitation"] == "sexual_exploitation"
    assert first["sexual_exploitation_type"] == "prostitution"
    assert first["means_of_control"] == "debt_bondage" and first["recruiter_relationship"] == "friend"
    second = rows["row-3"]
    assert second["source_type"] == "hotline" and second["is_minor"] is True and second["age_band"] == "9-17"
    assert second["citizenship"] == "MEX" and second["labour_sector"] == "A"
    assert second["means_of_control"] == "physical_threats"
    by_row = {p.row: p.code for p in report.problems if p.row}
    # every location is -99: a global data set keeps the victim, reporting country unknown
    assert 4 not in by_row and rows["row-4"]["reporting_country"] is None
    assert rows["row-4"]["forms_of_exploitation"] is None  # every flag is -99: not recorded
    # "Minor" with the 30--38 band: the victim is kept, whether a minor is unknown (not taken from either side),
    # the band as written, the raw cell kept and a warning reported; a strict profile quarantines the row
    assert by_row[5] == "inconsistent-age"
    contradicted = rows["row-5"]
    assert contradicted["is_minor"] is None and contradicted["age_band"] == "30-38"
    assert json.loads(contradicted["raw_values"]) == {"is_minor": "Minor"}
    assert [p.severity for p in report.problems if p.row == 5] == ["warning"]
    assert (
        report.problem_counts["unmapped-column"] == 3
    )  # majorityStatusAtExploit, majorityEntry, NotSpecified


def test_ctdc_2024_layout_alpha3_and_zero_padded_bands(sqlite_db, settings):
    report = import_file(FIX / "ctdc2024_sample.csv", sqlite_db, ImportOptions(), settings)
    assert report.profile == "ctdc2024"
    assert (report.rows_accepted, report.rows_quarantined) == (3, 0)
    rows = _rows(sqlite_db, report.submission_id)
    girl = rows["row-2"]
    assert girl["sex"] == "female" and girl["age_band"] == "9-17" and girl["is_minor"] is True
    assert girl["means_of_control"] == "physical_threats;physical_abuse;sexual_abuse;psychological_abuse"
    assert girl["recruiter_relationship"] == "intimate_partner"
    man = rows["row-3"]
    assert man["sex"] == "male" and man["citizenship"] == "VEN" and man["exploitation_country"] == "COL"
    assert man["means_of_control"] == "debt_bondage;takes_earnings;withholds_documents"
    assert man["labour_sector"] == "T"
    assert [(p.code, p.severity) for p in report.problems if p.row == 4] == [("region-not-country", "warning")]
    assert rows["row-4"]["citizenship"] is None and json.loads(rows["row-4"]["raw_values"]) == {"citizenship": "SAM"}


def test_user_yaml_mapping_on_a_cp1252_semicolon_spreadsheet(sqlite_db, settings):
    opts = ImportOptions(profile=str(FIX / "national_mapping.yaml"), country="PER")
    report = import_file(FIX / "national_cp1252.csv", sqlite_db, opts, settings)
    assert report.encoding == "cp1252" and report.profile == "policia-nacional-per"
    assert (report.rows_accepted, report.rows_quarantined) == (3, 0)
    rows = _rows(sqlite_db, report.submission_id)
    rosa = rows["PNP-1"]
    assert rosa["family_names"] == "Mamani Condori" and rosa["identification_date"] == dt.date(2022, 4, 3)
    assert rosa["citizenship"] == "PER" and rosa["forms_of_exploitation"] == "sexual_exploitation"
    assert rosa["is_minor"] is True and rosa["source_type"] == "police" and rosa["agency"] == "PNP DIRCTPTIM"
    assert rows["PNP-2"]["citizenship"] == "BOL" and rows["PNP-2"]["forms_of_exploitation"] == "forced_labour"
    codes = sorted(p.code for p in report.problems if p.row == 4)
    assert codes == ["invalid-date", "invalid-integer"]
    juan = rows["PNP-3"]  # age "abc" and 31 February: kept, both unknown, both cells kept raw
    assert juan["age"] is None and juan["identification_date"] is None
    assert json.loads(juan["raw_values"]) == {"age": "abc", "identification_date": "31/02/2022"}
    warned = [p.column for p in report.problems if p.code == "unmapped-column"]
    assert warned == ["Observaciones"]


def test_validate_reports_the_file_row_field_and_value():
    report = validate_file(
        FIX / "national_cp1252.csv", ImportOptions(profile=str(FIX / "national_mapping.yaml"), country="PER")
    )
    bad = next(p for p in report.problems if p.code == "invalid-integer")
    assert (bad.row, bad.field, bad.column, bad.value) == (4, "age", "Edad", "abc")
    assert "abc" in bad.message
    assert report.path.endswith("national_cp1252.csv")


def test_unknown_profile_is_one_clear_error(tmp_path):
    report = validate_file(FIX / "ctdc2024_sample.csv", ImportOptions(profile="nonesuch"))
    assert report.file_error is not None and report.file_error.code == "unknown-profile"
    assert report.rows_total == 0


@pytest.mark.parametrize("bad_field", ["exploitation_country", "citizenship"])
def test_country_names_in_four_languages_resolve(tmp_path, bad_field):
    path = tmp_path / "names.csv"
    path.write_text(
        f"record_id,case_id,{bad_field}\n1,1,Perú\n2,2,Pérou\n3,3,Estados Unidos\n4,4,États-Unis\n5,5,br\n6,6,BRA\n",
        encoding="utf-8",
    )
    report = validate_file(path, ImportOptions(country="PER"))
    assert report.valid and report.rows_valid == 6


def test_a_user_mapping_file_is_parsed_once_and_again_when_it_changes(tmp_path, monkeypatch):
    from tipnet.ingest import profiles

    parsed: list[str] = []
    real = profiles.parse_yaml
    monkeypatch.setattr(profiles, "parse_yaml", lambda text: parsed.append(text) or real(text))
    path = tmp_path / "mine.yaml"
    text = (FIX / "national_mapping.yaml").read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    first = profiles.load_profile(str(path))
    assert profiles.profile_kind(str(path)) == "records"
    assert profiles.load_profile(str(path)) == first
    assert len(parsed) == 1  # kind and rules of an unchanged file: one parse
    renamed = text.replace(f"name: {first.name}", "name: renamed-mapping", 1)
    assert renamed != text
    path.write_text(renamed + "\n", encoding="utf-8")  # a change of size: seen whatever the mtime resolution
    assert profiles.load_profile(str(path)).name == "renamed-mapping"
    assert len(parsed) == 2
