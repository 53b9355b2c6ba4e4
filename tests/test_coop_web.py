"""Cooperation pages over HTTP: public and restricted directory fields, exports, editing by form, the request
wizard end to end between two states, refused moves in the one JSON error shape, documents downloaded."""

from __future__ import annotations

import csv
import io

import pytest
from auth_helpers import signed_in_client
from coop_helpers import OPERATOR, entry, parse_vcards, peru
from docx import Document
from fastapi.testclient import TestClient

from tipnet.coop import directory
from tipnet.web.app import create_app

RESTRICTED_VALUES = ("+000 555 0101", "+000 247 9999", "duty@per.example.org", "focal@per.example.org")


@pytest.fixture
def app(db, settings):
    peru(db)
    directory.create(db, OPERATOR, entry("COL", "Central Authority COL", ["mla_central_authority"],
                                         legal_profile={"legal_basis": ["Nassau Convention (1992)"],
                                                        "dual_criminality": "none", "request_languages": ["es"]}))
    return create_app(db, settings)


def test_the_public_sees_public_fields_only(app, db):
    anon = TestClient(app)
    listing = anon.get("/directory.json?country=PER").json()
    assert listing["restricted"] is False and len(listing["authorities"]) == 4
    assert all("direct_phone" not in a and "ops_phone" not in a for a in listing["authorities"])
    police = next(a for a in listing["authorities"] if a["name"] == "Police Unit PER")
    detail = anon.get(f"/directory/authorities/{police['id']}.json").json()
    assert detail["authority"]["ops_24_7"] is True and "ops_phone" not in detail["authority"]
    assert all(h["changed_by"] is None for h in detail["history"])
    for path in ("/directory?country=PER", f"/directory/authorities/{police['id']}", "/directory/print?restricted=1",
                 "/directory/export.csv?restricted=1", "/directory/export.vcf?restricted=1",
                 "/directory/route?country=PER&measure=provisional_arrest&crime=trafficking_in_persons"):
        page = anon.get(path)
        assert page.status_code == 200
        assert not [v for v in RESTRICTED_VALUES if v in page.text], path


@pytest.mark.parametrize("role", ["investigator", "focal_point", "analyst", "hub_analyst"])
def test_authority_roles_see_restricted_fields(app, db, role):
    client, _ = signed_in_client(app, db, role, None if role.startswith("hub") else "COL")
    police = next(a for a in client.get("/directory.json?country=PER").json()["authorities"]
                  if a["name"] == "Police Unit PER")
    assert police["ops_phone"] == "+000 247 9999" and police["direct_phone"] == "+000 555 0101"
    assert "+000 247 9999" in client.get("/directory?country=PER").text
    rows = list(csv.DictReader(io.StringIO(client.get("/directory/export.csv?country=PER&restricted=1").text)))
    assert {r["ops_phone"] for r in rows} == {"", "'+000 247 9999"}  # a leading + would run in a spreadsheet
    assert "ops_phone" not in client.get("/directory/export.csv?country=PER").text.splitlines()[0]  # opt-in only


def test_service_providers_do_not_see_restricted_fields(app, db):
    client, _ = signed_in_client(app, db, "service_provider", "PER")
    assert "+000 247 9999" not in client.get("/directory?country=PER").text
    assert client.get("/directory.json").json()["restricted"] is False


def test_exports_over_http(app):
    anon = TestClient(app)
    r = anon.get("/directory/export.vcf?country=PER")
    assert r.headers["content-type"].startswith("text/vcard")
    assert sorted(c["FN"][0] for c in parse_vcards(r.text)) == [
        "Central Authority PER", "Police Unit PER", "Prosecution Unit PER", "Victim Services PER"]
    assert anon.get("/directory/export.pdf").content.startswith(b"%PDF-")
    assert "Central Authority COL" in anon.get("/directory/print?lang=es").text


def test_a_focal_point_edits_and_verifies_its_entries_by_form(app, db):
    client, account = signed_in_client(app, db, "focal_point", "PER")
    aid = directory.listing(db, "PER", "police")[0].id
    r = client.post(f"/directory/authorities/{aid}", data={
        "phone": "+000 100 7777", "profile_accepts_present": "1", "profile_accepts": ["identification_location"],
        "profile_legal_basis": "Interpol rules\nLaw 28950"}, follow_redirects=False)
    assert r.status_code == 303
    after = directory.get(db, aid)
    assert after.doc["phone"] == "+000 100 7777" and after.profile["accepts"] == ["identification_location"]
    assert after.profile["legal_basis"] == ["Interpol rules", "Law 28950"]
    assert after.profile["channels"] == ["interpol"]  # not sent: unchanged
    assert client.post(f"/directory/authorities/{aid}/verify.json").json()["version"] == 3
    bad = client.post(f"/directory/authorities/{aid}.json", data={"direct_email": "nope"})
    assert bad.status_code == 422 and bad.json()["error"]["details"] == {"field": "direct_email", "value": "nope"}
    col = directory.listing(db, "COL")[0].id
    assert client.post(f"/directory/authorities/{col}.json", data={"phone": "+000 1"}).status_code == 403
    created = client.post("/directory/authorities.json", data={
        "name": "Labour Inspectorate PER", "country": "PER", "competences": ["labour_inspection"],
        "working_languages": "es"})
    assert created.status_code == 201 and created.json()["competences"] == ["labour_inspection"]
    page = client.get(f"/directory/authorities/{aid}").text
    assert account.email in page and "authority-edit" in page


