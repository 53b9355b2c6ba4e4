"""The fast import path: polars CSV reader (blocks of whole records, ragged rows sent to the careful reader),
vectorised fast paths in the checks, the background writer and the checkpoint after commit."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tipnet.ingest import readers_csv as readers
from tipnet.ingest.convert import Context, convert
from tipnet.ingest.pipeline import ImportOptions, import_file, validate_file
from tipnet.ingest.profiles import apply_profile, detect_profile
from tipnet.ingest.readers import ROW, open_csv
from tipnet.settings import Settings
from tipnet.store import Database, bulk
from tipnet.store.bulk import BackgroundIngest, wait_for_checkpoints

TRICKY = (
    "record_id,case_id,place_of_birth,age,agency\n"
    'R1,C1,"Lima,\nPerú",7,"say ""hi"""\n'
    'R2,C1,"",8,\n'
    'R3,C2,"a\r\nb", 9 ,x\n'
    "R4,C2,,,\n"
    '"R5",C3,Cusco,10,"q,r"\n'
    "\n"
    "R6,C3,Puno,11,z"
)


def _frames(path: Path, careful: bool) -> pl.DataFrame:
    table = open_csv(path, chunk_rows=2, careful=careful)
    return pl.concat([c.data for c in table.chunks()])


def test_fast_reader_reads_what_the_careful_reader_reads(tmp_path, monkeypatch):
    """Tiny blocks: cuts fall inside quoted line breaks, are found out and redone; row numbers count records."""
    p = tmp_path / "tricky.csv"
    p.write_bytes(TRICKY.encode("utf-8"))
    monkeypatch.setattr(readers, "FIRST_BLOCK_BYTES", 16)
    monkeypatch.setattr(readers, "MIN_BLOCK_BYTES", 16)
    fast = _frames(p, careful=False)
    careful = _frames(p, careful=True)
    # the careful reader skips the blank line; the fast reader keeps it as a row without values (as pyarrow did)
    blank = fast.filter(pl.all_horizontal(pl.exclude(ROW).is_null()))
    assert blank[ROW].to_list() == [7]
    assert fast.filter(pl.col(ROW) != 7).to_dicts() == careful.to_dicts()
    assert careful[ROW].to_list() == [2, 3, 4, 5, 6, 8]
    assert careful.filter(pl.col(ROW) == 3)["place_of_birth"].item() is None  # "" is no value


@pytest.mark.parametrize("block", range(6, 40, 3))
def test_blocks_may_begin_with_a_blank_line(tmp_path, monkeypatch, block):
    """Wherever the blocks are cut, a blank line is a row without values and no row goes to the careful reader."""
    p = tmp_path / "blank.csv"
    p.write_bytes(b'record_id,case_id,age\r\nR1,"C\r\n1",7\r\n\r\nR2,C2,\r\n\r\n')
    monkeypatch.setattr(readers, "FIRST_BLOCK_BYTES", block)
    monkeypatch.setattr(readers, "MIN_BLOCK_BYTES", block)
    rows = _frames(p, careful=False).rows()
    assert rows == [("R1", "C\r\n1", "7", 2), (None, None, None, 3), ("R2", "C2", None, 4), (None, None, None, 5)]


def test_missing_last_cell_goes_to_the_careful_reader(tmp_path):
    p = tmp_path / "short.csv"
    p.write_text("record_id,case_id,sex,age\n1,A,F,3\n2,A,F,\n3,B,M\n", encoding="utf-8")
    r = validate_file(p, ImportOptions(country="PER"))
    assert [(x.row, x.code) for x in r.problems] == [(4, "missing-cell")]
    q = tmp_path / "empty_last.csv"
    q.write_text("record_id,case_id,sex,age\n1,A,F,\n2,A,F,\n", encoding="utf-8")
    assert validate_file(q, ImportOptions(country="PER")).problems == []


def test_lone_carriage_return_is_a_line_break(tmp_path):
    p = tmp_path / "cr.csv"
    p.write_bytes(b"record_id,case_id,age\n1,A,7\n2,B,8\r3,C,x\n")
    r = validate_file(p, ImportOptions(country="PER"))
    assert r.rows_total == 3 and [(x.row, x.code) for x in r.problems] == [(4, "invalid-integer")]


