"""Computed statistics are kept per store version: asked again, they are not recomputed; an import makes the next
request recompute; concurrent askers of one key share one computation."""

from __future__ import annotations

import threading
import time

import pytest

from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.stats import StatsSource


def _count(src: StatsSource) -> int:
    return int(src.query("SELECT count(*) AS n FROM victims")[0]["n"])


def _import(db, settings, tmp_path, name: str, rows: int) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / name
    f.write_text("record_id,case_id,sex,age\n" + "".join(f"{name}{i},C{i},F,20\n" for i in range(rows)),
                 encoding="utf-8")
    assert import_file(f, db, ImportOptions(country="PER"), settings).rows_accepted == rows


def test_memo_recomputes_only_when_the_store_changes(db, settings, tmp_path):
    src = StatsSource(db)
    calls = []

    def compute() -> int:
        calls.append(1)
        return _count(src)

    _import(db, settings, tmp_path, "a", 3)
    assert src.memo("n", compute) == 3 and src.memo("n", compute) == 3
    assert len(calls) == 1
    _import(db, settings, tmp_path, "b", 2)  # a new submission: the kept answer is stale
    assert src.memo("n", compute) == 5 and len(calls) == 2
    assert src.memo("other", lambda: "x") == "x" and src.memo("n", compute) == 5 and len(calls) == 2


def test_concurrent_askers_share_one_computation(sqlite_db):
    src = StatsSource(sqlite_db)
    calls = []

    def slow() -> str:
        calls.append(1)
        time.sleep(0.3)
        return "done"

    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(src.memo("k", slow))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["done"] * 8 and len(calls) == 1


def test_failed_computation_is_not_kept(sqlite_db):
    src = StatsSource(sqlite_db)

    def boom() -> int:
        raise ValueError("bad dimension")

    for _ in range(2):  # the error reaches every caller, nothing is kept
        with pytest.raises(ValueError, match="bad dimension"):
            src.memo("k", boom)
    assert src.memo("k", lambda: 1) == 1


def _submission_elsewhere(db) -> None:  # type: ignore[no-untyped-def]
    """A submission committed by another process (a command-line import, another web worker): this process's
    commit count does not move."""
    import sqlite3

    from sqlalchemy.engine import make_url

    with sqlite3.connect(str(make_url(db.url).database)) as raw:
        raw.row_factory = sqlite3.Row
        row = dict(raw.execute("SELECT * FROM submissions LIMIT 1").fetchone())
        row.pop("id")
        row["content_sha256"] = "0" * 64
        raw.execute(f"INSERT INTO submissions ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                    list(row.values()))


def test_a_change_by_another_process_is_seen_within_the_version_ttl(db_sqlite_import, monkeypatch):
    db, src = db_sqlite_import
    import tipnet.stats.source as source

    now = [time.monotonic()]
    monkeypatch.setattr(source.time, "monotonic", lambda: now[0])
    assert src.memo("v", lambda: src._version) is not None
    kept = src.peek("v")
    assert kept is not None  # answered without the store
    _submission_elsewhere(db)
    assert src.peek("v") == kept and src.memo("v", lambda: "recomputed") == kept  # trusted a moment more
    now[0] += source.VERSION_TTL_SECONDS
    assert src.peek("v") is None  # no longer trusted: the store must be asked
    assert src.memo("v", lambda: "recomputed") == "recomputed"


@pytest.fixture
def db_sqlite_import(sqlite_db, settings, tmp_path):  # type: ignore[no-untyped-def]
    _import(sqlite_db, settings, tmp_path, "a", 3)
    return sqlite_db, StatsSource(sqlite_db)


def test_peek_never_waits_for_a_busy_source(db_sqlite_import):
    _db, src = db_sqlite_import
    assert src.memo("k", lambda: "kept") == "kept" and src.peek("k") == "kept"
    assert src.peek("never computed") is None
    with src._lock:  # a thread pool thread querying or reloading the source holds it
        started = time.monotonic()
        assert src.peek("k") is None
        assert time.monotonic() - started < 0.5
    assert src.peek("k") == "kept"
