"""Optional compiled Dice kernels (numba, the ``tipnet[fast]`` extra): hardware popcount over uint64 words.

:func:`available` tells whether numba imports; :mod:`tipnet.link.compare` falls back to numpy's
``bitwise_count`` otherwise. Both give identical results (a test checks it).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt


@cache
def _kernels() -> dict[str, Any] | None:
    try:
        from numba import njit, prange, types
        from numba.extending import intrinsic
    except ImportError:
        return None

    def _ctpop(typingctx: Any, x: Any) -> Any:  # LLVM's ctpop: one POPCNT instruction per word
        sig = types.uint64(types.uint64)

        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            return builder.ctpop(args[0])

        return sig, codegen

    popcount: Any = intrinsic(_ctpop)

    @njit(parallel=True, cache=False)
    def pair_dice(a: Any, b: Any, ia: Any, ib: Any, spans: Any, ja: Any, jb: Any, pa: Any, pb: Any,
                  out: Any) -> None:  # pragma: no cover - compiled
        n = ia.shape[0]
        ncol = spans.shape[0]
        nan = np.float32(np.nan)
        for k in prange(n):
            x = ia[k]
            y = ib[k]
            for s in range(ncol):
                cx = pa[x, ja[s]]
                cy = pb[y, jb[s]]
                if cx == 0 or cy == 0:
                    out[k, s] = nan
                    continue
                fa = spans[s, 0]
                fb = spans[s, 1]
                c = 0
                for w in range(spans[s, 2]):
                    c += popcount(a[x, fa + w] & b[y, fb + w])
                out[k, s] = np.float32(2.0 * c / (cx + cy))

    return {"pair_dice": pair_dice, "popcount": popcount, "njit": njit, "prange": prange}


@cache
def _row_kernels(words: int) -> dict[str, Any]:
    """Kernels for CLKs of exactly ``words`` words: the word loop has a constant trip count, so LLVM unrolls it
    and vectorises the popcounts (AVX2 nibble lookups where the CPU has them)."""
    k = _kernels()
    assert k is not None, "numba is not installed"
    njit, prange, popcount = k["njit"], k["prange"], k["popcount"]
    W = words  # a compile-time constant inside the kernels below
    ROWS = 16  # rows of a per parallel task

    # Serial row kernels (their loops vectorise; a prange body does not as well), run per chunk of rows by the
    # parallel drivers below.
    @njit(cache=False)
    def dice_rows(a: Any, b: Any, pa: Any, pb: Any, out: Any, r0: int, r1: int) -> None:  # pragma: no cover
        nb = b.shape[0]
        inter = np.empty(nb, np.int64)
        for i in range(r0, r1):
            for j in range(nb):
                s = 0
                for w in range(W):
                    s += popcount(a[i, w] & b[j, w])
                inter[j] = s
            for j in range(nb):
                t = pa[i] + pb[j]
                out[i, j] = 2.0 * inter[j] / t if t > 0 else 0.0

    @njit(cache=False)
    def above_rows(a: Any, b: Any, pa: Any, pb: Any, lo: Any, hi: Any, threshold: float, counts: Any,
                   r0: int, r1: int) -> None:  # pragma: no cover - compiled
        # b is sorted by popcount; only b[lo[p]:hi[p]] can reach the threshold against a row of popcount p
        for i in range(r0, r1):
            p = pa[i]
            bb = b[lo[p]:hi[p]]
            pbb = pb[lo[p]:hi[p]]
            c = 0
            for j in range(bb.shape[0]):
                s = 0
                for w in range(W):
                    s += popcount(a[i, w] & bb[j, w])
                if 2.0 * s >= threshold * (p + pbb[j]):
                    c += 1
            counts[i] = c

    @njit(cache=False)
    def _push(score: Any, index: Any, d: float, v: int) -> None:  # pragma: no cover - compiled
        # insert (d, v) into a list kept in descending order of score, dropping its last; equal scores stay ahead
        p = score.shape[0] - 1
        while p > 0 and d > score[p - 1]:
            score[p] = score[p - 1]
            index[p] = index[p - 1]
            p -= 1
        score[p] = d
        index[p] = v

    TILE = 128  # rows of b kept in cache while every row of a is compared with them

    @njit(cache=False)
    def search_chunk(aa: Any, pxa: Any, bb: Any, pxb: Any, j0: int, j1: int, sa: Any, na_idx: Any, sb: Any,
                     nb_idx: Any) -> None:  # pragma: no cover - compiled
        # rows j0..j1 of bb against every row of aa, tile by tile: each a-row's best of these b-rows (sa, na_idx)
        # and each of these b-rows' best a-rows (sb, nb_idx); kept in descending order, ties to the earlier row
        k = sa.shape[1]
        inter = np.empty(TILE, np.int64)
        for t0 in range(j0, j1, TILE):
            m = min(j1, t0 + TILE) - t0
            for i in range(aa.shape[0]):
                for jj in range(m):
                    s = 0
                    for w in range(W):
                        s += popcount(aa[i, w] & bb[t0 + jj, w])
                    inter[jj] = s
                px = pxa[i]
                for jj in range(m):
                    tot = px + pxb[t0 + jj]
                    d = 2.0 * inter[jj] / tot if tot > 0 else 0.0
                    if d > sa[i, k - 1]:
                        _push(sa[i], na_idx[i], d, t0 + jj)
                    if d > sb[t0 + jj, k - 1]:
                        _push(sb[t0 + jj], nb_idx[t0 + jj], d, i)

    @njit(cache=False)
    def _gather(a: Any, pa: Any, rows: Any) -> Any:  # pragma: no cover - compiled
        out = np.empty((rows.shape[0], W), np.uint64)
        px = np.empty(rows.shape[0], np.int64)
        for i in range(rows.shape[0]):
            px[i] = pa[rows[i]]
            for w in range(W):
                out[i, w] = a[rows[i], w]
        return out, px

    @njit(parallel=True, cache=False)
    def neighbours_small(a: Any, b: Any, pa: Any, pb: Any, ra: Any, rb: Any, oa: Any, ob: Any, which: Any, k: int,
                         out_a: Any, out_b: Any) -> None:  # pragma: no cover - compiled
        # many small blocks: one block per task
        for q in prange(which.shape[0]):
            t = which[q]
            aa, pxa = _gather(a, pa, ra[oa[t]:oa[t + 1]])
            bb, pxb = _gather(b, pb, rb[ob[t]:ob[t + 1]])
            sa = np.full((aa.shape[0], k), -1.0)
            sb = np.full((bb.shape[0], k), -1.0)
            search_chunk(aa, pxa, bb, pxb, 0, bb.shape[0], sa, out_a[oa[t]:oa[t + 1]], sb, out_b[ob[t]:ob[t + 1]])

    @njit(parallel=True, cache=False)
    def neighbours_large(a: Any, b: Any, pa: Any, pb: Any, ra: Any, rb: Any, oa: Any, ob: Any, which: Any, k: int,
                         chunks: int, out_a: Any, out_b: Any) -> None:  # pragma: no cover - compiled
        # large blocks one after the other; within a block the rows of b are cut into ``chunks`` run in parallel,
        # each with its own best lists for the rows of a, merged in chunk order (ties still to the earlier row)
        for q in range(which.shape[0]):
            t = which[q]
            aa, pxa = _gather(a, pa, ra[oa[t]:oa[t + 1]])
            bb, pxb = _gather(b, pb, rb[ob[t]:ob[t + 1]])
            na = aa.shape[0]
            nb = bb.shape[0]
            step = (nb + chunks - 1) // chunks
            sa = np.full((chunks, na, k), -1.0)
            ia = np.full((chunks, na, k), -1, np.int64)
            sb = np.full((nb, k), -1.0)
            ib = out_b[ob[t]:ob[t + 1]]
            for c in prange(chunks):
                j0 = c * step
                j1 = min(nb, j0 + step)
                if j0 < j1:
                    search_chunk(aa, pxa, bb, pxb, j0, j1, sa[c], ia[c], sb, ib)
            best = np.empty(k)
            idx = out_a[oa[t]:oa[t + 1]]
            for i in range(na):
                best[:] = -1.0
                for c in range(chunks):
                    for m in range(k):
                        if ia[c, i, m] < 0:
                            break
                        if sa[c, i, m] > best[k - 1]:
                            _push(best, idx[i], sa[c, i, m], ia[c, i, m])

    @njit(parallel=True, cache=False)
    def dice_matrix(a: Any, b: Any, pa: Any, pb: Any, out: Any) -> None:  # pragma: no cover - compiled
        na = a.shape[0]
        for t in prange((na + ROWS - 1) // ROWS):
            dice_rows(a, b, pa, pb, out, t * ROWS, min(na, (t + 1) * ROWS))

    @njit(parallel=True, cache=False)
    def above(a: Any, b: Any, pa: Any, pb: Any, lo: Any, hi: Any, threshold: float,
              counts: Any) -> None:  # pragma: no cover - compiled
        na = a.shape[0]
        for t in prange((na + ROWS - 1) // ROWS):
            above_rows(a, b, pa, pb, lo, hi, threshold, counts, t * ROWS, min(na, (t + 1) * ROWS))

    return {"dice_matrix": dice_matrix, "above": above, "neighbours_small": neighbours_small,
            "neighbours_large": neighbours_large}


def popcount_windows(pb_sorted: npt.NDArray[np.int32], bits: int,
                     threshold: float) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """For each popcount p of 0..bits, the slice [lo[p], hi[p]) of ``pb_sorted`` (ascending popcounts) outside
    which Dice cannot reach ``threshold``: Dice <= 2 min(p, q) / (p + q). Evaluated with the kernel's own
    comparison, so no pair the full scan would keep falls outside (the slice is the hull of the popcounts that
    pass)."""
    v = np.arange(bits + 1, dtype=np.int64)
    ok = 2.0 * np.minimum(v[:, None], v[None, :]) >= threshold * (v[:, None] + v[None, :])
    has = ok.any(axis=1)
    first = ok.argmax(axis=1)
    last = bits - ok[:, ::-1].argmax(axis=1)
    lo = np.searchsorted(pb_sorted, first, "left").astype(np.int64)
    hi = np.searchsorted(pb_sorted, last, "right").astype(np.int64)
    return lo, np.where(has, hi, lo)


def available() -> bool:
    return _kernels() is not None


def dice_matrix(a: npt.NDArray[np.uint64], b: npt.NDArray[np.uint64]) -> npt.NDArray[np.float32]:
    k = _row_kernels(int(a.shape[1]))
    pa = np.bitwise_count(a).sum(axis=1, dtype=np.int32)
    pb = np.bitwise_count(b).sum(axis=1, dtype=np.int32)
    out = np.empty((len(a), len(b)), np.float32)
    k["dice_matrix"](np.ascontiguousarray(a), np.ascontiguousarray(b), pa, pb, out)
    return out


def pair_dice(a: npt.NDArray[np.uint64], b: npt.NDArray[np.uint64], ia: npt.NDArray[np.int64],
              ib: npt.NDArray[np.int64], spans: npt.NDArray[np.int64], ja: npt.NDArray[np.int64],
              jb: npt.NDArray[np.int64], pa: npt.NDArray[np.int32],
              pb: npt.NDArray[np.int32]) -> npt.NDArray[np.float32]:
    """(P, C) Dice of a[ia] and b[ib] over each span of ``spans`` (first word in a, first word in b, words), with
    the set bits of the span's segment on each side in ``pa[:, ja]`` and ``pb[:, jb]``; NaN where either is 0."""
    k = _kernels()
    assert k is not None, "numba is not installed"
    out = np.empty((len(ia), len(spans)), np.float32)
    k["pair_dice"](np.ascontiguousarray(a), np.ascontiguousarray(b), np.ascontiguousarray(ia, np.int64),
                   np.ascontiguousarray(ib, np.int64), np.ascontiguousarray(spans, np.int64),
                   np.ascontiguousarray(ja, np.int64), np.ascontiguousarray(jb, np.int64),
                   np.ascontiguousarray(pa), np.ascontiguousarray(pb), out)
    return out


