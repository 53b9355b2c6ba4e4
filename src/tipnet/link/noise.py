"""Keyed, reproducible randomness for the encoder: the random bit flips of hardened schemas.

Each record gets a 64-bit seed from HMAC-SHA256 under the country's noise key over its record id and the prepared
values it encodes, so the same record always gets the same flips, whatever the other records and their order, and
changed values get fresh ones. Bit ``j`` of a record draws the ``j``-th output of SplitMix64 from that seed (a
counter-based generator, vectorised over records and bits), flipped when below ``p * 2**64``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from tipnet.link.keys import Mac

U64 = npt.NDArray[np.uint64]
_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def record_seeds(key: bytes, record_ids: Sequence[str], values: Sequence[Sequence[str]]) -> U64:
    """One seed per record: HMAC(key, record id, then each prepared value), the first 8 bytes."""
    mac = Mac(key)
    raw = mac.digests(("\x1f".join([rid, *row]).encode("utf-8")
                       for rid, row in zip(record_ids, zip(*values, strict=True) if values else
                                           ((),) * len(record_ids), strict=True)), 8)
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64)


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
    return draws < np.uint64(_limit(p))


def _limit(p: float) -> int:
    return min(int(p * 2.0**64), 2**64 - 1)


def apply_flips(bits: npt.NDArray[np.bool_], seeds: U64, first_bit: int, p: float,
                present: npt.NDArray[np.bool_] | None = None) -> None:
    """``bits ^= flips(seeds, first_bit, bits.shape[1], p)`` in place, on the ``present`` rows only (all when
    None). The same draws as :func:`flips`, computed in place on blocks of about 64K words that stay in cache
    (the whole (n, bits) matrix of 64-bit draws would not)."""
    n, m = bits.shape
    if n == 0 or m == 0:
        return
    keep = np.ones(n, np.bool_) if present is None else present
    counter = np.arange(first_bit + 1, first_bit + m + 1, dtype=np.uint64) * _GAMMA
    limit = np.uint64(_limit(p))
    step = max(1, (1 << 16) // m)
    x = np.empty((min(step, n), m), np.uint64)
    t = np.empty_like(x)
    f = np.empty(x.shape, np.bool_)
    for lo in range(0, n, step):
        hi = min(lo + step, n)
        xv, tv, fv = x[: hi - lo], t[: hi - lo], f[: hi - lo]
        np.add(seeds[lo:hi, None], counter[None, :], out=xv)
        for shift, mult in ((30, _M1), (27, _M2), (31, None)):  # mix64, in place
            np.right_shift(xv, np.uint64(shift), out=tv)
            xv ^= tv
            if mult is not None:
                xv *= mult
        np.less(xv, limit, out=fv)
        fv &= keep[lo:hi, None]
        bits[lo:hi] ^= fv
