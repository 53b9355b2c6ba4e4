"""One analytics base per process, each scope a filter over it: every scope's statistics hold exactly the rows its
own store read held, a country never sees another country's rows, and the base is loaded once for all scopes."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
import test_stats_reader
from conftest import GLOTIP
from sqlalchemy import func, select
from test_stats_reader import SCOPES, _who

from tipnet.auth.roles import Role
from tipnet.auth.sources import SourceCache
from tipnet.auth.tenancy import Scope
from tipnet.errors import Invalid
from tipnet.stats import base as stats_base
from tipnet.stats import source as stats_source
from tipnet.stats.source import StatsSource
from tipnet.store.tables import submissions
from tipnet.store.tables_auth import submission_sharing

store = test_stats_reader.store

VIEWS = ("persons_raw", "aggregates_raw", "victims", "perpetrators", "aggregates", "glotip_figures")


def _content(src: StatsSource) -> dict[str, list[tuple[object, ...]]]:
    con = src.connection()
    return {v: sorted(map(repr, con.execute(f"SELECT * FROM {v}").fetchall())) for v in VIEWS}  # type: ignore[misc]


def test_each_scope_over_the_base_equals_its_own_store_read(store, monkeypatch):
    db = store
    assert stats_base.uses_base(db)
    over_base = {Scope.of(who).key: _content(StatsSource(db, Scope.of(who).rows())) for who in SCOPES}
    monkeypatch.setattr(stats_source, "uses_base", lambda _db: False)  # the per-scope read of the store
    for who in SCOPES:
        rows = Scope.of(who).rows()
        own = _content(StatsSource(db, rows))
        for view in VIEWS:
            assert over_base[rows.key][view] == own[view], (rows.key, view)
    assert len(over_base["country:PER"]["persons_raw"]) == 3000
    assert len(over_base["none"]["persons_raw"]) == 0


def test_a_country_never_sees_another_countrys_rows(store):
    db = store
    cache = SourceCache(db)
    per, col = cache.for_principal(_who(Role.ANALYST, "PER")), cache.for_principal(_who(Role.ANALYST, "COL"))
    for src, country, n in ((per, "PER", 3000), (col, "COL", 2500)):
        rows = src.query("SELECT DISTINCT reporting_country AS c FROM persons_raw")
        assert [r["c"] for r in rows] == [country]
        assert src.query("SELECT count(*) AS n FROM persons_raw")[0]["n"] == n
        assert {r["c"] for r in src.query("SELECT DISTINCT country AS c FROM victims")} == {country}
        subs = {r["s"] for r in src.query("SELECT DISTINCT submission_id AS s FROM aggregates_raw")}
        with db.engine.connect() as conn:
            own = set(conn.execute(select(submissions.c.id).where(
                submissions.c.reporting_country.is_(None) | (submissions.c.reporting_country == country))).scalars())
        assert subs <= own
    # one base for both: the same Arrow table, not a copy per country
    base = stats_base.base_of(db, stats_source.PERSON_COLUMNS)
    assert base.tables(per._version)["persons_all"] is base.tables(col._version)["persons_all"]  # type: ignore[arg-type]
    assert base.tables(per._version)["persons_all"].num_rows == 3000 + 2500  # type: ignore[arg-type]


def test_a_sharing_change_reaches_the_hub_and_only_the_hub(store, monkeypatch):
    db = store
    monkeypatch.setattr(stats_source, "VERSION_TTL_SECONDS", 0.0)
    hub = StatsSource(db, Scope.of(_who(Role.HUB_ANALYST, None)).rows())
    per = StatsSource(db, Scope.of(_who(Role.ANALYST, "PER")).rows())

    def counts() -> tuple[int, int, int]:
        q = "SELECT count(*) AS n FROM persons_raw WHERE reporting_country = ?"
        return (hub.query(q, ["PER"])[0]["n"], hub.query(q, ["COL"])[0]["n"], per.query(q, ["PER"])[0]["n"])

    assert counts() == (0, 0, 3000)  # COL's rows are shared but none consented; PER's are not shared
    with db.engine.begin() as conn:
        sid = conn.execute(select(submissions.c.id).where(submissions.c.reporting_country == "PER")).scalar_one()
        conn.execute(submission_sharing.insert().values(submission_id=sid, shared_with_hub=True, revision=1,
                                                        changed_at=dt.datetime.now(dt.UTC)))
    shared, col, own = counts()
    assert 0 < shared < 3000 and col == 0 and own == 3000  # consenting victims and every perpetrator
    with db.engine.begin() as conn:
        conn.execute(submission_sharing.update().where(submission_sharing.c.submission_id == sid)
                     .values(shared_with_hub=False, revision=2))
    assert counts() == (0, 0, 3000)


@pytest.mark.parametrize("country", ["X' OR '1'='1", "PER'--", "per", "", "PER;"])
def test_a_scope_country_is_a_code_never_sql(country):
    with pytest.raises(Invalid):
        stats_base.base_scope("country", country)


def test_the_incremental_base_equals_a_full_rebuild_after_every_change(db, settings, tmp_path):
    """A seeded random sequence of imports, corrections, consent withdrawals and sharing changes: after each, the
    base brought forward step by step holds what a base loaded from scratch holds, in every scope."""
    import random

    from tipnet.ingest.pipeline import ImportOptions, import_file
    from tipnet.store import revision
    from tipnet.store.tables import persons

    if not stats_base.uses_base(db):
        pytest.skip("the base needs a store ADBC can read")
    rng = random.Random(18)
    scopes = [Scope.of(who).rows().base for who in SCOPES]
    incremental = stats_base.StatsBase(db, stats_source.PERSON_COLUMNS)
    appended = 0
    for step in range(12):
        action = ("glotip", "import", "import")[step] if step < 3 else rng.choice(
            ["import", "import", "correct", "withdraw", "share", "share"])
        with db.engine.begin() as conn:
            ids = conn.execute(select(submissions.c.id).where(submissions.c.kind == "records")).scalars().all()
        if action == "glotip":  # aggregate figures (their editions rank among the submissions holding some)
            assert import_file(GLOTIP, db, ImportOptions(), settings).rows_accepted
        elif action == "import":
            country = rng.choice(["PER", "COL", "ECU"])
            path = tmp_path / f"s{step}.csv"
            path.write_text(test_stats_reader.HEADER + test_stats_reader._rows(f"S{step}-", rng.randint(50, 400),
                                                                               rng.randint(0, 300)), encoding="utf-8")
            assert import_file(path, db, ImportOptions(country=country), settings).rows_accepted > 0
        elif action == "share":
            sid = rng.choice(ids)
            with db.engine.begin() as conn:
                now = dt.datetime.now(dt.UTC)
                done = conn.execute(submission_sharing.update().where(submission_sharing.c.submission_id == sid)
                                    .values(shared_with_hub=~submission_sharing.c.shared_with_hub,
                                            revision=submission_sharing.c.revision + 1, changed_at=now)).rowcount
                if not done:
                    conn.execute(submission_sharing.insert().values(submission_id=sid, shared_with_hub=True,
                                                                    revision=1, changed_at=now))
        else:  # a correction of one person, or a consent withdrawn: in place, with the records revision
            with db.engine.begin() as conn:
                n = conn.execute(select(func.count()).select_from(persons)).scalar_one()
                pid, sid = conn.execute(select(persons.c.id, persons.c.submission_id).order_by(persons.c.id)
                                        .offset(rng.randrange(n)).limit(1)).one()
                values = {"sex": rng.choice(["M", "F", None])} if action == "correct" else {"consent_share_hub": False}
                conn.execute(persons.update().where(persons.c.id == pid).values(**values))
                revision.bump(conn, [sid])
        version = incremental.store_version()
        rebuilt = stats_base.StatsBase(db, stats_source.PERSON_COLUMNS)
        for scope in scopes:
            got, want = incremental.connect(version, scope), rebuilt.connect(version, scope)
            for view in ("persons_raw", "aggregates_raw"):
                q = f"SELECT * FROM {view} ORDER BY id"
                assert got.sql(q).to_arrow_table().equals(want.sql(q).to_arrow_table()), (step, action, scope, view)
        appended = max(appended, len(incremental._persons))
    assert appended > 1  # the sequence did bring the base forward without reloading it
    assert incremental._reloads == 1 and incremental._patches > 0  # changes patched their submissions



def _scope_rows(db, who):  # type: ignore[no-untyped-def]
    """(the base's persons, the hub's or a country's condition over them)."""
    from tipnet.stats import scoped

    src = StatsSource(db, Scope.of(who).rows())
    table = stats_base.base_of(db, stats_source.PERSON_COLUMNS).tables(src.store_version())
    keep, _ = scoped._filters(table, Scope.of(who).rows().base)
    return table["persons_all"], keep


def test_a_scope_holds_its_rows_as_slices_of_the_base_not_a_copy(store, monkeypatch):
    from tipnet.stats import scoped

    with store.engine.begin() as conn:  # PER shared too: the hub's rows are some of each of two submissions
        sid = conn.execute(select(submissions.c.id).where(submissions.c.reporting_country == "PER")).scalar_one()
        conn.execute(submission_sharing.insert().values(submission_id=sid, shared_with_hub=True, revision=1,
                                                        changed_at=dt.datetime.now(dt.UTC)))
    default = scoped.MAX_RUNS
    for who, n in ((_who(Role.ANALYST, "PER"), 3000), (_who(Role.ANALYST, "COL"), 2500),
                   (_who(Role.HUB_ANALYST, None), None)):
        people, keep = _scope_rows(store, who)
        want = people.filter(keep)
        assert n is None or want.num_rows == n
        for max_runs, copied in ((default, False), (0, True)):
            monkeypatch.setattr(scoped, "MAX_RUNS", max_runs)
            before = pa.total_allocated_bytes()
            got = scoped.select_rows(people, keep)
            grew = pa.total_allocated_bytes() - before
            assert got.equals(want), (who.country, max_runs)  # the same rows, in the same order
            assert (grew > 10_000) is copied, (who.country, max_runs, grew)  # slices allocate nothing
            del got


@pytest.mark.parametrize("max_runs", [0, 1])
def test_every_scope_is_exact_when_its_rows_are_copied(store, monkeypatch, max_runs):
    from tipnet.stats import scoped

    monkeypatch.setattr(scoped, "MAX_RUNS", max_runs)  # too many runs to slice: a filtered copy
    test_each_scope_over_the_base_equals_its_own_store_read(store, monkeypatch)
    test_a_country_never_sees_another_countrys_rows(store)


def test_the_base_keeps_each_submissions_rows_together_and_the_hubs_first():
    from tipnet.stats.base import _grouped

    rows = pa.table({"submission_id": [2, 1, 2, 1, 1], "role": [None, "victim", "perpetrator", None, "victim"],
                     "consent_share_hub": [False, True, None, False, None], "n": [0, 1, 2, 3, 4]})
    assert _grouped(rows).column("n").to_pylist() == [1, 3, 4, 2, 0]
    ordered = _grouped(rows)
    assert _grouped(ordered) is ordered  # in order already: not copied
