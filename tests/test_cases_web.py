"""Case entry over HTTP: the form and its JSON twin, save and resume, submit (the statistics then count the case),
consent withdrawal, tenancy between countries and people, and the audit trail."""

from __future__ import annotations

import datetime as dt

import pytest
from auth_helpers import signed_in_client
from sqlalchemy import select

from tipnet.store.tables import persons
from tipnet.store.tables_auth import audit_log
from tipnet.web.app import create_app

FIRST = dt.date.today().replace(day=1).isoformat()
CHILD = {
    "identification_date": FIRST, "victim_status": "actual", "sex": "female", "age": "15", "given_names": "Ana",
    "family_names": "Pérez", "citizenship": "VEN", "primary_language": "es", "best_interests": "yes",
    "guardian_type": "child_protection_authority", "guardian_name": "INABIF", "unaccompanied": "yes",
    "protection_measures": ["emergency_shelter", "child_protection_notified"], "protection_date": FIRST,
    "consent_given_by": "guardian", "consent_date": FIRST, "consent_data_processing": "yes",
    "consent_share_services": "yes", "consent_share_law_enforcement": "yes", "consent_share_hub": "yes",
    "consent_research": "no", "risk_level": "high", "safety_plan": "Shelter with restricted visits",
    "referral_provider": "Casa Refugio Lima", "referral_date": FIRST, "referral_services": ["shelter", "medical"],
    "plan_shelter_needed": "yes", "plan_shelter_start": FIRST, "plan_medical_needed": "yes",
    "plan_medical_start": FIRST, "forms_of_exploitation": ["sexual_exploitation"], "exploitation_country": "PER",
}


@pytest.fixture
def app(db, settings):  # type: ignore[no-untyped-def]
    return create_app(db, settings)


def _actions(db, case_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    with db.engine.connect() as conn:
        return [r.action for r in conn.execute(select(audit_log.c.action).where(audit_log.c.object_id == case_id)
                                               .order_by(audit_log.c.seq))]


def test_the_form_page_has_a_label_for_every_control(app, db):
    client, _ = signed_in_client(app, db, "service_provider", "PER")
    page = client.get("/cases/new?lang=es")
    assert page.status_code == 200
    html = page.text
    assert "Niña, niño o adolescente (menor de 18)" in html and "Plan de asistencia" in html
    assert "Apoyo psicológico" in html  # the standard's own label for the assistance type
    import re

    ids = set(re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html))
    labelled = set(re.findall(r'<label for="([^"]+)"', html))
    grouped = set(re.findall(r'<fieldset class="(?:answer|codes)[^"]*" id="([^"]+)"', html))
    unlabelled = {i for i in ids - labelled if not any(i.startswith(g + "-") for g in grouped)}
    assert not unlabelled
    meta = client.get("/cases/new.json").json()
    assert meta["case"] is None and meta["problems"] == [] and meta["values"] == {"source_type": "ngo"}
    fields = {f["name"]: f for f in meta["fields"]}
    assert fields["sex"]["codes"] == ["female", "male", "other", "unknown"] and fields["sex"]["required"]
    assert fields["protection_measures"]["multiple"] and fields["plan_shelter_start"]["kind"] == "date"


