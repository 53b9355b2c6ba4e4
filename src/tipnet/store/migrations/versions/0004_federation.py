"""federation: node registry and keys, hub inbox with provenance, shared tables and encodings, results, node outbox

Revision ID: 0004_federation
Revises: 0003
Create Date: 2026-11-28 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_federation"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = ("federation",)
depends_on: str | Sequence[str] | None = None

_TABLES = ("fed_nodes", "fed_keys", "fed_bundles", "fed_provenance", "fed_tables", "fed_clks", "fed_results",
           "fed_outbox", "fed_inbox")


def _frozen() -> sa.MetaData:
    """The federation tables of the model, on a fresh MetaData (this revision creates them; a later change to them
    must come with its own revision)."""
    from tipnet.store import tables_federation
    from tipnet.store.tables import metadata

    md = sa.MetaData(naming_convention=metadata.naming_convention)
    for name in ("submissions",):  # referenced by foreign keys only
        metadata.tables[name].to_metadata(md)
    for name in _TABLES:
        getattr(tables_federation, name).to_metadata(md)
    return md


def upgrade() -> None:
    md = _frozen()
    md.create_all(op.get_bind(), tables=[md.tables[n] for n in _TABLES])


def downgrade() -> None:
    md = _frozen()
    md.drop_all(op.get_bind(), tables=[md.tables[n] for n in reversed(_TABLES)])
