"""The store read straight into Arrow (ADBC) equals the store read through SQLAlchemy rows: same rows, same values,
same compact types, with and without each scope's filter, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import FIXTURES, GLOTIP

from tipnet.auth.principal import Principal, Via, system
from tipnet.auth.roles import Role
from tipnet.auth.tenancy import Scope
from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.stats import read_worker, reader
from tipnet.stats.source import PERSON_COLUMNS
from tipnet.store.tables import aggregates, persons
from tipnet.store.tables_auth import submission_sharing

SESNSP = FIXTURES / "real" / "sesnsp-victimas" / "IDVFC_NM_dic24_excerpt.csv"
HEADER = "record_id,case_id,sex,age,citizenship,identification_date,consent_share_hub,role,transit_countries\n"


def _rows(prefix: str, n: int, blank_from: int) -> str:
    """n rows; from `blank_from` on, the optional cells are empty (whole driver batches of NULLs first, when
    blank_from is 0: the case the SQLite driver would type as integers)."""
    out = []
    for i in range(n):
        if i >= blank_from:
            out.append(f"{prefix}{i},C{i},,,,,,,\n")
        else:
            sex = "FM"[i % 2]
            out.append(f"{prefix}{i},C{i},{sex},{i % 90},PER;VEN,2022-0{1 + i % 9}-01,{str(i % 3 == 0).lower()},"
                       f"{'perpetrator' if i % 7 == 0 else ''},ECU;COL\n")
    return "".join(out)


@pytest.fixture
def store(db, settings, tmp_path):
    for name, country, body in (("per", "PER", _rows("P", 3000, 2000)), ("col", "COL", _rows("C", 2500, 0))):
        path = tmp_path / f"{name}.csv"
        path.write_text(HEADER + body, encoding="utf-8")
        report = import_file(path, db, ImportOptions(country=country), settings)
        assert report.rows_accepted > 0, report.problems
        if country == "COL":
            with db.engine.begin() as conn:
                conn.execute(submission_sharing.insert().values(submission_id=report.submission_id,
                                                                shared_with_hub=True, revision=1,
                                                                changed_at=dt.datetime.now(dt.UTC)))
    assert import_file(SESNSP, db, ImportOptions(profile="sesnsp-victimas-fc"), settings).rows_accepted
    assert import_file(GLOTIP, db, ImportOptions(), settings).rows_accepted
    return db


def _who(role: Role, country: str | None) -> Principal:
    return Principal(via=Via.SESSION, user_id=1, email="x@x.org", role=role, country=country)


SCOPES = [system(), _who(Role.ANALYST, "PER"), _who(Role.ANALYST, "COL"), _who(Role.ANALYST, "MEX"),
          _who(Role.HUB_ANALYST, None), Principal()]


def test_adbc_reader_equals_the_row_reader(store, monkeypatch):
    db = store
    monkeypatch.setattr(read_worker, "SQLITE_BATCH_ROWS", 512)  # batches of NULLs only, then batches of values
    assert reader.adbc_readable(db)
    seen = set()
    for who in SCOPES:
        rows = Scope.of(who).rows()
        for table, columns, where in ((persons, PERSON_COLUMNS, rows.persons),
                                      (aggregates, [c.name for c in aggregates.columns], rows.aggregates)):
            old = reader.read_rows(db, table, columns, where)
            new = reader.read_arrow(db, table, columns, where)
            assert new.schema == old.schema, rows.key  # the compact schema, field by field
            assert new.sort_by("id").to_pylist() == old.sort_by("id").to_pylist(), rows.key
            seen.add((rows.key, table.name, new.num_rows))
    assert ("country:PER", "persons", 3000) in seen and ("country:MEX", "aggregates", 504) not in seen


def test_the_whole_store_and_an_empty_filter(store):
    db = store
    every = reader.read_arrow(db, persons, PERSON_COLUMNS)
    assert every.num_rows == 5500 and every.column("age").null_count == 1000 + 2500
    nobody = reader.read_arrow(db, persons, PERSON_COLUMNS, persons.c.reporting_country == "X'; DROP TABLE persons")
    assert nobody.num_rows == 0 and nobody.schema == every.schema  # the value is bound, never SQL
    assert reader.read_arrow(db, persons, PERSON_COLUMNS).num_rows == 5500
