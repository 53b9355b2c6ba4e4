"""Release utility: how much accuracy disclosure control costs, against Synthetic Data Showcase (pac-synth).

On the demo data (28,565 victims of the 35 OAS member states, 2015-2024), the 1-, 2- and 3-way tables over
(country, year, sex, age_group) -- 4 + 6 + 4 tables, every cell of the cross product of the values present -- are
released by:

- tipnet DP, pure, fitted (the default): discrete Laplace through OpenDP on the four 3-way tables only (epsilon/4
  each), every table and margin fitted to them by least squares, clamped at 0;
- tipnet DP, pure, every grouping set measured: epsilon split evenly over the 15 grouping sets, no fit;
- tipnet DP, zCDP: discrete Gaussian through OpenDP with the rho whose (epsilon, delta)-DP conversion
  (epsilon = rho + 2 sqrt(rho ln(1/delta))) matches pac-synth's epsilon and delta;
- pac-synth 0.0.8 `DpAggregateSeededSynthesizer` (reporting length 3, its defaults otherwise: delta =
  1/(n ln n), accuracy mode prioritising long combinations), reading a cell's count from its DP aggregates
  (0 when a combination is not reported); it runs in its own virtual environment (--pac-python) because it is an
  old wheel;
- tipnet threshold rule (5) with secondary suppression and the LP audit: no noise, but cells are withheld.

Reported per table size: mean absolute error over cells (mean over --runs draws for the DP methods), and for the
threshold rule the share of suppressed cells. Results go to benchmarks/out/release_utility.md (and --json).

    python benchmarks/release_utility.py --pac-python /tmp/pacv/bin/python
    python benchmarks/release_utility.py --db sqlite:///var/tipnet.db --runs 5
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from itertools import combinations, product
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tipnet.disclosure import dp  # noqa: E402
from tipnet.disclosure.audit import Protection  # noqa: E402
from tipnet.disclosure.cells import TableSpec, current_snapshot, domains  # noqa: E402
from tipnet.disclosure.memsource import MemorySource  # noqa: E402
from tipnet.disclosure.suppression import suppress  # noqa: E402
from tipnet.disclosure.system import ReleaseView, build_system  # noqa: E402
from tipnet.disclosure.threshold import grid_keys  # noqa: E402

DIMS = ("country", "year", "sex", "age_group")
OUT = ROOT / "benchmarks" / "out"

PAC_SCRIPT = r"""
import csv, json, sys, time
import pacsynth
path, eps, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
with open(path, newline="") as fh:
    raw = [row for row in csv.reader(fh)]
t = time.perf_counter()
ds = pacsynth.Dataset(raw)
params = pacsynth.DpAggregateSeededParametersBuilder().reporting_length(3).epsilon(eps).build()
syn = pacsynth.DpAggregateSeededSynthesizer(params)
syn.fit(ds)
aggs = syn.get_dp_aggregates(";")
secs = time.perf_counter() - t
json.dump({"aggregates": aggs, "seconds": secs, "parameters": params.to_json_str(),
           "records": syn.get_dp_number_of_records()},
          open(out, "w"))
