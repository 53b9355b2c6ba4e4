"""compendium of cooperation instruments, recruiter and travel agency registry, shared full-text search index

Revision ID: 0004_compendium
Revises: 0003
Create Date: 2026-11-28 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_compendium"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = ("compendium",)
depends_on: str | Sequence[str] | None = None

_TABLES = ("compendium_items", "compendium_ratifications", "coop_search_docs", "coop_search_tags", "agencies",
           "agency_certifications", "agency_complaints", "agency_sanctions", "agency_case_links")

# SQLite: an external-content FTS5 table over the folded columns, kept in step by triggers. Diacritics are folded
# by tipnet before storage as well, so both backends match the same words.
_SQLITE = (
    "CREATE VIRTUAL TABLE coop_search_fts USING fts5(title_folded, body_folded, content='coop_search_docs', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER coop_search_docs_ai AFTER INSERT ON coop_search_docs BEGIN "
    "INSERT INTO coop_search_fts(rowid, title_folded, body_folded) VALUES (new.id, new.title_folded, "
    "new.body_folded); END",
    "CREATE TRIGGER coop_search_docs_ad AFTER DELETE ON coop_search_docs BEGIN "
    "INSERT INTO coop_search_fts(coop_search_fts, rowid, title_folded, body_folded) VALUES ('delete', old.id, "
    "old.title_folded, old.body_folded); END",
    "CREATE TRIGGER coop_search_docs_au AFTER UPDATE ON coop_search_docs BEGIN "
    "INSERT INTO coop_search_fts(coop_search_fts, rowid, title_folded, body_folded) VALUES ('delete', old.id, "
    "old.title_folded, old.body_folded); "
    "INSERT INTO coop_search_fts(rowid, title_folded, body_folded) VALUES (new.id, new.title_folded, "
    "new.body_folded); END",
)

# PostgreSQL: the 'simple' configuration (no stemming, no stop words: the text is in four languages) over the
# folded columns, so `unaccent` is not needed. Titles weigh more than text.
_POSTGRES = (
    "ALTER TABLE coop_search_docs ADD COLUMN tsv tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple', title_folded), 'A') || setweight(to_tsvector('simple', body_folded), 'B')"
    ") STORED",
    "CREATE INDEX ix_coop_search_docs_tsv ON coop_search_docs USING GIN (tsv)",
)


def _frozen() -> sa.MetaData:
    """This revision's tables on a fresh MetaData (a later change to them comes with its own revision)."""
    from tipnet.store import tables_compendium
    from tipnet.store.tables import metadata

    md = sa.MetaData(naming_convention=metadata.naming_convention)
    for name in ("submissions", "persons"):  # referenced by foreign keys only
        metadata.tables[name].to_metadata(md)
    for name in _TABLES:
        getattr(tables_compendium, name).to_metadata(md)
    return md


def upgrade() -> None:
    md = _frozen()
    md.create_all(op.get_bind(), tables=[md.tables[n] for n in _TABLES])
    dialect = op.get_bind().dialect.name
    for statement in _SQLITE if dialect == "sqlite" else _POSTGRES if dialect == "postgresql" else ():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("coop_search_docs_au", "coop_search_docs_ad", "coop_search_docs_ai"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS coop_search_fts")
    md = _frozen()
    md.drop_all(op.get_bind(), tables=[md.tables[n] for n in reversed(_TABLES)])
