"""Paged lists: directory, submissions, MLA/extradition requests, registry and compendium. Each is walked page by page
(every row exactly once, the page cut by the database), searched, narrowed by a filter, and refuses a page that cannot
be (422 in the one JSON error shape). On SQLite and on PostgreSQL (`db`). Also: the Spanish compendium speaks Spanish,
country lists sort by the page language's names, list dates are the page locale's."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from auth_helpers import signed_in_client
from coop_helpers import OPERATOR, entry, peru, who
from fastapi.testclient import TestClient
from sqlalchemy import insert

from tipnet.auth.principal import system
from tipnet.coop import compendium_seed, directory, registry, requests
from tipnet.i18n import day
from tipnet.i18n.collation import fold, sort_key
from tipnet.store.paging import ListQueryError, PageRequest
from tipnet.store.tables import submissions
from tipnet.web.app import create_app

BAD_PAGES = ("0", "-1", "abc", "1.5", "99999999999")


def walk(client: TestClient, path: str, key: str, per_page: int, id_of=lambda r: r["id"], **params) -> list:
    """Every row of a list, page by page; checks each page's account of itself."""
    seen, page, pages = [], 1, None
    while pages is None or page <= pages:
        r = client.get(path, params={**params, "page": page, "per_page": per_page})
        assert r.status_code == 200, r.text
        body = r.json()
        meta = body["page"] if isinstance(body["page"], dict) else {"page": body["page"], "pages": body["pages"],
                                                                      "total": body["total"]}
        pages = meta["pages"]
        rows = body[key]
        assert len(rows) == (per_page if page < pages else meta["total"] - per_page * (pages - 1))
        seen.extend(id_of(row) for row in rows)
        page += 1
    assert len(seen) == meta["total"] and len(set(seen)) == len(seen), "a row shown twice or missing"
    return seen


def refuses_bad_pages(client: TestClient, path: str, past_last: int) -> None:
    for bad in (*BAD_PAGES, str(past_last)):
        r = client.get(path, params={"page": bad})
        assert r.status_code == 422, (path, bad, r.text)
        assert r.json()["error"]["code"] == "invalid-request" and r.json()["error"]["details"]["field"] == "page"
    assert client.get(path, params={"per_page": "101"}).status_code == 422
    html = client.get(path.replace(".json", ""), params={"page": "0"}, headers={"accept": "text/html"})
    assert html.status_code == 422 and "page: 0 is out of range" in html.text


def test_page_requests_are_checked():
    assert PageRequest.parse({"page": "3", "per_page": "10"}).offset == 20
    assert PageRequest.parse({}) == PageRequest(1, 25)
    for bad in ({"page": "0"}, {"page": "x"}, {"per_page": "0"}, {"per_page": "500"}):
        with pytest.raises(ListQueryError):
            PageRequest.parse(bad)
    with pytest.raises(ListQueryError, match="past the last page"):
        PageRequest(3, 10).check(20)
    PageRequest(1, 10).check(0)  # the first page of an empty list is the empty list


# --- directory --------------------------------------------------------------------------------------------------
@pytest.fixture
def directory_app(db, settings):
    made = peru(db)
    for i, country in enumerate(("COL", "COL", "COL", "ECU", "ECU", "BOL", "CHL")):
        directory.create(db, OPERATOR, entry(country, f"Authority {i} {country}", ["prosecution"]))
    directory.create(db, OPERATOR, entry("PER", "Unidad de Policía Nacional del Perú", ["police"]))
    return create_app(db, settings), made


def test_the_directory_is_walked_page_by_page_searched_and_filtered(directory_app, db):
    app, _ = directory_app
    anon = TestClient(app)
    everyone = [a.id for a in directory.listing(db)]
    assert len(everyone) == 12
    assert sorted(walk(anon, "/directory.json", "authorities", 5)) == sorted(everyone)
    found = anon.get("/directory.json", params={"q": "POLICIA peru"}).json()  # any case, no accents, any order
    assert [a["name"] for a in found["authorities"]] == ["Unidad de Policía Nacional del Perú"]
    col = anon.get("/directory.json", params={"country": "col", "per_page": 2}).json()
    assert col["page"]["total"] == 3 and {a["country"] for a in col["authorities"]} == {"COL"}
    assert sorted(walk(anon, "/directory.json", "authorities", 2, country="COL")) == sorted(
        a.id for a in directory.listing(db, country="COL"))
    refuses_bad_pages(anon, "/directory.json", past_last=2)
    assert anon.get("/directory.json", params={"country": "ZZZ"}).status_code == 422
    assert anon.get("/directory.json", params={"competence": "astrology"}).status_code == 422
    page = anon.get("/directory", params={"country": "COL", "per_page": 2, "lang": "es"})
    assert 'href="/directory?country=COL&amp;per_page=2&amp;page=2"' in page.text  # the filters stay in the links
    assert "Colombia" in page.text and "Mostrando 1–2 de 3" in page.text
    assert not re.search(r">\s*\d{4}-\d\d-\d\d", page.text)  # last verified: a day in Spanish, not ISO
    assert day("es", directory.listing(db, country="COL")[0].last_verified) in page.text


