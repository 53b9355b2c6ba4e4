"""In-country deduplication across agencies with Splink 5 (plaintext, inside the national node).

The records of a country's agency files are normalised (:mod:`tipnet.link.normalise`), compared on names
(exact, token set, Jaro-Winkler, shared surnames), birth date, sex and place of birth, blocked on combinations of
those, trained without labels (u by random sampling, m by EM on two blocking rules), then clustered at a match
probability. The backend is a parameter: ``"duckdb"`` (default) or ``"spark"`` (``tipnet[spark]``, needs pyspark and
Java); nothing else in this module depends on the backend, because Splink's comparison and blocking creators emit
each backend's SQL. The same settings link two countries' plaintext (:func:`link_plaintext`), which the benchmarks
use as the reference for the encoded linkage.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import pyarrow as pa

from tipnet.link.normalise import normalise_place, normalise_sex, parse_date, parse_name
from tipnet.link.prepare import Columns

log = logging.getLogger("tipnet.link")
Backend = Literal["duckdb", "spark"]
LinkType = Literal["dedupe_only", "link_only", "link_and_dedupe"]


def plaintext_table(columns: Columns, record_ids: Sequence[str], source: str | Sequence[str]) -> pa.Table:
    """The normalised plaintext columns Splink compares, one row per record."""
    n = len(record_ids)
    sources = [source] * n if isinstance(source, str) else list(source)
    rows: dict[str, list[Any]] = {k: [] for k in (
        "unique_id", "source", "given1", "given", "surname1", "surname2", "family", "family_key", "name_tokens",
        "name_key", "dob", "dob_md", "dob_dm", "birth_year", "birth_year_est", "sex", "place")}

    def col(name: str) -> Sequence[str | None]:
        return columns[name] if name in columns else [None] * n

    given_c, family_c, dob_c, sex_c, place_c = (col("given_names"), col("family_names"), col("birth_date"),
                                                col("sex"), col("place_of_birth"))
    age_c, seen_c = col("age"), col("identification_date")
    for i in range(n):
        name = parse_name(given_c[i], family_c[i])
        d = parse_date(dob_c[i])
        rows["unique_id"].append(str(record_ids[i]))
        rows["source"].append(sources[i])
        rows["given1"].append(name.given1 or None)
        rows["given"].append(list(name.given) or None)
        rows["surname1"].append(name.surname1 or None)
        rows["surname2"].append(name.surname2 or None)
        rows["family"].append(list(name.family) or None)
        rows["family_key"].append(name.family_key or None)
        rows["name_tokens"].append(sorted(name.tokens) or None)
        rows["name_key"].append(name.token_key or None)
        rows["dob"].append(d.isoformat() if d else None)
        rows["dob_md"].append(d.isoformat()[5:] if d else None)
        rows["dob_dm"].append(_day_month_swapped(d))
        rows["birth_year"].append(str(d.year) if d else None)
        rows["birth_year_est"].append(d.year if d else _year_from_age(age_c[i], seen_c[i]))
        rows["sex"].append(normalise_sex(sex_c[i]) or None)
        rows["place"].append(normalise_place(place_c[i]) or None)
    return pa.table(rows)


def _day_month_swapped(d: date | None) -> str | None:
    """The date with day and month exchanged (``2001-03-05`` -> ``2001-05-03``), when that is a date."""
    if d is None or d.day > 12 or d.day == d.month:
        return None
    return date(d.year, d.day, d.month).isoformat()


def _year_from_age(age: str | None, seen: str | None) -> int | None:
    """Birth year estimated from the age at identification (the standard records both; many records only age)."""
    when = parse_date(seen)
    try:
        years = int(str(age).strip())
    except ValueError:
        return None
    return when.year - years if when and 0 <= years < 120 else None


def splink_settings(link_type: LinkType) -> Any:
    """Splink settings for persons of the standard; backend-neutral (comparison creators, and SQL that DuckDB and
    Spark both read: ``array_contains``, ``=``).

    Given name and surnames are separate comparisons, each with a level for a record that swapped the given and
    family fields (its given name found among the other's surnames), so a swap costs no more than a typo. Surnames
    are compared in either order (``family_key`` sorts them), with Jaro-Winkler levels for typos, one shared
    surname (a surname dropped), and the closest pair of surnames. Exact given names, surnames and towns carry
    term-frequency adjustments: "García" agrees often by chance, "Quispe Mamani" does not. Birth dates have levels
    for day and month swapped, one digit wrong or two transposed, the year wrong, and years one apart."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    given = cl.CustomComparison(
        output_column_name="given",
        comparison_levels=[
            cll.NullLevel("given1"),
            cll.ExactMatchLevel("given1", term_frequency_adjustments=True),
            cll.JaroWinklerLevel("given1", 0.92),
            cll.ArrayIntersectLevel("given", 1).configure(label_for_charts="a given name shared (order, middle)"),
            cll.CustomLevel("array_contains(family_r, given1_l) OR array_contains(family_l, given1_r)",
                            label_for_charts="given name written as a family name (fields swapped)"),
            cll.JaroWinklerLevel("given1", 0.8),
            cll.ElseLevel(),
        ],
    )
    surname = cl.CustomComparison(
        output_column_name="surname",
        comparison_levels=[
            cll.NullLevel("surname1"),
            cll.ExactMatchLevel("family_key", term_frequency_adjustments=True).configure(
                label_for_charts="same surnames, either order"),
            cll.And(cll.JaroWinklerLevel("surname1", 0.92), cll.JaroWinklerLevel("surname2", 0.92)).configure(
                label_for_charts="both surnames close"),
            cll.ExactMatchLevel("surname1", term_frequency_adjustments=True).configure(
                label_for_charts="first surname equal, second differs or missing"),
            cll.ArrayIntersectLevel("family", 1).configure(label_for_charts="a surname shared (dropped, swapped)"),
            cll.Or(cll.JaroWinklerLevel("surname1", 0.9), cll.JaroWinklerLevel("surname2", 0.9)).configure(
                label_for_charts="a surname close"),
            cll.CustomLevel("array_contains(given_r, surname1_l) OR array_contains(given_l, surname1_r)",
                            label_for_charts="surname written as a given name (fields swapped)"),
            cll.ElseLevel(),
        ],
    )
    birth = cl.CustomComparison(
        output_column_name="birth",
        comparison_levels=[
            cll.And(cll.NullLevel("dob"), cll.NullLevel("birth_year_est")),
            cll.ExactMatchLevel("dob"),
            cll.CustomLevel("dob_l = dob_dm_r", label_for_charts="day and month swapped"),
            cll.DamerauLevenshteinLevel("dob", 1).configure(label_for_charts="one digit wrong or transposed"),
            cll.ExactMatchLevel("dob_md").configure(label_for_charts="same day and month, year differs"),
            cll.AbsoluteDifferenceLevel("birth_year_est", 1),
            cll.ElseLevel(),
        ],
    )
    place = cl.CustomComparison(
        output_column_name="place",
        comparison_levels=[
            cll.NullLevel("place"),
            cll.ExactMatchLevel("place", term_frequency_adjustments=True),
            cll.JaroWinklerLevel("place", 0.9),
            cll.ElseLevel(),
        ],
    )
    return _settings(link_type, [given, surname, birth, cl.ExactMatch("sex"), place])


