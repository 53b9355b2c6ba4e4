"""Freshness benchmark (first part): statistics from a store, against the floor measured in the same run.

On an existing store (SQLite file, or PostgreSQL URL), in this process:

1. cold: a new `StatsSource` answers one `GROUP BY CUBE (country, year, sex)` over `victims` (the read worker
   started first, as a web server starts it); the floor, in a separate process: the same person columns read
   through ADBC into Arrow and one DuckDB `GROUP BY CUBE` (SQLite only);
2. a correction: one person's sex changed in place with the records revision (as `cases.store` does), and the
   time from the commit to a fresh cube answer;
3. peak RSS of this process and of its children (the read worker).

Not yet here (see issue 18): generating 1,000,000 / 10,000,000 records (use `benchmarks/ingest_data.py` and
`tipnet import`, then pass the store), a 10,000-row import and a consent withdrawal, and writing BENCHMARKS.md.
The store is changed by step 2: pass a copy.

    python benchmarks/freshness.py --url sqlite:////tmp/copy-of-store.db
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import textwrap
import time

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from tipnet.stats import read_worker
from tipnet.stats.source import PERSON_COLUMNS, StatsSource
from tipnet.store import Database, revision
from tipnet.store.tables import persons

CUBE = "SELECT country, year, sex, count(*) AS n FROM victims GROUP BY CUBE (country, year, sex)"


def floor_seconds(path: str) -> tuple[float, float]:
    """(read + cube, read alone) in a separate process, through ADBC SQLite and DuckDB."""
    code = textwrap.dedent(f"""
        import time, duckdb, adbc_driver_sqlite.dbapi as d
        t = time.perf_counter()
        with d.connect({path!r}) as c, c.cursor() as cur:
            cur.execute("SELECT {', '.join(PERSON_COLUMNS)} FROM persons")
            tab = cur.fetch_arrow_table()
        r = time.perf_counter()
        duckdb.sql("SELECT reporting_country, identification_year, sex, count(*) FROM tab "
                   "GROUP BY CUBE (reporting_country, identification_year, sex)").fetchall()
        print(time.perf_counter() - t, r - t)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", required=True, help="the store (a copy: a correction is committed to it)")
    args = ap.parse_args()
    db = Database(args.url)
    read_worker.start()
    time.sleep(2)  # the worker imports its driver, as it does while a web server starts
    t0 = time.perf_counter()
    src = StatsSource(db)
    cells = len(src.query(CUBE))
    cold = time.perf_counter() - t0
    result: dict[str, object] = {"cold_load_and_cube_s": round(cold, 2), "cube_cells": cells}
    u = make_url(args.url)
    if u.get_backend_name() == "sqlite":
        floor, read = floor_seconds(str(u.database))
        result.update(floor_s=round(floor, 2), floor_read_s=round(read, 2), ratio_to_floor=round(cold / floor, 2))
    with db.engine.begin() as conn:
        pid = conn.execute(select(func.min(persons.c.id))).scalar_one()
        sex = conn.execute(select(persons.c.sex).where(persons.c.id == pid)).scalar_one()
        conn.execute(persons.update().where(persons.c.id == pid).values(sex="F" if sex != "F" else "M"))
        revision.bump(conn)
    t1 = time.perf_counter()
    src.query(CUBE)
    result["correction_to_fresh_cube_s"] = round(time.perf_counter() - t1, 2)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    result["peak_rss_worker_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main()
