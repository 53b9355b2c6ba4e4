"""`tipnet user ...`: bootstrap accounts, tokens and the demo log-ins from the command line."""

from __future__ import annotations

import json

from auth_helpers import pre_csrf
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tipnet.auth import audit, passwords, totp, users
from tipnet.cli.auth import user_app
from tipnet.store.tables_auth import audit_log
from tipnet.web.app import create_app


def _run(*args: str, input: str | None = None):  # noqa: A002
    result = CliRunner().invoke(user_app, list(args), input=input)
    return result


def test_add_list_disable_reset(sqlite_db):
    url = ["--db", sqlite_db.url]
    out = _run("add", "--email", "Focal@Per.gob.pe", "--role", "focal_point", "--country", "per", "--json", *url)
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert doc["user"]["email"] == "focal@per.gob.pe" and doc["user"]["country"] == "PER"
    user = users.by_email(sqlite_db, "focal@per.gob.pe")
    assert user is not None and user.must_change_password
    assert passwords.verify(user.password_hash, doc["temporary_password"])
    out = _run("add", "--email", "hub@oas.org", "--role", "hub_admin", "--password-stdin", *url,
               input="a strong admin passphrase\n")
    assert out.exit_code == 0 and "temporary password" not in out.output
    hub = users.by_email(sqlite_db, "hub@oas.org")
    assert hub is not None and not hub.must_change_password
    bad = _run("add", "--email", "x@y.org", "--role", "analyst", "--json", *url)
    assert bad.exit_code == 1 and "OAS member" in json.loads(bad.output)["error"]["message"]
    listed = json.loads(_run("list", "--json", *url).output)
    assert {u["email"] for u in listed} == {"focal@per.gob.pe", "hub@oas.org"}
    assert _run("disable", "hub@oas.org", *url).exit_code == 0
    assert users.by_email(sqlite_db, "hub@oas.org").disabled  # type: ignore[union-attr]
    reset = json.loads(_run("reset-password", "focal@per.gob.pe", "--json", *url).output)
    assert len(reset["temporary_password"]) > 12
    assert _run("reset-totp", "nobody@x.org", *url).exit_code == 1
    entries = audit.search(sqlite_db, audit_log.c.seq > 0, {"action": "user."}, 10)
    assert {e["action"] for e in entries} == {"user.create", "user.disable", "user.reset_password"}
    assert all(e["actor"].startswith("cli:") for e in entries)
    assert audit.verify(sqlite_db).ok


def test_tokens_from_the_cli(sqlite_db, settings):
    url = ["--db", sqlite_db.url]
    _run("add", "--email", "a@per.gob.pe", "--role", "analyst", "--country", "PER", *url)
    out = _run("token", "a@per.gob.pe", "--name", "nightly", "--json", *url)
    issued = json.loads(out.output)
    machine = TestClient(create_app(sqlite_db, settings), headers={"authorization": f"Bearer {issued['token']}"})
    listed = machine.get("/submissions.json").json()
    assert (listed["submissions"], listed["scope"], listed["page"]["total"]) == ([], "PER", 0)
    _run("add", "--email", "i@per.gob.pe", "--role", "investigator", "--country", "PER", *url)
    assert _run("token", "i@per.gob.pe", "--name", "x", *url).exit_code == 1


def test_demo_logins_work(sqlite_db, settings):
    out = _run("demo", "--json", "--db", sqlite_db.url)
    logins = json.loads(out.output)
    assert {u["role"] for u in logins} >= {"hub_admin", "focal_point", "analyst", "service_provider"}
    assert json.loads(_run("demo", "--json", "--db", sqlite_db.url).output) == logins  # idempotent, stable
    per = next(u for u in logins if u["email"] == "analyst.per@demo.tipnet")
    code = _run("otp", per["totp_secret"]).output.strip()
    assert code == totp.current_code(per["totp_secret"])
    client = TestClient(create_app(sqlite_db, settings))
    r = client.post("/login.json", data={"email": per["email"], "password": per["password"], "code": code},
                    headers={"x-csrf-token": pre_csrf(client)})
    assert r.status_code == 200 and r.json()["stage"] == "full"
    assert "demo log-ins" in _run("demo", "--db", sqlite_db.url).output
