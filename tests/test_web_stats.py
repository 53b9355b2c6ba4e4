"""Statistics pages and their JSON twins over the hand-counted fixture (see tests/fixtures/stats_small.csv)."""

from __future__ import annotations

from pathlib import Path

import pytest
from auth_helpers import signed_in_client

from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.web.app import create_app

FIX = Path(__file__).parent / "fixtures"


@pytest.fixture
def client(sqlite_db, settings):
    import_file(FIX / "stats_small.csv", sqlite_db, ImportOptions(country="PER"), settings)
    return signed_in_client(create_app(sqlite_db, settings), sqlite_db, "analyst", "PER")[0]


def test_country_profile_json_twin(client):
    doc = client.get("/countries/PER.json").json()
    assert doc["victims_total"] == 6
    assert {r["year"]: r["victims"] for r in doc["victims_by_year"]} == {"2020": 3, "2021": 3}
    assert {r["sex"]: r["victims"] for r in doc["by_sex"]} == {"female": 4, "male": 2, "_all": 6}
    assert {r["form_group"]: r["victims"] for r in doc["by_form_group"]} == {
        "sexual": 3, "labour": 3, "not_recorded": 1, "_all": 6}
    assert doc["flows"] == []  # every flow in the fixture is below 5 victims: none is shown
    html = client.get("/countries/PER?lang=es").text
    assert "Víctimas por forma de explotación (grupo)" in html and 'id="map"' in html


def test_routes_page_hides_small_flows(client):
    doc = client.get("/routes.json").json()
    assert doc["min_victims"] == 5
    assert doc["flows"] == [] and doc["border_crossings"] == [] and doc["corridors"] == []
    assert doc["summary"]["transnational"] == 4  # the summary counts every route; only flows are thresholded


def test_stats_api_csv_and_errors(client):
    csv = client.get("/api/stats?by=year,sex&country=PER&format=csv").text.splitlines()
    assert csv[0].startswith("year,sex,victims") and "2020,female,2" in "\n".join(csv)
    bad = client.get("/api/stats?by=shoe_size")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid-request"


def test_overview_lists_the_35_member_states(client):
    doc = client.get("/stats.json").json()
    assert len(doc["countries"]) == 35
    assert doc["map"]["kind"] == "choropleth" and doc["map"]["geometryUrl"].startswith("/static/")


def test_maps_follow_the_page_language(client):
    es = client.get("/countries/PER.json?lang=es").json()["map"]
    assert es["names"]["PER"] == "Perú" and es["labels"]["victims"] == "{n} víctimas" and es["locale"] == "es"
    fr = client.get("/routes.json?lang=fr").json()
    assert fr["map"]["names"]["USA"] == "États-Unis"
    assert fr["border_map"]["labels"]["hidden"] == "Les frontières avec moins de {n} victimes ne sont pas affichées."
    assert fr["border_map"]["labels"]["sharedBorder"] == "Frontière terrestre commune"
    en = client.get("/routes.json").json()  # kept per language: the French answer is not served in English
    assert en["map"]["names"]["USA"] == "United States" and en["map"]["locale"] == "en-US"
    overview = client.get("/stats.json?lang=pt").json()["map"]
    assert overview["labels"]["legend"] == "por 100.000" and overview["names"]["BRA"] == "Brasil"
