"""National statistics tables on the web: the country profile and `/api/stats?source=national`, on the real SESNSP
(Mexico) excerpt. Expected figures are summed here with the csv module over the file, never by the code under test.
"""

from __future__ import annotations

import csv
from collections import Counter

import pytest
from auth_helpers import signed_in_client
from conftest import FIXTURES

from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.web.app import create_app

SESNSP = FIXTURES / "real" / "sesnsp-victimas" / "IDVFC_NM_dic24_excerpt.csv"
MONTHS = ["Enero", "Febrero", "Marzo", "Abril", "Mayo", "Junio", "Julio", "Agosto", "Septiembre", "Octubre",
          "Noviembre", "Diciembre"]
STATES = {"9": "MX-CMX", "15": "MX-MEX", "23": "MX-ROO"}


def _sums() -> tuple[Counter[str], Counter[tuple[str, str]]]:
    by_year: Counter[str] = Counter()
    by_state: Counter[tuple[str, str]] = Counter()
    with SESNSP.open(encoding="cp1252", newline="") as fh:
        for r in csv.DictReader(fh):
            if r["Subtipo de delito"] != "Trata de personas":
                continue
            n = sum(int(r[m]) for m in MONTHS if r[m].strip())
            by_year[r["Año"]] += n
            by_state[(r["Año"], STATES[r["Clave_Ent"]])] += n
    return by_year, by_state


@pytest.fixture
def imported(sqlite_db, settings):
    report = import_file(SESNSP, sqlite_db, ImportOptions(profile="sesnsp-victimas-fc"), settings)
    assert report.rows_accepted == 42
    return create_app(sqlite_db, settings)


def test_the_api_gives_national_figures_equal_to_the_files_sums(imported, sqlite_db):
    by_year, by_state = _sums()
    client = signed_in_client(imported, sqlite_db, "analyst", "MEX")[0]
    doc = client.get("/api/stats?source=national&by=year&country=MEX").json()
    assert {r["year"]: r["victims"] for r in doc["rows"]} == dict(by_year)
    assert {r["source"] for r in doc["rows"]} == {"SESNSP"}
    rows = client.get("/api/stats?source=national&by=subdivision,year&country=MEX&year=2024").json()["rows"]
    assert {(r["year"], r["subdivision"]): r["victims"] for r in rows} == {
        k: v for k, v in by_state.items() if k[0] == "2024"}
    text = client.get("/api/stats?source=national&by=year&country=MEX&format=csv").text.splitlines()
    got = list(csv.DictReader(text))
    assert len(got) == len(by_year) and sum(int(r["victims"]) for r in got) == sum(by_year.values())
    preferred = client.get("/api/stats?source=national&by=year&country=MEX&prefer=MEX=INEGI").json()["rows"]
    assert preferred == []  # the preferred source for Mexico is not SESNSP: its figures are left out
    bad = client.get("/api/stats?source=national&prefer=MEX")
    assert bad.status_code == 422 and bad.json()["error"]["details"]["field"] == "prefer"
    assert client.get("/api/stats?source=rumours").status_code == 422


def test_the_country_profile_shows_each_source_in_its_own_column(imported, sqlite_db):
    by_year, by_state = _sums()
    client = signed_in_client(imported, sqlite_db, "analyst", "MEX")[0]
    national = client.get("/countries/MEX.json").json()["national"]
    assert national["sources"] == ["SESNSP"]
    assert {r["year"]: r["values"] for r in national["by_year"]} == {y: [str(n)] for y, n in by_year.items()}
    (areas,) = national["by_subdivision"]
    assert areas["year"] == "2024"
    assert {a["code"]: a["victims"] for a in areas["rows"]} == {
        s: str(n) for (y, s), n in by_state.items() if y == "2024"}
    assert "Ciudad de México" in {a["name"] for a in areas["rows"]}
    html = client.get("/countries/MEX?lang=es").text
    assert "Estadísticas nacionales" in html and "SESNSP por estado o provincia, 2024" in html


def test_another_countrys_analyst_does_not_see_them(imported, sqlite_db):
    client = signed_in_client(imported, sqlite_db, "analyst", "PER")[0]
    assert client.get("/api/stats?source=national&by=year&country=MEX").json()["rows"] == []
    assert client.get("/countries/MEX.json").json()["national"]["sources"] == []
