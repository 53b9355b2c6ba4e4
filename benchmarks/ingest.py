"""Ingest benchmark: tipnet's import (CSV -> checks -> SQLite) and validation, side by side with frictionless.

Generates N case rows in tipnet's flat layout (seeded, vectorised, 1% of the rows with one planted defect) and
runs, each in its own process so that peak RSS is measured per run:

1. tipnet import: `import_file` of the CSV into a fresh SQLite store, timed from the call to the committed
   transaction; accepted + quarantined must equal N. Two kinds of defect are planted (see "Keep the victim, flag
   the fact" in the README): rows lacking what is needed to count a victim (no record or case id, a reporting
   country that is not the importing one or no country at all), which must be exactly the quarantined rows; and
   unreadable cells in other fields, whose rows must be kept: `Report.values_kept` must equal the planted cells
   and the stored `raw_values` must hold exactly the planted raw cells. The same import with
   `ImportOptions(strict=True)` (the earlier rule) is run interleaved: there every planted row is quarantined;
2. tipnet store only: the rows the import stored, written again into a fresh store the way the import writes
   them, with no checks running: the ceiling of the import with this store schema on this machine;
3. tipnet validate only (`validate_file`), for reference;
4. the frictionless CLI, `frictionless validate --schema schema.json --json`, with the Table Schema tipnet
   exports, on the whole file or on a prefix (`--frictionless-rows`).

Each measurement runs --repeat times (default 3: the machine may be shared with other work) and the median is
reported, with every run's time and load average. Prints a Markdown table and writes the "Ingest" section of
BENCHMARKS.md at the repository root.

    python benchmarks/ingest.py --rows 1000000            # or: make bench (each run 3 times, medians reported)
    python benchmarks/ingest.py --rows 200000 --profile   # also cProfile the import and list the hot spots
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from ingest_data import COLUMNS, COUNTRY, Dataset, ensure_dataset, write_prefix

ROOT = Path(__file__).resolve().parent.parent
BARE_DROPS = ("ix_persons_submission", "ix_persons_country_year")
DEFAULT_FRICTIONLESS_ROWS = 200_000
TARGET_ROWS_PER_S = 250_000
TARGET_RATIO = 15.0
TARGET_RSS_BYTES = 1024**3

# ---------------------------------------------------------------- the measured processes


def _store_only(args: argparse.Namespace) -> dict[str, Any]:
    """The import's writing alone: the rows an import stored (read back from its database, not timed) written
    again into a fresh store the way the import writes them (`tipnet.store.bulk`, ADBC into SQLite, the batches
    of `Settings.chunk_rows`, one transaction), timed from the first batch to the commit. No checks run meanwhile,
    so this is the most an import can reach on this machine with this store schema."""
    import sqlite3

    from tipnet.ingest.submission import ImportOptions, submission_row
    from tipnet.settings import Settings
    from tipnet.store import Database

    with sqlite3.connect(args.source_db) as src:
        names = [r[1] for r in src.execute("PRAGMA table_info(persons)") if r[1] != "id"]
        filled = [n for n in names if src.execute(f'SELECT 1 FROM persons WHERE "{n}" IS NOT NULL LIMIT 1').fetchone()]
    import adbc_driver_sqlite.dbapi

    with adbc_driver_sqlite.dbapi.connect(args.source_db) as src_adbc, src_adbc.cursor() as cur:
        cur.execute(f"SELECT {', '.join(filled)} FROM persons ORDER BY id")
        frame = pl.DataFrame(pl.from_arrow(cur.fetch_arrow_table()))
    db = Database(f"sqlite:///{args.db}")
    db.upgrade()
    db.dispose()
    if args.child == "store-bare":  # the floor: the same rows without the indexes the store's reads rely on
        with sqlite3.connect(args.db) as con:
            for index in BARE_DROPS:
                con.execute(f"DROP INDEX {index}")
    chunk = Settings.from_env(home=Path(args.home)).chunk_rows
    t0 = time.perf_counter()
    with db.bulk.transaction() as tx:
        sid = tx.insert_returning_id("submissions", submission_row(db, "records", ImportOptions(country=COUNTRY),
                                                                    "tipnet", Path(args.csv), "store-only"))
        frame = frame.with_columns(pl.lit(sid, dtype=pl.Int32).alias("submission_id"))
        for offset in range(0, frame.height, chunk):
            tx.ingest("persons", frame.slice(offset, chunk))
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "rows_total": frame.height, "columns": len(filled)}


def _child(args: argparse.Namespace) -> None:
    """Runs inside a measured process: one tipnet import or validation; the outcome goes to args.result."""
    import resource

    if args.child in ("store", "store-bare"):
        Path(args.result).write_text(json.dumps(_store_only(args)))
        return

    from tipnet.ingest.pipeline import ImportOptions, import_file, validate_file
    from tipnet.settings import Settings

    try:  # SQLite imports run in a worker process (tipnet.ingest.worker) when the code base has one
        from tipnet.ingest import worker
    except ImportError:
        worker = None  # type: ignore[assignment]
    settings = Settings.from_env(home=Path(args.home))
    options = ImportOptions(country=COUNTRY, strict=args.child == "import-strict")
    csv_path = Path(args.csv)
    result: dict[str, Any] = {"worker_process": worker is not None}
    if args.child.startswith("import"):
        from tipnet.store import Database

        t0 = time.perf_counter()
        db = Database(f"sqlite:///{args.db}")
        db.upgrade()
        db.dispose()
        result["setup_seconds"] = time.perf_counter() - t0
        profiler = None
        if args.profile_out:
            import cProfile

            if worker is not None:  # profile the import where it runs: do here what the worker does
                worker._IN_WORKER = True  # type: ignore[attr-defined]
                result["worker_process"] = False
            profiler = cProfile.Profile()
            profiler.enable()
        t0 = time.perf_counter()
        report = import_file(csv_path, db, options, settings=settings)
        result["seconds"] = time.perf_counter() - t0
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile_out)
        t0 = time.perf_counter()
        if worker is not None and hasattr(worker, "shutdown"):
            # reap the worker now, so that its peak RSS is in RUSAGE_CHILDREN; it exits once the WAL checkpoint
            # that follows the commit (on a background thread) is done
            worker.shutdown()
        result["after_seconds"] = time.perf_counter() - t0
        wal = Path(str(args.db) + "-wal")
        result["wal_bytes_after"] = wal.stat().st_size if wal.exists() else 0
        import sqlite3

        con = sqlite3.connect(args.db)
        result["persons_in_db"] = con.execute("SELECT count(*) FROM persons").fetchone()[0]
        result["raw_values"] = {rid: json.loads(raw) for rid, raw in con.execute(
            "SELECT record_id, raw_values FROM persons WHERE raw_values IS NOT NULL")}
        con.close()
        if report.quarantine_path:
            q = pl.read_csv(report.quarantine_path, columns=["tipnet_row"], infer_schema=False)
            result["quarantined_rows"] = sorted(int(x) for x in q["tipnet_row"].to_list())
    else:
        t0 = time.perf_counter()
        report = validate_file(csv_path, options, settings=settings)
        result["seconds"] = time.perf_counter() - t0
    # peak RSS (ru_maxrss, KiB) of this process and of the largest process it started and reaped (the worker)
    result["rss_self"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    result["rss_children"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    result.update(
        rows_total=report.rows_total, rows_valid=report.rows_valid, rows_invalid=report.rows_invalid,
        rows_accepted=report.rows_accepted, rows_quarantined=report.rows_quarantined,
        values_kept=report.values_kept, problem_counts=dict(report.problem_counts), submission_id=report.submission_id,
        file_error=None if report.file_error is None else report.file_error.message,
    )
    Path(args.result).write_text(json.dumps(result))


@dataclass
class Run:
    name: str
    rows: int
    seconds: float  # the timed work (tipnet: the call; frictionless: the CLI minus its start-up)
    wall_seconds: float  # the whole process, interpreter start-up and imports included
    peak_rss: int  # bytes
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")


# Peak RSS: Linux carries a process's RSS high-water mark across fork + exec, so a child started from this
# (big) process would report at least our own RSS. Measured commands are therefore started by a tiny launcher
# interpreter that spawns them and records their own rusage (what /usr/bin/time does).
_LAUNCHER = """
import json, os, sys, time
t0 = time.perf_counter()
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - t0
with open(sys.argv[1], "w") as fh:
    json.dump({"wall": wall, "maxrss_kib": usage.ru_maxrss, "exit": os.waitstatus_to_exitcode(status)}, fh)
