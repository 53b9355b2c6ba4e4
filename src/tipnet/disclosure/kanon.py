"""A k-anonymous microdata extract (CTDC published one with k = 11): full-domain generalisation over the lattice of
the quasi-identifiers' hierarchies, then local suppression of the records left in groups smaller than k (or with
fewer than l distinct values of the sensitive attribute).

Search: every node of the lattice (at most a few hundred), cheapest first by the mean generalisation height; the
first level of cost with a node whose suppression stays within `max_suppression` wins, the node suppressing least
among them. Reported on the result: achieved k and l, the share suppressed, and the re-identification risk as the
largest and the mean 1/|equivalence class| over released records (the prosecutor model).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from itertools import product
from typing import Any

import polars as pl

from tipnet.disclosure.cells import DIM_SQL, QuerySource, Snapshot
from tipnet.disclosure.hierarchies import HIERARCHIES

log = logging.getLogger(__name__)
SENSITIVE = "forms_of_exploitation"


@dataclass(frozen=True)
class KAnonParams:
    k: int = 11
    l_diversity: int = 1  # classes with fewer distinct sensitive values are suppressed too (1: report only)
    max_suppression: float = 0.5  # share of records that may be suppressed
    quasi_identifiers: tuple[str, ...] = ("sex", "age", "citizenship", "year", "country_of_exploitation")

    def __post_init__(self) -> None:
        if self.k < 2 or self.l_diversity < 1 or not 0 <= self.max_suppression < 1:
            raise ValueError("k >= 2, l >= 1 and 0 <= max_suppression < 1 are required")
        unknown = [q for q in self.quasi_identifiers if q not in HIERARCHIES]
        if unknown:
            raise ValueError(f"unknown quasi-identifier(s) {unknown}; choose from {sorted(HIERARCHIES)}")

    def to_dict(self) -> dict[str, Any]:
        return {"k": self.k, "l": self.l_diversity, "max_suppression": self.max_suppression,
                "quasi_identifiers": list(self.quasi_identifiers)}


@dataclass
class Metrics:
    records: int
    classes: int
    k: int
    l_diversity: int
    risk_max: float
    risk_mean: float

    def to_dict(self) -> dict[str, Any]:
        return {"records": self.records, "classes": self.classes, "k": self.k, "l": self.l_diversity,
                "risk_max": round(self.risk_max, 6), "risk_mean": round(self.risk_mean, 6)}


@dataclass
class Extract:
    params: KAnonParams
    levels: dict[str, int]
    rows: list[dict[str, str]]
    total: int
    metrics: Metrics
    columns: list[str] = field(default_factory=list)

    @property
    def suppressed(self) -> int:
        return self.total - len(self.rows)

    @property
    def share_suppressed(self) -> float:
        return self.suppressed / self.total if self.total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**self.params.to_dict(), "levels": self.levels, "total": self.total, "released": len(self.rows),
                "suppressed": self.suppressed, "share_suppressed": round(self.share_suppressed, 4),
                "achieved": self.metrics.to_dict()}


def measure(rows: list[dict[str, str]], qis: list[str], sensitive: str = SENSITIVE) -> Metrics:
    """k, l and risk of released records, grouped by their quasi-identifier values."""
    if not rows:
        return Metrics(0, 0, 0, 0, 0.0, 0.0)
    df = pl.DataFrame(rows)
    g = df.group_by(qis).agg(pl.len().alias("n"), pl.col(sensitive).n_unique().alias("l"))
    n = g["n"].to_list()
    return Metrics(len(rows), g.height, int(min(n)), int(g["l"].min()),  # type: ignore[arg-type]
                   1.0 / min(n), g.height / len(rows))


def _records(source: QuerySource, snapshot: Snapshot) -> pl.DataFrame:
    sql = (
        "SELECT v.id, " + ", ".join(f"{DIM_SQL[d]} AS {d}" for d in
                                    ("sex", "age_band", "age_group", "citizenship", "year", "destination")) +
        ", (SELECT string_agg(DISTINCT f.form_group, ';' ORDER BY f.form_group) FROM victim_forms f "
        f"WHERE f.id = v.id) AS {SENSITIVE} FROM victims v WHERE list_contains(?, v.submission_id)"
    )
    rows = source.query(sql, [sorted(snapshot.submission_ids)])
    if not rows:
        return pl.DataFrame(schema={c: pl.String for c in ("sex", "age_band", "age_group", "citizenship", "year",
                                                              "destination", SENSITIVE)})
    return pl.DataFrame([{k: str(v) for k, v in r.items() if k != "id"} for r in rows])


def extract(source: QuerySource, snapshot: Snapshot, params: KAnonParams) -> Extract:
    raw = _records(source, snapshot)
    total = raw.height
    qis = list(params.quasi_identifiers)
    rows = raw.to_dicts()
    levels_cols: dict[str, pl.Series] = {}
    for q in qis:
        h = HIERARCHIES[q]
        for lvl in range(h.height + 1):
            cache: dict[tuple[str, ...], str] = {}
            vals = []
            for r in rows:
                sig = (r[h.source], r.get("age_group", ""))
                if sig not in cache:
                    cache[sig] = h.value(r, lvl)
                vals.append(cache[sig])
            levels_cols[f"{q}@{lvl}"] = pl.Series(f"{q}@{lvl}", vals, dtype=pl.String)
    frame = pl.DataFrame([*levels_cols.values(), raw[SENSITIVE]]) if total else pl.DataFrame()
    nodes = sorted(product(*(range(HIERARCHIES[q].height + 1) for q in qis)),
                   key=lambda node: sum(lv / HIERARCHIES[q].height for q, lv in zip(qis, node, strict=True)))
    codes = frame.select([pl.col(c).cast(pl.Categorical).to_physical() for c in levels_cols]
                         + [pl.col(SENSITIVE).cast(pl.Categorical).to_physical()]) if total else frame
    best: tuple[tuple[int, ...], int] | None = None
    best_cost = None
    for node in nodes:
        cost = sum(lv / HIERARCHIES[q].height for q, lv in zip(qis, node, strict=True))
        if best_cost is not None and cost > best_cost + 1e-12:
            break
        kept = _kept(codes, qis, node, params) if total else 0
        share = 1 - kept / total if total else 0.0
        if share <= params.max_suppression and (best is None or kept > best[1]):
            best, best_cost = (node, kept), cost
    if best is None:
        raise ValueError(f"no generalisation reaches k={params.k} within {params.max_suppression:.0%} suppression")
    node = best[0]
    keep = _keep(frame, qis, node, params) if total else pl.Series([], dtype=pl.Boolean)
    cols = [f"{q}@{lv}" for q, lv in zip(qis, node, strict=True)]
    out = (frame.filter(keep).select([*(pl.col(c).alias(q) for c, q in zip(cols, qis, strict=True)),
                                      pl.col(SENSITIVE)]).sort([*qis, SENSITIVE])
           if total else pl.DataFrame(schema={c: pl.String for c in [*qis, SENSITIVE]}))
    released = out.to_dicts()
    result = Extract(params, dict(zip(qis, node, strict=True)), released, total, measure(released, qis),
                     [*qis, SENSITIVE])
    log.info("k-anonymous extract: levels %s, %d of %d records released", result.levels, len(released), total)
    return result


def _kept(codes: pl.DataFrame, qis: list[str], node: tuple[int, ...], params: KAnonParams) -> int:
    """Records kept at `node` (in classes of at least k with at least l sensitive values)."""
    cols = [f"{q}@{lv}" for q, lv in zip(qis, node, strict=True)]
    g = codes.group_by(cols).agg(pl.len().alias("n"), pl.col(SENSITIVE).n_unique().alias("l"))
    return int(g.filter((pl.col("n") >= params.k) & (pl.col("l") >= params.l_diversity))["n"].sum())


def _keep(frame: pl.DataFrame, qis: list[str], node: tuple[int, ...], params: KAnonParams) -> pl.Series:
    cols = [f"{q}@{lv}" for q, lv in zip(qis, node, strict=True)]
    stats = frame.select([*cols, SENSITIVE]).with_columns(
        pl.len().over(cols).alias("_n"), pl.col(SENSITIVE).n_unique().over(cols).alias("_l"))
    return (stats["_n"] >= params.k) & (stats["_l"] >= params.l_diversity)
