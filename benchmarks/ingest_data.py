"""The ingest benchmark's input: seeded, vectorised case rows in tipnet's flat layout, with planted defects.

One row in `invalid_rate` gets one defect. Four kinds are unreadable cells in fields a victim can be counted without
(a bad date, an age out of range, an unknown code, an unknown country): the import keeps the row, the field unknown
and the raw cell in `raw_values`. The fifth kind leaves a row that cannot be counted (no record id, no case id, a
reporting country other than the importing one or none): the import quarantines it. The plan of what was planted
goes with the CSV (its .meta.json), for `benchmarks/ingest.py` to check the import against.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

GENERATOR_VERSION = 2
COUNTRY = "PER"

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

# Planted defects, one per invalid row. The first four kinds are unreadable cells in fields a victim can be
# counted without: the row is kept, the field unknown, the raw cell in raw_values (a strict import quarantines it).
BAD_DATES = ["2021-02-30", "2019-13-05", "32/01/2020", "fecha desconocida", "2035-06-01", "1985-02-29"]
BAD_AGES = ["130", "-4", "250", "121"]
BAD_CODES = {"sex": ["zz", "hembra?"], "victim_status": ["maybe", "en evaluación"],
             "forms_of_exploitation": ["forced_labour;fishing_trip", "explotación rara"],
             "means_of_control": ["magic", "debt_bondage;mind_control"], "role": ["witness", "testigo"]}
BAD_COUNTRIES = {"citizenship": ["XYZ", "Atlantis", "ZZ"], "recruitment_country": ["Narnia", "QQQ"],
                 "exploitation_country": ["Wakanda", "XXA"]}
# The fifth kind costs the row: what is needed to count a victim at all (README: the record and case identifiers,
# the reporting country) is missing, or names a country other than the importing one, or no country.
NOT_COUNTABLE = {"record_id": [""], "case_id": [""], "reporting_country": ["CHL", "XYZ"]}
DEFECT_KINDS = ["bad_date", "age_out_of_range", "unknown_code", "unknown_country", "not_countable"]


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
                and "kept_cells" in meta):
            print(f"reusing {csv_path}")
            return Dataset(csv_path, meta)
    t0 = time.perf_counter()
    frame, plan = generate(rows, seed, invalid_rate)
    workdir.mkdir(parents=True, exist_ok=True)
    tmp = csv_path.with_suffix(".tmp")
    frame.write_csv(tmp)
    del frame
    tmp.replace(csv_path)
    meta = {**want, "bytes": csv_path.stat().st_size, **plan}
    meta_path.write_text(json.dumps(meta))
    print(f"generated {rows:,} rows ({meta['bytes'] / 1e6:.0f} MB, {meta['invalid_rows']:,} with a planted defect, "
          f"{len(meta['lost_row_numbers']):,} of them not countable) "
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


def generate(n: int, seed: int, invalid_rate: float) -> tuple[pl.DataFrame, dict[str, Any]]:
    """N rows of flat-layout case data (all text) and the plan of the planted defects: `invalid_row_numbers` (every
    row with a defect), `lost_row_numbers` (the rows that cannot be counted) and `kept_cells` ([row, column, raw
    cell] of the unreadable cells on the other rows), as source row numbers (the header is row 1)."""
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

    def plant(column: str, rows: pl.DataFrame, values: list[str], defect: bool = True) -> None:
        idx = (rows["u_value"] * len(values)).floor().cast(pl.Int64).clip(0, len(values) - 1)
        patches.append(pl.DataFrame({"column": [column] * rows.height, "row": rows["row"],
                                     "value": pl.Series(values, dtype=pl.Utf8).gather(idx),
                                     "defect": [defect] * rows.height}))

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
            plant("birth_date", rows, [""], defect=False)  # only the (wrong) age is given for these persons
        elif kind == "unknown_code":
            for col, part in split(rows, list(BAD_CODES)):
                plant(col, part, BAD_CODES[col])
        elif kind == "unknown_country":
            for col, part in split(rows, list(BAD_COUNTRIES)):
                plant(col, part, BAD_COUNTRIES[col])
        else:
            for col, part in split(rows, list(NOT_COUNTABLE)):
                plant(col, part, NOT_COUNTABLE[col])
    patch = pl.concat(patches)
    for (column,), part in patch.group_by("column"):
        patched = out[str(column)].clone().scatter(part["row"], part["value"])
        out = out.with_columns(pl.when(patched == "").then(None).otherwise(patched).alias(str(column)))
    lost = plan.filter(pl.col("kind") == DEFECT_KINDS.index("not_countable"))["row"]
    kept = patch.filter(pl.col("defect") & ~pl.col("row").is_in(lost.implode())).sort("row", "column")
    return out, {
        "invalid_rows": k, "invalid_by_kind": by_kind,
        "invalid_row_numbers": [r + 2 for r in invalid.to_list()],
        "lost_row_numbers": sorted(r + 2 for r in lost.to_list()),
        "kept_cells": [[r + 2, c, v] for r, c, v in kept.select("row", "column", "value").iter_rows()],
    }


def write_prefix(src: Path, dest: Path, rows: int) -> None:
    """The header and the first `rows` data rows (the generated file has no line breaks inside cells)."""
    with src.open("rb") as fin, dest.open("wb") as fout:
        fout.write(fin.readline())
        for _ in range(rows):
            line = fin.readline()
            if not line:
                break
            fout.write(line)
