"""Case entry: cases (a draft per user until submitted), the consent history of each case and the corrections made
to submitted cases (both append-only).

A submitted case also becomes one submission with one person in the shared `submissions` / `persons` tables, so the
statistics see it; `cases.submission_id` and `cases.person_id` point there. A referral names the service provider
and, when it was chosen from the authority directory, that authority's id (kept as text: no foreign key, the
directory lives in another part of the platform).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, DateTime, ForeignKey, Index, Integer, String, Table, Text

from tipnet.store.tables import metadata

cases = Table(
    "cases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("public_id", String(24), nullable=False, unique=True),  # random: case numbers are not guessable
    Column("country", String(3), nullable=False),  # the entering user's country (tenancy)
    Column("status", String(16), nullable=False),  # draft | submitted
    Column("version", Integer, nullable=False),  # grows by one on every save (stale forms are refused)
    Column("data_json", Text, nullable=False),  # the form as entered
    Column("is_minor", Boolean, nullable=False),
    Column("risk_level", String(16)),
    Column("referral_provider", Text),
    Column("referral_authority_id", String(64)),
    Column("created_by", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("submitted_by", Integer),
    Column("submitted_at", DateTime(timezone=True)),
    Column("submission_id", Integer, ForeignKey("submissions.id")),
    Column("person_id", BigInteger),
    Index("ix_cases_country_status", "country", "status"),
    Index("ix_cases_created_by", "created_by"),
)

case_consents = Table(
    "case_consents",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("item", String(40), nullable=False),  # consent_data_processing, consent_share_hub, ...
    Column("event", String(16), nullable=False),  # given | refused | withdrawn
    Column("given_by", String(32)),  # victim | guardian | legal_representative
    Column("on_date", String(10)),  # the date the person said so (ISO 8601), as recorded
    Column("note", Text),
    Column("recorded_by", Integer, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Index("ix_case_consents_case", "case_id"),
)

case_corrections = Table(
    "case_corrections",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("version", Integer, nullable=False),  # the case's version the correction produced
    Column("fields", Text, nullable=False),  # the corrected fields' names, ";"-joined (never their values)
    Column("reason", Text, nullable=False),  # why, as the person correcting wrote it
    Column("corrected_by", Integer, nullable=False),
    Column("corrected_at", DateTime(timezone=True), nullable=False),
    Index("ix_case_corrections_case", "case_id"),
)
