"""The same import timed by the code of several commits, interleaved, so that a busy spell of a shared machine hits
every commit alike: `import_file(csv, db, ImportOptions(country="PER"))` into a fresh SQLite file, timed from the
call to the committed transaction, in a fresh process per run, each commit's `src/` taken from a git worktree.

    git worktree add /tmp/old 881c62a
    python benchmarks/ingest_interleaved.py benchmarks/out/cases-1000000-s20240601-i0.01-g2.csv . /tmp/old

The CSV is the one `benchmarks/ingest.py` generates. Prints each run and the median per tree (3 rounds).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

RUN = r"""
import json, pathlib, sys, tempfile, time
from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.settings import Settings
from tipnet.store import Database
d = pathlib.Path(tempfile.mkdtemp())
db = Database(f"sqlite:///{d / 'b.db'}")
db.upgrade()
t = time.perf_counter()
r = import_file(pathlib.Path(sys.argv[1]), db, ImportOptions(country="PER"), Settings.from_env(home=d / "home"))
print(json.dumps({"seconds": time.perf_counter() - t, "accepted": r.rows_accepted, "quarantined": r.rows_quarantined}))
"""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("csv", type=Path)
    p.add_argument("trees", nargs="+", type=Path, help="project trees (worktrees) whose src/ is timed")
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    times: dict[Path, list[float]] = {t: [] for t in args.trees}
    for n in range(args.rounds):
        for tree in args.trees:
            env = dict(os.environ, PYTHONPATH=str(tree.resolve() / "src"))
            load = os.getloadavg()[0]
            out = subprocess.run([sys.executable, "-c", RUN, str(args.csv)], env=env, capture_output=True, text=True,
                                 check=True)
            run = json.loads(out.stdout.strip().splitlines()[-1])
            times[tree].append(run["seconds"])
            print(f"round {n + 1} {tree}: {run['seconds']:.2f} s, load {load:.1f}, {run['accepted']:,} stored, "
                  f"{run['quarantined']:,} quarantined", flush=True)
    for tree, values in times.items():
        print(f"{tree}: {', '.join(f'{v:.2f}' for v in values)}; median {statistics.median(values):.2f} s")


if __name__ == "__main__":
    main()
