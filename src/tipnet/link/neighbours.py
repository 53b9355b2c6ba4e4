"""Oversized blocks searched, not skipped: each record's nearest records of the block by Dice over the encoding.

A block shared by more than ``max_block_pairs`` pairs (a common surname with a common initial, in a million
records) would give too many candidate pairs to score. Instead every pair of such a block is compared by Dice over
the whole encoding - a popcount per word, nothing kept - and only each record's ``k`` most similar records on the
other side become candidate pairs: at most ``k (na + nb)`` pairs per block however large it is, and no block is
skipped. The search is exact (no sampling, no hashing): the person's other record, which agrees with it on most
bits, is among the nearest unless ``k`` records of the block are closer still. Within a block the records are
taken in the order of their keys (:func:`tipnet.link.ranks.record_keys`) and ties go to the smaller key, so the
pairs do not depend on the order the records came in. Runs on the hub, on encodings only: no key is needed.

Uses the compiled kernel of :mod:`tipnet.link.fastdice` when numba is installed, else numpy (the same pairs; a
test checks it).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

from tipnet.link import fastdice
from tipnet.link.clk import EncodedSet

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
_NUMPY_PAIRS = 4_000_000  # pairs compared at once by the numpy fallback


def _block_rows(d: pl.DataFrame, col: str, keys: U64, blocks: pl.DataFrame) -> tuple[I64, I64]:
    """The records of each block in ``blocks`` (sorted by token), each block's in key order, and the offsets."""
    rows = d.join(blocks.select("t"), on="t")
    rec = rows[col].to_numpy().astype(np.int64)
    tok = rows["t"].to_numpy()
    order = np.lexsort((keys[rec], tok))
    tok = tok[order]
    starts = np.searchsorted(tok, blocks["t"].to_numpy(), "left")
    return rec[order], np.append(starts, len(tok)).astype(np.int64)


def _numpy_neighbours(a: U64, b: U64, ra: I64, rb: I64, oa: I64, ob: I64, k: int, pa: I64,
                      pb: I64) -> tuple[I64, I64]:
    out_a = np.full((len(ra), k), -1, np.int64)
    out_b = np.full((len(rb), k), -1, np.int64)
    for t in range(len(oa) - 1):
        xa, xb = ra[oa[t]:oa[t + 1]], rb[ob[t]:ob[t + 1]]
        step = max(1, _NUMPY_PAIRS // max(len(xb), 1))
        dice = np.empty((len(xa), len(xb)), np.float64)
        for lo in range(0, len(xa), step):
            rows = xa[lo:lo + step]
            inter = np.bitwise_count(a[rows][:, None, :] & b[xb][None, :, :]).sum(axis=2, dtype=np.int64)
            tot = pa[rows][:, None] + pb[xb][None, :]
            dice[lo:lo + step] = np.where(tot > 0, 2.0 * inter / np.maximum(tot, 1), 0.0)
        kk = min(k, len(xb))
        out_a[oa[t]:oa[t + 1], :kk] = np.argsort(-dice, axis=1, kind="stable")[:, :kk]
        kk = min(k, len(xa))
        out_b[ob[t]:ob[t + 1], :kk] = np.argsort(-dice.T, axis=1, kind="stable")[:, :kk]
    return out_a, out_b


def nearest_in_blocks(a: EncodedSet, b: EncodedSet, da: pl.DataFrame, db: pl.DataFrame, blocks: pl.DataFrame,
                      k: int, ka: U64, kb: U64, compiled: bool | None = None) -> tuple[I64, I64]:
    """Distinct (ia, ib) pairs: within each block of ``blocks`` (column t; its rows in ``da`` (t, ra) and ``db``
    (t, rb)), each record's ``k`` nearest records on the other side. ``ka``, ``kb``: the records' keys."""
    blocks = blocks.select("t").unique().sort("t")
    if not blocks.height or k <= 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    ra, oa = _block_rows(da, "ra", ka, blocks)
    rb, ob = _block_rows(db, "rb", kb, blocks)
    nb = np.int64(max(len(b), 1))
    pa = np.bitwise_count(a.clks).sum(axis=1, dtype=np.int64)
    pb = np.bitwise_count(b.clks).sum(axis=1, dtype=np.int64)
    found: list[pl.Series] = []
    lo = 0
    while lo < len(oa) - 1:  # blocks in batches of about _BATCH_ROWS records: bounded memory however many blocks
        rows = oa[lo + 1:] - oa[lo] + ob[lo + 1:] - ob[lo]
        hi = lo + max(1, int(np.searchsorted(rows, _BATCH_ROWS, "right")))
        sa, sb = oa[lo:hi + 1], ob[lo:hi + 1]
        keys = _batch_pairs(a, b, ra[sa[0]:sa[-1]], rb[sb[0]:sb[-1]], sa - sa[0], sb - sb[0], k, nb, compiled,
                            (pa, pb))
        found.append(pl.Series("p", keys).unique())
        lo = hi
    pairs = pl.concat(found).unique().sort().to_numpy()
    return pairs // nb, pairs % nb


_BATCH_ROWS = 2_000_000


def _batch_pairs(a: EncodedSet, b: EncodedSet, ra: I64, rb: I64, oa: I64, ob: I64, k: int, nb: np.int64,
                 compiled: bool | None, pops: tuple[I64, I64]) -> I64:
    """The nearest pairs of one batch of blocks, as keys ia * nb + ib (with repeats)."""
    if compiled or (compiled is None and fastdice.available()):
        near_a, near_b = fastdice.neighbours(a.clks, b.clks, ra, rb, oa, ob, k, *pops)
    else:
        near_a, near_b = _numpy_neighbours(a.clks, b.clks, ra, rb, oa, ob, k, *pops)
    # positions within the block -> record indices
    jb = near_a.ravel()
    ok = jb >= 0
    first_b = np.repeat(ob[:-1], np.diff(oa) * k)[ok]  # each a-row's block's first row in rb
    from_a = np.repeat(ra, k)[ok] * nb + rb[first_b + jb[ok]]
    del first_b, near_a, jb, ok
    ja = near_b.ravel()
    ok = ja >= 0
    first_a = np.repeat(oa[:-1], np.diff(ob) * k)[ok]
    from_b = ra[first_a + ja[ok]] * nb + np.repeat(rb, k)[ok]
    return np.concatenate([from_a, from_b])
