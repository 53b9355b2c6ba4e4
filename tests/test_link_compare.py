"""Dice by popcount: numpy and the optional numba kernels agree with a plain Python reference."""

import numpy as np
import pytest

from tipnet.link import fastdice
from tipnet.link.compare import DiceLevels, NameLevels, blip_factor, dice_all


def _clks(rng, n, words=4):
    return rng.integers(0, 2**64, size=(n, words), dtype=np.uint64) & rng.integers(0, 2**64, size=(n, words),
                                                                                    dtype=np.uint64)


def _reference(x, y):
    inter = sum(bin(int(p) & int(q)).count("1") for p, q in zip(x, y, strict=True))
    total = sum(bin(int(p)).count("1") for p in x) + sum(bin(int(q)).count("1") for q in y)
    return 2 * inter / total


def test_numpy_dice_matches_reference():
    rng = np.random.default_rng(1)
    a, b = _clks(rng, 7), _clks(rng, 9)
    d = dice_all(a, b, compiled=False)
    assert d.shape == (7, 9)
    assert abs(d[3, 5] - _reference(a[3], b[5])) < 1e-6
    assert np.allclose(dice_all(a, a, compiled=False).diagonal(), 1.0)


@pytest.mark.skipif(not fastdice.available(), reason="numba (tipnet[fast]) not installed")
def test_numba_kernels_match_numpy():
    rng = np.random.default_rng(2)
    a, b = _clks(rng, 50, 8), _clks(rng, 70, 8)
    assert np.allclose(dice_all(a, b, compiled=True), dice_all(a, b, compiled=False))
    ia, ib = rng.integers(0, 50, 300), rng.integers(0, 70, 300)
    seg = lambda x: np.add.reduceat(np.bitwise_count(x), [0, 3, 5], axis=1)  # noqa: E731 - set bits per segment
    pa, pb = seg(a).astype(np.int32), seg(b).astype(np.int32)
    got = fastdice.pair_dice(a, b, ia, ib, np.asarray([[0, 0, 3], [3, 3, 2], [5, 5, 3], [0, 5, 3]]),
                             np.asarray([0, 1, 2, 0]), np.asarray([0, 1, 2, 2]), pa, pb)
    inter = seg(a[ia] & b[ib])
    assert np.array_equal(got[:, :3], (2.0 * inter / (pa[ia] + pb[ib])).astype(np.float32))
    across = np.bitwise_count(a[ia, 0:3] & b[ib, 5:8]).sum(axis=1)  # segment 0 of a with segment 2 of b
    assert np.array_equal(got[:, 3], (2.0 * across / (pa[ia, 0] + pb[ib, 2])).astype(np.float32))
    d = dice_all(a, b, compiled=False)
    assert np.array_equal(fastdice.count_above(a, b, 0.5), (d >= 0.5).sum(axis=1))


@pytest.mark.skipif(not fastdice.available(), reason="numba (tipnet[fast]) not installed")
def test_count_above_popcount_windows_keep_every_pair():
    """Skipping rows of b by popcount must not lose a pair the full scan keeps, at the threshold's edge too."""
    rng = np.random.default_rng(3)
    a = _clks(rng, 60, 16)
    b = np.concatenate([_clks(rng, 80, 16), a[:10], np.zeros((2, 16), np.uint64)])  # exact copies: Dice 1.0
    b[-1, 0] = a[0, 0]  # a near copy: popcounts close to a[0]'s
    a = np.concatenate([a, np.zeros((1, 16), np.uint64)])
    pa = np.bitwise_count(a).sum(axis=1)
    pb = np.bitwise_count(b).sum(axis=1)
    inter = np.bitwise_count(a[:, None, :] & b[None, :, :]).sum(axis=2)
    for thr in (0.0, 0.3, 0.5, 0.6, 0.8, 0.95, 0.99, 1.0):
        want = (2.0 * inter >= thr * (pa[:, None] + pb[None, :])).sum(axis=1)
        assert np.array_equal(fastdice.count_above(a, b, thr), want), thr
    assert fastdice.count_above(a, b, 1.0)[:10].tolist() == [1] * 10
    lo, hi = fastdice.popcount_windows(np.sort(pb), 1024, 0.99)
    assert (hi - lo).sum() < len(b) * 1025 // 4  # most of b is skipped at a high threshold


def test_levels():
    dice = {"x": np.array([1.0, 0.8, 0.3, np.nan], np.float32)}
    assert DiceLevels("x", "x", (0.9, 0.5)).gamma(dice).tolist() == [0, 1, 2, -1]
    names = {"given": np.array([1.0, 0.2, 1.0], np.float32), "family": np.array([1.0, 0.3, 0.6], np.float32),
             "names": np.array([1.0, 0.95, 0.7], np.float32)}
    assert NameLevels().gamma(names).tolist() == [0, 1, 3]
    assert blip_factor(0.0) == 1.0 and 0.9 < blip_factor(0.02) < 0.95


@pytest.mark.skipif(not fastdice.available(), reason="numba (tipnet[fast]) not installed")
def test_segment_dice_compiled_equals_numpy(monkeypatch):
    """Per-segment and across-segment Dice, with empty segments (NaN), the same bits from both paths."""
    from tipnet.link.clk import EncodedSet
    from tipnet.link.compare import popcounts, segment_dice

    rng = np.random.default_rng(5)
    segs = (("given", 0, 3), ("family", 3, 3), ("dob", 6, 2))

    def enc(n, country):
        clks = _clks(rng, n, 8)
        clks[rng.random(n) < 0.2, 3:6] = 0  # some records without a family name
        return EncodedSet(country, np.asarray([f"{country}{i}" for i in range(n)]), clks,
                          np.arange(n, dtype=np.int64), np.zeros(n, dtype=np.int64), segs, "fp", {})

    a, b = enc(300, "AAA"), enc(400, "BBB")
    ia, ib = rng.integers(0, 300, 6000), rng.integers(0, 400, 6000)  # above the compiled path's minimum
    pa, pb = popcounts(a), popcounts(b)
    fast = segment_dice(a, b, ia, ib, pa, pb, [("given", "family")])
    monkeypatch.setattr(fastdice, "available", lambda: False)
    slow = segment_dice(a, b, ia, ib, pa, pb, [("given", "family")])
    assert fast.keys() == slow.keys() == {"given", "family", "dob", "given~family"}
    for name in fast:
        assert np.array_equal(fast[name], slow[name], equal_nan=True), name
    assert np.isnan(fast["family"]).any() and np.isnan(fast["given~family"]).any()
    x, y = int(ia[0]), int(ib[0])
    want = 2 * int(np.bitwise_count(a.clks[x, 0:3] & b.clks[y, 3:6]).sum()) / (pa[x, 0] + pb[y, 1])
    assert fast["given~family"][0] == np.float32(want) or (pb[y, 1] == 0 and np.isnan(fast["given~family"][0]))
