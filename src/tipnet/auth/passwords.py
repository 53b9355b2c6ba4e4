"""Passwords: argon2id (RFC 9106 low-memory profile: 64 MiB, 3 passes, 4 lanes), never stored or logged in clear."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from tipnet.errors import Invalid

MAX_LENGTH = 1024  # long enough for any passphrase, short enough to bound the work an attacker can ask for
_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@cache
def hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4, hash_len=32, salt_len=16,
                          type=Type.ID)


def check_policy(password: str, email: str | None = None, min_length: int = 12) -> None:
    if len(password) < min_length:
        raise Invalid(f"the password must have at least {min_length} characters")
    if len(password) > MAX_LENGTH:
        raise Invalid(f"the password must have at most {MAX_LENGTH} characters")
    if email and password.strip().lower() in (email.lower(), email.split("@")[0].lower()):
        raise Invalid("the password must not be the e-mail address")
    if len(set(password)) < 4:
        raise Invalid("the password is too repetitive")


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify(stored: str, password: str) -> bool:
    if len(password) > MAX_LENGTH:
        return False
    try:
        return hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return hasher().check_needs_rehash(stored)


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def burn_time(password: str) -> None:
    """Spend a verification's time when there is no account, so timing does not tell which e-mails exist."""
    verify(_dummy_hash(), password)


def temporary_password() -> str:
    """A random password for a new or reset account (shown once; must be changed at first sign-in)."""
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(4))
