"""The server's side of secure messaging: it registers public keys (and keeps wrapped private keys it cannot open),
checks envelopes and receipts before accepting them, and relays ciphertext to the people a message is addressed to.

Checks on every envelope: the sender is the signed-in account and signs with its current key (not retired, not
revoked); the Ed25519 signature covers the header; every ciphertext matches the hash and size signed for; every
recipient is an authority account addressed at its current key; the message id was never seen and the sequence number
is higher than any the sender used (replay); the time is within a few minutes of the server's clock. Every send,
fetch, receipt and key change is audited, with metadata only.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from tipnet.auth import audit, clock
from tipnet.auth.principal import Principal
from tipnet.auth.roles import Permission, Role, permissions
from tipnet.messaging import envelope as env
from tipnet.messaging import keys as keymod
from tipnet.messaging import wire
from tipnet.messaging.errors import Malformed, NotAllowed, NotFound, Replayed, RevokedKey, UnknownKey
from tipnet.store import Database
from tipnet.store.tables_auth import users
from tipnet.store.tables_messaging import (
    message_alerts,
    message_attachments,
    message_receipts,
    message_recipients,
    messages,
    messaging_keys,
)

MAX_CLOCK_SKEW = dt.timedelta(minutes=15)
MESSAGING_ROLES = frozenset(r for r in Role if Permission.MESSAGING in permissions(r))


def utc_stamp(when: dt.datetime | None = None) -> str:
    return (when or clock.now()).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _me(principal: Principal) -> int:
    if principal.user_id is None or not principal.can(Permission.MESSAGING):
        raise NotAllowed("secure messaging is for authority accounts")
    return principal.user_id


def _audit(db: Database, who: Principal, action: str, object_id: object, **details: Any) -> None:
    audit.record(db, who, action, object_type="message" if action.startswith("message.") else "messaging_key",
                 object_id=object_id, subject_country=who.country, details=details)


# --- keys -----------------------------------------------------------------------------------------------------------


def _key_row(conn: Connection, key_id: str) -> Any:
    return conn.execute(select(messaging_keys).where(messaging_keys.c.key_id == key_id)).first()


def _current(conn: Connection, user_id: int) -> Any:
    return conn.execute(select(messaging_keys).where(
        messaging_keys.c.user_id == user_id, messaging_keys.c.retired_at.is_(None),
        messaging_keys.c.revoked_at.is_(None))).first()


def _iso(value: dt.datetime | None) -> str | None:
    aware = clock.aware(value)
    return aware.isoformat() if aware is not None else None


def _public(row: Any) -> dict[str, Any]:
    return {"bundle": json.loads(row.bundle), "self_sig": row.self_sig, "prev_sig": row.prev_sig,
            "created_at": _iso(row.created_at), "retired_at": _iso(row.retired_at),
            "revoked_at": _iso(row.revoked_at)}


def register_key(db: Database, who: Principal, signed: Any, wrapped: Any) -> dict[str, Any]:
    """A new identity (first one, after a revocation, or a rotation signed by the current key)."""
    me = _me(who)
    blob = keymod.check_wrapped(wrapped)
    with db.engine.begin() as conn:
        current = _current(conn, me)
        previous = keymod.from_row(current.bundle) if current is not None else None
        keys = keymod.parse_bundle(signed, previous if (isinstance(signed, dict) and isinstance(
            signed.get("bundle"), dict) and signed["bundle"].get("prev")) else None)
        if keys.user != me:
            raise NotAllowed("an identity can only be registered for one's own account")
        if blob["key"] != keys.key_id:
            raise Malformed("the wrapped private key belongs to another key id")
        if current is not None and keys.prev != current.key_id:
            raise Malformed("you already have a key: a new one must be a rotation signed by it (or revoke it first)")
        if _key_row(conn, keys.key_id) is not None:
            raise Replayed(f"key {keys.key_id[:16]} is registered already")
        now = clock.now()
        if current is not None:
            conn.execute(update(messaging_keys).where(messaging_keys.c.key_id == current.key_id)
                         .values(retired_at=now))
        try:
            conn.execute(insert(messaging_keys).values(
                key_id=keys.key_id, user_id=me, bundle=wire.canonical(signed["bundle"]).decode("ascii"),
                self_sig=signed["self_sig"], prev_key=keys.prev, prev_sig=signed.get("prev_sig") if keys.prev else None,
                wrapped=json.dumps(blob, sort_keys=True), created_at=now))
        except IntegrityError as exc:
            raise Replayed("another key was registered for this account at the same time; try again") from exc
    _audit(db, who, "messaging.key_rotate" if keys.prev else "messaging.key_create", keys.key_id,
           previous=keys.prev)
    return {"key": keys.key_id, "prev": keys.prev}


def revoke_key(db: Database, who: Principal, key_id: str) -> dict[str, Any]:
    """Revoke one's own key (lost passphrase, suspected compromise): it neither sends nor receives any more."""
    me = _me(who)
    with db.engine.begin() as conn:
        row = _key_row(conn, key_id)
        if row is None or row.user_id != me:
            raise NotFound(f"you have no key {key_id[:16]}")
        if row.revoked_at is not None:
            raise RevokedKey(f"key {key_id[:16]} is revoked already")
        conn.execute(update(messaging_keys).where(messaging_keys.c.key_id == key_id)
                     .values(revoked_at=clock.now(), revoked_by=me))
    _audit(db, who, "messaging.key_revoke", key_id)
    return {"key": key_id, "revoked": True}