"""


def _measure(cmd: list[str], log: Path, cwd: Path = ROOT) -> tuple[float, int, int]:
    """Run cmd: wall seconds, peak RSS in bytes of that process alone, exit code. Its output goes to log."""
    usage_file = log.with_name(log.name + ".rusage")
    usage_file.unlink(missing_ok=True)
    with log.open("wb") as out:
        subprocess.run([sys.executable, "-I", "-S", "-c", _LAUNCHER, str(usage_file), *cmd],
                       stdout=out, stderr=subprocess.STDOUT, cwd=cwd, check=True)
    usage = json.loads(usage_file.read_text())
    return usage["wall"], usage["maxrss_kib"] * 1024, usage["exit"]  # ru_maxrss is in KiB on Linux


def run_tipnet(kind: str, ds: Dataset, workdir: Path, profile_out: Path | None = None) -> Run:
    home = workdir / "home"
    db = home / {"store": "store-only.db", "store-bare": "store-only.db", "import-strict": "strict.db"}.get(
        kind, "bench.db")
    for p in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        p.unlink(missing_ok=True)
    shutil.rmtree(home / "quarantine", ignore_errors=True)
    home.mkdir(parents=True, exist_ok=True)
    result = workdir / f"result-{kind}.json"
    result.unlink(missing_ok=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--csv", str(ds.csv),
           "--home", str(home), "--db", str(db), "--result", str(result)]
    if profile_out:
        cmd += ["--profile-out", str(profile_out)]
    if kind.startswith("store"):
        cmd += ["--source-db", str(home / "bench.db")]
    log = workdir / f"log-{kind}.txt"
    load_before = os.getloadavg()[0]
    wall, rss, code = _measure(cmd, log)
    if code != 0 or not result.is_file():
        sys.exit(f"tipnet {kind} failed (exit {code}); see {log}:\n{log.read_text()[-3000:]}")
    detail = json.loads(result.read_text())
    detail["load"] = (load_before, os.getloadavg()[0])
    if kind == "store":
        return Run("tipnet store only (the import's writing)", detail["rows_total"], detail["seconds"], wall, rss,
                   detail)
    if kind == "store-bare":
        return Run("tipnet store only, without the record indexes (a floor)", detail["rows_total"],
                   detail["seconds"], wall, rss, detail)
    if detail["rss_children"] > 0:
        # the import ran in a worker process: count both processes' peaks (an upper bound of their sum)
        rss = detail["rss_self"] + detail["rss_children"]
    name = "tipnet import, strict=True" if kind == "import-strict" else f"tipnet {kind}"
    return Run(name, detail["rows_total"], detail["seconds"], wall, rss, detail)


def run_frictionless(ds: Dataset, workdir: Path, rows: int) -> Run:
    from tipnet.standard.schemas import table_schema

    schema = table_schema()
    by_name = {f["name"]: f for f in schema["fields"]}
    # The exported schema has every field of the standard; the benchmark file has 21 of the columns and
    # frictionless matches fields to columns by position: keep the exported definitions of the file's columns.
    schema["fields"] = [by_name[c] for c in COLUMNS]
    schema_path = workdir / "schema.json"
    with schema_path.open("w", encoding="utf-8") as fh:
        json.dump(schema, fh, indent=1, ensure_ascii=False)
    source = ds.csv
    if rows < ds.meta["rows"]:
        source = workdir / f"{ds.csv.stem}-head{rows}.csv"
        if not source.is_file():
            write_prefix(ds.csv, source, rows)
    exe = Path(sys.executable).with_name("frictionless")
    cli = str(exe) if exe.is_file() else shutil.which("frictionless")
    if cli is None:
        sys.exit("the frictionless CLI is not installed (pip install frictionless)")
    # frictionless refuses absolute paths ("not safe"): run it in the work dir with relative ones
    cmd = [cli, "validate", source.name, "--schema", schema_path.name,
           "--limit-errors", "100000000", "--json"]
    # the CLI's fixed start-up cost (imports, schema): the same command on a 10-row file
    tiny = workdir / "frictionless-tiny.csv"
    write_prefix(ds.csv, tiny, 10)
    startup, _, _ = _measure([*cmd[:2], tiny.name, *cmd[3:]], workdir / "frictionless-tiny.json", cwd=workdir)
    out = workdir / "frictionless-report.json"
    load_before = os.getloadavg()[0]
    wall, rss, code = _measure(cmd, out, cwd=workdir)
    text = out.read_text()
    try:
        task = json.loads(text[text.index("{"):])["tasks"][0]
    except (ValueError, KeyError, IndexError):
        sys.exit(f"frictionless failed (exit {code}); see {out}:\n{text[-3000:]}")
    if task["stats"].get("rows") != rows:
        sys.exit(f"frictionless checked {task['stats'].get('rows')} rows, not {rows}; see {out}:\n"
                 f"{json.dumps(task.get('errors', [])[:3], indent=1)}")
    errors = task.get("errors", [])
    types: dict[str, int] = {}
    for e in errors:
        types[e["type"]] = types.get(e["type"], 0) + 1
    flagged = {e.get("rowNumber") for e in errors}
    lost = {r for r in ds.meta["lost_row_numbers"] if r <= rows + 1}
    planted = {r for r in ds.meta["invalid_row_numbers"] if r <= rows + 1}
    detail = {"errors": task["stats"].get("errors"),
              "invalid_rows": len(flagged), "planted_in_prefix": len(planted),
              "lost_in_prefix": len(lost), "lost_flagged": len(lost & flagged),
              "kept_in_prefix": len(planted - lost), "kept_flagged": len((planted - lost) & flagged),
              "error_types": types, "startup_seconds": startup,
              "cli_seconds": wall, "command": " ".join(["frictionless", *cmd[1:]]),
              "load": (load_before, os.getloadavg()[0])}
    return Run("frictionless validate", rows, max(wall - startup, 1e-9), wall, rss, detail)


# ---------------------------------------------------------------- report


def machine() -> dict[str, str]:
    import frictionless
    import pyarrow as pa

    cpu, ram = "unknown", "unknown"
    try:
        git = ["git", "-C", str(ROOT)]
        commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run([*git, "status", "--porcelain", "--", "src"], capture_output=True, text=True,
                               check=True).stdout.strip()
        commit += " (with uncommitted changes under src/)" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    try:
        cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                    if ln.startswith("model name")), cpu)
        mem = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
        ram = f"{int(mem.group(1)) / 1024**2:.1f} GiB" if mem else ram
    except OSError:
        pass
    return {"commit": commit, "argv": " ".join(["python", "benchmarks/ingest.py", *sys.argv[1:]]),
            "nproc": str(os.cpu_count()), "cpu": cpu, "ram": ram,
            "python": platform.python_version(),
            "os": platform.platform(), "load": " / ".join(f"{x:.1f}" for x in os.getloadavg()),
            "versions": f"polars {pl.__version__}, pyarrow {pa.__version__}, "
                        f"frictionless {frictionless.__version__}"}


def median_run(runs: list[Run]) -> Run:
    """The run with the median time (of an odd number of runs; the lower middle one otherwise); every run's time
    and load average are kept in its detail."""
    ordered = sorted(runs, key=lambda r: r.seconds)
    mid = ordered[(len(ordered) - 1) // 2]
    mid.detail["runs"] = [(r.seconds, r.peak_rss, r.detail.get("load")) for r in runs]
    mid.detail["peak_rss_max"] = max(r.peak_rss for r in runs)
    return mid


def _runs_note(r: Run) -> str:
    runs = r.detail.get("runs") or []
    if len(runs) < 2:
        return ""
    times = ", ".join(f"{t:.2f}" for t, _, _ in runs)
    loads = ", ".join(f"{ld[0]:.1f}" for _, _, ld in runs if ld)
    return (f" Median of {len(runs)} runs; times {times} s; 1-minute load average at the start of each run "
            f"{loads}; largest peak RSS of the runs {_mb(r.detail['peak_rss_max'])}.")


def _mb(b: float) -> str:
    return f"{b / 1024**2:,.0f} MB"


def speed_ratio(imp: Run, fr: Run) -> float:
    return imp.rows_per_s / fr.rows_per_s


def targets(imp: Run, ratio: float) -> list[tuple[str, str, str, bool]]:
    return [
        ("end to end: CSV -> committed SQLite", f"≥ {TARGET_ROWS_PER_S:,} rows/s",
         f"{imp.rows_per_s:,.0f} rows/s", imp.rows_per_s >= TARGET_ROWS_PER_S),
        ("speed vs frictionless", f"≥ {TARGET_RATIO:g}x", f"{ratio:.1f}x", ratio >= TARGET_RATIO),
        ("peak RSS of the import", f"≤ {_mb(TARGET_RSS_BYTES)}", _mb(imp.peak_rss),
         imp.peak_rss <= TARGET_RSS_BYTES),
    ]


def markdown(imp: Run, val: Run, fr: Run, ds: Dataset, info: dict[str, str], command: str,
             store: Run | None = None, bare: Run | None = None, strict: Run | None = None) -> str:
    n = ds.meta["rows"]
    ratio = speed_ratio(imp, fr)
    kinds = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in ds.meta["invalid_by_kind"].items())
    n_lost, n_kept = len(ds.meta["lost_row_numbers"]), len(ds.meta["kept_cells"])
    prefix = f"the first {fr.rows:,} rows of the same file" if fr.rows < n else "the whole file"
    out = [
        "## Ingest",
        "",
        f"Measured {dt.date.today().isoformat()} at commit {info['commit']} on {info['nproc']} cores "
        f"({info['cpu']}), "
        f"{info['ram']} RAM; Python {info['python']}, {info['versions']}; {info['os']}. Load average "
        f"(1 / 5 / 15 min) when the runs ended: {info['load']}.",
        "",
        f"Input: {n:,} generated case rows in the flat layout ({len(COLUMNS)} columns, "
        f"{ds.meta['bytes'] / 1e6:,.0f} MB of CSV, reporting country {COUNTRY}), {ds.meta['invalid_rows']:,} "
        f"of them with one planted defect ({kinds}): {n_kept:,} unreadable cells in fields a victim can be counted "
        f"without (kept raw, the row stored) and {n_lost:,} rows that cannot be counted (no record id, no case id, "
        f"or a reporting country other than {COUNTRY} or none: quarantined).",
        "",
        "| run | rows | time (s) | rows/s | peak RSS | process wall (s) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in (x for x in (imp, strict, store, bare, val, fr) if x is not None):
        out.append(f"| {r.name} | {r.rows:,} | {r.seconds:.2f} | {r.rows_per_s:,.0f} | {_mb(r.peak_rss)} | "
                   f"{r.wall_seconds:.2f} |")
    out += ["", "| target | wanted | measured | met |", "|---|---|---|---|"]
    for name, want, got, ok in targets(imp, ratio):
        out.append(f"| {name} | {want} | {got} | {'yes' if ok else '**no**'} |")
    d = imp.detail
    out += [
        "",
        f"- **tipnet import**: `import_file(csv, db, ImportOptions(country=\"{COUNTRY}\"))` into a fresh "
        f"SQLite file, timed from the call to the committed transaction: {d['rows_accepted']:,} rows stored "
        f"+ {d['rows_quarantined']:,} quarantined = {n:,}; the quarantined rows are exactly the {n_lost:,} planted "
        f"rows that cannot be counted, `Report.values_kept` = {d['values_kept']:,} = the planted unreadable cells, "
        f"and the stored `raw_values` hold exactly those raw cells, on exactly those records (all checked). "
        f"Process wall adds interpreter start-up, imports and creating the schema "
        f"({d['setup_seconds']:.1f}s)."
        + (f" The import runs in tipnet's SQLite worker process (`tipnet.ingest.worker`, started by the "
           f"first import, which is timed); peak RSS is that worker's ({_mb(d['rss_children'])}) plus the "
           f"calling process's ({_mb(d['rss_self'])})." if d.get("rss_children") else "")
        + (f" After the commit the worker copies the WAL into the database file on a background thread "
           f"(not timed: {d['after_seconds']:.1f}s from the commit until the worker had checkpointed and exited; "
           f"WAL left: {d.get('wal_bytes_after', 0):,} bytes)." if "after_seconds" in d else "")
        + _runs_note(imp),
        *([f"- **tipnet import, strict=True**: the same call with `ImportOptions(country=\"{COUNTRY}\", "
           f"strict=True)`, the earlier rule (any unreadable cell quarantines its row), run interleaved with the "
           f"previous one: {strict.detail['rows_accepted']:,} rows stored + {strict.detail['rows_quarantined']:,} "
           f"quarantined, the quarantined rows exactly the {ds.meta['invalid_rows']:,} planted ones and no value "
           f"kept raw (checked)." + _runs_note(strict)]
          if strict is not None else []),
        *([f"- **tipnet store only**: the import's writing alone: the {store.rows:,} rows the last import stored, "
           f"read back from its database (not timed) and written again into a fresh store as the import writes "
           f"them (`tipnet.store.bulk`: ADBC into SQLite, the {store.detail['columns']} columns that hold values, "
           f"batches of `chunk_rows`, one transaction), timed from the first batch to the commit, with no checks "
           f"running meanwhile. An import cannot be faster than this on this machine with this store schema "
           f"(persons, two secondary indexes, the foreign key to submissions). Its peak RSS is not the import's: "
           f"this process holds all the rows in memory." + _runs_note(store)]
          if store is not None else []),
        *([f"- **tipnet store only, without the record indexes**: the same, into a store from which "
           f"{' and '.join(f'`{x}`' for x in BARE_DROPS)} were dropped (run interleaved with the previous one). "
           f"Not a usable store (country- and submission-scoped reads would scan every record): the floor of "
           f"writing these rows into SQLite here." + _runs_note(bare)]
          if bare is not None else []),
        f"- **tipnet validate**: `validate_file`, the same checks, nothing written; "
        f"{val.detail['rows_invalid']:,} invalid rows found (the rows that cannot be counted; the unreadable "
        f"cells are warnings)." + _runs_note(val),
        f"- **frictionless**: `{fr.detail['command']}` on {prefix}, with the Table Schema from "
        f"`tipnet.standard.schemas.table_schema()` (the fields of the file's {len(COLUMNS)} columns). "
        f"Time is the CLI process ({fr.detail['cli_seconds']:.1f}s) minus its start-up "
        f"({fr.detail['startup_seconds']:.1f}s, the same command on a 10-row file). It flagged "
        f"{fr.detail['invalid_rows']:,} rows: {fr.detail['lost_flagged']:,} of the {fr.detail['lost_in_prefix']:,} "
        f"planted rows that cannot be counted and {fr.detail['kept_flagged']:,} of the {fr.detail['kept_in_prefix']:,} "
        f"with a planted unreadable cell, where tipnet finds all of both (quarantined, or kept raw with a warning). "
        f"The Table Schema only has types, ranges, enums and patterns, so e.g. unknown country codes shaped like "
        f"codes, or a reporting country other than the importing one, pass." + _runs_note(fr),
        f"- **Speed ratio** = tipnet import rows/s ÷ frictionless rows/s = {ratio:.1f}x "
        f"(with frictionless start-up included: {imp.rows_per_s / (fr.rows / fr.wall_seconds):.1f}x).",
        "- **Peak RSS**: each run's own high-water mark (`ru_maxrss` from `wait4`, taken by a small launcher "
        "so that the benchmark's own memory is not inherited).",
        "",
        "Reproduce (the CSV is generated under `benchmarks/out/`, git-ignored, and reused by later runs):",
        "",
        "```",
        command,
        "```",
        "",
        f"These figures came from `{info['argv']}`.",
        "",
    ]
    return "\n".join(out)


def update_benchmarks_md(section: str) -> Path:
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text(encoding="utf-8") if path.is_file() else "# Benchmarks\n"
    pattern = re.compile(r"^## Ingest\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section.rstrip() + "\n\n", text, count=1)
    else:
        text = text.rstrip() + "\n\n" + section
    path.write_text(text.rstrip() + "\n", encoding="utf-8")
    return path


# Where an import's time goes: (label, file name, function) of cProfile entries, cumulative time. The profile is
# of the importing thread only: the SQLite writes run on a writer thread (tipnet.store.bulk.BackgroundIngest),
# and show here as the time the importing thread waits for that writer.
STAGES = [
    ("SHA-256 of the file", "pipeline.py", "file_sha256"),
    ("open: encoding, delimiter, header", "pipeline.py", "_open"),
    ("choose and bind the profile", "pipeline.py", "resolve_profile"),
    ("read CSV blocks (polars)", "readers_csv.py", "_csv_fast"),
    ("  parse blocks", "readers_csv.py", "_parse_block"),
    ("  short-row check", "readers_csv.py", "_check_short_rows"),
    ("map columns (apply_profile)", "profiles.py", "apply_profile"),
    ("type and check fields (convert)", "convert.py", "convert"),
    ("  look-ups: codes, countries, yes/no (_Lookup.finish)", "convert.py", "finish"),
    ("  dates (_date_field)", "convert.py", "_date_field"),
    ("  cross-field checks (_derive)", "convert.py", "_derive"),
    ("hand accepted rows to the writer (RecordSink.accept)", "pipeline.py", "accept"),
    ("wait for the writer to finish (RecordSink.close)", "pipeline.py", "close"),
    ("quarantine rejected rows", "pipeline.py", "reject"),
    ("commit", "bulk.py", "commit"),
]


def print_profile(prof: Path, top: int = 30) -> None:
    import pstats

    stats = pstats.Stats(str(prof))
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = max(ct for (_, _, _, ct, _) in raw.values())
    print(f"\n### Where the import's time goes (cProfile, {total:.1f}s in all)\n")
    print("| stage | seconds | share |\n|---|---:|---:|")
    for label, filename, func in STAGES:
        ct = sum(v[3] for (f, _, fn), v in raw.items() if fn == func and f.endswith(filename))
        print(f"| {label} | {ct:.2f} | {ct / total:.0%} |")
    for key in ("tottime", "cumulative"):
        print(f"\n### cProfile of the import: top {top} by {key}\n")
        pstats.Stats(str(prof)).sort_stats(key).print_stats(top)


# ---------------------------------------------------------------- main


def expected_raw_values(meta: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The raw_values the kept rows must hold: {record_id: {column: planted raw cell}} (flat layout: the column is
    the field)."""
    out: dict[str, dict[str, str]] = {}
    for row, column, value in meta["kept_cells"]:
        out.setdefault(f"{COUNTRY}-{row - 2:08d}", {})[column] = value
    return out


