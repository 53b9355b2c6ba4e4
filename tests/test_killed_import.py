"""A process killed in the middle of an import leaves no partial submission behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
from sqlalchemy import func, select

from tipnet.store import Database
from tipnet.store.tables import persons, submissions


def _big_csv(path: Path, n: int) -> None:
    pl.DataFrame(
        {
            "record_id": [f"R{i}" for i in range(n)],
            "case_id": [f"C{i // 3}" for i in range(n)],
            "sex": ["female", "male", "unknown"] * (n // 3) + ["female"] * (n % 3),
            "age": [str(i % 90) for i in range(n)],
            "citizenship": ["PER", "VEN", "Atlantis", "BOL"] * (n // 4) + ["PER"] * (n % 4),
        }
    ).write_csv(path)


def test_sigkill_mid_import_leaves_nothing(tmp_path):
    csv = tmp_path / "big.csv"
    _big_csv(csv, 400_000)
    db_path = tmp_path / "k.db"
    url = f"sqlite:///{db_path}"
    Database(url).upgrade()
    env = {**os.environ, "TIPNET_HOME": str(tmp_path / "home"), "TIPNET_CHUNK_ROWS": "10000"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tipnet.cli", "import", str(csv), "--country", "PER", "--db", url, "--json"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    wal = Path(str(db_path) + "-wal")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not wal.exists() or wal.stat().st_size < 4_000_000):
        assert proc.poll() is None, "the import finished before it could be interrupted"
        time.sleep(0.01)
    assert proc.poll() is None
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    time.sleep(0.2)
    db = Database(url)
    with db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(submissions)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(persons)).scalar_one() == 0
    quarantined = list((tmp_path / "home").rglob("*.quarantine.csv"))
    assert quarantined == []  # at most a .partial file is left, never a quarantine file without a submission
    db.dispose()
