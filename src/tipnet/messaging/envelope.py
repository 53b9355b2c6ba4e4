"""Envelopes and receipts: sealing and opening on the user's side, checking on the server's.

A message gets a fresh random 32-byte key. The body (JSON: subject, text, attachment names; padded to a multiple of
512 bytes) and each attachment are encrypted with XChaCha20-Poly1305 under that key, with associated data naming the
message id and the part, so a ciphertext cannot be moved to another message or slot. The key is put in a crypto_box
(X25519, XSalsa20-Poly1305) for each recipient's current key and for the sender's own (the sent folder). The sender
signs (Ed25519) the canonical header: ids, sender and key, per-sender sequence number, time, urgency, recipients with
their key ids and boxed keys, and the BLAKE2b-256 hash and size of every ciphertext. The server checks the signature
and the hashes and keeps ciphertext only.

A receipt ("delivered" or "read") is signed by the recipient over the message id and the hash of the header.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import nacl.bindings as sodium
import nacl.exceptions
import nacl.utils
from nacl.public import Box

from tipnet.messaging import wire
from tipnet.messaging.errors import Malformed, Tampered
from tipnet.messaging.keys import Identity, PublicKeys, verify_signature

_BOX_MAC = 16  # Poly1305 tag of a crypto_box
PAD_BLOCK = 512  # the body is padded (ISO/IEC 7816-4, sodium_pad) to a multiple of this: its length tells little
MAX_BODY_BYTES = 256 * 1024  # the encrypted body (subject, text, attachment names)
MAX_ATTACHMENT_BYTES = 8 * 1024**2  # one encrypted attachment
MAX_ATTACHMENTS = 5
MAX_RECIPIENTS = 50
RECEIPT_KINDS = ("delivered", "read")
_AEAD_NONCE = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
_AEAD_TAG = sodium.crypto_aead_xchacha20poly1305_ietf_ABYTES
_BOX_NONCE = Box.NONCE_SIZE


def aad(message_id: str, part: str) -> bytes:
    return f"tipnet/message/v1/{message_id}/{part}".encode("ascii")


@dataclass
class Attachment:
    name: str
    content: bytes
    type: str = "application/octet-stream"


@dataclass
class Plain:
    """What a person wrote: never leaves the user's side unencrypted."""

    subject: str
    text: str
    attachments: list[Attachment] = field(default_factory=list)


def _encrypt(key: bytes, message_id: str, part: str, data: bytes) -> tuple[dict[str, Any], bytes]:
    nonce = nacl.utils.random(_AEAD_NONCE)
    ct = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(data, aad(message_id, part), nonce, key)
    return {"nonce": wire.b64(nonce), "hash": wire.digest(ct), "size": len(ct)}, ct


def seal(sender: Identity, recipients: list[PublicKeys], plain: Plain, seq: int, sent_at: str,
         urgent: bool = False) -> dict[str, Any]:
    """The envelope to send: {header, signature, body, attachments} (ciphertexts in base64)."""
    message_id = nacl.utils.random(16).hex()
    key = nacl.utils.random(32)
    listing = [{"name": a.name, "type": a.type, "size": len(a.content)} for a in plain.attachments]
    body_plain = json.dumps({"subject": plain.subject, "text": plain.text, "attachments": listing},
                            ensure_ascii=False).encode("utf-8")
    body_meta, body_ct = _encrypt(key, message_id, "body", sodium.sodium_pad(body_plain, PAD_BLOCK))
    parts = [_encrypt(key, message_id, f"attachment/{i}", a.content) for i, a in enumerate(plain.attachments)]
    to = []
    seen: set[int] = set()
    for rcpt in [*recipients, _own(sender)]:
        if rcpt.user in seen:
            continue
        seen.add(rcpt.user)
        nonce = nacl.utils.random(_BOX_NONCE)
        boxed = Box(sender.box, rcpt.box_key).encrypt(key, nonce).ciphertext
        to.append({"user": rcpt.user, "key": rcpt.key_id, "nonce": wire.b64(nonce), "wrapped": wire.b64(boxed)})
    header = {"v": wire.VERSION, "type": "tipnet.message", "id": message_id,
              "from": {"user": sender.user, "key": sender.key_id}, "seq": seq, "sent_at": sent_at,
              "urgent": bool(urgent), "to": to, "body": body_meta, "attachments": [m for m, _ in parts]}
    return {"header": header, "signature": sender.signed(header), "body": wire.b64(body_ct),
            "attachments": [wire.b64(ct) for _, ct in parts]}


def _own(identity: Identity) -> PublicKeys:
    return PublicKeys(identity.user, identity.key_id, identity.sign_pk, identity.box_pk, None, "")


