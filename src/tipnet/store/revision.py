"""The revision of stored records: bumped, inside the changing transaction, by every in-place change to rows that
are already stored (a corrected case, a withdrawn consent, an updated assistance plan, a figure released from
review). Caches of what the store holds (statistics) compare it, with the number of submissions, to know when to
reload; each bump also logs which submissions it changed (`record_changes`), so a cache can re-read only those."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, func, select

from tipnet.store.tables import record_changes, store_state

# A cache further behind than this many revisions reloads everything rather than read the log.
MAX_LOG_SPAN = 10_000


def bump(conn: Connection, submission_ids: Iterable[int | None] = ()) -> int:
    """Count one in-place change to the rows of `submission_ids` (none named: a change statistics cannot place,
    after which they reload everything). The new revision."""
    conn.execute(store_state.update().where(store_state.c.id == 1)
                 .values(records_revision=store_state.c.records_revision + 1))
    rev = int(conn.execute(select(store_state.c.records_revision).where(store_state.c.id == 1)).scalar_one())
    ids = sorted({int(s) for s in submission_ids if s is not None})
    if ids:
        conn.execute(record_changes.insert(), [{"revision": rev, "submission_id": s} for s in ids])
    return rev


def current() -> Any:
    """A scalar subquery: the records revision (0 before any change)."""
    return select(func.coalesce(func.max(store_state.c.records_revision), 0)).scalar_subquery()


def changed_since(conn: Connection, old: int, new: int) -> set[int] | None:
    """The submissions changed in place by revisions `old + 1` to `new`; None when that is not known (a revision
    named no submission, or the span is too long to be worth reading): then everything must be read again."""
    if new <= old:
        return set()
    if new - old > MAX_LOG_SPAN:
        return None
    rows = conn.execute(select(record_changes.c.revision, record_changes.c.submission_id)
                        .where(record_changes.c.revision > old, record_changes.c.revision <= new)).all()
    if {int(r[0]) for r in rows} != set(range(old + 1, new + 1)):
        return None
    return {int(r[1]) for r in rows}
