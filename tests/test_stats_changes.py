"""In-place changes reach the statistics base through the change log: each event the store knows (a case
corrected, a consent withdrawn, an assistance plan updated, a held figure released from review, a submission shared
or no longer shared, new submissions by import and by case entry) patches only the submissions it touched, and after
every step the base brought forward holds exactly what a base loaded from scratch holds, in every scope."""

from __future__ import annotations

import random

import pytest
import test_stats_reader
from auth_helpers import make_user
from sqlalchemy import select
from test_cases import ADULT, _complete
from test_stats_reader import SCOPES, SESNSP

from tipnet.auth import records, review
from tipnet.auth.principal import Principal, Via
from tipnet.auth.roles import Role
from tipnet.auth.tenancy import Scope
from tipnet.cases import store as cases
from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.stats import base as stats_base
from tipnet.stats import source as stats_source
from tipnet.store import revision
from tipnet.store.tables import aggregates, persons, record_changes, submissions

EVENTS = ["import", "case", "correct", "correct", "withdraw", "withdraw", "plan", "release", "release", "share",
          "share", "unnamed"]


def _who(db, role: str, country: str | None) -> Principal:  # type: ignore[no-untyped-def]
    acct = make_user(db, role, country)
    return Principal(via=Via.SESSION, user_id=acct.user.id, email=acct.email, role=Role(role), country=country)


def _same(db, incremental: stats_base.StatsBase, where: str) -> None:  # type: ignore[no-untyped-def]
    version = incremental.store_version()
    rebuilt = stats_base.StatsBase(db, stats_source.PERSON_COLUMNS)
    for who in SCOPES:
        scope = Scope.of(who).rows().base
        got, want = incremental.connect(version, scope), rebuilt.connect(version, scope)
        stats_source.load_into(got)
        stats_source.load_into(want)
        for view in ("persons_raw", "aggregates_raw", "victims", "aggregates"):
            q = f"SELECT * FROM {view} ORDER BY id"  # compared as Arrow: tens of thousands of figures per scope
            assert got.sql(q).to_arrow_table().equals(want.sql(q).to_arrow_table()), (where, Scope.of(who).key, view)


def test_every_event_patches_only_its_submissions_and_equals_a_full_rebuild(db, settings, tmp_path):
    if not stats_base.uses_base(db):
        pytest.skip("the base needs a store ADBC can read")
    rng = random.Random(1818)
    ngo = {c: _who(db, "service_provider", c) for c in ("PER", "COL")}
    analyst = {c: _who(db, "analyst", c) for c in ("PER", "COL", "ECU", "MEX")}
    for n, country in enumerate(("PER", "COL", "ECU")):
        path = tmp_path / f"start{n}.csv"
        path.write_text(test_stats_reader.HEADER + test_stats_reader._rows(f"A{n}-", 300, 200), encoding="utf-8")
        assert import_file(path, db, ImportOptions(country=country), settings).rows_accepted
    assert import_file(SESNSP, db, ImportOptions(profile="sesnsp-victimas-fc"), settings).rows_accepted
    with db.engine.begin() as conn:  # figures held by an import's checks, waiting for review
        held = conn.execute(select(aggregates.c.id).order_by(aggregates.c.id).limit(6)).scalars().all()
        conn.execute(aggregates.update().where(aggregates.c.id.in_(held)).values(held=True, review="held"))
    submitted: list[tuple[str, str]] = []  # (country, public id) of cases in the store
    for country in ("PER", "COL", "PER"):
        case, _ = cases.save(db, ngo[country], _complete(ADULT))
        submitted.append((country, cases.submit(db, ngo[country], case.public_id).public_id))

    incremental = stats_base.StatsBase(db, stats_source.PERSON_COLUMNS)
    _same(db, incremental, "start")
    patches: dict[str, int] = {}
    for step in range(24):
        event = EVENTS[step] if step < len(EVENTS) else rng.choice(EVENTS)
        if event == "import":
            country = rng.choice(["PER", "COL", "ECU"])
            path = tmp_path / f"s{step}.csv"
            path.write_text(test_stats_reader.HEADER + test_stats_reader._rows(f"S{step}-", rng.randint(20, 200),
                                                                               rng.randint(0, 150)), encoding="utf-8")
            assert import_file(path, db, ImportOptions(country=country), settings).rows_accepted
        elif event == "case":
            country = rng.choice(["PER", "COL"])
            case, _ = cases.save(db, ngo[country], _complete({**ADULT, "age": str(rng.randint(18, 70))}))
            submitted.append((country, cases.submit(db, ngo[country], case.public_id).public_id))
        elif event in ("correct", "withdraw", "plan"):
            country, public_id = rng.choice(submitted)
            case = cases.get(db, ngo[country], public_id)
            if event == "correct":
                cases.correct(db, ngo[country], public_id, {"age": str(int(case.data["age"]) % 70 + 19),
                                                            "sex": rng.choice(["male", "female"])},
                              "typed from the wrong form", case.version)
            elif event == "withdraw":
                items = rng.choice([["consent_share_hub"], ["consent_share_hub", "consent_data_processing"]])
                cases.withdraw(db, ngo[country], public_id, items, "victim")
            else:
                cases.update_plan(db, ngo[country], public_id, {"plan_medical_needed": "yes",
                                                                "plan_medical_start": case.data["identification_date"]},
                                  case.version)
        elif event == "release":
            with db.engine.connect() as conn:
                still = conn.execute(select(aggregates.c.id).where(aggregates.c.held.is_(True))).scalars().all()
            if not still:
                continue
            review.confirm(db, analyst["MEX"], rng.choice(still), "checked against the source")
        elif event == "share":
            country = rng.choice(["PER", "COL", "ECU", "MEX"])
            with db.engine.connect() as conn:
                sids = conn.execute(select(submissions.c.id).where(submissions.c.reporting_country == country)
                                    ).scalars().all()
            records.set_shared(db, analyst[country], rng.choice(sids), rng.random() < 0.7)
        else:  # a change that names no submission: the base cannot place it and loads everything again
            with db.engine.begin() as conn:
                pid = conn.execute(select(persons.c.id).order_by(persons.c.id).limit(1)).scalar_one()
                conn.execute(persons.update().where(persons.c.id == pid).values(sex=rng.choice(["M", "F"])))
                revision.bump(conn)
        before = (incremental._reloads, incremental._patches)
        _same(db, incremental, f"{step} {event}")
        reloaded, patched = incremental._reloads - before[0], incremental._patches - before[1]
        assert reloaded == (1 if event == "unnamed" else 0), (step, event)  # only what the log cannot place
        if event in ("correct", "withdraw", "plan", "release"):
            assert patched == 1, (step, event)
            patches[event] = patches.get(event, 0) + 1
    assert set(patches) == {"correct", "withdraw", "plan", "release"}


