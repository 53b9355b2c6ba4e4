"""Secure messaging in real Chromium: two authority accounts make their keys in the browser, one sends an encrypted
message with an attachment, the other reads it, the sender sees the verified read receipt. The same envelopes open
with PyNaCl (browser -> Python) and a message sealed by the Python client opens in the browser (Python -> browser);
receipts signed in the browser verify in Python. The store holds no plaintext afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest
from auth_helpers import make_user
from browser_support import screenshot, sign_in
from messaging_helpers import plaintext_cells, plaintext_in_files, principal

from tipnet.messaging import envelope as env
from tipnet.messaging.client import Client, LocalTransport
from tipnet.messaging.errors import UnknownKey

ALICE_PASS = "alice's long pass phrase"
BOB_PASS = "bob's even longer pass phrase"
SUBJECT = "Traslado de menores por Aguas Verdes"
TEXT = "Tres adolescentes identificadas en el paso fronterizo; solicitamos verificacion urgente BROWSERMARK-51Q"
ATTACHMENT = b"acta de rescate, folios 1-12 ATTACHMARK-8UV " * 30


def _open_messaging(page, server, account) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, server, account, "/messages")
    page.wait_for_selector("#messaging[data-ready='1']")


def _create_keys(page, passphrase: str) -> str:  # type: ignore[no-untyped-def]
    page.wait_for_selector("#msg-create", state="visible")
    page.fill("#msg-new-passphrase", passphrase)
    page.fill("#msg-new-passphrase2", passphrase)
    page.click("#msg-create-btn")
    page.wait_for_selector("#msg-app", state="visible", timeout=30_000)
    return str(page.inner_text("#msg-fingerprint"))


def _unlock(page, server, passphrase: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/messages")
    page.wait_for_selector("#msg-unlock", state="visible")
    page.fill("#msg-passphrase", passphrase)
    page.click("#msg-unlock-btn")
    page.wait_for_selector("#msg-app", state="visible", timeout=30_000)


def _read_first(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector("#msg-inbox tbody tr .msg-open")
    page.click("#msg-inbox tbody tr:first-child .msg-open")
    page.wait_for_selector("#msg-reader[data-receipts='signed']")  # opened, receipts signed and accepted


def test_encrypted_exchange_between_two_browsers_with_verified_receipt(page, server, sqlite_db, tmp_path):
    alice, bob = make_user(sqlite_db, "investigator", "PER"), make_user(sqlite_db, "focal_point", "ECU")
    bob_page = page.context.browser.new_context().new_page()
    _open_messaging(bob_page, server, bob)
    bob_key = _create_keys(bob_page, BOB_PASS)
    _open_messaging(page, server, alice)
    alice_key = _create_keys(page, ALICE_PASS)
    assert len(alice_key) == 64 and alice_key != bob_key

    # Alice writes to Bob, with an attachment, flagged urgent
    page.select_option("#msg-to", str(bob.user.id))
    page.fill("#msg-subject", SUBJECT)
    page.fill("#msg-text", TEXT)
    page.set_input_files("#msg-files", files=[{"name": "acta-rescate.txt", "mimeType": "text/plain",
                                                "buffer": ATTACHMENT}])
    page.check("#msg-urgent")
    page.click("#msg-send-btn")
    page.wait_for_selector("#msg-status[data-sent]", timeout=30_000)
    message_id = page.get_attribute("#msg-status", "data-sent")
    page.wait_for_selector(f"#msg-sent tr[data-id='{message_id}'] td.msg-receipts[data-verified='none']")

    # Bob: the urgent alert shows before unlocking; he unlocks, opens and reads; receipts are signed in his browser
    bob_page.goto(f"{server}/messages")
    assert bob_page.locator("#msg-open-alerts").count() == 1
    assert "BROWSERMARK" not in bob_page.inner_text("#msg-open-alerts")
    _unlock(bob_page, server, BOB_PASS)
    assert bob_page.get_attribute("#msg-inbox tbody tr:first-child", "data-id") == message_id
    _read_first(bob_page)
    assert bob_page.inner_text("#msg-reader-subject") == SUBJECT
    assert bob_page.inner_text("#msg-reader-text") == TEXT
    assert bob_page.inner_text("#msg-reader-attachments a") == "acta-rescate.txt"
    with bob_page.expect_download() as download:
        bob_page.click("#msg-reader-attachments a")
    assert Path(download.value.path()).read_bytes() == ATTACHMENT
    screenshot(bob_page, "messaging-read")

    # Alice sees the read receipt, verified in her browser against Bob's signed key history
    _unlock(page, server, ALICE_PASS)
    cell = f"#msg-sent tr[data-id='{message_id}'] td.msg-receipts[data-verified='read']"
    page.wait_for_selector(cell, timeout=30_000)
    screenshot(page, "messaging-receipt")

    # browser -> Python: PyNaCl unwraps the browser-made keys, opens the message, verifies the receipts
    bob_client = Client(LocalTransport(sqlite_db, principal(bob)), bob.user.id)
    assert bob_key in bob_client.unlock(BOB_PASS)
    opened = bob_client.read(message_id or "", receipts=False)
    assert (opened.subject, opened.text, opened.contents, opened.urgent) == (SUBJECT, TEXT, [ATTACHMENT], True)
    alice_client = Client(LocalTransport(sqlite_db, principal(alice)), alice.user.id)
    alice_client.unlock(ALICE_PASS)
    receipts = alice_client.verified_receipts(message_id or "")
    assert sorted(r["kind"] for r in receipts) == ["delivered", "read"]
    assert {r["user"] for r in receipts} == {bob.user.id}

    # Python -> browser: sealed with PyNaCl, opened in Bob's browser
    reply = alice_client.send([bob.user.id], env.Plain("Respuesta desde Python", "Sellado con PyNaCl PYMARK-3"))
    _unlock(bob_page, server, BOB_PASS)
    assert bob_page.get_attribute("#msg-inbox tbody tr:first-child", "data-id") == reply["id"]
    _read_first(bob_page)
    assert bob_page.inner_text("#msg-reader-text") == "Sellado con PyNaCl PYMARK-3"
    assert [r["kind"] for r in alice_client.verified_receipts(reply["id"])] == ["delivered", "read"]

    # rotation in the browser (signed by the old key; the Python client follows the chain), then revocation
    bob_page.click("#msg-keys summary")
    bob_page.fill("#msg-rotate-passphrase", BOB_PASS)
    bob_page.click("#msg-rotate-btn")
    # predicates as functions: an expression string is eval()ed in the page, which the Content-Security-Policy refuses
    bob_page.wait_for_function("() => document.querySelector('#msg-fingerprint').textContent.length == 64 && "
                               f"document.querySelector('#msg-fingerprint').textContent != '{bob_key}'")
    new_key = bob_page.inner_text("#msg-fingerprint")
    after = alice_client.send([bob.user.id], env.Plain("Tras la rotacion", "Clave nueva ROTMARK"))
    history = alice_client.keys_of(bob.user.id)
    assert history[new_key].prev == bob_key
    addressed = alice_client.transport.fetch(after["id"])["header"]["to"]
    assert [r["key"] for r in addressed if r["user"] == bob.user.id] == [new_key]
    _unlock(bob_page, server, BOB_PASS)  # one passphrase opens both keys: old and new messages read
    _read_first(bob_page)
    assert bob_page.inner_text("#msg-reader-text") == "Clave nueva ROTMARK"
    bob_page.click(f"#msg-inbox tr[data-id='{message_id}'] .msg-open")
    bob_page.wait_for_function(f"() => document.querySelector('#msg-reader').dataset.id == '{message_id}'")
    bob_page.wait_for_function("() => document.querySelector('#msg-reader-subject').textContent.length > 0")
    assert bob_page.inner_text("#msg-reader-text") == TEXT
    bob_page.click("#msg-keys summary")
    bob_page.once("dialog", lambda dialog: dialog.accept())
    bob_page.click("#msg-revoke-btn")
    bob_page.wait_for_selector("#msg-create", state="visible")
    with pytest.raises(UnknownKey, match="has no key"):
        alice_client.send([bob.user.id], env.Plain("x", "y"))

    needles = [SUBJECT.encode(), b"BROWSERMARK-51Q", b"ATTACHMARK-8UV", b"acta-rescate", b"PYMARK-3",
               ALICE_PASS.encode(), BOB_PASS.encode()]
    cells, found = plaintext_cells(sqlite_db, needles)
    assert cells > 100 and not found, f"plaintext found in {found}"
    sqlite_db.dispose()
    assert not plaintext_in_files(Path(tmp_path), "tipnet.db*", needles)


def test_find_an_authority_send_a_request_and_follow_up_by_encrypted_message(page, server, sqlite_db):
    """The cooperation journey in one run: route to the competent authority, draft and send an MLA request, follow it
    up with an encrypted message to the requested state's investigator, who reads it; the sender sees the receipt."""
    from coop_helpers import peru

    peru(sqlite_db)
    col, per = make_user(sqlite_db, "investigator", "COL"), make_user(sqlite_db, "investigator", "PER")
    per_page = page.context.browser.new_context().new_page()
    _open_messaging(per_page, server, per)
    _create_keys(per_page, BOB_PASS)

    page.goto(f"{server}/directory/route")
    page.select_option("select[name=country]", "PER")
    page.select_option("select[name=measure]", "search_seizure")
    page.click("#route-form button[type=submit]")
    page.wait_for_selector("#route-results")
    authority = page.inner_text("#route-results > li:first-child strong")
    assert authority == "Central Authority PER"

    sign_in(page, server, col, "/requests/new")
    page.select_option("#requested-country", "PER")
    page.check("input[name=measures][value=search_seizure]")
    page.fill("input[name=case_ids]", "COL-2026-31")
    page.click("#request-new button[type=submit]")
    page.wait_for_selector("#request-edit")
    fields = page.locator("#request-edit textarea[id^=field-]")
    for i in range(fields.count()):
        fields.nth(i).fill(f"Answer {i}")
    page.fill("#attachment-judicial_order", "Order 31 of 2026-11-02, 2 pages")
    page.click("#request-edit button[type=submit]")
    page.wait_for_selector("#complete")
    page.click("#to-sent")
    page.wait_for_selector("#request-status")
    assert page.inner_text("#request-status") == "sent"
    request_url = page.url

    page.click("#nav-messages")
    page.wait_for_selector("#messaging[data-ready='1']")
    _create_keys(page, ALICE_PASS)
    page.select_option("#msg-to", str(per.user.id))
    page.fill("#msg-subject", "MLA request COL-2026-31")
    page.fill("#msg-text", f"Request sent to {authority} today ({request_url}); the search is urgent. JOURNEYMARK")
    page.click("#msg-send-btn")
    page.wait_for_selector("#msg-status[data-sent]", timeout=30_000)
    message_id = page.get_attribute("#msg-status", "data-sent")

    per_page.goto(f"{server}/messages")
    per_page.fill("#msg-passphrase", "not the passphrase at all")
    per_page.click("#msg-unlock-btn")
    per_page.wait_for_selector("#msg-status.error")
    assert per_page.inner_text("#msg-status") == "The passphrase opens none of your keys."
    _unlock(per_page, server, BOB_PASS)
    _read_first(per_page)
    assert per_page.inner_text("#msg-reader-subject") == "MLA request COL-2026-31"
    assert "JOURNEYMARK" in per_page.inner_text("#msg-reader-text")

    _unlock(page, server, ALICE_PASS)
    page.wait_for_selector(f"#msg-sent tr[data-id='{message_id}'] td.msg-receipts[data-verified='read']",
                           timeout=30_000)
    assert "read" in page.inner_text(f"#msg-sent tr[data-id='{message_id}'] td.msg-receipts")
    screenshot(page, "messaging-journey")
    cells, found = plaintext_cells(sqlite_db, [b"JOURNEYMARK", ALICE_PASS.encode(), BOB_PASS.encode()])
    assert cells > 100 and not found
