"""Self-assessments: one questionnaire per framework, country and year, and every version of it (same `metadata`).

`assess_versions` is append-only (migration 0004_assess installs triggers refusing UPDATE and DELETE): each save and
each step of the workflow (draft -> submitted -> reviewed -> published) adds a version, so the history is complete.
`assessments` holds where each questionnaire stands now and which version was last published.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from tipnet.store.tables import metadata

assessments = Table(
    "assessments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("framework", String(64), nullable=False),  # framework id
    Column("framework_version", String(32), nullable=False),
    Column("country", String(3), nullable=False),
    Column("year", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # draft | submitted | reviewed | published
    Column("version", Integer, nullable=False),  # the newest version number
    Column("published_version", Integer),  # the version the public sees (NULL: never published)
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("framework", "country", "year", name="uq_assessments_framework_country_year"),
    Index("ix_assessments_country_year", "country", "year"),
)

assessment_versions = Table(
    "assessment_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("assessment_id", Integer, ForeignKey("assessments.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("action", String(16), nullable=False),  # save | import | submit | return | review | publish | reopen
    Column("answers_json", Text, nullable=False),  # {question id: {value, evidence: [urls], note}}
    Column("figures_json", Text),  # base figures frozen at submission (from the country's own data)
    Column("scorecard_json", Text),  # published: the scorecard from disclosure-controlled figures
    Column("comment", Text),
    Column("actor_id", Integer),
    Column("actor", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("assessment_id", "version", name="uq_assessment_versions_assessment_id_version"),
)