# Blocking for predictions: union of rules that each keep pairs sharing two values, crosswise for surnames.
BLOCKING_RULES: tuple[tuple[str, ...] | str, ...] = (
    ("given1", "dob"),
    ("surname1", "birth_year"),
    ("surname2", "birth_year"),
    "(l.surname1 = r.surname2 OR l.surname2 = r.surname1) AND l.birth_year = r.birth_year",
    ("given1", "surname1"),
    ("given1", "surname2"),
    "l.given1 = r.given1 AND (l.surname1 = r.surname2 OR l.surname2 = r.surname1)",
    ("dob", "place"),
    ("name_key",),
    ("given1", "place"),
    ("surname1", "place"),
    ("surname1", "dob_md"),
    ("given1", "dob_md"),
    ("dob", "sex"),
    ("family_key", "sex"),
    ("given1", "birth_year"),
)


def _blocking(rules: Sequence[tuple[str, ...] | str]) -> list[Any]:
    from splink import block_on

    return [block_on(*r) if isinstance(r, tuple) else r for r in rules]


def _settings(link_type: LinkType, comparisons: list[Any]) -> Any:
    from splink import SettingsCreator

    return SettingsCreator(link_type=link_type, comparisons=comparisons,
                           blocking_rules_to_generate_predictions=_blocking(BLOCKING_RULES),
                           retain_intermediate_calculation_columns=False, retain_matching_columns=False)


