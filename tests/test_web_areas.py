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
    assert 'src="/areas/PER/map.svg?event=recruitment&amp;lang=en"' in html
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
