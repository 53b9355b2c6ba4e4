"""Secrets the server must read back (TOTP seeds) are stored encrypted: AES-256-GCM under the server's secret key.

The key comes from `TIPNET_SECRET_KEY` (any string of 32+ characters; a 256-bit key is derived from it with HKDF) or,
when that is not set, from the key file `<TIPNET_HOME>/secret.key` (32 random bytes, base64), created with 0600
permissions on first use. Several worker processes on one machine share the file: the first one to need it creates it
atomically, the others read it. Keep the key out of database backups: a stolen database alone yields no TOTP seed.

Stored form: `enc1:` + base64url(12-byte nonce + ciphertext + 16-byte tag); the column name is bound in as
associated data, so a ciphertext cannot be moved to another column. Values without the prefix are plaintext from
before encryption (migration 0004_totp_encryption encrypts them); `is_encrypted` tells them apart.
"""

from __future__ import annotations

import base64
import logging
import os
import secrets
import threading
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

log = logging.getLogger(__name__)

PREFIX = "enc1:"
KEY_FILE = "secret.key"
ENV = "TIPNET_SECRET_KEY"
_MIN_ENV_CHARS = 32
_lock = threading.Lock()
_cache: dict[tuple[str, str], bytes] = {}


class SecretKeyError(RuntimeError):
    """The secret key is missing, malformed or not the one the secrets were encrypted with."""


def _derive(material: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"tipnet secretbox v1").derive(material)


def _home() -> Path:
    from tipnet.settings import Settings

    return Settings.from_env().home.resolve()


def _read_key_file(path: Path) -> bytes:
    raw = base64.b64decode(path.read_text(encoding="ascii").strip(), validate=True)
    if len(raw) != 32:
        raise SecretKeyError(f"{path}: the key file must hold 32 bytes in base64 (found {len(raw)})")
    return raw


def _key_file(path: Path) -> bytes:
    """Read the key file, creating it (0600) when it does not exist yet. The new key is written to a temporary file
    and linked into place, which fails if another worker got there first: every worker ends up with the same key."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(base64.b64encode(secrets.token_bytes(32)).decode("ascii") + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
            log.warning("created the secret key file %s (back it up apart from the database)", path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        log.warning("secret key file %s is readable by others (mode %o); chmod 600 it", path, mode)
    return _read_key_file(path)


def key() -> bytes:
    """The 256-bit key in force (from the environment or the key file), cached per source."""
    env = os.environ.get(ENV, "")
    source = ("env", env) if env else ("file", str(_home() / KEY_FILE))
    with _lock:
        found = _cache.get(source)
        if found is None:
            if env:
                if len(env) < _MIN_ENV_CHARS:
                    raise SecretKeyError(f"{ENV} must be at least {_MIN_ENV_CHARS} characters long")
                found = _derive(env.encode("utf-8"))
            else:
                found = _derive(_key_file(Path(source[1])))
            _cache[source] = found
        return found


def is_encrypted(value: str | None) -> bool:
    return value is not None and value.startswith(PREFIX)


def seal(plaintext: str | None, purpose: str) -> str | None:
    """Encrypt `plaintext` for the column `purpose` (None stays None)."""
    if plaintext is None:
        return None
    nonce = secrets.token_bytes(12)
    ct = AESGCM(key()).encrypt(nonce, plaintext.encode("utf-8"), purpose.encode("ascii"))
    return PREFIX + base64.urlsafe_b64encode(nonce + ct).decode("ascii")


def open_(stored: str | None, purpose: str) -> str | None:
    """Decrypt a value written by `seal`; a value without the prefix (written before encryption) is returned as is."""
    if stored is None or not is_encrypted(stored):
        return stored
    try:
        blob = base64.urlsafe_b64decode(stored[len(PREFIX):].encode("ascii"))
        return AESGCM(key()).decrypt(blob[:12], blob[12:], purpose.encode("ascii")).decode("utf-8")
    except (InvalidTag, ValueError) as exc:
        raise SecretKeyError(
            f"cannot decrypt {purpose}: the secret key ({ENV} or {KEY_FILE} under TIPNET_HOME) is not the one it "
            "was encrypted with"
        ) from exc
