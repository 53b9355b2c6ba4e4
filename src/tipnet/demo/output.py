"""Identifiers, per-agency CSV files in the flat layout of the standard, and the ground-truth file."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import yaml

from tipnet.demo.cases import CountryBatch, Record
from tipnet.demo.duplicates import Invalid
from tipnet.demo.manifest import TRUTH_NAME, DemoFile, DemoManifest, PlantedInvalid
from tipnet.standard.cells import neutralise_row

FIELDS_FILE = Path(__file__).parents[1] / "standard" / "data" / "fields.yaml"
_CORE = (
    "record_id",
    "case_id",
    "reporting_country",
    "agency",
    "source_type",
    "role",
    "identification_date",
    "victim_status",
    "given_names",
    "family_names",
    "birth_date",
    "age",
    "sex",
    "citizenship",
    "place_of_birth",
    "forms_of_exploitation",
    "labour_sector",
    "sexual_exploitation_type",
    "means_of_control",
    "recruitment_country",
    "recruitment_subdivision",
    "transit_countries",
    "exploitation_country",
    "exploitation_subdivision",
    "exploitation_place",
    "exploitation_latitude",
    "exploitation_longitude",
    "consent_data_processing",
    "consent_share_hub",
)
_ROUTE_DETAIL = (
    "recruitment_method",
    "recruiter_relationship",
    "exploitation_start_date",
    "exploitation_end_date",
)
_SUPPORT = (
    "gender",
    "primary_language",
    "age_at_trafficking",
    "assistance_types",
    "assistance_start_date",
    "consent_research",
)
# The columns each kind of agency keeps (they differ, as real sources do).
COLUMNS: dict[str, tuple[str, ...]] = {
    "police": _CORE + _ROUTE_DETAIL + ("perpetrator_roles", "legal_status"),
    "prosecution": _CORE + _ROUTE_DETAIL + ("perpetrator_roles", "legal_status"),
    "ngo": _CORE + _ROUTE_DETAIL + _SUPPORT,
    "social_services": _CORE + _ROUTE_DETAIL + _SUPPORT,
    "hotline": _CORE + ("primary_language",),
    "labour_inspection": _CORE + _ROUTE_DETAIL,
}
_ROLE_ORDER = {"victim": 0, "perpetrator": 1}


@cache
def standard_field_names() -> tuple[str, ...]:
    """Field names of the standard's flat layout, in its order."""
    raw = yaml.safe_load(FIELDS_FILE.read_text(encoding="utf-8"))
    return tuple(f["name"] for f in raw["fields"])


def columns_for(source_type: str) -> list[str]:
    wanted = set(COLUMNS[source_type])
    order = standard_field_names()
    unknown = wanted - set(order)
    if unknown:
        raise ValueError(f"demo columns not in the standard: {sorted(unknown)}")
    return [name for name in order if name in wanted]


def assign_ids(batches: Mapping[str, CountryBatch]) -> None:
    """record_id and case_id per agency file, numbered in order of identification ('PER-POL-000123')."""
    by_file: dict[str, list[Record]] = {}
    for iso in sorted(batches):
        for record in batches[iso].records:
            by_file.setdefault(record.agency.file, []).append(record)
    for records in by_file.values():
        records.sort(key=lambda r: (r.on, r.case, _ROLE_ORDER[r.role], r.person.key, r.seq))
        cases: dict[str, str] = {}
        for n, record in enumerate(records, start=1):
            prefix = f"{record.agency.country}-{record.agency.code}"
            record.record_id = f"{prefix}-{n:06d}"
            case_id = cases.setdefault(record.case, f"{prefix}-C{len(cases) + 1:05d}")
            record.fields["record_id"], record.fields["case_id"] = record.record_id, case_id


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(neutralise_row(r) for r in rows)


def write_outputs(
    out_dir: Path, batches: Mapping[str, CountryBatch], invalid: list[Invalid], seed: int, scale: float
) -> DemoManifest:
    countries: dict[str, tuple[DemoFile, ...]] = {}
    truth: list[list[str]] = []
    for iso in sorted(batches):
        files = []
        for agency in batches[iso].agencies:
            records = sorted(
                (r for r in batches[iso].records if r.agency is agency), key=lambda r: r.record_id
            )
            header = columns_for(agency.source_type)
            _write_csv(
                out_dir / agency.file, header, [[r.fields.get(c, "") for c in header] for r in records]
            )
            truth += [[agency.file, r.record_id, r.person.key, r.role, r.kind] for r in records]
            files.append(
                DemoFile(
                    iso, agency.name, agency.source_type, out_dir / agency.file, agency.file, len(records)
                )
            )
        countries[iso] = tuple(files)
    truth_path = out_dir / TRUTH_NAME
    _write_csv(truth_path, ["file", "record_id", "person_key", "role", "kind"], truth)
    planted = tuple(
        PlantedInvalid(i.file, i.record.record_id, i.field, i.value)
        for i in sorted(invalid, key=lambda i: (i.file, i.record.record_id))
    )
    manifest = DemoManifest(out_dir, seed, scale, countries, truth_path, planted)
    manifest.write()
    return manifest
