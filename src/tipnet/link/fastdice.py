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

    @njit(parallel=True, cache=False, fastmath=True)
    def dice_matrix(a: Any, b: Any, pa: Any, pb: Any, out: Any) -> None:  # pragma: no cover - compiled
        na, words = a.shape
        nb = b.shape[0]
        for i in prange(na):
            for j in range(nb):
                s = 0
                for w in range(words):
                    s += popcount(a[i, w] & b[j, w])
                t = pa[i] + pb[j]
                out[i, j] = 2.0 * s / t if t > 0 else 0.0

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

    @njit(parallel=True, cache=False)
    def above(a: Any, b: Any, pa: Any, pb: Any, threshold: float, tile: int, counts: Any) -> None:  # pragma: no cover
        na, words = a.shape
        nb = b.shape[0]
        for i in prange(na):
            c = 0
            for lo in range(0, nb, tile):
                hi = min(lo + tile, nb)
                for j in range(lo, hi):
                    s = 0
                    for w in range(words):
                        s += popcount(a[i, w] & b[j, w])
                    if 2.0 * s >= threshold * (pa[i] + pb[j]):
                        c += 1
            counts[i] = c

    return {"dice_matrix": dice_matrix, "pair_counts": pair_counts, "above": above}


def available() -> bool:
    return _kernels() is not None


def dice_matrix(a: npt.NDArray[np.uint64], b: npt.NDArray[np.uint64]) -> npt.NDArray[np.float32]:
    k = _kernels()
    assert k is not None, "numba is not installed"
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


def count_above(a: npt.NDArray[np.uint64], b: npt.NDArray[np.uint64], threshold: float,
                tile: int = 2048) -> npt.NDArray[np.int64]:
    """For each row of ``a``, how many rows of ``b`` reach the Dice ``threshold`` (all-pairs, no matrix kept):
    the same work as anonlink's candidate generation, for the throughput benchmark."""
    k = _kernels()
    assert k is not None, "numba is not installed"
    pa = np.bitwise_count(a).sum(axis=1, dtype=np.int32)
    pb = np.bitwise_count(b).sum(axis=1, dtype=np.int32)
    counts = np.zeros(len(a), np.int64)
    k["above"](np.ascontiguousarray(a), np.ascontiguousarray(b), pa, pb, float(threshold), tile, counts)
    return counts
