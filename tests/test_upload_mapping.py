"""Mapping an agency's own spreadsheet on the web: the report of a file whose headers are not the standard's offers
a mapping page (suggested field and sample values per column), the confirmed mapping becomes the country's saved
profile, the staged file is validated again with it, and the next upload of that country (only) offers the profile.

The fixture is tests/fixtures/national_cp1252.csv: Windows-1252, semicolons, the Spanish headers of a police
spreadsheet, 3 data rows (row 4 has an age `abc` and a date 31/02/2022, both cells kept as warnings).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from auth_helpers import make_user, signed_in_client
from conftest import FIXTURES

from tipnet.ingest.suggest import suggest, suggest_field
from tipnet.store.repo import count_persons
from tipnet.web.app import create_app

FILE = FIXTURES / "national_cp1252.csv"
HEADERS = ["Nro Registro", "Nro Caso", "Nombres", "Apellidos", "Sexo", "Edad", "Fecha de intervención",
           "Nacionalidad", "Finalidad", "Lugar de explotación", "Observaciones"]
# by hand: Spanish labels of the standard (Nombres, Apellidos, Sexo, Edad, Nacionalidad, Lugar de explotación),
# header synonyms (Nro Registro, Nro Caso, Fecha de intervención, Finalidad); nothing for Observaciones
EXPECTED = {"Nro Registro": "record_id", "Nro Caso": "case_id", "Nombres": "given_names",
            "Apellidos": "family_names", "Sexo": "sex", "Edad": "age", "Fecha de intervención": "identification_date",
            "Nacionalidad": "citizenship", "Finalidad": "forms_of_exploitation",
            "Lugar de explotación": "exploitation_place", "Observaciones": ""}


@pytest.fixture
def app(sqlite_db, settings):
    return create_app(sqlite_db, settings)


def _upload(client, profile: str = "") -> str:
    r = client.post("/uploads.json", files={"file": ("policia.csv", FILE.read_bytes(), "text/csv")},
                    data={"profile": profile})
    assert r.status_code == 201, r.text
    return str(r.json()["token"])


def _mapping_form(columns: list[dict], name: str) -> dict[str, str]:
    form = {f"column-{i}": c["field"] for i, c in enumerate(columns)}
    return {**form, "name": name, "title": "Policía Nacional del Perú"}


def test_suggestions_by_name_label_synonym_and_close_spelling():
    assert suggest_field("NACIONALIDAD") == ("citizenship", "exact")  # Spanish label, any case
    assert suggest_field("lugar_de_explotacion") == ("exploitation_place", "exact")  # accents and spacing ignored
    assert suggest_field("record_id") == ("record_id", "exact")
    assert suggest_field("Date de naissance") == ("birth_date", "exact")  # French label
    assert suggest_field("Nacionalidd") == ("citizenship", "close")  # one letter short
    assert suggest_field("Observaciones") == ("", "none")
    # a field is suggested once: the exact match wins over a close one, the first column over a later one
    got = [(s.column, s.field) for s in suggest(["Nacionalidd", "Nacionalidad", "Sexo", "Sex"])]
    assert got == [("Nacionalidd", ""), ("Nacionalidad", "citizenship"), ("Sexo", "sex"), ("Sex", "")]


def test_map_save_validate_commit(app, sqlite_db, settings):
    client, _ = signed_in_client(app, sqlite_db, "analyst", "PER")
    token = _upload(client)
    report = client.get(f"/uploads/{token}.json").json()
    assert report["needs_mapping"] and report["mapping"] == f"/uploads/{token}/mapping"
    missing = {p["field"] for p in report["report"]["problems"] if p["code"] == "missing-column"}
    assert missing == {"record_id", "case_id"}
    page = client.get(f"/uploads/{token}?lang=es")
    assert "Falta una columna obligatoria" in page.text and 'id="map-columns"' in page.text

    doc = client.get(f"/uploads/{token}/mapping.json").json()
    assert [c["column"] for c in doc["columns"]] == HEADERS
    assert {c["column"]: c["field"] for c in doc["columns"]} == EXPECTED
    samples = {c["column"]: c["samples"] for c in doc["columns"]}
    assert samples["Nro Registro"] == ["PNP-1", "PNP-2", "PNP-3"]
    assert samples["Nro Caso"] == ["C-77", "C-78"]  # distinct values
    assert samples["Nacionalidad"] == ["Perú", "Bolivia", "Peru"]  # read as Windows-1252
    html = client.get(f"/uploads/{token}/mapping?lang=es")
    assert html.status_code == 200 and "Asignar las columnas del archivo" in html.text
    assert '<option value="record_id" selected>' in html.text

    done = client.post(f"/uploads/{token}/mapping.json", data=_mapping_form(doc["columns"], "policia-nacional"))
    assert done.status_code == 200, done.text
    assert done.json()["profile"] == "policia-nacional"
    saved = settings.home / "profiles" / "PER" / "policia-nacional.yaml"
    profile = yaml.safe_load(saved.read_text(encoding="utf-8"))
    assert profile["name"] == "policia-nacional"
    assert profile["columns"] == {k: v for k, v in EXPECTED.items() if v}
    again = client.get(f"/uploads/{token}.json").json()
    assert not again["needs_mapping"]
    r = again["report"]
    assert (r["rows_total"], r["rows_valid"], r["rows_invalid"]) == (3, 3, 0)
    kept = {(p["row"], p["code"]) for p in r["problems"] if p["row"] is not None}
    assert {(4, "invalid-integer"), (4, "invalid-date")} <= kept  # Edad abc, 31/02/2022: kept as warnings

    assert count_persons(sqlite_db) == 0
    committed = client.post(f"/uploads/{token}/commit.json")
    assert committed.status_code == 201 and committed.json()["rows_accepted"] == 3
    assert count_persons(sqlite_db) == 3
    with sqlite_db.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT record_id, case_id, given_names, reporting_country FROM persons ORDER BY record_id").fetchall()
        saves = conn.exec_driver_sql(
            "SELECT object_id, subject_country FROM audit_log WHERE action = 'profile.save'").fetchall()
    assert [tuple(x) for x in rows] == [("PNP-1", "C-77", "Rosa", "PER"), ("PNP-2", "C-77", "Lucía", "PER"),
                                        ("PNP-3", "C-78", "Juan", "PER")]
    assert [tuple(x) for x in saves] == [("policia-nacional", "PER")]


def test_saved_profile_is_offered_to_its_country_only(app, sqlite_db, settings):
    per, _ = signed_in_client(app, sqlite_db, "analyst", "PER")
    token = _upload(per)
    columns = per.get(f"/uploads/{token}/mapping.json").json()["columns"]
    assert per.post(f"/uploads/{token}/mapping.json", data=_mapping_form(columns, "pnp")).status_code == 200

    offered = per.get("/uploads.json").json()["saved_profiles"]
    assert offered == [{"name": "pnp", "title": "Policía Nacional del Perú"}]
    assert '<option value="pnp">' in per.get("/uploads").text
    direct = per.get(f"/uploads/{_upload(per, 'pnp')}.json").json()["report"]  # the next upload, with the profile
    assert (direct["rows_valid"], direct["rows_invalid"]) == (3, 0)

    col, _ = signed_in_client(app, sqlite_db, "analyst", "COL")
    assert col.get("/uploads.json").json()["saved_profiles"] == []
    r = col.post("/uploads.json", files={"file": ("p.csv", FILE.read_bytes(), "text/csv")}, data={"profile": "pnp"})
    assert r.status_code == 422 and "unknown profile" in r.json()["error"]["message"]
    assert col.get(f"/uploads/{token}/mapping.json").status_code == 404  # PER's staged file


@pytest.mark.parametrize("name", ["../evil", "..", "PER/../../x", "a/b", "Mayúsculas", "tipnet", ""])
def test_bad_profile_names_are_refused(app, sqlite_db, settings, name):
    client, _ = signed_in_client(app, sqlite_db, "analyst", "PER")
    token = _upload(client)
    columns = client.get(f"/uploads/{token}/mapping.json").json()["columns"]
    r = client.post(f"/uploads/{token}/mapping.json", data=_mapping_form(columns, name))
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid-request"
    written = [p.relative_to(settings.home) for p in Path(settings.home).rglob("*.yaml")]
    assert written == []


def test_a_mapping_that_maps_nothing_is_refused(app, sqlite_db):
    client, _ = signed_in_client(app, sqlite_db, "analyst", "PER")
    token = _upload(client)
    r = client.post(f"/uploads/{token}/mapping.json", data={"name": "nothing"})
    assert r.status_code == 422 and "maps no column" in r.json()["error"]["message"]


def test_mapping_in_a_browser(page, server, sqlite_db):
    """Upload through the form in Spanish, follow the report's link to the mapping page, confirm the suggestions;
    screenshots of the mapping page at 1366 and 390 px, in English and Spanish, go to /tmp/mapping-shots/."""
    from browser_support import sign_in

    shots = Path("/tmp/mapping-shots")
    shots.mkdir(exist_ok=True)
    sign_in(page, server, make_user(sqlite_db, "analyst", "PER"), "/uploads?lang=es")
    page.set_input_files("input[name=file]", str(FILE))
    page.click("#upload button[type=submit]")
    page.wait_for_selector("#file-error")
    assert "Falta una columna obligatoria" in page.inner_text("#file-error")
    page.click("#map-columns")
    page.wait_for_selector("#mapping")
    mapping_url = page.url.split("?")[0]
    for lang in ("en", "es"):
        for width in (1366, 390):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{mapping_url}?lang={lang}")
            page.wait_for_selector("#mapping")
            page.screenshot(path=str(shots / f"mapping-{lang}-{width}.png"), full_page=True)
            wide = page.evaluate("[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect()"
                                 ".right > window.innerWidth + 1).map(e => e.tagName + '.' + e.className + '#' + e.id)")
            assert not wide, f"the page scrolls sideways at {width} px: {wide}"
    assert page.input_value("select[name=column-0]") == "record_id"
    assert page.input_value("select[name=column-10]") == ""  # Observaciones: ignored
    page.fill("input[name=name]", "policia-nacional")
    page.click("#save-mapping")
    page.wait_for_selector("#row-summary")
    assert page.locator("#commit").count() == 1
    page.screenshot(path=str(shots / "report-after-mapping-es-390.png"), full_page=True)
