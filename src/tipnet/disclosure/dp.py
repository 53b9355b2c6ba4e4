"""Differentially private count tables through OpenDP 0.16 (measurement constructors, integer noise).

Privacy unit: one victim. Each grouping set of each table (the full split and every margin) is one histogram query
over a public key set (`tipnet.disclosure.keys`): OpenDP's `count_by_categories` followed by discrete Laplace noise
(pure DP, `then_laplace` on integers) or discrete Gaussian noise (zCDP, `then_gaussian` on integers). A query not
split by form reads one row per victim (d_in = 1); a query split by form reads one row per (victim, form), at most
`max_forms` per victim (the rest are dropped, chosen by a keyed hash), so d_in = max_forms. The release's budget is
split evenly over its queries; the losses OpenDP's privacy maps report are added up (sequential composition).

By default (`consistent=True`) only the largest grouping sets of each family of tables without a form dimension
are measured, and every table and margin of the family is fitted to them by least squares (`dp_consistent`:
post-processing, so no extra privacy loss); margins then add up and small tables are far more accurate. Tables
split by form are measured grouping set by grouping set.

Published per cell: the count (noisy, or fitted and rounded) clamped at 0 and a (1 - alpha) confidence interval
from the noise distribution (OpenDP's accuracy functions for measured counts, half-width rounded up; simulation of
the same noise through the fit for fitted counts), clamped at 0 too.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from itertools import combinations, product
from typing import Any, Literal

import numpy as np
import opendp.prelude as dp

from tipnet.disclosure import dp_consistent
from tipnet.disclosure.cells import DIM_SQL, FORM_DIMS, Key, QuerySource, Snapshot, TableSpec, cell_key
from tipnet.disclosure.keys import public_domain
from tipnet.stats.cube import ALL

log = logging.getLogger(__name__)
Measure = Literal["zcdp", "pure"]
_SEP = "\x1f"
MAX_CELLS = 2_000_000  # public keys over all queries of one release


@dataclass(frozen=True)
class DPParams:
    measure: Measure = "zcdp"
    budget: float = 0.5  # rho (zCDP) or epsilon (pure) for the whole release
    max_forms: int = 3  # contribution bound per victim in tables split by form
    alpha: float = 0.05  # confidence intervals at 1 - alpha
    years: tuple[int, int] | None = None  # public year range (needed when a table is split by year)
    consistent: bool = True  # measure the largest tables only and fit the rest by least squares

    def __post_init__(self) -> None:
        if self.measure not in ("zcdp", "pure"):
            raise ValueError("measure must be 'zcdp' or 'pure'")
        if not self.budget > 0 or self.max_forms < 1 or not 0 < self.alpha < 1:
            raise ValueError("budget > 0, max_forms >= 1 and 0 < alpha < 1 are required")

    def to_dict(self) -> dict[str, Any]:
        return {"measure": self.measure, "budget": self.budget, "max_forms": self.max_forms, "alpha": self.alpha,
                "years": list(self.years) if self.years else None, "consistent": self.consistent}


@dataclass(frozen=True)
class Query:
    dims: tuple[str, ...]  # grouping set
    filters: tuple[tuple[str, str], ...]
    keys: tuple[tuple[str, ...], ...]
    d_in: int
    scale: float
    loss: float  # rho or epsilon by OpenDP's privacy map
    half_width: int  # confidence interval half-width


@dataclass
class Family:
    """Grouping sets with the same filters and no form dimension, fitted together by least squares."""

    filters: tuple[tuple[str, str], ...]
    latent: tuple[str, ...]
    measured: list[tuple[str, ...]]
    wanted: list[tuple[str, ...]]
    half_widths: dict[tuple[str, ...], int] = field(default_factory=dict)


@dataclass
class DPPlan:
    params: DPParams
    queries: list[Query]
    families: list[Family] = field(default_factory=list)

    @property
    def spent(self) -> float:
        return sum(q.loss for q in self.queries)

    @property
    def epsilon(self) -> float | None:
        return self.spent if self.params.measure == "pure" else None

    @property
    def rho(self) -> float:
        return self.spent if self.params.measure == "zcdp" else self.spent**2 / 2

    def to_dict(self) -> dict[str, Any]:
        return {**self.params.to_dict(), "queries": len(self.queries), "cells": sum(len(q.keys) for q in self.queries),
                "spent": self.spent, "epsilon": self.epsilon, "rho": self.rho,
                "noise": sorted({(q.d_in, round(q.scale, 6), q.half_width) for q in self.queries}),
                "fitted": [{"filters": [list(f) for f in fam.filters], "measured": [list(m) for m in fam.measured],
                            "half_widths": {",".join(k) or "total": v for k, v in fam.half_widths.items()}}
                           for fam in self.families],
                "half_width_max": max([q.half_width for q in self.queries]
                                      + [h for fam in self.families for h in fam.half_widths.values()], default=0)}


def _space() -> tuple[Any, Any]:
    dp.enable_features("contrib")
    return dp.vector_domain(dp.atom_domain(T=str)), dp.symmetric_distance()


def _measurement(keys: list[str], measure: Measure, scale: float) -> Any:
    if measure == "zcdp":
        count = dp.t.then_count_by_categories(categories=keys, null_category=False, MO=dp.L2Distance[int])
        return _space() >> count >> dp.m.then_gaussian(scale=scale)
    count = dp.t.then_count_by_categories(categories=keys, null_category=False)
    return _space() >> count >> dp.m.then_laplace(scale=scale)


def _scale_for(keys: list[str], measure: Measure, d_in: int, target: float) -> tuple[float, float]:
    """The smallest scale (up to float slack) whose privacy map at d_in is within `target`."""
    scale = d_in / math.sqrt(2 * target) if measure == "zcdp" else d_in / target
    for _ in range(20):
        loss = float(_measurement(keys[:1], measure, scale).map(d_in))
        if loss <= target:
            return scale, loss
        scale *= 1 + 1e-9 * 10
    raise RuntimeError("could not calibrate the noise scale")


def _half_width(measure: Measure, scale: float, alpha: float) -> int:
    acc = (dp.discrete_gaussian_scale_to_accuracy(scale, alpha) if measure == "zcdp"
           else dp.discrete_laplacian_scale_to_accuracy(scale, alpha))
    return int(math.ceil(acc))


MAX_LATENT = 1_000_000  # cells of a family's latent table; larger families are not fitted


def _families(wanted: list[tuple[tuple[str, ...], tuple[tuple[str, str], ...]]],
              params: DPParams) -> list[Family]:
    by_filter: dict[tuple[tuple[str, str], ...], list[tuple[str, ...]]] = {}
    for dims, filters in wanted:
        if not set(dims) & FORM_DIMS:
            by_filter.setdefault(filters, []).append(dims)
    out = []
    for filters, sets in by_filter.items():
        latent = tuple(sorted({d for s in sets for d in s}))
        size = math.prod(len(public_domain(d, params.years)) for d in latent)
        measured = dp_consistent.maximal(sets)
        if size <= MAX_LATENT and len(measured) < len(sets):
            out.append(Family(filters, latent, measured, sets))
    return out


def plan(specs: list[TableSpec], params: DPParams) -> DPPlan:
    """Queries, noise scales and interval widths for `specs`; spends nothing and reads no data."""
    wanted: dict[tuple[tuple[str, ...], tuple[tuple[str, str], ...]], None] = {}
    for spec in specs:
        for k in range(len(spec.dims), -1, -1):
            for gset in combinations(spec.dims, k):
                wanted[(tuple(sorted(gset)), spec.filters)] = None
    if not wanted:
        raise ValueError("no tables")
    families = _families(list(wanted), params) if params.consistent else []
    fitted = {(w, f.filters) for f in families for w in f.wanted}
    measured = {(m, f.filters) for f in families for m in f.measured}
    to_query = [w for w in wanted if w not in fitted or w in measured]
    per_query = params.budget / len(to_query)
    queries = []
    total_cells = 0
    for dims, filters in to_query:
        keys = tuple(product(*(public_domain(d, params.years) for d in dims)))
        total_cells += len(keys)
        if total_cells > MAX_CELLS:
            raise ValueError(f"more than {MAX_CELLS} public cells: split the release")
        d_in = params.max_forms if set(dims) & FORM_DIMS else 1
        scale, loss = _scale_for([_SEP.join(k) for k in keys[:1]] or [""], params.measure, d_in, per_query)
        queries.append(Query(dims, filters, keys, d_in, scale, loss, _half_width(params.measure, scale, params.alpha)))
    the_plan = DPPlan(params, queries, families)
    rng = np.random.default_rng(20261128)
    for fam in families:
        shape = _shape(fam.latent, params)
        scales = {q.dims: q.scale for q in queries if q.filters == fam.filters and q.dims in fam.measured}
        samplers = {m: dp_consistent.noise_sampler(params.measure, scales[m], rng) for m in fam.measured}
        mshapes = {m: _shape(m, params) for m in fam.measured}
        fam.half_widths = dp_consistent.half_widths(fam.latent, shape, mshapes, fam.wanted, samplers, params.alpha)
    return the_plan


def _shape(dims: tuple[str, ...], params: DPParams) -> tuple[int, ...]:
    return tuple(len(public_domain(d, params.years)) for d in dims)


def _rows_sql(q: Query, max_forms: int) -> tuple[str, list[Any]]:
    """One key string per victim (or per victim and form, at most max_forms per victim) in the snapshot."""
    key_expr = " || chr(31) || ".join(DIM_SQL[d] for d in q.dims) if q.dims else "''"
    where = ["list_contains(?, v.submission_id)"]
    params: list[Any] = []
    for dim, value in q.filters:
        if dim in FORM_DIMS:
            where.append(f"v.id IN (SELECT id FROM victim_forms f WHERE {DIM_SQL[dim]} = ?)")
        else:
            where.append(f"{DIM_SQL[dim]} = ?")
        params.append(value)
    if not set(q.dims) & FORM_DIMS:
        return f"SELECT {key_expr} AS k FROM victims v WHERE {' AND '.join(where)}", params
    inner = (f"SELECT DISTINCT v.id AS id, {key_expr} AS k FROM victims v JOIN victim_forms f ON f.id = v.id "
             f"WHERE {' AND '.join(where)}")
    sql = (f"SELECT k FROM (SELECT id, k, row_number() OVER (PARTITION BY id ORDER BY md5(CAST(id AS VARCHAR) || k)) "
           f"AS r FROM ({inner})) WHERE r <= {int(max_forms)}")
    return sql, params


@dataclass
class NoisyCell:
    value: int  # published: max(0, noisy)
    lower: int
    upper: int
    raw: int  # the noisy count as OpenDP returned it (may be negative); internal


def _fitted(fam: Family, the_plan: DPPlan, by_query: dict[tuple[tuple[str, ...], tuple[tuple[str, str], ...]],
            dict[tuple[str, ...], NoisyCell]]) -> dict[tuple[tuple[str, ...], tuple[tuple[str, str], ...]],
                                                  dict[tuple[str, ...], NoisyCell]]:
    params = the_plan.params
    measured = {m: np.array([c.raw for c in by_query[(m, fam.filters)].values()], dtype=float)
                .reshape(_shape(m, params)) for m in fam.measured}
    x = dp_consistent.fit(fam.latent, _shape(fam.latent, params), measured)
    out = {}
    for w in fam.wanted:
        est = np.rint(dp_consistent.marginal(x, fam.latent, w)).astype(np.int64).ravel()
        keys = product(*(public_domain(d, params.years) for d in w))
        h = fam.half_widths[w]
        out[(w, fam.filters)] = {k: NoisyCell(max(0, int(e)), max(0, int(e) - h), max(0, int(e) + h), int(e))
                                 for k, e in zip(keys, est, strict=True)}
    return out


@dataclass
class DPRelease:
    plan: DPPlan
    tables: dict[str, dict[tuple[str, ...], NoisyCell]] = field(default_factory=dict)  # table -> row -> cell
    cells: dict[Key, NoisyCell] = field(default_factory=dict)


def release(source: QuerySource, snapshot: Snapshot, specs: list[TableSpec], the_plan: DPPlan) -> DPRelease:
    """Run every query once through OpenDP. Spends the plan's budget: charge the ledger before calling."""
    out = DPRelease(the_plan)
    by_query: dict[tuple[tuple[str, ...], tuple[tuple[str, str], ...]], dict[tuple[str, ...], NoisyCell]] = {}
    for q in the_plan.queries:
        sql, params = _rows_sql(q, the_plan.params.max_forms)
        data = [str(r["k"]) for r in source.query(sql, [sorted(snapshot.submission_ids), *params])]
        keys = [_SEP.join(k) for k in q.keys]
        noisy = _measurement(keys, the_plan.params.measure, q.scale)(data)
        cells = {}
        for k, raw in zip(q.keys, noisy, strict=True):
            raw = int(raw)
            cells[k] = NoisyCell(max(0, raw), max(0, raw - q.half_width), max(0, raw + q.half_width), raw)
        by_query[(q.dims, q.filters)] = cells
    for fam in the_plan.families:
        by_query.update(_fitted(fam, the_plan, by_query))
    for spec in specs:
        table: dict[tuple[str, ...], NoisyCell] = {}
        doms = [(*public_domain(d, the_plan.params.years), ALL) for d in spec.dims]
        for row in product(*doms):
            present = tuple(sorted((d, v) for d, v in zip(spec.dims, row, strict=True) if v != ALL))
            gset = tuple(d for d, _ in present)
            cell = by_query[(gset, spec.filters)][tuple(v for _, v in present)]
            table[row] = cell
            out.cells[cell_key(spec.dims, row, spec.filters)] = cell
        out.tables[spec.name] = table
    log.info("DP release: %d queries, %s %.4g", len(the_plan.queries), the_plan.params.measure, the_plan.spent)
    return out
