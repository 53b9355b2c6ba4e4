"""The command line goes through the same door as the web: every read or change of record-level data it makes is in
the audit log, as the operator (`cli:<OS user>`, marked as coming from the command line), and the chain still
verifies (`tipnet audit verify`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tipnet.auth import audit
from tipnet.cli import app
from tipnet.store import Database
from tipnet.store.tables_auth import audit_log

runner = CliRunner()
PER = "record_id,case_id,sex,age,citizenship\n1,A,F,17,PER\n2,A,M,40,PER\n3,B,F,25,PER\n"
COL = "record_id,case_id,sex,age,citizenship\n1,C,F,30,COL\n"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Database]:
    """A store with two countries' imports, made at the command line by the OS user `alice`."""
    monkeypatch.setenv("TIPNET_HOME", str(tmp_path / "home"))
    monkeypatch.setattr("getpass.getuser", lambda: "alice")
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    for country, text in (("PER", PER), ("COL", COL)):
        f = tmp_path / f"{country}.csv"
        f.write_text(text, encoding="utf-8")
        assert _cli("import", str(f), "--country", country, "--db", url, "--json").exit_code == 0
    return url, Database(url)


def _cli(*args: str, input: str | None = None) -> Any:  # noqa: A002
    return runner.invoke(app, list(args), input=input)


def _entries(db: Database, action: str) -> list[dict[str, Any]]:
    from sqlalchemy import true

    return list(reversed(audit.search(db, true(), {"action": action}, 100)))


def _verified(url: str) -> None:
    result = _cli("audit", "verify", "--db", url, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["ok"]


def _from_the_cli(entry: dict[str, Any]) -> None:
    assert entry["actor"] == "cli:alice" and entry["role"] == "hub_admin"
    assert entry["details"]["via"] == "cli" and entry["details"]["os_user"] == "alice"


def test_import_is_audited(store: tuple[str, Database]) -> None:
    url, db = store
    imports = _entries(db, "submission.import")
    assert [(e["subject_country"], e["details"]["rows_accepted"]) for e in imports] == [("PER", 3), ("COL", 1)]
    for e in imports:
        _from_the_cli(e)
    _verified(url)


def test_export_is_audited_per_country(store: tuple[str, Database], tmp_path: Path) -> None:
    url, db = store
    out = tmp_path / "all.csv"
    result = _cli("export", str(out), "--db", url)
    assert result.exit_code == 0 and "4 records written" in result.output
    exports = _entries(db, "records.export")
    assert [(e["subject_country"], e["details"]["rows"]) for e in exports] == [("COL", 1), ("PER", 3)]
    for e in exports:
        _from_the_cli(e)
        assert e["details"]["format"] == "csv" and e["object_type"] == "records"
    _verified(url)


def test_country_export_is_audited_for_that_country(store: tuple[str, Database], tmp_path: Path) -> None:
    url, db = store
    out = tmp_path / "per.htcds.csv"
    assert _cli("export", str(out), "--format", "htcds", "--country", "per", "--db", url).exit_code == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 4
    (entry,) = _entries(db, "records.export")
    assert entry["subject_country"] == "PER" and entry["details"] == {
        "rows": 3, "format": "htcds", "country_filter": "PER", "via": "cli", "os_user": "alice"}
    empty = tmp_path / "none.csv"
    assert _cli("export", str(empty), "--country", "ARG", "--db", url).exit_code == 0
    assert [(e["subject_country"], e["details"]["rows"]) for e in _entries(db, "records.export")][-1] == ("ARG", 0)
    _verified(url)


def test_submissions_listing_is_audited(store: tuple[str, Database]) -> None:
    url, db = store
    listed = json.loads(_cli("submissions", "--db", url, "--json").stdout)
    assert [s["reporting_country"] for s in listed] == ["COL", "PER"]
    assert all(s["quarantine_path"] is None for s in listed)  # the operator still sees where quarantine files lie
    table = _cli("submissions", "--db", url)
    assert table.exit_code == 0 and "COL" in table.output and "PER" in table.output
    entries = _entries(db, "submission.list")
    assert len(entries) == 2 and entries[0]["details"]["rows"] == 2
    _from_the_cli(entries[0])
    _verified(url)


def test_user_changes_go_through_the_admin_rules(store: tuple[str, Database]) -> None:
    url, db = store
    assert _cli("user", "add", "--email", "fp@per.gob.pe", "--role", "focal_point", "--country", "PER",
                "--db", url).exit_code == 0
    for command in ("disable", "enable", "reset-password", "reset-totp"):
        result = _cli("user", command, "fp@per.gob.pe", "--db", url, "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["email"] == "fp@per.gob.pe"
    actions = [e["action"] for e in _entries(db, "user.")]
    assert actions == ["user.create", "user.disable", "user.enable", "user.reset_password", "user.reset_totp"]
    for e in _entries(db, "user."):
        _from_the_cli(e)
    missing = _cli("user", "disable", "nobody@x.org", "--db", url, "--json")
    assert missing.exit_code == 1 and json.loads(missing.output)["error"]["code"] == "not-found"
    _verified(url)


def test_release_create_and_publish_are_audited(store: tuple[str, Database]) -> None:
    url, db = store
    created = _cli("release", "create", "--table", "country", "--db", url, "--json")
    assert created.exit_code == 0, created.output
    rid = json.loads(created.output)["id"]
    assert _cli("release", "publish", str(rid), "--db", url).exit_code == 0
    actions = [(e["action"], e["object_id"]) for e in _entries(db, "release.")]
    assert actions == [("release.create", str(rid)), ("release.publish", str(rid))]
    for e in _entries(db, "release."):
        _from_the_cli(e)
    _verified(url)


def test_a_tampered_log_is_found(store: tuple[str, Database]) -> None:
    url, db = store
    from sqlalchemy import text

    with db.engine.begin() as conn:  # past the triggers: what `audit verify` is there for
        conn.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))
        conn.execute(audit_log.update().where(audit_log.c.seq == 1).values(actor="cli:mallory"))
    result = _cli("audit", "verify", "--db", url, "--json")
    assert result.exit_code == 1 and json.loads(result.output)["broken_seq"] == 1