def test_each_writer_logs_the_submission_it_changed(db):
    ngo = _who(db, "service_provider", "PER")
    case, _ = cases.save(db, ngo, _complete(ADULT))
    done = cases.submit(db, ngo, case.public_id)
    with db.engine.connect() as conn:
        start = conn.execute(select(revision.current())).scalar_one()
    fixed = cases.correct(db, ngo, case.public_id, {"sex": "male"}, "wrong box ticked", done.version)
    cases.withdraw(db, ngo, case.public_id, ["consent_share_hub"], "victim")
    cases.update_plan(db, ngo, case.public_id, {"plan_medical_needed": "yes",
                                                "plan_medical_start": fixed.data["identification_date"]})
    with db.engine.connect() as conn:
        now = conn.execute(select(revision.current())).scalar_one()
        logged = conn.execute(select(record_changes.c.revision, record_changes.c.submission_id)
                              .order_by(record_changes.c.revision)).all()
        assert revision.changed_since(conn, start, now) == {done.submission_id}
        assert revision.changed_since(conn, now, now) == set()
    assert [tuple(r) for r in logged] == [(start + i, done.submission_id) for i in (1, 2, 3)]
    with db.engine.begin() as conn:
        unnamed = revision.bump(conn)
    with db.engine.connect() as conn:
        assert revision.changed_since(conn, start, unnamed) is None  # a change the log cannot place
        assert revision.changed_since(conn, unnamed, unnamed) == set()


def test_the_change_log_migration_is_idempotent(db):
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from tipnet.store.tables import metadata

    def migrate(step, target: str) -> None:  # type: ignore[no-untyped-def]
        with db.engine.begin() as conn:
            cfg = db.alembic_config()
            cfg.attributes["connection"] = conn
            step(cfg, target)

    migrate(command.downgrade, "0004_store_state")
    with db.engine.begin() as conn:
        assert not conn.dialect.has_table(conn, "record_changes")
        record_changes.create(conn)  # the table there already (made from the current definitions)
        conn.execute(record_changes.insert().values(revision=1, submission_id=7))
    db.upgrade()
    db.upgrade()
    with db.engine.begin() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert not [d for d in diff if "record_changes" in repr(d)]
        assert [tuple(r) for r in conn.execute(select(record_changes)).all()] == [(1, 7)]  # nothing lost
