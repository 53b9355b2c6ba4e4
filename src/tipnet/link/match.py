"""Hub-side matching. Receives :class:`~tipnet.link.clk.EncodedSet` objects only: pseudonyms, CLK words, opaque
blocking tokens and the public schema. It never holds a key, a name or a record id.

Two countries: candidate pairs from shared blocking tokens (in a block larger than ``max_block_pairs``, each
record's nearest records by Dice over the encodings, :mod:`tipnet.link.neighbours`), segment Dice by
popcount, comparison levels, a Fellegi-Sunter model trained by EM, a probability threshold, then a one-to-one
assignment (greedy by probability). Memory stays bounded on large sets: the candidate pairs are generated part by part
(the first country's records hashed into parts of about ``part_pairs`` pairs each), each part is scored and only its
pairs above the threshold are kept; the model is trained on the first part(s).

Deterministic: every choice (the parts, the random pairs for u, the sample for EM, ties in the one-to-one
assignment and in clustering) follows keys of the records' pseudonyms (:mod:`tipnet.link.ranks`), never their
position or a random generator, so the same encodings in any order give the same links.

Three or more countries: every pair of countries is linked,
then accepted pairs are merged by union-find in descending probability, refusing any merge that would put two
records of one country in a cluster. Cluster ids are hashes of their members' pseudonyms: a country can resolve
only its own records (it alone can recompute its pseudonyms).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from tipnet.errors import TipnetError
from tipnet.link.clk import EncodedSet
from tipnet.link.compare import Comparison, cross_pairs, default_comparisons, gammas, popcounts, segment_dice
from tipnet.link.model import FSModel, level_frequencies, train_sessions
from tipnet.link.neighbours import nearest_in_blocks
from tipnet.link.ranks import U64, pair_keys, record_keys, sample_records, smallest

log = logging.getLogger("tipnet.link")
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


class MatchError(TipnetError, ValueError):
    """Encodings that cannot be compared (different schemas or layouts)."""

    status, code = 422, "invalid-request"


@dataclass(frozen=True)
class MatchSettings:
    threshold: float = 0.5  # match probability at or above which a pair is accepted (from the model, not labels)
    one_to_one: bool = True
    max_block_pairs: int = 250_000  # blocks with more pairs than this (common values) are searched, not joined
    neighbours: int = 4  # in a larger block, each record's nearest records by Dice (0: skip such blocks instead)
    u_sample: int = 300_000  # random pairs for the u probabilities (drawn by record keys)
    em_sample: int = 2_000_000  # blocked pairs used for EM (those with the smallest pair keys when there are more)
    chunk: int = 250_000  # pairs scored at once
    part_pairs: int = 20_000_000  # candidate pairs generated and scored at once (bounds memory)
    seed: int = 0  # changes which pairs are sampled, reproducibly


@dataclass
class PairLinks:
    """Accepted pairs between countries a and b (indices into each set), with probability and match weight."""

    a: str
    b: str
    ia: I64
    ib: I64
    probability: F64
    weight: F64
    model: FSModel
    stats: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ia)


def _check(sets: Sequence[EncodedSet]) -> None:
    if len(sets) < 2:
        raise MatchError("give at least two encoded sets")
    first = sets[0]
    for s in sets[1:]:
        if s.fingerprint != first.fingerprint or s.segments != first.segments:
            raise MatchError(f"{s.country} was encoded under another schema than {first.country}")
    countries = [s.country for s in sets]
    if len(set(countries)) != len(countries):
        raise MatchError("each encoded set must come from a different country")


def _block_tables(a: EncodedSet, b: EncodedSet, max_block_pairs: int, neighbours: int = 4,
                  keys: tuple[U64, U64] | None = None) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame,
                                                                dict[str, Any]]:
    """(token, record) rows of each side restricted to the shared blocks of at most ``max_block_pairs`` pairs, and
    the (ra, rb) pairs found in the larger blocks: each record's ``neighbours`` nearest records of the block
    (:mod:`tipnet.link.neighbours`; 0: larger blocks are skipped)."""
    da = _distinct(pl.DataFrame({"t": a.block_tok, "ra": a.block_rec}))
    db = _distinct(pl.DataFrame({"t": b.block_tok, "rb": b.block_rec}))
    sizes = _sizes(da, db)
    big = sizes.filter(_SIZE > max_block_pairs)
    big_pairs = int(big.select(_SIZE.sum()).item() or 0)
    stats: dict[str, Any] = {"blocks_shared": sizes.height, "blocks_searched": 0, "pairs_searched": 0}
    log.info("%d shared blocks, %d of them over %d pairs (%d pairs)", sizes.height, big.height, max_block_pairs,
             big_pairs)
    near = pl.DataFrame({"ra": [], "rb": []}, schema={"ra": da.schema["ra"], "rb": db.schema["rb"]})
    if big.height and neighbours > 0:
        t0 = time.perf_counter()
        ka, kb = keys if keys is not None else (record_keys(a), record_keys(b))
        ia, ib = nearest_in_blocks(a, b, da, db, big, neighbours, ka, kb)
        near = pl.DataFrame({"ra": ia, "rb": ib}).cast(near.schema)
        stats |= {"blocks_searched": big.height, "pairs_searched": big_pairs}
        log.info("searched %d oversized blocks (%d pairs): %d nearest pairs in %.1f s", big.height, big_pairs,
                 len(ia), time.perf_counter() - t0)
        big = big.clear()
    kt = sizes.filter(_SIZE <= max_block_pairs).select("t")
    da, db = da.join(kt, on="t"), db.join(kt, on="t")
    stats |= {"blocks_skipped": big.height, "pairs_skipped": int(big.select(_SIZE.sum()).item() or 0)}
    stats["block_pairs"] = int(_sizes(da, db).select(_SIZE.sum()).item() or 0) + near.height
    if big.height:
        log.info("skipped %d oversized blocks (%d pairs)", big.height, stats["pairs_skipped"])
    return da, db, near, stats


def _distinct(df: pl.DataFrame) -> pl.DataFrame:
    """The distinct (token, record) rows, sorted: by sorting, as ``unique`` took 3.2 GB more for a million records'
    20 million tokens, sorting 0.5 GB."""
    t, r = df.columns
    df = df.sort(t, r)
    first = pl.int_range(pl.len()) == 0
    return df.filter(first | (pl.col(t) != pl.col(t).shift(1)) | (pl.col(r) != pl.col(r).shift(1)))


_SIZE = pl.col("na").cast(pl.Int64) * pl.col("nb").cast(pl.Int64)


def _sizes(da: pl.DataFrame, db: pl.DataFrame) -> pl.DataFrame:
    return da.group_by("t").len("na").join(db.group_by("t").len("nb"), on="t")


def _with_parts(da: pl.DataFrame, parts: int, ka: U64 | None = None) -> pl.DataFrame:
    """Each row's part: from its record's key in ``a`` (not its position), so parts are of about equal size and
    the same records fall in the same part in any order."""
    if parts == 1:
        return da.with_columns(pl.lit(0, pl.UInt32).alias("p"))
    ra = da["ra"].to_numpy().astype(np.int64)
    key = ka[ra] if ka is not None else ra.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    part = (key >> np.uint64(40)) % np.uint64(parts)
    return da.with_columns(pl.Series("p", part.astype(np.uint32)))


def sorted_distinct(key: I64) -> I64:
    """``key`` sorted in place, without repeats (by sorting: numpy 2.4's ``np.unique`` took 26 s on 16 million
    keys, a sort 0.3 s)."""
    key.sort()
    return key[np.concatenate([[True], key[1:] != key[:-1]])] if len(key) else key


class _Parts:
    """The candidate pairs of each part, joined by sorting in numpy: a part's pairs sharing a block, and those found
    near in an oversized block, as distinct (ia, ib) sorted by ia then ib. (A polars join and ``unique`` of a
    20-million-pair part took 3.5 GB more than the part itself, at 1,000,000 x 1,000,000.)"""

    def __init__(self, da: pl.DataFrame, db: pl.DataFrame, near: pl.DataFrame, nb: int) -> None:
        self.ta = da["t"].to_numpy()
        self.ra = da["ra"].to_numpy().astype(np.int64)
        self.pa = da["p"].to_numpy()
        tb = db["t"].to_numpy()
        order = np.argsort(tb, kind="stable")
        self.tb = tb[order]
        self.rb = db["rb"].to_numpy().astype(np.int64)[order]
        self.near = (near["ra"].to_numpy().astype(np.int64), near["rb"].to_numpy().astype(np.int64),
                     near["p"].to_numpy())
        self.nb = np.int64(max(nb, 1))

    def pairs(self, part: int) -> tuple[I64, I64]:
        """Distinct (ia, ib) of one part (a pair's part is that of its record in ``a``, so no pair is in two)."""
        sel = self.pa == part
        ta, ra = self.ta[sel], self.ra[sel]
        lo = np.searchsorted(self.tb, ta, "left")
        cnt = np.searchsorted(self.tb, ta, "right") - lo
        keep = cnt > 0
        ra, lo, cnt = ra[keep], lo[keep], cnt[keep]
        total = int(cnt.sum())
        # b's row of each joined pair: lo of its a-row plus its rank among that row's matches
        idx = np.arange(total, dtype=np.int64)
        idx += np.repeat(lo - (np.cumsum(cnt) - cnt), cnt)
        key = np.repeat(ra, cnt)
        key *= self.nb
        key += self.rb[idx]
        del idx
        nra, nrb, npart = self.near
        nsel = npart == part
        key = sorted_distinct(np.concatenate([key, nra[nsel] * self.nb + nrb[nsel]]))
        return key // self.nb, key % self.nb


def candidate_pairs(a: EncodedSet, b: EncodedSet, max_block_pairs: int, neighbours: int = 4
                    ) -> tuple[I64, I64, dict[str, Any]]:
    """Distinct (ia, ib) pairs sharing at least one blocking token; in oversized blocks, each record's
    ``neighbours`` nearest (0: oversized blocks skipped)."""
    da, db, near, stats = _block_tables(a, b, max_block_pairs, neighbours)
    ia, ib = _Parts(_with_parts(da, 1), db, _with_parts(near, 1), len(b)).pairs(0)
    return ia, ib, stats | {"candidate_pairs": len(ia)}


def _gammas(a: EncodedSet, b: EncodedSet, ia: I64, ib: I64, comps: Sequence[Comparison], chunk: int,
            pa: npt.NDArray[np.int32], pb: npt.NDArray[np.int32]) -> npt.NDArray[np.int8]:
    out = np.empty((len(ia), len(comps)), np.int8)
    across = cross_pairs(comps)
    for lo in range(0, len(ia), chunk):
        hi = min(lo + chunk, len(ia))
        out[lo:hi] = gammas(comps, segment_dice(a, b, ia[lo:hi], ib[lo:hi], pa, pb, across))
    return out


def train(a: EncodedSet, b: EncodedSet, comps: Sequence[Comparison], s: MatchSettings, g: npt.NDArray[np.int8],
          pa: npt.NDArray[np.int32], pb: npt.NDArray[np.int32], blocked_pairs: float | None = None,
          keys: tuple[U64, U64, U64] | None = None) -> FSModel:
    """u from random pairs, m and the prior by EM on (a sample of) the blocked pairs' levels ``g``, which may be
    a part of all ``blocked_pairs`` (default: ``len(g)``). ``keys``: the records' keys of ``a`` and ``b`` and the
    pairs' keys of ``g``, from which the samples are drawn (default: computed from the pseudonyms, pairs in
    order)."""
    ka, kb, kg = keys if keys is not None else (record_keys(a), record_keys(b), np.arange(len(g), dtype=np.uint64))
    ra = sample_records(ka, s.u_sample, 1, s.seed)
    rb = sample_records(kb, s.u_sample, 2, s.seed)
    g_u = _gammas(a, b, ra, rb, comps, s.chunk, pa, pb)
    u = level_frequencies(g_u, comps)
    present = (g_u >= 0).mean(axis=0).tolist() if len(g_u) else None
    sample = g if len(g) <= s.em_sample else g[smallest(kg, s.em_sample)]
    total = float(blocked_pairs if blocked_pairs is not None else len(g))
    return train_sessions(sample, comps, u, float(len(a)) * float(len(b)), scale=total / max(len(sample), 1),
                          present=present)


def _fills(es: EncodedSet, pop: npt.NDArray[np.int32]) -> dict[str, float]:
    out = {}
    for j, (name, _, words) in enumerate(es.segments):
        col = pop[:, j]
        present = col[col > 0]
        out[name] = float(present.mean()) / (64 * words) if len(present) else 0.3
    return out


def greedy_one_to_one(ia: I64, ib: I64, score: F64, tie: U64 | None = None) -> npt.NDArray[np.bool_]:
    """Keep the best-scoring pair of each record, greedily; ties go to the smaller ``tie`` key (the pairs' keys
    at the hub), else to the lower indices, so the result does not depend on the order of the pairs."""
    order = np.lexsort((ib, ia, -score)) if tie is None else np.lexsort((ib, ia, tie, -score))
    used_a: set[int] = set()
    used_b: set[int] = set()
    keep = np.zeros(len(ia), np.bool_)
    for k in order.tolist():
        x, y = int(ia[k]), int(ib[k])
        if x in used_a or y in used_b:
            continue
        used_a.add(x)
        used_b.add(y)
        keep[k] = True
    return keep


def _accept(model: FSModel, g: npt.NDArray[np.int8], threshold: float) -> tuple[npt.NDArray[np.bool_], F64, F64]:
    weight = model.match_weight(g)
    prob = 1.0 / (1.0 + np.exp2(-weight))
    return prob >= threshold, prob, weight


def link_pair(a: EncodedSet, b: EncodedSet, settings: MatchSettings = MatchSettings(),
              model: FSModel | None = None) -> PairLinks:
    """Link two countries' encodings, part by part (see the module's doc)."""
    _check([a, b])
    t0 = time.perf_counter()
    blip = float(a.schema.get("x-tipnet", {}).get("blip", 0.0))
    pa, pb = popcounts(a), popcounts(b)
    comps = model.comparisons if model else default_comparisons(a.segments, blip, _fills(a, pa))
    ka, kb = record_keys(a), record_keys(b)
    da, db, near, stats = _block_tables(a, b, settings.max_block_pairs, settings.neighbours, (ka, kb))
    parts = max(1, -(-stats["block_pairs"] // max(settings.part_pairs, 1)))
    joins = _Parts(_with_parts(da, parts, ka), db, _with_parts(near, parts, ka), len(b))
    del da, db, near
    pending: list[tuple[I64, I64, npt.NDArray[np.int8]]] = []  # parts scored before the model exists
    kept: list[tuple[I64, I64, F64, F64]] = []
    candidates = 0
    t_train = 0.0
    for part in range(parts):
        ia, ib = joins.pairs(part)
        candidates += len(ia)
        g = _gammas(a, b, ia, ib, comps, settings.chunk, pa, pb)
        if model is None:
            pending.append((ia, ib, g))
            if sum(len(x[0]) for x in pending) < settings.em_sample and part + 1 < parts:
                continue  # too few pairs yet to train on
            t1 = time.perf_counter()
            done = part + 1
            g_train = np.concatenate([x[2] for x in pending])
            kg = np.concatenate([pair_keys(ka, kb, x[0], x[1]) for x in pending])
            model = train(a, b, comps, settings, g_train, pa, pb, blocked_pairs=len(g_train) * parts / done,
                          keys=(ka, kb, kg))
            t_train = time.perf_counter() - t1
        else:
            pending.append((ia, ib, g))
        for ia_p, ib_p, g_p in pending:
            acc, prob, weight = _accept(model, g_p, settings.threshold)
            kept.append((ia_p[acc], ib_p[acc], prob[acc], weight[acc]))
        pending = []
        if parts > 1:
            log.info("part %d of %d: %d candidate pairs, %.0f s since the start", part + 1, parts, len(ia),
                     time.perf_counter() - t0)
    assert model is not None
    ia, ib, prob, weight = (np.concatenate([k[i] for k in kept]) for i in range(4))
    if settings.one_to_one:
        keep = greedy_one_to_one(ia, ib, prob, pair_keys(ka, kb, ia, ib))
        ia, ib, prob, weight = ia[keep], ib[keep], prob[keep], weight[keep]
    order = np.lexsort((ib, ia))  # the pairs in one order, whatever order the joins produced them in
    ia, ib, prob, weight = ia[order], ib[order], prob[order], weight[order]
    stats |= {"candidate_pairs": candidates, "parts": parts, "accepted_pairs": int(len(ia)),
              "seconds_train": round(t_train, 3), "seconds_total": round(time.perf_counter() - t0, 3)}
    stats["seconds_compare"] = round(stats["seconds_total"] - t_train, 3)
    log.info("linked %s-%s: %d candidate pairs in %d part(s), %d links in %.1f s", a.country, b.country,
             candidates, parts, len(ia), stats["seconds_total"])
    return PairLinks(a.country, b.country, ia, ib, prob, weight, model, stats)


@dataclass
class Clusters:
    """Cluster id per (country, pseudonym) of every linked record."""

    rows: list[dict[str, Any]]
    pairs: list[PairLinks]

    def for_country(self, country: str) -> list[dict[str, Any]]:
        """What the hub returns to one country: its own pseudonyms only, with cluster ids and the other countries."""
        return [r for r in self.rows if r["country"] == country.upper()]

    def to_dicts(self) -> list[dict[str, Any]]:
        return list(self.rows)


class _UnionFind:
    def __init__(self, n: int, country: list[int]) -> None:
        self.parent = list(range(n))
        self.countries: list[set[int]] = [{c} for c in country]

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union_if_disjoint(self, x: int, y: int) -> bool:
        rx, ry = self.find(x), self.find(y)
        if rx == ry:
            return True
        if self.countries[rx] & self.countries[ry]:
            return False  # conflict: two records of one country
        if len(self.countries[rx]) < len(self.countries[ry]):
            rx, ry = ry, rx
        self.parent[ry] = rx
        self.countries[rx] |= self.countries[ry]
        return True


def link_many(sets: Sequence[EncodedSet], settings: MatchSettings = MatchSettings()) -> Clusters:
    """Link every pair of countries, then cluster with at most one record per country per cluster. The sets are
    taken in the order of their countries, whatever order they are given in."""
    _check(sets)
    sets = sorted(sets, key=lambda s: s.country)
    offsets = np.cumsum([0] + [len(s) for s in sets])
    country_of = np.repeat(np.arange(len(sets)), [len(s) for s in sets]).tolist()
    pairs: list[PairLinks] = []
    edges_u: list[I64] = []
    edges_v: list[I64] = []
    edges_p: list[F64] = []
    keys = np.concatenate([record_keys(s) for s in sets]) if sets else np.zeros(0, np.uint64)
    for i, j in combinations(range(len(sets)), 2):
        links = link_pair(sets[i], sets[j], settings)
        pairs.append(links)
        edges_u.append(links.ia + offsets[i])
        edges_v.append(links.ib + offsets[j])
        edges_p.append(links.probability)
    u, v, p = np.concatenate(edges_u), np.concatenate(edges_v), np.concatenate(edges_p)
    uf = _UnionFind(int(offsets[-1]), country_of)
    conflicts = 0
    for k in np.lexsort((pair_keys(keys, keys, u, v), -p)).tolist():  # ties by the records' keys, not positions
        if not uf.union_if_disjoint(int(u[k]), int(v[k])):
            conflicts += 1
    best = np.zeros(int(offsets[-1]))
    np.maximum.at(best, u, p)
    np.maximum.at(best, v, p)
    members: dict[int, list[int]] = {}
    for x in np.unique(np.concatenate([u, v])).tolist():
        members.setdefault(uf.find(x), []).append(x)
    rows = []
    for group in members.values():
        if len(group) < 2:
            continue
        pseud = sorted(f"{sets[country_of[x]].country}:{sets[country_of[x]].pseudonyms[x - offsets[country_of[x]]]}"
                       for x in group)
        cid = "k" + hashlib.sha256("|".join(pseud).encode()).hexdigest()[:20]
        countries = sorted(sets[country_of[x]].country for x in group)
        for x in group:
            c = country_of[x]
            rows.append({"country": sets[c].country, "pseudonym": str(sets[c].pseudonyms[x - offsets[c]]),
                         "cluster_id": cid, "cluster_size": len(group), "countries": countries,
                         "probability": round(float(best[x]), 4)})
    rows.sort(key=lambda r: (r["cluster_id"], r["country"]))
    log.info("clustered %d countries: %d clusters, %d merges refused as conflicts",
             len(sets), len({r["cluster_id"] for r in rows}), conflicts)
    return Clusters(rows, pairs)
