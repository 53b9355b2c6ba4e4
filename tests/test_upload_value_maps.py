"""Value maps and tables of counts on the web mapping step.

A list of victims: after its columns are mapped, the values of mapped columns that the standard does not read are
listed with a suggested code (`V` varón -> male, `Muj.` -> female, `Venez.` -> VEN); the confirmed maps are saved
in the country's profile and the imported records carry the codes.

A table of counts: the real SESNSP (Mexico) victims table excerpt, uploaded as it is (no built-in profile chosen),
is mapped through the web as a table of counts (roles, then the filter's values and the value maps); the yearly
totals by sex and age band equal sums counted here with the csv module, never by tipnet.
"""

from __future__ import annotations

import csv
from collections import Counter

import pytest
import yaml
from auth_helpers import signed_in_client
from conftest import FIXTURES

from tipnet.ingest.aggregate_profile import band_from_label
from tipnet.ingest.suggest_aggregate import looks_like_counts, period_role
from tipnet.ingest.suggest_values import unresolved
from tipnet.stats.national import national
from tipnet.stats.source import StatsSource
from tipnet.web.app import create_app

SESNSP = FIXTURES / "real" / "sesnsp-victimas" / "IDVFC_NM_dic24_excerpt.csv"
MONTHS = ["Enero", "Febrero", "Marzo", "Abril", "Mayo", "Junio", "Julio", "Agosto", "Septiembre", "Octubre",
          "Noviembre", "Diciembre"]
# A police list with its own codes: F and M are read by the standard already; V (varón), Muj. and 9 are not.
RECORDS = (
    "Nro Registro;Nro Caso;Sexo;Edad;Nacionalidad\n"
    "R-1;C-1;F;16;Perú\n"
    "R-2;C-1;M;19;Venez.\n"
    "R-3;C-2;V;30;Perú\n"
    "R-4;C-2;Muj.;22;Bolivia\n"
    "R-5;C-3;9;40;Perú\n"
)


@pytest.fixture
def app(sqlite_db, settings):
    return create_app(sqlite_db, settings)


def _upload(client, name: str, body: bytes) -> str:
    r = client.post("/uploads.json", files={"file": (name, body, "text/csv")})
    assert r.status_code == 201, r.text
    return str(r.json()["token"])


def test_value_suggestions():
    got = {v.raw: v.suggested for v in unresolved("sex", ["F", "M", "Mujer", "V", "Muj.", "9", "No identificado"])}
    assert got == {"V": "male", "Muj.": "female", "9": "", "No identificado": "unknown"}  # F, M, Mujer read already
    forms = {v.raw: v.suggested for v in unresolved("forms_of_exploitation", ["Explot. sexual", "Laboral", "xyz"])}
    assert forms == {"Explot. sexual": "sexual_exploitation", "Laboral": "forced_labour", "xyz": ""}
    assert {v.raw: v.suggested for v in unresolved("citizenship", ["Perú", "Venez.", "Colomiba", "99"])} == {
        "Venez.": "VEN", "Colomiba": "COL", "99": ""}
    assert band_from_label("Menores de edad (0-17)") == "0-17" and band_from_label("12 – 17 años") == "12-17"
    assert [period_role(h) for h in ("Enero", "MARÇO", "T2", "2021", "Sexo")] == [
        "month:1", "month:3", "quarter:2", "year:2021", ""]
    assert looks_like_counts(["Año", "Enero", "Febrero"]) and not looks_like_counts(["Nro Registro", "Sexo"])


