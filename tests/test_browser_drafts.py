"""No lost work, in real Chromium: the case form saves itself as a draft while the worker types (one draft, however
many saves), a session that ends mid-form is resumed in a sign-in dialog that finishes the save, the session warns
before it ends and can be kept, a reload after a refused submit posts nothing, and the case list tells cases apart
(initials, age, sex, identification date) and finds one by its initials."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pyotp
import pytest
from auth_helpers import PASSWORD, make_user
from browser_support import live, screenshot, sign_in
from sqlalchemy import delete, func, select

from tipnet.auth.principal import Principal, Via
from tipnet.auth.settings import AuthSettings
from tipnet.cases import store
from tipnet.store.tables_auth import sessions
from tipnet.store.tables_cases import cases
from tipnet.web.app import create_app

FIRST = dt.date.today().replace(day=1).isoformat()


@pytest.fixture
def server(request, sqlite_db, settings) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The live app; a test parametrised indirectly with {"session_idle_seconds": ...} gets those auth settings."""
    auth = AuthSettings.from_env(**request.param) if hasattr(request, "param") else None
    yield from live(create_app(sqlite_db, settings, auth))


def _drafts(db, user_id: int) -> list[tuple[str, int, str]]:  # type: ignore[no-untyped-def]
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(cases.c.public_id, cases.c.version, cases.c.data_json)
                                               .where(cases.c.created_by == user_id))]


