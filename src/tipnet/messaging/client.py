"""The user's side in Python (the browser has the same in static/tipnet-messaging.js): makes and unlocks keys,
encrypts and signs, opens and checks, signs receipts. Plaintext and unwrapped private keys live only here, in memory.

It talks to the server through a `Transport`; `LocalTransport` calls the server's functions in-process (the command
line holds the database), with the account as the principal. The client does not trust the server: it checks every
sender's key against that sender's signed key history and every signature and receipt itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from tipnet.auth.principal import Principal
from tipnet.messaging import envelope as env
from tipnet.messaging import keys as keymod
from tipnet.messaging import service, wire
from tipnet.messaging.errors import (
    BadSignature,
    Malformed,
    MessagingError,
    Tampered,
    UnknownKey,
    WrongPassphrase,
)
from tipnet.store import Database

log = logging.getLogger(__name__)


class Transport(Protocol):
    def own_keys(self) -> dict[str, Any]: ...
    def register_key(self, signed: dict[str, Any], wrapped: dict[str, Any]) -> dict[str, Any]: ...
    def revoke_key(self, key_id: str) -> dict[str, Any]: ...
    def directory(self) -> list[dict[str, Any]]: ...
    def key_history(self, user_id: int) -> list[dict[str, Any]]: ...
    def send(self, envelope: dict[str, Any]) -> dict[str, Any]: ...
    def mailbox(self) -> dict[str, Any]: ...
    def fetch(self, message_id: str) -> dict[str, Any]: ...
    def attachment(self, message_id: str, index: int) -> bytes: ...
    def add_receipt(self, message_id: str, signed: dict[str, Any]) -> dict[str, Any]: ...


@dataclass
class LocalTransport:
    db: Database
    who: Principal

    def own_keys(self) -> dict[str, Any]:
        return service.own_keys(self.db, self.who)

    def register_key(self, signed: dict[str, Any], wrapped: dict[str, Any]) -> dict[str, Any]:
        return service.register_key(self.db, self.who, signed, wrapped)

    def revoke_key(self, key_id: str) -> dict[str, Any]:
        return service.revoke_key(self.db, self.who, key_id)

    def directory(self) -> list[dict[str, Any]]:
        return service.directory(self.db, self.who)

    def key_history(self, user_id: int) -> list[dict[str, Any]]:
        return service.key_history(self.db, self.who, user_id)

    def send(self, envelope: dict[str, Any]) -> dict[str, Any]:
        return service.accept(self.db, self.who, envelope)

    def mailbox(self) -> dict[str, Any]:
        return service.mailbox(self.db, self.who)

    def fetch(self, message_id: str) -> dict[str, Any]:
        return service.fetch(self.db, self.who, message_id)

    def attachment(self, message_id: str, index: int) -> bytes:
        return service.attachment(self.db, self.who, message_id, index)

    def add_receipt(self, message_id: str, signed: dict[str, Any]) -> dict[str, Any]:
        return service.add_receipt(self.db, self.who, message_id, signed)


def verify_history(entries: list[dict[str, Any]], user: int) -> dict[str, keymod.PublicKeys]:
    """Check a user's key history, oldest first: each bundle self-signed, each rotation signed by the key it
    replaced. The first key is trusted on first use (compare its fingerprint out of band for certainty)."""
    known: dict[str, keymod.PublicKeys] = {}
    for entry in entries:
        prev_id = entry["bundle"].get("prev")
        previous = known.get(prev_id) if prev_id else None
        if prev_id and previous is None:
            raise BadSignature(f"key {entry['bundle']['key'][:16]} claims a previous key that is not in the history")
        keys = keymod.parse_bundle(entry, previous)
        if keys.user != user:
            raise BadSignature(f"key {keys.key_id[:16]} was made for user {keys.user}, not user {user}")
        known[keys.key_id] = keys
    return known


@dataclass
class Opened:
    id: str
    sender: int
    subject: str
    text: str
    attachments: list[dict[str, Any]]
    urgent: bool
    sent_at: str
    header: dict[str, Any]
    receipts: list[dict[str, Any]] = field(default_factory=list)
    contents: list[bytes] = field(default_factory=list)


class Client:
    def __init__(self, transport: Transport, user_id: int) -> None:
        self.transport = transport
        self.user = user_id
        self.identities: dict[str, keymod.Identity] = {}  # key id -> unlocked identity
        self.current: str | None = None
        self._histories: dict[int, dict[str, keymod.PublicKeys]] = {}

    # --- keys ---

    def create_identity(self, passphrase: str, opslimit: int = keymod.OPSLIMIT,
                        memlimit: int = keymod.MEMLIMIT) -> str:
        """A first key (or a fresh one after a revocation)."""
        identity = keymod.generate(self.user)
        signed = keymod.bundle(identity, service.utc_stamp())
        self.transport.register_key(signed, keymod.wrap(identity, passphrase, opslimit, memlimit))
        self.identities[identity.key_id], self.current = identity, identity.key_id
        self._histories.pop(self.user, None)
        return identity.key_id

    def unlock(self, passphrase: str) -> list[str]:
        """Unwrap every key of one's own that this passphrase opens (old keys too: they read old messages)."""
        mine = self.transport.own_keys()
        opened = []
        for entry in mine["keys"]:
            try:
                identity = keymod.unwrap(entry["wrapped"], passphrase, self.user)
            except WrongPassphrase:
                continue
            self.identities[identity.key_id] = identity
            opened.append(identity.key_id)
        if not opened:
            raise WrongPassphrase("the passphrase opens none of your keys")
        self.current = mine["current"] if mine["current"] in self.identities else None
        return opened

    def rotate(self, passphrase: str, opslimit: int = keymod.OPSLIMIT, memlimit: int = keymod.MEMLIMIT) -> str:
        """A new key, signed by the current one; the old one stays to read old messages."""
        old = self._me()
        identity = keymod.generate(self.user)
        signed = keymod.bundle(identity, service.utc_stamp(), previous=old)
        self.transport.register_key(signed, keymod.wrap(identity, passphrase, opslimit, memlimit))
        self.identities[identity.key_id], self.current = identity, identity.key_id
        self._histories.pop(self.user, None)
        return identity.key_id

    def revoke(self, key_id: str | None = None) -> None:
        target = key_id or self.current
        if target is None:
            raise UnknownKey("no key to revoke")
        self.transport.revoke_key(target)
        if target == self.current:
            self.current = None

    def _me(self) -> keymod.Identity:
        if self.current is None or self.current not in self.identities:
            raise UnknownKey("unlock your current key first (or create one)")
        return self.identities[self.current]

    def keys_of(self, user_id: int) -> dict[str, keymod.PublicKeys]:
        if user_id not in self._histories:
            self._histories[user_id] = verify_history(self.transport.key_history(user_id), user_id)
        return self._histories[user_id]

    # --- messages ---

    def send(self, to: list[int], plain: env.Plain, urgent: bool = False) -> dict[str, Any]:
        me = self._me()
        current = {e["user"]: e for e in self.transport.directory()}
        recipients = []
        for user_id in to:
            if user_id not in current:
                raise UnknownKey(f"user {user_id} has no key to receive secure messages")
            self._histories.pop(user_id, None)
            history = self.keys_of(user_id)
            key_id = current[user_id]["bundle"]["key"]
            if key_id not in history:
                raise BadSignature(f"the directory's key for user {user_id} is not in their signed history")
            recipients.append(history[key_id])
        seq = int(self.transport.own_keys()["next_seq"])
        envelope = env.seal(me, recipients, plain, seq, service.utc_stamp(), urgent)
        return self.transport.send(envelope)

    def _checked(self, item: dict[str, Any], attachments: list[bytes] | None = None) -> env.Checked:
        header = item["header"]
        sender = int(header["from"]["user"])
        keys = self.keys_of(sender).get(header["from"]["key"])
        if keys is None:
            self._histories.pop(sender, None)
            keys = self.keys_of(sender).get(header["from"]["key"])
        if keys is None:
            raise UnknownKey(f"message {header.get('id')} is signed with a key not in the sender's history")
        sizes = item.get("attachment_sizes", [])
        stand_in = attachments if attachments is not None else [b""] * len(sizes)
        envelope = {"header": header, "signature": item["signature"], "body": item["body"],
                    "attachments": [wire.b64(a) for a in stand_in]}
        if attachments is None:  # the listing carries no attachment contents: check what is there
            keymod.verify_signature(keys.verify_key, header, item["signature"], "message")
            body = wire.unb64(item["body"], "body")
            if wire.digest(body) != header["body"]["hash"]:
                raise Tampered(f"the body of message {header['id']} is not the one the sender signed")
            return env.Checked(env.parse_header(header), item["signature"], body, [], env.envelope_hash(header))
        return env.check(envelope, keys)

    def _open(self, item: dict[str, Any], attachments: list[bytes] | None = None) -> Opened:
        checked = self._checked(item, attachments)
        header = checked.header
        mine = next((r for r in header["to"] if r["user"] == self.user and r["key"] in self.identities), None)
        if mine is None:
            raise UnknownKey(f"message {header['id']} is for a key of yours that is not unlocked")
        sender_keys = self.keys_of(checked.sender)[checked.sender_key]
        key, body = env.open_body(self.identities[mine["key"]], checked, sender_keys)
        contents = [env.open_attachment(key, header, i, ct) for i, ct in enumerate(attachments or [])]
        return Opened(header["id"], checked.sender, str(body.get("subject", "")), str(body.get("text", "")),
                      list(body.get("attachments", [])), bool(header["urgent"]), header["sent_at"], header,
                      item.get("receipts", []), contents)

    def mailbox(self, receipts: bool = True) -> dict[str, list[Opened | dict[str, Any]]]:
        """Inbox and sent folder, opened and checked; a message that fails a check is listed with its error. Each
        inbox message that opens gets a signed delivery receipt (once)."""
        box = self.transport.mailbox()
        out: dict[str, list[Opened | dict[str, Any]]] = {"inbox": [], "sent": []}
        for folder in ("inbox", "sent"):
            for item in box[folder]:
                try:
                    opened = self._open(item)
                except (MessagingError, KeyError, ValueError) as exc:
                    log.warning("message %s could not be opened: %s", item.get("id"), exc)
                    out[folder].append({"id": item.get("id"), "error": str(getattr(exc, "message", exc))})
                    continue
                out[folder].append(opened)
                if receipts and folder == "inbox":
                    try:
                        self._sign_receipts(opened, item.get("receipts", []), ("delivered",))
                    except MessagingError as exc:
                        log.warning("no delivery receipt for %s: %s", opened.id, exc.message)
        return out

    def read(self, message_id: str, receipts: bool = True) -> Opened:
        """Open a message with its attachments; sign delivery and read receipts (once each)."""
        item = self.transport.fetch(message_id)
        contents = [self.transport.attachment(message_id, i) for i in range(len(item.get("attachment_sizes", [])))]
        opened = self._open(item, contents)
        if receipts and opened.sender != self.user:
            self._sign_receipts(opened, item.get("receipts", []), env.RECEIPT_KINDS)
        return opened

    def _sign_receipts(self, opened: Opened, given_receipts: list[dict[str, Any]], kinds: tuple[str, ...]) -> None:
        given = {(r["receipt"]["user"], r["receipt"]["kind"]) for r in given_receipts}
        mine = next(r for r in opened.header["to"] if r["user"] == self.user and r["key"] in self.identities)
        for kind in kinds:
            if (self.user, kind) not in given:
                signed = env.receipt(self.identities[mine["key"]], opened.header, kind, service.utc_stamp())
                self.transport.add_receipt(opened.id, signed)

    def verified_receipts(self, message_id: str) -> list[dict[str, Any]]:
        """The receipts of a message, each checked against its signer's key history; a forged one raises."""
        item = self.transport.fetch(message_id)
        header = item["header"]
        out = []
        for signed in item.get("receipts", []):
            body = env.parse_receipt(signed)
            signer = self.keys_of(int(body["user"])).get(body["key"])
            if signer is None:
                raise Malformed(f"receipt by user {body['user']} with a key not in their history")
            out.append(env.verify_receipt(signed, header, signer))
        return out
