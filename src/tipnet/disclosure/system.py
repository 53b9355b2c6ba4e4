"""What an attacker knows, as linear constraints: every published cell of every release, the additivity of each
table (cells sum to their margins, within and across tables), and how successive data snapshots relate.

Variables are (snapshot, cell key) pairs. Cells of releases made from the same snapshot are the same variables, so
a second release of the same data is an equality constraint on the first. A later snapshot holds every victim of an
earlier one (imports only add), so each cell can only grow: x[old, K] <= x[new, K]. Sums over a form dimension are
not equalities (a victim may have several forms): each form cell is at most its margin, and the form cells together
are at least the margin.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from tipnet.disclosure.cells import FORM_DIMS, CountTable, Key, QuerySource, Snapshot, TableSpec, count_table
from tipnet.stats.cube import ALL

log = logging.getLogger(__name__)


class StoreChanged(RuntimeError):
    """An earlier release can no longer be reproduced from the store (data were changed, not only added)."""


@dataclass
class ReleaseView:
    """A threshold release as the attacker sees it: its tables, snapshot and the values it published."""

    label: str
    snapshot: Snapshot
    specs: list[TableSpec]
    domains: dict[str, tuple[str, ...]]
    published: dict[Key, int]  # suppressed cells are absent
    keys: set[Key] = field(default_factory=set)  # every cell of its tables


@dataclass
class Layer:
    snapshot: Snapshot
    tables: list[CountTable]
    true: dict[Key, int]
    published: dict[Key, int]
    labels: list[str]


@dataclass
class System:
    layers: list[Layer]
    index: dict[tuple[int, Key], int]
    true: np.ndarray
    eq: sparse.csr_matrix  # eq @ x == 0
    ub: sparse.csr_matrix  # ub @ x <= 0

    def var(self, layer: int, key: Key) -> int:
        return self.index[(layer, key)]

    def layer_of(self, snapshot: Snapshot) -> int:
        return next(i for i, layer in enumerate(self.layers) if layer.snapshot == snapshot)


def _table_rows(table: CountTable) -> tuple[list[dict[Key, float]], list[dict[Key, float]]]:
    """Additivity equations (sum == 0) and form inequalities (<= 0) of one table, as {key: coefficient}."""
    eqs: list[dict[Key, float]] = []
    ubs: list[dict[Key, float]] = []
    dims = table.spec.dims
    for row in table.rows():
        parent = table.key(row)
        for i, d in enumerate(dims):
            if row[i] != ALL:
                continue
            children = [table.key((*row[:i], v, *row[i + 1:])) for v in table.domains[d]]
            if d in FORM_DIMS:
                for c in children:
                    ubs.append({c: 1.0, parent: -1.0})  # a form cell is at most its margin
                if children:
                    ubs.append({parent: 1.0, **{c: -1.0 for c in children}})  # every victim has >= 1 form
            else:
                eq: dict[Key, float] = {parent: 1.0}
                for c in children:
                    eq[c] = eq.get(c, 0.0) - 1.0
                eqs.append(eq)
    return eqs, ubs


def build_system(source: QuerySource, views: list[ReleaseView]) -> System:
    """The constraints from `views` (earlier threshold releases and the candidate), with true counts recomputed
    from the store for every snapshot."""
    snapshots = sorted({v.snapshot for v in views}, key=lambda s: (len(s.submission_ids), s.to_list()))
    layers: list[Layer] = []
    for snap in snapshots:
        tables: list[CountTable] = []
        seen: set[tuple[TableSpec, tuple[tuple[str, tuple[str, ...]], ...]]] = set()
        for v in views:
            if not snap <= v.snapshot:
                continue  # a later table's domains may hold values this snapshot lacks; that is fine (zeros)
            for spec in v.specs:
                doms = {d: v.domains[d] for d in spec.dims}
                sig = (spec, tuple(sorted(doms.items())))
                if sig not in seen:
                    seen.add(sig)
                    tables.append(count_table(source, spec, snap, doms))
        true: dict[Key, int] = {}
        for t in tables:
            true.update(t.keyed())
        published: dict[Key, int] = {}
        labels = []
        for v in views:
            if v.snapshot != snap:
                continue
            labels.append(v.label)
            for k, val in v.published.items():
                if true.get(k) != val:
                    raise StoreChanged(f"{v.label}: published cell {k} = {val} but the store now gives "
                                       f"{true.get(k)}; data were changed, not only added")
                published[k] = val
        layers.append(Layer(snap, tables, true, published, labels))

    index: dict[tuple[int, Key], int] = {}
    truth: list[int] = []
    for li, layer in enumerate(layers):
        for k, val in layer.true.items():
            index[(li, k)] = len(truth)
            truth.append(val)

    eq_rows: list[dict[int, float]] = []
    ub_rows: list[dict[int, float]] = []
    seen_rows: set[tuple[tuple[int, float], ...]] = set()

    def add(target: list[dict[int, float]], row: dict[int, float]) -> None:
        sig = tuple(sorted(row.items()))
        if sig not in seen_rows:
            seen_rows.add(sig)
            target.append(row)

    for li, layer in enumerate(layers):
        for t in layer.tables:
            eqs, ubs = _table_rows(t)
            for e in eqs:
                add(eq_rows, {index[(li, k)]: c for k, c in e.items() if c != 0.0})
            for u in ubs:
                add(ub_rows, {index[(li, k)]: c for k, c in u.items()})
    for i, a in enumerate(layers):
        for j, b in enumerate(layers):
            if i != j and a.snapshot < b.snapshot:
                for k in a.true.keys() & b.true.keys():
                    ub_rows.append({index[(i, k)]: 1.0, index[(j, k)]: -1.0})  # cells only grow
    n = len(truth)
    return System(layers, index, np.asarray(truth, dtype=float), _matrix(eq_rows, n), _matrix(ub_rows, n))


def _matrix(rows: list[dict[int, float]], n: int) -> sparse.csr_matrix:
    data, ri, ci = [], [], []
    for r, row in enumerate(rows):
        for c, v in row.items():
            ri.append(r)
            ci.append(c)
            data.append(v)
    return sparse.csr_matrix((data, (ri, ci)), shape=(len(rows), n))
