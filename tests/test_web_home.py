"""The home page per role, with its next actions; the header while signing in; a reused one-time code.

- A victim-service worker: "enter a case" first, then their own drafts to resume (never a colleague's).
- A country's analyst: the country's last imports, the figures held for review and the rows in quarantine, each
  linked to where it is fixed; another country's imports never appear.
- The hub: what arrived from each country (its latest submission and when).
- An anonymous visitor: the public statistics portal and the directory, and no figures from the store.
"""

from __future__ import annotations

import re

import pytest
from auth_helpers import PASSWORD, make_user, pre_csrf, signed_in_client
from fastapi.testclient import TestClient
from test_review_web import HELD, per  # noqa: F401 - the fixture: Peru's GLOTIP-shaped return with held figures

from tipnet.auth import totp
from tipnet.auth.principal import Principal, Via
from tipnet.auth.roles import Role
from tipnet.cases import store
from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.web.app import create_app

BAD_ROWS = "record_id,case_id,sex,age,citizenship\n1,A,F,17,Venezuela\n2,A,M,400,PER\n3,B,F,29,COL\n"


def _section(html: str, section_id: str) -> str:
    m = re.search(rf'<section[^>]*id="{section_id}".*?</section>', html, re.S)
    assert m is not None, f"no section {section_id}"
    return m.group(0)


def _import(db, settings, tmp_path, country: str, name: str, body: str = BAD_ROWS) -> int:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    report = import_file(path, db, ImportOptions(country=country, strict=True), settings)
    assert report.submission_id is not None
    return report.submission_id


def test_anonymous_home_leads_to_the_portal_and_the_directory(sqlite_db, settings):
    client = TestClient(create_app(sqlite_db, settings))
    body = client.get("/index.json").json()
    assert body["role"] == "public" and "persons" not in body and "drafts" not in body
    html = client.get("/?lang=es").text
    public = _section(html, "home-public")
    assert 'href="/statistics"' in public and "Ver las cifras publicadas" in public
    assert 'href="/directory"' in _section(html, "home-directory")
    assert 'id="home-cases"' not in html and 'id="home-national"' not in html and 'id="arrivals"' not in html


def test_service_provider_home_offers_entering_a_case_first_and_own_drafts(sqlite_db, settings):
    app = create_app(sqlite_db, settings)
    client, acct = signed_in_client(app, sqlite_db, "service_provider", "PER")
    html = client.get("/").text
    cases = _section(html, "home-cases")
    assert html.index('id="home-new-case"') < html.index('id="home-no-drafts"')  # "enter a case" comes first
    assert 'href="/cases/new"' in cases and 'id="home-no-drafts"' in cases
    me = Principal(via=Via.SESSION, user_id=acct.user.id, email=acct.email, role=Role.SERVICE_PROVIDER, country="PER")
    mine = store.save(sqlite_db, me, {"given_names": "Lucía", "family_names": "Mamani Quispe", "age": "15",
                                      "sex": "female"})[0]
    colleague = make_user(sqlite_db, "service_provider", "PER")
    other = Principal(via=Via.SESSION, user_id=colleague.user.id, email=colleague.email,
                      role=Role.SERVICE_PROVIDER, country="PER")
    theirs = store.save(sqlite_db, other, {"age": "30"})[0]
    html = client.get("/?lang=es").text
    drafts = _section(html, "home-cases")
    assert f'href="/cases/{mine.public_id}"' in drafts and "L. M. Q." in drafts and "Femenino" in drafts
    assert theirs.public_id not in html  # a colleague's draft is theirs to resume
    body = client.get("/index.json").json()
    assert body["role"] == "cases" and [d["public_id"] for d in body["drafts"]] == [mine.public_id]
    store.discard(sqlite_db, me, mine.public_id)
    assert client.get("/index.json").json()["drafts"] == []


def test_analyst_home_lists_last_imports_held_figures_and_quarantine(per, settings, tmp_path):  # noqa: F811
    db, held_sub, _ = per
    quarantined = _import(db, settings, tmp_path, "PER", "per-cases.csv")
    elsewhere = _import(db, settings, tmp_path, "COL", "col-cases.csv", BAD_ROWS.replace("17,", "18,"))
    client, _ = signed_in_client(create_app(db, settings), db, "analyst", "PER")
    body = client.get("/index.json").json()
    assert body["role"] == "national"
    national = body["national"]
    assert [s["id"] for s in national["imports"]] == [quarantined, held_sub]  # newest first, Peru's only
    assert [(s["id"], s["held"]) for s in national["held"]] == [(held_sub, len(HELD))]
    assert [(s["id"], s["rows_quarantined"]) for s in national["quarantined"]] == [(quarantined, 1)]
    html = client.get("/").text
    box = _section(html, "home-national")
    assert f'href="/submissions/{held_sub}/review"' in box and f"{len(HELD)} figures held for review" in box
    assert f'href="/submissions/{quarantined}/quarantine.csv"' in box and "1 rows in quarantine" in box
    assert f"/submissions/{elsewhere}" not in html and "col-cases.csv" not in html
    assert 'id="home-cases"' in html  # an analyst enters cases too, after the country's imports
    assert html.index('id="home-national"') < html.index('id="home-cases"')


