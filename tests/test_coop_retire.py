"""Retiring a directory entry (the authority no longer exists or changed name): it leaves routing, listings,
exports and reminders, stays in the store with its history, is audited, and can be reinstated."""

from __future__ import annotations

import pytest
from coop_helpers import OPERATOR, pdf_text, peru, who
from sqlalchemy import select

from tipnet.coop import directory, directory_export, directory_reminders, requests
from tipnet.coop.directory_routing import route
from tipnet.errors import Forbidden, Invalid
from tipnet.store.tables_auth import audit_log

FOCAL_PER, FOCAL_COL = who("focal_point", "PER"), who("focal_point", "COL")


def _names(result):
    return [a["authority"]["name"] for a in result["authorities"]]


def test_retired_entry_leaves_routing_listing_and_exports_and_comes_back(db):
    made = peru(db)
    police = made["police"]
    assert "Police Unit PER" in _names(route(db, "PER", "provisional_arrest", "trafficking_in_persons"))
    with pytest.raises(Forbidden):
        directory.retire(db, FOCAL_COL, police.id, "not yours")  # another country's focal point
    gone = directory.retire(db, FOCAL_PER, police.id, "Merged into the new National Police Directorate")
    assert gone.retired and gone.retired_reason.startswith("Merged") and gone.version == police.version + 1
    assert "Police Unit PER" not in _names(route(db, "PER", "provisional_arrest", "trafficking_in_persons"))
    assert police.id not in [a.id for a in directory.listing(db)]
    assert police.id in [a.id for a in directory.listing(db, include_retired=True)]
    assert "Police Unit PER" not in directory_export.to_csv(directory.listing(db), False)
    assert "Police Unit PER" not in pdf_text(directory_export.to_pdf(directory.listing(db)))
    assert police.id not in [a.id for a in directory_reminders.stale(db, OPERATOR)]
    assert directory.get(db, police.id).view(False)["retired"] is True  # still readable by id, marked
    assert directory.retire(db, FOCAL_PER, police.id, "again").version == gone.version  # twice: no change
    with pytest.raises(Invalid, match="retired"):  # a request cannot be addressed to it
        requests.create(db, who("investigator", "COL"), "mla", "PER", ["identification_location"],
                        "trafficking_in_persons", authority_id=police.id)
    back = directory.reinstate(db, FOCAL_PER, police.id)
    assert not back.retired and police.id in [a.id for a in directory.listing(db)]
    assert directory.reinstate(db, FOCAL_PER, police.id).version == back.version
    assert [h["action"] for h in directory.history(db, police.id, True)][:3] == ["reinstate", "retire", "create"]
    with db.engine.connect() as conn:
        acts = [r.action for r in conn.execute(select(audit_log).where(audit_log.c.object_id == str(police.id)))]
    assert "directory.retire" in acts and "directory.reinstate" in acts