# --- submissions ------------------------------------------------------------------------------------------------
def _submission(conn, country: str | None, kind: str, filename: str, period: int | None, created: dt.datetime) -> None:
    conn.execute(insert(submissions).values(
        kind=kind, reporting_country=country, organisation="Observatorio", profile="htcds", standard_version="1.0",
        filename=filename, content_sha256=uuid.uuid4().hex + uuid.uuid4().hex, rows_total=10, rows_accepted=9,
        rows_quarantined=1, report_json="{}", created_at=created,
        period_start=dt.date(period, 1, 1) if period else None, period_end=dt.date(period, 12, 31) if period else None))


@pytest.fixture
def submissions_app(db, settings):
    arrived = dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.UTC)
    with db.engine.begin() as conn:
        for i in range(5):
            _submission(conn, "PER", "records", f"casos-peru-{i}.csv", 2020 + i, arrived)
        for i in range(3):
            _submission(conn, "COL", "aggregates", f"cifras-colombia-{i}.xlsx", 2022, arrived)
        _submission(conn, None, "aggregates", "glotip.xlsx", None, dt.datetime(2024, 5, 30, tzinfo=dt.UTC))
    return create_app(db, settings)


def test_submissions_are_walked_searched_filtered_and_stay_in_scope(submissions_app, db):
    hub, _ = signed_in_client(submissions_app, db, "hub_analyst")
    ids = walk(hub, "/submissions.json", "submissions", 4)
    assert len(ids) == 9 and ids == sorted(ids, reverse=True)  # newest first
    found = hub.get("/submissions.json", params={"q": "colombia-1"}).json()
    assert [s["filename"] for s in found["submissions"]] == ["cifras-colombia-1.xlsx"]
    assert hub.get("/submissions.json", params={"country": "COL"}).json()["page"]["total"] == 3
    assert hub.get("/submissions.json", params={"kind": "records"}).json()["page"]["total"] == 5
    in_2022 = hub.get("/submissions.json", params={"year": "2022"}).json()["submissions"]
    assert sorted(s["filename"] for s in in_2022) == ["casos-peru-2.csv",
                                                      *(f"cifras-colombia-{i}.xlsx" for i in range(3))]
    assert [s["filename"] for s in hub.get("/submissions.json", params={"year": "2024"}).json()["submissions"]] == [
        "glotip.xlsx", "casos-peru-4.csv"]  # newest first; a file without a period counts in the year it arrived
    refuses_bad_pages(hub, "/submissions.json", past_last=4)
    for bad in ({"kind": "people"}, {"year": "20x2"}, {"country": "PE"}):
        assert hub.get("/submissions.json", params=bad).status_code == 422
    peru_analyst, _ = signed_in_client(submissions_app, db, "analyst", "PER")
    assert len(walk(peru_analyst, "/submissions.json", "submissions", 2)) == 5
    assert peru_analyst.get("/submissions.json", params={"country": "COL"}).json()["page"]["total"] == 0  # scope holds
    page = hub.get("/submissions", params={"lang": "es"})
    # dates as the locale writes them, never a raw timestamp
    assert "1 mar 2026" in page.text and not re.search(r"\d{4}-\d\d-\d\dT\d\d:", page.text)


# --- requests ---------------------------------------------------------------------------------------------------
@pytest.fixture
def requests_app(db, settings):
    peru(db)
    directory.create(db, OPERATOR, entry("ECU", "Central Authority ECU", ["mla_central_authority", "extradition"]))
    col = who("investigator", "COL")
    made = [requests.create(db, col, "mla", "PER", ["evidence_taking"], "trafficking_in_persons") for _ in range(5)]
    made += [requests.create(db, col, "extradition", "ECU", ["extradition"], "trafficking_in_persons")
             for _ in range(2)]
    return create_app(db, settings), made


def test_requests_are_walked_searched_and_filtered(requests_app, db):
    app, made = requests_app
    client, _ = signed_in_client(app, db, "investigator", "COL")
    assert sorted(walk(client, "/requests.json", "requests", 3)) == sorted(r.id for r in made)
    wanted = made[3]["reference"]
    found = client.get("/requests.json", params={"q": wanted.lower()}).json()["requests"]
    assert [r["reference"] for r in found] == [wanted]
    ecu = client.get("/requests.json", params={"country": "ECU"}).json()
    assert ecu["page"]["total"] == 2 and {r["requested_country"] for r in ecu["requests"]} == {"ECU"}
    assert client.get("/requests.json", params={"kind": "mla", "direction": "outgoing"}).json()["page"]["total"] == 5
    assert client.get("/requests.json", params={"direction": "incoming"}).json()["page"]["total"] == 0
    refuses_bad_pages(client, "/requests.json", past_last=4)
    assert client.get("/requests.json", params={"status": "lost"}).status_code == 422
    peru_side, _ = signed_in_client(app, db, "investigator", "PER")  # drafts are the requesting state's own
    assert peru_side.get("/requests.json").json()["page"]["total"] == 0