def test_file_that_stops_being_utf8_after_the_sample(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "ENCODING_SAMPLE_BYTES", 64)
    rows = "".join(f"R{i},C{i},female,{i % 90},PER\n" for i in range(200))
    p = tmp_path / "late.csv"
    p.write_bytes(("record_id,case_id,sex,age,citizenship\n" + rows + "R900,C9,male,5,Perú\n").encode("cp1252"))
    r = validate_file(p, ImportOptions(country="PER"))
    assert r.encoding == "cp1252" and r.rows_total == 201 and r.valid


class _FailingTx:
    def __init__(self) -> None:
        self.calls: list[int] = []

    def ingest(self, table: str, data: object) -> None:
        self.calls.append(len(data))  # type: ignore[arg-type]
        if len(self.calls) == 2:
            raise RuntimeError("disk full")


def test_background_writer_raises_a_failed_write():
    tx = _FailingTx()
    writer = BackgroundIngest(tx, depth=1)  # type: ignore[arg-type]
    writer.put("persons", [1])
    writer.put("persons", [1, 2])
    with pytest.raises(RuntimeError, match="disk full"):
        for _ in range(50):  # the error surfaces at a later put, or at close
            writer.put("persons", [1, 2, 3])
        writer.close()
    writer.abort()  # never raises
    assert tx.calls[:2] == [1, 2]
    assert not any(t.name == "tipnet-bulk-writer" and t.is_alive() for t in threading.enumerate())


def test_background_writer_abort_drops_waiting_batches():
    gate = threading.Event()

    class SlowTx:
        calls = 0

        def ingest(self, table: str, data: object) -> None:
            gate.wait(5)
            SlowTx.calls += 1

    writer = BackgroundIngest(SlowTx(), depth=1)  # type: ignore[arg-type]
    writer.put("persons", [1])
    writer.put("persons", [2])
    threading.Timer(0.2, gate.set).start()
    writer.abort()
    assert SlowTx.calls <= 1


def test_sqlite_rows_dates_as_iso_text_and_checkpointed_after_commit(inprocess_imports, tmp_path, monkeypatch):
    """As in the import worker: the WAL is copied into the database on a background thread after the commit."""
    monkeypatch.setattr(bulk, "DEFER_CHECKPOINTS", True)
    home = tmp_path / "home"
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    db.upgrade()
    db.dispose()
    p = tmp_path / "few.csv"
    p.write_text(
        "record_id,case_id,sex,age,identification_date\nR1,C1,female,30,2023-06-01\nR2,C1,male,,2022-01-31\n",
        encoding="utf-8",
    )
    r = import_file(p, db, ImportOptions(country="PER"), Settings.from_env(home=home))
    assert r.rows_accepted == 2
    wait_for_checkpoints()
    # the checkpoint copied the import into the database file itself: a copy without the WAL has the rows
    copy = tmp_path / "copy.db"
    shutil.copy(tmp_path / "w.db", copy)
    con = sqlite3.connect(copy)
    rows = con.execute(
        "SELECT record_id, identification_date, typeof(identification_date), age, birth_date, citizenship "
        "FROM persons ORDER BY source_row"
    ).fetchall()
    con.close()
    assert rows == [("R1", "2023-06-01", "text", 30, None, None), ("R2", "2022-01-31", "text", None, None, None)]


def test_reports_do_not_depend_on_the_chunk_size(tmp_path):
    lines = ["record_id,case_id,sex,age,identification_date,citizenship,forms_of_exploitation"]
    values = [
        ("female", "12", "2020-01-01", "PER", "forced_labour"),
        ("F", " 40 ", "03/04/2021", "Perú;Bolivia", "sexual_exploitation;forced_labour"),
        ("x", "130", "2020-02-30", "Atlantis", "bogus"),
        ("male", "-99", "2035-01-01", "South America", ""),
        ("", "abc", "fecha", "", "servitude"),
    ]
    for i in range(60):
        sex, age, day, country, forms = values[i % len(values)]
        lines.append(f"R{i % 45},C{i},{sex},{age},{day},{country},{forms}")
    p = tmp_path / "mixed.csv"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    reports = [
        validate_file(p, ImportOptions(country="PER"), Settings.from_env(home=tmp_path, chunk_rows=n)).to_dict()
        for n in (1, 7, 100_000)
    ]
    assert reports[0] == reports[1] == reports[2]
    assert reports[0]["problem_counts"]["duplicate-record"] == 15


