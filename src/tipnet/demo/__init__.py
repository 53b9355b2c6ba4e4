"""Deterministic synthetic case data for the 35 OAS member states (``make demo``, record-linkage work).

``generate_demo(out_dir, seed, scale)`` writes one CSV per agency in the standard's flat layout, a
ground-truth file mapping every record to the true person (planted duplicates share a key) and a manifest
listing the files and the deliberately invalid values.
"""

from tipnet.demo.generate import generate_demo
from tipnet.demo.manifest import DemoFile, DemoManifest, PlantedInvalid

__all__ = ["DemoFile", "DemoManifest", "PlantedInvalid", "generate_demo"]