def own_keys(db: Database, who: Principal) -> dict[str, Any]:
    """One's keys, newest first, with the wrapped private keys (to unlock on one's own side) and the next sequence
    number to sign."""
    me = _me(who)
    with db.engine.connect() as conn:
        rows = conn.execute(select(messaging_keys).where(messaging_keys.c.user_id == me)
                            .order_by(messaging_keys.c.created_at.desc())).all()
        last = conn.execute(select(func.max(messages.c.seq)).where(messages.c.sender_id == me)).scalar()
    current = next((r.key_id for r in rows if r.retired_at is None and r.revoked_at is None), None)
    return {"user": me, "current": current, "next_seq": int(last or 0) + 1,
            "keys": [{**_public(r), "wrapped": json.loads(r.wrapped)} for r in rows]}


def key_history(db: Database, who: Principal, user_id: int) -> list[dict[str, Any]]:
    """A user's public bundles, oldest first: enough to follow and check the rotation chain."""
    _me(who)
    with db.engine.connect() as conn:
        rows = conn.execute(select(messaging_keys).where(messaging_keys.c.user_id == user_id)
                            .order_by(messaging_keys.c.created_at)).all()
    return [_public(r) for r in rows]


def _operational(db: Database) -> dict[str, str]:
    """E-mail -> authority, for the 24/7 operational contacts of the cooperation directory."""
    from tipnet.coop import directory as coop_directory

    return {str(a.doc["ops_email"]).strip().lower(): a.name for a in coop_directory.listing(db)
            if a.doc.get("ops_24_7") and a.doc.get("ops_email")}


def directory(db: Database, who: Principal) -> list[dict[str, Any]]:
    """Authority accounts that can receive messages now (an account with a current key), with that key; accounts
    that are a 24/7 operational contact in the cooperation directory say for which authority."""
    _me(who)
    operational = _operational(db)
    q = (select(users.c.id, users.c.email, users.c.display_name, users.c.role, users.c.country,
                messaging_keys.c.bundle, messaging_keys.c.self_sig)
         .join(messaging_keys, and_(messaging_keys.c.user_id == users.c.id, messaging_keys.c.retired_at.is_(None),
                                    messaging_keys.c.revoked_at.is_(None)))
         .where(users.c.disabled.is_(False), users.c.role.in_([r.value for r in MESSAGING_ROLES]))
         .order_by(users.c.country, users.c.email))
    with db.engine.connect() as conn:
        return [{"user": r.id, "email": r.email, "name": r.display_name or r.email, "role": r.role,
                 "country": r.country, "operational_for": operational.get(r.email.lower()),
                 "bundle": json.loads(r.bundle), "self_sig": r.self_sig}
                for r in conn.execute(q)]