def envelope_hash(header: dict[str, Any]) -> str:
    return wire.digest(wire.canonical(header))


# --- checking (server and client) ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    header: dict[str, Any]
    signature: str
    body: bytes
    attachments: list[bytes]
    envelope_hash: str

    @property
    def id(self) -> str:
        return str(self.header["id"])

    @property
    def sender(self) -> int:
        return int(self.header["from"]["user"])

    @property
    def sender_key(self) -> str:
        return str(self.header["from"]["key"])

    @property
    def seq(self) -> int:
        return int(self.header["seq"])

    @property
    def recipients(self) -> list[tuple[int, str]]:
        return [(int(r["user"]), str(r["key"])) for r in self.header["to"]]


def parse_header(header: Any) -> dict[str, Any]:
    """Structure and limits of a header (no keys needed)."""
    w = "envelope.header"
    if wire.field(header, "type", str, w) != "tipnet.message" or header.get("v") != wire.VERSION:
        raise Malformed(f"{w}: not a version {wire.VERSION} message")
    wire.matching(header, "id", wire.ID_RE, w, "a message id (32 hex digits)")
    sender = wire.field(header, "from", dict, w)
    wire.field(sender, "user", int, f"{w}.from")
    wire.matching(sender, "key", wire.KEY_RE, f"{w}.from", "a key id")
    if not 1 <= wire.field(header, "seq", int, w) <= 2**31 - 1:
        raise Malformed(f"{w}.seq: must be between 1 and {2**31 - 1}")
    wire.matching(header, "sent_at", wire.TIME_RE, w, "a UTC time (YYYY-MM-DDTHH:MM:SSZ)")
    wire.field(header, "urgent", bool, w)
    to = wire.field(header, "to", list, w)
    if not 1 <= len(to) <= MAX_RECIPIENTS + 1:
        raise Malformed(f"{w}.to: between 1 and {MAX_RECIPIENTS} recipients (and the sender)")
    users = [wire.field(r, "user", int, f"{w}.to[{i}]") for i, r in enumerate(to)]
    if len(set(users)) != len(users):
        raise Malformed(f"{w}.to: a recipient is listed twice")
    for i, r in enumerate(to):
        wire.matching(r, "key", wire.KEY_RE, f"{w}.to[{i}]", "a key id")
        wire.unb64(r.get("nonce"), f"{w}.to[{i}].nonce", _BOX_NONCE)
        wire.unb64(r.get("wrapped"), f"{w}.to[{i}].wrapped", 32 + _BOX_MAC)
    if sender["user"] not in users:
        raise Malformed(f"{w}.to: the sender must be among the recipients (the sent folder)")
    _part(wire.field(header, "body", dict, w), f"{w}.body", MAX_BODY_BYTES)
    atts = wire.field(header, "attachments", list, w)
    if len(atts) > MAX_ATTACHMENTS:
        raise Malformed(f"{w}.attachments: at most {MAX_ATTACHMENTS} attachments")
    for i, a in enumerate(atts):
        _part(a, f"{w}.attachments[{i}]", MAX_ATTACHMENT_BYTES + _AEAD_TAG)
    wire.canonical(header)  # ASCII, integers
    return dict(header)


def _part(meta: Any, where: str, limit: int) -> None:
    from tipnet.messaging.errors import TooLarge

    wire.unb64(meta.get("nonce") if isinstance(meta, dict) else None, f"{where}.nonce", _AEAD_NONCE)
    wire.matching(meta, "hash", wire.HASH_RE, where, "a BLAKE2b-256 hash")
    size = wire.field(meta, "size", int, where)
    if size > limit:
        raise TooLarge(f"{where}: {size} bytes is more than the limit of {limit} bytes")


def check(envelope: Any, sender_keys: PublicKeys) -> Checked:
    """Everything that can be checked without a private key: structure, the sender's signature, and that every
    ciphertext is the one signed for (hash and size). Raises Malformed, BadSignature or Tampered."""
    w = "envelope"
    header = parse_header(wire.field(envelope, "header", dict, w))
    if header["from"]["key"] != sender_keys.key_id or header["from"]["user"] != sender_keys.user:
        raise Malformed(f"{w}: signed with key {header['from']['key'][:16]}, not the sender's key "
                        f"{sender_keys.key_id[:16]}")
    verify_signature(sender_keys.verify_key, header, envelope.get("signature"), "message")
    body = wire.unb64(envelope.get("body"), f"{w}.body")
    atts_b64 = wire.field(envelope, "attachments", list, w)
    if len(atts_b64) != len(header["attachments"]):
        raise Tampered(f"{w}: {len(atts_b64)} attachments sent, {len(header['attachments'])} signed for")
    atts = [wire.unb64(a, f"{w}.attachments[{i}]") for i, a in enumerate(atts_b64)]
    for name, ct, meta in [("body", body, header["body"]),
                           *((f"attachment {i}", ct, header["attachments"][i]) for i, ct in enumerate(atts))]:
        if len(ct) != meta["size"] or wire.digest(ct) != meta["hash"]:
            raise Tampered(f"the {name} of message {header['id']} is not the ciphertext the sender signed")
    return Checked(header, str(envelope["signature"]), body, atts, envelope_hash(header))


