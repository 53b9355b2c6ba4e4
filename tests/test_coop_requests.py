"""MLA and extradition requests: requirements by state and measure, completeness, the status workflow (allowed and
refused moves), tenancy, audit, overdue reminders, and the formal documents read back."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from coop_helpers import OPERATOR, TODAY, entry, pdf_text, peru, who
from docx import Document
from sqlalchemy import select

from tipnet.coop import directory, documents, requests
from tipnet.coop.requests_model import InvalidTransition
from tipnet.errors import Forbidden, Invalid, NotVisible
from tipnet.store.tables_auth import audit_log
from tipnet.store.tables_directory import coop_outbox

COL, PER, JAM, ECU = (who("investigator", c) for c in ("COL", "PER", "JAM", "ECU"))


def jamaica(db):
    return directory.create(db, OPERATOR, entry(
        "JAM", "Central Authority JAM", ["mla_central_authority", "extradition"], working_languages=["en"],
        legal_profile={"legal_basis": ["Mutual Assistance (Criminal Matters) Act"], "dual_criminality": "all",
                       "request_languages": ["en"], "required_fields": {"search_seizure": ["probable_cause_statement"]},
                       "required_attachments": {"search_seizure": ["sworn_affidavit"],
                                                "*": ["certified_copy_of_law"]}}))


def fill(db, req, actor=COL, skip=()):
    need = req.requirements(db)
    fields = {f: f"Text for {f}." for f in need.fields if f not in skip}
    attachments = {a: f"{a}.pdf, 3 pages" for a in need.attachments if a not in skip}
    return requests.save(db, actor, req.id, fields, attachments)


def test_requirements_follow_the_requested_state_and_measures(db):
    peru(db)
    jamaica(db)
    to_per = requests.create(db, COL, "mla", "PER", ["search_seizure"], "trafficking_in_persons")
    to_jam = requests.create(db, COL, "mla", "JAM", ["search_seizure"], "trafficking_in_persons")
    per, jam = to_per.requirements(db), to_jam.requirements(db)
    assert to_per["authority_id"] == directory.listing(db, "PER", "mla_central_authority")[0].id  # routed
    assert per.language == "es" and jam.language == "en"
    assert per.attachments == ("judicial_order",)
    assert jam.attachments == ("certified_copy_of_law", "sworn_affidavit")
    assert "probable_cause_statement" in jam.fields and "probable_cause_statement" not in per.fields
    assert {"place_to_search", "items_sought", "dual_criminality_statement"} <= set(per.fields)
    light = requests.create(db, COL, "mla", "PER", ["evidence_taking"], "trafficking_in_persons").requirements(db)
    assert "dual_criminality_statement" not in light.fields  # PER: dual criminality for coercive measures only
    assert "dual_criminality_statement" in requests.create(
        db, COL, "mla", "JAM", ["evidence_taking"], "trafficking_in_persons").requirements(db).fields  # JAM: all
    ext = requests.create(db, COL, "extradition", "PER", ["extradition"], "trafficking_in_persons").requirements(db)
    assert {"person_identity", "penalty", "limitation"} <= set(ext.fields)
    assert ext.attachments[:4] == ("arrest_warrant", "charging_document", "legal_texts", "identification_documents")


def test_completeness_lists_what_is_missing_by_field(db):
    peru(db)
    req = requests.create(db, COL, "mla", "PER", ["search_seizure"], "trafficking_in_persons")
    gaps = req.missing(db)
    assert ("judicial_order", "attachment") in {(g["field"], g["kind"]) for g in gaps}
    assert ("place_to_search", "field") in {(g["field"], g["kind"]) for g in gaps}
    with pytest.raises(Invalid) as exc:
        requests.transition(db, COL, req.id, "sent")
    assert "judicial_order" in exc.value.message
    req = fill(db, req, skip=("items_sought",))
    assert [g["field"] for g in req.missing(db)] == ["items_sought"]
    req = requests.save(db, COL, req.id, {"items_sought": "   "})
    assert [g["field"] for g in req.missing(db)] == ["items_sought"]  # blank is missing
    req = requests.save(db, COL, req.id, {"items_sought": "Ledgers, phones"})
    assert req.missing(db) == []
    assert requests.transition(db, COL, req.id, "sent")["status"] == "sent"
    with pytest.raises(Invalid):
        requests.save(db, COL, req.id, {"purpose": "changed after sending"})  # only drafts are edited
    with pytest.raises(Invalid) as exc:
        requests.save(db, COL, requests.create(db, COL, "mla", "PER", ["evidence_taking"], "forced_labour").id,
                      {"place_to_search": "not part of this request"})
    assert exc.value.details == {"field": "place_to_search"}


def test_the_workflow_allows_its_moves_and_refuses_the_others(db):
    peru(db)
    req = fill(db, requests.create(db, COL, "mla", "PER", ["evidence_taking"], "trafficking_in_persons"))
    with pytest.raises(InvalidTransition) as exc:
        requests.transition(db, COL, req.id, "received")  # draft -> received skips sending
    assert exc.value.status == 409 and "from draft it may go to sent, withdrawn" in exc.value.message
    requests.transition(db, COL, req.id, "sent")
    with pytest.raises(InvalidTransition, match="only the requested state"):
        requests.transition(db, COL, req.id, "received")  # the requesting side cannot acknowledge its own request
    requests.transition(db, PER, req.id, "received")
    with pytest.raises(InvalidTransition, match="only the requesting state"):
        requests.transition(db, PER, req.id, "withdrawn")
    with pytest.raises(InvalidTransition):
        requests.transition(db, PER, req.id, "executed")  # received -> executed skips execution
    requests.transition(db, PER, req.id, "in_execution", "assigned to prosecutor 3")
    done = requests.transition(db, PER, req.id, "executed")
    assert done["status"] == "executed"
    for target in ("withdrawn", "refused", "in_execution", "draft"):
        with pytest.raises(InvalidTransition, match="executed is final"):
            requests.transition(db, PER if target != "withdrawn" else COL, req.id, target)
    with pytest.raises(InvalidTransition, match="unknown status"):
        requests.transition(db, PER, req.id, "lost")
    events = requests.events(db, req.id)
    assert [(e["from_status"], e["to_status"]) for e in events] == [
        (None, "draft"), ("draft", "sent"), ("sent", "received"), ("received", "in_execution"),
        ("in_execution", "executed")]
    assert events[3]["note"] == "assigned to prosecutor 3" and events[3]["actor_country"] == "PER"
    with db.engine.connect() as conn:
        audited = [r.details for r in conn.execute(select(audit_log.c.details).where(
            (audit_log.c.action == "request.status") & (audit_log.c.object_id == str(req.id))).order_by(
            audit_log.c.seq))]
    assert len(audited) == 4 and '"to":"executed"' in audited[-1]


@pytest.mark.parametrize("status_path,final", [(["sent"], "withdrawn"), (["sent", "received"], "refused"),
                                               ([], "withdrawn"), (["sent", "received", "in_execution"], "withdrawn")])
def test_refusal_and_withdrawal_from_non_final_states(db, status_path, final):
    peru(db)
    req = fill(db, requests.create(db, COL, "mla", "PER", ["evidence_taking"], "trafficking_in_persons"))
    for step in status_path:
        requests.transition(db, COL if step == "sent" else PER, req.id, step)
    actor = COL if final == "withdrawn" else PER
    assert requests.transition(db, actor, req.id, final)["status"] == final


def test_a_request_is_seen_by_the_two_states_only(db):
    peru(db)
    req = fill(db, requests.create(db, COL, "mla", "PER", ["evidence_taking"], "trafficking_in_persons"))
    with pytest.raises(NotVisible):
        requests.get(db, PER, req.id)  # drafts stay with the requesting state
    assert [r.id for r in requests.listing(db, PER)] == []
    requests.transition(db, COL, req.id, "sent")
    assert requests.get(db, PER, req.id)["reference"] == req["reference"]
    assert [r.id for r in requests.listing(db, PER, "incoming")] == [req.id]
    assert requests.listing(db, PER, "outgoing") == [] and [r.id for r in requests.listing(db, COL, "outgoing")] == [
        req.id]
    for outsider in (ECU, who("hub_admin"), who("hub_analyst"), who("focal_point", "ECU")):
        with pytest.raises(NotVisible):
            requests.get(db, outsider, req.id)
        assert requests.listing(db, outsider) == []
    with pytest.raises(Forbidden):
        requests.create(db, who("analyst", "COL"), "mla", "PER", ["evidence_taking"], "trafficking_in_persons")
    with pytest.raises(Invalid):
        requests.create(db, COL, "mla", "COL", ["evidence_taking"], "trafficking_in_persons")  # not to itself
    with pytest.raises(Invalid) as exc:
        requests.create(db, COL, "mla", "PER", ["extradition"], "trafficking_in_persons")
    assert exc.value.details == {"field": "measures", "value": "extradition"}


def test_deadlines_overdue_list_and_reminders(db):
    peru(db)
    late = fill(db, requests.create(db, COL, "mla", "PER", ["evidence_taking"], "trafficking_in_persons",
                                    deadline=(TODAY - dt.timedelta(days=3)).isoformat(), case_ids="COL-2026-7, X9"))
    requests.create(db, COL, "mla", "PER", ["evidence_taking"], "trafficking_in_persons",
                    deadline=(TODAY + dt.timedelta(days=30)).isoformat())
    assert late["case_ids"] == ["COL-2026-7", "X9"]
    requests.transition(db, COL, late.id, "sent")
    assert [r.id for r in requests.listing(db, COL, overdue_only=True)] == [late.id]
    sent = requests.remind_overdue(db, COL)
    assert [(s["object_id"], s["recipient"]) for s in sent] == [(late.id, "central@per.example.org")]
    assert requests.remind_overdue(db, COL) == []  # once a week
    with db.engine.connect() as conn:
        assert conn.execute(select(coop_outbox.c.kind)).scalars().all() == ["request.overdue"]
    requests.transition(db, COL, late.id, "withdrawn")
    assert requests.listing(db, COL, overdue_only=True) == []  # final: no longer overdue


def test_documents_are_written_in_the_requested_states_language_and_read_back(db):
    peru(db)
    jamaica(db)
    req = fill(db, requests.create(db, COL, "mla", "PER", ["search_seizure"], "trafficking_in_persons",
                                   case_ids="COL-2026-7"))
    req = requests.save(db, COL, req.id, {"summary_of_facts": "Reclutamiento de 12 víctimas en Cúcuta."})
    docx = Document(io.BytesIO(documents.document_for(db, req, "docx", "2026-11-28")))
    text = "\n".join(p.text for p in docx.paragraphs)
    cells = [c.text for row in docx.tables[0].rows for c in row.cells]
    assert docx.paragraphs[0].text == "Solicitud de asistencia jurídica mutua en materia penal"
    assert "Resumen de los hechos" in text and "Reclutamiento de 12 víctimas en Cúcuta." in text
    assert "Orden judicial: judicial_order.pdf, 3 pages" in text  # the attachment list
    assert req["reference"] in cells and "COL-2026-7" in cells and "Registro e incautación" in cells
    pdf = pdf_text(documents.document_for(db, req, "pdf", "2026-11-28"))
    assert "Solicitud de asistencia jur" in pdf and "Reclutamiento de 12 v" in pdf and req["reference"] in pdf
    to_jam = fill(db, requests.create(db, COL, "extradition", "JAM", ["extradition"], "trafficking_in_persons"))
    english = Document(io.BytesIO(documents.document_for(db, to_jam, "docx", "2026-11-28")))
    assert english.paragraphs[0].text == "Request for extradition"
    assert "Arrest warrant: arrest_warrant.pdf, 3 pages" in "\n".join(p.text for p in english.paragraphs)


def test_files_attached_to_a_request(db):
    from tipnet.coop import requests_files

    peru(db)
    req = requests.create(db, COL, "mla", "PER", ["search_seizure"], "trafficking_in_persons")
    req = fill(db, req, skip=("judicial_order",))
    assert [g["field"] for g in req.missing(db)] == ["judicial_order"]
    order = b"%PDF-1.4 order of the 3rd criminal court\n"
    first = requests_files.attach(db, COL, req.id, "judicial_order", "C:\\scans\\order.pdf", order)
    assert first["filename"] == "order.pdf" and first["size"] == len(order)
    assert req.missing(db) == []  # a file answers the slot
    requests_files.attach(db, COL, req.id, "judicial_order", "order-v2.pdf", order + b"v2")
    assert [f["filename"] for f in requests_files.listing(db, req.id)] == ["order.pdf", "order-v2.pdf"]  # both kept
    for bad_slot, name, data in (("arrest_warrant", "w.pdf", b"x"), ("judicial_order", "x.exe", b"x"),
                                 ("judicial_order", "empty.pdf", b"")):
        with pytest.raises(Invalid):
            requests_files.attach(db, COL, req.id, bad_slot, name, data)
    with pytest.raises(NotVisible):
        requests_files.attach(db, PER, req.id, "judicial_order", "o.pdf", b"x")  # a draft is not PER's to see
    text = "\n".join(p.text for p in Document(io.BytesIO(documents.document_for(db, req, "docx", "2026-11-28")))
                     .paragraphs)
    assert f"order.pdf (SHA-256 {first['sha256'][:16]})" in text
    requests.transition(db, COL, req.id, "sent")
    meta, data = requests_files.read(db, PER, req.id, first["id"])  # the requested state reads it once sent
    assert data == order and meta["sha256"] == first["sha256"]
    with pytest.raises(NotVisible):
        requests_files.read(db, ECU, req.id, first["id"])
    with pytest.raises(Invalid):
        requests_files.attach(db, COL, req.id, "judicial_order", "late.pdf", b"x")  # sent: no more changes
    with pytest.raises(Forbidden):
        requests_files.attach(db, PER, req.id, "judicial_order", "o.pdf", b"x")  # the requested side attaches none
