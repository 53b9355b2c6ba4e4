"""Scoped statistics queries: one cube and one country page recompute per scope, on an existing store.

Opens a copy of a store (e.g. the web load benchmark's `benchmarks/out/web-load/tipnet-1000000.db`: copy it first,
the benchmark never writes to the store but the copy keeps a running server's file out of it) and, for the whole
store, the hub and the countries asked for, builds each scope's statistics source (`auth.tenancy.Scope.rows()`),
loads it once, then times (median of `--runs`, runs interleaved across scopes):

- `cube`: the 5-dimension victim cube (country, year, sex, age_group, form: 32 grouping sets) through
  `stats.figures.victims`, the result memo bypassed;
- `page`: the web country page's figures (`web.routes_stats._country`) for the scope's country (PER for the whole
  store and the hub), with the memo emptied first, as after a commit.

With `--compare`, each scope is also built as before scopes were sliced (`~filter`: the base registered as an Arrow
dataset filtered by the scope, the filter run inside each scan), timed in the same runs.

    python benchmarks/scope_query.py /tmp/tipnet-1000000.db --countries PER,MEX --runs 5
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import pyarrow.dataset as ds  # noqa: E402

from tipnet.auth.tenancy import ALL, COUNTRY, HUB, Scope  # noqa: E402
from tipnet.stats import explorer as ex  # noqa: E402
from tipnet.stats import scoped  # noqa: E402
from tipnet.stats.cube import CubeSpec  # noqa: E402
from tipnet.stats.figures import victims  # noqa: E402
from tipnet.stats.source import StatsSource  # noqa: E402
from tipnet.store import Database  # noqa: E402
from tipnet.web import explore  # noqa: E402
from tipnet.web.routes_stats import _country  # noqa: E402

CUBE = CubeSpec(("country", "year", "sex", "age_group", "form"))


def _timed(fn: Any) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


class _Filtered(StatsSource):
    """A source whose scope is a dataset filter run inside each scan (the way before scopes were sliced)."""

    def _load(self, version: tuple[int, ...]) -> Any:
        sliced = scoped.select_rows
        scoped.select_rows = lambda table, keep: ds.dataset(table).filter(keep)  # type: ignore[assignment]
        try:
            return super()._load(version)
        finally:
            scoped.select_rows = sliced


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("store", type=Path, help="a SQLite store file (a copy)")
    p.add_argument("--countries", default="PER,MEX")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--compare", action="store_true", help="also time each scope filtered in each scan")
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    logging.getLogger("tipnet.stats.scoped").setLevel(logging.DEBUG)
    db = Database(f"sqlite:///{args.store}")
    scopes = [Scope(ALL), Scope(HUB)] + [Scope(COUNTRY, c) for c in args.countries.split(",") if c]
    sources = {s.key: (s, StatsSource(db, s.rows())) for s in scopes}
    if args.compare:
        sources.update({f"{s.key}~filter": (s, _Filtered(db, s.rows())) for s in scopes if s.kind != ALL})
    ask = explore.Ask(ex.Period(), ("sex",), ("sex", "age_group", "form_group"))
    load = {k: round(_timed(src.connection), 3) for k, (_, src) in sources.items()}
    times: dict[str, dict[str, list[float]]] = {k: {"cube": [], "page": []} for k in sources}
    for _ in range(args.runs):
        for k, (scope, src) in sources.items():
            times[k]["cube"].append(_timed(lambda src=src: victims(src, CUBE)))
            code = scope.country or "PER"
            src._memo.clear()  # as after a commit: every figure of the page computed again
            times[k]["page"].append(_timed(lambda src=src, code=code: _country(src, code, "en", ask)))
    out = {"load_s": load,
           "median_s": {k: {m: round(statistics.median(v), 4) for m, v in t.items()} for k, t in times.items()},
           "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
           "rows": {k: src.query("SELECT count(*) AS n FROM persons_raw")[0]["n"] for k, (_, src) in sources.items()}}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
