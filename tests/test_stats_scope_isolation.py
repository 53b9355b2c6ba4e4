"""A scope's statistics connection holds only its own rows: SQL run on it (a statistics query gone wrong, a crafted
parameter) cannot name the base's tables of every country, cannot read the store's file, cannot scan a Python
variable that holds the base, and cannot switch any of that back on."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import test_stats_reader
from sqlalchemy.engine import make_url
from test_stats_reader import _who

from tipnet.auth.roles import Role
from tipnet.auth.sources import SourceCache
from tipnet.stats import base as stats_base
from tipnet.stats import source as stats_source

store = test_stats_reader.store

BASE_TABLES = ("persons_all", "aggregates_all", "base_submissions", "base_shared")


def _per(db):  # type: ignore[no-untyped-def]
    return SourceCache(db).for_principal(_who(Role.ANALYST, "PER"))


@pytest.mark.parametrize("table", BASE_TABLES)
def test_a_country_cannot_name_the_base_tables(store, table):
    src = _per(store)
    assert src.query("SELECT count(*) AS n FROM persons_raw")[0]["n"] == 3000
    base = stats_base.base_of(store, stats_source.PERSON_COLUMNS)
    assert base.tables(src._version)["persons_all"].num_rows > 3000  # type: ignore[arg-type]  # it holds the others
    with pytest.raises(duckdb.CatalogException):
        src.query(f"SELECT * FROM {table}")
    with pytest.raises(duckdb.CatalogException):
        src.connection().execute(f"SELECT * FROM {table}")


def test_the_scope_filter_holds_whatever_the_query_asks(store):
    src = _per(store)
    for sql in ("SELECT count(*) AS n FROM persons_raw WHERE reporting_country <> 'PER'",
                "SELECT count(*) AS n FROM scope_persons WHERE NOT (reporting_country = 'PER')",
                "SELECT count(*) AS n FROM (SELECT * FROM scope_persons) "
                "WHERE coalesce(reporting_country, '') = 'COL'"):
        assert src.query(sql)[0]["n"] == 0, sql
    assert src.query("SELECT list(DISTINCT reporting_country) AS c, count(*) AS n FROM scope_persons "
                     "WHERE reporting_country = 'COL' OR true") == [{"c": ["PER"], "n": 3000}]
    names = {r["n"] for r in src.query("SELECT table_name AS n FROM information_schema.tables")}
    assert not names & set(BASE_TABLES)


def test_a_country_cannot_read_the_stores_file_or_a_python_variable(store):
    src = _per(store)
    path = str(make_url(store.url).database) if store.backend_name == "sqlite" else "/etc/hostname"
    assert Path(path).exists()
    for sql in (f"SELECT count(*) FROM read_blob('{path}')", f"SELECT * FROM read_text('{path}')",
                f"ATTACH '{path}' AS other", "INSTALL sqlite"):
        with pytest.raises(duckdb.PermissionException):
            src.query(sql)
    leak = stats_base.base_of(store, stats_source.PERSON_COLUMNS).tables(src._version)["persons_all"]  # type: ignore[arg-type]
    assert leak.num_rows > 3000
    with pytest.raises(duckdb.CatalogException):  # not found by the name of the variable holding it
        src.query("SELECT count(*) FROM leak")
    for sql in ("SET enable_external_access = true", "SET python_enable_replacements = true",
                "SET lock_configuration = false", "RESET lock_configuration"):
        with pytest.raises(duckdb.InvalidInputException):
            src.query(sql)


def test_the_hub_sees_only_shared_consented_rows_by_any_name(store):
    hub = SourceCache(store).for_principal(_who(Role.HUB_ANALYST, None))
    seen = hub.query("SELECT count(*) AS n FROM scope_persons")[0]["n"]
    assert seen == hub.query("SELECT count(*) AS n FROM persons_raw")[0]["n"]
    assert hub.query("SELECT count(*) AS n FROM scope_persons WHERE reporting_country = 'PER'")[0]["n"] == 0
    assert hub.query("SELECT count(*) AS n FROM scope_persons WHERE role IS DISTINCT FROM 'perpetrator' "
                     "AND consent_share_hub IS NOT TRUE")[0]["n"] == 0
