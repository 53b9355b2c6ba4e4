"""Precision, recall and F1 of record pairs against ground truth (demo ``truth.csv`` or a synthetic set)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from itertools import combinations
from typing import Literal

Scope = Literal["all", "between", "within"]
Pair = tuple[str, str]


def country_of(record_id: str) -> str:
    """The country prefix of a record id ('PER-POL-000123' -> 'PER')."""
    return record_id.split("-", 1)[0]


def _in_scope(a: str, b: str, scope: Scope) -> bool:
    if scope == "all":
        return True
    same = country_of(a) == country_of(b)
    return same if scope == "within" else not same


def pairs_of_groups(groups: Iterable[Iterable[str]], scope: Scope = "all") -> set[Pair]:
    out: set[Pair] = set()
    for members in groups:
        for a, b in combinations(sorted(set(members)), 2):
            if _in_scope(a, b, scope):
                out.add((a, b))
    return out


def pairs_from_assignment(assign: Mapping[str, str], scope: Scope = "all") -> set[Pair]:
    """Record pairs put in one group by a record -> group id mapping (cluster ids, person keys)."""
    groups: dict[str, list[str]] = defaultdict(list)
    for rid, gid in assign.items():
        groups[gid].append(rid)
    return pairs_of_groups(groups.values(), scope)


def normalise_pairs(pairs: Iterable[tuple[str, str]], scope: Scope = "all") -> set[Pair]:
    return {(a, b) if a < b else (b, a) for a, b in pairs if a != b and _in_scope(a, b, scope)}


def prf(predicted: set[Pair], truth: set[Pair]) -> dict[str, float | int]:
    tp = len(predicted & truth)
    p = tp / len(predicted) if predicted else 0.0
    r = tp / len(truth) if truth else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4), "true_positives": tp,
            "false_positives": len(predicted) - tp, "false_negatives": len(truth) - tp,
            "predicted_pairs": len(predicted), "true_pairs": len(truth)}
