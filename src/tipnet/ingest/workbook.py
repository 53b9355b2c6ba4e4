"""A workbook checked before the spreadsheet library unpacks it: its zip directory (parts, unpacked size, compression
ratio), then each worksheet's XML streamed through a small buffer (rows, and the used area that the library would
allocate cell by cell). Refusals name the limit passed (`tipnet.ingest.limits`).

The zip directory is what the file says of itself; the streaming pass reads the parts for real, so a directory that
understates a part's size is caught too (the part is cut at the stated size and fails its checksum).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tipnet.ingest.limits import ReadLimits, too_large
from tipnet.ingest.report import Problem
from tipnet.ingest.sources import ReadError, _unreadable

_BLOCK = 4 * 1024 * 1024
_RATIO_FLOOR = 10 * 1024 * 1024  # a part smaller than this unpacked may be as repetitive as it likes
_CARRY = 64 * 1024  # a tag longer than this may be cut between blocks (its reference is then not seen)
# References (r="B7" on a cell, r="7" on a row). A cell's column of two or three letters is rare enough to collect
# them all; a row number is collected only when it has enough digits to matter (see _row_digits).
_WIDE_CELL = re.compile(rb'r="([A-Z]{2,3})[0-9]')
_NARROW = 26  # columns A..Z
_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass
class _Extent:
    """What a worksheet's XML says about the area the library will allocate."""

    rows: int = 0  # <row> elements
    cells: int = 0  # <c> elements
    refs: int = 0  # r="..." attributes (on rows and cells)
    max_row: int = 0  # largest row number collected
    max_col: int = 1  # largest column seen
    digits: int = 0  # row numbers with this many digits or more were collected


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def check_workbook(path: Path, limits: ReadLimits) -> None:
    """Raise ReadError if the workbook (XLSX, XLSM or ODS) passes a limit; return quietly for a file that is not a
    zip (a legacy XLS: the caller checks its size). Reads each part once, in blocks; a file opened again unchanged
    (an import looks at a workbook more than once) is not read again."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size, limits)
    if key not in _checked:
        try:
            _check(path, limits)
            _checked[key] = None
        except ReadError as exc:
            _checked[key] = exc.problem
        while len(_checked) > 64:
            _checked.pop(next(iter(_checked)))
    problem = _checked[key]
    if problem is not None:
        raise ReadError(problem)


_checked: dict[tuple[str, int, int, ReadLimits], Problem | None] = {}


def _check(path: Path, limits: ReadLimits) -> None:
    if not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as zf:
            parts = zf.infolist()
            _check_directory(path, parts, limits)
            for info in parts:
                if info.is_dir():
                    continue
                worksheet = info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".bin"):
                    raise _unreadable(path, "a spreadsheet (XLSX)",
                                      "a binary workbook (XLSB) cannot be checked before it is read; save it as XLSX")
                _stream_part(path, zf, info, limits, worksheet)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as exc:
        raise _unreadable(path, "a spreadsheet (XLSX)", str(exc) or type(exc).__name__) from exc


def _check_directory(path: Path, parts: list[zipfile.ZipInfo], limits: ReadLimits) -> None:
    if len(parts) > limits.max_workbook_parts:
        raise too_large(path, f"the number of parts in the workbook ({len(parts):,})",
                        f"{limits.max_workbook_parts:,}", "max_workbook_parts")
    total = sum(p.file_size for p in parts)
    if total > limits.max_unpacked_bytes:
        raise too_large(path, f"the unpacked size of the workbook ({total:,} bytes)",
                        f"{limits.max_unpacked_bytes:,} bytes", "max_unpacked_bytes")
    for p in parts:
        if p.file_size > _RATIO_FLOOR and p.file_size > limits.max_compression_ratio * max(p.compress_size, 1):
            ratio = p.file_size // max(p.compress_size, 1)
            raise too_large(path, f"the compression ratio of its part {p.filename} ({ratio:,} to 1)",
                            f"{limits.max_compression_ratio:,} to 1", "max_compression_ratio")
    sheets = sum(1 for p in parts if p.filename.startswith("xl/worksheets/") and p.filename.count("/") == 2)
    if sheets > limits.max_sheets:
        raise too_large(path, f"the number of sheets ({sheets:,})", f"{limits.max_sheets:,}", "max_sheets")


def _stream_part(path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ReadLimits, worksheet: bool) -> None:
    """Unpack one part in blocks, counting bytes against the limit (zipfile checks the CRC at the end); scan a
    worksheet's XML on the way. If the columns found late make smaller row numbers matter, scan the part again."""
    extent = _Extent()
    while True:
        extent = _Extent(max_col=extent.max_col)
        extent.digits = _row_digits(extent.max_col, limits)
        seen = 0
        carry = b""
        with zf.open(info) as fh:
            while block := fh.read(_BLOCK):
                seen += len(block)
                if seen > limits.max_unpacked_bytes:
                    raise too_large(path, f"the unpacked size of its part {info.filename} (over {seen:,} bytes)",
                                    f"{limits.max_unpacked_bytes:,} bytes", "max_unpacked_bytes")
                if not worksheet:
                    continue
                data = carry + block
                cut = max(data.rfind(b"<"), len(data) - _CARRY)  # whole tags now; the rest with the next block
                _scan(data[:cut], extent)
                carry = data[cut:]
                _check_extent(path, info.filename, extent, limits)
        if not worksheet:
            return
        _scan(carry, extent)
        _check_extent(path, info.filename, extent, limits)
        if _row_digits(extent.max_col, limits) >= extent.digits:
            return