"""


def load_victims(db_url: str | None, scale: float) -> list[dict[str, Any]]:
    from tipnet.stats import StatsSource
    from tipnet.store import Database

    if db_url is None:
        db_url = _demo_db(scale)
    src = StatsSource(Database(db_url))
    cols = ", ".join(["id", "submission_id", *DIMS])
    return src.query(f"SELECT {cols} FROM victims")


def _demo_db(scale: float) -> str:
    from tipnet.demo.load import load_demo
    from tipnet.settings import Settings
    from tipnet.store import Database

    folder = OUT / f"release-demo-{scale:g}"
    url = f"sqlite:///{folder / 'demo.db'}"
    if not (folder / "loaded").exists():
        folder.mkdir(parents=True, exist_ok=True)
        db = Database(url)
        db.upgrade()
        load_demo(db, Settings.from_env(home=folder / "home"), seed=2026, scale=scale, glotip=None)
        (folder / "loaded").touch()
    return url


def truth(rows: list[dict[str, Any]]) -> dict[int, dict[tuple[str, ...], dict[tuple[str, ...], int]]]:
    """k -> dims -> cell (values) -> count, over the cross product of the values present."""
    values = {d: sorted({str(r[d]) for r in rows}) for d in DIMS}
    out: dict[int, dict[tuple[str, ...], dict[tuple[str, ...], int]]] = {}
    for k in (1, 2, 3):
        out[k] = {}
        for dims in combinations(DIMS, k):
            cells = dict.fromkeys(product(*(values[d] for d in dims)), 0)
            for r in rows:
                cells[tuple(str(r[d]) for d in dims)] += 1
            out[k][dims] = cells
    return out


def mae(t: dict[int, dict[tuple[str, ...], dict[tuple[str, ...], int]]],
        estimate: Callable[[tuple[str, ...], tuple[str, ...]], float | None]) -> dict[int, float]:
    out = {}
    for k, tables in t.items():
        errs = [abs(estimate(dims, cell) - n) for dims, cells in tables.items() for cell, n in cells.items()
                if estimate(dims, cell) is not None]  # type: ignore[operator]
        out[k] = statistics.fmean(errs) if errs else float("nan")
    return out


def run_tipnet_dp(src: MemorySource, measure: str, budget: float, years: tuple[int, int],
                  t: dict[int, dict[tuple[str, ...], dict[tuple[str, ...], int]]],
                  consistent: bool) -> tuple[dict[int, float], float]:
    specs = [TableSpec("_".join(d), d) for k in (1, 2, 3) for d in combinations(DIMS, k)]
    start = time.perf_counter()
    params = dp.DPParams(measure=measure, budget=budget, years=years, consistent=consistent)  # type: ignore[arg-type]
    plan = dp.plan(specs, params)
    rel = dp.release(src, current_snapshot(src), specs, plan)
    secs = time.perf_counter() - start
    lookup = {}
    for spec in specs:
        for row, cell in rel.tables[spec.name].items():
            lookup[(spec.dims, row)] = cell.value
    return mae(t, lambda dims, cell: lookup.get((dims, cell), 0)), secs


def run_pac(python: str, rows: list[dict[str, Any]], eps: float,
            t: dict[int, dict[tuple[str, ...], dict[tuple[str, ...], int]]]) -> tuple[dict[int, float], float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "victims.csv"
        with data.open("w", newline="") as fh:
            import csv

            w = csv.writer(fh)
            w.writerow(DIMS)
            for r in rows:
                w.writerow([str(r[d]) for d in DIMS])
        out = Path(tmp) / "aggs.json"
        subprocess.run([python, "-c", PAC_SCRIPT, str(data), str(eps), str(out)], check=True, timeout=1800)
        res = json.loads(out.read_text())
    aggs = {frozenset(k.split(";")): v for k, v in res["aggregates"].items()}

    def estimate(dims: tuple[str, ...], cell: tuple[str, ...]) -> float:
        return float(aggs.get(frozenset(f"{d}:{v}" for d, v in zip(dims, cell, strict=True)), 0))

    n = float(res["records"])  # pac-synth's delta: 1 / (n ln n) over its DP record count
    return mae(t, estimate), res["seconds"], 1 / (n * math.log(n))


def run_threshold(src: MemorySource, t: dict[int, dict[tuple[str, ...], dict[tuple[str, ...], int]]],
                  threshold: int) -> tuple[dict[int, float], dict[int, float], float, dict[str, Any]]:
    specs = [TableSpec("_".join(d), d) for k in (1, 2, 3) for d in combinations(DIMS, k)]
    start = time.perf_counter()
    snap = current_snapshot(src)
    doms = domains(src, DIMS, snap)
    system = build_system(src, [ReleaseView("bench", snap, specs, doms, {})])
    result = suppress(system, 0, grid_keys(specs, doms), Protection(threshold))
    secs = time.perf_counter() - start
    shares, imputed = {}, {}
    mid = (threshold - 1) / 2
    for k, tables in t.items():
        hidden = total = 0
        errs = []
        for dims, cells in tables.items():
            for cell, n in cells.items():
                key = tuple(sorted(zip(dims, cell, strict=True)))
                total += 1
                if key in result.published:
                    errs.append(0.0)
                else:
                    hidden += 1
                    errs.append(abs(mid - n))
        shares[k] = hidden / total
        imputed[k] = statistics.fmean(errs)
    return shares, imputed, secs, result.to_dict()


def zcdp_rho(epsilon: float, delta: float) -> float:
    """The rho whose standard conversion gives (epsilon, delta)-DP: epsilon = rho + 2 sqrt(rho ln(1/delta))."""
    lg = math.log(1 / delta)
    return (math.sqrt(lg + epsilon) - math.sqrt(lg)) ** 2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", help="store URL with data (default: load the demo into benchmarks/out/)")
    ap.add_argument("--scale", type=float, default=1.0, help="demo volume multiplier")
    ap.add_argument("--epsilons", default="0.5,1,4")
    ap.add_argument("--runs", type=int, default=3, help="draws per DP method and epsilon")
    ap.add_argument("--pac-python", help="python of a venv with pac-synth==0.0.8 (skipped when not given)")
    ap.add_argument("--threshold", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    rows = load_victims(args.db, args.scale)
    src = MemorySource(rows)
    years = (2015, 2024)  # the demo's public reporting period
    t = truth(rows)
    cells = {k: sum(len(c) for c in tables.values()) for k, tables in t.items()}
    results: dict[str, Any] = {"victims": len(rows), "cells": cells, "runs": args.runs, "methods": []}
    delta = 1 / (len(rows) * math.log(len(rows)))  # pac-synth's default delta
    for eps in [float(e) for e in args.epsilons.split(",")]:
        for name, measure, budget, fit in (
                ("tipnet DP pure (discrete Laplace), fitted", "pure", eps, True),
                ("tipnet DP zCDP (discrete Gaussian), fitted", "zcdp", zcdp_rho(eps, delta), True),
                ("tipnet DP pure, every grouping set measured", "pure", eps, False)):
            draws = [run_tipnet_dp(src, measure, budget, years, t, fit) for _ in range(args.runs)]
            results["methods"].append({"method": name, "epsilon": eps, "delta": 0 if measure == "pure" else delta,
                                       "rho": budget if measure == "zcdp" else eps**2 / 2,
                                       "mae": {k: statistics.fmean(d[0][k] for d in draws) for k in (1, 2, 3)},
                                       "seconds": statistics.fmean(d[1] for d in draws)})
        if args.pac_python:
            draws_pac = [run_pac(args.pac_python, rows, eps, t) for _ in range(args.runs)]
            results["methods"].append({"method": "pac-synth 0.0.8 DP aggregates", "epsilon": eps,
                                       "delta": draws_pac[0][2],
                                       "mae": {k: statistics.fmean(d[0][k] for d in draws_pac) for k in (1, 2, 3)},
                                       "seconds": statistics.fmean(d[1] for d in draws_pac)})
    shares, imputed, secs, detail = run_threshold(src, t, args.threshold)
    results["threshold"] = {"threshold": args.threshold, "suppressed_share": shares,
                            "mae_suppressed_read_as_midpoint": imputed, "seconds": secs, "detail": detail}
    results["machine"] = f"{platform.machine()}, {platform.python_version()}"
    md = render(results)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "release_utility.md").write_text(md, encoding="utf-8")
    (OUT / "release_utility.json").write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    print(json.dumps(results, indent=2, default=str) if args.json else md)


def render(r: dict[str, Any]) -> str:
    c = r["cells"]
    lines = [f"Release utility on {r['victims']:,} demo victims; tables over {', '.join(DIMS)}: "
             f"{c[1]} / {c[2]} / {c[3]} cells in the 1- / 2- / 3-way tables; mean absolute error per cell, mean of "
             f"{r['runs']} draws.", "",
             "| method | epsilon | delta | MAE 1-way | MAE 2-way | MAE 3-way | seconds |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for m in r["methods"]:
        mae_ = m["mae"]
        lines.append(f"| {m['method']} | {m['epsilon']:g} | {m['delta']:.2g} | {mae_[1]:.2f} | {mae_[2]:.2f} | "
                     f"{mae_[3]:.2f} | {m['seconds']:.2f} |")
    th = r["threshold"]
    s, i = th["suppressed_share"], th["mae_suppressed_read_as_midpoint"]
    lines += ["", f"Threshold rule ({th['threshold']}) with secondary suppression and LP audit, no noise: suppressed "
              f"cells {s[1]:.1%} / {s[2]:.1%} / {s[3]:.1%} (1- / 2- / 3-way); MAE when every suppressed cell is "
              f"read as {(th['threshold'] - 1) / 2:g}: {i[1]:.2f} / {i[2]:.2f} / {i[3]:.2f}; {th['seconds']:.1f} s "
              f"({th['detail']['audit']['linear_programmes']} LPs).", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
