"""TOTP seeds are stored encrypted (AES-GCM under the server key): the database holds no base32 seed, sign-in still
works, seeds written before encryption are encrypted by migration 0004_totp_encryption, a wrong key is refused."""

from __future__ import annotations

import os
import stat

import pytest
import sqlalchemy as sa
from alembic import command
from auth_helpers import PASSWORD, make_user, signed_in_client
from fastapi.testclient import TestClient

from tipnet.auth import passwords, secretbox, totp, users
from tipnet.store import Database
from tipnet.store.tables_auth import users as users_table
from tipnet.web.app import create_app


def _raw(db: Database) -> list[tuple[str | None, str | None]]:
    with db.engine.connect() as conn:
        return [(r.totp_secret, r.totp_pending) for r in conn.execute(sa.select(users_table))]


def test_database_holds_no_seed_and_sign_in_works(db, settings):
    client, acct = signed_in_client(create_app(db, settings), db, "analyst", "PER")
    assert client.get("/submissions.json").status_code == 200
    [(stored, pending)] = _raw(db)
    assert stored is not None and stored.startswith("enc1:") and pending is None
    assert acct.secret not in stored and acct.secret.lower() not in stored.lower()
    assert users.get(db, acct.user.id).totp_secret == acct.secret  # type: ignore[union-attr]
    key_file = settings.home.resolve() / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_enrolment_secret_is_encrypted_while_pending(db, settings):
    acct = make_user(db, "analyst", "COL", enrolled=False)
    client = TestClient(create_app(db, settings))
    csrf = client.get("/login.json").json()["csrf_token"]
    r = client.post("/login.json", data={"email": acct.email, "password": PASSWORD}, headers={"x-csrf-token": csrf})
    assert r.status_code == 200 and r.json()["stage"] == "enrol", r.text
    client.headers["x-csrf-token"] = r.json()["csrf_token"]
    shown = client.get("/account/totp.json").json()["secret"]
    [(stored, pending)] = _raw(db)
    assert stored is None and pending is not None and pending.startswith("enc1:") and shown not in pending
    r = client.post("/account/totp.json", data={"code": totp.current_code(shown)})
    assert r.status_code == 200, r.text
    [(stored, pending)] = _raw(db)
    assert pending is None and stored is not None and stored.startswith("enc1:") and shown not in stored


def test_migration_encrypts_plaintext_seeds(tmp_path, settings):
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = db.alembic_config()
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
    seed, pending = totp.new_secret(), totp.new_secret()
    with db.engine.begin() as conn:  # an account as release 0003 stored it: base32 in the clear
        conn.execute(sa.text(
            "INSERT INTO users (email, role, country, password_hash, must_change_password, totp_secret, totp_pending,"
            " disabled, created_at, updated_at) VALUES (:e, 'analyst', 'PER', :h, 0, :s, :p, 0, :n, :n)"),
            {"e": "old@test.tipnet", "h": passwords.hash_password(PASSWORD), "s": seed, "p": pending,
             "n": "2026-01-01 00:00:00"})
        conn.execute(sa.text(  # a session pointing at the account survives the rebuilt table
            "INSERT INTO sessions (id, user_id, stage, csrf, created_at, last_seen_at, expires_at)"
            " VALUES ('s1', 1, 'full', 'c', :n, :n, :n)"), {"n": "2026-01-01 00:00:00"})
    assert _raw(db) == [(seed, pending)]
    db.upgrade()
    [(stored, stored_pending)] = _raw(db)
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT user_id FROM sessions")).scalar_one() == 1
    assert secretbox.is_encrypted(stored) and secretbox.is_encrypted(stored_pending)
    assert seed not in (stored or "") and pending not in (stored_pending or "")
    client = TestClient(create_app(db, settings))
    csrf = client.get("/login.json").json()["csrf_token"]
    r = client.post("/login.json", data={"email": "old@test.tipnet", "password": PASSWORD,
                                         "code": totp.current_code(seed)}, headers={"x-csrf-token": csrf})
    assert r.status_code == 200 and r.json()["stage"] == "full", r.text
    db.dispose()


def test_key_from_environment_and_wrong_key_refused(sqlite_db, monkeypatch):
    monkeypatch.setenv(secretbox.ENV, "k" * 40)
    acct = make_user(sqlite_db, "analyst", "PER")
    assert users.get(sqlite_db, acct.user.id).totp_secret == acct.secret  # type: ignore[union-attr]
    monkeypatch.setenv(secretbox.ENV, "another key of at least thirty-two characters")
    with pytest.raises(secretbox.SecretKeyError, match="not the one it was encrypted with"):
        users.get(sqlite_db, acct.user.id)
    monkeypatch.setenv(secretbox.ENV, "short")
    with pytest.raises(secretbox.SecretKeyError, match="at least 32"):
        secretbox.seal("x", "users.totp_secret")


def test_sealed_value_is_bound_to_its_column(settings):
    sealed = secretbox.seal("JBSWY3DPEHPK3PXP", "users.totp_secret")
    assert secretbox.open_(sealed, "users.totp_secret") == "JBSWY3DPEHPK3PXP"
    with pytest.raises(secretbox.SecretKeyError):
        secretbox.open_(sealed, "users.totp_pending")
    assert sealed != secretbox.seal("JBSWY3DPEHPK3PXP", "users.totp_secret")  # fresh nonce each time
    assert os.environ.get(secretbox.ENV) is None
