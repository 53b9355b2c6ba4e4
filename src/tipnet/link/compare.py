"""Hub-side comparisons: Dice similarity of CLK segments by vectorised popcount, turned into comparison levels.

Works on ``uint64`` words only: ``np.bitwise_count`` of ``a & b`` per word, summed per segment with
``np.add.reduceat``. A segment that is all zeros on either side is a missing value (level -1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tipnet.link import fastdice
from tipnet.link.clk import EncodedSet
from tipnet.link.person_levels import GivenLevels, SurnameLevels, cross

F32 = npt.NDArray[np.float32]
I8 = npt.NDArray[np.int8]
I64 = npt.NDArray[np.int64]


def popcounts(es: EncodedSet) -> npt.NDArray[np.int32]:
    """(N, S) set bits per record and segment."""
    starts = [s for _, s, _ in es.segments]
    counts = np.bitwise_count(es.clks)
    return np.add.reduceat(counts, starts, axis=1, dtype=np.int32)


def segment_dice(a: EncodedSet, b: EncodedSet, ia: I64, ib: I64, pa: npt.NDArray[np.int32],
                 pb: npt.NDArray[np.int32], across: Sequence[tuple[str, str]] = ()) -> dict[str, F32]:
    """Dice coefficient per segment for the record pairs (ia[k], ib[k]); NaN where a side is empty. ``across``:
    also segment x of a with segment y of b, for segments of one key group and length (kept as ``x~y``)."""
    where = {name: (j, first, words) for j, (name, first, words) in enumerate(a.segments)}
    cols = [(name, j, j, first, first, words) for j, (name, first, words) in enumerate(a.segments)]
    for x, y in across:
        (jx, fx, wx), (jy, fy, wy) = where[x], where[y]
        if wx != wy:
            raise ValueError(f"segments {x!r} and {y!r} differ in length")
        cols.append((cross(x, y), jx, jy, fx, fy, wx))
    spans = np.asarray([c[3:] for c in cols], dtype=np.int64).reshape(-1, 3)
    ja = np.asarray([c[1] for c in cols], dtype=np.int64)
    jb = np.asarray([c[2] for c in cols], dtype=np.int64)
    if fastdice.available() and len(ia) >= 4096:
        dice = fastdice.pair_dice(a.clks, b.clks, ia, ib, spans, ja, jb, pa, pb)
    else:
        inter = np.stack([np.bitwise_count(a.clks[ia, fa:fa + w] & b.clks[ib, fb:fb + w]).sum(axis=1, dtype=np.int32)
                          for fa, fb, w in spans.tolist()], axis=1) if len(spans) else np.empty((len(ia), 0), np.int32)
        ca, cb = pa[ia][:, ja], pb[ib][:, jb]
        with np.errstate(divide="ignore", invalid="ignore"):
            dice = (2.0 * inter / (ca + cb)).astype(np.float32)
        dice[(ca == 0) | (cb == 0)] = np.nan
    return {c[0]: dice[:, k] for k, c in enumerate(cols)}


def dice_all(a: npt.NDArray[np.uint64], b: npt.NDArray[np.uint64], tile: int = 32,
             compiled: bool | None = None) -> F32:
    """Full (na, nb) Dice matrix of whole CLKs (for benchmarks and small sets): the numba kernel when available
    (``compiled=None``), else word-major tiles of numpy popcounts."""
    if compiled or (compiled is None and fastdice.available()):
        return fastdice.dice_matrix(a, b)
    pa = np.bitwise_count(a).sum(axis=1, dtype=np.int32)
    pb = np.bitwise_count(b).sum(axis=1, dtype=np.int32)
    bt = np.ascontiguousarray(b.T)
    out = np.empty((len(a), len(b)), np.float32)
    tmp = np.empty((tile, len(b)), np.uint64)
    acc = np.empty((tile, len(b)), np.uint16)
    for lo in range(0, len(a), tile):
        hi = min(lo + tile, len(a))
        t, acc_v = tmp[: hi - lo], acc[: hi - lo]
        acc_v[:] = 0
        for w in range(a.shape[1]):
            np.bitwise_and(a[lo:hi, w, None], bt[w][None, :], out=t)
            acc_v += np.bitwise_count(t)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[lo:hi] = 2.0 * acc_v / (pa[lo:hi, None] + pb[None, :])
    return np.nan_to_num(out, nan=0.0)


@dataclass(frozen=True)
class DiceLevels:
    """Levels by descending Dice thresholds on one segment: 0 (>= thresholds[0]) ... len(thresholds) (below)."""

    name: str
    segment: str
    thresholds: tuple[float, ...] = (0.9, 0.75, 0.6)

    @property
    def n_levels(self) -> int:
        return len(self.thresholds) + 1

    def gamma(self, dice: dict[str, F32]) -> I8:
        d = dice[self.segment]
        g = np.full(len(d), len(self.thresholds), dtype=np.int8)
        for lvl in range(len(self.thresholds) - 1, -1, -1):
            g[d >= self.thresholds[lvl]] = lvl
        g[np.isnan(d)] = -1
        return g

    def describe(self) -> list[str]:
        return [f"{self.segment} dice >= {t}" for t in self.thresholds] + ["else"]


@dataclass(frozen=True)
class NameLevels:
    """Given and family segments together, with the token-set segment for swapped orders and dropped parts."""

    name: str = "name"
    given: str = "given"
    family: str = "family"
    names: str = "names"
    high: float = 0.9
    mid: float = 0.75
    low: float = 0.55

    n_levels: int = 7

    def gamma(self, dice: dict[str, F32]) -> I8:
        dg, df, dn = dice[self.given], dice[self.family], dice[self.names]
        h, m, lo = self.high, self.mid, self.low
        conds = [
            (dg >= h) & (df >= h),  # 0 both agree
            dn >= h,  # 1 same tokens (swapped fields or surnames)
            (dg >= m) & (df >= m),  # 2 small differences in both
            (dg >= h) & (df >= lo),  # 3 given agrees, a surname dropped or changed
            dn >= m,  # 4 most tokens agree
            dn >= lo,  # 5 some tokens agree (relatives land here)
        ]
        g = np.select(conds, np.arange(len(conds), dtype=np.int8), default=np.int8(6)).astype(np.int8)
        g[np.isnan(dn)] = -1
        return g

    def describe(self) -> list[str]:
        return ["given and family agree", "same name tokens", "given and family close", "given agrees, family partly",
                "most tokens agree", "some tokens agree", "else"]


Comparison = DiceLevels | NameLevels | GivenLevels | SurnameLevels


def blip_factor(blip: float, fill: float = 0.3) -> float:
    """Expected Dice of two encodings of one value after random bit flips with probability ``blip``, for a
    segment with ``fill`` of its bits set: thresholds are scaled by it so that levels keep their meaning."""
    f, p = blip, fill
    return (p * (1 - f) ** 2 + (1 - p) * f**2) / (p * (1 - f) + (1 - p) * f)


def default_comparisons(segments: Sequence[tuple[str, int, int]], blip: float = 0.0,
                        fills: dict[str, float] | None = None) -> tuple[Comparison, ...]:
    """The person schema's comparisons when its segments are there; one DiceLevels per segment otherwise.
    With bit flips, thresholds are scaled by each segment's expected Dice for equal values (``fills``: share of
    bits set per segment, measured on the encodings)."""
    names = {s for s, _, _ in segments}
    fills = fills or {}
    seg = ""

    def sc(*ts: float) -> tuple[float, ...]:
        k = blip_factor(blip, fills.get(seg, 0.3)) if blip else 1.0
        return tuple(round(t * k, 4) for t in ts)

    out: list[Comparison] = []
    if {"given", "family", "names", "given1", "surname1", "surname2"} <= names:  # one-name segments
        seg = "given1"
        out.append(GivenLevels(high=sc(0.9)[0], mid=sc(0.8)[0], low=sc(0.6)[0]))
        seg = "surname1"
        out.append(SurnameLevels(high=sc(0.9)[0], mid=sc(0.8)[0], low=sc(0.6)[0]))
        names -= {"given", "family", "names", "given1", "surname1", "surname2"}
    elif {"given", "family", "names"} <= names:
        seg = "names"
        h, m, lo = sc(0.9, 0.75, 0.55)
        out.append(NameLevels(high=h, mid=m, low=lo))
        names -= {"given", "family", "names"}
    for seg, _, _ in segments:
        if seg not in names:
            continue
        if seg == "dob":
            out.append(DiceLevels("dob", "dob", sc(0.9, 0.5, 0.36, 0.2)))
        elif seg == "sex":
            out.append(DiceLevels("sex", "sex", sc(0.8)))
        else:
            out.append(DiceLevels(seg, seg, sc(0.9, 0.75, 0.6, 0.45)))
    return tuple(out)


def cross_pairs(comparisons: Sequence[Comparison]) -> tuple[tuple[str, str], ...]:
    """The pairs of different segments the comparisons compare (see :func:`segment_dice`)."""
    return tuple(dict.fromkeys(p for c in comparisons for p in getattr(c, "cross_pairs", ())))


def gammas(comparisons: Sequence[Comparison], dice: dict[str, F32]) -> I8:
    return np.stack([c.gamma(dice) for c in comparisons], axis=1) if comparisons else np.zeros((0, 0), np.int8)
