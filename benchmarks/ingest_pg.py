"""PostgreSQL import against a plain COPY of the same rows (issue 18: target 1.5x).

In a database of its own on the server (made afresh each run, dropped at the end):

1. tipnet import: `import_file` of N seeded rows (`ingest_data`, 1% with a planted defect) into a migrated store,
   timed from the call to its return (the commit). The import writes through ADBC's PostgreSQL ingest (COPY in
   PostgreSQL's binary format) in one transaction (`store.bulk`).
2. the floor: the rows the import stored, exported once as CSV (not timed), then written again with one plain
   `COPY persons_plain FROM STDIN (FORMAT csv)` into a table made `LIKE persons INCLUDING ALL` (the same columns,
   defaults and indexes), in one transaction, timed from the COPY to the commit.

The ratio is import / floor. The floor's table has no foreign key (`LIKE` copies none), persons has one (each
row's submission is checked): the same COPY into a table with that key is reported too (`plain_copy_with_fk_s`).
With `--profile`, the import runs under cProfile (the main thread), the writer thread's ingest calls are timed by
table, and the import's persons batches are ingested again alone (ADBC as given, as plain Arrow strings, with the
foreign key, and as Arrow-written CSV through COPY), to tell the wire format from the table's own costs.
The machine may be shared with other work: run it more than once.

    python benchmarks/ingest_pg.py --pg postgresql+psycopg://postgres@127.0.0.1:55600/postgres --records 1000000
    python benchmarks/ingest_pg.py --pg ... --records 100000 --profile   # the import under cProfile (slower)
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from ingest_data import COUNTRY, ensure_dataset  # noqa: E402

from tipnet.ingest.pipeline import ImportOptions, import_file  # noqa: E402
from tipnet.settings import Settings  # noqa: E402
from tipnet.store import Database  # noqa: E402


def _ingest_alone(db: Database, batches: list[Any]) -> dict[str, Any]:
    """The import's persons batches ingested again through ADBC into a table like persons, nothing else running: as
    handed over, and as Arrow tables with plain string columns; and written as CSV by Arrow through a plain COPY."""
    import adbc_driver_postgresql.dbapi as pg
    import pyarrow as pa
    import pyarrow.csv as pcsv

    out = {}
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    for name, convert, fk in (("as_given", lambda b: b, False), ("arrow_plain_strings", _plain_arrow, False),
                              ("as_given_with_fk", lambda b: b, True)):
        data = [convert(b) for b in batches]
        with pg.connect(url) as conn:
            cur = conn.cursor()
            cur.execute(f"CREATE TABLE persons_{name} (LIKE persons INCLUDING ALL)")
            if fk:  # as persons: each row's submission checked (LIKE copies no foreign key)
                cur.execute(f"ALTER TABLE persons_{name} ADD FOREIGN KEY (submission_id) REFERENCES submissions(id)")
            t = time.perf_counter()
            for b in data:
                cur.adbc_ingest(f"persons_{name}", b, mode="append")
            conn.commit()
            out[name] = round(time.perf_counter() - t, 2)
            cur.execute(f"DROP TABLE persons_{name}")
            conn.commit()
    raw = db.engine.raw_connection()  # the same batches as CSV (Arrow's writer) through one plain COPY
    try:
        cur = raw.cursor()
        cur.execute("CREATE TABLE persons_csv (LIKE persons INCLUDING ALL)")
        raw.commit()
        t = time.perf_counter()
        for b in batches:
            table = _plain_arrow(b)
            sink = pa.BufferOutputStream()
            pcsv.write_csv(table, sink, pcsv.WriteOptions(include_header=False))
            cols = ", ".join(table.column_names)
            with cur.copy(f"COPY persons_csv ({cols}) FROM STDIN (FORMAT csv)") as copy:  # type: ignore[attr-defined]
                copy.write(sink.getvalue().to_pybytes())
        raw.commit()
        out["arrow_csv_copy"] = round(time.perf_counter() - t, 2)
        cur.execute("SELECT count(*) FROM persons_csv")
        out["arrow_csv_copy_rows"] = cur.fetchone()[0]  # type: ignore[index]
        cur.execute("DROP TABLE persons_csv")
        raw.commit()
    finally:
        raw.close()
    return out


def _plain_arrow(batch: Any) -> Any:
    import pyarrow as pa

    table = batch.to_arrow() if hasattr(batch, "to_arrow") else batch
    fields = [pa.field(f.name, pa.string()) if f.type in (pa.string_view(), pa.large_string()) else f
              for f in table.schema]
    return table.cast(pa.schema(fields))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pg", required=True, help="a PostgreSQL server URL (a database is made and dropped there)")
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--profile", action="store_true", help="the import under cProfile: its costliest functions")
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
        profile = cProfile.Profile() if args.profile else None
        kept: list[Any] = []  # the persons batches written, ingested again alone after the import
        writes: dict[str, list[float]] = {}  # per table: [seconds in the writer's ingest calls, rows]
        if args.profile:  # the writer thread is not in the profile: its ingest calls timed by table
            from tipnet.store import bulk

            plain = bulk.BulkTransaction.ingest

            def timed(tx: Any, table: str, data: Any) -> None:
                t = time.perf_counter()
                plain(tx, table, data)
                w = writes.setdefault(table, [0.0, 0])
                w[0] += time.perf_counter() - t
                w[1] += len(data)
                if table == "persons":
                    kept.append(data)

            bulk.BulkTransaction.ingest = timed  # type: ignore[method-assign]
        t0 = time.perf_counter()
        if profile is not None:
            profile.enable()
        report = import_file(data.csv, db, ImportOptions(country=COUNTRY), settings)
        imported = time.perf_counter() - t0
        if profile is not None:
            profile.disable()
            pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(25)
            pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
            print(json.dumps({"writer_ingest": {k: [round(v[0], 2), v[1]] for k, v in writes.items()},
                              "batch_columns": kept[0].column_names[:4] if kept else None,
                              "alone": _ingest_alone(db, kept)}), file=sys.stderr)
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
                # the same COPY into a table that also has persons' foreign key (each row's submission checked)
                cur.execute("CREATE TABLE persons_plain_fk (LIKE persons INCLUDING ALL)")
                cur.execute("ALTER TABLE persons_plain_fk ADD FOREIGN KEY (submission_id) REFERENCES submissions(id)")
                raw.commit()
                dump.seek(0)
                t1 = time.perf_counter()
                with cur.copy("COPY persons_plain_fk FROM STDIN (FORMAT csv)") as copy:  # type: ignore[attr-defined]
                    while block := dump.read(1 << 20):
                        copy.write(block)
                raw.commit()
                floor_fk = time.perf_counter() - t1
        finally:
            raw.close()
        print(json.dumps({"records": args.records, "rows_accepted": report.rows_accepted,
                          "rows_quarantined": report.rows_quarantined, "import_s": round(imported, 2),
                          "plain_copy_rows": copied, "plain_copy_s": round(floor, 2),
                          "ratio_to_copy": round(imported / floor, 2), "plain_copy_with_fk_s": round(floor_fk, 2),
                          "ratio_to_copy_with_fk": round(imported / floor_fk, 2)}))
    finally:
        db.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
