"""The audit log: append-only (triggers), hash-chained, verified; tampering behind the triggers' back is found."""

from __future__ import annotations

import json
import sqlite3
import threading

import pytest
from auth_helpers import make_user, sign_in
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from tipnet.auth import audit
from tipnet.auth.principal import Principal, Via, system
from tipnet.auth.roles import Role
from tipnet.cli.auth import audit_app
from tipnet.web.app import create_app

ANA = Principal(via=Via.SESSION, user_id=7, email="ana@x.org", role=Role.ANALYST, country="PER", ip="10.1.2.3")


def _fill(db, n=5):
    for i in range(n):
        audit.record(db, ANA, "records.export", object_type="submission", object_id=i, subject_country="PER",
                     details={"rows": i, "note": "ñandú"})


def test_chain_and_refused_changes(db):
    """On SQLite and PostgreSQL: rows chain, and the database refuses UPDATE and DELETE."""
    _fill(db)
    result = audit.verify(db)
    assert result.ok and result.rows == 5 and result.head_seq == 5
    rows = audit.search(db, text("1 = 1"), {}, 10)
    assert [r["seq"] for r in rows] == [5, 4, 3, 2, 1]
    assert rows[-1]["prev_hash"] == audit.GENESIS and rows[0]["prev_hash"] == rows[1]["hash"]
    assert rows[0]["details"] == {"rows": 4, "note": "ñandú"} and rows[0]["ip"] == "10.1.2.3"
    for sql in ("UPDATE audit_log SET action = 'nothing' WHERE seq = 2", "DELETE FROM audit_log WHERE seq = 5"):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(sql))
    if db.backend_name == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_log"))
    assert audit.verify(db).ok


def _sqlite_file(db) -> str:
    return db.engine.url.database


def _tamper(db, *statements):
    """Edit the SQLite file directly with the sqlite3 module, dropping the triggers first (as an intruder would)."""
    db.dispose()
    con = sqlite3.connect(_sqlite_file(db))
    con.execute("DROP TRIGGER audit_log_no_update")
    con.execute("DROP TRIGGER audit_log_no_delete")
    for sql in statements:
        con.execute(sql)
    con.commit()
    con.close()


def test_an_altered_row_is_found(sqlite_db):
    _fill(sqlite_db)
    _tamper(sqlite_db, "UPDATE audit_log SET actor = 'someone.else@x.org' WHERE seq = 3")
    result = audit.verify(sqlite_db)
    assert not result.ok and result.broken_seq == 3 and "altered" in result.reason and result.rows == 2


def test_an_altered_row_with_a_recomputed_hash_is_found(sqlite_db):
    _fill(sqlite_db)
    con_rows = audit.search(sqlite_db, text("1 = 1"), {}, 10)
    row = next(r for r in con_rows if r["seq"] == 2)
    row["details"] = json.dumps({"rows": 999}, sort_keys=True, separators=(",", ":"))
    forged = audit.row_hash(row["prev_hash"], row)
    _tamper(sqlite_db, f"UPDATE audit_log SET details = '{row['details']}', hash = '{forged}' WHERE seq = 2")
    result = audit.verify(sqlite_db)
    assert not result.ok and result.broken_seq == 3 and "does not link" in result.reason


def test_a_deleted_row_is_found(sqlite_db):
    _fill(sqlite_db)
    _tamper(sqlite_db, "DELETE FROM audit_log WHERE seq = 2")
    result = audit.verify(sqlite_db)
    assert not result.ok and result.broken_seq == 2 and "missing" in result.reason


def test_deleting_the_newest_rows_is_found_with_a_kept_head(sqlite_db):
    _fill(sqlite_db)
    head = audit.verify(sqlite_db)
    anchor = f"{head.head_seq}:{head.head_hash}"
    _tamper(sqlite_db, "DELETE FROM audit_log WHERE seq >= 4")
    assert audit.verify(sqlite_db).ok  # a shorter chain is still a chain ...
    result = audit.verify(sqlite_db, expect_head=anchor)  # ... but not the one recorded
    assert not result.ok and "deleted" in result.reason


