"""Assessment pages and their JSON twins: the country fills in and submits, the hub reviews and publishes, the public
reads comparable scorecards and the national diagnostic report (HTML and PDF, text extracted and checked)."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import pytest
from auth_helpers import signed_in_client
from fastapi.testclient import TestClient

from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.web.app import create_app

FIX = Path(__file__).parent / "fixtures"


def pdf_text(data: bytes) -> str:
    """The text shown by a PDF written with core fonts: every `(...) Tj` of every (deflated) content stream."""
    assert data.startswith(b"%PDF-")
    parts = []
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        raw = m.group(1)
        try:
            raw = zlib.decompress(raw)
        except zlib.error:
            pass
        for t in re.finditer(rb"\(((?:[^()\\]|\\.)*)\)\s*Tj", raw, re.S):
            s = re.sub(rb"\\([()\\])", rb"\1", t.group(1))
            parts.append(s.decode("latin-1"))
    return " ".join(parts)


@pytest.fixture
def app(sqlite_db, settings):
    import_file(FIX / "stats_small.csv", sqlite_db, ImportOptions(country="PER"), settings)  # 3 victims in 2020
    return create_app(sqlite_db, settings)


def test_fill_submit_review_publish_and_read(app, sqlite_db):
    country, _ = signed_in_client(app, sqlite_db, "analyst", "PER")
    q = country.get("/assess/PER/questionnaire.json?year=2020").json()
    assert q["status"] == "draft" and q["version"] == 0 and q["may_edit"]
    assert q["figures"]["victims"]["lo"] == 3  # the country's own microdata, exact
    before = q["scorecard"]["total"]
    r = country.post("/assess/PER/questionnaire.json", json={"year": 2020, "answers": {
        "legal.palermo": "yes", "legal.all_forms": {"value": "yes", "evidence": ["https://example.org/law"]},
        "protection.referral": "yes", "legal.non_punishment": "partial"}})
    assert r.status_code == 200, r.text
    q = country.get("/assess/PER/questionnaire.json?year=2020").json()
    assert q["scorecard"]["total"][0] > before[0]
    assert q["answers"]["legal.all_forms"]["evidence"] == ["https://example.org/law"]
    # a form post (the page) with a bad answer: 422 and the page says why
    bad = country.post("/assess/PER/questionnaire", data={"year": "2020", "v:legal.palermo": "perhaps"})
    assert bad.status_code == 422 and "perhaps" in bad.text
    assert country.post("/assess/PER/workflow.json", json={"year": 2020, "action": "publish"}).status_code == 403
    assert country.post("/assess/PER/workflow.json", json={"year": 2020, "action": "submit"}).status_code == 200
    hub, _ = signed_in_client(app, sqlite_db, "hub_analyst")
    for action in ("review", "publish"):
        r = hub.post("/assess/PER/workflow.json", json={"year": 2020, "action": action})
        assert r.status_code == 200, r.text
    anyone = TestClient(app)  # the public pages need no sign-in
    hemi = anyone.get("/assess.json").json()
    assert [r["country"] for r in hemi["countries"]] == ["PER"]
    rep = anyone.get("/assess/PER/report.json").json()
    assert rep["year"] == 2020 and rep["published"]
    victims = next(f for f in rep["figures"] if f["id"] == "prosecution.identification_rate")
    assert victims["value"]["lo"] != victims["value"]["hi"]  # 3 victims published as 1..4: a rate interval
    assert all(b["shown"] in ("<5", "0") or "–" not in b["shown"] for b in rep["base_figures"])
    assert next(b for b in rep["base_figures"] if b["name"] == "victims")["shown"] == "<5"
    assert "3" not in [b["shown"] for b in rep["base_figures"]]
    gap_recs = {r["number"] for r in rep["recommendations"]}
    assert 19 in gap_recs and 21 in gap_recs  # residence permits unanswered; non-punishment only partly
    html = anyone.get("/assess/PER/report?lang=es").text
    assert "Diagnóstico nacional" in html and "Recomendación 19" in html
    pdf = anyone.get("/assess/PER/report.pdf?lang=pt")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "Diagnóstico nacional: Peru, 2020" in text
    assert "Recomendação 19" in text and "Recomendação 21" in text
    assert "Vítimas identificadas por 100.000 habitantes" in text
    assert "Vítimas identificadas: <5" in text  # 3 victims, published as <5
    assert "Contagens menores que 5 aparecem como <5" in text


def test_the_hub_does_not_see_drafts_and_other_countries_see_nothing(app, sqlite_db):
    country, _ = signed_in_client(app, sqlite_db, "focal_point", "PER")
    assert country.post("/assess/PER/questionnaire.json", json={"year": 2021, "answers": {
        "legal.palermo": "no"}}).status_code == 200
    hub, _ = signed_in_client(app, sqlite_db, "hub_admin")
    assert hub.get("/assess/PER/questionnaire.json?year=2021").json()["version"] == 0  # the draft is not shown
    other, _ = signed_in_client(app, sqlite_db, "analyst", "COL")
    assert other.get("/assess/PER/questionnaire.json?year=2021").status_code == 404
    assert other.post("/assess/PER/questionnaire.json", json={"year": 2021, "answers": {}}).status_code == 404
    assert hub.post("/assess/PER/questionnaire.json", json={"year": 2021, "answers": {}}).status_code == 403
    assert country.get("/assess/PER/report.json").status_code == 404  # nothing published


def test_questionnaire_page_in_four_languages(app, sqlite_db):
    country, _ = signed_in_client(app, sqlite_db, "analyst", "PER")
    for lang, text in (("en", "Self-assessment of"), ("es", "Autoevaluación de"), ("fr", "Auto-évaluation"),
                       ("pt", "Autoavaliação de")):
        page = country.get(f"/assess/PER/questionnaire?year=2020&lang={lang}")
        assert page.status_code == 200 and text in page.text


def test_import_a_questionnaire_file_through_the_page(app, sqlite_db):
    country, _ = signed_in_client(app, sqlite_db, "analyst", "PER")
    csv_text = "indicator,value,evidence,note\nlegal.palermo,yes,https://example.org/a,ratified\nlegal.residence,no,,\n"
    r = country.post("/assess/PER/questionnaire", data={"year": "2019"},
                     files={"file": ("peru.csv", csv_text.encode(), "text/csv")}, follow_redirects=False)
    assert r.status_code == 303
    q = country.get("/assess/PER/questionnaire.json?year=2019").json()
    assert q["answers"]["legal.palermo"] == {"value": "yes", "evidence": ["https://example.org/a"], "note": "ratified"}
    assert q["history"][-1]["action"] == "import"
    bad = country.post("/assess/PER/questionnaire", data={"year": "2019"},
                       files={"file": ("peru.csv", b"indicator,value\nlegal.palermo,often\n", "text/csv")})
    assert bad.status_code == 422 and "peru.csv: row 2: value = &#39;often&#39;" in bad.text
    other = country.post("/assess/PER/questionnaire", data={"year": "2019"},
                         files={"file": ("col.yaml", b"country: COL\nanswers: {legal.palermo: 'yes'}\n", "text/yaml")})
    assert other.status_code == 422 and "the file is for COL" in other.text


def test_report_shows_the_trend_over_published_years(app, sqlite_db):
    from tipnet.assess import framework, service
    from tipnet.auth.principal import system
    from tipnet.stats import StatsSource

    fw, me = framework.get(), system("test")
    for year, value in ((2020, "partial"), (2021, "yes")):
        service.save_answers(sqlite_db, me, fw, "PER", year, {"legal.palermo": value})
        for action in ("submit", "review", "publish"):
            service.step(sqlite_db, me, StatsSource(sqlite_db), fw, "PER", year, action)
    anyone = TestClient(app)
    rep = anyone.get("/assess/PER/report.json").json()
    assert rep["year"] == 2021 and rep["earlier_year"] == 2020 and [t["year"] for t in rep["trend"]] == [2020, 2021]
    page = anyone.get("/assess/PER/report?lang=fr").text
    assert 'id="report-trend"' in page and "Score total de Pérou par année" in page
    trend = anyone.get("/assess/PER.json").json()["trend"]
    # legal.palermo partial -> yes: instruments (0.5 + 0) / 2 = 0.25 -> (1 + 0) / 2 = 0.5; legal = half of it
    assert [t["domains"]["legal"] for t in trend] == [[0.125, 0.125], [0.25, 0.25]]


def test_live_scorecards_for_review_hub_all_countries_a_country_its_own(app, sqlite_db):
    country, _ = signed_in_client(app, sqlite_db, "analyst", "PER")
    r = country.post("/assess/PER/questionnaire.json", json={"year": 2020, "answers": {"legal.palermo": "yes"}})
    assert r.status_code == 200, r.text
    mine = country.get("/assess/live.json?year=2020").json()
    assert [c["country"] for c in mine["countries"]] == ["PER"] and mine["countries"][0]["status"] == "draft"
    assert mine["countries"][0]["total"][0] > 0
    hub, _ = signed_in_client(app, sqlite_db, "hub_analyst")
    rows = {c["country"]: c for c in hub.get("/assess/live.json?year=2020").json()["countries"]}
    assert len(rows) == 35 and rows["COL"]["status"] is None
    assert rows["PER"]["status"] is None  # a draft is the country's own: the hub scores it without its answers
    page = hub.get("/assess/live?year=2020&lang=es").text
    assert "Fichas recalculadas ahora, 2020" in page and 'id="live-PER"' in page and "sin respuestas aún" in page
    assert hub.get("/assess/live.json?year=19").status_code == 422
    anonymous = TestClient(app)
    assert anonymous.get("/assess/live.json").status_code == 401
    assert 'id="live-scorecards"' in hub.get("/assess").text and 'id="live-scorecards"' not in anonymous.get(
        "/assess").text


def test_the_hemisphere_mean_compares_one_year_and_says_which(app, sqlite_db):
    from tipnet.demo.assessments import seed_assessments

    seed_assessments(sqlite_db)  # some countries published 2020 and 2021, others 2020 only
    doc = TestClient(app).get("/assess.json").json()
    years = [r["year"] for r in doc["countries"]]
    assert len(set(years)) > 1  # each country's latest: different years side by side
    year = max(set(years), key=lambda y: (years.count(y), y))
    same = [r for r in doc["countries"] if r["year"] == year]
    assert doc["mean_year"] == year and doc["mean_countries"] == len(same) < len(doc["countries"])
    for domain, mean in doc["domain_means"].items():
        mids = [(r["domains"][domain][0] + r["domains"][domain][1]) / 2 for r in same]
        assert mean == pytest.approx(sum(mids) / len(mids))
    page = TestClient(app).get("/assess?lang=es").text
    assert f"Promedio hemisférico, {year}" in page and f"Promedio de los {len(same)} países" in page
    one = TestClient(app).get("/assess.json?year=2020").json()
    assert one["mean_year"] == 2020 and one["mean_countries"] == len(one["countries"])


def test_live_scorecards_say_no_data_instead_of_a_zero(app, sqlite_db):
    from tipnet.demo.assessments import seed_assessments

    seed_assessments(sqlite_db)  # published 2020 scorecards for some countries, none for others
    hub, _ = signed_in_client(app, sqlite_db, "hub_analyst")
    rows = {c["country"]: c for c in hub.get("/assess/live.json?year=2020").json()["countries"]}
    scored = [c for c, r in rows.items() if r["has_data"]]
    nothing = [c for c, r in rows.items() if not r["has_data"]]
    assert scored and nothing and all(rows[c]["status"] is None for c in nothing)
    assert all(rows[c]["status"] == "published" for c in scored if rows[c]["status"])
    page = hub.get("/assess/live?year=2020&lang=es").text
    row = re.search(rf'<tr id="live-{nothing[0]}">.*?</th>(.*?)</tr>', page, re.S)  # its cells, after the name
    assert row and "sin datos" in row.group(1) and "Inicial" not in row.group(1) and "0" not in row.group(1)
    row = re.search(rf'<tr id="live-{scored[0]}">.*?</th>(.*?)</tr>', page, re.S)
    assert row and "sin datos" not in row.group(1) and re.search(r"\d", row.group(1))
