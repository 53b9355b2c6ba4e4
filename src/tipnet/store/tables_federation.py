"""Federation tables (on the shared metadata). A node uses `fed_outbox` and `fed_inbox`; the hub uses the others.

Provenance: every row the hub stores from a bundle can be traced to it: records and aggregate returns through the
submission the bundle created (`fed_provenance`), tables and encodings through their `bundle_id`.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from tipnet.store.tables import metadata

fed_nodes = Table(
    "fed_nodes",
    metadata,
    Column("node_id", String(64), primary_key=True),
    Column("country", String(3), nullable=False),
    Column("display_name", Text),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("last_contact_at", DateTime(timezone=True)),
    Column("last_seq", BigInteger, nullable=False),  # highest sequence number decided (accepted or rejected)
    Column("revoked_at", DateTime(timezone=True)),
    Column("revoked_reason", Text),
)

fed_keys = Table(
    "fed_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("node_id", String(64), ForeignKey("fed_nodes.node_id"), nullable=False),
    Column("key_id", String(32), nullable=False, unique=True),
    Column("sign_key", String(64), nullable=False),
    Column("box_key", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("retired_at", DateTime(timezone=True)),  # replaced by a newer key (rotation)
    Column("revoked_at", DateTime(timezone=True)),  # compromised or withdrawn
    Column("endorsement", Text),  # the rotation statement signed by the previous key
    Index("ix_fed_keys_node", "node_id"),
)

fed_bundles = Table(
    "fed_bundles",
    metadata,
    Column("bundle_id", String(32), primary_key=True),
    Column("node_id", String(64)),  # as claimed by the manifest; NULL until the manifest is read
    Column("sequence", BigInteger),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("transport", String(8), nullable=False),  # push | file
    Column("uploader_country", String(3)),  # country of the API token that announced it (None: the operator)
    Column("status", String(16), nullable=False),  # uploading | received | accepted | rejected
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("decided_at", DateTime(timezone=True)),
    Column("reason_code", String(32)),
    Column("receipt", Text),  # the signed receipt (JSON)
    Column("summary", Text),  # what was applied, per part (JSON)
    Index("ix_fed_bundles_node", "node_id", "sequence"),
)

fed_provenance = Table(
    "fed_provenance",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("bundle_id", String(32), ForeignKey("fed_bundles.bundle_id"), nullable=False),
    Column("part", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("submission_id", Integer, ForeignKey("submissions.id")),
    Column("rows", BigInteger, nullable=False),
    UniqueConstraint("bundle_id", "part", name="uq_fed_provenance_bundle_part"),
)

fed_tables = Table(
    "fed_tables",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("bundle_id", String(32), ForeignKey("fed_bundles.bundle_id"), nullable=False),
    Column("country", String(3), nullable=False),
    Column("dims", Text, nullable=False),  # JSON list
    Column("min_cell", Integer, nullable=False),
    Column("cells", Text, nullable=False),  # JSON list of {dim: value, ..., victims: int | null}
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_fed_tables_country", "country"),
)

fed_clks = Table(
    "fed_clks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("bundle_id", String(32), ForeignKey("fed_bundles.bundle_id"), nullable=False),
    Column("node_id", String(64), nullable=False),
    Column("country", String(3), nullable=False),
    Column("records", BigInteger, nullable=False),
    Column("data", LargeBinary, nullable=False),  # the encoded set (Parquet)
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_fed_clks_country", "country"),
)

fed_results = Table(
    "fed_results",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("node_id", String(64), ForeignKey("fed_nodes.node_id"), nullable=False),
    Column("sequence", BigInteger, nullable=False),
    Column("bundle_id", String(32), nullable=False),
    Column("kinds", Text, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("pulled_at", DateTime(timezone=True)),
    UniqueConstraint("node_id", "sequence", name="uq_fed_results_node_sequence"),
)

fed_outbox = Table(
    "fed_outbox",
    metadata,
    Column("bundle_id", String(32), primary_key=True),
    Column("sequence", BigInteger, nullable=False, unique=True),
    Column("path", Text, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("kinds", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),  # made | accepted | rejected
    Column("receipt", Text),
)

fed_inbox = Table(
    "fed_inbox",
    metadata,
    Column("bundle_id", String(32), primary_key=True),
    Column("sequence", BigInteger, nullable=False, unique=True),
    Column("kinds", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("content", Text, nullable=False),  # JSON: resolved linkage rows, release list
)
