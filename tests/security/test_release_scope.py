"""Finding 3 of the outside probe: `tipnet release create -t country,year` then `publish` put figures of a country
whose submissions were never shared with the hub (COL 2015 = 24) and a PER total of every PER record (1,459) where
the hub may see 765 consented victims. A release is now built only from what its publisher may see."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tipnet.auth import records
from tipnet.auth.principal import Principal, Via
from tipnet.auth.roles import Role
from tipnet.cli.release import release_app
from tipnet.ingest.pipeline import ImportOptions, import_file

HEADER = ["record_id", "case_id", "role", "sex", "age", "identification_date", "consent_share_hub"]
runner = CliRunner()


def _file(path: Path, prefix: str, year: int, consented: int, refused: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(consented + refused):
            w.writerow([f"{prefix}{i}", f"C{prefix}{i}", "victim", "female" if i % 3 else "male", 20 + i % 30,
                        f"{year}-0{1 + i % 9}-01", "true" if i < consented else "false"])
    return path


def _load(db, settings, path: Path, country: str, share: bool) -> None:  # type: ignore[no-untyped-def]
    report = import_file(path, db, ImportOptions(country=country), settings)
    assert report.rows_quarantined == 0 and report.submission_id is not None
    if share:
        focal = Principal(via=Via.SESSION, user_id=None, email=f"focal.{country}@test", role=Role.FOCAL_POINT,
                          country=country)
        records.set_shared(db, focal, report.submission_id, True)


@pytest.fixture
def url(sqlite_db, settings, tmp_path) -> list[str]:
    # PER shared one file (20 consented victims, 12 who did not consent) and kept another (15) to itself;
    # COL never shared its 24 victims of 2015
    _load(sqlite_db, settings, _file(tmp_path / "per-shared.csv", "PS", 2021, 20, 12), "PER", share=True)
    _load(sqlite_db, settings, _file(tmp_path / "per-own.csv", "PO", 2022, 15, 0), "PER", share=False)
    _load(sqlite_db, settings, _file(tmp_path / "col.csv", "CO", 2015, 24, 0), "COL", share=False)
    return ["--db", str(sqlite_db.url)]


def _run(*args: str) -> dict:  # type: ignore[type-arg]
    out = runner.invoke(release_app, [*args, "--json"])
    assert out.exit_code == 0, out.output
    return json.loads(out.output)


def _published(url: list[str], *options: str) -> dict[tuple[str, str], str]:
    rel = _run("create", "-t", "country,year", *options, *url)
    assert _run("publish", str(rel["id"]), *url)["status"] == "published"
    with (Path(rel["package_path"]) / "data" / "country_year.csv").open(encoding="utf-8", newline="") as fh:
        return {(r["country"], r["year"]): r["victims"] for r in csv.DictReader(fh)}


def test_the_hubs_release_counts_shared_consented_records_only(url):
    cells = _published(url)
    assert cells[("PER", "_all")] == "20"  # the probe saw every PER record counted
    assert cells[("_all", "_all")] == "20"
    assert not any(country == "COL" for country, _ in cells)  # the probe saw COL 2015 = 24
    assert not any(year in ("2015", "2022") for _, year in cells)


def test_the_plan_says_what_the_release_is_built_from(url):
    plan = _run("plan", "-t", "country,year", *url)
    assert plan["built_from"] == {"publisher": "hub", "rule": "records shared with the hub and consented",
                                  "victims": 20, "victims_in_store": 71,
                                  "line": "built from: records shared with the hub and consented, 20 of 71 victims "
                                          "in the store"}
    text = " ".join(runner.invoke(release_app, ["plan", "-t", "country,year", *url]).output.split())
    assert "built from: records shared with the hub and consented, 20 of 71 victims in the store" in text
    national = _run("plan", "-t", "year", "--publisher", "per", *url)["built_from"]
    assert national["line"] == "built from: country PER's own records, 47 victims"


def test_a_country_publishes_its_own_records_only(url):
    cells = _published(url, "--publisher", "PER")
    assert cells[("PER", "_all")] == "47" and cells[("_all", "_all")] == "47"
    assert (cells[("PER", "2021")], cells[("PER", "2022")]) == ("32", "15")
    assert not any(country == "COL" for country, _ in cells)
    assert _published(url, "--publisher", "COL")[("_all", "_all")] == "24"


def test_the_package_names_its_publisher(url):
    rel = _run("create", "-t", "year", *url)
    assert rel["summary"]["publisher"] == "hub"
    note = (Path(rel["package_path"]) / "methodology.md").read_text(encoding="utf-8")
    assert "Publisher: hub; built from records shared with the hub and consented." in note


@pytest.mark.parametrize("publisher", ["XXX", "", "all"])
def test_an_unknown_publisher_is_refused(url, publisher):
    out = runner.invoke(release_app, ["plan", "-t", "year", "--publisher", publisher, "--json", *url])
    assert out.exit_code == 1 and "publisher" in json.loads(out.output)["error"]["message"]
