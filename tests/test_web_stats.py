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


def test_after_an_import_by_another_process_the_dashboard_answers_at_once_then_fresh(sqlite_db, settings, tmp_path,
                                                                                      monkeypatch):
    """An import committed by another process (here `tipnet import`): the JSON twins keep answering from the previous
    figures while one thread computes the new ones, and then give the new ones."""
    import os
    import subprocess
    import sys
    import time

    from tipnet.stats import source as stats_source

    monkeypatch.setattr(stats_source, "VERSION_TTL_SECONDS", 0.0)
    import_file(FIX / "stats_small.csv", sqlite_db, ImportOptions(country="PER"), settings)
    client = signed_in_client(create_app(sqlite_db, settings), sqlite_db, "analyst", "PER")[0]
    paths = ("/countries/PER.json", "/api/stats?by=country&country=PER")

    def totals() -> tuple[int, int]:
        doc, api = (client.get(p).json() for p in paths)
        return doc["victims_total"], sum(r["victims"] for r in api["rows"] if r["country"] == "PER")

    assert totals() == (6, 6)
    more = tmp_path / "more.csv"
    more.write_text("record_id,case_id,role,sex,age,identification_date\n"
                    + "".join(f"M{i},CM{i},victim,female,30,2022-01-0{i % 9 + 1}\n" for i in range(12)),
                    encoding="utf-8")
    subprocess.run([sys.executable, "-m", "tipnet.cli", "import", str(more), "--country", "PER", "--db",
                    str(sqlite_db.engine.url)], check=True, capture_output=True,
                   env={**os.environ, "TIPNET_HOME": str(settings.home)})
    seen, deadline = [totals()], time.monotonic() + 60
    while seen[-1] != (18, 18):
        assert time.monotonic() < deadline, f"never fresh: {seen[-5:]}"
        time.sleep(0.05)
        seen.append(totals())
    assert set(seen) <= {(6, 6), (18, 6), (6, 18), (18, 18)}  # the old figures or the new, never anything else
