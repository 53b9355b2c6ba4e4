"""In Chromium: find an authority with the routing page, draft a request through the wizard, send it, and have the
requested state acknowledge it."""

from __future__ import annotations

from auth_helpers import make_user
from browser_support import screenshot, sign_in
from coop_helpers import OPERATOR, entry, peru

from tipnet.coop import directory


def test_find_an_authority_then_draft_send_and_receive_a_request(page, server, sqlite_db):
    peru(sqlite_db)
    directory.create(sqlite_db, OPERATOR, entry("COL", "Central Authority COL", ["mla_central_authority"]))
    page.goto(f"{server}/directory/route?lang=es")
    page.select_option("select[name=country]", "PER")
    page.select_option("select[name=measure]", "search_seizure")
    page.click("#route-form button[type=submit]")
    page.wait_for_selector("#route-results")
    assert "Central Authority PER" in page.inner_text("#route-results > li:first-child")
    assert "Prosecution Unit PER" in page.inner_text("#route-excluded")
    assert "doble incriminación" in page.inner_text("#route-results")

    sign_in(page, server, make_user(sqlite_db, "investigator", "COL"), "/requests/new?lang=en")
    page.select_option("#requested-country", "PER")
    page.check("input[name=measures][value=search_seizure]")
    page.fill("input[name=case_ids]", "COL-2026-7")
    page.click("#request-new button[type=submit]")
    page.wait_for_selector("#request-edit")
    fields = page.locator("#request-edit textarea[id^=field-]")
    assert fields.count() >= 10
    for i in range(fields.count()):
        fields.nth(i).fill(f"Answer {i}")
    page.fill("#attachment-judicial_order", "Order 123 of 2026-10-02, 3 pages")
    page.click("#request-edit button[type=submit]")
    page.wait_for_selector("#complete")
    page.click("#to-sent")
    page.wait_for_selector("#request-status")
    assert page.inner_text("#request-status") == "sent"
    request_path = page.url.removeprefix(server)
    page.click("#logout")

    sign_in(page, server, make_user(sqlite_db, "investigator", "PER"), request_path)
    page.click("#to-received")
    page.wait_for_selector("#to-in_execution")
    assert page.inner_text("#request-status") == "received"
    assert "COL-2026-7" in page.inner_text("#request-cases")
    screenshot(page, "coop-request-received")
