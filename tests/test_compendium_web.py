"""Compendium and agency registry pages: public search with facets and snippets, items, the Atom feed, editing
by the right roles, and what the public and the authorities read of an agency."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest
from auth_helpers import signed_in_client
from fastapi.testclient import TestClient

from tipnet.auth.principal import Principal, Via, system
from tipnet.auth.roles import Role
from tipnet.coop import compendium_seed, registry
from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.web.app import create_app

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def app(sqlite_db, settings):
    compendium_seed.seed(sqlite_db, system("test"))
    return create_app(sqlite_db, settings)


def test_the_public_searches_the_compendium_with_facets(app):
    c = TestClient(app)
    r = c.get("/compendium.json", params={"q": "travel agencies xylophone"})
    assert r.status_code == 200 and r.json()["total"] == 0  # every word must match
    # the index holds each item's translations too, so a reader may search in their own language (or mix them)
    assert c.get("/compendium.json", params={"q": "agencias de viaje travel agencies"}).json()["total"] == 1
    body = c.get("/compendium.json", params={"q": "travel agencies"}).json()
    assert body["total"] == 1 and body["hits"][0]["title"].startswith("Recommendation 30:")
    assert any(p["hit"] and p["text"].lower() == "travel" for p in body["hits"][0]["snippet_parts"])
    kinds = {f["value"]: f for f in body["facets"]["kind"]}
    assert kinds["recommendation"]["count"] == 1
    assert kinds["recommendation"]["href"] == "?q=travel+agencies&kind=recommendation"
    treaties = c.get("/compendium.json", params={"kind": "treaty"}).json()
    assert treaties["total"] == 10 and {f["value"] for f in treaties["facets"]["kind"]} == {"treaty"}
    assert treaties["facets"]["kind"][0]["selected"] and treaties["facets"]["kind"][0]["href"] == "?"
    page = c.get("/compendium", params={"q": "Palermo", "lang": "es"})
    assert page.status_code == 200 and "<mark>Palermo</mark>" in page.text and "Compendio" in page.text
    assert c.get("/compendium.json", params={"year": "twenty"}).status_code == 422


def test_items_and_the_feed_are_public(app):
    c = TestClient(app)
    hit = c.get("/compendium.json", params={"q": "mutual assistance criminal matters", "kind": "treaty"}).json()
    item_id = hit["hits"][0]["id"]
    item = c.get(f"/compendium/{item_id}.json").json()
    assert item["title"] == "Inter-American Convention on Mutual Assistance in Criminal Matters"
    assert item["date"] == "1992-05-23" and item["ratifications"] == []
    html = c.get(f"/compendium/{item_id}").text
    assert "Nassau" in html and 'id="no-ratifications"' in html and "ratification-form" not in html
    assert c.get("/compendium/999999").status_code == 404
    feed = c.get("/compendium/feed.atom")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)
    assert root.tag == f"{ATOM}feed" and len(root.findall(f"{ATOM}entry")) == 50


def test_editors_add_items_and_ratifications_others_may_not(app, sqlite_db):
    anon = TestClient(app)
    assert anon.post("/compendium/items.json", json={"kind": "guideline", "title": "x"}).status_code in (401, 403)
    analyst, _ = signed_in_client(app, sqlite_db, "analyst", "PER")
    assert analyst.post("/compendium/items.json", json={"kind": "guideline", "title": "x"}).status_code == 403
    focal, _ = signed_in_client(app, sqlite_db, "focal_point", "PER")
    r = focal.post("/compendium/items.json", json={
        "kind": "case_law", "title": "Caso Horizonte", "country": "PER", "date": "2019-06-03",
        "parties": ["Fiscalía", "Agencia Horizonte"], "verdict": "condena", "tags": ["means_of_control:debt_bondage"]})
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["details"]["parties"] == ["Fiscalía", "Agencia Horizonte"]
    bad = focal.post("/compendium/items.json", json={"kind": "case_law", "title": "x", "date": "03/06/2019"})
    assert bad.status_code == 422 and "date: '03/06/2019'" in bad.json()["error"]["message"]
    form = focal.post("/compendium/items", data={"kind": "guideline", "title": "Guía de entrevistas",
                                                 "tags": "assistance_type:legal\nassistance_type:psychological"},
                      follow_redirects=False)
    assert form.status_code == 303
    created = focal.get(form.headers["location"] + ".json").json()
    assert created["tags"] == ["assistance_type:legal", "assistance_type:psychological"]
    untoc = focal.get("/compendium.json", params={"q": "Palermo Convention", "kind": "treaty"}).json()["hits"][0]
    r = focal.post(f"/compendium/{untoc['id']}/ratifications.json",
                   data={"country": "PER", "status": "ratified", "ratified_on": "2002-01-23"})
    assert r.status_code == 200 and r.json()["ratifications"][0]["ratified_on"] == "2002-01-23"
    assert focal.get("/compendium.json", params={"q": "horizonte"}).json()["hits"][0]["id"] == new["id"]


def test_registry_pages_show_public_fields_to_all_and_case_links_to_authorities(app, sqlite_db, settings, tmp_path):
    for country, rows in (("PER", "P1,PCASE1,perpetrator,recruiter\n"), ("COL", "C1,CCASE1,perpetrator,recruiter\n")):
        path = tmp_path / f"{country}.csv"
        path.write_text("record_id,case_id,role,perpetrator_roles\n" + rows, encoding="utf-8")
        import_file(path, sqlite_db, ImportOptions(country=country), settings)
    investigator, _ = signed_in_client(app, sqlite_db, "investigator", "PER")
    r = investigator.post("/registry/agencies.json", json={
        "kind": "recruitment", "name": "Empleos Globales SAC", "country": "PER", "licence_status": "licensed"})
    assert r.status_code == 201, r.text
    aid = r.json()["id"]
    linked = investigator.post(f"/registry/{aid}/links.json", data={"country": "PER", "record_id": "P1"})
    assert linked.status_code == 201
    assert investigator.post(f"/registry/{aid}/links.json",
                             data={"country": "COL", "record_id": "C1"}).status_code == 404  # not in PER's scope
    col = Principal(via=Via.SESSION, email="col@test", role=Role.ANALYST, country="COL")
    registry.link(sqlite_db, col, aid, registry.find_records(sqlite_db, col, "COL", "C1")[0])
    r = investigator.post(f"/registry/{aid}/events.json", data={"type": "sanction", "measure": "fine",
                                                                "description": "Cobro de comisiones"})
    assert r.status_code == 201 and r.json()["sanctions"][0]["measure"] == "fine"
    r = investigator.post(f"/registry/{aid}/events.json", data={"type": "complaint", "summary": "Falsas ofertas"})
    assert r.status_code == 201
    assert investigator.post(f"/registry/{aid}.json", data={"licence_status": "suspended"}).json()[
        "licence_status"] == "suspended"

    public = TestClient(app).get(f"/registry/{aid}.json").json()
    assert public["licence_status"] == "suspended" and public["sanctions"][0]["description"] == "Cobro de comisiones"
    assert not {"case_links", "complaints", "multi_country"} & set(public)
    listing = TestClient(app).get("/registry.json", params={"q": "empleos"}).json()
    assert listing["hits"][0]["id"] == aid and "multi_country" not in listing["hits"][0] and listing["flagged"] == []
    page = TestClient(app).get(f"/registry/{aid}")
    assert "PCASE1" not in page.text and "CCASE1" not in page.text and "Falsas ofertas" not in page.text

    mine = investigator.get(f"/registry/{aid}.json").json()
    assert mine["multi_country"] and mine["linked_countries"] == ["COL", "PER"]
    assert [x["case_id"] for x in mine["case_links"]] == ["PCASE1"]  # COL's case stays in COL
    listing = investigator.get("/registry.json").json()
    assert listing["flagged"] == [{"id": aid, "countries": ["COL", "PER"], "name": "Empleos Globales SAC"}]
    assert listing["hits"][0]["multi_country"]
    html = investigator.get(f"/registry/{aid}").text
    assert 'id="multi-country"' in html and "PCASE1" in html and "CCASE1" not in html
