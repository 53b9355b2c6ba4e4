"""compendium (PostgreSQL): narrow heap rows for the search index, the texts and the tsvector kept out of line

A word found in many documents makes PostgreSQL visit every matching row of `coop_search_docs` for its id. With the
titles, texts and tsvector inline (about 2.7 kB a row) that meant reading most of the table, and the planner
preferred a sequential scan that decompressed every tsvector (436 ms for 38,843 of 100,000 documents). Keeping
the wide values in the TOAST table (`toast_tuple_target` 128, storage EXTERNAL: not compressed, so the ranking
reads them without inflating) leaves heap rows of about 150 bytes: the same query reads 3,400 heap pages
instead of 13,300 and takes 19-42 ms. SQLite is not affected (its search runs on the FTS5 table).

Revision ID: 0006_compendium_narrow_rows
Revises: 0005_compendium_state
Create Date: 2026-11-29 04:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_compendium_narrow_rows"
down_revision: str | None = "0005_compendium_state"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WIDE = ("title", "body", "title_folded", "body_folded", "tsv")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE coop_search_docs SET (toast_tuple_target = 128)")
    op.execute("ALTER TABLE coop_search_docs " + ", ".join(f"ALTER COLUMN {c} SET STORAGE EXTERNAL" for c in WIDE))
    # Settings apply to rows written from now on: rewrite the rows already there (the tsvector is regenerated).
    op.execute("UPDATE coop_search_docs SET title = title")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE coop_search_docs RESET (toast_tuple_target)")
    op.execute("ALTER TABLE coop_search_docs " + ", ".join(f"ALTER COLUMN {c} SET STORAGE EXTENDED" for c in WIDE))
    op.execute("UPDATE coop_search_docs SET title = title")
