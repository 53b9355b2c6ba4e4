"""Signing test clients in: accounts with a known password and TOTP secret, signed in through the real flow."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from fastapi.testclient import TestClient

from tipnet.auth import totp, users
from tipnet.store import Database

PASSWORD = "correct horse battery staple"
_n = itertools.count(1)


@dataclass
class Account:
    user: users.User
    secret: str
    csrf: str = ""

    @property
    def email(self) -> str:
        return self.user.email


def make_user(db: Database, role: str, country: str | None = None, email: str | None = None,
              must_change: bool = False, enrolled: bool = True) -> Account:
    email = email or f"{role}.{(country or 'hub').lower()}.{next(_n)}@test.tipnet"
    secret = totp.new_secret()
    user = users.create(db, email, role, country, PASSWORD, must_change=must_change,
                        totp_secret=secret if enrolled else None)
    return Account(user, secret)


def pre_csrf(client: TestClient) -> str:
    return client.get("/login.json").json()["csrf_token"]


def sign_in(client: TestClient, account: Account) -> Account:
    """Password and one-time code in one request (the JSON twin of the two-step form); the client then sends the
    session's CSRF token with every request, as the pages' forms do."""
    r = client.post("/login.json", data={"email": account.email, "password": PASSWORD,
                                         "code": totp.current_code(account.secret)},
                    headers={"x-csrf-token": pre_csrf(client)})
    assert r.status_code == 200 and r.json()["stage"] == "full", r.text
    account.csrf = r.json()["csrf_token"]
    client.headers["x-csrf-token"] = account.csrf
    return account


def signed_in_client(app, db: Database, role: str, country: str | None = None) -> tuple[TestClient, Account]:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    return client, sign_in(client, make_user(db, role, country))
