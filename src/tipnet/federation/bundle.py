"""The exchange bundle: a zip holding `manifest.json`, `signature.json` and one encrypted file per part.

    manifest.json   format, format_version, standard_version, bundle_type (share | result), sender, sender_key_id,
                    recipient, recipient_key_id, country, period {start, end}, sequence, created_at, nonce,
                    parts [{name, kind, media_type, size, sha256}]  (size and SHA-256 of the encrypted part)
    signature.json  {alg: Ed25519, key_id, signature}: the sender's signature over the canonical manifest
    parts/<name>    the part, sealed to the recipient's X25519 key (libsodium sealed box)

The manifest says what is inside without revealing it: only the recipient can open the parts, and the signature
binds each part's hash to the sender, so a changed byte anywhere is found before anything is opened. The bundle id
is the SHA-256 of the canonical manifest (first 32 hex digits): the same bundle has the same id on every transport.
"""

from __future__ import annotations

import hashlib
import io
import re
import secrets
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nacl.exceptions import CryptoError

from tipnet import STANDARD_VERSION
from tipnet.federation.errors import FederationError
from tipnet.federation.keys import Identity, PublicIdentity, canonical

FORMAT = "tipnet-bundle"
FORMAT_VERSION = 1
MAX_PARTS = 64
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
KINDS = frozenset({"aggregates", "tables", "clk", "records", "linkage", "releases"})


class BundleError(FederationError):
    """A bundle that cannot be accepted; `code` is the stable reason written in the receipt."""


@dataclass(frozen=True)
class Part:
    name: str
    kind: str
    media_type: str
    data: bytes


@dataclass(frozen=True)
class Bundle:
    """A bundle as it travels: the manifest, the signature and the encrypted parts."""

    manifest: dict[str, Any]
    signature: dict[str, Any]
    blobs: dict[str, bytes]
    raw: bytes

    @property
    def bundle_id(self) -> str:
        return bundle_id(self.manifest)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def sender(self) -> str:
        return str(self.manifest["sender"])

    @property
    def sequence(self) -> int:
        return int(self.manifest["sequence"])


def bundle_id(manifest: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(manifest)).hexdigest()[:32]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def build(sender: Identity, recipient: PublicIdentity, parts: list[Part], *, sequence: int, bundle_type: str,
          country: str | None, period: dict[str, str | None] | None = None) -> Bundle:
    """Seal each part to the recipient, list it in the manifest, sign the manifest, zip it all."""
    if len(parts) > MAX_PARTS:
        raise BundleError("too-many-parts", f"a bundle holds at most {MAX_PARTS} parts")
    blobs: dict[str, bytes] = {}
    listed = []
    for p in parts:
        if not _NAME.match(p.name) or p.name in blobs:
            raise BundleError("malformed", f"bad or repeated part name {p.name!r}")
        if p.kind not in KINDS:
            raise BundleError("malformed", f"unknown part kind {p.kind!r}")
        sealed = recipient.seal(p.data)
        blobs[p.name] = sealed
        listed.append({"name": p.name, "kind": p.kind, "media_type": p.media_type, "size": len(sealed),
                       "sha256": hashlib.sha256(sealed).hexdigest()})
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "standard_version": STANDARD_VERSION,
        "bundle_type": bundle_type, "sender": sender.node_id, "sender_key_id": sender.public.key_id,
        "recipient": recipient.node_id, "recipient_key_id": recipient.key_id, "country": country,
        "period": period or {"start": None, "end": None}, "sequence": int(sequence), "created_at": now_iso(),
        "nonce": secrets.token_hex(8), "parts": listed,
    }
    signature = {"alg": "Ed25519", "key_id": sender.public.key_id, "signature": sender.sign(canonical(manifest))}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("manifest.json", canonical(manifest))
        zf.writestr("signature.json", canonical(signature))
        for name, blob in blobs.items():
            zf.writestr(f"parts/{name}", blob)
    return Bundle(manifest, signature, blobs, buf.getvalue())


