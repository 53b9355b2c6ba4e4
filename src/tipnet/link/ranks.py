"""Order-free keys for the hub's choices: which records and pairs are sampled for training, which part a pair is
scored in, and how ties are broken.

A record's key is a hash of its country and pseudonym (which the country derived from the record id under its own
secret), so it does not depend on where the record sits in the file; a pair's key mixes its two records' keys.
Every choice made from these keys gives the same answer for the same records in any order, run after run.
"""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt

from tipnet.link.clk import EncodedSet
from tipnet.link.noise import mix64

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
_GAMMA = np.uint64(0x9E3779B97F4A7C15)


def record_keys(es: EncodedSet) -> U64:
    """A 64-bit key per record: BLAKE2b of (country, pseudonym)."""
    prefix = es.country.encode() + b"\x1f"
    return np.fromiter((int.from_bytes(hashlib.blake2b(prefix + p.encode(), digest_size=8,
                                                       person=b"tipnet-rank").digest(), "big")
                        for p in es.pseudonyms.tolist()), np.uint64, len(es))


def pair_keys(ka: U64, kb: U64, ia: I64, ib: I64) -> U64:
    """A 64-bit key per pair (ia[k], ib[k]) of records with keys ``ka``, ``kb``."""
    with np.errstate(over="ignore"):
        return mix64(ka[ia] ^ mix64(kb[ib] + _GAMMA))


def draws(n: int, stream: int, modulus: int, seed: int = 0) -> I64:
    """``n`` reproducible draws in ``range(modulus)``: SplitMix64 outputs of one stream, reduced."""
    start = np.uint64((seed * 0x632BE59BD9B4E019 + stream * 0xD1B54A32D192ED03) % 2**64)
    with np.errstate(over="ignore"):
        x = mix64(start + np.arange(1, n + 1, dtype=np.uint64) * _GAMMA)
    return (x % np.uint64(max(modulus, 1))).astype(np.int64)


def sample_records(keys: U64, n: int, stream: int, seed: int = 0) -> I64:
    """``n`` record indices drawn with replacement from the records ordered by key (not by position)."""
    order = np.argsort(keys, kind="stable")
    return order[draws(n, stream, len(keys), seed)]


def smallest(keys: U64, n: int) -> I64:
    """Indices of the ``n`` smallest keys (a sample that every order of the same pairs agrees on)."""
    if n >= len(keys):
        return np.arange(len(keys), dtype=np.int64)
    return np.sort(np.argsort(keys, kind="stable")[:n])
