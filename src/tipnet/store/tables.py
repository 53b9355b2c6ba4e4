"""Table definitions. The `persons` columns are generated from the standard's field list."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.types import TypeEngine

from tipnet.standard import load_standard

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

_TYPES: dict[str, TypeEngine] = {
    "string": Text(),
    "integer": BigInteger(),
    "number": Float(),
    "date": Date(),
    "boolean": Boolean(),
    "country": String(3),
    "country_list": Text(),
    "code": String(64),
    "code_list": Text(),
}

submissions = Table(
    "submissions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # "records" | "aggregates"
    Column("reporting_country", String(3)),
    Column("organisation", Text),
    Column("source_type", String(64)),
    Column("period_start", Date),
    Column("period_end", Date),
    Column("profile", String(64), nullable=False),
    Column("standard_version", String(16), nullable=False),
    Column("filename", Text, nullable=False),
    Column("content_sha256", String(64), nullable=False),
    Column("rows_total", BigInteger, nullable=False),
    Column("rows_accepted", BigInteger, nullable=False),
    Column("rows_quarantined", BigInteger, nullable=False),
    Column("quarantine_path", Text),
    Column("report_json", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # the release date of the edition a file of aggregate figures is (GLOTIP); the later edition wins a cell
    Column("released_on", Date),
    UniqueConstraint("content_sha256"),
)


def _person_columns() -> list[Column]:
    cols: list[Column] = []
    for f in load_standard().fields:
        # a global data set imported by the hub may leave the reporting country unknown (profile option)
        cols.append(Column(f.name, _TYPES[f.type], nullable=not f.required or f.name == "reporting_country"))
    cols.append(Column("raw_values", Text))  # JSON {field: raw cell} of the cells an import could not read
    return cols


persons = Table(
    "persons",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
    Column("source_row", BigInteger, nullable=False),
    *_person_columns(),
    Index("ix_persons_submission", "submission_id"),
    Index("ix_persons_country_year", "reporting_country", "identification_year"),
)

aggregates = Table(
    "aggregates",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
    Column("source_row", BigInteger, nullable=False),
    Column("area_code", String(16)),  # as written in the source
    Column("area_kind", String(16), nullable=False),  # country | subdivision | region | unknown
    Column("country", String(3)),  # ISO 3166-1 alpha-3 when area_kind = country
    Column("area_name", Text),
    Column(
        "indicator", String(32), nullable=False
    ),  # detected_victims | formal_contact | prosecuted | convicted | offences
    Column(
        "dimension", String(32), nullable=False
    ),  # total | form_of_exploitation | citizenship | repatriation
    Column("category", Text),  # as written in the source
    Column("category_code", String(64)),  # resolved: exploitation group, ISO3 origin, or "total"
    Column("category_kind", String(16)),  # total | exploitation | country | own | region | unknown
    Column("sex", String(16), nullable=False),  # female | male | other | unknown | total
    Column("age", String(16), nullable=False),  # minor | adult | unknown | total
    Column("year", Integer, nullable=False),
    Column("value", BigInteger),  # exact count, NULL when censored
    Column("value_min", BigInteger, nullable=False),
    Column("value_max", BigInteger, nullable=False),
    Column("censored", Boolean, nullable=False),
    Column("raw_value", String(32), nullable=False),
    Column("source", String(32)),
    # national statistics tables (migration 0005_aggregate_areas): the first-level subdivision (ISO 3166-2) when
    # area_kind = subdivision; the period a figure covers within its year (month 1-12, quarter 1-4, or the year);
    # the age band as given, with its bounds ("0-17", "18+"); what the figure counts in (count, rate_per_100k)
    Column("subdivision", String(8)),
    Column("period_kind", String(8), nullable=False, server_default="year"),  # year | quarter | month
    Column("period_number", SmallInteger),  # month 1-12 or quarter 1-4; NULL for a year
    Column("age_band", String(16)),
    Column("unit", String(16), nullable=False, server_default="count"),
    # plausibility checks (tipnet.ingest.plausibility): a held figure stays out of statistics until reviewed;
    # `checks` names the checks it failed, `review` how a person released it (confirmed | corrected)
    Column("held", Boolean, nullable=False, server_default=false()),
    Column("checks", String(128)),
    Column("review", String(16)),
    Index("ix_aggregates_country_year", "country", "year"),
    Index("ix_aggregates_submission", "submission_id"),
    Index("ix_aggregates_held", "held"),
)

# One row (id 1): a counter of in-place changes to stored records (a corrected case, a withdrawn consent, an
# updated assistance plan). Imports add submissions, which caches see by themselves; changes inside existing
# submissions bump this, so statistics reload for them too.
store_state = Table(
    "store_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("records_revision", BigInteger, nullable=False),
)

# Which submissions each records revision changed in place (one row per revision and submission, written in the same
# transaction as the change and its `store_state` bump): statistics re-read only those submissions' rows. A revision
# without rows here changed something it did not name, and statistics reload everything for it.
record_changes = Table(
    "record_changes",
    metadata,
    Column("revision", BigInteger, primary_key=True, autoincrement=False),
    Column("submission_id", Integer, primary_key=True, autoincrement=False),
)