def test_the_requested_state_list_is_sorted_by_the_page_languages_names(requests_app, db):
    app, _ = requests_app
    client, _ = signed_in_client(app, db, "investigator", "COL")
    page = client.get("/requests/new", params={"lang": "es"}).text
    select = page[page.index('id="requested-country"'):]
    names = re.findall(r"<option value=\"[A-Z]{3}\"[^>]*>([^<]+)</option>", select[:select.index("</select>")])
    assert "Perú" in names and "PER" not in names and "Colombia" not in names  # not one's own country
    assert names == sorted(names, key=lambda n: sort_key(n, "es"))
    assert names[names.index("Perú") - 1] == "Paraguay" and names[names.index("Perú") + 1] == "República Dominicana"
    assert names.index("Estados Unidos") < names.index("Granada")  # by the Spanish name, not by the code USA
    english = client.get("/requests/new", params={"lang": "en"}).text
    assert english.index(">Peru<") < english.index(">Saint Kitts and Nevis<") < english.index(">United States<")


# --- registry and compendium --------------------------------------------------------------------------------------
def test_the_registry_and_the_compendium_are_walked_and_refuse_bad_pages(db, settings):
    compendium_seed.seed(db, system("test"))
    hub = who("hub_admin")
    for i in range(7):
        registry.add(db, hub, {"kind": "travel" if i % 2 else "recruitment", "name": f"Agencia {i} Andina",
                               "country": "PER" if i < 4 else "BOL"})
    anon = TestClient(create_app(db, settings))
    assert len(walk(anon, "/registry.json", "hits", 3)) == 7
    assert anon.get("/registry.json", params={"country": "BOL"}).json()["total"] == 3
    assert [h["title"] for h in anon.get("/registry.json", params={"q": "agencia 5"}).json()["hits"]][0] == \
        "Agencia 5 Andina"
    refuses_bad_pages(anon, "/registry.json", past_last=4)
    ids = walk(anon, "/compendium.json", "hits", 20)
    assert len(ids) == 95  # 35 instruments and mechanisms, 60 recommendations
    assert anon.get("/compendium.json", params={"kind": "recommendation"}).json()["total"] == 60
    refuses_bad_pages(anon, "/compendium.json", past_last=6)


def test_the_spanish_compendium_shows_the_recommendations_in_spanish(db, settings):
    compendium_seed.seed(db, system("test"))
    anon = TestClient(create_app(db, settings))
    hits = anon.get("/compendium.json", params={"q": "agencias de viajes reclutadores", "lang": "es"}).json()["hits"]
    assert hits
    assert hits[0]["title"].startswith("Recomendación 30: Fortalecer las medidas de supervisión de las agencias")
    item = anon.get(f"/compendium/{hits[0]['id']}", params={"lang": "es"})
    assert "reclutadores de empleo en los países de origen, tránsito o destino" in item.text
    assert "Traducción de tipnet (original: inglés)" in item.text and "travel agencies" not in item.text
    listing = anon.get("/compendium", params={"kind": "recommendation", "per_page": 60, "lang": "es"}).text
    assert listing.count("Recomendación ") + listing.count("Párrafo resolutivo ") >= 60
    assert "Recommendation 30:" not in listing
    english = anon.get(f"/compendium/{hits[0]['id']}.json", params={"lang": "en"}).json()
    assert "travel agencies" in english["body"] and "translated_from" not in english
    for lang, words in (("fr", "agences de voyages"), ("pt", "agências de viagens")):
        assert words in anon.get(f"/compendium/{hits[0]['id']}.json", params={"lang": lang}).json()["body"]


# --- words and dates ----------------------------------------------------------------------------------------------
def test_names_sort_and_fold_as_the_language_does():
    assert fold("Ministério Público del PERÚ") == "ministerio publico del peru"
    spanish = sorted(["Ñandú", "Nuevo", "Oeste", "Perú", "Peru", "Panamá"], key=lambda n: sort_key(n, "es"))
    assert spanish == [
        "Nuevo", "Ñandú", "Oeste", "Panamá", "Peru", "Perú"]
    assert sorted(["Ñandú", "Nuevo"], key=lambda n: sort_key(n, "en")) == ["Ñandú", "Nuevo"]  # elsewhere ñ is n


def test_list_dates_are_the_day_in_the_page_locale():
    stamp = "2026-12-07T00:43:29.659197"
    assert [day(lang, stamp) for lang in ("en", "es", "fr", "pt")] == [
        "Dec 7, 2026", "7 dic 2026", "7 déc. 2026", "7 de dez. de 2026"]
    assert day("es", dt.date(2026, 3, 1)) == "1 mar 2026" and day("en", None) == ""