def _row_digits(columns: int, limits: ReadLimits) -> int:
    """Row numbers with fewer digits than this cannot make the used area pass the cells limit with this many
    columns, nor pass the rows limit: they need not be collected."""
    by_cells = len(str(max(limits.max_sheet_cells // max(columns, 1), 1)))
    return min(by_cells, len(str(limits.max_sheet_rows)))


def _scan(data: bytes, extent: _Extent) -> None:
    rows = data.count(b"<row")
    cells = data.count(b"<c ") + data.count(b"<c>") + data.count(b"<c/>")
    refs = data.count(b' r="') + data.count(b'\tr="') + data.count(b'\nr="')
    extent.rows += rows
    extent.cells += cells
    extent.refs += refs
    while extent.max_col < _NARROW:  # one pass, or one more each time a further column of one letter is found
        beyond = re.compile(rb'r="([%c-Z])[0-9]' % _LETTERS[extent.max_col]).search(data)
        if beyond is None:
            break
        extent.max_col = _column_number(beyond.group(1))
    for letters in set(_WIDE_CELL.findall(data)):
        extent.max_col = max(extent.max_col, _column_number(letters))
    long_row = re.compile(rb'r="[A-Z]{0,3}([0-9]{%d,})"' % extent.digits)
    found = long_row.findall(data)
    if found:
        extent.max_row = max(extent.max_row, max(map(int, found)))
    if refs < rows + cells:  # rows or cells without a reference: the library places them one after the other
        _scan_unreferenced(data, extent)


def _scan_unreferenced(data: bytes, extent: _Extent) -> None:
    """A cell without a reference goes to the next column, so a row of n cells is n wide: the widest row bounds the
    columns. Slower (one step per row), and only for files written without references."""
    for piece in data.split(b"<row"):
        extent.max_col = max(extent.max_col, piece.count(b"<c ") + piece.count(b"<c>") + piece.count(b"<c/>"))


def _check_extent(path: Path, part: str, extent: _Extent, limits: ReadLimits) -> None:
    rows = max(extent.rows, extent.max_row)
    if rows > limits.max_sheet_rows:
        raise too_large(path, f"the number of rows of {part} (over {rows:,})",
                        f"{limits.max_sheet_rows:,} rows", "max_sheet_rows")
    area = rows * max(extent.max_col, 1)
    if area > limits.max_sheet_cells:
        raise too_large(path, f"the used area of {part} ({rows:,} rows by {extent.max_col:,} columns)",
                        f"{limits.max_sheet_cells:,} cells", "max_sheet_cells")
