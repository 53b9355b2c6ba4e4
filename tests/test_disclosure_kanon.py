"""The k-anonymous extract: k, l and risk are verified on the output with plain Python, not with the module's own
measure."""

from __future__ import annotations

import random
from collections import defaultdict

import pytest

from tipnet.disclosure.cells import current_snapshot
from tipnet.disclosure.hierarchies import HIERARCHIES, country_regions
from tipnet.disclosure.kanon import SENSITIVE, KAnonParams, extract
from tipnet.disclosure.memsource import MemorySource

BANDS = ["0-8", "9-17", "18-20", "21-23", "24-26", "27-29", "30-38", "39-47", "48+", "unknown"]


def _data(n: int, seed: int = 3) -> MemorySource:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        band = rng.choice(BANDS)
        minor = band in ("0-8", "9-17")
        rows.append({
            "id": i, "country": "PER", "year": rng.choice(range(2012, 2024)),
            "sex": rng.choices(["female", "male", "other", "unknown"], [60, 35, 1, 4])[0],
            "age_band": band, "age_group": "unknown" if band == "unknown" else ("minor" if minor else "adult"),
            "citizenship": rng.choices(["PER", "VEN", "COL", "BOL", "CHN", "NGA", "HTI"], [40, 25, 12, 8, 2, 1, 2])[0],
            "destination": rng.choices(["PER", "CHL", "ARG", "USA", "ESP"], [60, 15, 10, 10, 5])[0],
            "forms": rng.choices(["sexual_exploitation", "forced_labour", "forced_begging",
                                  "sexual_exploitation;forced_labour", ""], [45, 30, 5, 10, 10])[0],
        })
    return MemorySource(rows)


def _classes(rows, qis):
    groups: dict[tuple, list[str]] = defaultdict(list)
    for r in rows:
        groups[tuple(r[q] for q in qis)].append(r[SENSITIVE])
    return groups


@pytest.mark.parametrize("k,l_div", [(11, 1), (5, 2)])
def test_extract_is_k_anonymous_and_l_diverse(k, l_div):
    src = _data(1500)
    params = KAnonParams(k=k, l_diversity=l_div, max_suppression=0.4)
    ex = extract(src, current_snapshot(src), params)
    qis = list(params.quasi_identifiers)
    groups = _classes(ex.rows, qis)
    assert ex.rows and min(len(v) for v in groups.values()) >= k
    assert min(len(set(v)) for v in groups.values()) >= l_div
    assert ex.metrics.k == min(len(v) for v in groups.values())
    assert ex.metrics.l_diversity == min(len(set(v)) for v in groups.values())
    assert ex.share_suppressed <= 0.4 and ex.total == 1500 and len(ex.rows) + ex.suppressed == 1500
    assert ex.metrics.risk_max == pytest.approx(1 / min(len(v) for v in groups.values()))
    assert ex.metrics.risk_mean == pytest.approx(sum(1 / len(groups[tuple(r[q] for q in qis)])
                                                     for r in ex.rows) / len(ex.rows))
    assert set(ex.rows[0]) == {*qis, SENSITIVE}  # no identifiers, no ids


def test_generalisation_follows_the_hierarchies():
    src = _data(1500)
    ex = extract(src, current_snapshot(src), KAnonParams(k=11, max_suppression=0.2))
    assert any(level > 0 for level in ex.levels.values())  # 1,500 records over five detailed QIs need generalising
    allowed = {"citizenship": {*country_regions()} | {r for pair in country_regions().values() for r in pair}
               | {"unknown", "*"}}
    for r in ex.rows:
        assert r["citizenship"] in allowed["citizenship"]
        if ex.levels["year"] == 1:
            assert r["year"].count("-") == 1


def test_impossible_k_is_refused():
    src = _data(30)
    with pytest.raises(ValueError, match="no generalisation reaches k=50"):
        extract(src, current_snapshot(src), KAnonParams(k=50, max_suppression=0.1))


def test_hierarchy_tops_are_stars():
    row = {"sex": "female", "age_band": "9-17", "age_group": "minor", "citizenship": "VEN", "year": "2021",
           "destination": "PER"}
    for h in HIERARCHIES.values():
        assert h.value(row, h.height) == "*"
    assert HIERARCHIES["citizenship"].value(row, 1) == "South America"
    assert HIERARCHIES["age"].value(row, 1) == "0-17" and HIERARCHIES["age"].value(row, 2) == "minor"
    assert HIERARCHIES["year"].value(row, 1) == "2020-2021" and HIERARCHIES["year"].value(row, 2) == "2020-2024"
