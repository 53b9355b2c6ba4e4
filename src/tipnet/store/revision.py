"""The revision of stored records: bumped, inside the changing transaction, by every in-place change to rows that
are already stored (a corrected case, a withdrawn consent, an updated assistance plan). Caches of what the store
holds (statistics) compare it, with the number of submissions, to know when to reload."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from tipnet.store.tables import store_state


def bump(conn: Connection) -> None:
    conn.execute(store_state.update().where(store_state.c.id == 1)
                 .values(records_revision=store_state.c.records_revision + 1))


def current() -> Any:
    """A scalar subquery: the records revision (0 before any change)."""
    return select(func.coalesce(func.max(store_state.c.records_revision), 0)).scalar_subquery()
