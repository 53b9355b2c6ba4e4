"""Accounts through HTTP: the sign-in forms, cookies, CSRF, throttling answers, API tokens, user administration,
security headers and the OpenAPI description."""

from __future__ import annotations

import re

import pytest
from auth_helpers import PASSWORD, make_user, pre_csrf, sign_in
from fastapi.testclient import TestClient

from tipnet.auth import totp
from tipnet.auth.settings import AuthSettings
from tipnet.web.app import create_app

CSV = "record_id,case_id,sex,age,citizenship\n1,A,F,17,Venezuela\n2,A,M,400,PER\n"
ERROR_KEYS = {"status", "code", "message", "details"}


@pytest.fixture
def app(sqlite_db, settings):
    return create_app(sqlite_db, settings, AuthSettings(login_free_failures=3))


@pytest.fixture
def client(app):
    return TestClient(app)


def _error(r, status, code):
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == ERROR_KEYS
    assert body["error"]["code"] == code and body["error"]["status"] == status
    return body["error"]


def _hidden(html, name="csrf_token"):
    m = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert m is not None, f"no {name} field"
    return m.group(1)


def test_anonymous_pages_redirect_and_json_answers_401(client):
    r = client.get("/submissions?lang=es", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/submissions%3Flang%3Des"
    err = _error(client.get("/submissions.json"), 401, "unauthorized")
    assert err["details"] is None
    assert client.get("/submissions.json").headers["www-authenticate"].startswith("Bearer")
    _error(client.get("/api/stats"), 401, "unauthorized")
    _error(client.get("/submissions", headers={"accept": "application/json"}), 401, "unauthorized")
    assert client.get("/").status_code == 200 and 'id="counts"' not in client.get("/").text  # no store figures
    assert "persons" not in client.get("/index.json").json()


def test_sign_in_through_the_forms(client, sqlite_db, app):
    acct = make_user(sqlite_db, "analyst", "PER")
    page = client.get("/login?next=/submissions")
    assert page.status_code == 200 and "tipnet_csrf" in page.cookies
    token = _hidden(page.text)
    assert _hidden(page.text, "next") == "/submissions"
    wrong = client.post("/login", data={"email": acct.email, "password": "not the password", "csrf_token": token})
    assert wrong.status_code == 401 and 'id="form-error"' in wrong.text
    r = client.post("/login", data={"email": acct.email, "password": PASSWORD, "csrf_token": token,
                                    "next": "/submissions"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login/totp?next=/submissions"
    cookie = r.headers["set-cookie"]
    assert "tipnet_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # loopback demo; see test_secure_cookies
    # half signed in: nothing but the code page
    _error(client.get("/submissions.json"), 401, "unauthorized")
    assert client.get("/submissions", follow_redirects=False).headers["location"] == "/login/totp"
    step = client.get("/login/totp?next=/submissions")
    bad = client.post("/login/totp", data={"code": "000000" if totp.current_code(acct.secret) != "000000"
                                           else "111111", "csrf_token": _hidden(step.text), "next": "/submissions"})
    assert bad.status_code == 401 and 'id="form-error"' in bad.text
    half = client.cookies.get("tipnet_session")
    done = client.post("/login/totp", data={"code": totp.current_code(acct.secret), "csrf_token": _hidden(step.text),
                                            "next": "/submissions"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/submissions"
    assert client.cookies.get("tipnet_session") != half  # a new session after each step
    listing = client.get("/submissions")
    assert listing.status_code == 200 and acct.email in listing.text
    other = TestClient(app)
    other.cookies.set("tipnet_session", half)
    _error(other.get("/submissions.json"), 401, "unauthorized")  # the half session is gone
    logout_token = _hidden(listing.text)
    out = client.post("/logout", data={"csrf_token": logout_token}, follow_redirects=False)
    assert out.status_code == 303
    _error(client.get("/submissions.json"), 401, "unauthorized")


def test_open_redirects_are_refused(client, sqlite_db):
    acct = make_user(sqlite_db, "analyst", "PER")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        r = client.post("/login.json", data={"email": acct.email, "password": PASSWORD, "next": target,
                                             "code": totp.current_code(acct.secret)},
                        headers={"x-csrf-token": pre_csrf(client)})
        assert r.json()["next"] == "/", target
        client.cookies.clear()
        from tipnet.auth import users

        users.change(sqlite_db, acct.user.id, totp_last_step=None)


def test_enrolment_and_temporary_password_through_the_forms(client, sqlite_db):
    acct = make_user(sqlite_db, "focal_point", "COL", enrolled=False, must_change=True)
    r = client.post("/login.json", data={"email": acct.email, "password": PASSWORD},
                    headers={"x-csrf-token": pre_csrf(client)})
    assert r.json()["stage"] == "enrol" and r.json()["next"] == "/account/totp"
    csrf = r.json()["csrf_token"]
    enrol = client.get("/account/totp.json").json()
    assert enrol["uri"].startswith("otpauth://totp/") and not enrol["enabled"]
    page = client.get("/account/totp")
    assert enrol["secret"] in page.text and 'id="totp-uri"' in page.text
    _error(client.post("/account/totp.json", data={"code": "12"}, headers={"x-csrf-token": csrf}), 422,
           "invalid-request")
    r = client.post("/account/totp.json", data={"code": totp.current_code(enrol["secret"])},
                    headers={"x-csrf-token": csrf})
    assert r.status_code == 200 and r.json()["stage"] == "password"
    csrf = r.json()["csrf_token"]
    _error(client.get("/stats.json"), 401, "unauthorized")
    assert client.get("/stats", follow_redirects=False).headers["location"] == "/account/password"
    _error(client.post("/account/password.json", data={"current": PASSWORD, "new": "short", "confirm": "short"},
                       headers={"x-csrf-token": csrf}), 422, "invalid-request")
    r = client.post("/account/password.json", data={"current": PASSWORD, "new": "a new long passphrase",
                                                    "confirm": "a new long passphrase"},
                    headers={"x-csrf-token": csrf})
    assert r.status_code == 200 and r.json()["stage"] == "full"
    assert client.get("/stats.json").status_code == 200
    assert client.get("/account.json").json()["user"]["totp_enabled"] is True


def test_csrf(client, sqlite_db):
    acct = sign_in(client, make_user(sqlite_db, "analyst", "PER"))
    files = {"file": ("c.csv", CSV.encode(), "text/csv")}
    del client.headers["x-csrf-token"]
    err = _error(client.post("/uploads.json", files=files), 403, "forbidden")
    assert err["details"] == {"csrf": True}
    _error(client.post("/uploads.json", files=files, headers={"x-csrf-token": "wrong"}), 403, "forbidden")
    _error(client.post("/uploads.json", files=files, headers={"x-csrf-token": acct.csrf,
                                                              "origin": "https://evil.example"}), 403, "forbidden")
    ok = client.post("/uploads.json", files=files, data={"csrf_token": acct.csrf},  # the form field works too
                     headers={"origin": "http://testserver"})
    assert ok.status_code == 201
    form = client.get("/uploads").text
    assert _hidden(form) == acct.csrf and '<meta name="csrf-token"' in form
    # the sign-in form is protected too (double-submit cookie)
    fresh = TestClient(client.app)
    _error(fresh.post("/login", data={"email": acct.email, "password": PASSWORD}), 403, "forbidden")


def test_secure_cookies(sqlite_db, settings):
    app = create_app(sqlite_db, settings, AuthSettings(secure_cookies=True))
    client = TestClient(app, base_url="https://testserver")
    acct = make_user(sqlite_db, "analyst", "PER")
    r = client.post("/login.json", data={"email": acct.email, "password": PASSWORD},
                    headers={"x-csrf-token": pre_csrf(client)})
    assert "Secure" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]


def test_throttling_answers_429(client, sqlite_db):
    acct = make_user(sqlite_db, "analyst", "PER")
    token = pre_csrf(client)
    for _ in range(3):
        _error(client.post("/login.json", data={"email": acct.email, "password": "wrong password!"},
                           headers={"x-csrf-token": token}), 401, "unauthorized")
    r = client.post("/login.json", data={"email": acct.email, "password": PASSWORD}, headers={"x-csrf-token": token})
    err = _error(r, 429, "too-many-requests")
    assert int(r.headers["retry-after"]) >= 1 and err["details"]["retry_after"] >= 1
    page = client.post("/login", data={"email": acct.email, "password": PASSWORD, "csrf_token": token})
    assert page.status_code == 429 and 'id="form-error"' in page.text


def test_api_tokens_for_machine_submission(client, app, sqlite_db):
    acct = sign_in(client, make_user(sqlite_db, "analyst", "PER"))
    issued = client.post("/account/tokens.json", data={"name": "police nightly"}).json()
    assert issued["country"] == "PER" and issued["token"].startswith("tipnet_")
    assert "police nightly" in client.get("/account").text
    machine = TestClient(app, headers={"authorization": f"Bearer {issued['token']}"})
    up = machine.post("/uploads.json", files={"file": ("c.csv", CSV.encode(), "text/csv")})  # no CSRF for bearer
    assert up.status_code == 201 and up.json()["country"] == "PER"
    _error(machine.post("/uploads.json", files={"file": ("c.csv", CSV.encode(), "text/csv")},
                        data={"country": "COL"}), 403, "forbidden")
    done = machine.post(f"/uploads/{up.json()['token']}/commit.json")
    assert done.status_code == 201 and "quarantine_path" not in done.json()
    assert [s["reporting_country"] for s in machine.get("/submissions.json").json()["submissions"]] == ["PER"]
    _error(machine.get("/stats.json"), 403, "forbidden")  # tokens submit; they do not read statistics
    _error(machine.get("/submissions/1/quarantine.csv"), 403, "forbidden")
    _error(machine.get("/account.json"), 403, "forbidden")
    _error(machine.post("/account/tokens.json", data={"name": "more"}), 403, "forbidden")
    _error(TestClient(app, headers={"authorization": "Bearer tipnet_0000_nope"}).get("/submissions.json"), 401,
           "unauthorized")
    assert client.post(f"/account/tokens/{issued['id']}/revoke.json").status_code == 200
    _error(machine.get("/submissions.json"), 401, "unauthorized")
    assert acct.user.country == "PER"


def test_user_administration(app, sqlite_db):
    hub = TestClient(app)
    sign_in(hub, make_user(sqlite_db, "hub_admin"))
    created = hub.post("/admin/users.json", data={"email": "new.col@x.org", "role": "analyst", "country": "COL"})
    assert created.status_code == 201
    temporary = created.json()["temporary_password"]
    assert created.json()["user"]["must_change_password"] and "password_hash" not in created.json()["user"]
    _error(hub.post("/admin/users.json", data={"email": "new.col@x.org", "role": "analyst", "country": "COL"}), 422,
           "invalid-request")
    focal = TestClient(app)
    me = sign_in(focal, make_user(sqlite_db, "focal_point", "PER"))
    mine = focal.post("/admin/users.json", data={"email": "ngo@x.org", "role": "service_provider", "country": "PER"})
    assert mine.status_code == 201
    _error(focal.post("/admin/users.json", data={"email": "x@x.org", "role": "analyst", "country": "COL"}), 403,
           "forbidden")
    _error(focal.post("/admin/users.json", data={"email": "y@x.org", "role": "hub_admin", "country": ""}), 403,
           "forbidden")
    listed = {u["email"] for u in focal.get("/admin/users.json").json()["users"]}
    assert listed == {me.email, "ngo@x.org"}
    col_id = created.json()["user"]["id"]
    _error(focal.get(f"/admin/users/{col_id}.json"), 404, "not-found")
    _error(focal.post(f"/admin/users/{col_id}.json", data={"action": "disable"}), 404, "not-found")
    ngo_id = mine.json()["user"]["id"]
    reset = focal.post(f"/admin/users/{ngo_id}.json", data={"action": "reset_password"}).json()
    assert len(reset["temporary_password"]) >= 12
    _error(focal.post(f"/admin/users/{me.user.id}.json", data={"action": "disable"}), 422, "invalid-request")
    _error(focal.post(f"/admin/users/{ngo_id}.json", data={"action": "set_role", "role": "hub_analyst"}), 422,
           "invalid-request")
    assert focal.post(f"/admin/users/{ngo_id}.json", data={"action": "set_role", "role": "analyst"}).status_code == 200
    assert hub.post(f"/admin/users/{col_id}.json", data={"action": "disable"}).status_code == 200
    newcomer = TestClient(app)
    _error(newcomer.post("/login.json", data={"email": "new.col@x.org", "password": temporary},
                         headers={"x-csrf-token": pre_csrf(newcomer)}), 401, "unauthorized")
    page = hub.get(f"/admin/users/{col_id}")
    assert page.status_code == 200 and "new.col@x.org" in page.text
    analyst = TestClient(app)
    sign_in(analyst, make_user(sqlite_db, "analyst", "PER"))
    _error(analyst.get("/admin/users.json"), 403, "forbidden")
    _error(analyst.post("/admin/users.json", data={"email": "z@x.org", "role": "analyst", "country": "PER"}), 403,
           "forbidden")


def test_security_headers_and_no_store(client):
    r = client.get("/dictionary")
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "no-store" and r.headers["referrer-policy"] == "same-origin"
    assert "no-store" not in client.get("/static/tipnet.css").headers.get("cache-control", "")


def test_oversized_bodies_are_refused_before_reading(sqlite_db, tmp_path):
    from tipnet.settings import Settings

    app = create_app(sqlite_db, Settings.from_env(home=tmp_path / "h", max_upload_bytes=10))
    r = TestClient(app).post("/uploads.json", content=b"x" * (2 * 1024 * 1024),
                             headers={"content-type": "application/octet-stream"})
    _error(r, 413, "too-large")


def test_openapi_describes_access_and_errors(client, sqlite_db):
    sign_in(client, make_user(sqlite_db, "analyst", "PER"))  # the description is for signed-in users
    doc = client.get("/api/openapi.json").json()
    assert doc["components"]["schemas"]["Error"]["required"] == ["error"]
    assert set(doc["components"]["securitySchemes"]) == {"session", "bearer"}
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op["x-tipnet-access"] and not op["x-tipnet-access"].startswith("unclassified"), (method, path)
            assert op["responses"]["422"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"}
            if op["x-tipnet-access"] != "public":
                assert {"401", "403"} <= set(op["responses"]) and op["security"], (method, path)
    assert doc["paths"]["/uploads.json"]["post"]["security"] == [{"session": []}, {"bearer": []}]
    assert doc["paths"]["/stats.json"]["get"]["security"] == [{"session": []}]


def test_browser_error_pages_are_html(client, sqlite_db):
    sign_in(client, make_user(sqlite_db, "investigator", "PER"))
    r = client.get("/submissions", headers={"accept": "text/html"})
    assert r.status_code == 403 and 'id="error"' in r.text and "text/html" in r.headers["content-type"]
