"""Hard limits on what a reader expands, and the one refusal that names the limit passed.

A file's size on disk says little about what reading it costs: an XLSX of 1 MB may unpack to gigabytes of XML, two
cells of a sheet may span a million rows and 16,384 columns (the spreadsheet library then allocates every cell in
between), a CSV line may hold a million columns. The readers check these limits before a spreadsheet is unpacked
(`tipnet.ingest.workbook`) and while a file streams, and refuse with `source-too-large`: nothing is read or stored.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from tipnet.ingest.errors import error_type
from tipnet.ingest.report import Problem
from tipnet.ingest.sources import ReadError
from tipnet.settings import Settings


@dataclass(frozen=True)
class ReadLimits:
    """The limits of `tipnet.settings.Settings` that the readers apply (same names)."""

    max_unpacked_bytes: int
    max_compression_ratio: int
    max_workbook_parts: int
    max_sheets: int
    max_sheet_rows: int
    max_sheet_cells: int
    max_columns: int

    @classmethod
    def of(cls, settings: Settings | None = None) -> ReadLimits:
        settings = settings or Settings.from_env()
        return cls(**{f.name: getattr(settings, f.name) for f in fields(cls)})


def too_large(path: Path | str, what: str, limit: str, setting: str) -> ReadError:
    """The refusal of a file that passes a limit. what: what passed it ("the unpacked size, 420,000,000 bytes,")."""
    name = path.name if isinstance(path, Path) else path
    msg = error_type("source-too-large").message(path=name, what=what, limit=limit, setting=setting)
    return ReadError(Problem("source-too-large", msg))


def check_columns(path: Path, columns: int, limits: ReadLimits) -> None:
    if columns > limits.max_columns:
        raise too_large(path, f"the number of columns ({columns:,})", f"{limits.max_columns:,}", "max_columns")


def check_document_bytes(path: Path, limits: ReadLimits, kind: str) -> None:
    """A document read whole into memory (JSON, a legacy XLS) may not be larger than the unpacked limit."""
    size = path.stat().st_size
    if size > limits.max_unpacked_bytes:
        raise too_large(path, f"the size of this {kind} document ({size:,} bytes)",
                        f"{limits.max_unpacked_bytes:,} bytes", "max_unpacked_bytes")