def test_the_wizard_from_draft_to_execution_between_two_states(app, db):
    col, _ = signed_in_client(app, db, "investigator", "COL")
    per, _ = signed_in_client(app, db, "investigator", "PER")
    ecu, _ = signed_in_client(app, db, "investigator", "ECU")
    assert "search_seizure" in col.get("/requests/new.json").json()["measures"]["mla"]
    r = col.post("/requests", data={"kind": "mla", "requested_country": "PER", "measures": ["evidence_taking",
                                                                                          "search_seizure"],
                                    "crime": "trafficking_in_persons", "case_ids": "COL-2026-7",
                                    "deadline": "2027-01-31"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("/edit")
    rid = int(r.headers["location"].split("/")[2])
    step2 = col.get(f"/requests/{rid}/edit.json").json()
    assert "judicial_order" in step2["requirements"]["attachments"]
    assert "field_witnesses" in col.get(f"/requests/{rid}/edit").text
    refused = col.post(f"/requests/{rid}/status.json", data={"status": "sent"})
    assert refused.status_code == 422 and {m["field"] for m in refused.json()["error"]["details"]["missing"]} >= {
        "witnesses", "judicial_order"}
    form = {f"field_{f}": f"{f} text" for f in step2["requirements"]["fields"]}
    form |= {f"attachment_{a}": f"{a}.pdf" for a in step2["requirements"]["attachments"]}
    saved = col.post(f"/requests/{rid}/edit.json", data=form).json()
    assert saved["missing"] == [] and saved["case_ids"] == ["COL-2026-7"]
    assert "id=\"complete\"" in col.get(f"/requests/{rid}").text
    assert per.get(f"/requests/{rid}.json").status_code == 404  # a draft stays home
    assert col.post(f"/requests/{rid}/status", data={"status": "sent"}, follow_redirects=False).status_code == 303
    incoming = per.get("/requests.json?direction=incoming").json()["requests"]
    assert [x["id"] for x in incoming] == [rid]
    assert per.get(f"/requests/{rid}.json").json()["actions"] == ["received"]
    assert ecu.get(f"/requests/{rid}.json").status_code == 404 and ecu.get("/requests.json").json()["requests"] == []
    wrong = per.post(f"/requests/{rid}/status.json", data={"status": "executed"})
    assert wrong.status_code == 409 and set(wrong.json()) == {"error"}
    assert wrong.json()["error"]["code"] == "invalid-transition"
    for step in ("received", "in_execution", "executed"):
        assert per.post(f"/requests/{rid}/status.json", data={"status": step}).json()["status"] == step
    doc = per.get(f"/requests/{rid}/document.docx")
    assert doc.headers["content-disposition"].endswith('.docx"')
    assert Document(io.BytesIO(doc.content)).paragraphs[0].text == \
        "Solicitud de asistencia jurídica mutua en materia penal"
    assert col.get(f"/requests/{rid}/document.pdf").content.startswith(b"%PDF-")
    events = col.get(f"/requests/{rid}.json").json()["events"]
    assert [e["to_status"] for e in events] == ["draft", "sent", "received", "in_execution", "executed"]


def test_route_page_explains_in_the_readers_language(app):
    anon = TestClient(app)
    page = anon.get("/directory/route?country=PER&measure=search_seizure&crime=document_fraud&lang=es").text
    assert "competente en Autoridad central de asistencia jurídica mutua (opción 1 para esta medida)" in page
    assert "Falsificación de documentos no figura como delito en el Estado requerido" in page
    assert "su perfil jurídico no acepta Registro e incautación" in page  # the prosecution unit, listed apart
    data = anon.get("/directory/route.json?country=PER&measure=search_seizure&crime=document_fraud").json()
    assert [a["authority"]["name"] for a in data["result"]["authorities"]] == ["Central Authority PER"]
    bad = anon.get("/directory/route.json?country=PER&measure=levitation")
    assert bad.status_code == 422 and bad.json()["error"]["details"] == {"field": "measure", "value": "levitation"}


def test_a_file_uploaded_in_the_wizard_travels_with_the_request(app, db):
    col, _ = signed_in_client(app, db, "investigator", "COL")
    per, _ = signed_in_client(app, db, "investigator", "PER")
    rid = col.post("/requests.json", data={"kind": "mla", "requested_country": "PER", "measures": "search_seizure",
                                           "crime": "trafficking_in_persons"}).json()["id"]
    need = col.get(f"/requests/{rid}/edit.json").json()["requirements"]
    form = {f"field_{f}": "text" for f in need["fields"]}
    order = b"%PDF-1.4\n% order of the court\n"
    r = col.post(f"/requests/{rid}/edit.json", data=form,
                 files={"file_judicial_order": ("order.pdf", order, "application/pdf")})
    assert r.status_code == 200 and r.json()["missing"] == []
    (f,) = r.json()["files"]
    assert (f["slot"], f["filename"], f["size"]) == ("judicial_order", "order.pdf", len(order))
    bad = col.post(f"/requests/{rid}/edit.json", data={}, files={"file_judicial_order": ("x.exe", b"MZ", "x/y")})
    assert bad.status_code == 422 and "accepted file types" in bad.json()["error"]["message"]
    assert f'/requests/{rid}/files/{f["id"]}' in col.get(f"/requests/{rid}").text
    assert per.get(f"/requests/{rid}/files/{f['id']}").status_code == 404  # still a draft
    col.post(f"/requests/{rid}/status.json", data={"status": "sent"})
    got = per.get(f"/requests/{rid}/files/{f['id']}")
    assert got.status_code == 200 and got.content == order and got.headers["x-content-sha256"] == f["sha256"]
