"""PostgreSQL import against a plain COPY of the same rows (issue 18: target 1.5x).

Each measurement (--repeat, default 3, medians reported) runs in a database of its own on the server, made afresh
and dropped at the end, and each timed part starts right after a CHECKPOINT (what one part dirtied is not written
during the next):

1. tipnet import: `import_file` of N seeded rows (`ingest_data`, 1% with a planted defect) into a migrated store,
   timed from the call to its return (the commit). The import writes each batch through ADBC's PostgreSQL ingest
   (COPY in binary) in one transaction (`tipnet.store.bulk`).
2. the floor: the rows the import stored (every column but id), exported once as CSV (not timed), then written
   again with one plain `COPY ... FROM STDIN (FORMAT csv)` in one transaction, timed from the COPY to the commit,
   into a fresh table as persons is: `LIKE persons INCLUDING ALL` (the same columns, defaults, id sequence and
   indexes) plus persons' foreign key to submissions (each row's submission is checked, as in persons). The
   ratio is import / floor.
3. for reference, the same COPY into that table without the foreign key (`copy_without_fk_s`): what persons would
   cost without its foreign key, which the store has and an import cannot skip.

Wall time on a shared machine varies a lot, so the work is counted too: CPU seconds of this process (all its
threads) plus those of the server process serving the connection (read from /proc: the server must run on this
machine), for the import and for the floor (`import_cpu_s`, `copy_cpu_s`).
With `--profile`, the import runs under cProfile (the main thread), the writer thread's writes are timed by table,
and the import's persons batches are written again alone, without and with the foreign key.

    python benchmarks/ingest_pg.py --pg postgresql+psycopg://postgres@127.0.0.1:55600/postgres --records 1000000
    python benchmarks/ingest_pg.py --pg ... --records 100000 --repeat 1 --profile   # under cProfile (slower)
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
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
from tipnet.store import Database, bulk  # noqa: E402
from tipnet.store.tables import persons  # noqa: E402


def _ingest_alone(db: Database, batches: list[Any]) -> dict[str, float]:
    """The import's persons batches written again the way the import writes them (`tipnet.store.bulk`: ADBC's
    ingest, COPY in binary), nothing else running, into a table like persons without and with its foreign key."""
    out = {}
    for name, fk in (("adbc_copy", False), ("adbc_copy_with_fk", True)):
        conn = db.bulk._connect()
        try:
            conn.execute(f"CREATE TABLE persons_{name} (LIKE persons INCLUDING ALL)")
            if fk:
                conn.execute(f"ALTER TABLE persons_{name} ADD FOREIGN KEY (submission_id) REFERENCES submissions(id)")
            conn.commit()
            t = time.perf_counter()
            for b in batches:
                conn.ingest(f"persons_{name}", b)
            conn.commit()
            out[name] = round(time.perf_counter() - t, 2)
            conn.execute(f"DROP TABLE persons_{name}")
            conn.commit()
        finally:
            conn.close()
    return out


def _backend_cpu(pid: int) -> float:
    """CPU seconds a server process has used so far (the server runs on this machine: /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _own_cpu() -> float:
    """CPU seconds of this process so far, every thread (polars' and the writer's included)."""
    t = os.times()
    return t.user + t.system


def _checkpoint(db: Database) -> None:
    """Start each timed part from a clean buffer cache: what one part dirtied is not written during the next."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("CHECKPOINT"))


def _copy_floor(db: Database, dump: Any, table: str, fk: bool) -> tuple[float, float]:
    """One plain `COPY ... FROM STDIN (FORMAT csv)` of the dumped rows into a fresh table like persons (with its
    foreign key when fk), timed from the COPY to the commit; the table is dropped afterwards."""
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(f"CREATE TABLE {table} (LIKE persons INCLUDING ALL)")
        if fk:
            cur.execute(f"ALTER TABLE {table} ADD FOREIGN KEY (submission_id) REFERENCES submissions(id)")
        raw.commit()
        _checkpoint(db)
        dump.seek(0)
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]  # type: ignore[index]
        cpu = _backend_cpu(pid) + _own_cpu()
        t = time.perf_counter()
        with cur.copy(f"COPY {table} ({_COLUMNS}) FROM STDIN (FORMAT csv)") as copy:  # type: ignore[attr-defined]
            while block := dump.read(1 << 20):
                copy.write(block)
        raw.commit()
        seconds = time.perf_counter() - t
        cpu = _backend_cpu(pid) + _own_cpu() - cpu
        cur.execute(f"DROP TABLE {table}")
        raw.commit()
    finally:
        raw.close()
    return seconds, cpu


_COLUMNS = ""  # persons' columns but id (the floor, like the import, leaves ids to the sequence)


def _once(server: str, args: argparse.Namespace, data: Any) -> dict[str, Any]:
    """One measurement in a database of its own: the import, then the two floors of the rows it stored."""
    global _COLUMNS
    name = f"tipnet_ingest_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
    db = Database(make_url(server).set(database=name).render_as_string(hide_password=False))
    try:
        db.upgrade()
        _COLUMNS = ", ".join(c.name for c in persons.columns if c.name != "id")
        settings = Settings.from_env(home=args.workdir / "home" / name)
        profile = cProfile.Profile() if args.profile else None
        kept: list[Any] = []  # the persons batches written, written again alone after the import
        writes: dict[str, list[float]] = {}  # per table: [seconds in the writer's ingest calls, rows]
        plain = bulk.BulkTransaction.ingest
        if args.profile:  # the writer thread is not in the profile: its ingest calls timed by table

            def timed(tx: Any, table: str, data: Any) -> None:
                t = time.perf_counter()
                plain(tx, table, data)
                w = writes.setdefault(table, [0.0, 0])
                w[0] += time.perf_counter() - t
                w[1] += len(data)
                if table == "persons":
                    kept.append(data)

            bulk.BulkTransaction.ingest = timed  # type: ignore[method-assign]
        backends: list[tuple[int, float]] = []  # the import's connection: (server pid, its CPU seconds at start)
        # the server's CPU is read on the connection the import opens, from its start to its close
        opened, closing = bulk._DbapiConnection.__init__, bulk._DbapiConnection.close

        def watch_open(conn: Any, raw: Any) -> None:
            opened(conn, raw)
            conn.bench_pid = int(conn.query_one("SELECT pg_backend_pid()")[0])
            backends.append((conn.bench_pid, _backend_cpu(conn.bench_pid)))

        def watch_close(conn: Any) -> None:
            pid = conn.bench_pid
            start = next(c for p, c in backends if p == pid)
            backends[:] = [(p, c) for p, c in backends if p != pid] + [(-1, _backend_cpu(pid) - start)]
            closing(conn)

        bulk._DbapiConnection.__init__ = watch_open  # type: ignore[method-assign]
        bulk._DbapiConnection.close = watch_close  # type: ignore[method-assign]
        load = os.getloadavg()[0]
        own = _own_cpu()
        _checkpoint(db)
        t0 = time.perf_counter()
        if profile is not None:
            profile.enable()
        try:
            report = import_file(data.csv, db, ImportOptions(country=COUNTRY), settings)
        finally:
            bulk.BulkTransaction.ingest = plain  # type: ignore[method-assign]
            bulk._DbapiConnection.__init__ = opened  # type: ignore[method-assign]
            bulk._DbapiConnection.close = closing  # type: ignore[method-assign]
        imported = time.perf_counter() - t0
        server_cpu = sum(c for p, c in backends if p == -1) if backends else None
        import_cpu = None if server_cpu is None else server_cpu + _own_cpu() - own
        if profile is not None:
            profile.disable()
            pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(25)
            pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
            print(json.dumps({"writer_ingest": {k: [round(v[0], 2), v[1]] for k, v in writes.items()},
                              "alone": _ingest_alone(db, kept)}), file=sys.stderr)
        with tempfile.TemporaryFile("w+b") as dump:
            raw = db.engine.raw_connection()
            try:
                cur = raw.cursor()
                with cur.copy(f"COPY persons ({_COLUMNS}) TO STDOUT (FORMAT csv)") as copy:  # type: ignore[attr-defined]
                    for block in copy:
                        dump.write(block)
                cur.execute("SELECT count(*) FROM persons")
                stored = cur.fetchone()[0]  # type: ignore[index]
            finally:
                raw.close()
            floor_fk, floor_fk_cpu = _copy_floor(db, dump, "persons_plain_fk", fk=True)
            floor, _ = _copy_floor(db, dump, "persons_plain", fk=False)
        return {"rows_accepted": report.rows_accepted, "rows_quarantined": report.rows_quarantined,
                "rows_stored": stored, "load_1min": round(load, 2), "import_s": round(imported, 2),
                "copy_s": round(floor_fk, 2), "ratio": round(imported / floor_fk, 2),
                "copy_without_fk_s": round(floor, 2),
                "import_cpu_s": None if import_cpu is None else round(import_cpu, 2),
                "copy_cpu_s": round(floor_fk_cpu, 2), "ratio_without_fk": round(imported / floor, 2)}
    finally:
        db.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pg", required=True, help="a PostgreSQL server URL (a database is made and dropped there)")
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3, help="measurements, each in a fresh database (medians)")
    ap.add_argument("--profile", action="store_true", help="the import under cProfile: its costliest functions")
    ap.add_argument("--workdir", type=Path, default=ROOT / "benchmarks" / "out" / "freshness")
    args = ap.parse_args()
    server = Database(args.pg).url
    data = ensure_dataset(args.workdir, args.records, 20240601, 0.01)
    runs = [_once(server, args, data) for _ in range(args.repeat)]
    for run in runs:
        print(json.dumps(run), file=sys.stderr)
    if any(r["rows_accepted"] + r["rows_quarantined"] != args.records or r["rows_stored"] != r["rows_accepted"]
           for r in runs):
        raise SystemExit("rows lost: accepted + quarantined must be every row, and every accepted row stored")
    keys = ["import_s", "copy_s", "copy_without_fk_s"]
    if all(r["import_cpu_s"] is not None for r in runs):
        keys += ["import_cpu_s", "copy_cpu_s"]
    mid = {k: round(statistics.median(r[k] for r in runs), 2) for k in keys}
    cpu = {"cpu_ratio": round(mid["import_cpu_s"] / mid["copy_cpu_s"], 2)} if "import_cpu_s" in mid else {}
    print(json.dumps({"records": args.records, "repeat": args.repeat, "rows_accepted": runs[0]["rows_accepted"],
                      "rows_quarantined": runs[0]["rows_quarantined"], **mid,
                      "ratio": round(mid["import_s"] / mid["copy_s"], 2),
                      "ratio_without_fk": round(mid["import_s"] / mid["copy_without_fk_s"], 2), **cpu,
                      "ratios": [r["ratio"] for r in runs], "load_1min": [r["load_1min"] for r in runs]}))


if __name__ == "__main__":
    main()
