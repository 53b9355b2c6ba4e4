"""Over HTTP: registering an incoming request with its scan (form and JSON), the overdue-reminder button (CSRF,
audited), and retiring / reinstating a directory entry as an editor sees it and the public does not."""

from __future__ import annotations

import datetime as dt

import pytest
from auth_helpers import signed_in_client
from coop_helpers import peru
from fastapi.testclient import TestClient
from sqlalchemy import select

from tipnet.store.tables_auth import audit_log
from tipnet.store.tables_directory import coop_outbox
from tipnet.web.app import create_app

TODAY = dt.datetime.now(dt.UTC).date()


@pytest.fixture
def app(db, settings):
    peru(db)
    return create_app(db, settings)


def test_register_an_incoming_request_by_form(app, db):
    per, _ = signed_in_client(app, db, "focal_point", "PER")
    col, _ = signed_in_client(app, db, "investigator", "COL")
    page = per.get("/requests/incoming/new")
    assert page.status_code == 200 and 'name="received_on"' in page.text and 'name="scan"' in page.text
    assert 'href="/requests/incoming/new"' in per.get("/requests").text
    scan = b"%PDF-1.4 exhorto escaneado"
    form = {"kind": "mla", "requesting_country": "COL", "received_on": (TODAY - dt.timedelta(days=1)).isoformat(),
            "external_reference": "Oficio 2026-88 – Fiscalía", "measures": ["evidence_taking"],
            "crime": "trafficking_in_persons", "deadline": (TODAY - dt.timedelta(days=1)).isoformat(),
            "notes": "Llegó por valija diplomática."}
    r = per.post("/requests/incoming", data=form, files={"scan": ("exhorto.pdf", scan, "application/pdf")},
                 follow_redirects=False)
    assert r.status_code == 303
    rid = int(r.headers["location"].rsplit("/", 1)[1])
    detail = per.get(f"/requests/{rid}.json").json()
    assert detail["request"]["status"] == "received" and detail["request"]["external_reference"] == form[
        "external_reference"]
    assert detail["actions"] == ["in_execution", "refused", "withdrawn"]
    (f,) = detail["files"]
    assert per.get(f"/requests/{rid}/files/{f['id']}").content == scan
    html = per.get(f"/requests/{rid}").text
    assert "Oficio 2026-88 – Fiscalía" in html and "exhorto.pdf" in html
    assert 'id="document-pdf"' not in html  # the original is the scan, not a document tipnet writes
    assert per.get(f"/requests/{rid}/document.pdf").status_code == 409
    assert col.get(f"/requests/{rid}.json").status_code == 404  # the requesting state's register does not show it
    again = per.post("/requests/incoming.json", data=form)
    assert again.status_code == 422 and again.json()["error"]["details"]["field"] == "external_reference"
    bad = per.post("/requests/incoming.json", data=form | {"external_reference": "x", "received_on": "ayer"})
    assert bad.status_code == 422 and bad.json()["error"]["details"] == {"field": "received_on", "value": "ayer"}
    # the overdue reminder button: the deadline above has passed
    listing = per.get("/requests?overdue=1").text
    assert 'action="/requests/remind"' in listing
    r = per.post("/requests/remind", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/requests?overdue=1&reminded=1"
    assert per.post("/requests/remind.json").json() == {"sent": 0}  # at most once a week
    with db.engine.connect() as conn:
        assert conn.execute(select(coop_outbox.c.object_id)).scalars().all() == [rid]
        acts = conn.execute(select(audit_log.c.action).where(audit_log.c.action == "request.remind")).scalars().all()
    assert len(acts) == 2


def test_reminder_button_needs_csrf_and_the_right_role(app, db):
    hub, _ = signed_in_client(app, db, "hub_admin")
    assert 'action="/requests/remind"' in hub.get("/directory/stale").text
    assert hub.post("/requests/remind.json").json() == {"sent": 0}
    del hub.headers["x-csrf-token"]
    assert hub.post("/requests/remind.json").status_code == 403
    inv, _ = signed_in_client(app, db, "investigator", "PER")
    assert inv.post("/requests/remind.json").status_code == 403
    assert 'action="/requests/remind"' not in inv.get("/requests").text


def test_retire_and_reinstate_by_form(app, db):
    focal, _ = signed_in_client(app, db, "focal_point", "PER")
    anon = TestClient(app)
    police = next(a for a in anon.get("/directory.json?country=PER").json()["authorities"]
                  if a["name"] == "Police Unit PER")
    assert f'action="/directory/authorities/{police["id"]}/retire"' in focal.get(
        f"/directory/authorities/{police['id']}").text
    r = focal.post(f"/directory/authorities/{police['id']}/retire", data={"reason": "Renamed"},
                   follow_redirects=False)
    assert r.status_code == 303
    assert "Police Unit PER" not in anon.get("/directory?country=PER").text  # gone from the public listing
    assert "Police Unit PER" not in anon.get("/directory/export.csv").text
    editor = focal.get("/directory.json?country=PER").json()["authorities"]
    assert [a["retired"] for a in editor if a["name"] == "Police Unit PER"] == [True]  # shown, marked, to editors
    assert 'id="retired-flag"' in focal.get(f"/directory/authorities/{police['id']}").text
    col, _ = signed_in_client(app, db, "focal_point", "COL")
    assert col.post(f"/directory/authorities/{police['id']}/reinstate.json").status_code == 403
    assert "Police Unit PER" not in col.get("/directory?country=PER").text  # not COL's entry to see retired
    back = focal.post(f"/directory/authorities/{police['id']}/reinstate.json").json()
    assert back["retired"] is False
    assert "Police Unit PER" in anon.get("/directory?country=PER").text
