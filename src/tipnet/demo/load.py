"""Load the demo: generate the synthetic national files, import each through the normal pipeline, add GLOTIP."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from tipnet.demo.generate import generate_demo
from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.settings import Settings
from tipnet.store import Database

log = logging.getLogger(__name__)


def load_demo(
    db: Database, settings: Settings, seed: int = 2026, scale: float = 1.0, glotip: Path | None = None
) -> dict[str, Any]:
    out = settings.home.resolve() / "demo"
    manifest = generate_demo(out, seed=seed, scale=scale)
    summary: dict[str, Any] = {
        "files": 0,
        "rows_total": 0,
        "rows_accepted": 0,
        "rows_quarantined": 0,
        "values_kept": 0,
        "already_loaded": 0,
        "glotip_rows": 0,
        "glotip_held": 0,
        "truth": str(manifest.truth_path),
        "planted_invalid": len(manifest.planted_invalid),
    }
    for f in manifest.files:
        opts = ImportOptions(country=f.country, organisation=f.agency, source_type=f.source_type)
        report = import_file(f.path, db, opts, settings)
        summary["files"] += 1
        if report.duplicate_of is not None:
            summary["already_loaded"] += 1
            continue
        if report.file_error is not None:
            raise RuntimeError(f"demo file {f.name} could not be imported: {report.file_error.message}")
        summary["rows_total"] += report.rows_total
        summary["rows_accepted"] += report.rows_accepted
        summary["rows_quarantined"] += report.rows_quarantined
        summary["values_kept"] += report.values_kept
    if glotip is not None and glotip.is_file():
        report = import_file(glotip, db, ImportOptions(), settings)
        summary["glotip_rows"] = report.rows_accepted if report.duplicate_of is None else "already loaded"
        summary["glotip_held"] = report.rows_held
    elif glotip is not None:
        log.warning("GLOTIP workbook not found at %s; the demo has no aggregate data", glotip)
    from tipnet.demo.directory import seed_directory
    from tipnet.demo.requests import seed_requests

    summary["directory"] = seed_directory(db)  # fictitious authorities of the 35 states (example.org, +000)
    summary["requests"] = seed_requests(db)  # a few fictitious MLA and extradition requests around PER
    from tipnet.auth.principal import system
    from tipnet.coop.compendium_seed import seed as seed_compendium
    from tipnet.demo.registry import seed_registry

    summary["compendium"] = seed_compendium(db, system("demo")).to_dict()  # the 2009 resolution's instruments
    summary["registry"] = seed_registry(db)  # fictitious agencies linked to demo recruiter records
    from tipnet.demo.assessments import seed_assessments

    summary["assessments"] = seed_assessments(db)  # fictitious self-assessments of four countries, two years
    return summary
