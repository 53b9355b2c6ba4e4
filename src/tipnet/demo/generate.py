"""generate_demo: deterministic synthetic case records for the 35 OAS member states."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from tipnet.demo.cases import generate_country
from tipnet.demo.duplicates import attach, plant_cross, plant_invalid, plant_within
from tipnet.demo.manifest import DemoManifest, previous_outputs
from tipnet.demo.output import assign_ids, write_outputs
from tipnet.demo.profiles import load_profiles
from tipnet.demo.reference import load_reference
from tipnet.demo.volumes import victim_counts

log = logging.getLogger("tipnet.demo")


def generate_demo(out_dir: Path, seed: int = 2026, scale: float = 1.0) -> DemoManifest:
    """Write ``<out_dir>/<ISO3>/<ISO3>_<source_type>.csv`` per agency, ``truth.csv`` and ``manifest.json``.

    The same seed and scale give byte-identical files. ``scale`` multiplies the number of victims (about
    27,000 at 1.0, plus perpetrators and planted duplicates); every country keeps a floor of records. Files an
    earlier run listed in ``manifest.json`` are replaced; nothing else in ``out_dir`` is touched.
    """
    if not scale > 0:
        raise ValueError(f"scale must be positive, not {scale!r}")
    started = time.perf_counter()
    out_dir = Path(out_dir)
    ref = load_reference()
    profiles = load_profiles()
    counts = victim_counts(profiles, ref.members, scale)
    batches = {iso: generate_country(seed, iso, counts[iso], ref, profiles) for iso in ref.members}
    for batch in batches.values():
        batch.records.extend(plant_within(seed, batch))
    attach(batches, plant_cross(seed, batches))
    invalid = plant_invalid(seed, batches)
    assign_ids(batches)
    for stale in previous_outputs(out_dir):
        stale.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = write_outputs(out_dir, batches, invalid, seed, scale)
    log.info(
        "demo: %d rows in %d files for %d countries (%d planted invalid) in %.1f s -> %s",
        manifest.total_rows,
        len(manifest.files),
        len(manifest.countries),
        len(manifest.planted_invalid),
        time.perf_counter() - started,
        out_dir,
    )
    return manifest
