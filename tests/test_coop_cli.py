"""`tipnet coop`: directory look-ups, exports and imports, requests register and documents from the command line."""

from __future__ import annotations

import datetime as dt
import io
import json

from coop_helpers import TODAY, parse_vcards, peru, who
from docx import Document
from typer.testing import CliRunner

from tipnet.cli import app
from tipnet.coop import requests
from tipnet.store import Database


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["coop", *args])


def test_directory_commands(sqlite_db, tmp_path):
    made = peru(sqlite_db)
    url = sqlite_db.url
    r = run("directory", "route", "PER", "provisional_arrest", "migrant_smuggling", "--db", url, "--json")
    assert r.exit_code == 0, r.output
    assert [a["authority"]["name"] for a in json.loads(r.output)["authorities"]] == [
        "Central Authority PER", "Police Unit PER"]
    bad = run("directory", "route", "PER", "levitation", "--db", url)
    assert bad.exit_code == 1 and "unknown measure 'levitation'" in bad.output
    shown = json.loads(run("directory", "show", str(made["police"].id), "--db", url, "--json").output)
    assert shown["ops_phone"] == "+000 247 9999" and shown["history"][0]["action"] == "create"
    for fmt, name in (("csv", "d.csv"), ("vcard", "d.vcf"), ("html", "d.html"), ("pdf", "d.pdf")):
        out = tmp_path / name
        r = run("directory", "export", str(out), "--format", fmt, "--db", url)
        assert r.exit_code == 0 and "4 entries written" in r.output, r.output
    assert len(parse_vcards((tmp_path / "d.vcf").read_bytes().decode("utf-8"))) == 4  # CRLF kept
    assert (tmp_path / "d.pdf").read_bytes().startswith(b"%PDF-")
    assert "Victim Services PER" in (tmp_path / "d.html").read_text(encoding="utf-8")
    assert "+000 555 0101" not in (tmp_path / "d.csv").read_text(encoding="utf-8")  # public fields by default

    other = Database(f"sqlite:///{tmp_path / 'other.db'}")
    run("directory", "export", str(tmp_path / "full.csv"), "--restricted", "--db", url)
    r = run("directory", "import", str(tmp_path / "full.csv"), "--db", other.url)
    assert r.exit_code == 0 and "4 entries added" in r.output, r.output
    copied = json.loads(run("directory", "list", "--db", other.url, "--json", "--restricted").output)
    original = json.loads(run("directory", "list", "--db", url, "--json", "--restricted").output)
    strip = ("id", "version", "updated_at", "updated_by")
    assert [{k: v for k, v in a.items() if k not in strip} for a in copied] == [
        {k: v for k, v in a.items() if k not in strip} for a in original]
    other.dispose()


def test_request_commands(sqlite_db, tmp_path):
    peru(sqlite_db)
    col = who("investigator", "COL")
    req = requests.create(sqlite_db, col, "mla", "PER", ["evidence_taking"], "trafficking_in_persons",
                          deadline=(TODAY - dt.timedelta(days=1)).isoformat())
    need = req.requirements(sqlite_db)
    requests.save(sqlite_db, col, req.id, {f: f"{f} text" for f in need.fields})
    requests.transition(sqlite_db, col, req.id, "sent")
    url = sqlite_db.url
    listed = json.loads(run("request", "list", "--db", url, "--json").output)
    assert [(r["reference"], r["status"], r["overdue"]) for r in listed] == [(req["reference"], "sent", True)]
    late = json.loads(run("request", "overdue", "--remind", "--db", url, "--json").output)
    assert [s["recipient"] for s in late["sent"]] == ["central@per.example.org"]
    out = tmp_path / "r.docx"
    r = run("request", "document", str(req.id), str(out), "--format", "docx", "--db", url)
    assert r.exit_code == 0, r.output
    doc = Document(io.BytesIO(out.read_bytes()))
    assert doc.paragraphs[0].text == "Solicitud de asistencia jurídica mutua en materia penal"
    assert run("request", "document", "999", str(out), "--db", url).exit_code == 1


def test_register_incoming_and_retire_from_the_command_line(sqlite_db, tmp_path):
    made = peru(sqlite_db)
    url = sqlite_db.url
    scan = tmp_path / "nota.pdf"
    scan.write_bytes(b"%PDF-1.4 nota verbal")
    received = (TODAY - dt.timedelta(days=3)).isoformat()
    args = ("request", "register-incoming", "--from", "COL", "--country", "PER", "--received", received,
            "--reference", "DAI-2026-77", "--measure", "evidence_taking", "--measure", "documents_records",
            "--scan", str(scan), "--db", url)
    r = run(*args, "--json")
    assert r.exit_code == 0, r.output
    got = json.loads(r.output)
    assert (got["status"], got["requesting_country"], got["requested_country"]) == ("received", "COL", "PER")
    assert got["received_on"] == received and got["measures"] == ["evidence_taking", "documents_records"]
    again = run(*args)
    assert again.exit_code == 1 and "already registered" in again.output
    bad = run("request", "register-incoming", "--from", "COL", "--country", "PER", "--received", "tomorrow",
              "--reference", "X", "--measure", "evidence_taking", "--db", url)
    assert bad.exit_code == 1 and "received_on" in bad.output
    r = run("directory", "retire", str(made["police"].id), "--reason", "renamed", "--db", url)
    assert r.exit_code == 0 and "retired on" in r.output, r.output
    assert "Police Unit PER" not in run("directory", "list", "--country", "PER", "--db", url).output
    r = run("directory", "retire", str(made["police"].id), "--reinstate", "--db", url)
    assert r.exit_code == 0 and "listed" in r.output
