"""No lost work over HTTP: post/redirect/get after a refused submit, the case form's values when its session ended
without JavaScript, "stay signed in", the session's touch interval, and the case list's recognisable columns, its
search and who sees initials."""

from __future__ import annotations

import datetime as dt
import json
import time

import pyotp
import pytest
from auth_helpers import PASSWORD, pre_csrf, signed_in_client
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, update

from tipnet.auth import clock, sessions
from tipnet.auth.settings import AuthSettings
from tipnet.store.tables_auth import audit_log
from tipnet.store.tables_auth import sessions as session_rows
from tipnet.store.tables_cases import cases
from tipnet.web.app import create_app

FIRST = dt.date.today().replace(day=1).isoformat()
HOST = {"origin": "http://testserver", "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
def app(db, settings):  # type: ignore[no-untyped-def]
    return create_app(db, settings)


def _count(db) -> int:  # type: ignore[no-untyped-def]
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(cases)).scalar_one())


def _data(db, case_id: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    with db.engine.connect() as conn:
        return json.loads(conn.execute(select(cases.c.data_json).where(cases.c.public_id == case_id)).scalar_one())


def test_a_refused_submit_redirects_to_the_draft_and_reloading_posts_nothing(app, db):
    client, _ = signed_in_client(app, db, "service_provider", "PER")
    r = client.post("/cases", data={"form_complete": "1", "action": "submit", "age": "15"}, follow_redirects=False)
    assert r.status_code == 303
    target = r.headers["location"]
    case_id = target.split("/cases/")[1].split("?")[0]
    assert target == f"/cases/{case_id}?done=invalid" and _count(db) == 1
    for _ in range(2):  # what the browser shows, and shows again on F5, is a GET: nothing is posted again
        page = client.get(target)
        assert page.status_code == 200 and 'id="problems"' in page.text and 'value="15"' in page.text
    assert _count(db) == 1
    # a refused submit of the existing draft goes back to the same page, and the draft keeps what was posted
    r = client.post(f"/cases/{case_id}", data={"form_complete": "1", "action": "submit", "age": "16"},
                    follow_redirects=False)
    assert r.headers["location"] == target and _count(db) == 1 and _data(db, case_id)["age"] == "16"
    # the JSON twin still answers the refusal itself
    r = client.post(f"/cases/{case_id}.json", data={"action": "submit"})
    assert r.status_code == 422 and r.json()["error"]["details"]["case"] == case_id


def _next_code(secret: str) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30)  # the current step's code was used to sign in


def test_without_javascript_an_ended_session_gives_back_the_form_with_what_was_typed(app, db):
    client, account = signed_in_client(app, db, "service_provider", "PER")
    case_id = client.post("/cases.json", data={"given_names": "Rosa", "age": "16"}).json()["case"]["id"]
    form_token = client.headers.pop("x-csrf-token")  # a page's form sends its token as a field
    with db.engine.begin() as conn:
        conn.execute(delete(session_rows).where(session_rows.c.user_id == account.user.id))
    time.sleep(1.1)  # past the one-second trust in a resolved session
    typed = {"form_complete": "1", "action": "save", "version": "1", "given_names": "Rosa",
             "family_names": "Quispe Huamán", "age": "16", "safety_plan": "Albergue, visitas restringidas",
             "csrf_token": form_token}
    r = client.post(f"/cases/{case_id}", data=typed, headers=HOST, follow_redirects=False)
    assert r.status_code == 401 and 'id="refused"' in r.text  # a page, not the JSON error
    assert 'value="Quispe Huamán"' in r.text and "Albergue, visitas restringidas" in r.text
    assert f'action="/cases/{case_id}"' in r.text and f'href="/login?next=/cases/{case_id}"' in r.text
    assert "family_names" not in _data(db, case_id)  # nothing was saved
    # the worker signs in again (another tab), comes back and saves: the old token is refused, the form comes back
    # with the new session's token, and the next save goes through
    r = client.post("/login.json", data={"email": account.email, "password": PASSWORD,
                                         "code": _next_code(account.secret)},
                    headers={"x-csrf-token": pre_csrf(client)})
    new_token = r.json()["csrf_token"]
    r = client.post(f"/cases/{case_id}", data=typed, headers=HOST, follow_redirects=False)
    assert r.status_code == 403 and 'id="refused"' in r.text and 'value="Quispe Huamán"' in r.text
    assert f'value="{new_token}"' in r.text
    r = client.post(f"/cases/{case_id}", data={**typed, "csrf_token": new_token}, headers=HOST,
                    follow_redirects=False)
    assert r.status_code == 303 and _data(db, case_id)["family_names"] == "Quispe Huamán"


def test_posted_values_are_never_echoed_to_another_site_or_without_an_origin(app, db):
    client, account = signed_in_client(app, db, "service_provider", "PER")
    client.headers.pop("x-csrf-token")
    with db.engine.begin() as conn:
        conn.execute(delete(session_rows).where(session_rows.c.user_id == account.user.id))
    time.sleep(1.1)
    form = {"form_complete": "1", "action": "save", "given_names": "INJECTED"}
    for headers in ({"origin": "https://evil.example"}, {}):
        r = client.post("/cases", data=form, headers={**headers, "accept": "text/html"}, follow_redirects=False)
        assert r.status_code in (401, 403) and "INJECTED" not in r.text
    assert _count(db) == 0


