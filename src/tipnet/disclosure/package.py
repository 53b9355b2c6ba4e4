"""The release package on disk: a Frictionless Data Package (`datapackage.json` + one CSV per table), Parquet copies,
SDMX-CSV for SDG 16.2.2 and a methodology note. Its identity is a content hash over every file (path and SHA-256),
recorded in the store; a package whose files no longer match is refused."""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tipnet.disclosure import sdmx
from tipnet.standard.cells import neutralise

log = logging.getLogger(__name__)
MEDIA = {".csv": "text/csv", ".parquet": "application/vnd.apache.parquet", ".json": "application/json",
         ".md": "text/markdown"}
_INT_COLUMNS = {"victims", "lower", "upper"}


@dataclass
class OutTable:
    name: str
    title: str
    columns: list[str]
    rows: list[dict[str, Any]]
    dims: list[str] = field(default_factory=list)
    filters: list[list[str]] = field(default_factory=list)
    description: str = ""


@dataclass
class PackageFile:
    path: str
    sha256: str
    bytes: int
    media_type: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256, "bytes": self.bytes, "media_type": self.media_type}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def content_hash(files: list[PackageFile]) -> str:
    lines = "".join(f"{f.path}\t{f.sha256}\n" for f in sorted(files, key=lambda f: f.path))
    return hashlib.sha256(lines.encode()).hexdigest()


def _field(col: str) -> dict[str, Any]:
    if col in _INT_COLUMNS:
        desc = {"victims": "number of victims (empty when suppressed)",
                "lower": "lower bound of the confidence interval", "upper": "upper bound of the confidence interval"}
        return {"name": col, "type": "integer", "description": desc[col]}
    if col == "status":
        return {"name": col, "type": "string", "constraints": {"enum": ["published", "confidential", "noisy"]}}
    return {"name": col, "type": "string", "description": f"{col}; '_all' marks a margin (all values)"}


def _write_csv(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({c: ("" if r.get(c) is None else neutralise(r[c])) for c in columns})


def _write_parquet(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    arrays = {c: pa.array([r.get(c) for r in rows], type=pa.int64() if c in _INT_COLUMNS else pa.string())
              for c in columns}
    pq.write_table(pa.table(arrays), path)


def write(target: Path, meta: dict[str, Any], tables: list[OutTable], methodology: str) -> list[PackageFile]:
    """Write the package into `target` (which must not exist) atomically; returns its files."""
    if target.exists():
        raise FileExistsError(f"{target} exists: releases are never overwritten")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
    try:
        (tmp / "data").mkdir()
        resources: list[dict[str, Any]] = []
        for t in tables:
            _write_csv(tmp / "data" / f"{t.name}.csv", t.columns, t.rows)
            _write_parquet(tmp / "data" / f"{t.name}.parquet", t.columns, t.rows)
            resources.append({"name": t.name, "title": t.title, "description": t.description,
                              "path": f"data/{t.name}.csv", "format": "csv", "mediatype": "text/csv",
                              "encoding": "utf-8", "schema": {"fields": [_field(c) for c in t.columns]}})
            resources.append({"name": f"{t.name}-parquet", "path": f"data/{t.name}.parquet", "format": "parquet",
                              "mediatype": MEDIA[".parquet"]})
        obs = sdmx.observations([{"dims": t.dims, "filters": t.filters, "rows": t.rows} for t in tables])
        if obs:
            (tmp / "sdmx").mkdir()
            _write_csv(tmp / "sdmx" / "VC_HTF_DETV.csv", sdmx.COLUMNS, obs)
            resources.append({"name": "sdg-16-2-2", "title": "SDG 16.2.2 detected victims (SDMX-CSV)",
                              "description": f"SDMX-CSV, dataflow {sdmx.DATAFLOW}", "path": "sdmx/VC_HTF_DETV.csv",
                              "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
                              "schema": {"fields": [{"name": c, "type": "string"} for c in sdmx.COLUMNS]}})
        (tmp / "methodology.md").write_text(methodology, encoding="utf-8")
        resources.append({"name": "methodology", "path": "methodology.md", "format": "md",
                          "mediatype": "text/markdown"})
        package = {"profile": "data-package", "name": meta["name"], "title": meta["title"],
                   "version": str(meta["version"]), "created": meta["created"], "licenses": meta.get("licenses", []),
                   "description": meta.get("description", ""), "tipnet": meta.get("tipnet", {}),
                   "resources": resources}
        (tmp / "datapackage.json").write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n",
                                              encoding="utf-8")
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return list_files(target)


def list_files(folder: Path) -> list[PackageFile]:
    out = []
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            rel = p.relative_to(folder).as_posix()
            out.append(PackageFile(rel, _sha256(p), p.stat().st_size, MEDIA.get(p.suffix, "application/octet-stream")))
    return out


def verify(folder: Path, recorded: list[dict[str, Any]]) -> list[str]:
    """Differences between the files on disk and the recorded ones (empty when intact)."""
    if not folder.is_dir():
        return [f"package folder {folder} is missing"]
    now = {f.path: f.sha256 for f in list_files(folder)}
    want = {f["path"]: f["sha256"] for f in recorded}
    problems = [f"missing: {p}" for p in sorted(want.keys() - now.keys())]
    problems += [f"unexpected: {p}" for p in sorted(now.keys() - want.keys())]
    problems += [f"changed: {p}" for p in sorted(want.keys() & now.keys()) if want[p] != now[p]]
    return problems


def seal(folder: Path) -> None:
    """Make a published package read-only on disk."""
    for p in folder.rglob("*"):
        p.chmod(0o444 if p.is_file() else 0o555)
    folder.chmod(0o555)
