"""Keyed, reproducible randomness for the encoder: the random bit flips of hardened schemas.

Each record gets a 64-bit seed from HMAC-SHA256 under the country's noise key over its record id and the prepared
values it encodes, so the same record always gets the same flips, whatever the other records and their order, and
changed values get fresh ones. Bit ``j`` of a record draws the ``j``-th output of SplitMix64 from that seed (a
counter-based generator, vectorised over records and bits), flipped when below ``p * 2**64``.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]
_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def record_seeds(key: bytes, record_ids: Sequence[str], values: Sequence[Sequence[str]]) -> U64:
    """One seed per record: HMAC(key, record id, then each prepared value), the first 8 bytes."""
    out = np.empty(len(record_ids), np.uint64)
    for i, rid in enumerate(record_ids):
        msg = "\x1f".join([rid, *(col[i] for col in values)]).encode("utf-8")
        out[i] = int.from_bytes(hmac.digest(key, msg, "sha256")[:8], "big")
    return out


def mix64(x: U64) -> U64:
    """SplitMix64's finaliser (a bijection of 64-bit words with good avalanche)."""
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def flips(seeds: U64, first_bit: int, n_bits: int, p: float) -> npt.NDArray[np.bool_]:
    """(len(seeds), n_bits) booleans, each True with probability ``p``: bits ``first_bit ..`` of each record's
    stream (segments take disjoint ranges, so no two bits of a record share a draw)."""
    counter = (np.arange(first_bit + 1, first_bit + n_bits + 1, dtype=np.uint64) * _GAMMA)[None, :]
    with np.errstate(over="ignore"):
        draws = mix64(seeds[:, None] + counter)
    return draws < np.uint64(min(int(p * 2.0**64), 2**64 - 1))
