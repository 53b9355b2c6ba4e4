"""Threshold rule, secondary suppression and the LP audit: hand-made tables whose answers are known, linked tables,
successive releases (differencing), and the invariant that no count in 1..threshold-1 is ever published."""

from __future__ import annotations

import random
from itertools import count

import numpy as np
import pytest

from tipnet.disclosure.audit import Protection, check, fixed_values
from tipnet.disclosure.cells import Snapshot, TableSpec, current_snapshot, domains
from tipnet.disclosure.memsource import MemorySource
from tipnet.disclosure.suppression import suppress
from tipnet.disclosure.system import ReleaseView, build_system
from tipnet.disclosure.threshold import grid_keys

_ids = count(1)


def victims(cells: dict[tuple[str, ...], int], dims: tuple[str, ...], submission: int = 1, **extra: str) -> list[dict]:
    out = []
    for values, n in cells.items():
        for _ in range(n):
            out.append({"id": next(_ids), "submission_id": submission, "country": "PER", "year": 2021,
                        **extra, **dict(zip(dims, values, strict=True))})
    return out


def release(source, specs, earlier=(), protection=Protection()):
    snap = current_snapshot(source)
    doms = domains(source, [d for s in specs for d in s.dims], snap)
    system = build_system(source, [*earlier, ReleaseView("new", snap, list(specs), doms, {})])
    layer = system.layer_of(snap)
    result = suppress(system, layer, grid_keys(list(specs), doms), protection)
    return ReleaseView("r", snap, list(specs), doms, result.published), result, system


# female/adult 10, female/minor 3, male/adult 8, male/minor 6: the 3 is the only small count.
HAND = {("female", "adult"): 10, ("female", "minor"): 3, ("male", "adult"): 8, ("male", "minor"): 6}


def test_naive_primary_suppression_is_recovered_from_margins_and_secondary_fixes_it():
    src = MemorySource(victims(HAND, ("sex", "age_group")))
    spec = TableSpec.parse("sex,age_group")
    snap = current_snapshot(src)
    doms = domains(src, spec.dims, snap)
    system = build_system(src, [ReleaseView("new", snap, [spec], doms, {})])
    layer = system.layers[0]
    minor_f = (("age_group", "minor"), ("sex", "female"))
    assert layer.true[minor_f] == 3

    naive = fixed_values(system)
    for k, v in layer.true.items():
        if not 1 <= v <= 4:
            naive[system.var(0, k)] = v
    before = check(system, naive, Protection())
    assert not before.passed
    (f,) = before.failures
    assert f.target.key == minor_f and (f.lo, f.hi) == (3, 3)  # female total 13 - female adults 10

    result = suppress(system, 0, set(layer.true), Protection())
    assert result.audit is not None and result.audit.passed
    assert minor_f not in result.published
    assert result.secondary  # something besides the 3 had to go
    after = fixed_values(system)
    for k, v in result.published.items():
        after[system.var(0, k)] = v
    (g,) = check(system, after, Protection()).findings
    assert g.lo <= 0 or g.hi >= 5


def test_no_published_count_between_1_and_threshold_minus_1():
    rng = random.Random(7)
    rows = [{"id": i, "country": rng.choice(["PER", "COL", "BOL", "ECU"]), "year": rng.choice([2020, 2021, 2022]),
             "sex": rng.choice(["female"] * 6 + ["male"] * 3 + ["unknown", "other"]),
             "age_group": rng.choice(["adult", "adult", "minor"]),
             "forms": rng.choice(["sexual_exploitation", "forced_labour", "sexual_exploitation;forced_labour", ""])}
            for i in range(150)]
    src = MemorySource(rows)
    specs = [TableSpec.parse("country"), TableSpec.parse("country,sex"), TableSpec.parse("country,year,age_group"),
             TableSpec.parse("sex,form_group")]
    view, result, system = release(src, specs)
    assert result.audit is not None and result.audit.passed
    assert all(not 1 <= v <= 4 for v in view.published.values())
    assert result.primary and all(1 <= system.layers[0].true[k] <= 4 for k in result.primary)
    # an independent check of every additivity equation: none has exactly one hidden cell
    layer = system.layers[0]
    for t in layer.tables:
        for row in t.rows():
            for i, d in enumerate(t.spec.dims):
                if row[i] != "_all" or d == "form_group":
                    continue
                members = [t.key(row)] + [t.key((*row[:i], v, *row[i + 1:])) for v in t.domains[d]]
                hidden = [m for m in members if m not in view.published]
                assert len(hidden) != 1, (t.spec.name, row, d)


