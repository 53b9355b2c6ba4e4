"""Where recall is lost, on labelled data: in blocking (true pairs that share no kept block), in the classifier
(true pairs compared but scored below the threshold) or in the one-to-one assignment (a true pair accepted but a
better-scored pair took one of its records).

Runs the hub's own matching (:func:`tipnet.link.match.link_pair`, deterministic) once with every accepted pair
kept, then applies the one-to-one assignment exactly as the hub does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from itertools import combinations
from typing import Any

import numpy as np

from tipnet.errors import TipnetError
from tipnet.link.clk import EncodedSet
from tipnet.link.match import (
    I64,
    MatchSettings,
    PairLinks,
    candidate_pairs,
    greedy_one_to_one,
    link_pair,
    sorted_distinct,
)
from tipnet.link.ranks import pair_keys, record_keys

Pair = tuple[int, int]


class DiagnoseError(TipnetError, ValueError):
    """Encoded sets and record files that do not belong together."""

    status, code = 422, "invalid-request"


def truth_index_pairs(ids_a: Sequence[str], ids_b: Sequence[str], person: Mapping[str, str]) -> set[Pair]:
    """(index in a, index in b) of every pair of records of one person (``person``: record id -> person key)."""
    by_person: dict[str, list[int]] = {}
    for j, rid in enumerate(ids_b):
        pk = person.get(rid)
        if pk is not None:
            by_person.setdefault(pk, []).append(j)
    return {(i, j) for i, rid in enumerate(ids_a) if (pk := person.get(rid)) is not None
            for j in by_person.get(pk, [])}


def _keys(ia: I64, ib: I64, nb: int) -> I64:
    """Sorted distinct integer keys of the pairs (ia[k], ib[k]): sets of tuples of a 200,000 x 200,000 linkage's
    100 million candidate pairs took more than 14 GB."""
    return sorted_distinct(np.asarray(ia, np.int64) * np.int64(max(nb, 1)) + np.asarray(ib, np.int64))


def _found(keys: I64, among: I64) -> int:
    """How many of ``keys`` are in ``among`` (both sorted)."""
    if not len(keys) or not len(among):
        return 0
    at = np.minimum(np.searchsorted(among, keys), len(among) - 1)
    return int((among[at] == keys).sum())


def _share(num: int, den: int) -> float:
    return round(num / den, 4) if den else 0.0


def recall_breakdown(a: EncodedSet, b: EncodedSet, truth: Iterable[Pair], settings: MatchSettings = MatchSettings(),
                     uncapped: bool = False) -> tuple[dict[str, Any], PairLinks]:
    """Blocking recall (true pairs among the candidate pairs), classifier recall (true candidate pairs scored at
    or above the threshold), one-to-one recall (accepted true pairs kept), overall precision/recall/F1, and the
    links the hub would give with ``settings``. ``uncapped`` also counts the true pairs that would share a block
    if no block were too large (costly on large sets)."""
    nb = len(b)
    pairs = np.asarray(sorted(set(truth)), np.int64).reshape(-1, 2)
    true = _keys(pairs[:, 0], pairs[:, 1], nb)
    ca, cb, _ = candidate_pairs(a, b, settings.max_block_pairs, settings.neighbours)
    blocked = _keys(ca, cb, nb)
    del ca, cb
    loose = link_pair(a, b, replace(settings, one_to_one=False))
    ia, ib, prob = loose.ia, loose.ib, loose.probability
    accepted = _keys(ia, ib, nb)
    links = loose
    if settings.one_to_one:
        keep = greedy_one_to_one(ia, ib, prob, pair_keys(record_keys(a), record_keys(b), ia, ib))
        links = PairLinks(loose.a, loose.b, ia[keep], ib[keep], prob[keep], loose.weight[keep], loose.model,
                          dict(loose.stats, accepted_pairs=int(keep.sum())))
    final = _keys(links.ia, links.ib, nb)
    n_true, n_blocked = len(true), _found(true, blocked)
    n_accepted, n_final = _found(true, accepted), _found(true, final)
    p, r = _share(n_final, len(final)), _share(n_final, n_true)
    report: dict[str, Any] = {
        "a": a.country, "b": b.country, "true_pairs": n_true, "candidate_pairs": len(blocked),
        "blocks_skipped": loose.stats["blocks_skipped"], "pairs_skipped": loose.stats["pairs_skipped"],
        "blocked_true_pairs": n_blocked, "blocking_recall": _share(n_blocked, n_true),
        "accepted_true_pairs": n_accepted, "classifier_recall": _share(n_accepted, n_blocked),
        "linked_true_pairs": n_final, "one_to_one_recall": _share(n_final, n_accepted),
        "precision": p, "recall": r, "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
        "links": len(final), "threshold": settings.threshold,
    }
    if uncapped:
        ua, ub, _ = candidate_pairs(a, b, max_block_pairs=2**62, neighbours=0)
        report["blocking_recall_uncapped"] = _share(_found(true, _keys(ua, ub, nb)), n_true)
    report["lost"] = lost_share(report)
    return report, links


def lost_share(report: Mapping[str, Any]) -> dict[str, float]:
    """Of the true pairs, the share lost at each stage (they add up to 1 - recall)."""
    n = max(int(report["true_pairs"]), 1)
    return {"blocking": round((n - report["blocked_true_pairs"]) / n, 4),
            "classifier": round((report["blocked_true_pairs"] - report["accepted_true_pairs"]) / n, 4),
            "one_to_one": round((report["accepted_true_pairs"] - report["linked_true_pairs"]) / n, 4)}



def recall_report(sets: Sequence[EncodedSet], record_ids: Sequence[Sequence[str]], person: Mapping[str, str],
                  settings: MatchSettings = MatchSettings()) -> list[dict[str, Any]]:
    """:func:`recall_breakdown` for every pair of countries. ``record_ids[k]`` are the record ids of the rows
    ``sets[k]`` was encoded from, in the same order; ``person`` maps record ids to the labelled person."""
    if len(sets) != len(record_ids):
        raise DiagnoseError("give the records each encoded set was made from (one file per encoded set)")
    for es, ids in zip(sets, record_ids, strict=True):
        if len(es) != len(ids):
            raise DiagnoseError(f"{es.country}: {len(es)} encodings but {len(ids)} records")
    order = sorted(range(len(sets)), key=lambda k: sets[k].country)
    out = []
    for x, y in combinations(order, 2):
        truth = truth_index_pairs(record_ids[x], record_ids[y], person)
        out.append(recall_breakdown(sets[x], sets[y], truth, settings)[0])
    return out
