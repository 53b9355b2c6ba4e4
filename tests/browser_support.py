"""Browser-test support: a live server on loopback, Debian's Chromium driven by Playwright, sign-in through the forms.

Its fixtures (`server`, `page`) are registered for every test module by `pytest_plugins` in conftest.py.
Screenshots go to `tests/artifacts/` (git-ignored) through `screenshot(page, name)`.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from auth_helpers import PASSWORD
from served import free_port

from tipnet.auth import totp
from tipnet.web.app import create_app

ARTIFACTS = Path(__file__).parent / "artifacts"


def screenshot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def server(sqlite_db, settings) -> Iterator[str]:
    yield from live(create_app(sqlite_db, settings))


def live(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """Serve `app` on a free loopback port while the generator is suspended (a fixture's body)."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
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
def browser():  # type: ignore[no-untyped-def]
    """Debian's Chromium through Playwright (skipped without it, a failure in CI, which installs it)."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("TIPNET_REQUIRE_BROWSER") == "1":  # CI installs Chromium: missing is a failure there
            pytest.fail("Chromium is not installed")
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(server, browser):  # type: ignore[no-untyped-def]
    yield browser.new_page()


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


