"""The CSV reader: encoding and delimiter detection, then fast block-wise parsing with polars (falling back to a
careful row-by-row reader for ragged or oddly encoded input). Row numbers count the header as row 1."""


import codecs
import csv
import io
import logging
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from tipnet.ingest.errors import error_type
from tipnet.ingest.limits import ReadLimits, check_columns, too_large
from tipnet.ingest.report import Problem
from tipnet.ingest.sources import (
    ROW,
    SAMPLE_BYTES,
    Chunk,
    ReadError,
    SourceTable,
    _clean_header,
    _rows_chunk,
    _unreadable,
)

log = logging.getLogger(__name__)

_DELIMITERS = ",;\t|"
# ---------------------------------------------------------------- CSV

ENCODING_SAMPLE_BYTES = 4 * 1024 * 1024
FIRST_BLOCK_BYTES = 1024 * 1024  # small: the writer starts on the first rows soon
MIN_BLOCK_BYTES = 1024 * 1024
MAX_BLOCK_BYTES = 64 * 1024 * 1024
_LONE_CR = re.compile(rb"\r(?!\n)")


def _bom(head: bytes) -> str | None:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def detect_encoding(path: Path, quick: bool = False) -> str:
    """BOM first, then strict UTF-8 over the whole file (streamed), then a charset guess on a sample.

    quick=True checks only the first few MB for UTF-8: the fast CSV reader validates the rest as it parses
    (and raises NotUtf8 if the guess was wrong), so the file is not read an extra time.
    """
    with path.open("rb") as fh:
        head = fh.read(4)
    bom = _bom(head)
    if bom:
        return bom
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as fh:
            if quick:
                sample = fh.read(ENCODING_SAMPLE_BYTES)
                decoder.decode(sample, final=len(sample) < ENCODING_SAMPLE_BYTES)  # a cut character is fine
                return "utf-8"
            while block := fh.read(16 * 1024 * 1024):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    with path.open("rb") as fh:
        sample = fh.read(SAMPLE_BYTES * 4)
    best = from_bytes(sample, cp_isolation=["cp1252", "latin_1", "iso8859_15", "mac_roman", "cp850"]).best()
    # Windows-1252 is a superset of Latin-1 for text that people type; prefer it when in doubt.
    guess = "cp1252" if best is None or best.encoding in ("latin_1", "iso8859_15") else best.encoding
    return guess if _decodes(path, guess) else "latin-1"  # latin-1 decodes every byte


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as fh:
            while block := fh.read(16 * 1024 * 1024):
                decoder.decode(block)
        decoder.decode(b"", final=True)
        return True
    except UnicodeDecodeError:
        return False