def test_stay_signed_in_restarts_the_idle_timer(app, db):
    client, account = signed_in_client(app, db, "service_provider", "PER")
    idle = app.state.auth_settings.session_idle_seconds
    old = clock.now() - dt.timedelta(seconds=idle - 30)  # 30 s left
    with db.engine.begin() as conn:
        conn.execute(update(session_rows).where(session_rows.c.user_id == account.user.id).values(last_seen_at=old))
    time.sleep(1.1)
    r = client.post("/session/stay.json")
    assert r.status_code == 200 and r.json()["remaining"] == idle and r.json()["warn"] == 120
    with db.engine.connect() as conn:
        seen = clock.aware(conn.execute(select(session_rows.c.last_seen_at)
                                        .where(session_rows.c.user_id == account.user.id)).scalar_one())
    assert seen is not None and (clock.now() - seen).total_seconds() < 5
    # a session already over its idle limit is not revived
    with db.engine.begin() as conn:
        conn.execute(update(session_rows).where(session_rows.c.user_id == account.user.id)
                     .values(last_seen_at=clock.now() - dt.timedelta(seconds=idle + 1)))
    time.sleep(1.1)
    assert client.post("/session/stay.json").status_code == 401
    anonymous = TestClient(app)
    assert anonymous.post("/session/stay.json", headers={"x-csrf-token": pre_csrf(anonymous)}).status_code == 401


def test_a_short_idle_limit_is_touched_often_enough_to_hold():
    assert sessions.touch_every(AuthSettings(session_idle_seconds=30 * 60)) == dt.timedelta(seconds=60)
    assert sessions.touch_every(AuthSettings(session_idle_seconds=20)) == dt.timedelta(seconds=2)
    assert sessions.touch_every(AuthSettings(session_idle_seconds=1)) == dt.timedelta(seconds=1)


def test_pages_of_a_signed_in_session_carry_the_timer_and_its_script(app, db):
    client, _ = signed_in_client(app, db, "service_provider", "PER")
    page = client.get("/cases").text
    assert 'id="session-warning"' in page and 'data-idle="1800"' in page and 'data-slack="60"' in page
    assert '<script src="/static/tipnet-session.js" defer></script>' in page
    assert 'id="session-warning"' not in TestClient(app).get("/").text  # nobody to warn


def test_the_list_shows_initials_to_whom_may_see_names_and_search_finds_a_case(app, db):
    ngo, _ = signed_in_client(app, db, "service_provider", "PER")
    named = ngo.post("/cases.json", data={"given_names": "Lucía", "family_names": "Mamani Quispe", "age": "15",
                                          "sex": "female", "identification_date": FIRST}).json()["case"]["id"]
    other = ngo.post("/cases.json", data={"given_names": "Rosa", "family_names": "Huamán",
                                          "birth_date": "2000-05-01", "identification_date": "2025-03-02",
                                          "sex": "female"}).json()["case"]["id"]
    rows = {r["public_id"]: r for r in ngo.get("/cases.json").json()["cases"]}
    assert rows[named]["initials"] == "L. M. Q." and rows[named]["age"] == 15 and rows[named]["sex"] == "female"
    assert rows[named]["identification_date"] == FIRST and rows[named]["status"] == "draft"
    assert rows[other]["age"] == 24  # from the birth date on the identification date
    assert "Lucía" not in json.dumps(rows) and "2000-05-01" not in json.dumps(rows)  # never names or birth dates
    for search, found in (("lmq", [named]), ("L. M.", [named]), ("2025-03", [other]), (other[-5:].lower(), [other]),
                          ("zzz", [])):
        assert [r["public_id"] for r in ngo.get("/cases.json", params={"q": search}).json()["cases"]] == found
    page = ngo.get("/cases", params={"q": "lmq", "lang": "es"}).text
    assert "L. M. Q." in page and "Femenino" in page and other not in page
    with db.engine.connect() as conn:
        details = [d for (d,) in conn.execute(select(audit_log.c.details).where(audit_log.c.action == "case.list"))]
    assert not any("lmq" in json.dumps(d) for d in details)
    assert {json.loads(d)["searched"] if isinstance(d, str) else d["searched"] for d in details} == {True, False}


def test_the_national_office_sees_initials_only_with_consent_to_processing(app, db):
    ngo, _ = signed_in_client(app, db, "service_provider", "PER")
    from test_cases_web import CHILD

    consented = ngo.post("/cases.json", data={**CHILD, "action": "submit"}).json()["case"]["id"]
    refused = ngo.post("/cases.json", data={**CHILD, "family_names": "Sin Consentimiento",
                                            "consent_data_processing": "no", "consent_share_hub": "no",
                                            "action": "submit"}).json()
    assert "case" in refused, refused
    refused_id = refused["case"]["id"]
    analyst, _ = signed_in_client(app, db, "analyst", "PER")
    rows = {r["public_id"]: r for r in analyst.get("/cases.json").json()["cases"]}
    assert rows[consented]["initials"] == "A. P." and rows[refused_id]["initials"] is None
    assert rows[refused_id]["age"] == 15  # what is not a name stays, so cases can still be told apart
    assert [r["public_id"] for r in analyst.get("/cases.json", params={"q": "ASC"}).json()["cases"]] == []
    assert [r["public_id"] for r in ngo.get("/cases.json", params={"q": "ASC"}).json()["cases"]] == [refused_id]
