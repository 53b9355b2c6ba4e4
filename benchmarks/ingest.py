"""Ingest benchmark: tipnet's import (CSV -> checks -> SQLite) and validation, side by side with frictionless.

Generates N case rows in tipnet's flat layout (seeded, vectorised, ~1% planted invalid rows) and runs, each in
its own process so that peak RSS is measured per run:

1. tipnet import: `import_file` of the CSV into a fresh SQLite store, timed from the call to the committed
   transaction; accepted + quarantined must equal N and the quarantined rows must be exactly the planted ones;
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

ROOT = Path(__file__).resolve().parent.parent
GENERATOR_VERSION = 1
COUNTRY = "PER"
BARE_DROPS = ("ix_persons_submission", "ix_persons_country_year")
DEFAULT_FRICTIONLESS_ROWS = 200_000
TARGET_ROWS_PER_S = 250_000
TARGET_RATIO = 15.0
TARGET_RSS_BYTES = 1024**3

COLUMNS = [
    "record_id", "case_id", "reporting_country", "agency", "source_type", "role", "identification_date",
    "victim_status", "given_names", "family_names", "birth_date", "age", "sex", "citizenship",
    "forms_of_exploitation", "labour_sector", "means_of_control", "recruitment_country", "transit_countries",
    "exploitation_country", "consent_share_hub",
]

# ---------------------------------------------------------------- synthetic data

AGENCIES = [  # (agency, source_type code)
    ("DIRCTPTIM - Policía Nacional del Perú, Lima", "police"),
    ("DIVINTRAP Arequipa", "police"),
    ("Comisaría de Puerto Maldonado", "police"),
    ("Fiscalía Especializada en Delitos de Trata de Personas de Lima", "prosecution"),
    ("Fiscalía Provincial de Cusco", "prosecution"),
    ("Fiscalía Provincial de Madre de Dios", "prosecution"),
    ("Corte Superior de Justicia de Lima", "court"),
    ("CHS Alternativo", "ngo"),
    ("Capital Humano y Social", "ngo"),
    ("Línea 1818", "hotline"),
    ("SUNAFIL - Intendencia de Lima", "labour_inspection"),
    ("Superintendencia Nacional de Migraciones", "immigration"),
    ("Programa Aurora - MIMP", "social_services"),
    ("Hospital Regional de Loreto", "health"),
    ("OIM Perú", "international_organisation"),
]
GIVEN_F = ["María", "Rosa", "Ana", "Carmen", "Luz", "Juana", "Flor", "Milagros", "Yesenia", "Katherine",
           "Lucía", "Valeria", "Camila", "Daniela", "Sofía", "Gabriela", "Andrea", "Fiorella", "Yuliana",
           "Nelly", "Rocío", "Marisol", "Elizabeth", "Diana", "Karen", "Paola", "Wendy", "Alexandra",
           "Mariela", "Norma"]
GIVEN_M = ["José", "Luis", "Juan", "Carlos", "Jorge", "Miguel", "César", "Víctor", "Julio", "Pedro",
           "Jhon", "Anthony", "Kevin", "Diego", "Alonso", "Renzo", "Bryan", "Edwin", "Wilmer", "Ángel",
           "Raúl", "Hugo", "Fernando", "Eduardo", "Ricardo", "Óscar", "Percy", "Walter", "Richard", "Franco"]
FAMILY = ["Quispe", "Flores", "Sánchez", "Rodríguez", "García", "Mamani", "Huamán", "Chávez", "Rojas",
          "Díaz", "Torres", "Vargas", "Ramos", "Castillo", "Mendoza", "Espinoza", "Gutiérrez", "Cruz",
          "Condori", "Ccahuana", "Pérez", "López", "Ramírez", "Gonzales", "Vásquez", "Castro", "Romero",
          "Hernández", "Silva", "Morales", "Ortiz", "Núñez", "Cárdenas", "Salazar", "Villanueva", "Ñahui"]
CITIZENSHIP = (["PER", "VEN", "COL", "BOL", "ECU", "CHN", "HTI", "ARG", "CHL", "BRA", "DOM", "PRY"],
               [0.55, 0.25, 0.06, 0.04, 0.04, 0.01, 0.01, 0.01, 0.01, 0.01, 0.005, 0.005])
FORMS = (["sexual_exploitation", "forced_labour", "child_labour", "servitude", "forced_begging",
          "forced_criminality", "forced_marriage", "illegal_adoption", "other"],
         [0.45, 0.30, 0.06, 0.06, 0.04, 0.04, 0.02, 0.01, 0.02])
LABOUR_FORMS = ["forced_labour", "child_labour", "servitude"]
SECTORS = (["A", "B", "C", "F", "G", "I", "T", "H"], [0.25, 0.25, 0.08, 0.07, 0.12, 0.10, 0.10, 0.03])
CONTROL = ["physical_threats", "threats_family", "debt_bondage", "false_promises", "physical_abuse",
           "sexual_abuse", "takes_earnings", "psychological_abuse", "withholds_documents",
           "restricts_movement", "excessive_working_hours", "psychoactive_substances"]
TRANSIT = (["ECU", "COL;ECU", "BOL", "CHL", "ECU;COL"], [0.4, 0.3, 0.15, 0.1, 0.05])
EXPLOITATION = (["PER", "CHL", "ARG", "BOL", "ECU", "USA", "ESP"], [0.86, 0.04, 0.03, 0.02, 0.02, 0.02, 0.01])

# Planted defects, one per invalid row; each makes tipnet reject the row.
BAD_DATES = ["2021-02-30", "2019-13-05", "32/01/2020", "fecha desconocida", "2035-06-01", "1985-02-29"]
BAD_AGES = ["130", "-4", "250", "121"]
BAD_CODES = {"sex": ["zz", "hembra?"], "victim_status": ["maybe", "en evaluación"],
             "forms_of_exploitation": ["forced_labour;fishing_trip", "explotación rara"],
             "means_of_control": ["magic", "debt_bondage;mind_control"], "role": ["witness", "testigo"]}
BAD_COUNTRIES = {"citizenship": ["XYZ", "Atlantis", "ZZ"], "recruitment_country": ["Narnia", "QQQ"],
                 "exploitation_country": ["Wakanda", "XXA"]}
DEFECT_KINDS = ["bad_date", "age_out_of_range", "unknown_code", "unknown_country"]


@dataclass
class Dataset:
    csv: Path
    meta: dict[str, Any]


def ensure_dataset(workdir: Path, rows: int, seed: int, invalid_rate: float) -> Dataset:
    """The benchmark CSV for these parameters: reused when it already exists, generated otherwise."""
    stem = f"cases-{rows}-s{seed}-i{invalid_rate:g}-g{GENERATOR_VERSION}"
    csv_path, meta_path = workdir / f"{stem}.csv", workdir / f"{stem}.meta.json"
    want = {"rows": rows, "seed": seed, "invalid_rate": invalid_rate, "generator": GENERATOR_VERSION,
            "columns": COLUMNS}
    if csv_path.is_file() and meta_path.is_file():
        meta = json.loads(meta_path.read_text())
        if ({k: meta.get(k) for k in want} == want and meta.get("bytes") == csv_path.stat().st_size
                and "invalid_row_numbers" in meta):
            print(f"reusing {csv_path}")
            return Dataset(csv_path, meta)
    t0 = time.perf_counter()
    frame, invalid_rows, by_kind = generate(rows, seed, invalid_rate)
    workdir.mkdir(parents=True, exist_ok=True)
    tmp = csv_path.with_suffix(".tmp")
    frame.write_csv(tmp)
    del frame
    tmp.replace(csv_path)
    meta = {**want, "bytes": csv_path.stat().st_size, "invalid_rows": len(invalid_rows),
            "invalid_by_kind": by_kind,
            "invalid_row_numbers": [r + 2 for r in invalid_rows]}  # source row numbers: the header is row 1
    meta_path.write_text(json.dumps(meta))
    print(f"generated {rows:,} rows ({meta['bytes'] / 1e6:.0f} MB, {len(invalid_rows):,} invalid) "
          f"in {time.perf_counter() - t0:.1f}s -> {csv_path}")
    return Dataset(csv_path, meta)


class _Rng:
    """Seeded, vectorised draws (pyarrow's generator; numpy is not a dependency of the project)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.draws = 0

    def random(self, n: int) -> pl.Series:
        import pyarrow.compute as pc

        self.draws += 1
        s = pl.from_arrow(pc.random(n, initializer=self.seed * 1_000_003 + self.draws))
        assert isinstance(s, pl.Series)
        return s

    def integers(self, lo: int, hi: int, n: int) -> pl.Series:
        """Uniform integers in [lo, hi)."""
        return ((self.random(n) * (hi - lo)).floor().cast(pl.Int64) + lo).clip(lo, hi - 1)

    def choice(self, values: list[str], p: list[float] | None = None, *, n: int) -> pl.Series:
        weights = p or [1.0] * len(values)
        total, acc, cum = sum(weights), 0.0, []
        for w in weights:
            acc += w / total
            cum.append(acc)
        idx = pl.Series(cum[:-1], dtype=pl.Float64).search_sorted(self.random(n), side="right")
        return pl.Series(values, dtype=pl.Utf8).gather(idx.cast(pl.Int64).clip(0, len(values) - 1))

    def sample(self, n: int, k: int) -> pl.Series:
        """k distinct indexes of range(n), sorted."""
        return self.random(n).arg_sort().head(k).cast(pl.Int64).sort()


def generate(n: int, seed: int, invalid_rate: float) -> tuple[pl.DataFrame, list[int], dict[str, int]]:
    """N rows of flat-layout case data (all text) and the 0-based indexes of the planted invalid rows."""
    rng = _Rng(seed)
    row = pl.int_range(n, eager=True, dtype=pl.Int64)
    # cases: 1-4 persons each (mean ~1.4), sharing agency and identification date
    case_of = ((rng.random(n) < 0.72) | (row == 0)).cast(pl.Int64).cum_sum() - 1
    n_cases = int(case_of[-1]) + 1
    start = dt.date(2015, 1, 1).toordinal() - dt.date(1970, 1, 1).toordinal()
    span = dt.date(2024, 12, 31).toordinal() - dt.date(2015, 1, 1).toordinal() + 1
    case_agency = rng.integers(0, len(AGENCIES), n_cases)
    case_day = rng.integers(start, start + span, n_cases)
    df = pl.DataFrame({
        "row": row, "case": case_of, "agency_idx": case_agency.gather(case_of),
        "ident": case_day.gather(case_of).cast(pl.Int32).cast(pl.Date),
        "u_victim": rng.random(n), "u_female": rng.random(n), "u_unknown_sex": rng.random(n),
        "u_minor": rng.random(n), "age_minor": rng.integers(8, 18, n), "age_adult": rng.integers(18, 56, n),
        "age_perp": rng.integers(20, 66, n), "extra_days": rng.integers(0, 365, n),
        "has_birth": rng.random(n) < 0.90, "has_age": rng.random(n) < 0.97, "possible": rng.random(n) < 0.40,
        "given_f": rng.choice(GIVEN_F, n=n), "given_m": rng.choice(GIVEN_M, n=n),
        "given2_f": rng.choice(GIVEN_F, n=n), "given2_m": rng.choice(GIVEN_M, n=n),
        "two_given": rng.random(n) < 0.35,
        "fam1": rng.choice(FAMILY, n=n), "fam2": rng.choice(FAMILY, n=n),
        "citizen": rng.choice(*CITIZENSHIP, n=n),
        "second_citizen": rng.choice(["COL", "ESP", "ITA", "USA"], n=n),
        "u_dual": rng.random(n),
        "form1": rng.choice(*FORMS, n=n), "form2": rng.choice(*FORMS, n=n), "u_two_forms": rng.random(n),
        "sector": rng.choice(*SECTORS, n=n),
        "ctl1": rng.choice(CONTROL, n=n), "ctl2": rng.choice(CONTROL, n=n), "ctl_draw": rng.random(n),
        "transit": rng.choice(*TRANSIT, n=n), "has_transit": rng.random(n) < 0.30,
        "recruit_home": rng.random(n) < 0.85, "recruit_other": rng.choice(*CITIZENSHIP, n=n),
        "exploit": rng.choice(*EXPLOITATION, n=n),
        "consent": rng.choice(["true", "false", ""], [0.70, 0.25, 0.05], n=n),
    })
    c = pl.col
    victim = c("u_victim") < 0.88
    female = pl.when(victim).then(c("u_female") < 0.70).otherwise(c("u_female") < 0.25)
    age = (pl.when(victim & (c("u_minor") < 0.25)).then(c("age_minor"))
           .when(victim).then(c("age_adult")).otherwise(c("age_perp")))
    df = df.with_columns(
        victim=victim, female=female,
        birth=(c("ident").cast(pl.Int32) - (age * 365.25).floor().cast(pl.Int32)
               - c("extra_days").cast(pl.Int32)).cast(pl.Date),
    )
    # exact age at identification, the way the standard computes it from the two dates
    exact_age = (c("ident").dt.year().cast(pl.Int64) - c("birth").dt.year().cast(pl.Int64)) - (
        (c("ident").dt.month().cast(pl.Int32) * 100 + c("ident").dt.day().cast(pl.Int32))
        < (c("birth").dt.month().cast(pl.Int32) * 100 + c("birth").dt.day().cast(pl.Int32))
    ).cast(pl.Int64)
    two_forms = (c("u_two_forms") < 0.12) & (c("form1") != c("form2"))
    forms = (pl.when(two_forms).then(pl.concat_str([c("form1"), c("form2")], separator=";"))
             .otherwise(c("form1")))
    labour = c("form1").is_in(list(LABOUR_FORMS)) | (two_forms & c("form2").is_in(list(LABOUR_FORMS)))
    controls = pl.concat_str([c("ctl1"), c("ctl2")], separator=";")
    given1 = pl.when(c("female")).then(c("given_f")).otherwise(c("given_m"))
    given2 = pl.when(c("female")).then(c("given2_f")).otherwise(c("given2_m"))
    dual = (c("u_dual") < 0.02) & (c("citizen") != c("second_citizen"))
    v = c("victim")
    agencies = pl.Series([a for a, _ in AGENCIES], dtype=pl.Utf8)
    source_types = pl.Series([s for _, s in AGENCIES], dtype=pl.Utf8)
    out = df.select(
        pl.format("PER-{}", c("row").cast(pl.Utf8).str.pad_start(8, "0")).alias("record_id"),
        pl.format("CASO-{}-{}", c("ident").dt.year(), c("case").cast(pl.Utf8).str.pad_start(7, "0"))
        .alias("case_id"),
        pl.lit(COUNTRY).alias("reporting_country"),
        agencies.gather(df["agency_idx"]).alias("agency"),
        source_types.gather(df["agency_idx"]).alias("source_type"),
        pl.when(v).then(pl.lit("victim")).otherwise(pl.lit("perpetrator")).alias("role"),
        c("ident").cast(pl.Utf8).alias("identification_date"),
        pl.when(~v).then(None).when(c("possible")).then(pl.lit("possible")).otherwise(pl.lit("actual"))
        .alias("victim_status"),
        pl.when(c("two_given") & (given1 != given2)).then(pl.concat_str([given1, given2], separator=" "))
        .otherwise(given1).alias("given_names"),
        pl.concat_str([c("fam1"), c("fam2")], separator=" ").alias("family_names"),
        pl.when(c("has_birth")).then(c("birth").cast(pl.Utf8)).otherwise(None).alias("birth_date"),
        pl.when(c("has_age")).then(exact_age.cast(pl.Utf8)).otherwise(None).alias("age"),
        pl.when(c("u_unknown_sex") < 0.02).then(pl.lit("unknown")).when(c("female")).then(pl.lit("female"))
        .otherwise(pl.lit("male")).alias("sex"),
        pl.when(dual).then(pl.concat_str([c("citizen"), c("second_citizen")], separator=";"))
        .otherwise(c("citizen")).alias("citizenship"),
        pl.when(v).then(forms).otherwise(None).alias("forms_of_exploitation"),
        pl.when(v & labour).then(c("sector")).otherwise(None).alias("labour_sector"),
        pl.when(~v | (c("ctl_draw") < 0.2)).then(None)
        .when((c("ctl_draw") < 0.4) & (c("ctl1") != c("ctl2"))).then(controls)
        .otherwise(c("ctl1")).alias("means_of_control"),
        pl.when(c("recruit_home")).then(c("citizen")).otherwise(c("recruit_other"))
        .alias("recruitment_country"),
        pl.when(c("has_transit")).then(c("transit")).otherwise(None).alias("transit_countries"),
        pl.when(v).then(c("exploit")).otherwise(pl.lit(COUNTRY)).alias("exploitation_country"),
        pl.when(c("consent") == "").then(None).otherwise(c("consent")).alias("consent_share_hub"),
    )
    del df

    # planted invalid rows: exactly round(n * rate), one defect each
    k = round(n * invalid_rate)
    invalid = rng.sample(n, k)
    plan = pl.DataFrame({
        "row": invalid, "kind": rng.integers(0, len(DEFECT_KINDS), k), "u_which": rng.random(k),
        "u_value": rng.random(k),
    })
    by_kind: dict[str, int] = {}
    patches: list[pl.DataFrame] = []

    def plant(column: str, rows: pl.DataFrame, values: list[str]) -> None:
        idx = (rows["u_value"] * len(values)).floor().cast(pl.Int64).clip(0, len(values) - 1)
        patches.append(pl.DataFrame({"column": [column] * rows.height, "row": rows["row"],
                                     "value": pl.Series(values, dtype=pl.Utf8).gather(idx)}))

    def split(rows: pl.DataFrame, columns: list[str]) -> list[tuple[str, pl.DataFrame]]:
        slot = (rows["u_which"] * len(columns)).floor().cast(pl.Int64)
        return [(col, rows.filter(slot == i)) for i, col in enumerate(columns)]

    for kind_no, kind in enumerate(DEFECT_KINDS):
        rows = plan.filter(pl.col("kind") == kind_no)
        by_kind[kind] = rows.height
        if kind == "bad_date":
            plant("identification_date", rows.filter(pl.col("u_which") < 0.8), BAD_DATES)
            past = [d for d in BAD_DATES if d != "2035-06-01"]
            plant("birth_date", rows.filter(pl.col("u_which") >= 0.8), past)
        elif kind == "age_out_of_range":
            plant("age", rows, BAD_AGES)
            plant("birth_date", rows, [""])  # only the (wrong) age is given for these persons
        elif kind == "unknown_code":
            for col, part in split(rows, list(BAD_CODES)):
                plant(col, part, BAD_CODES[col])
        else:
            for col, part in split(rows, list(BAD_COUNTRIES)):
                plant(col, part, BAD_COUNTRIES[col])
    patch = pl.concat(patches)
    for (column,), part in patch.group_by("column"):
        col = out[str(column)].clone().scatter(part["row"], part["value"])
        out = out.with_columns(pl.when(col == "").then(None).otherwise(col).alias(str(column)))
    return out, invalid.to_list(), by_kind


def write_prefix(src: Path, dest: Path, rows: int) -> None:
    """The header and the first `rows` data rows (the generated file has no line breaks inside cells)."""
    with src.open("rb") as fin, dest.open("wb") as fout:
        fout.write(fin.readline())
        for _ in range(rows):
            line = fin.readline()
            if not line:
                break
            fout.write(line)


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
    options = ImportOptions(country=COUNTRY)
    csv_path = Path(args.csv)
    result: dict[str, Any] = {"worker_process": worker is not None}
    if args.child == "import":
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
        problem_counts=dict(report.problem_counts), submission_id=report.submission_id,
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
    db = home / ("store-only.db" if kind.startswith("store") else "bench.db")
    for p in (db, db.with_name("bench.db-wal"), db.with_name("bench.db-shm")):
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
    return Run(f"tipnet {kind}", detail["rows_total"], detail["seconds"], wall, rss, detail)


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
    planted = sum(1 for r in ds.meta["invalid_row_numbers"] if r <= rows + 1)
    detail = {"errors": task["stats"].get("errors"),
              "invalid_rows": len({e.get("rowNumber") for e in errors}),
              "planted_in_prefix": planted, "error_types": types, "startup_seconds": startup,
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
             store: Run | None = None, bare: Run | None = None) -> str:
    n = ds.meta["rows"]
    ratio = speed_ratio(imp, fr)
    kinds = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in ds.meta["invalid_by_kind"].items())
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
        f"of them planted invalid ({kinds}).",
        "",
        "| run | rows | time (s) | rows/s | peak RSS | process wall (s) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in (x for x in (imp, store, bare, val, fr) if x is not None):
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
        f"+ {d['rows_quarantined']:,} quarantined = {n:,}, and the quarantined rows are exactly the planted "
        f"ones (checked). Process wall adds interpreter start-up, imports and creating the schema "
        f"({d['setup_seconds']:.1f}s)."
        + (f" The import runs in tipnet's SQLite worker process (`tipnet.ingest.worker`, started by the "
           f"first import, which is timed); peak RSS is that worker's ({_mb(d['rss_children'])}) plus the "
           f"calling process's ({_mb(d['rss_self'])})." if d.get("rss_children") else "")
        + (f" After the commit the worker copies the WAL into the database file on a background thread "
           f"(not timed: {d['after_seconds']:.1f}s from the commit until the worker had checkpointed and exited; "
           f"WAL left: {d.get('wal_bytes_after', 0):,} bytes)." if "after_seconds" in d else "")
        + _runs_note(imp),
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
        f"{val.detail['rows_invalid']:,} invalid rows found." + _runs_note(val),
        f"- **frictionless**: `{fr.detail['command']}` on {prefix}, with the Table Schema from "
        f"`tipnet.standard.schemas.table_schema()` (the fields of the file's {len(COLUMNS)} columns). "
        f"Time is the CLI process ({fr.detail['cli_seconds']:.1f}s) minus its start-up "
        f"({fr.detail['startup_seconds']:.1f}s, the same command on a 10-row file). It flagged "
        f"{fr.detail['invalid_rows']:,} of the {fr.detail['planted_in_prefix']:,} planted invalid rows: the "
        f"Table Schema only has types, ranges, enums and patterns, so e.g. unknown country codes shaped like "
        f"codes pass." + _runs_note(fr),
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