# --- opening (the recipient's side) ---------------------------------------------------------------------------------


def message_key(me: Identity, header: dict[str, Any], sender_keys: PublicKeys) -> bytes:
    entry = next((r for r in header["to"] if r["user"] == me.user and r["key"] == me.key_id), None)
    if entry is None:
        raise Malformed(f"message {header['id']} is not addressed to key {me.key_id[:16]}")
    try:
        return Box(me.box, sender_keys.box_key).decrypt(wire.unb64(entry["wrapped"], "wrapped"),
                                                        wire.unb64(entry["nonce"], "nonce"))
    except nacl.exceptions.CryptoError as exc:
        raise Tampered(f"the message key of {header['id']} does not open") from exc


def decrypt_part(key: bytes, header: dict[str, Any], part: str, meta: dict[str, Any], ct: bytes) -> bytes:
    if wire.digest(ct) != meta["hash"]:
        raise Tampered(f"the {part} of message {header['id']} is not the ciphertext the sender signed")
    try:
        return bytes(sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
            ct, aad(header["id"], part), wire.unb64(meta["nonce"], "nonce"), key))
    except nacl.exceptions.CryptoError as exc:
        raise Tampered(f"the {part} of message {header['id']} does not decrypt") from exc


def open_body(me: Identity, checked: Checked, sender_keys: PublicKeys) -> tuple[bytes, dict[str, Any]]:
    """(message key, body) for a message checked against its sender's key."""
    key = message_key(me, checked.header, sender_keys)
    padded = decrypt_part(key, checked.header, "body", checked.header["body"], checked.body)
    try:
        body = json.loads(sodium.sodium_unpad(padded, PAD_BLOCK))
    except (ValueError, nacl.exceptions.CryptoError) as exc:
        raise Tampered(f"the body of message {checked.header['id']} is not padded as it should be") from exc
    return key, body


def open_attachment(key: bytes, header: dict[str, Any], index: int, ct: bytes) -> bytes:
    return decrypt_part(key, header, f"attachment/{index}", header["attachments"][index], ct)


# --- receipts -------------------------------------------------------------------------------------------------------


def receipt(me: Identity, header: dict[str, Any], kind: str, at: str) -> dict[str, Any]:
    body = {"v": wire.VERSION, "type": "tipnet.receipt", "kind": kind, "message": header["id"],
            "envelope": envelope_hash(header), "user": me.user, "key": me.key_id, "at": at}
    return {"receipt": body, "signature": me.signed(body)}


def parse_receipt(signed: Any) -> dict[str, Any]:
    w = "receipt"
    body = wire.field(signed, "receipt", dict, w)
    if wire.field(body, "type", str, w) != "tipnet.receipt" or body.get("v") != wire.VERSION:
        raise Malformed(f"{w}: not a version {wire.VERSION} receipt")
    if wire.field(body, "kind", str, w) not in RECEIPT_KINDS:
        raise Malformed(f"{w}.kind: one of {', '.join(RECEIPT_KINDS)}")
    wire.matching(body, "message", wire.ID_RE, w, "a message id")
    wire.matching(body, "envelope", wire.HASH_RE, w, "an envelope hash")
    wire.field(body, "user", int, w)
    wire.matching(body, "key", wire.KEY_RE, w, "a key id")
    wire.matching(body, "at", wire.TIME_RE, w, "a UTC time")
    wire.canonical(body)
    return dict(body)


def verify_receipt(signed: Any, header: dict[str, Any], signer: PublicKeys) -> dict[str, Any]:
    """A receipt is proof only if the recipient's key signed it over this very header."""
    body = parse_receipt(signed)
    if body["message"] != header["id"] or body["envelope"] != envelope_hash(header):
        raise Tampered(f"the receipt is for another message or another version of {header['id']}")
    if body["user"] != signer.user or body["key"] != signer.key_id:
        raise Malformed("the receipt names another signer than the key it is checked against")
    if (body["user"], body["key"]) not in {(int(r["user"]), str(r["key"])) for r in header["to"]}:
        raise Malformed(f"user {body['user']} with that key is not a recipient of {header['id']}")
    verify_signature(signer.verify_key, body, signed.get("signature"), "receipt")
    return body
