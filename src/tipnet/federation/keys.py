"""Identities: an Ed25519 key that signs and an X25519 key that receives encrypted parts (PyNaCl).

A node and the hub each hold one `Identity` in a private file (mode 0600) under their home; what others get is the
`PublicIdentity` (node id, country, both public keys, fingerprint), passed out of band or through the registry.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nacl.exceptions import BadSignatureError
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.signing import SigningKey, VerifyKey


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def canonical(obj: Any) -> bytes:
    """The bytes that are signed: JSON with sorted keys, no spaces, UTF-8."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def fingerprint(sign_key: bytes, box_key: bytes) -> str:
    return hashlib.sha256(b"tipnet-node-key-v1|" + sign_key + b"|" + box_key).hexdigest()[:32]


@dataclass(frozen=True)
class PublicIdentity:
    node_id: str
    country: str | None  # None for the hub
    sign_key: str  # base64 Ed25519 verify key
    box_key: str  # base64 X25519 public key

    @property
    def key_id(self) -> str:
        return fingerprint(unb64(self.sign_key), unb64(self.box_key))

    def verify(self, message: bytes, signature: str) -> bool:
        try:
            VerifyKey(unb64(self.sign_key)).verify(message, unb64(signature))
            return True
        except (BadSignatureError, ValueError):
            return False

    def seal(self, data: bytes) -> bytes:
        return SealedBox(PublicKey(unb64(self.box_key))).encrypt(data)

    def to_dict(self) -> dict[str, Any]:
        return {"node_id": self.node_id, "country": self.country, "sign_key": self.sign_key,
                "box_key": self.box_key, "key_id": self.key_id}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PublicIdentity:
        try:
            pub = cls(str(d["node_id"]), d.get("country"), str(d["sign_key"]), str(d["box_key"]))
            VerifyKey(unb64(pub.sign_key))
            PublicKey(unb64(pub.box_key))
        except (KeyError, ValueError, TypeError) as exc:
            raise ValueError(f"not a public identity: {exc}") from exc
        if d.get("key_id") and d["key_id"] != pub.key_id:
            raise ValueError("the key id does not match the keys")
        return pub


@dataclass(frozen=True, repr=False)
class Identity:
    node_id: str
    country: str | None
    signing: SigningKey
    box: PrivateKey

    @classmethod
    def generate(cls, node_id: str, country: str | None) -> Identity:
        return cls(node_id, country, SigningKey.generate(), PrivateKey.generate())

    @property
    def public(self) -> PublicIdentity:
        return PublicIdentity(self.node_id, self.country, b64(bytes(self.signing.verify_key)),
                              b64(bytes(self.box.public_key)))

    def sign(self, message: bytes) -> str:
        return b64(self.signing.sign(message).signature)

    def unseal(self, data: bytes) -> bytes:
        return SealedBox(self.box).decrypt(data)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"node_id": self.node_id, "country": self.country,
                           "signing_seed": b64(bytes(self.signing)), "box_secret": b64(bytes(self.box))}, indent=2)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(body)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> Identity:
        d = json.loads(path.read_text(encoding="utf-8"))
        return cls(d["node_id"], d.get("country"), SigningKey(unb64(d["signing_seed"])),
                   PrivateKey(unb64(d["box_secret"])))

    def __repr__(self) -> str:  # never print key material
        return f"Identity({self.node_id!r}, {self.public.key_id})"


def endorse(old: Identity, new: PublicIdentity, at: str) -> dict[str, Any]:
    """A key rotation statement: the new public keys, signed by the old key."""
    statement = {"node_id": new.node_id, "new_sign_key": new.sign_key, "new_box_key": new.box_key,
                 "old_key_id": old.public.key_id, "at": at}
    return {"statement": statement, "signature": old.sign(canonical(statement))}