def sniff_delimiter(text_sample: str) -> str:
    lines = [ln for ln in text_sample.splitlines()[:50] if ln.strip()]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=_DELIMITERS).delimiter
    except csv.Error:
        counts = {d: lines[0].count(d) for d in _DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _to_utf8_file(path: Path, encoding: str) -> Path:
    tmp = tempfile.NamedTemporaryFile(prefix="tipnet-", suffix=".csv", delete=False)  # noqa: SIM115
    with (
        path.open("r", encoding=encoding, newline="") as src,
        open(tmp.name, "w", encoding="utf-8", newline="") as dst,
    ):
        while block := src.read(4 * 1024 * 1024):
            dst.write(block)
    return Path(tmp.name)


class RaggedInput(Exception):
    """The fast CSV reader met a row with the wrong number of cells (or a layout it does not parse the way the
    careful reader does): read again with careful=True."""


class NotUtf8(RaggedInput):
    """The fast CSV reader met bytes that are not UTF-8 in a file whose sample was: detect the encoding on the
    whole file and read again."""


def _record_end(buf: bytes, start: int = 0) -> int:
    """Offset just past the last newline of buf that ends a record (not inside quotes), or -1. buf[start:]
    begins at a record boundary."""
    p = buf.rfind(b"\n")
    if p < start:
        return -1
    if buf.find(b'"', start) < 0:
        return p + 1
    quotes = buf.count(b'"', start, p)
    while p >= start:
        if quotes % 2 == 0:
            return p + 1
        q = buf.rfind(b"\n", start, p)
        if q < start:
            return -1
        quotes -= buf.count(b'"', q, p)
        p = q
    return -1


def _header_end(path: Path, offset: int) -> int:
    """Byte offset of the first data record: just past the header record that starts at `offset`."""
    with path.open("rb") as fh:
        fh.seek(offset)
        buf = b""
        while data := fh.read(SAMPLE_BYTES):
            buf += data
            pos = 0
            while (p := buf.find(b"\n", pos)) >= 0:
                if buf.count(b'"', 0, p) % 2 == 0:
                    if _LONE_CR.search(buf, 0, p + 1):
                        raise RaggedInput(path.name)  # old Mac line ends: the careful reader splits them
                    return offset + p + 1
                pos = p + 1
        if _LONE_CR.search(buf):
            raise RaggedInput(path.name)
        return offset + len(buf)  # a header and no data rows


def _read_block(fh: Any, size: int, exact: bool) -> tuple[bytes, bool]:
    """The next `size` bytes or so of fh, cut after the last whole record; fh is left at the cut.

    exact=False cuts after the last line break without counting quotes (a quoted value may hold a line break):
    returns (block, False) then, and the caller must read again with exact=True if the block does not parse
    (a block cut inside a quoted value ends in an open quote, which polars rejects)."""
    pos = fh.tell()
    data = fh.read(size)
    if len(data) < size:
        return data, True  # the end of the file: the last record needs no line break
    if not exact and b'"' in data:
        p = data.rfind(b"\n")
        if p >= 0:
            fh.seek(pos + p + 1)
            return data[: p + 1], False
    cut = _record_end(data)
    while cut < 0:  # no record ends in this block: read on
        if len(data) >= MAX_BLOCK_BYTES:
            raise RaggedInput("no record ends within the block size")  # an unterminated quote, most likely
        more = fh.read(size)
        data += more
        if len(more) < size:
            return data, True
        cut = _record_end(data)
    fh.seek(pos + cut)
    return data[:cut], True


def _parse_block(block: bytes, delimiter: str, names: list[str]) -> pl.DataFrame:
    """One block of whole records -> text columns; raises RaggedInput / NotUtf8 where the careful reader must
    take over."""
    if b"\r" in block and _LONE_CR.search(block):
        raise RaggedInput("lone carriage return")  # a line break for the careful reader, not for polars
    try:
        # A header line of our own: polars takes the number of columns from it, not from the block's first line
        # (which may be a blank line or a short row).
        df = pl.read_csv(
            delimiter.join(names).encode() + b"\n" + block,
            has_header=True,
            separator=delimiter,
            quote_char='"',
            infer_schema=False,
            raise_if_empty=False,
            truncate_ragged_lines=False,
        )
    except pl.exceptions.PolarsError as exc:
        if "utf-8" in str(exc).lower() or "utf8" in str(exc).lower():
            raise NotUtf8(str(exc).splitlines()[0]) from exc
        raise RaggedInput(str(exc).splitlines()[0]) from exc
    if df.width != len(names):
        raise RaggedInput("column count")
    # Polars fills a row that has too few cells with nulls (too many cells is an error). Such a row has a null
    # in its last column: check the field count of those rows.
    last = df.get_column(names[-1])
    if last.null_count():
        _check_short_rows(block, delimiter, df, last.is_null())
    # A quoted empty cell is "" for polars, no value (null) for the careful reader: make it null.
    if df.height and df.select(pl.min_horizontal(pl.col(n).str.len_bytes().min() for n in names)).item() == 0:
        df = df.with_columns(pl.when(pl.col(n) == "").then(None).otherwise(pl.col(n)).alias(n) for n in names)
    return df


def _lines(block: bytes) -> pl.Series:
    """The block's lines, split by polars with a separator byte that the block does not hold."""
    for sep in "\x1f\x1e\x1d\x1c\x01":
        if sep.encode() not in block:
            return pl.read_csv(
                block, has_header=False, new_columns=["line"], separator=sep, quote_char=None, infer_schema=False
            ).get_column("line")
    raise RaggedInput("no free separator byte")


def _line_counts(block: bytes, delimiter: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per line of the block (split at \\n, a final line without one included): its start offset, its length
    without the line end, and how many delimiters and quote characters it holds. Counted in C over the bytes."""
    arr = np.frombuffer(block, dtype=np.uint8)
    ends = np.flatnonzero(arr == 10)
    if not block.endswith(b"\n"):
        ends = np.append(ends, len(arr))
    starts = np.concatenate(([0], ends[:-1] + 1)).astype(np.int64)
    lengths = ends - starts
    lengths = lengths - (lengths > 0) * (arr[np.maximum(ends - 1, 0)] == 13)  # a \r\n line end
    delims = np.zeros(len(starts), dtype=np.int64)
    quotes = np.zeros(len(starts), dtype=np.int64)
    nonempty = ends > starts
    if nonempty.any():
        at = starts[nonempty]
        # reduceat sums each [start, next start) slice; a line's slice holds its own \n, which counts as neither
        delims[nonempty] = np.add.reduceat((arr == ord(delimiter)).view(np.uint8), at, dtype=np.int64)[: len(at)]
        quotes[nonempty] = np.add.reduceat((arr == 34).view(np.uint8), at, dtype=np.int64)[: len(at)]
    return starts, lengths, delims, quotes


def _check_short_rows(block: bytes, delimiter: str, df: pl.DataFrame, suspect: pl.Series) -> None:
    """Raise RaggedInput if any row of the block has fewer cells than the header (vectorised)."""
    width = df.width
    if width == 1:
        return  # one column: a row cannot miss a cell (a blank line is a row without a value, as before)
    n_lines = block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
    if n_lines == df.height:  # one line per row: no value holds a line break
        # Each line holds width - 1 delimiters between its cells or fewer (polars refuses more), plus those inside
        # its values. So if the block's delimiters, less those in the parsed values, are width - 1 per line, no
        # line is short: a few counts in C instead of one count per line.
        outside = block.count(delimiter.encode())
        if b'"' in block:  # only a quoted value can hold the delimiter
            outside -= int(df.select(pl.sum_horizontal(
                pl.col(n).str.count_matches(delimiter, literal=True).sum() for n in df.columns)).item() or 0)
        if outside == n_lines * (width - 1):
            return
    starts, lengths, delims, quotes = _line_counts(block, delimiter)
    if len(starts) == df.height:  # one line per record (no value holds a line break)
        mask = suspect.fill_null(False).to_numpy() & (lengths > 0)  # a blank line is a row without values
        plain = mask & (quotes == 0)
        if (delims[plain] != width - 1).any():
            raise RaggedInput("missing cells")
        for i in np.flatnonzero(mask & (quotes > 0)):  # few: rows with a quoted value and an empty last cell
            line = block[starts[i]: starts[i] + lengths[i]].decode("utf-8", errors="replace")
            if len(next(csv.reader([line], delimiter=delimiter), [])) != width:
                raise RaggedInput("missing cells")
        return
    lines = _lines(block)
    # Some values hold line breaks: group the lines into records (a record ends on a line where the quotes seen so
    # far are even), and count each record's delimiters outside its values.
    records = (
        pl.DataFrame({"line": lines})
        .with_columns(
            quotes=pl.col("line").str.count_matches('"', literal=True).fill_null(0),
            delims=pl.col("line").str.count_matches(delimiter, literal=True).fill_null(0),
        )
        .with_columns(ends=pl.col("quotes").cum_sum() % 2 == 0)
        .with_columns(record=pl.col("ends").cast(pl.Int64).cum_sum().shift(1, fill_value=0))
        .group_by("record", maintain_order=True)
        .agg(pl.col("delims").sum(), blank=pl.col("line").is_null().all() & (pl.len() == 1))
    )
    if records.height != df.height:
        raise RaggedInput("records and rows do not line up")
    inside = df.select(
        pl.sum_horizontal(pl.col(n).str.count_matches(delimiter, literal=True).fill_null(0) for n in df.columns)
    ).to_series()
    between = records.get_column("delims") - inside
    if (~records.get_column("blank") & (between != width - 1)).any():
        raise RaggedInput("missing cells")


def _csv_fast(path: Path, delimiter: str, columns: list[str], chunk_rows: int, start: int) -> Iterator[Chunk]:
    """Whole records in blocks of about chunk_rows rows, parsed by polars; row numbers count records, the header
    being row 1."""
    names = [f"c{i}" for i in range(len(columns))]
    rename = dict(zip(names, columns, strict=True))
    next_row = 2
    size = FIRST_BLOCK_BYTES
    with path.open("rb") as fh:
        fh.seek(start)
        while True:
            at = fh.tell()
            block, exact = _read_block(fh, size, exact=False)
            if not block:
                return
            try:
                df = _parse_block(block, delimiter, names)
            except NotUtf8:
                raise
            except RaggedInput:
                if exact:
                    raise
                fh.seek(at)  # perhaps cut inside a quoted value: cut where the quotes say a record ends
                block, _ = _read_block(fh, size, exact=True)
                df = _parse_block(block, delimiter, names)
            nul = b"\x00" in block
            if df.height:
                size = min(MAX_BLOCK_BYTES, max(MIN_BLOCK_BYTES, len(block) * chunk_rows // df.height))
            for offset in range(0, df.height, chunk_rows):
                part = df.slice(offset, chunk_rows) if df.height > chunk_rows else df
                part = part.rename(rename).with_columns(
                    pl.int_range(next_row, next_row + part.height, dtype=pl.Int64).alias(ROW)
                )
                next_row += part.height
                yield Chunk(part, maybe_nul=nul)


def _bounded(reader: Iterator[list[str]], path: Path) -> Iterator[list[str]]:
    """The csv reader's records; a cell beyond its field limit (a line without end, an unclosed quote) refuses the
    file with the limit named, rather than failing in the middle of a read."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field larger than field limit" not in str(exc):
                raise
            raise too_large(path, "a cell (or a quoted value not closed)", f"{csv.field_size_limit():,} characters",
                            "the CSV field limit") from exc


def csv_careful(path: Path, delimiter: str, columns: list[str], chunk_rows: int, header_records: int = 1,
                 encoding: str = "utf-8") -> Iterator[Chunk]:
    """Record-by-record reader for files with ragged rows: every row is kept and flagged, none is cut.
    header_records: the records up to and including the header (more than one when a preamble comes first)."""
    width = len(columns)
    with path.open("r", encoding=encoding, newline="") as fh:
        reader = _bounded(csv.reader(fh, delimiter=delimiter), path)
        for _ in range(header_records):
            next(reader, None)
        rows: list[list[str | None]] = []
        numbers: list[int] = []
        problems: list[Problem] = []
        bad: set[int] = set()
        record = header_records
        for cells in reader:
            record += 1
            if not cells or all(not c.strip() for c in cells) and len(cells) <= 1:
                continue  # a blank line is not a row
            if len(cells) != width:
                code = "extra-cell" if len(cells) > width else "missing-cell"
                problems.append(
                    Problem(
                        code,
                        error_type(code).message(found=len(cells), expected=width),
                        row=record,
                        value=delimiter.join(cells)[:200],
                    )
                )
                bad.add(record)
                cells = (cells + [""] * width)[:width]
            rows.append([c if c != "" else None for c in cells])
            numbers.append(record)
            if len(rows) >= chunk_rows:
                yield _rows_chunk(rows, numbers, columns, problems, bad)
                rows, numbers, problems, bad = [], [], [], set()
        if rows or problems:
            yield _rows_chunk(rows, numbers, columns, problems, bad)




def open_csv(
    path: Path, chunk_rows: int, careful: bool = False, quick_encoding: bool = False, limits: ReadLimits | None = None
) -> SourceTable:
    """quick_encoding: take a file whose first MB are UTF-8 for UTF-8 (the fast reader checks the rest, and raises
    NotUtf8 if it was wrong). limits: the most columns read (a cell is at most csv's field limit, 128 KB)."""
    with path.open("rb") as raw:
        head = raw.read(SAMPLE_BYTES)
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _unreadable(path, "CSV", "it holds binary data (NUL bytes), not text")
    encoding = detect_encoding(path, quick=quick_encoding and not careful)
    src = path
    if encoding not in ("utf-8", "utf-8-sig"):
        src = _to_utf8_file(path, encoding)
    try:
        try:
            with src.open("r", encoding="utf-8-sig", newline="") as fh:
                sample = fh.read(SAMPLE_BYTES)
        except UnicodeDecodeError as exc:  # beyond the quick check's sample: detect on the whole file
            raise NotUtf8(path.name) from exc
        if not sample.strip():
            raise ReadError(Problem("empty-file", error_type("empty-file").message(path=path.name)))
        delimiter = sniff_delimiter(sample)
        header = next(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter), [])
        if not any(str(h).strip() for h in header):
            raise ReadError(Problem("empty-file", error_type("empty-file").message(path=path.name)))
        check_columns(path, len(header), limits or ReadLimits.of())
        columns = _clean_header(header)
    except BaseException:
        if src is not path:
            src.unlink(missing_ok=True)
        raise
    table = SourceTable(path, "csv", columns, encoding)

    def chunks() -> Iterator[Chunk]:
        try:
            if careful:
                yield from csv_careful(src, delimiter, columns, chunk_rows)
                return
            bom = len(codecs.BOM_UTF8) if src is path and encoding == "utf-8-sig" else 0
            yield from _csv_fast(src, delimiter, columns, chunk_rows, _header_end(src, bom))
        finally:
            if src is not path:
                src.unlink(missing_ok=True)

    table._chunks = chunks()
    return table


# ---------------------------------------------------------------- XLSX