def _saved(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector("#autosave-status[data-state=saved]", timeout=10_000)


def _next_code(account) -> str:  # type: ignore[no-untyped-def]
    """The code of the next 30-second step (accepted once, as clock drift): the current one was used to sign in."""
    return pyotp.TOTP(account.secret).at(time.time() + 30)


def test_typing_saves_one_draft_that_a_reload_shows(page, server, sqlite_db):
    ngo = make_user(sqlite_db, "service_provider", "PER")
    sign_in(page, server, ngo, "/cases/new")
    page.fill("#f-given_names", "Lucía")
    page.fill("#f-family_names", "Mamani Quispe")
    page.fill("#f-age", "15")
    _saved(page)  # 2 s after the last change, without pressing anything
    [(case_id, _, _)] = _drafts(sqlite_db, ngo.user.id)
    assert page.url == f"{server}/cases/{case_id}"  # the form now edits that draft
    page.select_option("#f-sex", "female")
    page.focus("#f-interpreter_needed")
    page.keyboard.press("Tab")  # into the child section: leaving a section saves at once
    page.fill("#f-guardian_name", "DEMUNA Cusco")
    # "unsaved" can be over before a poll sees it (the save for the section, then this one), so wait for the
    # change to reach the store and then for the page to say so
    deadline = time.monotonic() + 20
    while '"guardian_name": "DEMUNA Cusco"' not in _drafts(sqlite_db, ngo.user.id)[0][2]:
        assert time.monotonic() < deadline, "the change never reached the store"
        time.sleep(0.1)
    _saved(page)
    rows = _drafts(sqlite_db, ngo.user.id)
    assert len(rows) == 1 and rows[0][0] == case_id and rows[0][1] >= 3  # one draft, saved again and again
    assert '"guardian_name": "DEMUNA Cusco"' in rows[0][2]
    page.reload()
    page.wait_for_selector("#case-form")
    assert page.input_value("#f-given_names") == "Lucía" and page.input_value("#f-guardian_name") == "DEMUNA Cusco"
    assert page.input_value("#f-sex") == "female"
    assert len(_drafts(sqlite_db, ngo.user.id)) == 1


def test_a_session_that_ends_mid_form_is_resumed_in_a_dialog_and_the_save_finished(page, server, sqlite_db):
    ngo = make_user(sqlite_db, "service_provider", "PER")
    sign_in(page, server, ngo, "/cases/new")
    page.fill("#f-given_names", "Rosa")
    page.fill("#f-age", "16")
    _saved(page)
    with sqlite_db.engine.begin() as conn:  # the session ends (idle limit, or removed) while the form is open
        conn.execute(delete(sessions).where(sessions.c.user_id == ngo.user.id))
    time.sleep(1.1)  # past the server's one-second trust in a session it resolved
    page.fill("#f-family_names", "Quispe Huamán")
    page.press("#f-family_names", "Enter")  # "Save draft" (the form's first button), at once
    page.wait_for_selector("#signin-dialog[open]")
    assert "session" in page.inner_text("#autosave-status").lower()
    assert page.input_value("#f-family_names") == "Quispe Huamán"  # the form stays as typed
    screenshot(page, "drafts-signin-dialog")
    page.fill("#signin-password", "not the password")
    page.fill("#signin-code", "000000")
    page.click("#signin-submit")
    page.wait_for_function("() => document.querySelector('#signin-error').textContent.length > 0")
    assert page.locator("#signin-dialog[open]").count() == 1  # refused: the dialog stays, nothing is lost
    page.fill("#signin-password", PASSWORD)
    page.fill("#signin-code", _next_code(ngo))
    page.click("#signin-submit")
    page.wait_for_selector("#saved")  # signed in again, the save was finished and confirmed
    [(case_id, _, data)] = _drafts(sqlite_db, ngo.user.id)
    assert page.url.startswith(f"{server}/cases/{case_id}")
    assert '"family_names": "Quispe Huamán"' in data and '"given_names": "Rosa"' in data
    assert page.input_value("#f-family_names") == "Quispe Huamán"


@pytest.mark.parametrize("server", [{"session_idle_seconds": 12, "session_warn_seconds": 8}], indirect=True)
def test_the_session_warns_can_be_kept_and_when_it_ends_the_dialog_saves(page, server, sqlite_db):
    ngo = make_user(sqlite_db, "service_provider", "PER")
    sign_in(page, server, ngo, "/cases/new")
    page.fill("#f-given_names", "Ana")
    _saved(page)
    page.wait_for_selector("#session-warning:not([hidden])", timeout=8_000)
    with sqlite_db.engine.connect() as conn:
        before = conn.execute(select(func.max(sessions.c.last_seen_at))
                              .where(sessions.c.user_id == ngo.user.id)).scalar_one()
    page.click("#stay-signed-in")
    page.wait_for_selector("#session-warning", state="hidden")
    with sqlite_db.engine.connect() as conn:
        after = conn.execute(select(func.max(sessions.c.last_seen_at))
                             .where(sessions.c.user_id == ngo.user.id)).scalar_one()
    assert after > before  # the idle timer restarted on the server
    # then nobody touches the page: the session ends, and the page asks to sign in again (the form kept)
    page.wait_for_selector("#signin-dialog[open]", timeout=20_000)
    page.fill("#signin-password", PASSWORD)
    page.fill("#signin-code", _next_code(ngo))
    page.click("#signin-submit")
    page.wait_for_selector("#signin-dialog", state="hidden")
    _saved(page)
    page.fill("#f-family_names", "Condori")
    _saved(page)
    [(_, _, data)] = _drafts(sqlite_db, ngo.user.id)
    assert '"family_names": "Condori"' in data and '"given_names": "Ana"' in data


def test_reloading_after_a_refused_submit_creates_nothing(page, server, sqlite_db):
    ngo = make_user(sqlite_db, "service_provider", "PER")
    sign_in(page, server, ngo, "/cases/new")
    page.fill("#f-age", "15")
    page.click("#submit-case")
    page.wait_for_selector("#problems")
    [(case_id, version, _)] = _drafts(sqlite_db, ngo.user.id)
    assert page.url == f"{server}/cases/{case_id}?done=invalid"  # a GET: the page of the saved draft
    page.reload()
    page.wait_for_selector("#problems")
    assert _drafts(sqlite_db, ngo.user.id) == [(case_id, version, _drafts(sqlite_db, ngo.user.id)[0][2])]
    assert page.input_value("#f-age") == "15"


def _principal(account) -> Principal:  # type: ignore[no-untyped-def]
    u = account.user
    return Principal(via=Via.SESSION, user_id=u.id, email=u.email, role=u.role, country=u.country)


def test_the_list_tells_cases_apart_and_search_finds_one(page, server, sqlite_db):
    ngo = make_user(sqlite_db, "service_provider", "PER")
    who = _principal(ngo)
    girl, _ = store.save(sqlite_db, who, {"given_names": "Lucía", "family_names": "Mamani Quispe", "age": "15",
                                          "sex": "female", "identification_date": FIRST})
    store.save(sqlite_db, who, {"given_names": "Rosa", "family_names": "Huamán", "age": "30", "sex": "female",
                                "identification_date": "2025-03-02"})
    sign_in(page, server, ngo, "/cases")
    rows = page.locator("#cases tbody tr")
    assert rows.count() == 2
    text = page.inner_text("#cases")
    assert "L. M. Q." in text and "R. H." in text and "Lucía" not in text  # initials, never the names
    girl_row = page.locator("#cases tbody tr", has_text="L. M. Q.").inner_text()
    assert "15" in girl_row and "Female" in girl_row and "Draft" in girl_row
    page.fill("#q", "lmq")
    page.press("#q", "Enter")
    page.wait_for_url("**/cases?q=lmq")
    assert page.locator("#cases tbody tr").count() == 1 and girl.public_id in page.inner_text("#cases")
    page.fill("#q", "2025-03")
    page.press("#q", "Enter")
    page.wait_for_url("**/cases?q=2025-03")
    assert page.locator("#cases tbody tr").count() == 1 and "R. H." in page.inner_text("#cases")
