"""Alembic environment: runs on the connection handed over by Database.upgrade(), or on the configured URL."""

from alembic import context
from sqlalchemy import create_engine

import tipnet.store.tables_assess  # noqa: F401  (registers the self-assessment tables)
import tipnet.store.tables_auth  # noqa: F401  (registers the account and audit tables on the metadata)
import tipnet.store.tables_cases  # noqa: F401  (registers the case-entry tables: cases, consent history)
import tipnet.store.tables_compendium  # noqa: F401  (registers the compendium, agency registry and search index)
import tipnet.store.tables_directory  # noqa: F401  (registers the cooperation directory and request tables)
import tipnet.store.tables_federation  # noqa: F401  (registers the federation tables: nodes, keys, bundles)
import tipnet.store.tables_messaging  # noqa: F401  (registers the secure-messaging tables on the metadata)
import tipnet.store.tables_release  # noqa: F401  (registers the release tables on the metadata)
from tipnet.store.tables import metadata

config = context.config
target_metadata = metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
