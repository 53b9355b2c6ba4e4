"""Cooperation network: the directory of authorities (with its change history), the outbox of reminders, and the
register of mutual legal assistance and extradition requests (with their status history).

An authority's fields live in one JSON document (`data`, see `tipnet.coop.directory_model`) next to the columns the
store filters on; every change appends the whole new document to `coop_authority_history`, so nothing is lost.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Table, Text

from tipnet.store.tables import metadata

coop_authorities = Table(
    "coop_authorities",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("country", String(3), nullable=False),
    Column("name", Text, nullable=False),
    Column("competences", Text, nullable=False),  # space-separated codes, also inside `data`
    Column("data", Text, nullable=False),  # JSON: every field, public and restricted
    Column("last_verified", Date, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", Text),
    Column("retired_on", Date),  # set: the authority no longer exists or changed name (0006_directory_retire)
    Column("retired_reason", Text),
    Index("ix_coop_authorities_country", "country"),
)

coop_authority_history = Table(
    "coop_authority_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("authority_id", Integer, ForeignKey("coop_authorities.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("action", String(16), nullable=False),  # create | update | verify | retire | reinstate
    Column("changed_fields", Text, nullable=False),  # JSON list of field names
    Column("data", Text, nullable=False),  # JSON: the whole document after the change
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("changed_by", Text),
    Index("ix_coop_authority_history_authority", "authority_id"),
)

coop_outbox = Table(
    "coop_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),  # directory.stale | request.overdue
    Column("country", String(3), nullable=False),
    Column("object_type", String(32), nullable=False),
    Column("object_id", Integer, nullable=False),
    Column("recipient", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_coop_outbox_object", "object_type", "object_id"),
)

coop_requests = Table(
    "coop_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reference", String(40), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),  # mla | extradition
    Column("requesting_country", String(3), nullable=False),
    Column("requested_country", String(3), nullable=False),
    Column("authority_id", Integer, ForeignKey("coop_authorities.id")),  # the requested state's authority
    Column("measures", Text, nullable=False),  # space-separated codes
    Column("crime", String(48), nullable=False),
    Column("status", String(16), nullable=False),
    Column("language", String(2), nullable=False),
    Column("fields", Text, nullable=False),  # JSON: the wizard's answers (field -> text)
    Column("attachments", Text, nullable=False),  # JSON: attachment slot -> description of what is attached
    Column("case_ids", Text, nullable=False),  # JSON list of case identifiers
    Column("deadline", Date),
    Column("created_by", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # an incoming request received outside tipnet (paper, diplomatic channel), registered by the requested state
    # (0006_directory_retire): the registering country, the requesting state's own reference, the day it arrived
    Column("registered_by", String(3)),
    Column("external_reference", Text),
    Column("received_on", Date),
    Index("ix_coop_requests_requesting", "requesting_country"),
    Index("ix_coop_requests_requested", "requested_country"),
)

coop_request_events = Table(
    "coop_request_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", Integer, ForeignKey("coop_requests.id"), nullable=False),
    Column("from_status", String(16)),
    Column("to_status", String(16), nullable=False),
    Column("note", Text),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", Text),
    Column("actor_country", String(3)),
    Index("ix_coop_request_events_request", "request_id"),
)

coop_request_files = Table(  # files attached to a request (migration 0005_directory_files); never overwritten
    "coop_request_files",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", Integer, ForeignKey("coop_requests.id"), nullable=False),
    Column("slot", String(48), nullable=False),  # the required attachment it answers (judicial_order, ...)
    Column("filename", Text, nullable=False),
    Column("media_type", String(120), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False),
    Column("uploaded_by", Text),
    Index("ix_coop_request_files_request", "request_id"),
)
