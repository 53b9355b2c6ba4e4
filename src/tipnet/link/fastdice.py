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
    def pair_counts(a: Any, b: Any, ia: Any, ib: Any, starts: Any, out: Any) -> None:  # pragma: no cover
        n = ia.shape[0]
        nseg = starts.shape[0] - 1
        for k in prange(n):
            x = ia[k]
            y = ib[k]
            for s in range(nseg):
                c = 0
                for w in range(starts[s], starts[s + 1]):
                    c += popcount(a[x, w] & b[y, w])
                out[k, s] = c

    return {"pair_counts": pair_counts, "popcount": popcount, "njit": njit, "prange": prange}


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

    return {"dice_matrix": dice_matrix, "above": above}


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


def pair_counts(a: npt.NDArray[np.uint64], b: npt.NDArray[np.uint64], ia: npt.NDArray[np.int64],
                ib: npt.NDArray[np.int64], starts: list[int], words: int) -> npt.NDArray[np.int32]:
    """(P, S) popcount of a[ia] & b[ib] per segment, without materialising the gathered words."""
    k = _kernels()
    assert k is not None, "numba is not installed"
    bounds = np.asarray([*starts, words], dtype=np.int64)
    out = np.empty((len(ia), len(starts)), np.int32)
    k["pair_counts"](np.ascontiguousarray(a), np.ascontiguousarray(b), ia, ib, bounds, out)
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