# --- envelopes ------------------------------------------------------------------------------------------------------


def _sender_keys(conn: Connection, user_id: int, key_id: str) -> keymod.PublicKeys:
    row = _key_row(conn, key_id)
    if row is None or row.user_id != user_id:
        raise UnknownKey(f"key {key_id[:16]} is not a key of user {user_id}")
    if row.revoked_at is not None:
        raise RevokedKey(f"key {key_id[:16]} was revoked; messages signed with it are refused")
    return keymod.from_row(row.bundle)


def accept(db: Database, who: Principal, envelope: Any) -> dict[str, Any]:
    """Check and store an envelope; returns its id and hash. Raises a MessagingError naming what is wrong."""
    me = _me(who)
    header = env.parse_header(wire.field(envelope, "header", dict, "envelope"))
    if header["from"]["user"] != me:
        raise NotAllowed("the envelope names another sender than the signed-in account")
    now = clock.now()
    with db.engine.begin() as conn:
        sender_row = _key_row(conn, header["from"]["key"])
        keys = _sender_keys(conn, me, header["from"]["key"])
        if sender_row.retired_at is not None:
            raise UnknownKey("this key was replaced by a newer one: sign with your current key")
        checked = env.check(envelope, keys)
        sent = dt.datetime.strptime(header["sent_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        if abs(now - sent) > MAX_CLOCK_SKEW:
            raise Replayed(f"the message was signed at {header['sent_at']}, more than "
                           f"{int(MAX_CLOCK_SKEW.total_seconds() // 60)} minutes from the server's time")
        if conn.execute(select(messages.c.id).where(messages.c.id == checked.id)).first() is not None:
            raise Replayed(f"message {checked.id} was accepted before (replay)")
        last = conn.execute(select(func.max(messages.c.seq)).where(messages.c.sender_id == me)).scalar()
        if last is not None and checked.seq <= int(last):
            raise Replayed(f"sequence number {checked.seq} is not above {last}, the last one this sender used "
                           "(replay)")
        _check_recipients(conn, checked, me)
        try:
            _store(conn, checked, now)
        except IntegrityError as exc:
            raise Replayed(f"message {checked.id} or sequence {checked.seq} was accepted before (replay)") from exc
    _audit(db, who, "message.send", checked.id, recipients=[u for u, _ in checked.recipients if u != me],
           urgent=bool(header["urgent"]), attachments=len(checked.attachments),
           bytes=len(checked.body) + sum(len(a) for a in checked.attachments))
    return {"id": checked.id, "envelope_hash": checked.envelope_hash, "seq": checked.seq}


def _check_recipients(conn: Connection, checked: env.Checked, me: int) -> None:
    for user_id, key_id in checked.recipients:
        person = conn.execute(select(users.c.role, users.c.disabled).where(users.c.id == user_id)).first()
        if person is None or person.disabled or person.role not in {r.value for r in MESSAGING_ROLES}:
            raise UnknownKey(f"user {user_id} cannot receive secure messages")
        row = _key_row(conn, key_id)
        if row is None or row.user_id != user_id:
            raise UnknownKey(f"key {key_id[:16]} is not a key of user {user_id}")
        if row.revoked_at is not None:
            raise RevokedKey(f"the key of user {user_id} ({key_id[:16]}) was revoked: fetch their new key")
        if row.retired_at is not None and user_id != me:
            raise UnknownKey(f"user {user_id} has a newer key than {key_id[:16]}: fetch it and encrypt again")


def _store(conn: Connection, checked: env.Checked, now: dt.datetime) -> None:
    header = checked.header
    conn.execute(insert(messages).values(
        id=checked.id, sender_id=checked.sender, sender_key=checked.sender_key, seq=checked.seq,
        sent_at=header["sent_at"], received_at=now, urgent=bool(header["urgent"]),
        header=wire.canonical(header).decode("ascii"), signature=checked.signature,
        envelope_hash=checked.envelope_hash, body=checked.body))
    for user_id, key_id in checked.recipients:
        conn.execute(insert(message_recipients).values(message_id=checked.id, user_id=user_id, key_id=key_id,
                                                       is_sender=user_id == checked.sender))
        if header["urgent"] and user_id != checked.sender:
            conn.execute(insert(message_alerts).values(message_id=checked.id, user_id=user_id, created_at=now))
    for i, ct in enumerate(checked.attachments):
        conn.execute(insert(message_attachments).values(message_id=checked.id, idx=i, content=ct, size=len(ct)))


def _visible(conn: Connection, me: int, message_id: str) -> Any:
    row = conn.execute(select(message_recipients).where(message_recipients.c.message_id == message_id,
                                                        message_recipients.c.user_id == me)).first()
    if row is None:
        raise NotFound(f"no message {message_id[:32]} for you")
    return row


def _receipts(conn: Connection, message_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {m: [] for m in message_ids}
    if not message_ids:
        return out
    rows = conn.execute(select(message_receipts).where(message_receipts.c.message_id.in_(message_ids))
                        .order_by(message_receipts.c.id)).all()
    for r in rows:
        out[r.message_id].append({"receipt": json.loads(r.receipt), "signature": r.signature})
    return out


def _listing_row(r: Any, sizes: dict[str, list[int]], receipts: list[dict[str, Any]],
                 alert: Any) -> dict[str, Any]:
    return {"id": r.id, "header": json.loads(r.header), "signature": r.signature, "body": wire.b64(r.body),
            "envelope_hash": r.envelope_hash, "attachment_sizes": sizes.get(r.id, []),
            "received_at": _iso(r.received_at), "urgent": bool(r.urgent),
            "sender": r.sender_id, "receipts": receipts,
            "alert": None if alert is None else {"id": alert.id, "acknowledged": alert.acknowledged_at is not None}}


def mailbox(db: Database, who: Principal, limit: int = 200) -> dict[str, Any]:
    """Inbox and sent folder, newest first (urgent unacknowledged first in the inbox): envelopes with the encrypted
    body, attachment sizes (not contents) and receipts. Only the client can read them."""
    me = _me(who)
    with db.engine.connect() as conn:
        q = (select(messages, message_recipients.c.is_sender)
             .join(message_recipients, message_recipients.c.message_id == messages.c.id)
             .where(message_recipients.c.user_id == me).order_by(messages.c.received_at.desc()).limit(limit))
        rows = conn.execute(q).all()
        ids = [r.id for r in rows]
        sizes: dict[str, list[int]] = {}
        if ids:
            for a in conn.execute(select(message_attachments.c.message_id, message_attachments.c.size)
                                  .where(message_attachments.c.message_id.in_(ids))
                                  .order_by(message_attachments.c.idx)):
                sizes.setdefault(a.message_id, []).append(int(a.size))
        receipts = _receipts(conn, ids)
        alerts = {a.message_id: a for a in conn.execute(select(message_alerts).where(
            message_alerts.c.user_id == me, message_alerts.c.message_id.in_(ids)))} if ids else {}
    inbox = [_listing_row(r, sizes, receipts[r.id], alerts.get(r.id)) for r in rows if not r.is_sender]
    inbox.sort(key=lambda m: not (m["alert"] is not None and not m["alert"]["acknowledged"]))
    sent = [_listing_row(r, sizes, receipts[r.id], None) for r in rows if r.is_sender]
    _audit(db, who, "message.list", None, inbox=len(inbox), sent=len(sent))
    return {"user": me, "inbox": inbox, "sent": sent,
            "alerts": sum(1 for m in inbox if m["alert"] and not m["alert"]["acknowledged"])}


def fetch(db: Database, who: Principal, message_id: str) -> dict[str, Any]:
    me = _me(who)
    with db.engine.connect() as conn:
        _visible(conn, me, message_id)
        r = conn.execute(select(messages).where(messages.c.id == message_id)).one()
        sizes = [int(s) for s in conn.execute(select(message_attachments.c.size).where(
            message_attachments.c.message_id == message_id).order_by(message_attachments.c.idx)).scalars()]
        receipts = _receipts(conn, [message_id])[message_id]
        alert = conn.execute(select(message_alerts).where(message_alerts.c.user_id == me,
                                                          message_alerts.c.message_id == message_id)).first()
    _audit(db, who, "message.fetch", message_id)
    return _listing_row(r, {message_id: sizes}, receipts, alert)


def attachment(db: Database, who: Principal, message_id: str, index: int) -> bytes:
    me = _me(who)
    with db.engine.connect() as conn:
        _visible(conn, me, message_id)
        content = conn.execute(select(message_attachments.c.content).where(
            message_attachments.c.message_id == message_id, message_attachments.c.idx == index)).scalar()
    if content is None:
        raise NotFound(f"message {message_id} has no attachment {index}")
    _audit(db, who, "message.attachment", message_id, index=index)
    return bytes(content)


def add_receipt(db: Database, who: Principal, message_id: str, signed: Any) -> dict[str, Any]:
    """Store a delivery or read receipt after checking it against the stored header and the recipient's key."""
    me = _me(who)
    body = env.parse_receipt(signed)
    if body["message"] != message_id or body["user"] != me:
        raise Malformed("the receipt is for another message or another account")
    with db.engine.begin() as conn:
        rcpt = _visible(conn, me, message_id)
        if rcpt.is_sender:
            raise Malformed("the sender does not sign receipts for their own message")
        row = conn.execute(select(messages.c.header).where(messages.c.id == message_id)).one()
        signer = _key_row(conn, body["key"])
        if signer is None or signer.user_id != me:
            raise UnknownKey(f"key {body['key'][:16]} is not yours")
        if signer.revoked_at is not None:
            raise RevokedKey(f"key {body['key'][:16]} was revoked; it cannot sign receipts")
        env.verify_receipt(signed, json.loads(row.header), keymod.from_row(signer.bundle))
        try:
            conn.execute(insert(message_receipts).values(
                message_id=message_id, user_id=me, kind=body["kind"], key_id=body["key"],
                receipt=wire.canonical(body).decode("ascii"), signature=signed["signature"],
                received_at=clock.now()))
        except IntegrityError as exc:
            raise Replayed(f"a {body['kind']} receipt for {message_id} was given before") from exc
        if body["kind"] == "read":
            conn.execute(update(message_alerts).where(message_alerts.c.message_id == message_id,
                                                      message_alerts.c.user_id == me,
                                                      message_alerts.c.acknowledged_at.is_(None))
                         .values(acknowledged_at=clock.now()))
    _audit(db, who, f"message.{body['kind']}", message_id)
    return {"message": message_id, "kind": body["kind"]}


def alerts(db: Database, who: Principal) -> list[dict[str, Any]]:
    """Open urgent alerts: who sent what when; no content (the content is encrypted)."""
    me = _me(who)
    q = (select(message_alerts.c.id, message_alerts.c.message_id, message_alerts.c.created_at, users.c.email,
                users.c.country)
         .join(messages, messages.c.id == message_alerts.c.message_id)
         .join(users, users.c.id == messages.c.sender_id)
         .where(message_alerts.c.user_id == me, message_alerts.c.acknowledged_at.is_(None))
         .order_by(message_alerts.c.created_at.desc()))
    with db.engine.connect() as conn:
        return [{"id": r.id, "message": r.message_id, "from": r.email, "country": r.country,
                 "at": _iso(r.created_at)} for r in conn.execute(q)]


def acknowledge(db: Database, who: Principal, alert_id: int) -> dict[str, Any]:
    me = _me(who)
    with db.engine.begin() as conn:
        done = conn.execute(update(message_alerts).where(message_alerts.c.id == alert_id,
                                                         message_alerts.c.user_id == me)
                            .values(acknowledged_at=clock.now())).rowcount
    if not done:
        raise NotFound(f"no alert {alert_id} for you")
    _audit(db, who, "message.alert_ack", alert_id)
    return {"alert": alert_id, "acknowledged": True}
