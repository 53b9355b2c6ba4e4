"""PostgreSQL import against a plain COPY of the same rows (issue 18: target 1.5x).

In a database of its own on the server (made afresh each run, dropped at the end):

1. tipnet import: `import_file` of N seeded rows (`ingest_data`, 1% with a planted defect) into a migrated store,
   timed from the call to its return (the commit). The import writes through ADBC's PostgreSQL ingest (COPY in
   PostgreSQL's binary format) in one transaction (`store.bulk`).
2. the floor: the rows the import stored, exported once as CSV (not timed), then written again with one plain
   `COPY persons_plain FROM STDIN (FORMAT csv)` into a table made `LIKE persons INCLUDING ALL` (the same columns,
   defaults and indexes), in one transaction, timed from the COPY to the commit.

The ratio is import / floor. The machine may be shared with other work: run it more than once.

    python benchmarks/ingest_pg.py --pg postgresql+psycopg://postgres@127.0.0.1:55600/postgres --records 1000000
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from ingest_data import COUNTRY, ensure_dataset  # noqa: E402

from tipnet.ingest.pipeline import ImportOptions, import_file  # noqa: E402
from tipnet.settings import Settings  # noqa: E402
from tipnet.store import Database  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pg", required=True, help="a PostgreSQL server URL (a database is made and dropped there)")
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--workdir", type=Path, default=ROOT / "benchmarks" / "out" / "freshness")
    args = ap.parse_args()
    server = Database(args.pg).url
    name = f"tipnet_ingest_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
    db = Database(make_url(server).set(database=name).render_as_string(hide_password=False))
    try:
        db.upgrade()
        data = ensure_dataset(args.workdir, args.records, 20240601, 0.01)
        settings = Settings.from_env(home=args.workdir / "home")
        t0 = time.perf_counter()
        report = import_file(data.csv, db, ImportOptions(country=COUNTRY), settings)
        imported = time.perf_counter() - t0
        raw = db.engine.raw_connection()
        try:
            with tempfile.TemporaryFile("w+b") as dump:
                cur = raw.cursor()
                with cur.copy("COPY persons TO STDOUT (FORMAT csv)") as copy:  # type: ignore[attr-defined]
                    for block in copy:
                        dump.write(block)
                cur.execute("CREATE TABLE persons_plain (LIKE persons INCLUDING ALL)")
                raw.commit()
                dump.seek(0)
                t1 = time.perf_counter()
                with cur.copy("COPY persons_plain FROM STDIN (FORMAT csv)") as copy:  # type: ignore[attr-defined]
                    while block := dump.read(1 << 20):
                        copy.write(block)
                raw.commit()
                floor = time.perf_counter() - t1
                cur.execute("SELECT count(*) FROM persons_plain")
                copied = cur.fetchone()[0]  # type: ignore[index]
        finally:
            raw.close()
        print(json.dumps({"records": args.records, "rows_accepted": report.rows_accepted,
                          "rows_quarantined": report.rows_quarantined, "import_s": round(imported, 2),
                          "plain_copy_rows": copied, "plain_copy_s": round(floor, 2),
                          "ratio_to_copy": round(imported / floor, 2)}))
    finally:
        db.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
