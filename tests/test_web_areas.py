"""The vulnerable-areas page: a country's victims by subdivision; nothing under 5 victims carries a number, and a
country's analyst sees only their own country's records."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from auth_helpers import signed_in_client

from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.web.app import create_app

AREAS = Path(__file__).parent / "fixtures" / "areas_small.csv"


@pytest.fixture
def app(sqlite_db, settings):
    assert import_file(AREAS, sqlite_db, ImportOptions(country="PER"), settings).rows_accepted == 10
    return create_app(sqlite_db, settings)


def test_the_page_lists_only_subdivisions_of_five_or_more(app, sqlite_db):
    client = signed_in_client(app, sqlite_db, "analyst", "PER")[0]
    doc = client.get("/areas/PER.json").json()
    assert [(r["code"], r["victims"]) for r in doc["rows"]] == [("PE-CUS", 5)]
    assert doc["under_threshold"] == 2 and doc["subdivisions"] == 26  # Puno (2) and Lima (1) hidden
    expl = client.get("/areas/PER.json?event=exploitation").json()
    assert [(r["code"], r["victims"]) for r in expl["rows"]] == [("PE-MDD", 6)]  # Lima Metropolitana (4) hidden
    html = client.get("/areas/PER", headers={"accept": "text/html"}).text
    assert "PE-CUS" in html and "PE-PUN" not in html and "PE-LIM" not in html
    assert 'src="/areas/PER/map.svg?event=recruitment&amp;layer=choropleth&amp;lang=en"' in html
    svg = client.get("/areas/PER/map.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert len(re.findall(r'<g id="subdivision-PE-', svg.text)) == 26
    assert "<script" not in svg.text


def test_another_countrys_analyst_sees_no_peruvian_records(app, sqlite_db):
    client = signed_in_client(app, sqlite_db, "analyst", "COL")[0]
    assert client.get("/areas/PER.json").json()["rows"] == []


def test_bad_arguments(app, sqlite_db):
    client = signed_in_client(app, sqlite_db, "analyst", "PER")[0]
    assert client.get("/areas/XYZ.json").status_code == 404
    assert client.get("/areas/PER.json?event=transit").status_code == 422
    assert client.get("/areas/FRA.json").status_code == 404  # not a member state


def test_the_country_page_leads_to_its_subdivisions(app, sqlite_db):
    client = signed_in_client(app, sqlite_db, "analyst", "PER")[0]
    html = client.get("/countries/PER?lang=es", headers={"accept": "text/html"}).text
    assert '<a href="/areas/PER">Víctimas por división territorial (mapa)</a>' in html


ROUTES = Path(__file__).parent / "fixtures" / "areas_routes.csv"


@pytest.fixture
def routes_app(sqlite_db, settings):
    assert import_file(ROUTES, sqlite_db, ImportOptions(country="PER"), settings).rows_accepted == 37
    return create_app(sqlite_db, settings)


def test_layers_on_the_page_carry_no_number_under_five(routes_app, sqlite_db):
    client = signed_in_client(routes_app, sqlite_db, "analyst", "PER")[0]
    flows = client.get("/areas/PER.json?layer=flows").json()["flows"]
    # tests/fixtures/areas_routes.csv: Tumbes -> El Oro (4) and Lima -> Lima (1) are left out; Cusco -> Madre de
    # Dios has 3 children of 6: the children's count is withheld
    assert [(f["from"], f["to"], f["victims"], f["children"]) for f in flows] == [
        ("BO-L", "PE-PUN", 10, 0), ("VE-V", "PE-LMA", 7, 0), ("PE-CUS", "PE-MDD", 6, None), ("PE-TAC", "CL-AP", 6, 6)]
    assert flows[1]["via"] == ["Colombia", "Ecuador"]
    borders = client.get("/areas/PER.json?layer=borders&lang=es").json()["borders"]
    assert [(b["rank"], b["subdivision"], b["neighbour_name"], b["victims"], b["score"]) for b in borders] == [
        (1, "PE-TAC", "Chile", 6, 0.8), (2, "PE-PUN", "Bolivia", 10, 0.5)]
    assert "by_year" not in borders[0] and "minors" not in borders[0]
    hot = client.get("/areas/PER.json?layer=hotspots").json()["hotspots"]
    assert sorted(h["victims"] for h in hot) == [5, 5, 6, 7]
    assert {h["centre"] for h in hot} == {"Lima", "Madre de Dios", "Puno"}  # the subdivision under each centre
    html = client.get("/areas/PER?layer=borders&lang=es", headers={"accept": "text/html"}).text
    assert 'id="area-borders"' in html and "PE-TUM" not in html  # Tumbes: 4 crossed
    svg = client.get("/areas/PER/map.svg?layer=hotspots").text
    assert len(re.findall(r'<g id="hotspot-', svg)) == 4
    # the recorded coordinates stay inside: neither the page, its JSON nor the map carries one
    page = client.get("/areas/PER?layer=hotspots", headers={"accept": "text/html"}).text
    raw = client.get("/areas/PER.json?layer=hotspots").text
    for coordinate in ("12.0464", "77.0428", "15.4997", "70.1333", "15.8402", "12.5933", "69.1891", "12.7433"):
        assert coordinate not in page and coordinate not in raw and coordinate not in svg


def test_filters_and_the_hemisphere(routes_app, sqlite_db):
    client = signed_in_client(routes_app, sqlite_db, "analyst", "PER")[0]
    kids = client.get("/areas/PER.json?layer=flows&age_group=minor").json()
    assert [(f["from"], f["victims"]) for f in kids["flows"]] == [("PE-TAC", 6)]  # Cusco's 3 children: under 5
    assert kids["filter"]["asked"]["age_group"] == "minor"
    assert "age_group=minor" in kids["map_url"] and "age_group=minor" in kids["links"]["hotspots"]
    assert client.get("/areas/PER.json?layer=flows&from=2024").json()["flows"] == []
    labour = client.get("/areas/PER.json?layer=flows&form=forced_labour").json()["flows"]
    assert [f["from"] for f in labour] == ["PE-TAC"]
    every = client.get("/areas/OAS.json?event=exploitation").json()
    assert every["subdivisions"] >= 600 and [(r["code"], r["victims"]) for r in every["rows"]] == [
        ("PE-PUN", 10), ("PE-LMA", 7), ("PE-MDD", 6)]
    for bad in ("layer=heat", "sex=x", "age_group=old", "form=nope", "from=19", "from=2024&to=2020"):
        assert client.get(f"/areas/PER.json?{bad}").status_code == 422, bad


def test_a_national_statistics_table_by_state_beside_the_records(sqlite_db, settings):
    """Mexico's SESNSP table (a real excerpt) by state on Mexico's areas page: its newest year, each state's sum of
    the file's monthly cells, counted here from the file itself."""
    import csv
    from collections import Counter

    from conftest import FIXTURES

    sesnsp = FIXTURES / "real" / "sesnsp-victimas" / "IDVFC_NM_dic24_excerpt.csv"
    assert import_file(sesnsp, sqlite_db, ImportOptions(profile="sesnsp-victimas-fc"), settings).rows_accepted == 42
    months = ["Enero", "Febrero", "Marzo", "Abril", "Mayo", "Junio", "Julio", "Agosto", "Septiembre", "Octubre",
              "Noviembre", "Diciembre"]
    states = {"9": "MX-CMX", "15": "MX-MEX", "23": "MX-ROO"}
    want: Counter[str] = Counter()
    with sesnsp.open(encoding="cp1252", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["Subtipo de delito"] == "Trata de personas"]
    newest = max(r["Año"] for r in rows)
    for r in rows:
        if r["Año"] == newest:
            want[states[r["Clave_Ent"]]] += sum(int(r[m]) for m in months if r[m].strip())
    client = signed_in_client(create_app(sqlite_db, settings), sqlite_db, "analyst", "MEX")[0]
    doc = client.get("/areas/MEX.json").json()
    [table] = doc["national"]
    assert (table["source"], table["year"]) == ("SESNSP", int(newest))
    assert {r["code"]: r["victims"] for r in table["rows"]} == {k: v for k, v in want.items() if v >= 5}
    assert [r["victims"] for r in table["rows"]] == sorted(want.values(), reverse=True)
    html = client.get("/areas/MEX?lang=es", headers={"accept": "text/html"}).text
    assert f"tabla estadística nacional SESNSP, {newest}" in html and "Quintana Roo" in html
    assert client.get("/areas/OAS.json").json()["national"] == []
