"""Identities: an Ed25519 signing key and an X25519 box key per account, made on the user's side.

The private halves leave the user's side only wrapped: argon2id (`crypto_pwhash`, parameters stored with the blob)
turns the passphrase into a key for a SecretBox (XSalsa20-Poly1305) over `sign_seed || box_secret`. The server keeps
the wrapped blob (so the user can unlock on another machine) and the public bundle.

A public bundle is signed by its own signing key; on rotation it also carries `prev` and a signature by the previous
signing key, so whoever trusted the old key can follow the chain to the new one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.signing
import nacl.utils
from nacl.public import PrivateKey, PublicKey

from tipnet.messaging import wire
from tipnet.messaging.errors import BadSignature, Malformed, WrongPassphrase

KDF = "argon2id13"
# argon2id cost: libsodium's "interactive" limits (64 MiB, 2 passes) keep unlocking quick in a browser; the cost is
# stored with each blob, so stronger settings can be chosen later without breaking old blobs.
OPSLIMIT = nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE
MEMLIMIT = nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE
_MIN_OPS, _MAX_MEM = 1, 1024 * 1024**2


@dataclass(frozen=True)
class Identity:
    """A private identity, unwrapped: only ever in the memory of the user's own client."""

    user: int
    sign: nacl.signing.SigningKey
    box: PrivateKey

    @property
    def sign_pk(self) -> bytes:
        return bytes(self.sign.verify_key)

    @property
    def box_pk(self) -> bytes:
        return bytes(self.box.public_key)

    @property
    def key_id(self) -> str:
        return wire.key_id(self.sign_pk, self.box_pk)

    def secret_bytes(self) -> bytes:
        return bytes(self.sign) + bytes(self.box)

    def signed(self, obj: dict[str, Any]) -> str:
        return wire.b64(self.sign.sign(wire.canonical(obj)).signature)


def generate(user: int) -> Identity:
    return Identity(user, nacl.signing.SigningKey.generate(), PrivateKey.generate())


def wrap(identity: Identity, passphrase: str, opslimit: int = OPSLIMIT, memlimit: int = MEMLIMIT) -> dict[str, Any]:
    """The passphrase-wrapped private keys, as stored on the server."""
    salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
    key = nacl.pwhash.argon2id.kdf(nacl.secret.SecretBox.KEY_SIZE, passphrase.encode("utf-8"), salt,
                                   opslimit=opslimit, memlimit=memlimit)
    nonce = nacl.utils.random(nacl.secret.SecretBox.NONCE_SIZE)
    sealed = nacl.secret.SecretBox(key).encrypt(identity.secret_bytes(), nonce).ciphertext
    return {"v": wire.VERSION, "kdf": KDF, "ops": opslimit, "mem": memlimit, "salt": wire.b64(salt),
            "nonce": wire.b64(nonce), "ct": wire.b64(sealed), "key": identity.key_id}


def check_wrapped(blob: Any) -> dict[str, Any]:
    """Structure only (the server cannot open it)."""
    where = "wrapped key"
    if wire.field(blob, "kdf", str, where) != KDF:
        raise Malformed(f"{where}: unsupported key derivation {blob['kdf']!r} (use {KDF})")
    ops, mem = wire.field(blob, "ops", int, where), wire.field(blob, "mem", int, where)
    if ops < _MIN_OPS or not 8192 <= mem <= _MAX_MEM:
        raise Malformed(f"{where}: argon2id limits out of range (ops={ops}, mem={mem})")
    wire.unb64(blob.get("salt"), f"{where}.salt", nacl.pwhash.argon2id.SALTBYTES)
    wire.unb64(blob.get("nonce"), f"{where}.nonce", nacl.secret.SecretBox.NONCE_SIZE)
    wire.unb64(blob.get("ct"), f"{where}.ct", 64 + nacl.secret.SecretBox.MACBYTES)
    wire.matching(blob, "key", wire.KEY_RE, where, "a key id")
    return {k: blob[k] for k in ("v", "kdf", "ops", "mem", "salt", "nonce", "ct", "key")}