def test_analyst_with_nothing_to_fix_is_told_so(sqlite_db, settings, tmp_path):
    _import(sqlite_db, settings, tmp_path, "PER", "clean.csv", "record_id,case_id,sex,age\n1,A,F,17\n")
    client, _ = signed_in_client(create_app(sqlite_db, settings), sqlite_db, "focal_point", "PER")
    html = client.get("/").text
    assert "clean.csv" in _section(html, "home-national") and 'id="home-nothing-to-fix"' in html


def test_hub_home_shows_the_latest_arrival_of_each_country(sqlite_db, settings, tmp_path):
    first = _import(sqlite_db, settings, tmp_path, "PER", "per-2025.csv")
    latest = _import(sqlite_db, settings, tmp_path, "PER", "per-2026.csv", BAD_ROWS.replace("29", "31"))
    col = _import(sqlite_db, settings, tmp_path, "COL", "col-2026.csv", BAD_ROWS.replace("29", "33"))
    client, _ = signed_in_client(create_app(sqlite_db, settings), sqlite_db, "hub_analyst")
    body = client.get("/index.json").json()
    assert body["role"] == "hub"
    got = {a["reporting_country"]: (a["id"], a["submissions"]) for a in body["arrivals"]}
    assert got == {"PER": (latest, 2), "COL": (col, 1)}
    html = client.get("/?lang=es").text
    table = _section(html, "home-arrivals")
    assert "Perú" in table and "Colombia" in table and f'href="/submissions/{latest}"' in table
    assert f'href="/submissions/{first}"' not in table  # only each country's latest
    assert "persons" in body  # the hub's counts stay


def test_header_shows_no_user_before_the_second_factor(sqlite_db, settings):
    client = TestClient(create_app(sqlite_db, settings))
    acct = make_user(sqlite_db, "analyst", "PER")
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]*)"', page.text).group(1)  # type: ignore[union-attr]
    r = client.post("/login", data={"email": acct.email, "password": PASSWORD, "csrf_token": token})
    assert r.url.path == "/login/totp"  # followed to the code page: half signed in
    for html in (r.text, client.get("/").text, client.get("/dictionary").text):
        header = html[html.index('<header class="top">'):html.index("</header>")]
        assert acct.email not in header and 'id="account"' not in header and 'id="logout"' not in header
        assert 'id="cancel-signin"' in header  # a way out, but not a signed-in user
        assert 'href="/submissions"' not in header
    assert client.get("/index.json").json()["role"] == "public"
    code = totp.current_code(acct.secret)
    step = client.get("/login/totp")
    token = re.search(r'name="csrf_token" value="([^"]*)"', step.text).group(1)  # type: ignore[union-attr]
    done = client.post("/login/totp", data={"code": code, "csrf_token": token})
    header = done.text[done.text.index('<header class="top">'):done.text.index("</header>")]
    assert acct.email in header and 'id="logout"' in header


@pytest.mark.parametrize("lang,words", [("en", "Wait for the next code"), ("es", "Espere el siguiente código")])
def test_a_reused_code_is_refused_with_a_hint_to_wait(sqlite_db, settings, lang, words):
    app = create_app(sqlite_db, settings)
    acct = make_user(sqlite_db, "analyst", "PER")
    code = totp.current_code(acct.secret)
    first = TestClient(app)  # signs in with the code
    r = first.post("/login.json", data={"email": acct.email, "password": PASSWORD, "code": code},
                   headers={"x-csrf-token": pre_csrf(first)})
    assert r.json()["stage"] == "full"
    second = TestClient(app)  # the same code again, seen over a shoulder or typed twice
    page = second.get(f"/login?lang={lang}")
    token = re.search(r'name="csrf_token" value="([^"]*)"', page.text).group(1)  # type: ignore[union-attr]
    step = second.post("/login", data={"email": acct.email, "password": PASSWORD, "csrf_token": token})
    token = re.search(r'name="csrf_token" value="([^"]*)"', step.text).group(1)  # type: ignore[union-attr]
    refused = second.post("/login/totp", data={"code": code, "csrf_token": token})
    assert refused.status_code == 401 and 'id="code-reused"' in refused.text and words in refused.text
    assert second.get("/submissions.json").status_code == 401  # still refused: no replay
    as_json = second.post("/login/totp.json", data={"code": code}, headers={"x-csrf-token": token})
    assert as_json.status_code == 401 and as_json.json()["error"]["code"] == "code-reused"
    wrong = "000000" if code != "000000" else "111111"
    other = second.post("/login/totp.json", data={"code": wrong}, headers={"x-csrf-token": token})
    assert other.json()["error"]["code"] == "unauthorized"  # a wrong code is not called a reused one