def test_concurrent_writers_keep_one_line(sqlite_db):
    def work(n):
        for i in range(10):
            audit.record(sqlite_db, ANA, f"test.{n}", object_id=i)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = audit.verify(sqlite_db)
    assert result.ok and result.rows == 40


def test_cli_verify_and_show(sqlite_db):
    _fill(sqlite_db, 3)
    audit.record(sqlite_db, system("cli:test"), "user.create", object_type="user", object_id=1)
    runner = CliRunner()
    url = ["--db", sqlite_db.url]
    out = runner.invoke(audit_app, ["verify", *url])
    assert out.exit_code == 0 and "intact" in out.output and "4 rows" in out.output
    head = json.loads(runner.invoke(audit_app, ["verify", "--json", *url]).output)
    shown = json.loads(runner.invoke(audit_app, ["show", "--action", "user.", "--json", *url]).output)
    assert [r["actor"] for r in shown] == ["cli:test"]
    _tamper(sqlite_db, "UPDATE audit_log SET outcome = 'denied' WHERE seq = 2")
    out = runner.invoke(audit_app, ["verify", *url])
    assert out.exit_code == 1 and "broken at row 2" in out.output
    out = runner.invoke(audit_app, ["verify", "--json", "--expect-head", f"{head['head_seq']}:{head['head_hash']}",
                                    *url])
    assert out.exit_code == 1 and json.loads(out.output)["broken_seq"] == 2


def test_what_is_logged_and_who_can_read_it(sqlite_db, settings):
    """Sign-ins, record-level reads and changes are logged; the hub administrator reads everything, a focal point
    its country's entries, an analyst nothing."""
    app = create_app(sqlite_db, settings)
    per = TestClient(app)
    analyst = sign_in(per, make_user(sqlite_db, "analyst", "PER"))
    up = per.post("/uploads.json", files={"file": ("c.csv", b"record_id,case_id,age\n1,A,17\n2,,400\n", "text/csv")})
    sid = per.post(f"/uploads/{up.json()['token']}/commit.json").json()["submission_id"]
    assert per.get(f"/submissions/{sid}/quarantine.csv").status_code == 200
    assert per.get(f"/submissions/{sid}/records.csv").status_code == 200
    assert per.post(f"/submissions/{sid}/sharing.json", data={"shared": "true"}).status_code == 200
    col = TestClient(app)
    sign_in(col, make_user(sqlite_db, "analyst", "COL"))
    assert col.get(f"/submissions/{sid}/quarantine.csv").status_code == 404
    assert col.get("/admin/users.json").status_code == 403

    hub = TestClient(app)
    sign_in(hub, make_user(sqlite_db, "hub_admin"))
    entries = hub.get("/admin/audit.json?limit=1000").json()["entries"]
    actions = [(e["actor"], e["action"], e["outcome"]) for e in entries]
    for action in ("auth.login", "upload.validate", "upload.commit", "records.quarantine.read", "records.export",
                   "submission.share"):
        assert (analyst.email, action, "ok") in actions, action
    denied = [e for e in entries if e["action"] == "access.denied"]
    assert denied and denied[0]["country"] == "COL"
    export = next(e for e in entries if e["action"] == "records.export")
    assert export["subject_country"] == "PER" and export["object_id"] == str(sid) and export["details"]["rows"] == 1
    only = hub.get("/admin/audit.json?action=records.&actor=analyst").json()["entries"]
    assert {e["action"] for e in only} == {"records.quarantine.read", "records.export"}
    assert "records.export" in hub.get("/admin/audit?action=records.").text
    assert hub.get("/admin/audit/verify.json").json()["ok"] is True

    focal = TestClient(app)
    sign_in(focal, make_user(sqlite_db, "focal_point", "COL"))
    seen = focal.get("/admin/audit.json?limit=1000").json()["entries"]
    assert seen and all("COL" in (e["country"], e["subject_country"]) for e in seen)
    assert focal.get("/admin/audit/verify.json").status_code == 403
    assert per.get("/admin/audit.json").status_code == 403
