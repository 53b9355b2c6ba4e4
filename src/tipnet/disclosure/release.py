"""Releases: plan, create (a draft package), audit, publish. The only way figures leave for the public portal.

`Releases(db, sources, home, actor)` is the whole API; the CLI and the web only call it and render what it returns.
Creating a release (which reads the records behind its figures or extract) and publishing one are written to the
audit log as the `actor`'s.

A release is built only from what its publisher (`ReleaseSpec.publisher`) may see: the hub's releases from records
shared with the hub and consented, a country's from its own records (`tipnet.auth.publishers`). The plan says which
records, in numbers; the package's methodology note and summary say the rule.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version as pkg_version
from pathlib import Path
from typing import Any

from tipnet.auth.audit import record as audit_record
from tipnet.auth.principal import Principal
from tipnet.auth.publishers import PublisherSources
from tipnet.disclosure import dp, kanon, ledger, methodology, package, repo, threshold
from tipnet.disclosure.audit import Protection
from tipnet.disclosure.cells import QuerySource, current_snapshot
from tipnet.disclosure.package import OutTable
from tipnet.disclosure.spec import ReleaseSpec
from tipnet.store import Database

log = logging.getLogger(__name__)


class ReleaseError(RuntimeError):
    """A release cannot be created or published; the message says why."""


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _protection(spec: ReleaseSpec) -> Protection:
    return Protection(threshold=spec.threshold, min_width=spec.min_width)


def _mean_abs_noise(measure: str, scale: float) -> float:
    if measure == "zcdp":
        return scale * math.sqrt(2 / math.pi)  # continuous approximation of the discrete Gaussian
    p = math.exp(-1 / scale)
    return 2 * p / (1 - p * p)  # discrete Laplace


@dataclass
class Releases:
    db: Database
    sources: PublisherSources  # publisher -> the statistics source of the records it may see
    home: Path  # packages go to home/releases/
    actor: Principal  # who creates and publishes (the operator at the command line)

    # ---- plan -----------------------------------------------------------------------------------------------
    def plan(self, spec: ReleaseSpec) -> dict[str, Any]:
        """What a release would contain and cost, without writing or spending anything."""
        source = self.sources(spec.publisher)
        snap = current_snapshot(source)
        out: dict[str, Any] = {"spec": spec.to_dict(), "submissions": len(snap.submission_ids),
                               "built_from": self.sources.basis(spec.publisher)}
        if spec.method == "threshold":
            res = threshold.run(source, self.db, snap, list(spec.tables), _protection(spec), spec.publisher)
            s = res.suppression
            out["suppression"] = s.to_dict()
            out["suppressed_cells"] = sorted([list(map(list, k)) for k in s.suppressed])
            out["tables"] = self._threshold_summary(spec, res.domains, s.published)["tables"]
        elif spec.method == "dp":
            assert spec.dp is not None
            p = dp.plan(list(spec.tables), spec.dp)
            budget = ledger.get_budget(self.db, spec.dataset)
            out["dp"] = p.to_dict()
            out["expected_abs_error"] = {f"d_in={q.d_in}": round(_mean_abs_noise(spec.dp.measure, q.scale), 3)
                                         for q in p.queries}
            out["budget"] = budget.to_dict() if budget else None
            out["allowed"] = bool(budget and budget.allows(spec.dp.measure, p.epsilon, p.rho))
        else:
            assert spec.kanon is not None
            out["extract"] = kanon.extract(source, snap, spec.kanon).to_dict()
        return out

    # ---- create ---------------------------------------------------------------------------------------------
    def create(self, spec: ReleaseSpec) -> dict[str, Any]:
        """Compute the release and write its package as a draft. A DP release spends its budget here."""
        source = self.sources(spec.publisher)
        snap = current_snapshot(source)
        rid, version = repo.insert_draft(self.db, spec.dataset, spec.title, spec.method, spec.to_dict(),
                                         snap.to_list(), snap.sha256)
        meta = {"name": f"tipnet-{spec.dataset}-v{version}".lower(), "title": spec.title, "version": version,
                "dataset": spec.dataset, "created": _now(), "snapshot_sha256": snap.sha256}
        try:
            tables, cells, summary, audit = self._compute(spec, rid, source, snap)
        except ledger.BudgetExceeded:
            repo.delete_draft(self.db, rid)
            raise
        except Exception:
            repo.delete_draft(self.db, rid)
            raise
        summary["submissions"] = len(snap.submission_ids)
        summary["publisher"], summary["built_from"] = spec.publisher, self.sources.basis(spec.publisher)["rule"]
        meta["tipnet"] = {"method": spec.method, "dataset": spec.dataset, "release_id": rid,
                          "snapshot_sha256": snap.sha256, "summary": summary}
        folder = _release_folder(self.home / "releases", spec.dataset, version, rid, snap.sha256)
        note = methodology.note(meta, spec.to_dict(), summary)
        try:
            files = package.write(folder, meta, tables, note)
        except Exception:
            repo.delete_draft(self.db, rid)
            raise
        content = package.content_hash(files)
        repo.finish_draft(self.db, rid, content, str(folder), summary, audit, [f.to_dict() for f in files], cells)
        log.info("release %d (%s v%d, %s) created: %s", rid, spec.dataset, version, spec.method, content[:12])
        rel = repo.get_release(self.db, rid)
        assert rel is not None
        self._audit("release.create", rel)
        return rel

    def _compute(self, spec: ReleaseSpec, rid: int, source: QuerySource, snap: Any
                 ) -> tuple[list[OutTable], list[Any], dict[str, Any], dict[str, Any] | None]:
        if spec.method == "threshold":
            res = threshold.run(source, self.db, snap, list(spec.tables), _protection(spec), spec.publisher)
            tables, cells = threshold.out_tables(list(spec.tables), res.domains, res.suppression.published)
            audit = res.suppression.to_dict()
            return tables, cells, self._threshold_summary(spec, res.domains, res.suppression.published), audit
        if spec.method == "dp":
            assert spec.dp is not None
            p = dp.plan(list(spec.tables), spec.dp)
            ledger.charge(self.db, spec.dataset, spec.dp.measure, p.epsilon, p.rho,
                          f"release {rid}: {spec.title}", release_id=rid)
            result = dp.release(source, snap, list(spec.tables), p)
            tables, cells = self._dp_tables(spec, result)
            budget = ledger.get_budget(self.db, spec.dataset)
            summary = {"method": "dp", **p.to_dict(), "opendp": pkg_version("opendp"),
                       "budget_after": budget.to_dict() if budget else None,
                       "tables": [{"name": t.name, "dims": t.dims, "filters": t.filters, "cells": len(t.rows)}
                                  for t in tables]}
            return tables, cells, summary, None
        assert spec.kanon is not None
        ex = kanon.extract(source, snap, spec.kanon)
        table = OutTable("extract", "k-anonymous victim records", ex.columns, ex.rows,
                         description=f"{spec.kanon.k}-anonymous extract; generalisation levels {ex.levels}")
        return [table], [], {"method": "kanon", "extract": ex.to_dict()}, None

    @staticmethod
    def _threshold_summary(spec: ReleaseSpec, doms: dict[str, tuple[str, ...]],
                           published: dict[Any, int]) -> dict[str, Any]:
        tables, _ = threshold.out_tables(list(spec.tables), doms, published)
        per: list[dict[str, Any]] = [{"name": t.name, "dims": t.dims, "filters": t.filters, "cells": len(t.rows),
                "suppressed": sum(1 for r in t.rows if r["status"] == "confidential")} for t in tables]
        n = sum(t["cells"] for t in per)
        s = sum(t["suppressed"] for t in per)
        return {"method": "threshold", "threshold": spec.threshold, "tables": per, "cells": n, "suppressed": s,
                "suppressed_share": s / n if n else 0.0, "domains": {d: list(v) for d, v in doms.items()}}

    @staticmethod
    def _dp_tables(spec: ReleaseSpec, result: dp.DPRelease) -> tuple[list[OutTable], list[Any]]:
        tables: list[OutTable] = []
        cells: list[Any] = []
        for t in spec.tables:
            rows = []
            for row, c in result.tables[t.name].items():
                rows.append({**dict(t.filters), **dict(zip(t.dims, row, strict=True)), "victims": c.value,
                             "lower": c.lower, "upper": c.upper, "status": "noisy"})
                cells.append((t.name, dp.cell_key(t.dims, row, t.filters), "noisy", c.value, c.lower, c.upper))
            cols = [*(f for f, _ in t.filters), *t.dims, "victims", "lower", "upper", "status"]
            tables.append(OutTable(t.name, f"Victims by {', '.join(t.dims) or 'total'} (differentially private)",
                                   cols, rows, list(t.dims), [list(f) for f in t.filters],
                                   "Noisy counts with confidence intervals"))
        return tables, cells

    # ---- audit and publish ----------------------------------------------------------------------------------
    def audit(self, release_id: int) -> dict[str, Any]:
        """Re-check a release against the store, its package and every published release."""
        rel = self._get(release_id)
        spec = ReleaseSpec.from_dict(rel["spec"])
        checks: list[dict[str, Any]] = []
        problems = package.verify(Path(rel["package_path"]), rel["files"])
        problems += [] if package.content_hash([package.PackageFile(**f) for f in rel["files"]]) == \
            rel["content_sha256"] else ["content hash does not match the recorded files"]
        checks.append({"check": "package", "passed": not problems, "detail": problems})
        if spec.method == "threshold":
            result = threshold.audit(self.sources(spec.publisher), self.db, rel, _protection(spec))
            checks.append({"check": "no published count in 1..threshold-1", "passed": not result.published_small,
                           "detail": len(result.published_small)})
            checks.append({"check": "linear-programme audit", "passed": result.passed,
                           "detail": result.to_dict()})
        elif spec.method == "dp":
            spent = [e for e in ledger.entries(self.db, spec.dataset) if e["release_id"] == release_id]
            want = rel["summary"].get("rho")
            checks.append({"check": "ledger entry", "passed": len(spent) == 1 and want is not None
                           and math.isclose(spent[0]["rho"], want, rel_tol=1e-9), "detail": spent})
            values = [v for _, _, _, v, lo, hi in repo.cells(self.db, release_id) for v in (v, lo, hi)]
            checks.append({"check": "integer counts", "passed": all(isinstance(v, int) for v in values),
                           "detail": len(values)})
        else:
            assert spec.kanon is not None
            rows = _read_csv(Path(rel["package_path"]) / "data" / "extract.csv")
            m = kanon.measure(rows, list(spec.kanon.quasi_identifiers)) if rows else None
            ok = m is None or (m.k >= spec.kanon.k and m.l_diversity >= spec.kanon.l_diversity)
            checks.append({"check": "k-anonymity and l-diversity of the extract", "passed": ok,
                           "detail": m.to_dict() if m else None})
        out = {"release": release_id, "passed": all(c["passed"] for c in checks), "checks": checks,
               "audited_at": _now()}
        if rel["status"] == repo.DRAFT:
            repo.set_audit(self.db, release_id, out)
        return out

    def publish(self, release_id: int) -> dict[str, Any]:
        rel = self._get(release_id)
        if rel["status"] != repo.DRAFT:
            raise ReleaseError(f"release {release_id} is already {rel['status']}; published releases never change")
        result = self.audit(release_id)
        if not result["passed"]:
            failed = [c["check"] for c in result["checks"] if not c["passed"]]
            raise ReleaseError(f"release {release_id} fails its audit ({', '.join(failed)}); not published")
        repo.mark_published(self.db, release_id, result)
        package.seal(Path(rel["package_path"]))
        log.info("release %d published", release_id)
        rel = self._get(release_id)
        self._audit("release.publish", rel)
        return rel

    def _audit(self, action: str, rel: dict[str, Any]) -> None:
        audit_record(self.db, self.actor, action, object_type="release", object_id=rel["id"],
                     details={"dataset": rel["dataset"], "version": rel["version"], "method": rel["method"],
                              "content_sha256": rel["content_sha256"]})

    def _get(self, release_id: int) -> dict[str, Any]:
        rel = repo.get_release(self.db, release_id)
        if rel is None:
            raise ReleaseError(f"no release {release_id}")
        return rel


def _read_csv(path: Path) -> list[dict[str, str]]:
    import csv

    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _release_folder(root: Path, dataset: str, version: int, rid: int, snapshot_sha256: str) -> Path:
    """The folder of a new release. Release ids restart with each store, so a home shared by two stores (a demo
    store and a test store, say) can already hold `{dataset}-v{version}-r{rid}` from the other one: then the
    snapshot's hash tells the two apart, and an existing folder is never overwritten."""
    folder = root / f"{dataset}-v{version}-r{rid}"
    if not folder.exists():
        return folder
    other = root / f"{dataset}-v{version}-r{rid}-{snapshot_sha256[:12]}"
    log.warning("release folder %s belongs to another store sharing this home; writing %s", folder.name, other.name)
    return other
