"""The hub's side of a bundle's content: check every part against the standard, then write it all in one transaction.

Records are checked by the ingest pipeline itself (`validate_file` on the part written as a flat file in the
`tipnet` layout); fields beyond what a node may ever send (`RECORD_FIELDS`) refuse the whole bundle, whatever the
sender's policy said. A bundle is applied whole or not at all: the submissions it creates, its rows, its provenance,
the node's sequence number and the bundle's status and receipt are one transaction.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, update

from tipnet import STANDARD_VERSION
from tipnet.federation.bundle import BundleError, Part
from tipnet.federation.policy import RECORD_FIELDS, TABLE_DIMS
from tipnet.standard import load_standard
from tipnet.store.tables import aggregates, persons, submissions
from tipnet.store.tables_auth import submission_sharing
from tipnet.store.tables_federation import fed_clks, fed_nodes, fed_provenance, fed_tables

log = logging.getLogger(__name__)
PAUSE_ENV = "TIPNET_FED_APPLY_PAUSE"  # test hook: seconds to wait inside the apply transaction
_MAX_PROBLEMS = 50
_AGG_TEXT = ("area_code", "area_kind", "country", "area_name", "indicator", "dimension", "category", "category_code",
             "category_kind", "sex", "age", "raw_value", "source")
_AGG_REQUIRED = ("area_kind", "indicator", "dimension", "sex", "age", "year", "value_min", "value_max", "censored",
                 "raw_value")
_AGG_INDICATORS = {"detected_victims", "formal_contact", "prosecuted", "convicted", "offences"}


@dataclass
class Checked:
    """Parts decoded and checked, ready to apply."""

    country: str
    records: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    aggregates: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    tables: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    clks: list[tuple[str, bytes, int]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for kind, items in (("records", self.records), ("aggregates", self.aggregates)):
            for _, rows in items:
                out[kind] = out.get(kind, 0) + len(rows)
        for _, doc in self.tables:
            out["tables"] = out.get("tables", 0) + len(doc["cells"])
        for _, _, n in self.clks:
            out["clk"] = out.get("clk", 0) + n
        return out


def _invalid(message: str, problems: list[Any] | None = None) -> BundleError:
    return BundleError("invalid-data", message, problems)


def _lines(part: Part) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(part.data.decode("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise _invalid(f"part {part.name}, line {n}: not JSON ({exc})") from exc
        if not isinstance(row, dict):
            raise _invalid(f"part {part.name}, line {n}: not a JSON object")
        rows.append(row)
    return rows


def check_records(part: Part, country: str) -> list[dict[str, Any]]:
    from tipnet.ingest.pipeline import ImportOptions, validate_file

    rows = _lines(part)
    allowed = {"record_id", "case_id", *RECORD_FIELDS}
    for n, row in enumerate(rows, start=1):
        extra = sorted(set(row) - allowed)
        if extra:
            raise BundleError("forbidden-field", f"part {part.name}, record {n}: fields {extra} may not leave a "
                                                 "country (identifying, free text or exact dates)")
        if row.get("reporting_country") not in (None, country):
            raise _invalid(f"part {part.name}, record {n}: field reporting_country: {row['reporting_country']!r} "
                           f"is not the node's country {country}")
        if row.get("consent_share_hub") is not True:
            raise BundleError("no-consent", f"part {part.name}, record {n}: consent_share_hub is not true")
        row["reporting_country"] = country
    if not rows:
        return rows
    columns = ["record_id", "case_id", *RECORD_FIELDS]
    with tempfile.TemporaryDirectory() as tmp:
        # no formula guard (`tipnet.standard.cells`) here: this file is read back by tipnet's own validation at once
        # and never shown to a person; a guard would become part of the values
        path = Path(tmp) / "records.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, columns, lineterminator="\n")
            w.writeheader()
            for row in rows:
                w.writerow({k: ("true" if v is True else "false" if v is False else v) for k, v in row.items()})
        # strict: a correct node sends nothing a rule cannot read, so one such cell refuses the bundle
        report = validate_file(path, ImportOptions(profile="tipnet", country=country, display_name=part.name,
                                                   strict=True))
    if report.file_error is not None or not report.valid:
        problems = report.to_dict()["problems"][:_MAX_PROBLEMS]
        raise _invalid(f"part {part.name}: {report.rows_invalid} of {report.rows_total} records do not meet "
                       f"standard {STANDARD_VERSION}", problems)
    return rows


def check_aggregates(part: Part, country: str) -> list[dict[str, Any]]:
    rows = _lines(part)
    for n, r in enumerate(rows, start=1):
        where = f"part {part.name}, row {n}"
        for k in _AGG_REQUIRED:
            if r.get(k) is None:
                raise _invalid(f"{where}: field {k} is missing")
        if r["indicator"] not in _AGG_INDICATORS:
            raise _invalid(f"{where}: field indicator: {r['indicator']!r} is not one of {sorted(_AGG_INDICATORS)}")
        for k in ("year", "value_min", "value_max"):
            if not isinstance(r[k], int) or isinstance(r[k], bool) or r[k] < 0:
                raise _invalid(f"{where}: field {k}: {r[k]!r} is not a whole number >= 0")
        if r.get("value") is not None and not isinstance(r["value"], int):
            raise _invalid(f"{where}: field value: {r['value']!r} is not a whole number")
        if r["value_min"] > r["value_max"] or not isinstance(r["censored"], bool):
            raise _invalid(f"{where}: value_min > value_max or censored not true/false")
        if r.get("area_kind") == "country" and r.get("country") != country:
            raise _invalid(f"{where}: field country: {r.get('country')!r} is not the node's country {country}")
        for k in _AGG_TEXT:
            if r.get(k) is not None and not isinstance(r[k], str):
                raise _invalid(f"{where}: field {k}: {r[k]!r} is not text")
    return rows


def check_tables(part: Part, country: str) -> dict[str, Any]:
    try:
        doc = json.loads(part.data.decode("utf-8"))
    except ValueError as exc:
        raise _invalid(f"part {part.name}: not JSON ({exc})") from exc
    dims = doc.get("dims") if isinstance(doc, dict) else None
    if not isinstance(dims, list) or any(d not in TABLE_DIMS for d in dims):
        raise _invalid(f"part {part.name}: dims must be a list drawn from {list(TABLE_DIMS)}")
    if doc.get("country") != country or not isinstance(doc.get("min_cell"), int):
        raise _invalid(f"part {part.name}: country must be {country} and min_cell a whole number")
    for n, c in enumerate(doc.get("cells") or [], start=1):
        v = c.get("victims")
        if v is not None and (not isinstance(v, int) or v < doc["min_cell"]):
            raise _invalid(f"part {part.name}, cell {n}: victims {v!r} is below min_cell {doc['min_cell']} "
                           "(should have been suppressed) or not a whole number")
    return doc


def check_clk(part: Part, country: str) -> tuple[bytes, int]:
    from tipnet.link.clk import read_encoded

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clk.parquet"
        path.write_bytes(part.data)
        try:
            es = read_encoded(path)
        except Exception as exc:  # noqa: BLE001 - any unreadable file is refused with its reason
            raise _invalid(f"part {part.name}: not a linkage encoding file ({exc})") from exc
    if es.country != country:
        raise _invalid(f"part {part.name}: encodings of {es.country}, not the node's country {country}")
    return part.data, len(es)


def check(parts: list[Part], country: str) -> Checked:
    out = Checked(country)
    for p in parts:
        if p.kind == "records":
            out.records.append((p.name, check_records(p, country)))
        elif p.kind == "aggregates":
            out.aggregates.append((p.name, check_aggregates(p, country)))
        elif p.kind == "tables":
            out.tables.append((p.name, check_tables(p, country)))
        elif p.kind == "clk":
            data, n = check_clk(p, country)
            out.clks.append((p.name, data, n))
        else:
            raise _invalid(f"part {p.name}: a node cannot send parts of kind {p.kind!r}")
    return out


def _submission(conn: Connection, kind: str, country: str, bundle_id: str, part: str, rows: int,
                now: datetime) -> int:
    key = conn.execute(submissions.insert().values(
        kind=kind, reporting_country=country, organisation=None, source_type=None, profile="federation",
        standard_version=STANDARD_VERSION, filename=f"bundle {bundle_id} / {part}",
        content_sha256=f"fed:{bundle_id}:{part}"[:64], rows_total=rows, rows_accepted=rows, rows_quarantined=0,
        report_json=json.dumps({"bundle_id": bundle_id, "part": part}), created_at=now)).inserted_primary_key
    assert key is not None
    sid = int(key[0])
    conn.execute(submission_sharing.insert().values(submission_id=sid, shared_with_hub=True, revision=1,
                                                    changed_at=now))
    return sid


def _person_row(row: dict[str, Any], sid: int, n: int) -> dict[str, Any]:
    out: dict[str, Any] = {c: None for c in load_standard().field_names}
    out.update(row)
    out.update(submission_id=sid, source_row=n)
    return out


def apply(conn: Connection, checked: Checked, *, bundle_id: str, node_id: str, sequence: int,
          marker_dir: Path | None = None) -> dict[str, int]:
    """Write everything in the caller's transaction; claims the node's next sequence number first."""
    now = datetime.now(UTC)
    claimed = conn.execute(update(fed_nodes).where(fed_nodes.c.node_id == node_id,
                                                  fed_nodes.c.last_seq == sequence - 1)
                           .values(last_seq=sequence, last_contact_at=now))
    if claimed.rowcount != 1:
        raise BundleError("replay", f"sequence number {sequence} of node {node_id} was taken meanwhile")
    country = checked.country
    for part, rows in checked.records:
        sid = _submission(conn, "records", country, bundle_id, part, len(rows), now)
        if rows:
            conn.execute(persons.insert(), [_person_row(r, sid, n) for n, r in enumerate(rows, start=1)])
        conn.execute(fed_provenance.insert().values(bundle_id=bundle_id, part=part, kind="records",
                                                    submission_id=sid, rows=len(rows)))
    for part, rows in checked.aggregates:
        sid = _submission(conn, "aggregates", country, bundle_id, part, len(rows), now)
        if rows:
            conn.execute(aggregates.insert(), [{**r, "submission_id": sid, "source_row": n}
                                               for n, r in enumerate(rows, start=1)])
        conn.execute(fed_provenance.insert().values(bundle_id=bundle_id, part=part, kind="aggregates",
                                                    submission_id=sid, rows=len(rows)))
    for part, doc in checked.tables:
        conn.execute(fed_tables.insert().values(bundle_id=bundle_id, country=country, dims=json.dumps(doc["dims"]),
                                                min_cell=doc["min_cell"], cells=json.dumps(doc["cells"]),
                                                created_at=now))
        conn.execute(fed_provenance.insert().values(bundle_id=bundle_id, part=part, kind="tables",
                                                    rows=len(doc["cells"])))
    for part, data, n in checked.clks:
        conn.execute(fed_clks.insert().values(bundle_id=bundle_id, node_id=node_id, country=country, records=n,
                                              data=data, created_at=now))
        conn.execute(fed_provenance.insert().values(bundle_id=bundle_id, part=part, kind="clk", rows=n))
    pause = float(os.environ.get(PAUSE_ENV) or 0)
    if pause > 0:  # test hook: lets a test kill the hub while the transaction is open
        if marker_dir is not None:
            marker_dir.mkdir(parents=True, exist_ok=True)
            (marker_dir / f"applying-{bundle_id}").write_text(str(os.getpid()))
        log.warning("pausing %.1f s inside the apply transaction of bundle %s (%s)", pause, bundle_id, PAUSE_ENV)
        time.sleep(pause)
    return checked.counts()
