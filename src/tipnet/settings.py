"""Settings, declared once as data with help text. Each can be set by an environment variable TIPNET_<NAME>."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from dataclasses import field as dc_field
from pathlib import Path


def _setting(default: object, help: str) -> object:  # noqa: A002 - mirrors argparse's name
    return dc_field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    home: Path = _setting(Path("var"), "Folder for the embedded database, quarantine files and uploads.")  # type: ignore[assignment]
    max_file_bytes: int = _setting(4 * 1024**3, "Largest file an import reads, in bytes.")  # type: ignore[assignment]
    max_upload_bytes: int = _setting(200 * 1024**2, "Largest file the web upload accepts, in bytes.")  # type: ignore[assignment]
    max_rows: int = _setting(50_000_000, "Most data rows one import reads.")  # type: ignore[assignment]
    max_unpacked_bytes: int = _setting(  # type: ignore[assignment]
        200 * 1024**2, "Largest spreadsheet (all parts of an XLSX or ODS, unpacked) or JSON document read, in bytes."
    )
    max_compression_ratio: int = _setting(  # type: ignore[assignment]
        100, "Highest unpacked/packed size ratio of a spreadsheet part over 10 MB (a zip bomb is far above it)."
    )
    max_workbook_parts: int = _setting(10_000, "Most files inside one XLSX or ODS.")  # type: ignore[assignment]
    max_sheets: int = _setting(256, "Most sheets in one workbook.")  # type: ignore[assignment]
    max_sheet_rows: int = _setting(2_000_000, "Most rows of a spreadsheet read (use CSV for more).")  # type: ignore[assignment]
    max_sheet_cells: int = _setting(  # type: ignore[assignment]
        20_000_000, "Most cells (rows x columns of the used area) of a spreadsheet read."
    )
    max_columns: int = _setting(16_384, "Most columns of a file read.")  # type: ignore[assignment]
    validate_seconds: int = _setting(120, "Time allowed to validate one web upload before it is refused.")  # type: ignore[assignment]
    validate_memory_bytes: int = _setting(  # type: ignore[assignment]
        3 * 1024**3, "Address space allowed to the process that validates a web upload (0: no ceiling)."
    )
    validate_workers: int = _setting(1, "Web uploads validated at the same time (each in its own process).")  # type: ignore[assignment]
    max_body_bytes: int = _setting(  # type: ignore[assignment]
        32 * 1024**2, "Largest request body, in bytes, outside the upload routes (those take max_upload_bytes)."
    )
    chunk_rows: int = _setting(100_000, "Rows checked and stored per batch (bounds memory).")  # type: ignore[assignment]
    read_ahead: int = _setting(  # type: ignore[assignment]
        0, "Chunks read ahead on a thread while one is checked and stored (0: none; helps on more than 2 cores)."
    )
    max_listed_problems: int = _setting(1000, "Row problems listed in a report (all are counted).")  # type: ignore[assignment]

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        values: dict[str, object] = {}
        for f in fields(cls):
            env = os.environ.get(f"TIPNET_{f.name.upper()}")
            if env is not None:
                values[f.name] = Path(env) if f.type in ("Path", Path) else int(env)
        values.update({k: v for k, v in overrides.items() if v is not None})
        s = cls(**values)  # type: ignore[arg-type]
        return s

    @staticmethod
    def describe() -> list[tuple[str, object, str]]:
        return [(f.name, f.default, f.metadata["help"]) for f in fields(Settings)]