def test_a_cell_shared_by_linked_tables_is_suppressed_in_both_or_neither():
    src = MemorySource(victims(HAND, ("sex", "age_group")) +
                       victims({("female", "0-8"): 2, ("male", "48+"): 7}, ("sex", "age_band")))
    a, b = TableSpec.parse("sex,age_group"), TableSpec.parse("sex,age_band")
    view, result, system = release(src, [a, b])
    doms = view.domains
    keys_a, keys_b = grid_keys([a], doms), grid_keys([b], doms)
    shared = keys_a & keys_b  # the sex margins and the total
    assert shared == {(), (("sex", "female"),), (("sex", "male"),)}
    assert result.audit is not None and result.audit.passed
    # across both tables, no hidden cell is pinned (the audit checks every equation of both tables at once)
    assert not result.audit.failures


def test_second_release_of_the_same_data_cannot_undo_the_first():
    src = MemorySource(victims(HAND, ("sex", "age_group")))
    first, r1, _ = release(src, [TableSpec.parse("sex,age_group")])
    # the second release publishes only the age margins: alone harmless, combined it must not pin the 3
    second, r2, system = release(src, [TableSpec.parse("age_group")], earlier=[first])
    audit = check(system, fixed_values_with(system, second), Protection())
    assert audit.passed
    assert system.layers[0].published  # the first release's cells are equality constraints
    assert len(system.layers) == 1


def fixed_values_with(system, view):
    fixed = fixed_values(system)
    layer = system.layer_of(view.snapshot)
    for k, v in view.published.items():
        fixed[system.var(layer, k)] = v
    return fixed


def test_differencing_two_releases_one_victim_apart():
    base = victims({("female", "adult"): 12, ("female", "minor"): 9, ("male", "adult"): 11, ("male", "minor"): 8},
                   ("sex", "age_group"))
    specs = [TableSpec.parse("sex,age_group"), TableSpec.parse("sex")]
    src1 = MemorySource(base)
    first, _, _ = release(src1, specs)
    assert len(first.published) == 9  # 3 x 3 cells, nothing small: everything published the first time
    newcomer = victims({("female", "minor"): 1}, ("sex", "age_group"), submission=2)
    src2 = MemorySource(base + newcomer)

    # naive: release the new data on its own; the differences of published cells give the newcomer away
    naive, _, _ = release(src2, specs)
    diffs = {k: naive.published[k] - first.published[k] for k in naive.published.keys() & first.published.keys()}
    assert diffs[(("age_group", "minor"), ("sex", "female"))] == 1

    # with the first release taken into account
    second, result, system = release(src2, specs, earlier=[first])
    assert result.audit is not None and result.audit.passed
    assert result.change
    both = second.published.keys() & first.published.keys()
    for k in both - {()}:
        d = second.published[k] - first.published[k]
        assert d == 0 or d >= 5, (k, d)
    # the attacker's best bounds on "how many new victims are female minors / female / minors" all reach 0
    fixed = fixed_values_with(system, second)
    new, old = system.layer_of(second.snapshot), system.layer_of(first.snapshot)
    from tipnet.disclosure.audit import _Reduced

    lp = _Reduced(system, fixed)
    for k in [(("age_group", "minor"), ("sex", "female")), (("sex", "female"),), (("age_group", "minor"),)]:
        lo, hi = lp.solve({system.var(new, k): 1.0, system.var(old, k): -1.0})
        assert lo <= 1e-6, (k, lo, hi)


def test_snapshot_order_and_hash():
    a, b = Snapshot(frozenset({1, 2})), Snapshot(frozenset({1, 2, 3}))
    assert a < b and a <= b and not b <= a
    assert a.sha256 == Snapshot(frozenset({2, 1})).sha256 != b.sha256


def test_audit_counts_form_inequalities():
    """A victim with two forms: form cells add up to more than the margin, so no equality is assumed."""
    rows = [{"id": 1, "sex": "female", "forms": "sexual_exploitation;forced_labour"}] + \
           [{"id": 10 + i, "sex": "female", "forms": "sexual_exploitation"} for i in range(6)] + \
           [{"id": 20 + i, "sex": "male", "forms": "forced_labour"} for i in range(6)]
    src = MemorySource(rows)
    view, result, system = release(src, [TableSpec.parse("sex,form")])
    layer = system.layers[0]
    assert layer.true[(("form", "forced_labour"), ("sex", "female"))] == 1
    assert layer.true[(("sex", "female"),)] == 7
    assert layer.true[(("form", "sexual_exploitation"), ("sex", "female"))] == 7
    assert result.audit is not None and result.audit.passed
    assert np.isfinite(system.true).all()


@pytest.mark.parametrize("threshold", [3, 10])
def test_threshold_is_configurable(threshold):
    src = MemorySource(victims(HAND, ("sex", "age_group")))
    view, result, system = release(src, [TableSpec.parse("sex,age_group")], protection=Protection(threshold))
    assert all(not 1 <= v < threshold for v in view.published.values())
    assert result.audit is not None and result.audit.passed
