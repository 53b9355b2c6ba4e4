"""Downgrades that cannot keep every record refuse instead of inventing data."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import insert, select

from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.store import Database
from tipnet.store.tables import persons


def _downgrade(db: Database, target: str) -> None:
    with db.engine.begin() as conn:
        cfg = db.alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, target)


def test_records_without_a_reporting_country_block_the_raw_values_downgrade(tmp_path, settings):
    db = Database(f"sqlite:///{tmp_path / 'd.db'}")
    db.upgrade()
    csv = tmp_path / "one.csv"
    csv.write_text("record_id,case_id,reporting_country,sex\nr1,c1,PER,female\n", encoding="utf-8")
    assert import_file(csv, db, ImportOptions(), settings).rows_accepted == 1
    with db.engine.begin() as conn:
        row = dict(conn.execute(select(persons)).mappings().one())
        conn.execute(insert(persons).values({**row, "id": None, "record_id": "r2", "reporting_country": None}))
    with pytest.raises(RuntimeError, match="1 records have no reporting country"):
        _downgrade(db, "person_raw_values@-1")
    with db.engine.begin() as conn:
        conn.execute(persons.delete().where(persons.c.reporting_country.is_(None)))
    _downgrade(db, "person_raw_values@-1")  # nothing left that the old schema cannot hold
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT reporting_country FROM persons").scalars().all() == ["PER"]
    db.dispose()
