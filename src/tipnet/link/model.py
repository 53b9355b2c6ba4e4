"""Fellegi-Sunter scoring of comparison levels, trained at the hub without labels.

u (how often non-matches land in each level) comes from random record pairs; m and the share of matches among
blocked pairs come from expectation maximisation over the blocked pairs, as Splink does. EM runs over the distinct
level patterns with their counts, so it costs next to nothing after the comparisons.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from tipnet.link.compare import Comparison

log = logging.getLogger("tipnet.link")
F64 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.int8]


@dataclass
class FSModel:
    comparisons: tuple[Comparison, ...]
    m: list[F64]
    u: list[F64]
    prior: float  # probability that a blocked pair is a match
    iterations: int = 0

    def log2_bayes(self, g: I8) -> F64:
        total = np.zeros(len(g), dtype=np.float64)
        for c in range(len(self.comparisons)):
            w = np.log2(self.m[c] / self.u[c])
            col = g[:, c]
            present = col >= 0
            total[present] += w[col[present]]
        return total

    def match_weight(self, g: I8) -> F64:
        return self.log2_bayes(g) + np.log2(self.prior / (1.0 - self.prior))

    def probability(self, g: I8) -> F64:
        return 1.0 / (1.0 + np.exp2(-self.match_weight(g)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "prior": self.prior,
            "em_iterations": self.iterations,
            "comparisons": [
                {"name": c.name, "levels": [
                    {"level": lv, "m": round(float(self.m[i][j]), 6), "u": round(float(self.u[i][j]), 6),
                     "weight": round(float(np.log2(self.m[i][j] / self.u[i][j])), 3)}
                    for j, lv in enumerate(c.describe())]}
                for i, c in enumerate(self.comparisons)],
        }


def level_frequencies(g: I8, comparisons: Sequence[Comparison], smoothing: float = 1.0) -> list[F64]:
    out = []
    for c, comp in enumerate(comparisons):
        col = g[:, c]
        counts = np.bincount(col[col >= 0], minlength=comp.n_levels).astype(np.float64) + smoothing
        out.append(counts / counts.sum())
    return out


def _initial_m(n_levels: int) -> F64:
    m = 0.5 ** np.arange(n_levels, dtype=np.float64) * 2.0
    m[-1] = 0.02
    return m / m.sum()


def _floored(counts: npt.NDArray[Any], floor: float) -> F64:
    """Proportions with every level at least about ``floor``: no level may veto a match on its own."""
    total = counts.sum()
    p = counts / total if total > 0 else np.full(len(counts), 1.0 / len(counts))
    p = np.maximum(p, floor)
    return p / p.sum()


def patterns_and_counts(g: I8) -> tuple[I8, npt.NDArray[np.int64]]:
    """The distinct rows of ``g`` in lexicographic order, with how often each occurs (``np.unique(g, axis=0,
    return_counts=True)``, which took 7-11 s on 2 million rows): each row packed into one integer, sorted."""
    if g.ndim != 2 or len(g) == 0 or g.shape[1] == 0:
        return np.unique(g, axis=0, return_counts=True)  # type: ignore[no-any-return]
    lo = g.min(axis=0).astype(np.int64)
    radix = g.max(axis=0).astype(np.int64) - lo + 1
    if float(np.prod(radix.astype(np.float64))) >= 2.0**62:
        return np.unique(g, axis=0, return_counts=True)  # type: ignore[no-any-return]
    key = np.zeros(len(g), np.int64)
    for c in range(g.shape[1]):  # first column most significant: the keys sort as the rows do
        key *= radix[c]
        key += g[:, c].astype(np.int64) - lo[c]
    key.sort()
    starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    counts = np.diff(np.append(starts, len(key))).astype(np.int64)
    distinct = key[starts]
    rows = np.empty((len(distinct), g.shape[1]), g.dtype)
    for c in range(g.shape[1] - 1, -1, -1):
        rows[:, c] = distinct % radix[c] + lo[c]
        distinct = distinct // radix[c]
    return rows, counts


def train_em(g: I8, comparisons: Sequence[Comparison], u: list[F64], max_iter: int = 100, tol: float = 1e-6,
             prior: float | None = None, fix_u: bool = False, m_floor: float = 0.005) -> FSModel:
    """m, the prior and (unless ``fix_u``) u by EM on the level patterns ``g`` (P, C) of blocked pairs, starting
    from u measured on random pairs. Blocked non-matches agree far more often than random pairs (they share a
    blocking value), so u is re-estimated on them: the scores then apply to blocked pairs, which is what is scored.
    """
    patterns, counts = patterns_and_counts(g)
    w = counts.astype(np.float64)
    m = [_initial_m(c.n_levels) for c in comparisons]
    lam = prior if prior is not None else 0.1
    model = FSModel(tuple(comparisons), m, u, lam)
    for it in range(1, max_iter + 1):
        bf = np.exp2(model.log2_bayes(patterns))
        post = lam * bf / (lam * bf + 1.0 - lam)
        wp = w * post
        wn = w * (1.0 - post)
        new_m, new_u = [], []
        for c, comp in enumerate(comparisons):
            col = patterns[:, c]
            ok = col >= 0
            num = np.bincount(col[ok], weights=wp[ok], minlength=comp.n_levels)
            new_m.append(_floored(num, m_floor))
            den = np.bincount(col[ok], weights=wn[ok], minlength=comp.n_levels)
            new_u.append(_floored(den, 1e-6))
        if not fix_u:
            model.u = new_u
        new_lam = float(np.clip(wp.sum() / w.sum(), 1e-9, 1 - 1e-9))
        delta = max(float(np.abs(a - b).max()) for a, b in zip(new_m, model.m, strict=True))
        model.m, model.prior, lam = new_m, new_lam, new_lam
        model.iterations = it
        if delta < tol and abs(new_lam - lam) < tol:
            break
    log.info("EM: %d iterations over %d patterns, prior %.4g", model.iterations, len(patterns), model.prior)
    return model



def exact_levels(comp: Comparison) -> tuple[int, ...]:
    """The levels meaning exact agreement (level 0; for surnames also the only surname of a side agreeing, so a
    population with one surname each is not left without exact agreements)."""
    return tuple(getattr(comp, "exact_levels", (0,)))


def _exact(g: I8, comparisons: Sequence[Comparison], cols: Sequence[int]) -> npt.NDArray[np.bool_]:
    """Pairs agreeing exactly on every comparison of ``cols``."""
    ok = np.ones(len(g), np.bool_)
    for c in cols:
        ok &= np.isin(g[:, c], exact_levels(comparisons[c]))
    return ok


def sessions(comparisons: Sequence[Comparison]) -> list[tuple[set[int], set[int]]]:
    """EM sessions: (the comparisons a session's pairs agree on exactly, the comparisons it leaves out). For
    persons with one-name segments: given name and surnames together (siblings share the surnames, rarely the
    given name too), then the birth date with the place left out (blocking ties places to birth dates); else the
    first comparison, then the second."""
    names = [c.name for c in comparisons]
    n = len(names)
    if {"given", "surname", "dob"} <= set(names):
        gs = {names.index("given"), names.index("surname")}
        d = names.index("dob")
        return [(gs, gs), ({d}, {d} | ({names.index("place")} if "place" in names else set()))]
    return [({c}, {c} | ({n - 1} if c == 1 else set())) for c in range(min(2, n))]


def train_sessions(g: I8, comparisons: Sequence[Comparison], u: list[F64], total_pairs: float,
                   scale: float = 1.0, max_iter: int = 60, present: Sequence[float] | None = None) -> FSModel:
    """Splink's way, robust on large sets full of common names: u from random pairs; m by EM in two sessions
    (:func:`sessions`), each on the blocked pairs that agree exactly on some comparisons, which are left out of
    that session. Within a session u is re-estimated on its own non-matches (they share a blocking value and the
    exact agreement, so they agree far more often than random pairs; with u fixed, EM takes siblings and twins for
    matches); only its m is kept. Each comparison's m comes from the sessions that estimated it; the model scores
    with the random pairs' u. The prior is that of two random records, as in Splink: the pairs agreeing exactly on
    every session's comparisons, divided by the share of matches that do (m of those levels times ``present``,
    the share of random pairs with both values there), over all ``total_pairs`` pairs (``g`` may be a sample of
    the blocked pairs: ``scale`` = blocked pairs / sample)."""
    n = len(comparisons)
    sums = [np.zeros(c.n_levels) for c in comparisons]
    seen = [0] * n
    plan = sessions(comparisons)
    for cond, masked in plan:
        sub = g[_exact(g, comparisons, sorted(cond))].copy()
        if len(sub) < 50:
            continue
        for c in masked:
            sub[:, c] = -1  # the conditioning comparison says nothing in its own session
        session = train_em(sub, comparisons, u, max_iter=max_iter, prior=0.3, fix_u=False)
        for c in range(n):
            if c not in masked:
                sums[c] += session.m[c]
                seen[c] += 1
    m = [sums[c] / seen[c] if seen[c] else _initial_m(comparisons[c].n_levels) for c in range(n)]
    conds = sorted(set().union(*(c for c, _ in plan)))
    agree = _exact(g, comparisons, conds) if conds else np.zeros(len(g), np.bool_)
    both = scale * int(agree.sum())
    shares = present if present is not None else [1.0] * n
    recall = float(np.prod([m[c][list(exact_levels(comparisons[c]))].sum() * shares[c] for c in conds])) if conds \
        else 1.0
    lam = float(np.clip(both / max(recall, 1e-6) / max(total_pairs, 1.0), 1e-12, 0.5))
    model = FSModel(tuple(comparisons), m, u, lam, max_iter)
    log.info("EM sessions: m from %s sessions, prior %.4g (about %.0f matches)", seen, lam, lam * total_pairs)
    return model
