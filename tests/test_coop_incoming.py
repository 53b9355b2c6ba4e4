"""Incoming requests received outside tipnet, registered by the requested state's central authority: they enter
the register as "received", follow the workflow from there, are audited, visible to the registering state only; and
overdue reminders sent by the hub administrator for the whole register."""

from __future__ import annotations

import datetime as dt

import pytest
from coop_helpers import OPERATOR, TODAY, peru, tomorrow, who
from sqlalchemy import select

from tipnet.coop import requests, requests_files
from tipnet.coop.requests_incoming import SCAN_SLOT, register_incoming
from tipnet.coop.requests_model import InvalidTransition
from tipnet.errors import Forbidden, Invalid, NotVisible
from tipnet.store.tables_auth import audit_log
from tipnet.store.tables_directory import coop_outbox

PER, COL, ECU = (who("investigator", c) for c in ("PER", "COL", "ECU"))
FOCAL_PER = who("focal_point", "PER")


def _register(db, actor=FOCAL_PER, **kw):
    args = {"kind": "mla", "requesting_country": "COL", "received_on": (TODAY - dt.timedelta(days=2)).isoformat(),
            "external_reference": "OF-2026-1187/DAI", "measures": ["evidence_taking"],
            "crime": "trafficking_in_persons"} | kw
    return register_incoming(db, actor, args.pop("kind"), args.pop("requesting_country"), args.pop("received_on"),
                             args.pop("external_reference"), args.pop("measures"), args.pop("crime"), **args)


def test_register_incoming_enters_as_received_with_its_scan(db):
    made = peru(db)
    scan = b"%PDF-1.4 scanned letter rogatory"
    req = _register(db, deadline=(TODAY + dt.timedelta(days=60)).isoformat(), case_ids="PER-2026-3",
                    notes="Received by diplomatic pouch; Spanish original.", scan=("C:\\scans\\exhorto.pdf", scan))
    assert (req["status"], req["requesting_country"], req["requested_country"]) == ("received", "COL", "PER")
    assert req["reference"].startswith("PER-IN-MLA-") and req["external_reference"] == "OF-2026-1187/DAI"
    assert req["received_on"] == TODAY - dt.timedelta(days=2) and req["registered_by"] == "PER"
    assert req["authority_id"] == made["central"].id  # the registering state's competent authority
    assert req["fields"] == {"notes": "Received by diplomatic pouch; Spanish original."}
    files = requests_files.listing(db, req.id)
    assert [(f["slot"], f["filename"], f["size"]) for f in files] == [(SCAN_SLOT, "exhorto.pdf", len(scan))]
    assert requests_files.read(db, PER, req.id, files[0]["id"])[1] == scan
    events = requests.events(db, req.id)
    assert [(e["from_status"], e["to_status"], e["actor_country"]) for e in events] == [(None, "received", "PER")]
    assert "OF-2026-1187/DAI" in events[0]["note"]
    with db.engine.connect() as conn:
        acts = conn.execute(select(audit_log.c.action).where(audit_log.c.object_id == str(req.id))).scalars().all()
    assert "request.register_incoming" in acts and "request.file_attach" in acts


def test_registered_request_is_seen_by_the_registering_state_only(db):
    peru(db)
    req = _register(db)
    assert requests.get(db, PER, req.id).id == req.id
    assert req.id in [r.id for r in requests.listing(db, PER, "incoming")]
    for outsider in (COL, ECU):  # the requesting state did not send it through tipnet; a third country is no party
        with pytest.raises(NotVisible):
            requests.get(db, outsider, req.id)
        assert req.id not in [r.id for r in requests.listing(db, outsider)]
    assert requests.get(db, OPERATOR, req.id).id == req.id  # the operator holds the whole store


def test_registered_request_follows_the_workflow_from_received(db):
    peru(db)
    req = _register(db)
    assert requests.actions(requests.get(db, PER, req.id), PER) == ["in_execution", "refused", "withdrawn"]
    with pytest.raises(InvalidTransition):
        requests.transition(db, PER, req.id, "sent")
    assert requests.transition(db, PER, req.id, "in_execution", "assigned to prosecutor")["status"] == "in_execution"
    assert requests.transition(db, PER, req.id, "executed")["status"] == "executed"
    with pytest.raises(InvalidTransition):
        requests.transition(db, PER, req.id, "withdrawn")  # final
    other = _register(db, external_reference="OF-2026-2000")
    assert requests.transition(db, PER, other.id, "withdrawn", "note verbale of 2026-11-20")["status"] == "withdrawn"
    with pytest.raises(Forbidden):
        requests.save(db, PER, other.id, {"purpose": "x"})  # the wizard edits the requesting state's drafts only


def test_registration_is_checked_field_by_field(db):
    peru(db)
    bad = [({"requesting_country": "PER"}, "requesting_country"), ({"requesting_country": "XXX"}, "requesting_country"),
           ({"received_on": "28/11/2026"}, "received_on"),
           ({"received_on": tomorrow()}, "received_on"),
           ({"received_on": ""}, "received_on"), ({"external_reference": "  "}, "external_reference"),
           ({"measures": ["extradition"]}, "measures"), ({"crime": "littering"}, "crime"),
           ({"deadline": "soon"}, "deadline"), ({"scan": ("virus.exe", b"MZ")}, SCAN_SLOT)]
    for change, field in bad:
        with pytest.raises(Invalid) as exc:
            _register(db, **change)
        assert exc.value.details.get("field") == field, (change, exc.value.details)
    first = _register(db)
    with pytest.raises(Invalid, match=first["reference"]):
        _register(db)  # the same request (state and reference) is registered once
    with pytest.raises(Forbidden):
        _register(db, actor=who("analyst", "PER"))  # no cooperation permission
    with pytest.raises(Forbidden):
        _register(db, registering_country="ECU")  # a PER authority registers for PER only
    with pytest.raises(Forbidden):
        _register(db, actor=OPERATOR)  # the operator names the registering state
    assert _register(db, actor=OPERATOR, registering_country="PER",
                     external_reference="CLI-1")["requested_country"] == "PER"


def test_hub_administrator_sends_overdue_reminders_for_the_whole_register(db):
    peru(db)
    late = _register(db, deadline=(TODAY - dt.timedelta(days=1)).isoformat())
    with pytest.raises(Forbidden):
        requests.remind_overdue(db, who("analyst", "PER"))
    hub = who("hub_admin")
    sent = requests.remind_overdue(db, hub)
    assert [(s["object_id"], s["recipient"]) for s in sent] == [(late.id, "central@per.example.org")]
    assert requests.remind_overdue(db, FOCAL_PER) == []  # once a week, whoever asks
    with db.engine.connect() as conn:
        assert conn.execute(select(coop_outbox.c.object_id)).scalars().all() == [late.id]
        acts = conn.execute(select(audit_log.c.action).where(audit_log.c.actor == hub.email)).scalars().all()
    assert "request.remind" in acts
