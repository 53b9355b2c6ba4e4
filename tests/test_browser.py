"""The web app in real Chromium (Debian's package, driven by Playwright): sign-in with a one-time code, dictionary,
upload -> commit, routes map."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from auth_helpers import PASSWORD, make_user

from tipnet.auth import totp
from tipnet.web.app import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(sqlite_db, settings) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(create_app(sqlite_db, settings), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(server):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("TIPNET_REQUIRE_BROWSER") == "1":  # CI installs Chromium: missing is a failure there
            pytest.fail("Chromium is not installed")
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pg = browser.new_page()
        yield pg
        browser.close()


def sign_in(page, server, account, next_path="/"):
    """Through the forms, as a person would: e-mail and password, then the code from the authenticator."""
    page.goto(f"{server}{next_path}")
    page.wait_for_selector("#login-form")  # an anonymous visit to a protected page lands on the sign-in form
    page.fill("input[name=email]", account.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#totp-form")
    page.fill("input[name=code]", totp.current_code(account.secret))
    page.click("#totp-form button[type=submit]")
    page.wait_for_selector("#account")
    assert page.url.endswith(next_path)


def test_dictionary_and_upload_in_a_browser(page, server, sqlite_db, tmp_path):
    page.goto(f"{server}/dictionary?lang=fr")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("#fields tbody tr").count() > 40
    assert page.get_by_role("cell", name="Sexe", exact=True).count() == 1

    f = tmp_path / "victimas.csv"
    f.write_text("record_id,case_id,sexo,edad\n1,A,F,15\n2,A,M,200\n", encoding="utf-8")
    sign_in(page, server, make_user(sqlite_db, "analyst", "PER"), "/uploads?lang=es")
    page.set_input_files("input[name=file]", str(f))
    assert page.input_value("input[name=country]") == "PER"  # fixed to the analyst's country
    page.click("#upload button[type=submit]")
    page.wait_for_selector("#row-summary")
    assert "2 filas: 1 válidas, 1 no válidas" in page.inner_text("#row-summary")
    assert "200" in page.inner_text("#problems")
    page.click("#commit")
    page.wait_for_selector("#rows-accepted")
    assert page.inner_text("#rows-accepted") == "1" and page.inner_text("#rows-quarantined") == "1"
    assert page.locator("#quarantine").count() == 1


def test_routes_page_draws_countries_and_arcs(page, server, sqlite_db, settings, tmp_path):
    from tipnet.ingest.pipeline import ImportOptions, import_file

    rows = ["record_id,case_id,citizenship,exploitation_country,identification_date"]
    routes = [("VEN", 7), ("BOL", 5), ("COL", 3), ("PER", 6)]  # COL -> PER has 3 victims: below the threshold
    n = 0
    for origin, count in routes:
        for _ in range(count):
            n += 1
            rows.append(f"R{n},C{n},{origin},PER,2022-05-0{1 + n % 9}")
    f = tmp_path / "routes.csv"
    f.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert import_file(f, sqlite_db, ImportOptions(country="PER"), settings).rows_accepted == n
    sign_in(page, server, make_user(sqlite_db, "analyst", "PER"), "/routes")
    page.wait_for_selector("#map svg.tipnet-map path.country", state="attached")
    assert page.locator("#map path.country").count() > 30
    arcs = page.locator("#map path.flow")
    assert arcs.count() == 2
    assert {(arcs.nth(i).get_attribute("data-origin"), arcs.nth(i).get_attribute("data-destination"))
            for i in range(2)} == {("VEN", "PER"), ("BOL", "PER")}
    assert page.locator("#map circle.domestic").count() == 1
    page.screenshot(path=str(tmp_path / "routes.png"), full_page=True)
