"""The messaging JSON API over HTTP: keys registered, envelopes relayed, replays, tampering and forged receipts
answered in the one error shape with their own codes; only the addressees fetch a message; urgent alerts on the page."""

from __future__ import annotations

import copy

import pytest
from auth_helpers import signed_in_client

from tipnet.messaging import envelope as env
from tipnet.messaging import keys as keymod
from tipnet.messaging import service, wire
from tipnet.messaging.client import verify_history
from tipnet.web.app import create_app

FAST = {"opslimit": 1, "memlimit": 8 * 1024 * 1024}


@pytest.fixture
def app(sqlite_db, settings):  # type: ignore[no-untyped-def]
    return create_app(sqlite_db, settings)


def _register(client, account) -> keymod.Identity:  # type: ignore[no-untyped-def]
    identity = keymod.generate(account.user.id)
    r = client.post("/messages/keys.json", json={"signed": keymod.bundle(identity, service.utc_stamp()),
                                                 "wrapped": keymod.wrap(identity, "a long pass phrase", **FAST)})
    assert r.status_code == 201, r.text
    return identity


def _error(r, status: int, code: str) -> str:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    return str(body["error"]["message"])


def test_relay_over_http(app, sqlite_db):
    alice_http, alice = signed_in_client(app, sqlite_db, "investigator", "MEX")
    bob_http, bob = signed_in_client(app, sqlite_db, "hub_admin")
    alice_id, bob_id = _register(alice_http, alice), _register(bob_http, bob)
    people = {p["user"]: p for p in alice_http.get("/messages/directory.json").json()["people"]}
    assert people[bob.user.id]["bundle"]["key"] == bob_id.key_id

    history = verify_history(alice_http.get(f"/messages/users/{bob.user.id}/keys.json").json()["keys"], bob.user.id)
    seq = alice_http.get("/messages/keys.json").json()["next_seq"]
    envelope = env.seal(alice_id, [history[bob_id.key_id]], env.Plain("Alerta", "Texto HTTPMARK"), seq,
                        service.utc_stamp(), urgent=True)
    tampered = copy.deepcopy(envelope)
    tampered["attachments"] = [wire.b64(b"x")]
    assert "1 attachments sent, 0 signed for" in _error(alice_http.post("/messages/send.json", json=tampered),
                                                        422, "tampered")
    sent = alice_http.post("/messages/send.json", json=envelope)
    assert sent.status_code == 201 and sent.json()["id"] == envelope["header"]["id"]
    _error(alice_http.post("/messages/send.json", json=envelope), 409, "replayed")
    _error(alice_http.post("/messages/send.json", content=b"{not json"), 422, "invalid-request")
    for junk in ({"header": []}, {"header": {**envelope["header"], "seq": 2**40}}, {"header": {"to": "x"}},
                 {"header": {**envelope["header"], "to": [1]}}, {"header": {**envelope["header"], "body": None}}):
        _error(alice_http.post("/messages/send.json", json=junk), 422, "malformed")
    lone = keymod.generate(alice.user.id)
    odd = {"signed": {**keymod.bundle(lone, service.utc_stamp()), "prev_sig": "x" * 500},
           "wrapped": keymod.wrap(lone, "another long phrase", **FAST)}
    _error(alice_http.post("/messages/keys.json", json=odd), 422, "malformed")  # Alice has a key: not a rotation
    _error(alice_http.post("/messages/keys.json", json={"signed": 1, "wrapped": []}), 422, "malformed")

    overview = bob_http.get("/messages.json").json()
    assert [a["message"] for a in overview["alerts"]] == [envelope["header"]["id"]]
    assert 'id="msg-open-alerts"' in bob_http.get("/messages", headers={"accept": "text/html"}).text
    inbox = bob_http.get("/messages/mailbox.json").json()["inbox"]
    assert [m["id"] for m in inbox] == [envelope["header"]["id"]] and "HTTPMARK" not in str(inbox)
    item = bob_http.get(f"/messages/{envelope['header']['id']}.json").json()

    mallory = keymod.generate(bob.user.id)
    forged = env.receipt(mallory, item["header"], "read", service.utc_stamp())
    forged["receipt"]["key"] = bob_id.key_id
    forged["signature"] = mallory.signed(forged["receipt"])
    _error(bob_http.post(f"/messages/{item['id']}/receipts.json", json=forged), 422, "bad-signature")
    real = env.receipt(bob_id, item["header"], "read", service.utc_stamp())
    assert bob_http.post(f"/messages/{item['id']}/receipts.json", json=real).status_code == 201
    assert bob_http.get("/messages.json").json()["alerts"] == []  # the read receipt acknowledges the alert
    receipts = alice_http.get(f"/messages/{item['id']}.json").json()["receipts"]
    assert [env.verify_receipt(r, item["header"], history[bob_id.key_id])["kind"] for r in receipts] == ["read"]

    eve_http, _ = signed_in_client(app, sqlite_db, "analyst", "MEX")
    _error(eve_http.get(f"/messages/{item['id']}.json"), 404, "not-found")
    _error(eve_http.get(f"/messages/{item['id']}/attachments/0.json"), 404, "not-found")
    hub_analyst, _ = signed_in_client(app, sqlite_db, "hub_analyst")
    _error(hub_analyst.get("/messages/mailbox.json"), 403, "forbidden")
    _error(bob_http.post(f"/messages/keys/{alice_id.key_id}/revoke.json"), 404, "not-found")  # not Bob's key
    assert bob_http.post(f"/messages/keys/{bob_id.key_id}/revoke.json").json() == {"key": bob_id.key_id,
                                                                                   "revoked": True}
    again = env.seal(alice_id, [history[bob_id.key_id]], env.Plain("x", "y"), seq + 1, service.utc_stamp())
    _error(alice_http.post("/messages/send.json", json=again), 409, "revoked-key")