def _check_import(run: Run, n: int, planted: int, expected_rows: list[int]) -> None:
    d = run.detail
    if d["file_error"]:
        sys.exit(f"tipnet import failed: {d['file_error']}")
    if d["rows_accepted"] + d["rows_quarantined"] != n or d["rows_total"] != n:
        sys.exit(f"row counts do not add up: {d['rows_accepted']:,} accepted + {d['rows_quarantined']:,} "
                 f"quarantined of {d['rows_total']:,} read; {n:,} in the file")
    if d["rows_quarantined"] != planted:
        sys.exit(f"{d['rows_quarantined']:,} rows quarantined, {planted:,} planted invalid; "
                 f"{d['problem_counts']}")
    if d["persons_in_db"] != d["rows_accepted"]:
        sys.exit(f"{d['persons_in_db']:,} persons in the store, {d['rows_accepted']:,} accepted")
    if d.get("quarantined_rows") != sorted(expected_rows):
        sys.exit("the rows in the quarantine file are not the planted invalid rows")


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
    ap.add_argument("--child", choices=["import", "validate", "store", "store-bare"], help=argparse.SUPPRESS)
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
    n, planted = ds.meta["rows"], ds.meta["invalid_rows"]
    with ds.csv.open("rb") as fh:  # warm the page cache: no run pays for the first read from disk
        while fh.read(64 * 1024 * 1024):
            pass

    imports = []
    for i in range(args.repeat):
        print(f"tipnet import of {n:,} rows ({i + 1}/{args.repeat}) ...", flush=True)
        imports.append(run_tipnet("import", ds, workdir))
        print(f"  {imports[-1].seconds:.2f}s, {imports[-1].rows_per_s:,.0f} rows/s, "
              f"peak RSS {_mb(imports[-1].peak_rss)}, load {imports[-1].detail['load'][0]:.1f}", flush=True)
    imp = median_run(imports)
    for run in imports:
        _check_import(run, n, planted, ds.meta["invalid_row_numbers"])
    d = imp.detail
    print(f"  ok: {d['rows_accepted']:,} accepted + {d['rows_quarantined']:,} quarantined = {n:,}; "
          f"quarantined = planted invalid ({planted:,}); problems {d['problem_counts']}")

    stores, bares = [], []  # right after the imports: bench.db holds the last import's rows; interleaved
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
        if v["rows_invalid"] != planted or v["rows_total"] != n:
            sys.exit(f"validate: {v['rows_invalid']:,} invalid of {v['rows_total']:,} rows; planted {planted:,}")
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
    section = markdown(imp, val, fr, ds, machine(), command, store, bare)
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