def _json(zf: zipfile.ZipFile, name: str) -> dict[str, Any]:
    import json

    try:
        value = json.loads(zf.read(name).decode("utf-8"))
    except KeyError as exc:
        raise BundleError("malformed", f"the bundle has no {name}") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise BundleError("malformed", f"{name} is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise BundleError("malformed", f"{name} is not a JSON object")
    return value


def read(raw: bytes, max_bytes: int = 2 * 1024**3) -> Bundle:
    """Parse a bundle's structure (nothing is trusted yet: see `verify`)."""
    if len(raw) > max_bytes:
        raise BundleError("too-large", f"the bundle is larger than {max_bytes} bytes")
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as exc:
        raise BundleError("malformed", f"not a bundle (zip): {exc}") from exc
    with zf:
        manifest = _json(zf, "manifest.json")
        signature = _json(zf, "signature.json")
        if manifest.get("format") != FORMAT:
            raise BundleError("malformed", "manifest.json does not describe a tipnet bundle")
        if manifest.get("format_version") != FORMAT_VERSION:
            raise BundleError("unsupported-version",
                              f"bundle format version {manifest.get('format_version')!r}; this hub reads "
                              f"{FORMAT_VERSION}")
        for key in ("sender", "sender_key_id", "recipient", "sequence", "parts", "bundle_type", "created_at"):
            if key not in manifest:
                raise BundleError("malformed", f"manifest.json has no {key}")
        if not isinstance(manifest["sequence"], int) or manifest["sequence"] < 1:
            raise BundleError("malformed", f"bad sequence number {manifest['sequence']!r}")
        parts = manifest["parts"]
        if not isinstance(parts, list) or len(parts) > MAX_PARTS:
            raise BundleError("malformed", "manifest parts must be a list of at most 64")
        blobs: dict[str, bytes] = {}
        for p in parts:
            name = p.get("name") if isinstance(p, dict) else None
            if not isinstance(name, str) or not _NAME.match(name) or name in blobs:
                raise BundleError("malformed", f"bad part entry {p!r}")
            try:
                blobs[name] = zf.read(f"parts/{name}")
            except KeyError as exc:
                raise BundleError("tampered", f"part {name} is listed but missing") from exc
    return Bundle(manifest, signature, blobs, raw)


def verify(bundle: Bundle, sender: PublicIdentity) -> None:
    """Raise unless `sender`'s key signed this manifest and every part is the one the manifest lists."""
    sig = bundle.signature
    if sig.get("alg") != "Ed25519" or not isinstance(sig.get("signature"), str):
        raise BundleError("bad-signature", "signature.json is not an Ed25519 signature")
    if not sender.verify(canonical(bundle.manifest), sig["signature"]):
        raise BundleError("bad-signature", f"the manifest is not signed by the registered key {sender.key_id} "
                                           f"of node {sender.node_id} (changed, or signed by another key)")
    for p in bundle.manifest["parts"]:
        blob = bundle.blobs[p["name"]]
        if len(blob) != p.get("size") or hashlib.sha256(blob).hexdigest() != p.get("sha256"):
            raise BundleError("tampered", f"part {p['name']} does not match the SHA-256 and size in the signed "
                                          "manifest")


def open_parts(bundle: Bundle, recipient: Identity) -> list[Part]:
    """Decrypt every part (after `verify`)."""
    if bundle.manifest.get("recipient_key_id") not in (None, recipient.public.key_id):
        raise BundleError("wrong-recipient", "the bundle is sealed to another key of this recipient")
    out = []
    for p in bundle.manifest["parts"]:
        try:
            data = recipient.unseal(bundle.blobs[p["name"]])
        except CryptoError as exc:
            raise BundleError("decrypt-failed", f"part {p['name']} cannot be decrypted with this key") from exc
        out.append(Part(p["name"], str(p.get("kind")), str(p.get("media_type")), data))
    return out