def test_records_value_maps_are_saved_and_used(app, sqlite_db, settings):
    client, _ = signed_in_client(app, sqlite_db, "analyst", "PER")
    token = _upload(client, "policia.csv", RECORDS.encode("utf-8"))
    columns = client.get(f"/uploads/{token}/mapping.json").json()["columns"]
    form = {f"column-{i}": c["field"] for i, c in enumerate(columns)} | {"name": "pnp-codigos"}
    done = client.post(f"/uploads/{token}/mapping.json", data=form).json()
    assert done["values"] == f"/uploads/{token}/mapping/values"  # some values need a word from the person

    step = client.get(f"/uploads/{token}/mapping/values.json").json()
    listed = {c["column"]: {v["raw"]: v["suggested"] for v in c["values"]} for c in step["columns"]}
    assert listed == {"Sexo": {"V": "male", "Muj.": "female", "9": ""}, "Nacionalidad": {"Venez.": "VEN"}}
    page = client.get(f"/uploads/{token}/mapping/values?lang=es")
    assert page.status_code == 200 and "Valores que asignar" in page.text
    assert '<option value="male" selected>' in page.text and 'list="country-list"' in page.text

    index = {c["column"]: i for i, c in enumerate(step["columns"])}
    answers = {f"map-{index['Sexo']}-0": "male", f"map-{index['Sexo']}-1": "female",
               f"map-{index['Sexo']}-2": "unknown", f"map-{index['Nacionalidad']}-0": "Venezuela"}
    r = client.post(f"/uploads/{token}/mapping/values.json", data=answers)
    assert r.status_code == 200, r.text
    doc = yaml.safe_load((settings.home / "profiles" / "PER" / "pnp-codigos.yaml").read_text(encoding="utf-8"))
    assert doc["columns"]["Sexo"] == {"field": "sex", "values": {"V": "male", "Muj.": "female", "9": "unknown"}}
    assert doc["columns"]["Nacionalidad"] == {"field": "citizenship", "values": {"Venez.": "VEN"}}
    report = client.get(f"/uploads/{token}.json").json()["report"]
    assert (report["rows_valid"], report["rows_invalid"]) == (5, 0)
    assert not [p for p in report["problems"] if p["code"] in ("invalid-code", "invalid-country")]

    assert client.post(f"/uploads/{token}/commit.json").status_code == 201
    with sqlite_db.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT record_id, sex, citizenship FROM persons ORDER BY record_id").fetchall()
    assert [tuple(x) for x in rows] == [("R-1", "female", "PER"), ("R-2", "male", "VEN"), ("R-3", "male", "PER"),
                                        ("R-4", "female", "BOL"), ("R-5", "unknown", "PER")]


