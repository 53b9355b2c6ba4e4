"""The web skeleton through ASGI, in-process: pages, JSON twins, one error shape, upload -> report -> commit (signed
in as a national analyst of PER; access control itself is tested in test_auth*.py and test_authz_matrix.py)."""

from __future__ import annotations

import pytest
from auth_helpers import signed_in_client
from fastapi.testclient import TestClient

from tipnet.store.repo import count_persons
from tipnet.web.app import create_app

CSV = "record_id,case_id,sex,age,citizenship\n1,A,F,17,Venezuela\n2,,M,400,PER\n"  # row 3: no case id


@pytest.fixture
def client(sqlite_db, settings):
    return signed_in_client(create_app(sqlite_db, settings), sqlite_db, "analyst", "PER")[0]


def test_health(sqlite_db, settings):
    client = TestClient(create_app(sqlite_db, settings))  # public
    assert client.get("/health").json() == {
        "status": "ok",
        "version": "0.1.0",
        "standard": "1.0",
        "database": "sqlite",
    }


@pytest.mark.parametrize("lang,label", [("en", "Sex"), ("es", "Sexo"), ("fr", "Sexe"), ("pt", "Sexo")])
def test_dictionary_in_four_languages_with_json_twin(sqlite_db, settings, lang, label):
    client = TestClient(create_app(sqlite_db, settings))  # public
    html = client.get(f"/dictionary?lang={lang}")
    assert html.status_code == 200 and f'<html lang="{lang}">' in html.text
    doc = client.get(f"/dictionary.json?lang={lang}").json()
    sex = next(f for f in doc["fields"] if f["name"] == "sex")
    assert sex["label"] == label
    assert f"<td>{label}</td>" in html.text


def test_one_error_shape(client):
    for path in ("/submissions/999.json", "/nowhere", "/uploads/not-a-token.json"):
        r = client.get(path)
        assert r.status_code == 404
        assert set(r.json()) == {"error"} and set(r.json()["error"]) == {
            "status",
            "code",
            "message",
            "details",
        }
    r = client.post("/uploads.json", data={"country": "PER"})  # no file
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid-request"


def test_upload_report_commit(client, sqlite_db):
    r = client.post(
        "/uploads",
        files={"file": ("cases.csv", CSV.encode(), "text/csv")},
        data={"country": "per"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    report_url = r.headers["location"]
    page = client.get(report_url)
    assert 'id="row-summary"' in page.text and "400" in page.text
    twin = client.get(report_url + ".json").json()
    assert twin["report"]["rows_valid"] == 1 and twin["report"]["rows_invalid"] == 1
    assert count_persons(sqlite_db) == 0  # nothing stored before commit
    done = client.post(report_url + "/commit", follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/submissions/1?done=committed"
    assert count_persons(sqlite_db) == 1
    sub = client.get("/submissions/1.json").json()
    assert (sub["rows_total"], sub["rows_accepted"], sub["rows_quarantined"]) == (2, 1, 1)
    confirmed = client.get(done.headers["location"] + "&lang=es").text  # the confirmation after the redirect
    assert 'id="committed"' in confirmed and "Filas almacenadas: 1; en cuarentena para corregir: 1." in confirmed
    assert 'id="committed"' not in client.get("/submissions/1").text  # a later visit is no confirmation
    quarantine = client.get("/submissions/1/quarantine.csv")
    assert quarantine.status_code == 200 and "400" in quarantine.text and "out-of-range" in quarantine.text
    assert client.get(report_url + ".json").status_code == 404  # the staged upload is gone


def test_upload_json_api(client):
    r = client.post(
        "/uploads.json", files={"file": ("c.csv", CSV.encode(), "text/csv")}, data={"country": "PER"}
    )
    assert r.status_code == 201
    token = r.json()["token"]
    done = client.post(f"/uploads/{token}/commit.json")
    assert done.status_code == 201 and done.json()["rows_accepted"] == 1


def test_upload_with_the_period_it_covers(client):
    bad = client.post("/uploads.json", files={"file": ("c.csv", CSV.encode(), "text/csv")},
                      data={"country": "PER", "period": "2023-13"})
    assert bad.status_code == 422
    assert bad.json()["error"]["details"] == {"field": "period", "value": "2023-13"}
    r = client.post("/uploads.json", files={"file": ("c.csv", CSV.encode(), "text/csv")},
                    data={"country": "PER", "period": "2023-04"})
    done = client.post(f"/uploads/{r.json()['token']}/commit.json").json()
    sub = client.get(f"/submissions/{done['submission_id']}.json").json()
    assert (sub["period_start"], sub["period_end"]) == ("2023-04-01", "2023-04-30")


def test_upload_size_limit(sqlite_db, tmp_path):
    from tipnet.settings import Settings

    small = signed_in_client(create_app(sqlite_db, Settings.from_env(home=tmp_path / "h", max_upload_bytes=10)),
                             sqlite_db, "analyst", "PER")[0]
    r = small.post("/uploads.json", files={"file": ("c.csv", CSV.encode(), "text/csv")})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too-large"


def test_no_two_page_modules_answer_the_same_request():
    """The app tries the modules' routes in ROUTERS order (statistics first, for speed): the order must decide
    nothing, so no request may match routes of two modules."""
    from starlette.routing import Match

    from tipnet.web.app import ROUTERS

    owners: dict[tuple[str, str], str] = {}
    routes = {m.__name__: m.router.routes for m in ROUTERS}
    for module, module_routes in routes.items():
        for route in module_routes:
            for method in sorted(route.methods or ()):
                key = (method, route.path)
                assert key not in owners, f"{method} {route.path} is in {owners[key]} and {module}"
                owners[key] = module
    # a parameterised route of one module must not catch a fixed path of another (e.g. /countries/{iso3})
    for (method, path), module in owners.items():
        concrete = path.replace("{", "").replace("}", "").replace(":path", "")
        scope = {"type": "http", "method": method, "path": concrete, "root_path": ""}
        for other, module_routes in routes.items():
            if other == module:
                continue
            for route in module_routes:
                match, _ = route.matches(scope)
                assert match != Match.FULL, f"{method} {concrete} ({module}) also matches {route.path} ({other})"
