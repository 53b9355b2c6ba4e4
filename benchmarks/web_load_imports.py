"""Imports that commit while the web load runs (`benchmarks/web_load.py --imports-every S`).

A background thread imports a 10,000-row file of Peruvian cases (the ingest benchmark's generator, fresh record and
case identifiers per batch) every S seconds through `tipnet.ingest`, as Peru's focal point would, and shares it with
the hub. After each commit it asks the server, as Peru's analyst, for Peru's victims
(`/api/stats?by=country&country=PER`) until the answer counts the new records (the batch's victims: its other
roles are not counted; a commit is atomic, so any change of the count means the whole batch is in): the time from
the commit to that fresh answer is the freshness of the web statistics under load.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("web_load.imports")
BATCH_ROWS = 10_000
PROBE = "/api/stats?by=country&country=PER"


@dataclass
class ImportRun:
    batch: int
    rows_accepted: int
    import_seconds: float
    visible_seconds: float | None  # commit -> a web answer that counts the batch; None: not seen in time


class Importer(threading.Thread):
    def __init__(self, url: str, home: Path, workdir: Path, base: str, cookie: str, every: float,
                 timeout: float = 30.0) -> None:
        super().__init__(name="web-load-imports", daemon=True)
        self.url, self.home, self.workdir, self.base, self.cookie = url, home, workdir, base, cookie
        self.every, self.timeout = every, timeout
        self.runs: list[ImportRun] = []
        self.error: str | None = None
        self._stop_event = threading.Event()

    def stop(self) -> None:
        self._stop_event.set()

    # ------------------------------------------------------------------------------------------------------
    def run(self) -> None:
        try:
            self._loop()
        except Exception as exc:  # reported by the benchmark, which then fails
            self.error = f"{type(exc).__name__}: {exc}"
            log.exception("imports stopped")

    def _loop(self) -> None:
        import httpx

        from tipnet.auth import records, users
        from tipnet.auth.principal import Principal, Via
        from tipnet.ingest.pipeline import ImportOptions, import_file
        from tipnet.settings import Settings
        from tipnet.store import Database
        from tipnet.web.security import SESSION_COOKIE

        settings = Settings.from_env(home=self.home)
        db = Database(self.url)
        focal = users.by_email(db, "focal.per@demo.tipnet")
        assert focal is not None
        focal_point = Principal(via=Via.SESSION, user_id=focal.id, email=focal.email, role=focal.role,
                                country=focal.country)
        client = httpx.Client(base_url=self.base, cookies={SESSION_COOKIE: self.cookie}, timeout=60)
        try:
            seen = _peru_victims(client)
            batch = 0
            while not self._stop_event.is_set():
                started = time.monotonic()
                batch += 1
                path = self._batch_file(batch)
                t0 = time.perf_counter()
                report = import_file(path, db, ImportOptions(country="PER"), settings)
                if report.submission_id is None:
                    raise RuntimeError(f"batch {batch} was refused: {report.file_error}")
                records.set_shared(db, focal_point, report.submission_id, True)
                committed = time.perf_counter()
                visible = None  # a commit is atomic: any change of Peru's count means the batch is counted
                while time.perf_counter() - committed < self.timeout:
                    if (now := _peru_victims(client)) != seen:
                        visible, seen = time.perf_counter() - committed, now
                        break
                    time.sleep(0.02)
                self.runs.append(ImportRun(batch, report.rows_accepted, committed - t0, visible))
                log.info("batch %d: %d rows imported in %.2f s, visible after %s s", batch, report.rows_accepted,
                         committed - t0, "never" if visible is None else f"{visible:.2f}")
                self._stop_event.wait(max(0.0, self.every - (time.monotonic() - started)))
        finally:
            client.close()
            db.dispose()

    def _batch_file(self, batch: int) -> Path:
        """10,000 generated rows, no planted defect, identifiers of their own (W{batch}-...)."""
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import ingest_data
        import polars as pl

        frame, _ = ingest_data.generate(BATCH_ROWS, 7_000 + batch, 0.0)
        frame = frame.with_columns(pl.format("W{}-{}", pl.lit(batch), pl.col("record_id")).alias("record_id"),
                                   pl.format("W{}-{}", pl.lit(batch), pl.col("case_id")).alias("case_id"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        path = self.workdir / f"batch-{batch}.csv"
        frame.write_csv(path)
        return path


def _peru_victims(client: Any) -> int:
    r = client.get(PROBE)
    r.raise_for_status()
    return sum(int(row.get("victims") or 0) for row in r.json()["rows"] if row.get("country") == "PER")


def summary(runs: list[ImportRun]) -> dict[str, Any]:
    seen = sorted(r.visible_seconds for r in runs if r.visible_seconds is not None)
    return {"imports": len(runs), "rows": sum(r.rows_accepted for r in runs),
            "import_s_median": sorted(r.import_seconds for r in runs)[len(runs) // 2] if runs else None,
            "visible_s_median": seen[len(seen) // 2] if seen else None,
            "visible_s_max": seen[-1] if seen else None, "never_visible": sum(r.visible_seconds is None for r in runs)}
