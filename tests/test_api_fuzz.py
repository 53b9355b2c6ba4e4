"""schemathesis over the app's OpenAPI description (/api/openapi.json), in process through ASGI: every operation,
called with generated data as an anonymous client and as a signed-in national analyst — and, each in a store of its
own (their generated calls may disable accounts or end sessions), as every other role — never answers 5xx, and every
error answer has the one JSON error shape. Also: every JSON route is described in the description.

The number of examples per operation is bounded (EXAMPLES) so the whole module runs in about a minute on 2 cores."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
import schemathesis
from auth_helpers import make_user, pre_csrf
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tipnet.auth import totp
from tipnet.auth.settings import AuthSettings
from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.web.app import create_app
from tipnet.web.security import SESSION_COOKIE

EXAMPLES = 3
ERROR_KEYS = {"status", "code", "message", "details"}
# operations that would end the analyst's own session: called anonymously only
ENDS_SESSION = {("POST", "/logout"), ("POST", "/logout.json")}


class Analyst:
    cookies: dict[str, str]
    headers: dict[str, str]


def _fuzzed_app(db: Any, tipnet_settings: Any, tmp_path: Any) -> Any:
    """The app over a store holding one small submission of PER (throttling is tested elsewhere: here it would only
    turn the fuzzer's sign-in attempts into 429s)."""
    app = create_app(db, tipnet_settings, AuthSettings(login_free_failures=10**6, login_free_failures_ip=10**6))
    f = tmp_path / "per.csv"
    f.write_text("record_id,case_id,sex,age,citizenship\n1,A,F,15,VEN\n2,A,M,200,PER\n", encoding="utf-8")
    assert import_file(f, db, ImportOptions(country="PER"), tipnet_settings).submission_id == 1
    return app


def _sign_in(app: Any, db: Any, role: str, country: str | None) -> tuple[dict[str, str], dict[str, str]]:
    acct = make_user(db, role, country)
    client = TestClient(app)
    r = client.post("/login.json", data={"email": acct.email, "password": "correct horse battery staple",
                                         "code": totp.current_code(acct.secret)},
                    headers={"x-csrf-token": pre_csrf(client)})
    assert r.status_code == 200 and r.json()["stage"] == "full", r.text
    return {SESSION_COOKIE: client.cookies[SESSION_COOKIE]}, {"x-csrf-token": r.json()["csrf_token"]}


@pytest.fixture
def fuzz_app(sqlite_db, settings, tmp_path):  # type: ignore[no-untyped-def]
    app = _fuzzed_app(sqlite_db, settings, tmp_path)
    Analyst.cookies, Analyst.headers = _sign_in(app, sqlite_db, "analyst", "PER")
    return app


def _check(case: Any, response: Any, who: str, seen: Counter[tuple[str, int]]) -> None:
    public = case.operation.definition.raw.get("x-tipnet-access") == "public"
    seen[(who if not public else f"{who} on public", response.status_code // 100)] += 1
    where = f"{case.method} {case.formatted_path} as {who}"
    assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:500]}"
    ctype = response.headers.get("content-type") or [""]  # schemathesis keeps every value of a header
    if response.status_code >= 400 and ctype[0].startswith("application/json"):
        body = json.loads(response.content)
        assert set(body) == {"error"} and set(body["error"]) == ERROR_KEYS, f"{where}: {body}"
        assert body["error"]["status"] == response.status_code, f"{where}: {body}"


@pytest.mark.parametrize("role,country", [("hub_admin", None), ("hub_analyst", None), ("focal_point", "PER"),
                                          ("investigator", "PER"), ("service_provider", "PER")])
def test_no_server_errors_for_every_other_role(sqlite_db, request, tmp_path, role, country):  # type: ignore[no-untyped-def]
    """Each of the other roles reaches operations the analyst does not (accounts, audit, federation, compendium
    editing, requests, messaging, case entry)."""
    tipnet_settings = request.getfixturevalue("settings")  # the name `settings` is hypothesis's here
    app = _fuzzed_app(sqlite_db, tipnet_settings, tmp_path)
    make_user(sqlite_db, "analyst", "PER")  # someone to administer
    cookies, csrf = _sign_in(app, sqlite_db, role, country)
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app, cookies=cookies)  # signed-in users only
    failures: list[str] = []
    seen: Counter[tuple[str, int]] = Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in ENDS_SESSION:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
            def run(case):  # type: ignore[no-untyped-def]
                response = case.call(cookies=cookies, headers={**(case.headers or {}), **csrf},
                                     allow_redirects=False)
                _check(case, response, role, seen)

            try:
                run()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE, operation.label
            except AssertionError as exc:
                failures.append(f"[{mode.value}] {str(exc).splitlines()[0][:400]}")
    assert failures == [], "\n".join(failures)
    assert seen[(role, 2)] > 30, seen


def test_no_server_errors(fuzz_app):  # type: ignore[no-untyped-def]
    """Every operation, with valid and with invalid generated data; all failing operations are listed at once."""
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", fuzz_app, cookies=Analyst.cookies)
    failures: list[str] = []
    seen: Counter[tuple[str, int]] = Counter()
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
            def run(case):  # type: ignore[no-untyped-def]
                _check(case, case.call(allow_redirects=False), "anonymous", seen)
                if (case.method.upper(), case.path) not in ENDS_SESSION:
                    headers = {**(case.headers or {}), **Analyst.headers}
                    response = case.call(cookies=Analyst.cookies, headers=headers, allow_redirects=False)
                    _check(case, response, "analyst", seen)

            try:
                run()
            except Unsatisfiable:  # nothing to make invalid (no parameters, no body)
                assert mode is GenerationMode.NEGATIVE, operation.label
            except AssertionError as exc:
                failures.append(f"[{mode.value}] {str(exc).splitlines()[0][:400]}")
    assert operations > 100
    assert failures == [], "\n".join(failures)
    # the analyst stayed signed in throughout: operations that need a sign-in answered it, never the anonymous client
    # (whose page requests are redirected to the sign-in form: 303, not followed)
    assert seen[("analyst", 2)] > 50 and seen[("anonymous", 2)] == 0, seen
    assert seen[("anonymous", 4)] > 0 and seen[("anonymous on public", 2)] > 0, seen


def test_every_json_route_is_described(fuzz_app):
    described = fuzz_app.openapi()["paths"]
    missing = [(r.path, sorted(r.methods)) for r in fuzz_app.routes
               if isinstance(r, APIRoute) and r.path not in described and r.path != "/favicon.ico"]
    assert missing == []
    json_twins = [p for p in described if p.endswith(".json")]
    assert len(json_twins) > 20
    for path, ops in described.items():
        for method, op in ops.items():
            assert op.get("x-tipnet-access"), (method, path)
            assert op["responses"]["422"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"}, (method, path)
