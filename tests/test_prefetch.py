"""Reading ahead on a thread: same chunks in the same order, reader errors raised where they happen, and a consumer
that stops early stops the reader and runs its clean-up."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tipnet.ingest.pipeline import ImportOptions, validate_file
from tipnet.ingest.prefetch import Prefetch
from tipnet.settings import Settings


def test_items_arrive_in_order_and_errors_where_they_happen():
    def source():
        yield 1
        yield 2
        raise ValueError("bad block at 3")

    seen = []
    with pytest.raises(ValueError, match="bad block at 3"):
        for item in Prefetch(source(), depth=2):
            seen.append(item)
    assert seen == [1, 2]


def test_stopping_early_closes_the_reader():
    closed = threading.Event()

    def source():
        try:
            yield from range(1000)
        finally:
            closed.set()

    it = iter(Prefetch(source(), depth=1))
    assert next(it) == 0
    it.close()  # the consumer leaves the loop
    assert closed.wait(5)


def test_reading_ahead_changes_nothing_in_the_report(tmp_path: Path):
    rows = "".join(f"R{i},C{i % 7},{'F' if i % 2 else 'M'},{i % 90 if i % 13 else 400},PER\n" for i in range(5000))
    csv = tmp_path / "cases.csv"
    csv.write_text("record_id,case_id,sex,age,citizenship\n" + rows, encoding="utf-8")
    reports = []
    for ahead in (0, 2):
        settings = Settings.from_env(home=tmp_path / f"home{ahead}", chunk_rows=700, read_ahead=ahead)
        reports.append(validate_file(csv, ImportOptions(country="PER", strict=True), settings).to_dict())
    for r in reports:
        r.pop("path")
    assert reports[0] == reports[1]
    assert reports[0]["rows_invalid"] == len([i for i in range(5000) if i % 13 == 0])
