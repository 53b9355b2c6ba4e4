"""Shared fixtures. Store tests run on SQLite and on a real PostgreSQL server (TIPNET_TEST_PG_URL).

In CI, TIPNET_REQUIRE_PG=1 turns a missing server into a failure instead of a skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tipnet.settings import Settings
from tipnet.store import Database

pytest_plugins = ["browser_support"]  # live server + Chromium fixtures for browser tests

SHARED = Path(__file__).resolve().parents[2] / "shared"
if not SHARED.exists():
    SHARED = Path(__file__).resolve().parents[1].parent / "shared"
GLOTIP = SHARED / "data" / "glotip" / "data_glotip_2023-05-30.xlsx"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("TIPNET_HOME", str(tmp_path / "home"))
    return Settings.from_env(home=tmp_path / "home")


def _pg_database() -> Iterator[Database]:
    url = os.environ.get("TIPNET_TEST_PG_URL")
    if not url:
        if os.environ.get("TIPNET_REQUIRE_PG") == "1":
            pytest.fail("TIPNET_REQUIRE_PG=1 but TIPNET_TEST_PG_URL is not set")
        pytest.skip("no PostgreSQL server (set TIPNET_TEST_PG_URL)")
    import sqlalchemy as sa

    schema_db = f"tipnet_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        # UTF-8 whatever the cluster's default (a cluster made without --encoding may default to SQL_ASCII)
        conn.execute(sa.text(f'CREATE DATABASE "{schema_db}" ENCODING \'UTF8\' TEMPLATE template0 '
                             "LC_COLLATE 'C' LC_CTYPE 'C'"))
    test_url = sa.engine.make_url(url).set(database=schema_db).render_as_string(hide_password=False)
    db = Database(test_url)
    try:
        db.upgrade()
        yield db
    finally:
        db.dispose()
        _drop_database(admin, schema_db)
        admin.dispose()


def _drop_database(admin, name: str) -> None:  # type: ignore[no-untyped-def]
    """Drop a throwaway test database; a backend of another role (e.g. a maintenance worker) can make one attempt
    fail, so retry, and in the end leave it to the throwaway cluster rather than fail a passed test."""
    import time
    import warnings

    import sqlalchemy as sa

    for attempt in range(5):
        try:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except sa.exc.DBAPIError as exc:
            last = exc
            time.sleep(0.5 * (attempt + 1))
    warnings.warn(f"could not drop test database {name}: {last}", stacklevel=2)


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path, settings: Settings) -> Iterator[Database]:
    """An empty, migrated store on each backend."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'tipnet.db'}")
        database.upgrade()
        yield database
        database.dispose()
    else:
        yield from _pg_database()


@pytest.fixture
def sqlite_db(tmp_path: Path, settings: Settings) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'tipnet.db'}")
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture
def inprocess_imports(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run SQLite imports in this process (so a test can patch the pipeline); only for tests that read the store
    through fresh connections afterwards."""
    from tipnet.ingest import worker

    monkeypatch.setattr(worker, "_IN_WORKER", True)
