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
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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
        "name_key", "dob", "birth_year", "birth_year_est", "sex", "place")}

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
        rows["birth_year"].append(str(d.year) if d else None)
        rows["birth_year_est"].append(d.year if d else _year_from_age(age_c[i], seen_c[i]))
        rows["sex"].append(normalise_sex(sex_c[i]) or None)
        rows["place"].append(normalise_place(place_c[i]) or None)
    return pa.table(rows)


def _year_from_age(age: str | None, seen: str | None) -> int | None:
    """Birth year estimated from the age at identification (the standard records both; many records only age)."""
    when = parse_date(seen)
    try:
        years = int(str(age).strip())
    except ValueError:
        return None
    return when.year - years if when and 0 <= years < 120 else None


def splink_settings(link_type: LinkType) -> Any:
    """Splink settings for persons of the standard; backend-neutral (creators, not SQL strings)."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    name = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.Or(cll.NullLevel("given1"), cll.NullLevel("surname1")),
            cll.And(cll.ExactMatchLevel("given1"), cll.ExactMatchLevel("family_key")).configure(
                label_for_charts="given and family names equal"),
            cll.ExactMatchLevel("name_key").configure(label_for_charts="same name tokens (swapped order)"),
            cll.And(cll.JaroWinklerLevel("given1", 0.92), cll.JaroWinklerLevel("surname1", 0.92)).configure(
                label_for_charts="given and first surname close"),
            cll.And(cll.ExactMatchLevel("given1"), cll.ArrayIntersectLevel("family", 1)).configure(
                label_for_charts="given equal, a surname shared"),
            cll.ArrayIntersectLevel("name_tokens", 2),
            cll.And(cll.JaroWinklerLevel("given1", 0.88), cll.ArrayIntersectLevel("name_tokens", 1)).configure(
                label_for_charts="given close, a token shared"),
            cll.ArrayIntersectLevel("name_tokens", 1),
            cll.ElseLevel(),
        ],
    )
    comparisons: list[Any] = [
        name,
        cl.CustomComparison(
            output_column_name="birth",
            comparison_levels=[
                cll.And(cll.NullLevel("dob"), cll.NullLevel("birth_year_est")),
                cll.ExactMatchLevel("dob"),
                cll.DamerauLevenshteinLevel("dob", 1),
                cll.AbsoluteDifferenceLevel("birth_year_est", 1),
                cll.AbsoluteDifferenceLevel("birth_year_est", 5),
                cll.ElseLevel(),
            ],
        ),
        cl.ExactMatch("sex"),
        cl.JaroWinklerAtThresholds("place", [0.95, 0.85]),
    ]
    blocking: list[Any] = [
        block_on("surname1", "birth_year"),
        block_on("given1", "dob"),
        block_on("given1", "surname1"),
        block_on("given1", "surname2"),
        block_on("dob", "place"),
        block_on("name_key"),
        block_on("surname2", "birth_year"),
        block_on("surname1", "sex"),
        block_on("given1", "place"),
        block_on("surname1", "place"),
    ]
    return SettingsCreator(link_type=link_type, comparisons=comparisons,
                           blocking_rules_to_generate_predictions=blocking,
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


def _train(linker: Any, seed: int) -> None:
    from splink import block_on

    linker.training.estimate_probability_two_random_records_match(
        [block_on("given1", "family_key"), block_on("name_key", "dob")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_year_est", "sex"),
                                                                       estimate_without_term_frequencies=True)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("given1", "surname1"),
                                                                       estimate_without_term_frequencies=True)


@dataclass
class SplinkRun:
    pairs: list[tuple[str, str, float]]  # (unique_id_l, unique_id_r, match_probability) above the threshold
    clusters: dict[str, str]  # unique_id -> cluster id (records in a cluster of one are left out)
    seconds: dict[str, float] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)


def _run(tables: list[pa.Table], link_type: LinkType, threshold: float, backend: Backend, spark: Any,
         seed: int, one_to_one: bool) -> SplinkRun:
    from splink import Linker

    t0 = time.perf_counter()
    logging.getLogger("splink").setLevel(logging.ERROR)  # its training chatter; our own log says what ran
    api = db_api(backend, spark)
    frames = [api.register(t, table_name=f"tipnet_input_{i}") for i, t in enumerate(tables)]
    linker = Linker(frames if len(frames) > 1 else frames[0], splink_settings(link_type), log_level=None)
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
           backend: Backend = "duckdb", spark: Any = None, seed: int = 1) -> SplinkRun:
    """Deduplicate one country's records across its agency files: ``files`` maps a source name (the agency file)
    to (columns, record ids). Record ids must be unique across the files. Returns cluster ids per record."""
    tables = [plaintext_table(cols, ids, source) for source, (cols, ids) in files.items()]
    table = pa.concat_tables(tables)
    run = _run([table], "dedupe_only", threshold, backend, spark, seed, one_to_one=False)
    log.info("dedupe: %d records, %d in clusters, %d clusters", table.num_rows, len(run.clusters),
             len(set(run.clusters.values())))
    return run


def link_plaintext(a: tuple[Columns, Sequence[str]], b: tuple[Columns, Sequence[str]], threshold: float = 0.5,
                   backend: Backend = "duckdb", spark: Any = None, seed: int = 1) -> SplinkRun:
    """Splink on the plaintext of two countries (the reference the encoded linkage is measured against)."""
    ta = plaintext_table(a[0], a[1], "a")
    tb = plaintext_table(b[0], b[1], "b")
    return _run([ta, tb], "link_only", threshold, backend, spark, seed, one_to_one=True)
