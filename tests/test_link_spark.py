"""In-country deduplication on Spark (``tipnet[spark]``, local mode): the same code as on DuckDB finds the same
clusters. Needs Java 17+ (``default-jre-headless`` on Debian/Ubuntu); without it the test fails, saying so."""

import shutil

import pytest

from tipnet.link.dedupe import dedupe, spark_session
from tipnet.link.synth import generate


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    assert shutil.which("java"), "the Spark backend needs Java 17+ on PATH (apt-get install default-jre-headless)"
    session = spark_session("local[2]", str(tmp_path_factory.mktemp("spark-checkpoints")), partitions=4)
    yield session
    session.stop()


def _groups(clusters):
    by: dict[str, set[str]] = {}
    for rid, cid in clusters.items():
        by.setdefault(cid, set()).add(rid)
    return {frozenset(g) for g in by.values()}


def test_spark_dedupe_finds_the_duckdb_clusters(spark):
    # one country's records in two agency files (police, hotline); half the persons are in both
    ss = generate(150, countries=("POL", "HOT"), overlap=0.5, seed=31)
    files = {f"{c}.csv": (cols, cols["record_id"]) for c, cols in ss.countries.items()}
    on_duckdb = dedupe(files, threshold=0.5)
    assert len(_groups(on_duckdb.clusters)) > 50
    # the DuckDB-trained model predicting on Spark: the very same clusters
    on_spark = dedupe(files, threshold=0.5, backend="spark", spark=spark, model=on_duckdb.model)
    assert _groups(on_spark.clusters) == _groups(on_duckdb.clusters)
    print("spark seconds", on_spark.seconds)
