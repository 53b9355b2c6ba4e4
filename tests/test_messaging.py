"""Secure messaging on SQLite and PostgreSQL: no plaintext reaches the store, the server refuses tampered, replayed,
wrongly signed and revoked envelopes, receipts verify and forged ones do not, rotation keeps old messages readable."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import nacl.signing
import pytest
import sqlalchemy as sa
from auth_helpers import make_user
from messaging_helpers import plaintext_cells, plaintext_in_files, principal

from tipnet.auth.principal import Principal
from tipnet.messaging import envelope as env
from tipnet.messaging import keys as keymod
from tipnet.messaging import service, wire
from tipnet.messaging.client import Client, LocalTransport
from tipnet.messaging.errors import (
    BadSignature,
    Malformed,
    NotAllowed,
    Replayed,
    RevokedKey,
    Tampered,
    UnknownKey,
    WrongPassphrase,
)
from tipnet.store.tables_auth import audit_log

FAST = {"opslimit": 1, "memlimit": 8 * 1024 * 1024}  # argon2id at its cheapest: tests only
SUBJECT = "Operacion Mariposa: traslado urgente"
TEXT = "Victima menor identificada en Tumbes, 17 anos; coordinar con fiscalia de Guayaquil MARKER-7Q4Z"
ATTACHMENT = b"%PDF-1.4 informe pericial ATTACHMENT-MARKER-K9X2 " * 40


def person(db, role: str = "investigator", country: str = "PER", passphrase: str = "pass phrase one"):  # type: ignore[no-untyped-def]
    account = make_user(db, role, country)
    who = principal(account)
    client = Client(LocalTransport(db, who), who.user_id or 0)
    client.create_identity(passphrase, **FAST)
    return who, client


@pytest.fixture
def pair(db):  # type: ignore[no-untyped-def]
    alice_who, alice = person(db, "investigator", "PER")
    bob_who, bob = person(db, "focal_point", "ECU", "another pass phrase")
    return db, (alice_who, alice), (bob_who, bob)


def test_exchange_leaves_no_plaintext_in_the_store(pair, tmp_path):
    db, (alice_who, alice), (bob_who, bob) = pair
    plain = env.Plain(SUBJECT, TEXT, [env.Attachment("informe-pericial.pdf", ATTACHMENT, "application/pdf")])
    sent = alice.send([bob_who.user_id], plain, urgent=True)
    opened = bob.read(sent["id"])
    assert (opened.subject, opened.text, opened.contents) == (SUBJECT, TEXT, [ATTACHMENT])
    assert opened.attachments == [{"name": "informe-pericial.pdf", "type": "application/pdf",
                                   "size": len(ATTACHMENT)}]
    own = alice.read(sent["id"])  # the sent folder opens with the sender's own boxed key
    assert own.text == TEXT and own.contents == [ATTACHMENT]

    needles = [SUBJECT.encode(), TEXT.encode(), b"MARKER-7Q4Z", b"ATTACHMENT-MARKER-K9X2", b"informe-pericial",
               b"Mariposa", b"pass phrase one"]
    cells, found = plaintext_cells(db, needles)
    assert cells > 100 and not found, f"plaintext found in {found}"
    if db.backend_name == "sqlite":
        db.dispose()
        assert not plaintext_in_files(Path(tmp_path), "tipnet.db*", needles)


def test_every_step_is_audited_without_content(pair):
    db, (alice_who, alice), (bob_who, bob) = pair
    sent = alice.send([bob_who.user_id], env.Plain(SUBJECT, TEXT))
    bob.read(sent["id"])
    with db.engine.connect() as conn:
        rows = conn.execute(sa.select(audit_log.c.action, audit_log.c.actor_id, audit_log.c.object_id,
                                      audit_log.c.details)).all()
    actions = {(r.action, r.actor_id) for r in rows}
    assert {("message.send", alice_who.user_id), ("message.fetch", bob_who.user_id),
            ("message.delivered", bob_who.user_id), ("message.read", bob_who.user_id),
            ("messaging.key_create", alice_who.user_id)} <= actions
    assert not [r for r in rows if "MARKER" in (r.details or "") or "Mariposa" in (r.details or "")]


def _envelope(alice: Client, bob_who: Principal, seq: int = 1) -> dict:
    recipients = [alice.keys_of(bob_who.user_id or 0)[k] for k in alice.keys_of(bob_who.user_id or 0)]
    return env.seal(alice._me(), recipients, env.Plain("s", "t", [env.Attachment("a", b"abc")]), seq,
                    service.utc_stamp())


def test_tampered_replayed_and_forged_envelopes_are_refused(pair):
    db, (alice_who, alice), (bob_who, bob) = pair
    good = _envelope(alice, bob_who)

    body = copy.deepcopy(good)
    ct = bytearray(wire.unb64(body["body"], "b"))
    ct[5] ^= 1
    body["body"] = wire.b64(bytes(ct))
    with pytest.raises(Tampered, match="not the ciphertext the sender signed"):
        service.accept(db, alice_who, body)

    att = copy.deepcopy(good)
    att["attachments"] = [wire.b64(b"abd" + b"\0" * 16)]
    with pytest.raises(Tampered):
        service.accept(db, alice_who, att)

    header = copy.deepcopy(good)
    header["header"]["urgent"] = True  # a change to the signed header breaks the signature
    with pytest.raises(BadSignature, match="message signature does not verify"):
        service.accept(db, alice_who, header)

    forged = copy.deepcopy(good)  # signed by someone else's key, claiming Alice's
    forged["signature"] = wire.b64(nacl.signing.SigningKey.generate().sign(wire.canonical(good["header"])).signature)
    with pytest.raises(BadSignature):
        service.accept(db, alice_who, forged)

    with pytest.raises(NotAllowed):  # Bob cannot post Alice's envelope as his own
        service.accept(db, bob_who, good)

    assert service.accept(db, alice_who, good)["id"] == good["header"]["id"]
    with pytest.raises(Replayed, match="accepted before"):
        service.accept(db, alice_who, good)
    stale_seq = _envelope(alice, bob_who, seq=1)  # a new id but an old sequence number
    with pytest.raises(Replayed, match="sequence number 1 is not above 1"):
        service.accept(db, alice_who, stale_seq)
    assert service.accept(db, alice_who, _envelope(alice, bob_who, seq=2))["seq"] == 2


def test_a_message_decrypted_with_a_tampered_key_box_fails_on_the_recipients_side(pair):
    db, (alice_who, alice), (bob_who, bob) = pair
    good = _envelope(alice, bob_who)
    checked = env.check(good, alice.keys_of(alice_who.user_id or 0)[alice.current or ""])
    other = keymod.generate(bob_who.user_id or 0)  # not Bob's key
    with pytest.raises(Malformed, match="not addressed to key"):
        env.open_body(other, checked, alice.keys_of(alice_who.user_id or 0)[alice.current or ""])


def test_revoked_keys_neither_send_nor_receive(pair):
    db, (alice_who, alice), (bob_who, bob) = pair
    prepared = _envelope(alice, bob_who)
    bob.revoke()
    with pytest.raises(RevokedKey, match="was revoked"):
        service.accept(db, alice_who, prepared)
    with pytest.raises(UnknownKey, match="has no key"):
        alice.send([bob_who.user_id or 0], env.Plain("s", "t"))
    mine = _envelope(alice, alice_who)
    alice.revoke()
    with pytest.raises(RevokedKey, match="was revoked"):
        service.accept(db, alice_who, mine)
    alice.create_identity("a new pass phrase", **FAST)  # after a revocation: a fresh, unchained key
    bob.create_identity("bob's new pass phrase", **FAST)
    sent = alice.send([bob_who.user_id or 0], env.Plain("after", "revocation"))
    assert bob.read(sent["id"]).text == "revocation"


def test_receipts_verify_and_forged_ones_do_not(pair):
    db, (alice_who, alice), (bob_who, bob) = pair
    sent = alice.send([bob_who.user_id or 0], env.Plain(SUBJECT, TEXT))
    assert alice.verified_receipts(sent["id"]) == []
    bob.read(sent["id"])
    got = alice.verified_receipts(sent["id"])
    assert [(r["kind"], r["user"]) for r in got] == [("delivered", bob_who.user_id), ("read", bob_who.user_id)]
    assert all(r["envelope"] == sent["envelope_hash"] for r in got)

    header = alice.transport.fetch(sent["id"])["header"]
    mallory = keymod.generate(bob_who.user_id or 0)  # a key that is not Bob's, claiming to be
    fake = env.receipt(mallory, header, "read", service.utc_stamp())
    bob_keys = alice.keys_of(bob_who.user_id or 0)[bob.current or ""]
    with pytest.raises(Malformed, match="another signer"):
        env.verify_receipt(fake, header, bob_keys)
    fake["receipt"]["key"] = bob.current
    fake["signature"] = mallory.signed(fake["receipt"])
    with pytest.raises(BadSignature, match="receipt signature"):
        env.verify_receipt(fake, header, bob_keys)
    with pytest.raises(BadSignature):  # the server refuses it too
        service.add_receipt(db, bob_who, sent["id"], fake)
    real = env.receipt(bob.identities[bob.current or ""], header, "read", service.utc_stamp())
    other_header = {**header, "urgent": not header["urgent"]}
    with pytest.raises(Tampered, match="another message or another version"):
        env.verify_receipt(real, other_header, bob_keys)
    with pytest.raises(Replayed, match="given before"):
        service.add_receipt(db, bob_who, sent["id"], real)


def test_rotation_keeps_old_messages_readable_and_chains_trust(pair):
    db, (alice_who, alice), (bob_who, bob) = pair
    old_message = alice.send([bob_who.user_id or 0], env.Plain("before rotation", "old key"))
    old_key = bob.current
    new_key = bob.rotate("another pass phrase", **FAST)
    assert new_key != old_key
    new_message = alice.send([bob_who.user_id or 0], env.Plain("after rotation", "new key"))
    # a fresh client on another machine: one passphrase unlocks both keys
    fresh = Client(LocalTransport(db, bob_who), bob_who.user_id or 0)
    assert set(fresh.unlock("another pass phrase")) == {old_key, new_key} and fresh.current == new_key
    assert fresh.read(old_message["id"]).text == "old key"
    assert fresh.read(new_message["id"]).text == "new key"
    history = service.key_history(db, alice_who, bob_who.user_id or 0)
    assert [h["bundle"]["prev"] for h in history] == [None, old_key]
    # a rotation not signed by the current key is refused
    intruder = keymod.generate(bob_who.user_id or 0)
    fake = keymod.bundle(intruder, service.utc_stamp(), previous=keymod.generate(bob_who.user_id or 0))
    fake["bundle"]["prev"] = new_key
    fake["self_sig"] = intruder.signed(fake["bundle"])
    with pytest.raises(BadSignature, match="key rotation"):
        service.register_key(db, bob_who, fake, keymod.wrap(intruder, "x", **FAST))
    unchained = keymod.bundle(intruder, service.utc_stamp())
    with pytest.raises(Malformed, match="must be a rotation"):
        service.register_key(db, bob_who, unchained, keymod.wrap(intruder, "x", **FAST))


def test_a_wrapped_key_does_not_open_with_a_wrong_passphrase(db):
    who, client = person(db, "analyst", "COL", "the right pass phrase")
    blob = service.own_keys(db, who)["keys"][0]["wrapped"]
    assert "the right pass phrase" not in json.dumps(blob)
    with pytest.raises(WrongPassphrase):
        keymod.unwrap(blob, "the wrong pass phrase", who.user_id or 0)
    assert keymod.unwrap(blob, "the right pass phrase", who.user_id or 0).key_id == client.current
    identity = keymod.generate(1)
    default = keymod.wrap(identity, "default cost")  # the shipped argon2id cost
    assert (default["ops"], default["mem"]) == (keymod.OPSLIMIT, keymod.MEMLIMIT)
    with pytest.raises(WrongPassphrase):
        keymod.unwrap(default, "Default cost", 1)
    assert keymod.unwrap(default, "default cost", 1).key_id == identity.key_id


def test_urgent_alert_tops_the_inbox_and_holds_no_content(pair):
    db, (alice_who, alice), (bob_who, bob) = pair
    alice.send([bob_who.user_id or 0], env.Plain("routine", "routine"))
    urgent = alice.send([bob_who.user_id or 0], env.Plain(SUBJECT, TEXT), urgent=True)
    alice.send([bob_who.user_id or 0], env.Plain("later routine", "routine"))
    alerts = service.alerts(db, bob_who)
    assert [a["message"] for a in alerts] == [urgent["id"]] and alerts[0]["from"] == alice_who.email
    assert "MARKER" not in json.dumps(alerts)
    box = bob.mailbox()
    assert box["inbox"][0].id == urgent["id"] and box["inbox"][0].urgent  # type: ignore[union-attr]
    # listing the inbox signed delivery receipts (the message reached Bob's client), not read receipts
    assert [r["kind"] for r in alice.verified_receipts(urgent["id"])] == ["delivered"]
    assert service.alerts(db, bob_who) != []
    bob.read(urgent["id"])  # reading acknowledges the alert
    assert service.alerts(db, bob_who) == []
    assert service.alerts(db, alice_who) == []  # the sender gets no alert of their own


def test_only_authority_accounts_message_and_only_recipients_read(pair):
    db, (alice_who, alice), (bob_who, bob) = pair
    ngo = principal(make_user(db, "service_provider", "PER"))
    with pytest.raises(NotAllowed):
        service.mailbox(db, ngo)
    eve_who, eve = person(db, "analyst", "PER", "eve's pass phrase")
    sent = alice.send([bob_who.user_id or 0], env.Plain(SUBJECT, TEXT))
    from tipnet.messaging.errors import NotFound

    with pytest.raises(NotFound):
        eve.read(sent["id"])
    with pytest.raises(NotFound):
        service.attachment(db, eve_who, sent["id"], 0)
    assert eve.mailbox() == {"inbox": [], "sent": []}


def test_canonical_form_refuses_what_javascript_would_write_differently():
    with pytest.raises(Malformed, match="ASCII"):
        wire.canonical({"a": "é"})
    with pytest.raises(Malformed, match="integers"):
        wire.canonical({"a": 1.5})
    assert wire.canonical({"b": [1, True, None], "a": "x"}) == b'{"a":"x","b":[1,true,null]}'


def test_operational_contacts_of_the_directory_are_marked(pair):
    from coop_helpers import OPERATOR, entry

    from tipnet.coop import directory as coop_directory

    db, (alice_who, alice), (bob_who, bob) = pair
    coop_directory.create(db, OPERATOR, entry("ECU", "Police Unit ECU", ["police"], ops_24_7=True,
                                              ops_phone="+000 247 0000", ops_email=bob_who.email.upper()))
    people = {p["user"]: p for p in service.directory(db, alice_who)}
    assert people[bob_who.user_id]["operational_for"] == "Police Unit ECU"
    assert people[alice_who.user_id]["operational_for"] is None


def test_the_store_holds_at_most_one_current_key_per_account(pair):
    from sqlalchemy.exc import IntegrityError

    from tipnet.store.tables_messaging import messaging_keys

    db, (alice_who, alice), _ = pair
    with db.engine.connect() as conn:
        row = dict(conn.execute(sa.select(messaging_keys).where(messaging_keys.c.user_id == alice_who.user_id))
                   .one()._mapping)
    with pytest.raises(IntegrityError), db.engine.begin() as conn:  # what a lost race would write
        conn.execute(sa.insert(messaging_keys).values({**row, "key_id": "f" * 64}))
    with db.engine.begin() as conn:  # a retired or revoked key beside the current one is fine
        conn.execute(sa.insert(messaging_keys).values({**row, "key_id": "e" * 64, "retired_at": row["created_at"]}))


def test_migration_matches_the_messaging_tables(db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from tipnet.store.tables import metadata

    names = ("messaging_keys", "messages", "message_recipients", "message_attachments", "message_receipts",
             "message_alerts")
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diff if any(f"'{n}'" in str(d) or f"<{n}>" in str(d) for n in names)] == []
