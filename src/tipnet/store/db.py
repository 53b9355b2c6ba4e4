"""Database handle: engine, migrations, and the backend used for bulk loads."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url

import tipnet.store.generation as generation
import tipnet.store.paging as paging
from tipnet.i18n.collation import fold
from tipnet.settings import Settings
from tipnet.store.bulk import BulkBackend, backend_for

log = logging.getLogger(__name__)


def home_dir() -> Path:
    """Where tipnet keeps its embedded database, quarantine files and uploads."""
    return Settings.from_env().home.resolve()


def default_url() -> str:
    env = os.environ.get("TIPNET_DB")
    if env:
        return env
    return f"sqlite:///{home_dir() / 'tipnet.db'}"


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()
    # searches fold case and accents inside the query, as PostgreSQL does with translate() (`store.paging`)
    dbapi_conn.create_function(paging.SQLITE_FOLD, 1, fold, deterministic=True)


@dataclass
class Database:
    """One store: a SQLAlchemy engine plus a bulk loader for the same database."""

    url: str = field(default_factory=default_url)

    def __post_init__(self) -> None:
        u = make_url(self.url)
        if u.get_backend_name() == "sqlite" and u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        elif u.get_backend_name() == "postgresql" and u.drivername == "postgresql":
            self.url = u.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)

    @property
    def backend_name(self) -> str:
        return make_url(self.url).get_backend_name()

    @cached_property
    def engine(self) -> Engine:
        engine = create_engine(self.url, future=True)
        if self.backend_name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "commit", generation.bump)
        return engine

    @cached_property
    def bulk(self) -> BulkBackend:
        return backend_for(self.url)

    def alembic_config(self) -> Config:
        ini = resources.files("tipnet.store").joinpath("alembic.ini")
        cfg = Config(str(ini))
        cfg.set_main_option("script_location", str(resources.files("tipnet.store").joinpath("migrations")))
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        return cfg

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (idempotent)."""
        with self.engine.begin() as conn:
            cfg = self.alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")  # one head per feature branch of migrations
        log.info("schema at heads for %s", make_url(self.url).render_as_string(hide_password=True))

    def has_schema(self) -> bool:
        return inspect(self.engine).has_table("submissions")

    def dispose(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
