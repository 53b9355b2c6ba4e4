"""Directory: routing, find_authorities, staleness and reminders, history and permissions, exports."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from coop_helpers import OPERATOR, TODAY, entry, parse_vcards, pdf_text, peru, tomorrow, who
from sqlalchemy import select
from typer.testing import CliRunner

from tipnet.coop import directory, directory_export, directory_reminders
from tipnet.coop.directory_routing import route
from tipnet.errors import Forbidden, Invalid
from tipnet.store.tables_auth import audit_log
from tipnet.store.tables_directory import coop_outbox


def _names(result):
    return [a["authority"]["name"] for a in result["authorities"]]


def _codes(item):
    return [r["code"] for r in item["reasons"]], [c["code"] for c in item["conditions"]]


def test_route_ranks_the_competent_authorities_with_reasons(db):
    peru(db)
    r = route(db, "PER", "evidence_taking", "trafficking_in_persons")
    # central authority: first-choice competence (100); prosecution: second choice (70) + specialised (20)
    assert _names(r) == ["Central Authority PER", "Prosecution Unit PER"]
    assert [a["score"] for a in r["authorities"]] == [100, 90]
    reasons, conditions = _codes(r["authorities"][1])
    assert reasons == ["competence", "specialised"]
    assert "dual_criminality" not in _codes(r["authorities"][0])[1]  # not a coercive measure

    coercive = route(db, "PER", "search_seizure", "trafficking_in_persons")
    assert _names(coercive) == ["Central Authority PER"]  # the prosecution unit does not accept it
    assert [e["authority"]["name"] for e in coercive["excluded"]] == ["Prosecution Unit PER"]
    assert coercive["excluded"][0]["reasons"][0]["code"] == "not_accepted"
    _, conditions = _codes(coercive["authorities"][0])
    assert conditions[:3] == ["dual_criminality", "languages", "translation"]

    arrest = route(db, "PER", "provisional_arrest", "migrant_smuggling")
    assert _names(arrest) == ["Central Authority PER", "Police Unit PER"]
    assert [a["score"] for a in arrest["authorities"]] == [100, 80]  # police: second choice + 24/7
    assert "operational" in _codes(arrest["authorities"][1])[0]

    victims = route(db, "PER", "victim_protection", "trafficking_in_persons")
    assert _names(victims) == ["Central Authority PER", "Victim Services PER"]


def test_route_warns_when_the_conduct_is_not_an_offence_there(db):
    peru(db)
    r = route(db, "PER", "search_seizure", "document_fraud")  # PER's profile does not list document fraud
    top = r["authorities"][0]
    assert "not_an_offence" in _codes(top)[1] and top["score"] == 60
    assert route(db, "PER", "evidence_taking", "document_fraud")["authorities"][0]["score"] == 100  # no dual crim.


def test_route_refuses_unknown_inputs_by_name(db):
    with pytest.raises(Invalid) as exc:
        route(db, "XXX", "search_seizure", "trafficking_in_persons")
    assert exc.value.details["field"] == "country"
    with pytest.raises(Invalid) as exc:
        route(db, "PER", "teleportation", "trafficking_in_persons")
    assert exc.value.details == {"field": "measure", "value": "teleportation"}


def test_stale_entries_rank_lower_and_say_why(db):
    made = peru(db)
    old = (TODAY - dt.timedelta(days=200)).isoformat()
    directory.create(db, OPERATOR, entry("PER", "Old Central PER", ["mla_central_authority"], last_verified=old))
    r = route(db, "PER", "documents_records", "trafficking_in_persons")
    assert _names(r)[0] == "Central Authority PER"
    stale = next(a for a in r["authorities"] if a["authority"]["name"] == "Old Central PER")
    assert stale["score"] == 85 and "stale" in _codes(stale)[0] and stale["authority"]["stale"]
    assert not made["central"].stale()


def test_find_authorities_for_referral(db):
    peru(db)
    directory.create(db, OPERATOR, entry("COL", "Victim Services COL", ["victim_assistance"]))
    found = directory.find_authorities(db, country="PER", competence="victim_assistance")
    assert [a["name"] for a in found] == ["Victim Services PER"]
    assert "direct_phone" not in found[0] and found[0]["email"] == "victim@per.example.org"
    assert directory.find_authorities(db, "PER", "victim_assistance", restricted=True)[0]["direct_phone"] == \
        "+000 555 0101"
    with pytest.raises(Invalid):
        directory.find_authorities(db, "PER", "astrology")


def test_staleness_flags_and_reminders(db):
    day = TODAY
    old = directory.create(db, OPERATOR, entry("PER", "Old PER", ["police"],
                                               last_verified=(day - dt.timedelta(days=190)).isoformat()))
    directory.create(db, OPERATOR, entry("PER", "Recent PER", ["police"],
                                         last_verified=(day - dt.timedelta(days=150)).isoformat()))
    col = directory.create(db, OPERATOR, entry("COL", "Old COL", ["police"],
                                               last_verified=(day - dt.timedelta(days=400)).isoformat()))
    assert [a.name for a in directory_reminders.stale(db, OPERATOR, day)] == ["Old COL", "Old PER"]
    focal_per = who("focal_point", "PER")
    assert [a.name for a in directory_reminders.stale(db, focal_per, day)] == ["Old PER"]

    sent = directory_reminders.remind(db, focal_per, day)["sent"]
    assert [(s["object_id"], s["recipient"]) for s in sent] == [(old.id, "focal@per.example.org")]
    again = directory_reminders.remind(db, focal_per, day)
    assert again["sent"] == [] and again["skipped"][0]["authority_id"] == old.id  # not twice in 30 days
    with db.engine.connect() as conn:
        rows = conn.execute(select(coop_outbox.c.object_id, coop_outbox.c.kind)).all()
    assert sorted(rows) == [(old.id, "directory.stale")]

    directory.verify(db, focal_per, old.id, on=day)
    assert not directory.get(db, old.id).stale(day)
    assert directory_reminders.remind(db, focal_per, day)["sent"] == []
    assert [s["object_id"] for s in directory_reminders.remind(db, OPERATOR, day)["sent"]] == [col.id]
    assert len(directory_reminders.reminders(db, focal_per)) == 1  # PER's focal point sees PER's only


def test_remind_command_lists_what_was_sent(db):
    from tipnet.cli import app

    directory.create(db, OPERATOR, entry("GTM", "Old GTM", ["police"],
                                         last_verified=(TODAY - dt.timedelta(days=365)).isoformat()))
    result = CliRunner().invoke(app, ["coop", "directory", "remind", "--db", db.url, "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert [s["recipient"] for s in out["sent"]] == ["focal@gtm.example.org"]
    assert "Old GTM" in out["sent"][0]["subject"]


def test_every_change_is_kept_with_who_and_when(db):
    focal = who("focal_point", "PER")
    a = directory.create(db, focal, entry("PER", "Unit PER", ["police"]))
    directory.update_entry(db, focal, a.id, {"phone": "+000 100 0002", "ops_24_7": True, "ops_phone": "+000 247 1"})
    directory.update_entry(db, focal, a.id, {"phone": "+000 100 0002"})  # no change: no new version
    directory.verify(db, focal, a.id)
    history = directory.history(db, a.id, restricted=True)
    assert [(h["version"], h["action"]) for h in history] == [(3, "verify"), (2, "update"), (1, "create")]
    assert history[1]["fields"] == ["ops_24_7", "ops_phone", "phone"]
    assert history[1]["changed_by"] == focal.email and history[2]["entry"]["phone"] == "+000 100 0001"
    public = directory.history(db, a.id, restricted=False)
    assert public[1]["changed_by"] is None and "ops_phone" not in public[1]["entry"]
    with db.engine.connect() as conn:
        actions = [r.action for r in conn.execute(select(audit_log.c.action).where(
            audit_log.c.object_type == "authority").order_by(audit_log.c.seq))]
    assert actions == ["directory.create", "directory.update", "directory.verify"]


def test_who_may_edit(db):
    a = directory.create(db, OPERATOR, entry("PER", "Unit PER", ["police"]))
    with pytest.raises(Forbidden):
        directory.update_entry(db, who("focal_point", "COL"), a.id, {"phone": "+000 1"})
    with pytest.raises(Forbidden):
        directory.update_entry(db, who("investigator", "PER"), a.id, {"phone": "+000 1"})
    with pytest.raises(Forbidden):
        directory.create(db, who("focal_point", "COL"), entry("PER", "Not mine", ["police"]))
    assert directory.update_entry(db, who("hub_admin"), a.id, {"phone": "+000 2"}).doc["phone"] == "+000 2"
    with pytest.raises(Invalid) as exc:
        directory.update_entry(db, who("focal_point", "PER"), a.id, {"email": "not an address"})
    assert exc.value.details == {"field": "email", "value": "not an address"}
    with pytest.raises(Invalid) as exc:
        directory.update_entry(db, OPERATOR, a.id, {"ops_24_7": True})
    assert exc.value.details["field"] == "ops_phone"
    future = tomorrow()
    with pytest.raises(Invalid) as exc:
        directory.create(db, OPERATOR, entry("PER", "Future PER", ["police"], last_verified=future))
    assert exc.value.details == {"field": "last_verified", "value": future}


def test_csv_round_trip(db):
    peru(db)
    before = directory.listing(db)
    text = directory_export.to_csv(before, restricted=True)
    header = text.splitlines()[0].split(",")
    assert "ops_phone" in header and "ops_phone" not in directory_export.to_csv(before, False).splitlines()[0]
    added = directory_export.import_csv(db, OPERATOR, text, "per.csv")
    assert len(added) == len(before)
    for old, new in zip(before, added, strict=True):
        assert new.doc == old.doc and new.last_verified == old.last_verified and new.id != old.id


def test_csv_import_names_the_bad_row_and_field(db):
    peru(db)
    text = directory_export.to_csv(directory.listing(db), restricted=True)
    lines = text.split("\r\n")
    assert lines[3].startswith(f"{directory.listing(db)[2].id},Prosecution Unit PER,")  # line 4 of the file
    lines[3] = lines[3].replace("prosecution@per.example.org", "prosecution-at-per")
    with pytest.raises(Invalid) as exc:
        directory_export.import_csv(db, OPERATOR, "\r\n".join(lines), "bad.csv")
    assert exc.value.details == {"file": "bad.csv", "row": 4, "field": "email", "value": "prosecution-at-per"}
    assert len(directory.listing(db)) == 4  # nothing written


def test_vcard_export_parses_and_keeps_restricted_lines_out(db):
    made = peru(db)
    cards = parse_vcards(directory_export.to_vcard(directory.listing(db), restricted=False))
    assert len(cards) == 4
    police = next(c for c in cards if c["FN"] == ["Police Unit PER"])
    assert police["VERSION"] == ["4.0"] and police["UID"] == [f"urn:tipnet:authority:{made['police'].id}"]
    assert police["TEL"] == ["tel:+0001000001"] and police["EMAIL"] == ["police@per.example.org"]
    full = parse_vcards(directory_export.to_vcard([made["police"]], restricted=True))[0]
    assert "tel:+0002479999" in full["TEL"] and "duty@per.example.org" in full["EMAIL"]
    long = directory.create(db, OPERATOR, entry("PER", "Dirección Nacional de Protección, Niñez; y Adolescencia " * 2,
                                                ["child_protection"]))
    text = directory_export.to_vcard([long], restricted=False)
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert parse_vcards(text)[0]["FN"] == [long.name]


def test_printable_html_and_pdf(db):
    peru(db)
    entries = directory.listing(db)
    page = directory_export.print_html(entries, "es")
    assert "Directorio de autoridades nacionales" in page and "Police Unit PER" in page
    assert "+000 247 9999" not in page
    text = pdf_text(directory_export.to_pdf(entries))
    assert "Central Authority PER" in text and "Victim Services PER" in text and "+000 555 0101" not in text
    assert "+000 555 0101" in pdf_text(directory_export.to_pdf(entries, restricted=True))


def test_demo_directory_covers_the_35_states_with_fictitious_contacts(sqlite_db):
    from tipnet.demo.directory import seed_directory
    from tipnet.standard.countries import OAS_MEMBERS

    assert seed_directory(sqlite_db) == {"added": 35 * 7, "countries": 35}
    assert seed_directory(sqlite_db)["added"] == 0  # idempotent
    entries = directory.listing(sqlite_db)
    assert {a.country for a in entries} == set(OAS_MEMBERS)
    for a in entries:
        for key in ("email", "direct_email", "ops_email", "focal_point_email"):
            assert not a.doc[key] or a.doc[key].endswith(".example.org"), (a.name, key)
        for key in ("phone", "direct_phone", "ops_phone"):
            assert not a.doc[key] or a.doc[key].startswith("+000 "), (a.name, key)
    for iso3 in OAS_MEMBERS:  # every state can be asked for a search and for an extradition
        assert route(sqlite_db, iso3, "search_seizure", "trafficking_in_persons")["authorities"]
        assert route(sqlite_db, iso3, "extradition", "trafficking_in_persons")["authorities"]
    assert directory.find_authorities(sqlite_db, country="HTI", competence="victim_assistance")
    assert directory.listing(sqlite_db, "BRA")[0].doc["working_languages"] == ["pt"]
    stale = [a for a in entries if a.stale()]
    assert 0 < len(stale) < len(entries) / 2  # some to remind, most current


def test_demo_requests_give_peru_a_register_to_work_with(sqlite_db):
    from tipnet.coop import requests
    from tipnet.demo.directory import seed_directory
    from tipnet.demo.requests import seed_requests

    seed_directory(sqlite_db)
    assert seed_requests(sqlite_db) == {"added": 4}
    assert seed_requests(sqlite_db) == {"added": 0}
    per = who("investigator", "PER")
    statuses = {(r["requesting_country"], r["requested_country"], r["status"])
                for r in requests.listing(sqlite_db, per)}
    assert statuses == {("PER", "COL", "sent"), ("COL", "PER", "received"), ("ARG", "PER", "in_execution"),
                        ("PER", "BOL", "draft")}
    assert [r["requesting_country"] for r in requests.listing(sqlite_db, per, overdue_only=True)] == ["COL"]
    draft = requests.listing(sqlite_db, per, status="draft")[0]
    assert draft.missing(sqlite_db)  # left incomplete on purpose: the wizard shows what is missing
    assert requests.listing(sqlite_db, who("investigator", "ECU")) == []