def count_above(a: npt.NDArray[np.uint64], b: npt.NDArray[np.uint64], threshold: float) -> npt.NDArray[np.int64]:
    """For each row of ``a``, how many rows of ``b`` reach the Dice ``threshold`` (all-pairs, no matrix kept):
    the same work as anonlink's candidate generation, for the throughput benchmark. Rows of ``b`` whose popcount
    rules the threshold out are skipped (as anonlink does); the counts are those of the full scan."""
    words = int(a.shape[1])
    k = _row_kernels(words)
    pa = np.bitwise_count(a).sum(axis=1, dtype=np.int32)
    pb = np.bitwise_count(b).sum(axis=1, dtype=np.int32)
    order = np.argsort(pb, kind="stable")
    pbs = pb[order]
    lo, hi = popcount_windows(pbs, words * 64, float(threshold))
    counts = np.zeros(len(a), np.int64)
    k["above"](np.ascontiguousarray(a), np.ascontiguousarray(b[order]), pa, pbs, lo, hi, float(threshold), counts)
    return counts


_SMALL_BLOCK = 4_000_000  # pairs: blocks up to this size are searched one per thread, larger ones split


def neighbours(a: npt.NDArray[np.uint64], b: npt.NDArray[np.uint64], ra: npt.NDArray[np.int64],
               rb: npt.NDArray[np.int64], oa: npt.NDArray[np.int64], ob: npt.NDArray[np.int64], k: int,
               pa: npt.NDArray[np.int64], pb: npt.NDArray[np.int64]
               ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Blocks given as rows ``ra[oa[t]:oa[t+1]]`` of ``a`` and ``rb[ob[t]:ob[t+1]]`` of ``b``: for each a-row
    its ``k`` most similar b-rows of the same block by Dice (positions within the block, -1 where the block has
    fewer), and for each b-row its ``k`` a-rows. Ties go to the earlier position. ``pa``, ``pb``: each row's set
    bits."""
    from numba import get_num_threads

    kern = _row_kernels(int(a.shape[1]))
    out_a = np.full((len(ra), k), -1, np.int64)
    out_b = np.full((len(rb), k), -1, np.int64)
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    size = np.diff(oa) * np.diff(ob)
    small = np.flatnonzero(size <= _SMALL_BLOCK)
    large = np.flatnonzero(size > _SMALL_BLOCK)
    if len(small):
        kern["neighbours_small"](a, b, pa, pb, ra, rb, oa, ob, small, int(k), out_a, out_b)
    if len(large):
        kern["neighbours_large"](a, b, pa, pb, ra, rb, oa, ob, large, int(k), 2 * get_num_threads(), out_a, out_b)
    return out_a, out_b