def _check_import(run: Run, meta: dict[str, Any], *, strict: bool) -> None:
    """The import lost nothing and kept what it should: strict, every planted row is quarantined and nothing is kept
    raw; by default exactly the rows that cannot be counted are quarantined, and every planted unreadable cell is
    kept raw on its (stored) row."""
    d, n = run.detail, meta["rows"]
    if d["file_error"]:
        sys.exit(f"tipnet import failed: {d['file_error']}")
    if d["rows_accepted"] + d["rows_quarantined"] != n or d["rows_total"] != n:
        sys.exit(f"row counts do not add up: {d['rows_accepted']:,} accepted + {d['rows_quarantined']:,} "
                 f"quarantined of {d['rows_total']:,} read; {n:,} in the file")
    lost = meta["invalid_row_numbers"] if strict else meta["lost_row_numbers"]
    if d["rows_quarantined"] != len(lost):
        sys.exit(f"{run.name}: {d['rows_quarantined']:,} rows quarantined, {len(lost):,} planted that should be; "
                 f"{d['problem_counts']}")
    if d["persons_in_db"] != d["rows_accepted"]:
        sys.exit(f"{d['persons_in_db']:,} persons in the store, {d['rows_accepted']:,} accepted")
    if d.get("quarantined_rows") != sorted(lost):
        sys.exit(f"{run.name}: the rows in the quarantine file are not the planted ones")
    kept = {} if strict else expected_raw_values(meta)
    if d["values_kept"] != sum(len(v) for v in kept.values()):
        sys.exit(f"{run.name}: {d['values_kept']:,} values kept raw, "
                 f"{sum(len(v) for v in kept.values()):,} planted; {d['problem_counts']}")
    if d["raw_values"] != kept:
        wrong = [(k, d["raw_values"].get(k), kept.get(k)) for k in sorted(set(d["raw_values"]) | set(kept))
                 if d["raw_values"].get(k) != kept.get(k)][:3]
        sys.exit(f"{run.name}: the stored raw_values are not the planted cells (stored, planted): {wrong}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="tipnet ingest benchmark (see the module docstring)")
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows to generate (default 1,000,000)")
    ap.add_argument("--workdir", type=Path, default=ROOT / "benchmarks" / "out",
                    help="where the CSV, the store and the logs go (default benchmarks/out/)")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--invalid-rate", type=float, default=0.01, help="share of planted invalid rows (0.01)")
    ap.add_argument("--frictionless-rows", type=int, default=DEFAULT_FRICTIONLESS_ROWS,
                    help="frictionless validates this many first rows (0: all); default 200,000, since it "
                         "needs ~3 minutes for 1,000,000 rows on 2 cores")
    ap.add_argument("--no-write", action="store_true", help="do not update BENCHMARKS.md")
    ap.add_argument("--profile", action="store_true",
                    help="also run the import under cProfile and print the hot spots")
    ap.add_argument("--check", action="store_true", help="exit with status 1 when a target is missed")
    ap.add_argument("--repeat", type=int, default=3,
                    help="run each measurement this many times and report the median (default 3: the machine "
                         "may be shared)")
    # internal: the measured child processes
    ap.add_argument("--child", choices=["import", "import-strict", "validate", "store", "store-bare"],
                    help=argparse.SUPPRESS)
    for name in ("--csv", "--home", "--db", "--result", "--profile-out", "--source-db"):
        ap.add_argument(name, help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        _child(args)
        return 0
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    ds = ensure_dataset(workdir, args.rows, args.seed, args.invalid_rate)
    n, planted, n_lost = ds.meta["rows"], ds.meta["invalid_rows"], len(ds.meta["lost_row_numbers"])
    with ds.csv.open("rb") as fh:  # warm the page cache: no run pays for the first read from disk
        while fh.read(64 * 1024 * 1024):
            pass

    imports: list[Run] = []
    stricts: list[Run] = []
    for i in range(args.repeat):  # interleaved: the default rule, then the strict one
        for kind, runs in (("import", imports), ("import-strict", stricts)):
            print(f"tipnet {kind} of {n:,} rows ({i + 1}/{args.repeat}) ...", flush=True)
            runs.append(run_tipnet(kind, ds, workdir))
            print(f"  {runs[-1].seconds:.2f}s, {runs[-1].rows_per_s:,.0f} rows/s, peak RSS {_mb(runs[-1].peak_rss)}, "
                  f"load {runs[-1].detail['load'][0]:.1f}", flush=True)
            _check_import(runs[-1], ds.meta, strict=kind == "import-strict")
    imp, strict = median_run(imports), median_run(stricts)
    d = imp.detail
    print(f"  ok: {d['rows_accepted']:,} accepted + {d['rows_quarantined']:,} quarantined = {n:,}; quarantined = "
          f"the planted rows that cannot be counted ({n_lost:,}); values kept raw = the planted cells "
          f"({d['values_kept']:,}); strict: quarantined = every planted row ({planted:,}); "
          f"problems {d['problem_counts']}")

    stores: list[Run] = []
    bares: list[Run] = []  # right after the imports: bench.db holds the last import's rows; interleaved
    for i in range(args.repeat):
        for kind, runs in (("store", stores), ("store-bare", bares)):
            print(f"tipnet {kind} ({i + 1}/{args.repeat}) ...", flush=True)
            runs.append(run_tipnet(kind, ds, workdir))
            if runs[-1].rows != d["rows_accepted"]:
                sys.exit(f"{kind}: {runs[-1].rows:,} rows written, the import stored {d['rows_accepted']:,}")
    store, bare = median_run(stores), median_run(bares)

    validations = []
    for i in range(args.repeat):
        print(f"tipnet validate ({i + 1}/{args.repeat}) ...", flush=True)
        validations.append(run_tipnet("validate", ds, workdir))
        v = validations[-1].detail
        if v["rows_invalid"] != n_lost or v["rows_total"] != n:
            sys.exit(f"validate: {v['rows_invalid']:,} invalid of {v['rows_total']:,} rows; {n_lost:,} planted that "
                     f"cannot be counted")
    val = median_run(validations)

    fr_rows = n if args.frictionless_rows <= 0 else min(args.frictionless_rows, n)
    frs = []
    for i in range(args.repeat):
        print(f"frictionless validate of {fr_rows:,} rows ({i + 1}/{args.repeat}) ...", flush=True)
        frs.append(run_frictionless(ds, workdir, fr_rows))
    fr = median_run(frs)

    command = f".venv/bin/python benchmarks/ingest.py --rows {n}"
    if args.repeat != 3:
        command += f" --repeat {args.repeat}"
    if args.frictionless_rows != DEFAULT_FRICTIONLESS_ROWS:
        command += f" --frictionless-rows {args.frictionless_rows}"
    if n == 1_000_000 and args.frictionless_rows == DEFAULT_FRICTIONLESS_ROWS and args.repeat == 3:
        command += "   # = make bench"
    section = markdown(imp, val, fr, ds, machine(), command, store, bare, strict)
    print()
    print(section)
    if not args.no_write:
        print(f"wrote {update_benchmarks_md(section)}")

    if args.profile:
        prof = workdir / "import.prof"
        print("\nprofiling the import (cProfile) ...", flush=True)
        run_tipnet("import", ds, workdir, profile_out=prof)
        print_profile(prof)
    missed = [name for name, _, _, ok in targets(imp, speed_ratio(imp, fr)) if not ok]
    if missed:
        print(f"\ntargets missed: {'; '.join(missed)}")
    return 1 if missed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
