"""Releases through the store: create, audit, publish; the package (Frictionless, Parquet, SDMX-CSV, methodology);
immutability; differencing across releases of growing data; the public portal and the CLI."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tipnet.auth import records
from tipnet.auth.principal import Principal, Via, system
from tipnet.auth.publishers import PublisherSources
from tipnet.auth.roles import Role
from tipnet.cli.release import release_app
from tipnet.disclosure import ledger
from tipnet.disclosure.cells import TableSpec
from tipnet.disclosure.dp import DPParams
from tipnet.disclosure.kanon import KAnonParams
from tipnet.disclosure.release import ReleaseError, Releases
from tipnet.disclosure.spec import ReleaseSpec
from tipnet.ingest.pipeline import ImportOptions, import_file

HEADER = ["record_id", "case_id", "role", "sex", "age", "identification_date", "citizenship", "forms_of_exploitation",
          "exploitation_country", "consent_share_hub"]
PER = Principal(via=Via.SESSION, user_id=None, email="analyst.per@test", role=Role.ANALYST, country="PER")
TABLES = (TableSpec.parse("year,sex"), TableSpec.parse("year,age_group"), TableSpec.parse("sex,form_group"))


def _write(path: Path, n: int, seed: int, prefix: str) -> Path:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(n):
            sex = rng.choice(["female"] * 5 + ["male"] * 3 + ["other"])
            w.writerow([f"{prefix}{i}", f"C{prefix}{i}", "victim", sex,
                        rng.choice([12, 16, 19, 25, 33, 41, 52, ""]), f"{rng.choice([2020, 2021, 2022])}-03-01",
                        rng.choice(["VEN", "PER", "COL", "BOL"]),
                        rng.choice(["sexual_exploitation", "forced_labour", "sexual_exploitation;forced_labour", ""]),
                        "PER", "true"])
    return path


def _import_shared(path: Path, db, settings) -> int:  # type: ignore[no-untyped-def]
    """Import a PER file of consented victims and share it with the hub, whose releases these are."""
    report = import_file(path, db, ImportOptions(country="PER"), settings)
    assert report.submission_id is not None
    records.set_shared(db, PER, report.submission_id, True)
    return report.rows_accepted


@pytest.fixture
def store(db, settings, tmp_path):
    assert _import_shared(_write(tmp_path / "a.csv", 90, 1, "A"), db, settings) == 90
    return Releases(db, PublisherSources(db), settings.home, system("test"))


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_threshold_release_package_audit_publish(store):
    spec = ReleaseSpec("Victims 2020-2022", "threshold", TABLES + (TableSpec.parse("country,year"),))
    plan = store.plan(spec)
    assert plan["suppression"]["audit"]["passed"]
    rel = store.create(spec)
    assert rel["status"] == "draft" and rel["version"] == 1
    folder = Path(rel["package_path"])
    assert {f["path"] for f in rel["files"]} >= {"datapackage.json", "methodology.md", "data/year_sex.csv",
                                                 "data/year_sex.parquet", "sdmx/VC_HTF_DETV.csv"}
    for t in spec.tables:
        rows = _csv(folder / "data" / f"{t.name}.csv")
        for r in rows:
            if r["status"] == "confidential":
                assert r["victims"] == ""
            else:
                assert not 1 <= int(r["victims"]) <= 4
        parquet = pq.read_table(folder / "data" / f"{t.name}.parquet").to_pylist()
        assert [("" if p["victims"] is None else str(p["victims"])) for p in parquet] == [r["victims"] for r in rows]
    sdmx = _csv(folder / "sdmx" / "VC_HTF_DETV.csv")
    assert sdmx and set(sdmx[0]) >= {"DATAFLOW", "REF_AREA", "TIME_PERIOD", "SEX", "AGE", "OBS_VALUE", "OBS_STATUS",
                                     "CONF_STATUS"}
    assert {r["REF_AREA"] for r in sdmx} == {"604"} and {r["SERIES"] for r in sdmx} == {"VC_HTF_DETV"}
    assert all((r["OBS_VALUE"] == "") == (r["CONF_STATUS"] == "C") for r in sdmx)
    from frictionless import Package

    report = Package(str(folder / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    note = (folder / "methodology.md").read_text(encoding="utf-8")
    assert "threshold 5" in note and "secondary suppression" in note.lower()

    audit = store.audit(rel["id"])
    assert audit["passed"], audit
    published = store.publish(rel["id"])
    assert published["status"] == "published" and published["content_sha256"] == rel["content_sha256"]


def test_published_release_is_immutable(store):
    rel = store.publish(store.create(ReleaseSpec("T", "threshold", TABLES[:1]))["id"])
    with pytest.raises(ReleaseError, match="already published"):
        store.publish(rel["id"])
    for stmt in ("UPDATE releases SET title = 'changed'", "DELETE FROM releases",
                 "DELETE FROM release_cells", "UPDATE release_files SET sha256 = 'x'",
                 f"INSERT INTO release_cells (release_id, table_name, cell_key, status, value) "
                 f"VALUES ({rel['id']}, 'x', '[]', 'published', 1)"):
        with pytest.raises(sa.exc.DBAPIError):
            with store.db.engine.begin() as conn:
                conn.execute(sa.text(stmt))
    # a changed file on disk is caught by the audit and never served
    path = Path(rel["package_path"]) / "data" / "year_sex.csv"
    path.chmod(0o644)
    path.write_text(path.read_text(encoding="utf-8").replace("confidential", "published"), encoding="utf-8")
    audit = store.audit(rel["id"])
    assert not audit["passed"] and audit["checks"][0]["detail"] == ["changed: data/year_sex.csv"]


def test_release_of_one_more_victim_does_not_reveal_her(store, settings, tmp_path):
    first = store.publish(store.create(ReleaseSpec("first", "threshold", TABLES))["id"])
    extra = tmp_path / "b.csv"
    with extra.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerow(["NEW1", "CNEW", "victim", "female", 15, "2021-05-05", "VEN", "sexual_exploitation", "PER", "true"])
    assert _import_shared(extra, store.db, settings) == 1
    second = store.create(ReleaseSpec("second", "threshold", TABLES))
    assert second["version"] == 2
    assert store.audit(second["id"])["passed"]
    for t in TABLES:
        a = {tuple(r[d] for d in t.dims): r["victims"] for r in _csv(Path(first["package_path"]) / "data" /
                                                                     f"{t.name}.csv")}
        b = {tuple(r[d] for d in t.dims): r["victims"] for r in _csv(Path(second["package_path"]) / "data" /
                                                                     f"{t.name}.csv")}
        for key in a.keys() & b.keys():
            if a[key] and b[key] and key != ("_all",) * len(t.dims):
                assert int(b[key]) - int(a[key]) in (0,) or int(b[key]) - int(a[key]) >= 5, (t.name, key)
    store.publish(second["id"])


def test_dp_release_spends_budget_and_is_refused_past_it(store):
    spec = ReleaseSpec("dp", "dp", TABLES[:1], dp=DPParams(measure="zcdp", budget=0.3, years=(2019, 2023)))
    with pytest.raises(ledger.BudgetExceeded, match="no privacy budget"):
        store.create(spec)
    ledger.set_budget(store.db, "victims", rho=0.5)
    plan = store.plan(spec)
    assert plan["allowed"] and plan["dp"]["rho"] == pytest.approx(0.3)
    rel = store.create(spec)
    assert store.audit(rel["id"])["passed"]
    rows = _csv(Path(rel["package_path"]) / "data" / "year_sex.csv")
    assert len(rows) == 6 * 5 and all(int(r["lower"]) <= int(r["victims"]) <= int(r["upper"]) for r in rows)
    with pytest.raises(ledger.BudgetExceeded, match="budget exceeded"):
        store.create(spec)
    from tipnet.disclosure import repo

    assert [r["id"] for r in repo.list_releases(store.db)] == [rel["id"]]  # the refused draft is gone
    assert not store.plan(spec)["allowed"]


def test_kanon_release(store):
    rel = store.create(ReleaseSpec("extract", "kanon", kanon=KAnonParams(k=5, max_suppression=0.6)))
    assert store.audit(rel["id"])["passed"]
    rows = _csv(Path(rel["package_path"]) / "data" / "extract.csv")
    groups: dict[tuple, int] = {}
    for r in rows:
        key = tuple(r[q] for q in ("sex", "age", "citizenship", "year", "country_of_exploitation"))
        groups[key] = groups.get(key, 0) + 1
    assert rows and min(groups.values()) >= 5
    with pytest.raises(ValueError, match="released on its own"):
        ReleaseSpec("x", "kanon", TABLES)


def test_public_portal_shows_published_releases_only(store):
    from tipnet.web.app import create_app
    from tipnet.web.routes_releases import router

    app = create_app(store.db)
    app.include_router(router)
    client = TestClient(app)
    draft = store.create(ReleaseSpec("draft", "threshold", TABLES[:1]))
    assert client.get("/releases.json").json() == {"releases": []}
    assert client.get(f"/releases/{draft['id']}.json").status_code == 404
    assert client.get(f"/releases/{draft['id']}/files/datapackage.json").status_code == 404
    pub = store.publish(store.create(ReleaseSpec("public", "threshold", TABLES[1:2]))["id"])
    listed = client.get("/releases.json").json()["releases"]
    assert [r["id"] for r in listed] == [pub["id"]]
    assert "domains" not in listed[0]["summary"]
    page = client.get(f"/releases/{pub['id']}")
    assert page.status_code == 200 and pub["content_sha256"] in page.text
    detail = client.get(f"/releases/{pub['id']}.json").json()
    assert detail["content_sha256"] == pub["content_sha256"] and "threshold" in detail["methodology"]
    got = client.get(f"/releases/{pub['id']}/files/data/year_age_group.csv")
    assert got.status_code == 200 and got.text.startswith("year,age_group,victims,status")
    assert client.get(f"/releases/{pub['id']}/files/../../etc/passwd").status_code == 404
    body = client.get("/releases/999.json").json()
    assert body["error"]["code"] == "not-found"


def test_cli(store, tmp_path):
    runner = CliRunner()
    url = ["--db", store.db.url]
    out = runner.invoke(release_app, ["budget", "victims", "--rho", "1", "--json", *url])
    assert out.exit_code == 0, out.output
    out = runner.invoke(release_app, ["plan", "-m", "dp", "-t", "sex", "--rho", "0.2", "--json", *url])
    assert out.exit_code == 0 and json.loads(out.output)["allowed"]
    out = runner.invoke(release_app, ["create", "-t", "year,sex", "--json", *url])
    assert out.exit_code == 0, out.output
    rid = json.loads(out.output)["id"]
    out = runner.invoke(release_app, ["audit", str(rid), "--json", *url])
    assert out.exit_code == 0 and json.loads(out.output)["passed"]
    out = runner.invoke(release_app, ["publish", str(rid), *url])
    assert out.exit_code == 0 and "published" in out.output
    out = runner.invoke(release_app, ["publish", str(rid), "--json", *url])
    assert out.exit_code == 1 and json.loads(out.output)["error"]["code"] == "release-refused"
    out = runner.invoke(release_app, ["create", "-m", "dp", "-t", "sex", "--rho", "5", "--json", *url])
    assert out.exit_code == 1 and "budget exceeded" in json.loads(out.output)["error"]["message"]


def test_cli_and_portal_import_no_dp_or_solver_libraries():
    import subprocess
    import sys

    code = ("import sys, tipnet.cli.release, tipnet.web.routes_releases, tipnet.disclosure\n"
            "bad = [m for m in ('opendp', 'scipy', 'frictionless') if m in sys.modules]\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_two_stores_sharing_one_home_never_collide(store, settings, tmp_path):
    """Release ids restart with each store: a second store using the same home (a demo next to a test store) gets
    release 1 again. Its package goes to its own folder, the first store's package is untouched, and both stay
    verifiable."""
    from tipnet.store import Database

    spec = ReleaseSpec("Victims 2020-2022", "threshold", TABLES)
    first = store.create(spec)
    before = {f["path"]: f["sha256"] for f in first["files"]}
    other_db = Database(f"sqlite:///{tmp_path / 'other.db'}")
    other_db.upgrade()
    try:
        assert _import_shared(_write(tmp_path / "b.csv", 70, 2, "B"), other_db, settings) == 70
        other = Releases(other_db, PublisherSources(other_db), settings.home, system("test")).create(spec)
        assert (other["id"], other["version"]) == (first["id"], first["version"])
        assert other["package_path"] != first["package_path"]
        assert Path(other["package_path"]).name.startswith(Path(first["package_path"]).name + "-")
        assert {f["path"]: f["sha256"] for f in first["files"]} == before
        for rel in (first, other):
            on_disk = {p.relative_to(rel["package_path"]).as_posix()
                       for p in Path(rel["package_path"]).rglob("*") if p.is_file()}
            assert on_disk == {f["path"] for f in rel["files"]}
        with Path(other["package_path"], "data", "year_sex.csv").open(encoding="utf-8") as fh:
            assert sum(int(r["victims"] or 0) for r in csv.DictReader(fh) if r["year"] != "_all"
                       and r["sex"] != "_all") <= 70
    finally:
        other_db.dispose()
