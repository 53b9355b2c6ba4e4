"""What a demo run wrote: the per-agency files, the ground truth and the planted invalid values."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.json"
TRUTH_NAME = "truth.csv"


@dataclass(frozen=True)
class DemoFile:
    country: str  # reporting country, ISO 3166-1 alpha-3
    agency: str
    source_type: str
    path: Path
    name: str  # path relative to the output folder, as in truth.csv ("PER/PER_police.csv")
    n_rows: int


@dataclass(frozen=True)
class PlantedInvalid:
    file: str  # relative, as in truth.csv
    record_id: str
    field: str
    value: str


@dataclass(frozen=True)
class DemoManifest:
    out_dir: Path
    seed: int
    scale: float
    countries: Mapping[str, tuple[DemoFile, ...]]  # alpha-3 -> that country's agency files
    truth_path: Path  # CSV: file, record_id, person_key, role, kind
    planted_invalid: tuple[PlantedInvalid, ...]

    @property
    def files(self) -> tuple[DemoFile, ...]:
        return tuple(f for iso in sorted(self.countries) for f in self.countries[iso])

    @property
    def total_rows(self) -> int:
        return sum(f.n_rows for f in self.files)

    def to_json(self) -> dict[str, Any]:
        """JSON form, paths relative to the output folder (the same wherever the demo is written)."""
        return {
            "seed": self.seed,
            "scale": self.scale,
            "total_rows": self.total_rows,
            "truth": self.truth_path.name,
            "countries": {
                iso: [
                    {"agency": f.agency, "source_type": f.source_type, "path": f.name, "n_rows": f.n_rows}
                    for f in files
                ]
                for iso, files in sorted(self.countries.items())
            },
            "planted_invalid": [
                {"file": p.file, "record_id": p.record_id, "field": p.field, "value": p.value}
                for p in self.planted_invalid
            ],
        }

    def write(self) -> Path:
        path = self.out_dir / MANIFEST_NAME
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return path


def previous_outputs(out_dir: Path) -> list[Path]:
    """Files an earlier demo run wrote into `out_dir` (from its manifest), so a new run can replace them."""
    path = out_dir / MANIFEST_NAME
    if not path.is_file():
        return []
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        names = [f["path"] for files in raw["countries"].values() for f in files] + [raw["truth"]]
    except (ValueError, KeyError, TypeError, AttributeError):
        return []
    root = out_dir.resolve()
    found = []
    for name in names:
        candidate = (out_dir / str(name)).resolve()
        if candidate.is_relative_to(root) and candidate.is_file():
            found.append(candidate)
    return found + [path]
