"""A real CTDC global dataset excerpt (tests/fixtures/real/ctdc_global, see its SOURCE.md), imported by the hub.

Expected figures are counted here with plain Python over the CSV files, not by the code under test. The second
file is the same rows re-saved as a spreadsheet would (flags as 1.0/0.0, -99 for missing, citizenship 0); `resave`
below is that procedure, and a test checks that the file is exactly its output.
"""

from __future__ import annotations

import csv
import io
import json
from importlib import resources
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.store.tables import persons

REAL = Path(__file__).parent / "fixtures" / "real" / "ctdc_global"
EXCERPT = REAL / "ctdc_global_k_anon_excerpt.csv"
RESAVED = REAL / "ctdc_2020_layout_resaved.csv"

# CTDC codebook: which flag says which form of exploitation (written from the codebook, not from the profile)
FORMS = {
    "isForcedLabour": {"forced_labour"},
    "isSexualExploit": {"sexual_exploitation"},
    "isOtherExploit": {"other"},
    "isSexAndLabour": {"sexual_exploitation", "forced_labour"},
    "isForcedMarriage": {"forced_marriage"},
    "isForcedMilitary": {"forced_military"},
    "isOrganRemoval": {"organ_removal"},
    "isSlaveryAndPractices": {"servitude"},
    "typeOfLabourBegging": {"forced_begging"},
    "typeOfLabourIllicitActivities": {"forced_criminality"},
}
ALPHA3 = {"US": "USA", "LY": "LBY", "RU": "RUS", "LB": "LBN", "CO": "COL", "MD": "MDA", "NG": "NGA", "NP": "NPL",
          "PH": "PHL", "CM": "CMR"}
MINOR_BANDS = {"0--8", "9--17"}


def resave(text: str) -> str:
    """The excerpt as a spreadsheet re-saves it in the 2020 layout (see SOURCE.md)."""
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    header, body = rows[0], rows[1:]
    flags = [i > 1 and any(r[i] for r in body) and all(r[i] in ("", "0", "1") for r in body)
             for i in range(len(header))]
    floats = [flags[i] and any(r[i] == "" for r in body) for i in range(len(header))]
    cit, source = header.index("citizenship"), header.index("Datasource")
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    for r in body:
        writer.writerow(["0" if i == cit and v == "" and r[source] == "Hotline" else "-99" if v == ""
                         else v + ".0" if floats[i] else v for i, v in enumerate(r)])
    return out.getvalue()


def _source_rows(path: Path) -> list[dict[str, str]]:
    text = path.read_text(encoding="utf-8")
    delimiter = ";" if path == EXCERPT else ","
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter))


def _blank(v: str) -> bool:
    return v.strip() in ("", "-99")


def _yes(v: str) -> bool:
    return v.strip() in ("1", "1.0")


def _expected(rows: list[dict[str, str]]) -> list[dict]:
    out = []
    for number, r in enumerate(rows, start=2):  # the header is row 1
        forms: set[str] = set()
        for column, codes in FORMS.items():
            if _yes(r[column]):
                forms |= codes
        band, status = r["ageBroad"], r["majorityStatus"]
        inconsistent = not _blank(band) and status in ("Adult", "Minor") and (
            (band in MINOR_BANDS) != (status == "Minor"))
        exploited_in = None if _blank(r["CountryOfExploitation"]) else ALPHA3[r["CountryOfExploitation"]]
        out.append({"row": number, "forms": forms, "country": exploited_in, "lost": inconsistent,
                    "citizenship": r["citizenship"].strip()})
    return out


def _stored(db, submission_id: int) -> dict[int, dict]:
    with db.engine.connect() as conn:
        rows = conn.execute(select(persons).where(persons.c.submission_id == submission_id)).mappings().all()
    return {r["source_row"]: dict(r) for r in rows}


def test_the_resaved_file_is_the_excerpt_resaved():
    assert RESAVED.read_bytes().decode("utf-8") == resave(EXCERPT.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", [EXCERPT, RESAVED], ids=["k-anon-release", "resaved-1.0-flags"])
def test_hub_import_of_a_global_ctdc_file_keeps_every_victim_and_every_form(sqlite_db, settings, path):
    expected = _expected(_source_rows(path))
    report = import_file(path, sqlite_db, ImportOptions(), settings)  # the hub: no --country
    assert report.profile == "ctdc2017"
    lost = [e["row"] for e in expected if e["lost"]]
    assert report.rows_total == len(expected) == report.rows_accepted + report.rows_quarantined
    assert report.rows_quarantined == len(lost)
    assert report.rows_accepted / report.rows_total >= 0.98
    stored = _stored(sqlite_db, report.submission_id)
    assert sorted(stored) == [e["row"] for e in expected if not e["lost"]]

    with_forms = [e for e in expected if e["forms"] and not e["lost"]]
    assert len(with_forms) > 100  # the excerpt is mostly victims whose file gives the form
    for e in expected:
        if e["lost"]:
            continue
        s = stored[e["row"]]
        got = set(s["forms_of_exploitation"].split(";")) if s["forms_of_exploitation"] else set()
        assert got == e["forms"], e["row"]
        assert s["reporting_country"] == e["country"] and s["exploitation_country"] == e["country"], e["row"]
    no_country = [e for e in expected if e["country"] is None]
    assert len(no_country) == sum(1 for s in stored.values() if s["reporting_country"] is None) > 50
    assert report.problem_counts["required"] == 0


def test_unknown_citizenship_0_keeps_the_victim_and_the_raw_cell(sqlite_db, settings):
    expected = _expected(_source_rows(RESAVED))
    zero = [e["row"] for e in expected if e["citizenship"] == "0"]
    assert len(zero) == 50  # the hotline rows: counted by hand in SOURCE.md's runs 3 and 4
    report = import_file(RESAVED, sqlite_db, ImportOptions(), settings)
    stored = _stored(sqlite_db, report.submission_id)
    for row in zero:
        assert stored[row]["citizenship"] is None
        assert json.loads(stored[row]["raw_values"]) == {"citizenship": "0"}
    warned = [p for p in report.problems if p.code == "invalid-country"]
    assert sorted(p.row for p in warned) == zero
    assert {(p.field, p.column, p.value, p.severity) for p in warned} == {
        ("citizenship", "citizenship", "0", "warning")}
    assert report.values_kept == len(zero)
    others = [s for r, s in stored.items() if r not in zero]
    assert all(s["raw_values"] is None for s in others)


def test_a_strict_profile_quarantines_what_it_cannot_read(sqlite_db, settings, tmp_path):
    builtin = resources.files("tipnet.ingest").joinpath("profiles", "ctdc2017.yaml")
    doc = yaml.safe_load(builtin.read_text(encoding="utf-8"))
    doc.update(name="ctdc2017-strict", strict=True)
    strict = tmp_path / "strict.yaml"
    strict.write_text(yaml.safe_dump(doc), encoding="utf-8")
    expected = _expected(_source_rows(RESAVED))
    zero = {e["row"] for e in expected if e["citizenship"] == "0"}
    report = import_file(RESAVED, sqlite_db, ImportOptions(profile=str(strict)), settings)
    assert report.rows_quarantined == len(zero | {e["row"] for e in expected if e["lost"]})
    assert {p.severity for p in report.problems if p.code == "invalid-country"} == {"error"}