def unwrap(blob: dict[str, Any], passphrase: str, user: int) -> Identity:
    """Open a wrapped identity; a wrong passphrase (or a changed blob) raises WrongPassphrase."""
    check_wrapped(blob)
    salt = wire.unb64(blob["salt"], "salt")
    key = nacl.pwhash.argon2id.kdf(nacl.secret.SecretBox.KEY_SIZE, passphrase.encode("utf-8"), salt,
                                   opslimit=int(blob["ops"]), memlimit=int(blob["mem"]))
    try:
        raw = nacl.secret.SecretBox(key).decrypt(wire.unb64(blob["ct"], "ct"), wire.unb64(blob["nonce"], "nonce"))
    except nacl.exceptions.CryptoError as exc:
        raise WrongPassphrase("the passphrase does not unlock this key") from exc
    identity = Identity(user, nacl.signing.SigningKey(raw[:32]), PrivateKey(raw[32:]))
    if identity.key_id != blob["key"]:
        raise WrongPassphrase("the unlocked key does not match its fingerprint")
    return identity


# --- public bundles -------------------------------------------------------------------------------------------------


def bundle(identity: Identity, created_at: str, previous: Identity | None = None) -> dict[str, Any]:
    """The signed public bundle to register (first key, or a rotation signed by the previous key)."""
    body = {"v": wire.VERSION, "type": "tipnet.identity", "user": identity.user, "key": identity.key_id,
            "sign_pk": wire.b64(identity.sign_pk), "box_pk": wire.b64(identity.box_pk), "created_at": created_at,
            "prev": previous.key_id if previous else None}
    return {"bundle": body, "self_sig": identity.signed(body),
            "prev_sig": previous.signed(body) if previous else None}


@dataclass(frozen=True)
class PublicKeys:
    user: int
    key_id: str
    sign_pk: bytes
    box_pk: bytes
    prev: str | None
    created_at: str

    @property
    def verify_key(self) -> nacl.signing.VerifyKey:
        return nacl.signing.VerifyKey(self.sign_pk)

    @property
    def box_key(self) -> PublicKey:
        return PublicKey(self.box_pk)


def verify_signature(verify_key: nacl.signing.VerifyKey, obj: dict[str, Any], signature: Any, what: str) -> None:
    sig = wire.unb64(signature, f"{what} signature", 64)
    try:
        verify_key.verify(wire.canonical(obj), sig)
    except nacl.exceptions.BadSignatureError as exc:
        raise BadSignature(f"the {what} signature does not verify") from exc


def parse_bundle(signed: Any, previous: PublicKeys | None = None) -> PublicKeys:
    """Check a signed bundle: fields, fingerprint, self-signature, and the previous key's signature when it
    claims one (`previous` must then be that key)."""
    where = "identity"
    body = wire.field(signed, "bundle", dict, where)
    if wire.field(body, "type", str, where) != "tipnet.identity" or body.get("v") != wire.VERSION:
        raise Malformed(f"{where}: not a version {wire.VERSION} identity bundle")
    user = wire.field(body, "user", int, where)
    kid = wire.matching(body, "key", wire.KEY_RE, where, "a key id")
    sign_pk = wire.unb64(body.get("sign_pk"), f"{where}.sign_pk", 32)
    box_pk = wire.unb64(body.get("box_pk"), f"{where}.box_pk", 32)
    created = wire.matching(body, "created_at", wire.TIME_RE, where, "a UTC time (YYYY-MM-DDTHH:MM:SSZ)")
    if wire.key_id(sign_pk, box_pk) != kid:
        raise Malformed(f"{where}: the key id is not the fingerprint of its public keys")
    keys = PublicKeys(user, kid, sign_pk, box_pk, body.get("prev"), created)
    verify_signature(keys.verify_key, body, signed.get("self_sig"), "identity self")
    if keys.prev is not None:
        if previous is None or previous.key_id != keys.prev:
            raise Malformed(f"{where}: it names a previous key {str(keys.prev)[:16]} that is not the current one")
        verify_signature(previous.verify_key, body, signed.get("prev_sig"), "key rotation")
    return keys


def from_row(bundle_json: str) -> PublicKeys:
    body = json.loads(bundle_json)
    return PublicKeys(int(body["user"]), body["key"], wire.unb64(body["sign_pk"], "sign_pk"),
                      wire.unb64(body["box_pk"], "box_pk"), body.get("prev"), body["created_at"])
