"""The wire format shared by the Python client, the browser (static/tipnet-messaging.js) and the server.

Every signed object is canonical JSON: keys sorted, no spaces, ASCII only, integers and strings and booleans only (no
floats). Both sides produce the same bytes with a few lines of code, so a signature made in a browser verifies in
PyNaCl and the other way round. Binary values are standard base64 with padding; hashes are BLAKE2b-256 in hex (libsodium
`crypto_generichash`, available on both sides without WebCrypto).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from nacl.encoding import RawEncoder
from nacl.hash import blake2b

from tipnet.messaging.errors import Malformed

VERSION = 1
ID_RE = re.compile(r"^[0-9a-f]{32}$")  # message ids: 16 random bytes, hex
KEY_RE = re.compile(r"^[0-9a-f]{64}$")  # key ids: BLAKE2b-256 of the public keys, hex
HASH_RE = KEY_RE
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def canonical(obj: Any) -> bytes:
    """The bytes that get signed and hashed. Refuses floats and non-ASCII text (the browser must agree byte for
    byte, and JavaScript writes numbers and escapes differently)."""
    _check_plain(obj, "$")
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _check_plain(obj: Any, where: str) -> None:
    if isinstance(obj, bool) or obj is None:
        return
    if isinstance(obj, int):
        if abs(obj) > 2**53 - 1:
            raise Malformed(f"{where}: integer {obj} is larger than JavaScript can hold exactly")
        return
    if isinstance(obj, str):
        if not obj.isascii():
            raise Malformed(f"{where}: signed fields must be ASCII, got {obj[:40]!r}")
        return
    if isinstance(obj, list):
        for i, item in enumerate(obj):
            _check_plain(item, f"{where}[{i}]")
        return
    if isinstance(obj, dict):
        for key, value in obj.items():
            if not isinstance(key, str) or not key.isascii():
                raise Malformed(f"{where}: keys must be ASCII strings, got {key!r}")
            _check_plain(value, f"{where}.{key}")
        return
    raise Malformed(f"{where}: {type(obj).__name__} values cannot be signed (use integers and strings)")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: Any, where: str, size: int | None = None) -> bytes:
    if not isinstance(text, str):
        raise Malformed(f"{where}: expected base64 text, got {type(text).__name__}")
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise Malformed(f"{where}: not valid base64") from exc
    if size is not None and len(data) != size:
        raise Malformed(f"{where}: expected {size} bytes, got {len(data)}")
    return data


def digest(data: bytes) -> str:
    """BLAKE2b-256 in hex."""
    return blake2b(data, digest_size=32, encoder=RawEncoder).hex()


def key_id(sign_pk: bytes, box_pk: bytes) -> str:
    """A key's fingerprint: BLAKE2b-256 over the Ed25519 then the X25519 public key."""
    return digest(sign_pk + box_pk)


def field(obj: Any, name: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(obj, dict):
        raise Malformed(f"{where}: expected an object")
    if name not in obj:
        raise Malformed(f"{where}: missing field {name!r}")
    value = obj[name]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise Malformed(f"{where}.{name}: expected {getattr(kind, '__name__', kind)}, got {type(value).__name__}")
    return value


def matching(obj: Any, name: str, pattern: re.Pattern[str], where: str, what: str) -> str:
    value = field(obj, name, str, where)
    if not pattern.match(value):
        raise Malformed(f"{where}.{name}: not {what}: {value[:70]!r}")
    return str(value)