CELLS = st.one_of(
    st.none(),
    st.sampled_from(
        ["", " ", "NULL", "-99", "7", " 7 ", "1e1", "12.5", "130", "abc", "2020-01-05", " 2020-01-05", "2020-1-5",
         "05/01/2020", "2021-02-30", "2035-01-01", "1899-12-31", "2020-01-05T10:00", "female", " F", "PER",
         "Perú", "Europe", "true", "si", "forced_labour;servitude", "bogus", "-12,5", "91", "a\x00b", "PER\x1f",
         "\xa0female\u3000", "\x1cM"]
    ),
)
FIELDS = ["record_id", "case_id", "sex", "age", "birth_date", "identification_date", "citizenship",
          "exploitation_latitude", "consent_share_hub", "forms_of_exploitation", "agency"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(*[CELLS] * len(FIELDS)), min_size=1, max_size=30))
def test_fast_paths_agree_with_the_full_paths(rows):
    """Cells passed through raw (fast paths: ISO dates, plain numbers, look-ups per distinct value) give the same
    typed values and problems as cells blanked first and checked the long way."""
    source = pl.DataFrame(rows, schema={f: pl.Utf8 for f in FIELDS}, orient="row").with_columns(
        pl.int_range(2, len(rows) + 2, dtype=pl.Int64).alias(ROW)
    )
    profile = detect_profile(FIELDS)
    rules, flags, _ = profile.bind(FIELDS)
    raw = frozenset(FIELDS)
    fast = convert(apply_profile(profile, source, rules, flags, raw), Context(profile, "PER", raw=raw))
    full = convert(apply_profile(profile, source, rules, flags), Context(profile, "PER"))
    assert fast.data.to_dicts() == full.data.to_dicts()
    assert fast.problems.sort("row", maintain_order=True).to_dicts() == full.problems.sort(
        "row", maintain_order=True
    ).to_dicts()


def test_blank_value_strips_what_polars_strips():
    from tipnet.ingest.profiles import DEFAULT_MISSING, blank_series, blank_value

    cells = [f"{chr(c)}x{chr(c)}" for c in (*range(0x21), 0x85, 0xA0, 0x1680, *range(0x2000, 0x2030), 0x3000)]
    cells += [" NULL ", "-99", "\u00a0N/A", None]
    missing = tuple(DEFAULT_MISSING)
    assert [blank_value(c, missing) for c in cells] == blank_series(pl.Series(cells), missing).to_list()


@pytest.mark.parametrize(
    "body",
    [
        b"1,2,3\r\n4,5\r\n",  # a short row, CRLF
        b'1,"a,b",3\n4,"c,d"\n',  # a short row whose delimiter count looks right only if quotes are ignored
        b"1,2,3\n4,5",  # a short last row without a line end
        b"1,2,\n" * 500 + b"4,5\n" + b"7,8,\n" * 500,  # no quotes: one short row among many with empty last cells
        b"1,2,\n\n4,5\n",  # no quotes, a blank line and a short row
    ],
)
def test_short_rows_send_the_block_to_the_careful_reader(body):
    names = ["c0", "c1", "c2"]
    with pytest.raises(readers.RaggedInput):
        readers._parse_block(body, ",", names)


def test_rows_with_empty_last_cells_are_not_short():
    df = readers._parse_block(b'1,2,\r\n"a,b",,\n\n4,5,6', ",", ["c0", "c1", "c2"])
    assert df.height == 4 and df.get_column("c2").to_list() == [None, None, None, "6"]
    for body in (b"1,2,\r\n" * 1000, b"1,2,\n" * 999 + b"1,2,", b"1;2;\n\n3;4;5\n",  # without quotes too
                 b'1,"a,b",\n' * 500 + b'"x,""y"",z",2,\n' * 500):  # delimiters inside quoted values
        delimiter = ";" if b";" in body else ","
        df = readers._parse_block(body, delimiter, ["c0", "c1", "c2"])
        assert df.height == body.count(b"\n") + (not body.endswith(b"\n"))
