"""Oversized blocks split by locality-sensitive hashing over the encodings, instead of skipped.

A block shared by more than ``max_block_pairs`` pairs (a common name in a common year) is cut into sub-blocks:
for each of ``bands`` bands, ``r`` bit positions of the CLK are drawn from the block's token and the band (so
both countries, and every run, draw the same ones) and a record goes to the sub-block of its bits' values there.
Records of one person agree on most bits and so share a sub-block in at least one band with high probability;
unrelated records rarely do. ``r`` grows with the block, so sub-blocks come out near the limit. Sub-blocks that
are still too large are skipped (and counted). Runs on the hub, on encodings only: no key is needed.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import polars as pl

from tipnet.link.clk import EncodedSet

U64 = npt.NDArray[np.uint64]
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))
MAX_BITS = 24


def _mix(x: U64) -> U64:
    """splitmix64's finaliser: a 64-bit bijection spreading every input bit."""
    x = x ^ (x >> np.uint64(30))
    x = x * _MIX[1]
    x = x ^ (x >> np.uint64(27))
    x = x * _MIX[2]
    return x ^ (x >> np.uint64(31))


def band_positions(token: int, band: int, r: int, n_bits: int) -> npt.NDArray[np.int64]:
    """The ``r`` distinct bit positions band ``band`` of block ``token`` reads (the same on every side)."""
    seed = int(token) & (2**64 - 1), band
    rng = np.random.Generator(np.random.PCG64(list(seed)))
    return rng.choice(n_bits, size=min(r, n_bits), replace=False).astype(np.int64)


def _bits_at(clks: U64, rows: npt.NDArray[np.int64], pos: npt.NDArray[np.int64]) -> U64:
    """Each row's bits at ``pos`` as one integer (bit 0 of the CLK is the most significant bit of word 0)."""
    words = clks[rows[:, None], pos[None, :] // 64]
    bits = (words >> (np.uint64(63) - (pos[None, :] % 64).astype(np.uint64))) & np.uint64(1)
    return (bits << np.arange(len(pos), dtype=np.uint64)[None, :]).sum(axis=1, dtype=np.uint64)


def bits_for(pairs: int, max_block_pairs: int) -> int:
    """Bits per band: each bit about halves a block's pairs on each side; two spare bits leave room for skew."""
    return min(MAX_BITS, max(1, math.ceil(math.log2(max(pairs / max(max_block_pairs, 1), 1.0)) / 2) + 2))


def split_blocks(a: EncodedSet, b: EncodedSet, da: pl.DataFrame, db: pl.DataFrame, big: pl.DataFrame,
                 bands: int, max_block_pairs: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(sub-token, record) rows of each side for the oversized blocks in ``big`` (columns t, na, nb)."""
    n_bits = a.clks.shape[1] * 64
    out_a: list[pl.DataFrame] = []
    out_b: list[pl.DataFrame] = []
    ga = {t[0]: g["ra"].to_numpy() for t, g in da.join(big.select("t"), on="t").group_by("t")}
    gb = {t[0]: g["rb"].to_numpy() for t, g in db.join(big.select("t"), on="t").group_by("t")}
    for t, na, nb in big.select("t", "na", "nb").sort("t").iter_rows():
        ra, rb = ga[t].astype(np.int64), gb[t].astype(np.int64)
        r = bits_for(int(na) * int(nb), max_block_pairs)
        for band in range(bands):
            pos = band_positions(t, band, r, n_bits)
            base = _mix(np.asarray([int(t) & (2**64 - 1)], np.uint64) ^ _mix(np.asarray([band + 1], np.uint64)))
            for rows, clks, col, out in ((ra, a.clks, "ra", out_a), (rb, b.clks, "rb", out_b)):
                sub = _mix(base ^ _mix(_bits_at(clks, rows, pos) + np.uint64(1)))
                out.append(pl.DataFrame({"t": sub.view(np.int64), col: rows}))
    empty_a = pl.DataFrame({"t": [], "ra": []}, schema=da.schema)
    empty_b = pl.DataFrame({"t": [], "rb": []}, schema=db.schema)
    fa = pl.concat(out_a).cast(da.schema) if out_a else empty_a
    fb = pl.concat(out_b).cast(db.schema) if out_b else empty_b
    return fa.unique(), fb.unique()
