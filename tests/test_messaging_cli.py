"""`tipnet message ...`: the command line as one account's client: keys, send with attachments, inbox, read,
verified receipts, rotation, revocation; clear errors for a wrong passphrase and a revoked recipient."""

from __future__ import annotations

import json

from auth_helpers import make_user
from typer.testing import CliRunner

from tipnet.cli.messaging import message_app

ALICE, BOB = "pass phrase of alice", "pass phrase of bob!"


def _run(db, *args: str, passphrase: str | None = None):  # type: ignore[no-untyped-def]
    extra = ["--passphrase-stdin"] if passphrase is not None else []
    result = CliRunner().invoke(message_app, [*args, *extra, "--db", db.url, "--json"],
                                input=None if passphrase is None else passphrase + "\n")
    return result


def _ok(result):  # type: ignore[no-untyped-def]
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_send_read_receipts_rotate_revoke(sqlite_db, tmp_path):
    alice, bob = make_user(sqlite_db, "analyst", "COL").email, make_user(sqlite_db, "investigator", "BRA").email
    alice_key = _ok(_run(sqlite_db, "init", "--as", alice, passphrase=ALICE))["key"]
    _ok(_run(sqlite_db, "init", "--as", bob, passphrase=BOB))
    evidence = tmp_path / "fotos.zip"
    evidence.write_bytes(b"PK\x03\x04 evidence CLIMARK-22 " * 20)
    sent = _ok(_run(sqlite_db, "send", "--as", alice, "--to", bob, "--subject", "Red de captacion",
                    "--text", "Agencia de empleo en Cucuta CLIMARK-11", "--attach", str(evidence), "--urgent",
                    passphrase=ALICE))
    listed = _ok(_run(sqlite_db, "inbox", "--as", bob, passphrase=BOB))
    assert [(m["id"], m["subject"], m["urgent"], m["attachments"]) for m in listed] == [
        (sent["id"], "Red de captacion", True, 1)]

    wrong = _run(sqlite_db, "read", sent["id"], "--as", bob, passphrase="not bob's passphrase")
    assert wrong.exit_code == 1 and json.loads(wrong.output)["error"]["code"] == "wrong-passphrase"

    out = tmp_path / "saved"
    opened = _ok(_run(sqlite_db, "read", sent["id"], "--as", bob, "--save-dir", str(out), passphrase=BOB))
    assert opened["text"] == "Agencia de empleo en Cucuta CLIMARK-11"
    assert (out / "fotos.zip").read_bytes() == evidence.read_bytes()
    got = _ok(_run(sqlite_db, "receipts", sent["id"], "--as", alice))
    assert sorted(r["kind"] for r in got) == ["delivered", "read"]

    new_key = _ok(_run(sqlite_db, "rotate", "--as", alice, passphrase=ALICE))["key"]
    keys = _ok(_run(sqlite_db, "keys", "--as", alice))
    assert {(k["key"], k["current"], k["prev"]) for k in keys} == {(alice_key, False, None),
                                                                  (new_key, True, alice_key)}
    sent_folder = _ok(_run(sqlite_db, "inbox", "--as", alice, "--sent", passphrase=ALICE))
    assert sent_folder[0]["receipts"] == ["delivered", "read"]  # the old key still opens the sent folder

    _ok(_run(sqlite_db, "revoke", "--as", bob))
    refused = _run(sqlite_db, "send", "--as", alice, "--to", bob, "--subject", "s", "--text", "t",
                   passphrase=ALICE)
    assert refused.exit_code == 1 and "has no key" in json.loads(refused.output)["error"]["message"]
