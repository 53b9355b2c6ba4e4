"""The compendium of cooperation instruments, the recruiter and travel agency registry, and the search index they
share (on the shared metadata).

`coop_search_docs` holds one row per searchable document (a compendium item, or the public part of an agency) with
accent-folded copies of its title and text. Migration 0004_compendium adds the full-text machinery the table
objects cannot express: on SQLite an FTS5 table kept in step by triggers, on PostgreSQL a generated `tsvector`
column with a GIN index.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from tipnet.store.tables import metadata

_ID = BigInteger().with_variant(Integer, "sqlite")

compendium_items = Table(
    "compendium_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ref", String(96), unique=True),  # stable key of seeded entries, e.g. "treaty:untoc"
    Column("kind", String(32), nullable=False),
    Column("title", Text, nullable=False),
    Column("summary", Text),
    Column("body", Text),
    Column("country", String(3)),  # NULL: international or regional instrument
    Column("year", Integer),
    Column("date", Date),  # adopted, enacted or decided
    Column("language", String(2)),
    Column("source", Text),  # citation or address of the official text
    Column("tags", Text, nullable=False),  # JSON list of "vocabulary:code"
    Column("details", Text, nullable=False),  # JSON object, the kind's own fields
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(254)),
    Index("ix_compendium_items_created", "created_at"),
)

compendium_ratifications = Table(
    "compendium_ratifications",
    metadata,
    Column("item_id", Integer, ForeignKey("compendium_items.id"), nullable=False),
    Column("country", String(3), nullable=False),
    Column("status", String(16), nullable=False),  # signed | ratified | acceded | accepted | denounced
    Column("signed_on", Date),
    Column("ratified_on", Date),  # ratification, accession or acceptance
    Column("in_force_on", Date),
    Column("notes", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("item_id", "country"),
)

coop_search_docs = Table(
    "coop_search_docs",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("source", String(16), nullable=False),  # compendium | registry
    Column("source_id", Integer, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("country", String(3)),
    Column("year", Integer),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("title_folded", Text, nullable=False),
    Column("body_folded", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("source", "source_id", name="uq_coop_search_docs_source"),
    Index("ix_coop_search_docs_kind", "kind"),
    Index("ix_coop_search_docs_country", "country"),
    Index("ix_coop_search_docs_year", "year"),
)

coop_search_tags = Table(
    "coop_search_tags",
    metadata,
    Column("doc_id", _ID, ForeignKey("coop_search_docs.id", ondelete="CASCADE"), nullable=False),
    Column("tag", String(96), nullable=False),
    PrimaryKeyConstraint("doc_id", "tag"),
    Index("ix_coop_search_tags_tag", "tag", "doc_id"),
)

agencies = Table(
    "agencies",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # recruitment | travel
    Column("name", Text, nullable=False),
    Column("other_names", Text),  # trading names, one per line
    Column("country", String(3), nullable=False),
    Column("identifier", String(64)),  # registration or licence number in its country
    Column("licence_status", String(16), nullable=False),  # licensed | suspended | revoked | expired | ...
    Column("licence_authority", Text),
    Column("licence_issued_on", Date),
    Column("licence_expires_on", Date),
    Column("address", Text),
    Column("website", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(254)),
    UniqueConstraint("country", "identifier", name="uq_agencies_country_identifier"),
    Index("ix_agencies_country", "country"),
)

agency_certifications = Table(
    "agency_certifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agency_id", Integer, ForeignKey("agencies.id"), nullable=False),
    Column("scheme", Text, nullable=False),
    Column("issuer", Text),
    Column("issued_on", Date),
    Column("expires_on", Date),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_agency_certifications_agency", "agency_id"),
)

agency_complaints = Table(
    "agency_complaints",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agency_id", Integer, ForeignKey("agencies.id"), nullable=False),
    Column("country", String(3), nullable=False),  # where the complaint was received
    Column("received_on", Date),
    Column("source", Text),  # e.g. labour inspectorate, worker, consulate (never a victim's name)
    Column("summary", Text, nullable=False),
    Column("status", String(16), nullable=False),  # open | substantiated | unsubstantiated | closed
    Column("created_at", DateTime(timezone=True), nullable=False),
    # shown to every country's authorities; otherwise only to the country that recorded it and the hub
    Column("for_all", Boolean, nullable=False, server_default=false()),
    Index("ix_agency_complaints_agency", "agency_id"),
)

agency_sanctions = Table(
    "agency_sanctions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agency_id", Integer, ForeignKey("agencies.id"), nullable=False),
    Column("country", String(3), nullable=False),
    Column("measure", String(32), nullable=False),  # fine | suspension | revocation | closure | conviction | ...
    Column("authority", Text),
    Column("imposed_on", Date),
    Column("until", Date),
    Column("description", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_agency_sanctions_agency", "agency_id"),
)

agency_case_links = Table(
    "agency_case_links",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agency_id", Integer, ForeignKey("agencies.id"), nullable=False),
    Column("person_id", _ID, ForeignKey("persons.id"), nullable=False),  # a perpetrator record
    Column("country", String(3), nullable=False),  # the record's reporting country (copied for the flag)
    Column("case_id", Text),
    Column("roles", Text, nullable=False),  # the record's perpetrator roles that justify the link
    Column("linked_at", DateTime(timezone=True), nullable=False),
    Column("linked_by", String(254)),
    UniqueConstraint("agency_id", "person_id", name="uq_agency_case_links_agency_person"),
    Index("ix_agency_case_links_person", "person_id"),
)

coop_search_state = Table(
    "coop_search_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # one row, id 1
    Column("version", BigInteger, nullable=False),  # grows by one with every change to the search index
)