def test_a_code_that_is_not_one_is_refused(app, sqlite_db, settings):
    client, _ = signed_in_client(app, sqlite_db, "analyst", "PER")
    token = _upload(client, "policia.csv", RECORDS.encode("utf-8"))
    columns = client.get(f"/uploads/{token}/mapping.json").json()["columns"]
    form = {f"column-{i}": c["field"] for i, c in enumerate(columns)} | {"name": "pnp-codigos"}
    client.post(f"/uploads/{token}/mapping.json", data=form)
    r = client.post(f"/uploads/{token}/mapping/values.json", data={"map-0-0": "hermaphrodite"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid-request"
    doc = yaml.safe_load((settings.home / "profiles" / "PER" / "pnp-codigos.yaml").read_text(encoding="utf-8"))
    assert doc["columns"]["Sexo"] == "sex"  # nothing saved


def _sesnsp_rows() -> list[dict[str, str]]:
    with SESNSP.open(encoding="cp1252", newline="") as fh:
        return list(csv.DictReader(fh))


def test_a_table_of_counts_mapped_on_the_web(app, sqlite_db, settings):
    client, _ = signed_in_client(app, sqlite_db, "analyst", "MEX")
    token = _upload(client, "IDVFC_NM_dic24.csv", SESNSP.read_bytes())
    assert client.get(f"/uploads/{token}.json").json()["needs_mapping"]
    assert client.get(f"/uploads/{token}/mapping.json").json()["counts"]  # the page says it looks like counts

    step1 = client.get(f"/uploads/{token}/mapping/counts.json").json()
    roles = {c["column"]: c["role"] for c in step1["columns"]}
    assert {k: roles[k] for k in ("Año", "Entidad", "Tipo de delito", "Sexo", "Rango de edad", "Enero",
                                  "Diciembre", "Clave_Ent", "Modalidad")} == {
        "Año": "year", "Entidad": "subdivision", "Tipo de delito": "filter", "Sexo": "sex", "Rango de edad": "age",
        "Enero": "month:1", "Diciembre": "month:12", "Clave_Ent": "", "Modalidad": ""}
    page = client.get(f"/uploads/{token}/mapping/counts?lang=es")
    assert page.status_code == 200 and "Asignar una tabla de cifras" in page.text
    assert "Cifra del mes: Enero<" in page.text

    form = {f"role-{i}": c["role"] for i, c in enumerate(step1["columns"])}
    form |= {"source": "SESNSP", "indicator": "detected_victims", "unit": "count", "name": "sesnsp-web"}
    r = client.post(f"/uploads/{token}/mapping/counts.json", data=form)
    assert r.status_code == 200, r.text

    step2 = client.get(f"/uploads/{token}/mapping/counts/values.json").json()
    (crime,) = step2["filters"]
    assert [v["raw"] for v in crime["values"] if v["keep"]] == ["Trata de personas"]  # not "Tráfico de menores"
    maps = {m["role"]: {v["raw"]: v["suggested"] for v in m["values"]} for m in step2["maps"]}
    assert maps == {"sex": {"No identificado": "unknown"},
                    "age": {"No especificado": "unknown", "No identificado": "unknown"},
                    "subdivision": {}}  # state names are read as they are
    assert "Filas que importar" in client.get(f"/uploads/{token}/mapping/counts/values?lang=es").text

    answers = {f"keep-0-{j}": "1" for j, v in enumerate(crime["values"]) if v["keep"]}
    for i, m in enumerate(step2["maps"]):
        answers |= {f"map-{i}-{j}": v["suggested"] for j, v in enumerate(m["values"])}
    r = client.post(f"/uploads/{token}/mapping/counts/values.json", data=answers)
    assert r.status_code == 200, r.text
    doc = yaml.safe_load((settings.home / "profiles" / "MEX" / "sesnsp-web.yaml").read_text(encoding="utf-8"))
    assert doc["kind"] == "aggregates" and doc["filter"] == {"Tipo de delito": ["Trata de personas"]}
    assert doc["months"] == {m: n for n, m in enumerate(MONTHS, start=1)} and doc["country"] == "MEX"

    trata = [r for r in _sesnsp_rows() if r["Tipo de delito"] == "Trata de personas"]
    report = client.get(f"/uploads/{token}.json").json()["report"]
    assert report["kind"] == "aggregates"
    assert (report["rows_total"], report["rows_invalid"], report["rows_filtered"]) == (len(trata), 0, 462 - 42)
    assert client.post(f"/uploads/{token}/commit.json").status_code == 201

    sex = {"Mujer": "female", "Hombre": "male", "No identificado": "unknown"}
    band = {"Menores de edad (0-17)": ("minor", "0-17"), "Adultos (18 y más)": ("adult", "18+"),
            "No especificado": ("unknown", "unknown"), "No identificado": ("unknown", "unknown")}
    expected: Counter[tuple[str, str, str, str]] = Counter()
    for row in trata:
        group, b = band[row["Rango de edad"]]
        expected[(row["Año"], sex[row["Sexo"]], group, b)] += sum(int(row[m]) for m in MONTHS)
    got = national(StatsSource(sqlite_db), ("year", "sex", "age_group", "age_band"))
    assert {(g["year"], g["sex"], g["age_group"], g["age_band"]): g["victims"] for g in got} == dict(expected)
    assert sum(expected.values()) > 0


def test_saved_table_profile_is_offered_on_the_next_upload(app, sqlite_db, settings):
    client, _ = signed_in_client(app, sqlite_db, "analyst", "MEX")
    token = _upload(client, "t.csv", SESNSP.read_bytes())
    step1 = client.get(f"/uploads/{token}/mapping/counts.json").json()
    form = {f"role-{i}": c["role"] for i, c in enumerate(step1["columns"])}
    form |= {"source": "SESNSP", "indicator": "detected_victims", "name": "sesnsp-web", "title": "SESNSP víctimas"}
    assert client.post(f"/uploads/{token}/mapping/counts.json", data=form).status_code == 200
    step2 = client.get(f"/uploads/{token}/mapping/counts/values.json").json()
    keep = {f"keep-0-{j}": "1" for j, v in enumerate(step2["filters"][0]["values"]) if v["keep"]}
    assert client.post(f"/uploads/{token}/mapping/counts/values.json", data=keep).status_code == 200

    assert {"name": "sesnsp-web", "title": "SESNSP víctimas"} in client.get("/uploads.json").json()["saved_profiles"]
    again = client.post("/uploads.json", files={"file": ("t2.csv", SESNSP.read_bytes(), "text/csv")},
                        data={"profile": "sesnsp-web"})
    assert again.status_code == 201, again.text
    report = client.get(f"/uploads/{again.json()['token']}.json").json()["report"]
    # rows of unknown sex or age were left unmapped: they wait in quarantine with their reason, none is lost
    assert report["kind"] == "aggregates" and report["rows_total"] == 42
    assert report["rows_valid"] + report["rows_invalid"] == 42 and report["rows_invalid"] > 0


@pytest.mark.parametrize("bad, message", [
    ({"role-0": "year", "role-9": "month:1"}, "source"),  # no source name
    ({"role-0": "", "role-9": "month:1", "source": "SESNSP"}, "year"),  # no year
    ({"role-0": "year", "source": "SESNSP"}, "either"),  # no counts
    ({"role-0": "year", "role-9": "planet", "source": "SESNSP"}, "not a role"),
])
def test_an_incomplete_table_mapping_is_refused(app, sqlite_db, bad, message):
    client, _ = signed_in_client(app, sqlite_db, "analyst", "MEX")
    token = _upload(client, "t.csv", SESNSP.read_bytes())
    r = client.post(f"/uploads/{token}/mapping/counts.json", data={"name": "x-table", **bad})
    assert r.status_code == 422 and message in r.json()["error"]["message"], r.text
    assert client.get(f"/uploads/{token}/mapping/counts/values.json").status_code == 409  # no draft kept


def _shots(page, url: str, selector: str, name: str) -> None:  # type: ignore[no-untyped-def]
    """Screenshots of a page at 1366 and 390 px, English and Spanish, to /tmp/shots-agg/; no sideways scroll."""
    from pathlib import Path

    shots = Path("/tmp/shots-agg")
    shots.mkdir(exist_ok=True)
    for lang in ("en", "es"):
        for width in (1366, 390):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{url}?lang={lang}")
            page.wait_for_selector(selector)
            page.screenshot(path=str(shots / f"{name}-{lang}-{width}.png"), full_page=True)
            wide = page.evaluate("[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect()"
                                 ".right > window.innerWidth + 1).map(e => e.tagName + '.' + e.className + '#' + e.id)")
            assert not wide, f"{name} scrolls sideways at {width} px: {wide}"
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), (name, width)


def test_table_of_counts_in_a_browser(page, server, sqlite_db):
    """Upload the SESNSP table in Spanish, follow the report's link, take the page's hint that the file is a table
    of counts, confirm the suggested roles and values; the report shows the rows in scope, ready to import."""
    from auth_helpers import make_user
    from browser_support import sign_in

    sign_in(page, server, make_user(sqlite_db, "analyst", "MEX"), "/uploads?lang=es")
    page.set_input_files("input[name=file]", str(SESNSP))
    page.click("#upload button[type=submit]")
    page.click("#map-columns")
    page.wait_for_selector("#looks-like-counts")
    page.click("#kind-counts")
    page.wait_for_selector("#counts")
    _shots(page, page.url.split("?")[0], "#counts", "counts")
    assert page.input_value("select[name=role-0]") == "year"
    page.fill("input[name=source]", "SESNSP")
    page.fill("input[name=name]", "sesnsp-navegador")
    page.click("#save-counts")
    page.wait_for_selector("#count-values")
    _shots(page, page.url.split("?")[0], "#count-values", "count-values")
    assert page.is_checked("#filter-0 input[type=checkbox] >> nth=5")  # Trata de personas
    page.click("#save-count-values")
    page.wait_for_selector("#row-summary")
    assert "42" in page.inner_text("#row-summary") and page.locator("#commit").count() == 1


def test_value_maps_in_a_browser(page, server, sqlite_db, tmp_path):
    from auth_helpers import make_user
    from browser_support import sign_in

    source = tmp_path / "policia.csv"
    source.write_text(RECORDS, encoding="utf-8")
    sign_in(page, server, make_user(sqlite_db, "analyst", "PER"), "/uploads?lang=es")
    page.set_input_files("input[name=file]", str(source))
    page.click("#upload button[type=submit]")
    page.click("#map-columns")
    page.wait_for_selector("#mapping")
    _shots(page, page.url.split("?")[0], "#mapping", "columns")
    page.fill("input[name=name]", "pnp-codigos")
    page.click("#save-mapping")
    page.wait_for_selector("#values")
    _shots(page, page.url.split("?")[0], "#values", "values")
    assert page.input_value("select[name=map-0-0]") == "male"  # V (varón)
    page.select_option("select[name=map-0-2]", "unknown")  # 9
    page.click("#save-values")
    page.wait_for_selector("#row-summary")
    assert page.locator("#commit").count() == 1


def test_state_numbers_are_suggested_from_the_names_on_the_same_rows():
    from tipnet.ingest.suggest_aggregate import Draft
    from tipnet.ingest.suggest_aggregate_values import value_steps
    from tipnet.ingest.suggest_values import read_sample

    draft = Draft({"Año": "year", "Clave_Ent": "subdivision", "Entidad": "area_name", "Enero": "month:1"},
                  "SESNSP", "detected_victims", "count", "x", "")
    from tipnet.ingest.suggest_aggregate_values import suggest

    (states,) = value_steps(read_sample(SESNSP), draft, "MEX")["maps"]
    # by hand from the file: 9 Ciudad de México, 15 México, 23 Quintana Roo (the INEGI numbers), which the import
    # now reads itself (ingest/data/subdivision_codes.yaml): nothing left to map
    assert states["values"] == [] and states["distinct"] == 3
    # a national code tipnet has no table for is still suggested from the name on the same row
    assert suggest("subdivision", "07", "GTM", hint="Petén") == "GT-17"
