"""Tenancy in the data layer, on SQLite and PostgreSQL: scoped submissions, record exports, counts and statistics
sources read only what the principal's scope allows."""

from __future__ import annotations

import pytest
from auth_helpers import make_user

from tipnet.auth import records, sources
from tipnet.auth.principal import ANONYMOUS, Principal, Via, system
from tipnet.auth.roles import Role
from tipnet.auth.tenancy import Scope
from tipnet.errors import Forbidden, NotVisible
from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.stats import CubeSpec, StatsSource
from tipnet.stats.figures import victims

HEADER = "record_id,case_id,given_names,sex,age,citizenship,identification_date,consent_share_hub,role\n"
PER = ("P1,A,Ana,F,17,PER,2022-01-01,true,\nP2,A,Bea,F,30,VEN,2022-02-01,false,\n"
       "P3,B,Ciro,M,40,PER,2022-03-01,,perpetrator\n")
COL = ("C1,A,Dora,F,15,COL,2022-01-01,true,\nC2,A,Eva,F,19,VEN,2022-02-01,false,\nC3,B,Fede,M,21,COL,2022-03-01,,\n"
       "C4,C,Gil,M,45,COL,2022-03-01,,perpetrator\n")


def _who(role: Role, country: str | None, user_id: int = 1) -> Principal:
    return Principal(via=Via.SESSION, user_id=user_id, email=f"{role.value}@x.org", role=role, country=country)


@pytest.fixture
def store(db, settings, tmp_path):
    ids = {}
    for country, rows in (("PER", PER), ("COL", COL)):
        path = tmp_path / f"{country.lower()}.csv"
        path.write_text(HEADER + rows, encoding="utf-8")
        ids[country] = import_file(path, db, ImportOptions(country=country), settings).submission_id
    return db, ids


def _victims_by_country(db, principal):
    src = StatsSource(db, Scope.of(principal).rows())
    return {r["country"]: r["victims"] for r in victims(src, CubeSpec(("country",))) if r["country"] != "_all"}


def test_scoped_reads(store):
    db, ids = store
    per, col = _who(Role.ANALYST, "PER"), _who(Role.ANALYST, "COL")
    hub = _who(Role.HUB_ANALYST, None)
    assert [s["reporting_country"] for s in records.list_submissions(db, per)] == ["PER"]
    assert {s["reporting_country"] for s in records.list_submissions(db, hub)} == {"PER", "COL"}
    assert records.list_submissions(db, ANONYMOUS) == []
    with pytest.raises(NotVisible):
        records.get_submission(db, per, ids["COL"])
    with pytest.raises(NotVisible):
        records.export_records(db, hub, ids["COL"])  # not shared yet
    assert _victims_by_country(db, per) == {"PER": 2}
    assert _victims_by_country(db, hub) == {}
    assert _victims_by_country(db, system()) == {"PER": 2, "COL": 3}
    with pytest.raises(Forbidden):
        records.set_shared(db, hub, ids["COL"], True)
    with pytest.raises(NotVisible):
        records.set_shared(db, per, ids["COL"], True)
    records.set_shared(db, col, ids["COL"], True)
    assert _victims_by_country(db, hub) == {"COL": 1}  # only the victim who consented
    exported = "".join(records.export_records(db, hub, ids["COL"]))
    assert "Dora" in exported and "Gil" in exported  # perpetrators follow the submission's sharing
    assert "Eva" not in exported and "Fede" not in exported
    assert records.counts(db, hub) == {"persons": 2, "aggregates": 0, "submissions": 2}
    assert records.counts(db, per) == {"persons": 3, "aggregates": 0, "submissions": 1}
    assert records.counts(db, ANONYMOUS) is None
    records.set_shared(db, col, ids["COL"], False)
    with pytest.raises(NotVisible):
        records.export_records(db, hub, ids["COL"])


def test_sources_are_cached_per_scope_and_follow_sharing(store):
    db, ids = store
    cache = sources.SourceCache(db)
    per = _who(Role.ANALYST, "PER")
    hub = _who(Role.HUB_ADMIN, None)
    assert cache.for_principal(per) is cache.for_principal(_who(Role.INVESTIGATOR, "PER", 2))
    assert cache.for_principal(per) is not cache.for_principal(hub)
    with pytest.raises(Forbidden):
        cache.for_principal(_who(Role.SERVICE_PROVIDER, "PER"))
    src = cache.for_principal(hub)
    before = src.store_version()
    records.set_shared(db, _who(Role.FOCAL_POINT, "COL"), ids["COL"], True)
    assert src.store_version() != before  # a sharing change reloads the hub's source


def test_users_and_audit_scopes(db):
    make_user(db, "analyst", "PER")
    make_user(db, "analyst", "COL")
    make_user(db, "hub_admin")
    from sqlalchemy import func, select

    from tipnet.store.tables_auth import users

    def count(scope):
        with db.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(users).where(scope.users())).scalar_one()

    assert count(Scope.of(_who(Role.FOCAL_POINT, "PER"))) == 1
    assert count(Scope.of(_who(Role.HUB_ADMIN, None))) == 3


def test_migration_matches_the_account_tables(db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import tipnet.store.tables_auth as tables_auth
    from tipnet.store.tables import metadata

    names = {t.name for t in tables_auth.metadata.sorted_tables if t.name in (
        "users", "sessions", "api_tokens", "login_throttle", "submission_sharing", "audit_log")}
    assert len(names) == 6
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diff if any(n in str(d) for n in names)] == []