def db_api(backend: Backend = "duckdb", spark: Any = None) -> Any:
    """A Splink database API for ``backend``; Spark needs an existing SparkSession (``spark``)."""
    if backend == "duckdb":
        from splink import DuckDBAPI

        return DuckDBAPI()
    if backend == "spark":
        try:
            from splink import SparkAPI
        except ImportError as err:  # pragma: no cover - the extra is optional
            raise RuntimeError("the spark backend needs the tipnet[spark] extra (pyspark and Java)") from err
        if spark is None:
            raise RuntimeError("the spark backend needs a SparkSession (spark=...)")
        return SparkAPI(spark_session=spark)
    raise ValueError(f"unknown backend {backend!r}")


# EM sessions: each leaves out the comparisons its blocking rule uses and trains the others' m probabilities.
EM_RULES: tuple[tuple[str, ...], ...] = (("dob",), ("given1", "surname1"), ("surname1", "place"))


def spark_session(master: str = "local[*]", checkpoint_dir: str | None = None, partitions: int = 8) -> Any:
    """A SparkSession that Splink can use: its similarity functions' jar on the class path, few shuffle partitions
    (local mode), a checkpoint directory. On a cluster, build your own session with the same settings."""
    import shutil
    import tempfile

    if not shutil.which("java"):
        raise RuntimeError("the spark backend needs Java 17+ on PATH (e.g. apt-get install default-jre-headless)")
    try:
        from pyspark.sql import SparkSession
        from splink.backends.spark import similarity_jar_location
    except ImportError as err:  # pragma: no cover - the extra is optional
        raise RuntimeError("the spark backend needs the tipnet[spark] extra (pyspark)") from err
    session = (SparkSession.builder.master(master).appName("tipnet-dedupe")
               .config("spark.jars", similarity_jar_location())
               .config("spark.sql.shuffle.partitions", str(partitions))
               .config("spark.default.parallelism", str(partitions))
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    session.sparkContext.setCheckpointDir(checkpoint_dir or tempfile.mkdtemp(prefix="tipnet-spark-"))
    session.sparkContext.setLogLevel("ERROR")
    return session


def _train(linker: Any, seed: int, u_pairs: float = 5e6) -> None:
    from splink import block_on

    # the prior from records agreeing on given name and surnames (not birth date: agency records often lack it)
    linker.training.estimate_probability_two_random_records_match([block_on("given1", "family_key")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=seed)
    for rule in EM_RULES:
        linker.training.estimate_parameters_using_expectation_maximisation(block_on(*rule),
                                                                           estimate_without_term_frequencies=True)


@dataclass
class SplinkRun:
    pairs: list[tuple[str, str, float]]  # (unique_id_l, unique_id_r, match_probability) above the threshold
    clusters: dict[str, str]  # unique_id -> cluster id (records in a cluster of one are left out)
    seconds: dict[str, float] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)


def trained_settings(link_type: LinkType, model: Mapping[str, Any], dialect: str) -> dict[str, Any]:
    """This module's settings in ``dialect`` with the parameters (m, u, prior) of a trained ``model``, which may
    have been trained on another backend (a saved model's SQL is in its own dialect; its parameters are not)."""
    out: dict[str, Any] = splink_settings(link_type).create_settings_dict(dialect)
    trained = {c["output_column_name"]: c["comparison_levels"] for c in model["comparisons"]}
    for comp in out["comparisons"]:
        levels = trained.get(comp["output_column_name"])
        if levels is None or len(levels) != len(comp["comparison_levels"]):
            raise ValueError(f"the model does not fit these settings (comparison {comp['output_column_name']!r})")
        for mine, theirs in zip(comp["comparison_levels"], levels, strict=True):
            for k in ("m_probability", "u_probability"):
                if k in theirs:
                    mine[k] = theirs[k]
    out["probability_two_random_records_match"] = model["probability_two_random_records_match"]
    return out


def _run(tables: list[pa.Table], link_type: LinkType, threshold: float, backend: Backend, spark: Any,
         seed: int, one_to_one: bool, model: Mapping[str, Any] | None = None) -> SplinkRun:
    from splink import Linker

    t0 = time.perf_counter()
    logging.getLogger("splink").setLevel(logging.ERROR)  # its training chatter; our own log says what ran
    api = db_api(backend, spark)
    run_id = secrets.token_hex(4)  # a Spark session outlives a run: its tables need fresh names
    frames = [api.register(t, table_name=f"tipnet_input_{run_id}_{i}") for i, t in enumerate(tables)]
    settings = trained_settings(link_type, model, api.sql_dialect.sql_dialect_str) if model else \
        splink_settings(link_type)
    linker = Linker(frames if len(frames) > 1 else frames[0], settings, log_level=None)
    if not model:
        _train(linker, seed)
    t1 = time.perf_counter()
    pred = linker.inference.predict(threshold_match_probability=threshold)
    if one_to_one:
        names = [f.dataset_display_name for f in frames]
        clustered = linker.clustering.cluster_using_single_best_links(
            pred, duplicate_free_datasets=names, threshold_match_probability=threshold)
    else:
        clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, threshold)
    t2 = time.perf_counter()
    prows = pred.as_pyarrow_table().select(["unique_id_l", "unique_id_r", "match_probability"]).to_pylist()
    crows = clustered.as_pyarrow_table().select(["unique_id", "cluster_id"]).to_pylist()
    sizes: dict[str, int] = {}
    for r in crows:
        sizes[r["cluster_id"]] = sizes.get(r["cluster_id"], 0) + 1
    clusters = {str(r["unique_id"]): str(r["cluster_id"]) for r in crows if sizes[r["cluster_id"]] > 1}
    pairs = [(str(r["unique_id_l"]), str(r["unique_id_r"]), float(r["match_probability"])) for r in prows]
    model = linker.misc.save_model_to_json()
    return SplinkRun(pairs, clusters, {"train": round(t1 - t0, 3), "predict_cluster": round(t2 - t1, 3)}, model)