def test_save_resume_and_submit_through_the_json_twin(app, db):
    client, _ = signed_in_client(app, db, "service_provider", "PER")
    r = client.post("/cases.json", data={"action": "save", "age": "15", "sex": "femenino", "given_names": "Ana"})
    assert r.status_code == 201, r.text
    case = r.json()["case"]
    cid, version = case["id"], case["version"]
    assert case["status"] == "draft" and case["is_minor"] is True and case["data"]["sex"] == "femenino"
    resumed = client.get(f"/cases/{cid}.json").json()["case"]
    assert resumed["data"]["given_names"] == "Ana" and resumed["version"] == version
    r = client.post(f"/cases/{cid}.json", data={"action": "submit", "version": str(version)})
    assert r.status_code == 422
    problems = {(p["field"], p["code"]) for p in r.json()["error"]["details"]["errors"]}
    assert ("guardian_name", "child-required") in problems and ("best_interests", "child-best-interests") in problems
    assert client.get(f"/cases/{cid}.json").json()["case"]["status"] == "draft"  # the failed submit kept the draft
    version = client.get(f"/cases/{cid}.json").json()["case"]["version"]
    r = client.post(f"/cases/{cid}.json", data={"action": "submit", "version": str(version), **CHILD})
    assert r.status_code == 200, r.text
    assert r.json()["case"]["status"] == "submitted"
    r = client.post(f"/cases/{cid}.json", data={"action": "save", "age": "16"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    # every read and change, the failed submission included (the refused edit of a submitted case changes nothing)
    assert _actions(db, cid) == ["case.create", "case.read", "case.save", "case.submit", "case.read", "case.read",
                                 "case.save", "case.submit"]


def test_a_draft_is_discarded_through_the_form_and_the_json_twin(app, db):
    client, _ = signed_in_client(app, db, "service_provider", "PER")
    cid = client.post("/cases.json", data={"age": "30"}).json()["case"]["id"]
    page = client.get(f"/cases/{cid}").text
    assert 'id="discard-draft"' in page and 'value="discard"' in page
    r = client.post(f"/cases/{cid}", data={"action": "discard", "version": "1"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/cases?done=discarded"
    assert 'id="discarded"' in client.get("/cases?done=discarded").text
    assert client.get(f"/cases/{cid}.json").status_code == 404
    cid = client.post("/cases.json", data={"age": "31"}).json()["case"]["id"]
    r = client.post(f"/cases/{cid}.json", data={"action": "discard", "version": "1"})
    assert r.status_code == 200 and r.json() == {"discarded": cid}
    r = client.post("/cases.json", data={"action": "discard"})  # nothing saved yet: nothing to discard
    assert r.status_code == 422 and r.json()["error"]["details"] == {"field": "action"}
    assert 'id="discard-draft"' not in client.get("/cases/new").text
    assert _actions(db, cid) == ["case.create", "case.discard"]


def test_a_stale_version_is_refused(app, db):
    client, _ = signed_in_client(app, db, "service_provider", "PER")
    cid = client.post("/cases.json", data={"age": "30"}).json()["case"]["id"]
    assert client.post(f"/cases/{cid}.json", data={"version": "1", "sex": "male"}).status_code == 200
    r = client.post(f"/cases/{cid}.json", data={"version": "1", "sex": "female"})
    assert r.status_code == 409


def test_html_form_flow_shows_problems_beside_their_fields(app, db):
    client, _ = signed_in_client(app, db, "service_provider", "PER")
    r = client.post("/cases", data={"form_complete": "1", "action": "submit", "age": "15", "sex": "female"},
                    follow_redirects=False)
    # post/redirect/get: the refused submit saved the draft and sends the browser to its page, which lists why
    assert r.status_code == 303 and r.headers["location"].endswith("?done=invalid")
    r = client.get(r.headers["location"])
    assert 'id="problems"' in r.text and 'href="#f-guardian_name"' in r.text
    assert 'aria-describedby="f-guardian_name-errors"' in r.text and 'value="15"' in r.text
    r = client.post("/cases", data={"form_complete": "1", "action": "save", "age": "15"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("?done=saved")
    page = client.get(r.headers["location"])
    assert 'id="saved"' in page.text and 'value="15"' in page.text


def test_an_unticked_box_clears_on_a_page_save_but_not_on_an_api_save(app, db):
    client, _ = signed_in_client(app, db, "service_provider", "PER")
    cid = client.post("/cases.json", data={"interpreter_needed": "yes", "age": "30"}).json()["case"]["id"]
    client.post(f"/cases/{cid}.json", data={"sex": "male"})  # an API client sends only what it changes
    assert client.get(f"/cases/{cid}.json").json()["case"]["data"]["interpreter_needed"] == "yes"
    client.post(f"/cases/{cid}", data={"form_complete": "1", "age": "30"}, follow_redirects=False)
    data = client.get(f"/cases/{cid}.json").json()["case"]["data"]
    assert data["interpreter_needed"] == "" and data["sex"] == ""


def test_a_submitted_case_is_counted_by_the_statistics(app, db):
    analyst, _ = signed_in_client(app, db, "analyst", "PER")
    before = {r["country"]: r["victims"] for r in analyst.get("/api/stats?by=country").json()["rows"]}
    ngo, _ = signed_in_client(app, db, "service_provider", "PER")
    r = ngo.post("/cases.json", data={"action": "submit", **CHILD})
    assert r.status_code == 201, r.text
    after = {r["country"]: r["victims"] for r in analyst.get("/api/stats?by=country").json()["rows"]}
    assert after.get("PER", 0) == before.get("PER", 0) + 1
    cid = r.json()["case"]["id"]
    listed = analyst.get("/cases.json").json()["cases"]
    assert [c["public_id"] for c in listed] == [cid]  # the national office sees the country's submitted cases
    assert analyst.get(f"/cases/{cid}.json").status_code == 200


def test_withdrawal_makes_consent_share_hub_false(app, db):
    client, _ = signed_in_client(app, db, "service_provider", "COL")
    cid = client.post("/cases.json", data={"action": "submit", **CHILD}).json()["case"]["id"]
    with db.engine.connect() as conn:
        assert conn.execute(select(persons.c.consent_share_hub).where(persons.c.record_id == cid)).scalar_one()
    r = client.post(f"/cases/{cid}/consent", data={"items": "consent_share_hub", "given_by": "guardian"},
                    follow_redirects=False)
    assert r.status_code == 303
    with db.engine.connect() as conn:
        assert conn.execute(select(persons.c.consent_share_hub).where(persons.c.record_id == cid)).scalar_one() is False
    case = client.get(f"/cases/{cid}.json").json()["case"]
    assert case["data"]["consent_share_hub"] == "no"
    assert [(c["item"], c["event"]) for c in case["consents"] if c["event"] == "withdrawn"] == [
        ("consent_share_hub", "withdrawn")]
    page = client.get(f"/cases/{cid}?done=withdrawn&lang=fr")
    assert "retiré" in page.text and 'id="withdrawn"' in page.text
    assert "case.consent.withdraw" in _actions(db, cid)
    r = client.post(f"/cases/{cid}/consent.json", data={"items": "consent_everything"})
    assert r.status_code == 422 and "consent_everything" in r.json()["error"]["message"]


def test_countries_and_people_do_not_see_each_others_cases(app, db):
    ngo_per, _ = signed_in_client(app, db, "service_provider", "PER")
    draft = ngo_per.post("/cases.json", data={"given_names": "SECRETDRAFT", "age": "20"}).json()["case"]["id"]
    done = ngo_per.post("/cases.json", data={"action": "submit", **CHILD, "given_names": "SECRETDONE"}).json()
    submitted = done["case"]["id"]
    other_ngo, _ = signed_in_client(app, db, "service_provider", "PER")
    analyst_col, _ = signed_in_client(app, db, "analyst", "COL")
    focal_per, _ = signed_in_client(app, db, "focal_point", "PER")
    hub, _ = signed_in_client(app, db, "hub_admin")
    for client in (other_ngo, analyst_col):
        for cid in (draft, submitted):
            r = client.get(f"/cases/{cid}.json")
            assert r.status_code == 404 and "SECRET" not in r.text
        assert "SECRET" not in client.get("/cases.json").text
    assert focal_per.get(f"/cases/{submitted}.json").status_code == 200
    assert focal_per.get(f"/cases/{draft}.json").status_code == 404  # a draft is its author's alone
    assert hub.get("/cases.json").status_code == 403
    assert hub.get(f"/cases/{submitted}.json").status_code == 403
    assert analyst_col.post(f"/cases/{submitted}/consent.json", data={"items": "consent_share_hub"}).status_code == 404
    with db.engine.connect() as conn:
        denied = conn.execute(select(audit_log.c.action, audit_log.c.outcome)
                              .where(audit_log.c.action == "access.not_visible")).all()
    assert len(denied) >= 5 and all(d.outcome == "denied" for d in denied)


def test_the_list_page_in_four_languages(app, db):
    client, _ = signed_in_client(app, db, "service_provider", "PER")
    client.post("/cases.json", data={"age": "15", "risk_level": "immediate"})
    for lang, title, risk in (("en", "Cases", "Immediate danger"), ("es", "Casos", "Peligro inmediato"),
                              ("fr", "Dossiers", "Danger immédiat"), ("pt", "Casos", "Perigo imediato")):
        page = client.get(f"/cases?lang={lang}")
        assert page.status_code == 200 and f"<h1>{title}</h1>" in page.text and risk in page.text


def test_referral_offers_the_directory_providers_of_the_country(app, db):
    from coop_helpers import peru

    victims = peru(db)["victims"]
    client, _ = signed_in_client(app, db, "service_provider", "PER")
    form = client.get("/cases/new.json").json()
    assert {"id": str(victims.id), "name": "Victim Services PER"} in form["providers"]
    assert [p["name"] for p in form["providers"]] == ["Victim Services PER"]  # victim assistance only
    page = client.get("/cases/new")
    assert f'<option value="{victims.id}"' in page.text and 'id="f-referral_authority_id-choice"' in page.text
    case = client.post("/cases.json", data={"referral_authority_id": str(victims.id)}).json()["case"]
    assert case["referral_provider"] == "Victim Services PER" and case["referral_authority_id"] == str(victims.id)
    col, _ = signed_in_client(app, db, "service_provider", "COL")
    assert col.get("/cases/new.json").json()["providers"] == []  # another country's directory entries


def test_a_withdrawal_reaches_the_hub_statistics_at_once(app, db):
    ngo, _ = signed_in_client(app, db, "service_provider", "COL")
    analyst, _ = signed_in_client(app, db, "analyst", "COL")
    hub, _ = signed_in_client(app, db, "hub_analyst")
    case = ngo.post("/cases.json", data={"action": "submit", **CHILD}).json()["case"]
    shared = analyst.post(f"/submissions/{case['submission_id']}/sharing.json", data={"shared": "true"})
    assert shared.status_code == 200  # the country shares this case with the hub (one submission per case)

    def hub_col() -> int:
        rows = hub.get("/api/stats?by=country").json()["rows"]
        return next((r["victims"] for r in rows if r["country"] == "COL"), 0)

    assert hub_col() == 1
    r = ngo.post(f"/cases/{case['id']}/consent.json", data={"items": "consent_share_hub", "given_by": "guardian"})
    assert r.status_code == 200
    assert hub_col() == 0  # no longer consented: the hub's statistics reload without the person


def test_the_case_posts_are_described_in_openapi(app, db):
    doc = app.openapi()
    for path in ("/cases.json", "/cases/{case_id}.json"):
        body = doc["paths"][path]["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
        assert body["properties"]["protection_measures"]["type"] == "array" and "guardian_name" in body["properties"]
    withdraw = doc["paths"]["/cases/{case_id}/consent.json"]["post"]["requestBody"]
    assert "consent_share_hub" in str(withdraw)


def test_control_characters_do_not_break_the_store(app, db):
    client, _ = signed_in_client(app, db, "service_provider", "PER")
    r = client.post("/cases.json", data={"given_names": "A\x00na", "age": "1\x005"})
    assert r.status_code == 201 and r.json()["case"]["data"]["given_names"] == "Ana"


def test_a_referral_to_an_authority_outside_the_directory_is_refused(app, db):
    client, _ = signed_in_client(app, db, "service_provider", "PER")
    r = client.post("/cases.json", data={"action": "submit", **CHILD, "referral_authority_id": "999999"})
    problems = {(p["field"], p["code"]) for p in r.json()["error"]["details"]["errors"]}
    assert r.status_code == 422 and problems == {("referral_authority_id", "referral-unknown")}


def test_the_national_office_reads_names_only_with_consent_to_processing(app, db):
    ngo, _ = signed_in_client(app, db, "service_provider", "PER")
    analyst, _ = signed_in_client(app, db, "analyst", "PER")
    refused = {**CHILD, "consent_data_processing": "no", "consent_share_hub": "no"}
    cid = ngo.post("/cases.json", data={"action": "submit", **refused}).json()["case"]["id"]
    seen = analyst.get(f"/cases/{cid}.json").json()["case"]["data"]
    assert "given_names" not in seen and "guardian_name" not in seen and seen["age"] == "15"
    assert "Pérez" not in analyst.get(f"/cases/{cid}").text
    withdrawn = analyst.post(f"/cases/{cid}/consent.json", data={"items": "consent_share_services"}).json()
    assert "given_names" not in withdrawn["case"]["data"]  # the office may record a withdrawal, still without names
    assert ngo.get(f"/cases/{cid}.json").json()["case"]["data"]["given_names"] == "Ana"  # the entering organisation
    consented = ngo.post("/cases.json", data={"action": "submit", **CHILD}).json()["case"]["id"]
    assert analyst.get(f"/cases/{consented}.json").json()["case"]["data"]["given_names"] == "Ana"


def test_the_assistance_plan_goes_on_after_submission(app, db):
    ngo, _ = signed_in_client(app, db, "service_provider", "PER")
    case = ngo.post("/cases.json", data={"action": "submit", **CHILD}).json()["case"]
    cid = case["id"]
    r = ngo.post(f"/cases/{cid}/plan.json", data={"plan_legal_needed": "yes", "plan_legal_start": FIRST,
                                                  "plan_shelter_end": "1999-01-01", "version": str(case["version"])})
    assert r.status_code == 422
    assert {(p["field"], p["code"]) for p in r.json()["error"]["details"]["errors"]} == {("plan_shelter_end",
                                                                                          "before")}
    page = ngo.post(f"/cases/{cid}/plan", data={"form_complete": "1", "plan_legal_needed": "yes",
                                                "plan_legal_start": "not a date"}, follow_redirects=False)
    assert page.status_code == 422 and 'id="plan-problems"' in page.text and 'value="not a date"' in page.text
    r = ngo.post(f"/cases/{cid}/plan.json", data={"plan_legal_needed": "yes", "plan_legal_start": FIRST,
                                                  "given_names": "Changed"})
    assert r.status_code == 200
    data = r.json()["case"]["data"]
    assert data["plan_legal_needed"] == "yes" and data["given_names"] == "Ana"  # only the plan changes
    with db.engine.connect() as conn:
        stored = conn.execute(select(persons.c.assistance_types).where(persons.c.record_id == cid)).scalar_one()
    assert stored == "medical;legal;shelter"
    assert "case.plan.update" in _actions(db, cid)
    draft = ngo.post("/cases.json", data={"age": "30"}).json()["case"]["id"]
    assert ngo.post(f"/cases/{draft}/plan.json", data={"plan_legal_needed": "yes"}).status_code == 409


def test_the_author_corrects_a_submitted_case_through_the_page_and_the_json_twin(app, db):
    ngo, _ = signed_in_client(app, db, "service_provider", "PER")
    analyst, _ = signed_in_client(app, db, "analyst", "PER")
    case = ngo.post("/cases.json", data={"action": "submit", **CHILD}).json()["case"]

    def by_sex() -> dict[str, int]:
        return {r["sex"]: r["victims"] for r in analyst.get("/api/stats?by=sex&country=PER").json()["rows"]}

    assert by_sex().get("female") == 1 and "male" not in by_sex()
    view = ngo.get(f"/cases/{case['id']}?lang=es").text
    assert 'id="correct-case"' in view and "Corregir este caso" in view
    assert 'id="correct-case"' not in analyst.get(f"/cases/{case['id']}").text  # only the author corrects
    page = ngo.get(f"/cases/{case['id']}/correct?lang=fr").text
    assert "Motif de la correction" in page and 'name="consent_share_hub"' not in page and 'name="sex"' in page
    # the page posts every field it shows: a refused correction comes back with what was typed and its problems
    refused = ngo.post(f"/cases/{case['id']}/correct", data={**CHILD, "form_complete": "1", "sex": "male",
                                                            "guardian_name": "", "reason": "sex was wrong"})
    assert refused.status_code == 422 and 'id="problems"' in refused.text and "sex was wrong" in refused.text
    no_reason = ngo.post(f"/cases/{case['id']}/correct.json", data={"sex": "male"})
    assert no_reason.status_code == 422 and no_reason.json()["error"]["details"]["field"] == "reason"
    r = ngo.post(f"/cases/{case['id']}/correct", data={**CHILD, "form_complete": "1", "sex": "male",
                                                      "reason": "sex was recorded wrongly", "version": case["version"]},
                follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("?done=corrected")
    assert by_sex().get("male") == 1 and "female" not in by_sex()  # the statistics count the corrected case
    after = ngo.get(f"/cases/{case['id']}.json").json()["case"]
    assert after["corrections"][0]["fields"] == ["sex"] and after["corrections"][0]["reason"] == (
        "sex was recorded wrongly")
    shown = ngo.get(f"/cases/{case['id']}?done=corrected").text
    assert 'id="corrected"' in shown and 'id="corrections"' in shown
    stale = ngo.post(f"/cases/{case['id']}/correct.json", data={"age": "16", "reason": "age", "version": "1"})
    assert stale.status_code == 409
    other = analyst.post(f"/cases/{case['id']}/correct.json", data={"age": "16", "reason": "office fix"})
    assert other.status_code == 403
    assert _actions(db, case["id"]).count("case.correct") == 2  # the refused one (rules) and the saved one
    doc = app.openapi()["paths"]["/cases/{case_id}/correct.json"]["post"]["requestBody"]
    schema = doc["content"]["application/x-www-form-urlencoded"]["schema"]
    assert schema["required"] == ["reason"] and "consent_share_hub" not in schema["properties"]
