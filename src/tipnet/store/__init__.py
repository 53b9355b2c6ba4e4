"""The store: SQLAlchemy tables, Alembic migrations, repositories; SQLite by default, PostgreSQL by URL."""

from tipnet.store.db import Database, default_url

__all__ = ["Database", "default_url"]
