"""Tables for disclosure-controlled releases and the privacy-budget ledger (same `metadata` as the core tables).

A published release is immutable: database triggers (migration 0002) refuse any change to a published release,
its files or its cells, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from tipnet.store.tables import metadata

releases = Table(
    "releases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dataset", String(64), nullable=False),  # whose privacy budget and version sequence
    Column("version", Integer, nullable=False),  # 1, 2, ... per dataset
    Column("title", Text, nullable=False),
    Column("method", String(16), nullable=False),  # threshold | dp | kanon
    Column("status", String(16), nullable=False),  # draft | published
    Column("spec_json", Text, nullable=False),  # what was asked for (tables, thresholds, budget)
    Column("snapshot_json", Text, nullable=False),  # submission ids the figures were computed from
    Column("snapshot_sha256", String(64), nullable=False),
    Column("content_sha256", String(64), nullable=False),  # over the package files (path + sha256 each)
    Column("package_path", Text, nullable=False),
    Column("summary_json", Text, nullable=False),  # public summary: suppressed cells, epsilon/rho, k, l
    Column("audit_json", Text),  # internal: last audit result
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True)),
    UniqueConstraint("dataset", "version", name="uq_releases_dataset_version"),
)

release_files = Table(
    "release_files",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("release_id", Integer, ForeignKey("releases.id"), nullable=False),
    Column("path", Text, nullable=False),  # relative to the package folder
    Column("sha256", String(64), nullable=False),
    Column("bytes", BigInteger, nullable=False),
    Column("media_type", String(64), nullable=False),
    UniqueConstraint("release_id", "path", name="uq_release_files_release_id_path"),
)

release_cells = Table(
    "release_cells",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("release_id", Integer, ForeignKey("releases.id"), nullable=False),
    Column("table_name", String(64), nullable=False),
    Column("cell_key", Text, nullable=False),  # canonical JSON [[dim, value], ...] incl. filters; [] = total
    Column("status", String(16), nullable=False),  # published | suppressed | noisy
    Column("value", BigInteger),  # NULL when suppressed
    Column("lower", BigInteger),  # confidence interval (DP)
    Column("upper", BigInteger),
    Index("ix_release_cells_release", "release_id"),
)

privacy_budgets = Table(
    "privacy_budgets",
    metadata,
    Column("dataset", String(64), primary_key=True),
    Column("epsilon_total", Float),  # pure-DP cap (sum of epsilons); NULL = no pure cap
    Column("rho_total", Float),  # zCDP cap; pure epsilon counts as epsilon^2/2; NULL = no zCDP cap
    Column("epsilon_spent", Float, nullable=False),
    Column("rho_spent", Float, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

privacy_ledger = Table(
    "privacy_ledger",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dataset", String(64), ForeignKey("privacy_budgets.dataset"), nullable=False),
    Column("release_id", Integer, ForeignKey("releases.id")),
    Column("measure", String(16), nullable=False),  # pure | zcdp
    Column("epsilon", Float),  # pure-DP epsilon (NULL for zCDP)
    Column("rho", Float, nullable=False),  # zCDP rho (epsilon^2/2 for pure)
    Column("description", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_privacy_ledger_dataset", "dataset"),
)