def dedupe(files: Mapping[str, tuple[Columns, Sequence[str]]], threshold: float = 0.9,
           backend: Backend = "duckdb", spark: Any = None, seed: int = 1,
           model: Mapping[str, Any] | None = None) -> SplinkRun:
    """Deduplicate one country's records across its agency files: ``files`` maps a source name (the agency file)
    to (columns, record ids). Record ids must be unique across the files. Returns cluster ids per record.
    ``model``: a trained model (``SplinkRun.model`` of an earlier run) to predict with instead of training."""
    tables = [plaintext_table(cols, ids, source) for source, (cols, ids) in files.items()]
    table = pa.concat_tables(tables)
    run = _run([table], "dedupe_only", threshold, backend, spark, seed, one_to_one=False, model=model)
    log.info("dedupe: %d records, %d in clusters, %d clusters", table.num_rows, len(run.clusters),
             len(set(run.clusters.values())))
    return run


def link_plaintext(a: tuple[Columns, Sequence[str]], b: tuple[Columns, Sequence[str]], threshold: float = 0.5,
                   backend: Backend = "duckdb", spark: Any = None, seed: int = 1,
                   model: Mapping[str, Any] | None = None) -> SplinkRun:
    """Splink on the plaintext of two countries (the reference the encoded linkage is measured against);
    ``model`` as for :func:`dedupe` (the benchmark trains it and picks ``threshold`` on a held-out set)."""
    ta = plaintext_table(a[0], a[1], "a")
    tb = plaintext_table(b[0], b[1], "b")
    return _run([ta, tb], "link_only", threshold, backend, spark, seed, one_to_one=True, model=model)
