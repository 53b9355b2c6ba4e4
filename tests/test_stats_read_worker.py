"""The statistics read worker's failures are the project's errors: a stable code and status, a message that says
what failed without the store's path or SQL (those are logged), and a worker that dies is replaced."""

from __future__ import annotations

import logging

import pyarrow as pa
import pytest

from tipnet.errors import TipnetError, Unavailable
from tipnet.stats import read_worker

SCHEMA = pa.schema([pa.field("id", pa.int64())])


def test_a_failed_read_is_a_coded_error_that_hides_the_sql(sqlite_db, caplog):
    path = str(sqlite_db.url.split("///", 1)[1])
    with caplog.at_level(logging.ERROR, logger="tipnet.stats.read_worker"), \
            pytest.raises(read_worker.ReadFailed) as failed:
        read_worker.read_sqlite(path, "SELECT id, 0 AS _first FROM no_such_table", (), SCHEMA)
    err = failed.value
    assert isinstance(err, Unavailable) and isinstance(err, TipnetError)
    assert (err.status, err.code) == (503, "stats-read-failed")
    assert "no_such_table" not in err.message and path not in err.message
    assert "no_such_table" in err.cause and "no_such_table" in caplog.text  # for the operator, in the log


def test_a_dead_worker_is_replaced(sqlite_db):
    path = str(sqlite_db.url.split("///", 1)[1])
    sql = "SELECT 1 AS id, 0 AS _first"
    assert read_worker.read_sqlite(path, sql, (), SCHEMA).column("id").to_pylist() == [1]
    process, _conn = read_worker._worker_now()
    process.kill()
    process.join(5)
    assert read_worker.read_sqlite(path, sql, (), SCHEMA).column("id").to_pylist() == [1]
    assert read_worker._worker_now()[0].pid != process.pid
