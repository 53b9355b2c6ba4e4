"""A real excerpt of the 2025 GLOTIP export with questionnaire codes exported as values (Pakistan, persons convicted
by citizenship, 2019-2021): every row is accounted for, the code-shaped figures are reported and held out of
statistics, every other figure equals the file's, and a person can confirm or correct a held figure (audited).

Expected figures are computed here from the CSV with the csv module, never from the code under test.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import openpyxl
import pytest
from auth_helpers import signed_in_client
from conftest import FIXTURES
from sqlalchemy import select
from typer.testing import CliRunner

from tipnet.auth import review
from tipnet.auth.principal import Principal, Via, operator, system
from tipnet.auth.roles import Role
from tipnet.auth.sources import SourceCache
from tipnet.cli.commands import app as cli
from tipnet.errors import Forbidden, Invalid, NotVisible
from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.stats.figures import glotip
from tipnet.store.tables import aggregates
from tipnet.store.tables_auth import audit_log
from tipnet.web.app import create_app

EXCERPT = FIXTURES / "real" / "glotip_2025" / "data_glotip_2025_excerpt.csv"
CODE = re.compile(r"^Q\d+\.\d+_\d+s_\d{4}$")  # the questionnaire cell identifiers of this export


def _rows() -> list[dict[str, str]]:
    with EXCERPT.open(encoding="utf-8", newline="") as fh:
        lines = fh.read().splitlines()[2:]  # two preamble lines (publisher, release date) above the header
    return list(csv.DictReader(lines))


ROWS = _rows()


def _count(text: str) -> int | None:
    return None if text == "<5" else int(text.replace(",", ""))


# Held, by hand: the 60 rows whose category is a questionnaire code, and the 3 "Nationals" rows whose value is the
# code of the first cell (6,112,019 = Q6.1_1s_2019); nothing else in the excerpt is above a million.
EXPECTED_HELD = {n for n, r in enumerate(ROWS, start=4)
                 if CODE.match(r["Category"]) or (_count(r["txtVALUE"]) or 0) > 1_000_000}


def _as_workbook(tmp: Path, country: str | None = None) -> Path:
    """The excerpt as the UNODC download is shaped: an xlsx sheet, two preamble rows, Year a number, values text."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "data_glotip_1"
    with EXCERPT.open(encoding="utf-8", newline="") as fh:
        for i, r in enumerate(csv.reader(fh)):
            ws.append([int(c) if i >= 3 and j == 9 else c for j, c in enumerate(r)])
    path = tmp / f"data_glotip_2025_excerpt{'_' + country if country else ''}.xlsx"
    wb.save(path)
    return path


@pytest.fixture
def loaded(sqlite_db, settings, tmp_path):
    report = import_file(_as_workbook(tmp_path), sqlite_db, ImportOptions(), settings)
    return sqlite_db, report


def _figures(db, indicator, dims, filters):
    source = SourceCache(db).for_principal(system())
    return glotip(source, dims, indicator, filters)


def test_the_excerpt_is_what_source_md_says():
    assert len(ROWS) == 251
    assert len(EXPECTED_HELD) == 63
    assert sum(1 for r in ROWS if CODE.match(r["Category"])) == 60


def test_every_row_accounted_and_the_code_shaped_figures_held(loaded):
    db, report = loaded
    assert report.profile == "glotip" and report.rows_total == len(ROWS)
    assert report.rows_accepted + report.rows_quarantined == report.rows_total and report.rows_quarantined == 0
    assert report.rows_held == len(EXPECTED_HELD)
    with db.engine.connect() as conn:
        stored = {r.source_row: r for r in conn.execute(select(aggregates))}
    assert len(stored) == len(ROWS)
    assert {n for n, r in stored.items() if r.held} == EXPECTED_HELD
    # reported: a warning with code, row, column and value for every held figure
    warned = {p.row for p in report.problems if p.code in ("code-shaped-category", "code-shaped-value")}
    assert warned == EXPECTED_HELD
    p = next(p for p in report.problems if p.row == 47 and p.code == "code-shaped-value")
    assert (p.column, p.value, p.severity) == ("txtVALUE", "61,102,019", "warning")
    assert "Q6.1_10s_2019" in p.message
    # kept as written
    for n, r in enumerate(ROWS, start=4):
        assert stored[n].raw_value == r["txtVALUE"] and stored[n].category == (r["Category"] or None)


def test_no_statistic_above_a_plausible_bound_and_every_other_figure_as_written(loaded):
    db, _ = loaded
    convicted = _figures(db, "convicted", ("country", "citizenship"), {"country": "PAK", "year": 2019})
    assert all(r["victims_max"] <= 4 for r in convicted)  # nothing but the <5 of the total may remain
    for year in (2019, 2020, 2021, 2022):
        got = _figures(db, "convicted", ("country",), {"country": "PAK", "year": year})
        want = [r for r in ROWS if r["Iso3_code"] == "PAK" and r["Indicator"] == "Persons convicted"
                and r["Dimension"] == r["Sex"] == r["Age"] == "Total" and r["Year"] == str(year)]
        assert len(got) == len(want) == 1
        value = _count(want[0]["txtVALUE"])
        assert (got[0]["victims_min"], got[0]["victims_max"]) == ((value, value) if value is not None else (1, 4))
        assert got[0]["rate_max"] < 1  # per 100,000: convictions, not a quarter of the population
    victims = _figures(db, "detected_victims", ("country", "year"), {"country": "PAK"})
    want = {int(r["Year"]): _count(r["txtVALUE"]) for r in ROWS if r["Iso3_code"] == "PAK"
            and r["Indicator"] == "Detected trafficking victims" and r["Dimension"] == "Total"
            and r["Sex"] == "Total" and r["Age"] == "Total"}
    assert {int(r["year"]): r["victims"] for r in victims} == want
    assert want[2020] == 20_045


def test_confirm_releases_a_figure_and_correct_keeps_the_source_value(loaded):
    db, report = loaded
    me = operator("tester")
    page = review.held_figures(db, me, report.submission_id)
    assert {f["source_row"] for f in page["figures"]} == EXPECTED_HELD and page["may_review"]
    by_row = {f["source_row"]: f for f in page["figures"]}
    nationals_2019 = by_row[46]
    assert nationals_2019["category"] == "Nationals" and nationals_2019["raw_value"] == "6,112,019"
    assert set(nationals_2019["checks"]) == {"code-shaped-value", "implausible-count"}

    done = review.correct(db, me, nationals_2019["id"], "3", reason="court records: 3 convicted nationals")
    assert (done["value"], done["review"], done["raw_value"]) == (3, "corrected", "6,112,019")
    got = _figures(db, "convicted", ("country", "citizenship"), {"country": "PAK", "year": 2019})
    assert [(r["citizenship"], r["victims"]) for r in got] == [("PAK", 3)]
    with pytest.raises(Invalid):
        review.correct(db, me, nationals_2019["id"], "4")  # no longer held
    with pytest.raises(Invalid):
        review.correct(db, me, by_row[47]["id"], "-1")

    review.confirm(db, me, by_row[96]["id"], reason="checked")  # Nationals 2020, 6,112,020 as written
    got = _figures(db, "convicted", ("country", "citizenship"), {"country": "PAK", "year": 2020})
    assert [(r["citizenship"], r["victims"]) for r in got] == [("PAK", 6_112_020)]
    left = review.held_figures(db, me, report.submission_id)["figures"]
    assert len(left) == len(EXPECTED_HELD) - 2
    reviewed = review.held_figures(db, me, report.submission_id, include_reviewed=True)["figures"]
    assert {f["review"] for f in reviewed if f["source_row"] in (46, 96)} == {"corrected", "confirmed"}
    with db.engine.connect() as conn:
        entries = [(r.action, r.object_id, json.loads(r.details)) for r in conn.execute(
            select(audit_log).where(audit_log.c.action.like("aggregates.held.%")).order_by(audit_log.c.seq))]
    changes = [(a, o, d) for a, o, d in entries if a != "aggregates.held.list"]
    assert [(a, int(o)) for a, o, _ in changes] == [("aggregates.held.correct", nationals_2019["id"]),
                                                   ("aggregates.held.confirm", by_row[96]["id"])]
    assert changes[0][2]["before"]["value"] == 6_112_019 and changes[0][2]["after"]["value"] == 3
    assert changes[0][2]["raw_value"] == "6,112,019" and changes[0][2]["reason"].startswith("court records")


def test_only_the_reporting_country_reviews_its_figures(sqlite_db, settings, tmp_path):
    report = import_file(_as_workbook(tmp_path, "PAK"), sqlite_db, ImportOptions(country="PAK"), settings)

    def who(role: Role, country: str | None = None) -> Principal:
        return Principal(via=Via.SESSION, user_id=1, email=f"{role.value}@test", role=role, country=country)

    own, other, hub = who(Role.ANALYST, "PAK"), who(Role.ANALYST, "PER"), who(Role.HUB_ANALYST)
    figure = review.held_figures(sqlite_db, own, report.submission_id)["figures"][0]
    with pytest.raises(NotVisible):
        review.held_figures(sqlite_db, other, report.submission_id)
    with pytest.raises(NotVisible):
        review.confirm(sqlite_db, other, figure["id"])
    assert review.held_figures(sqlite_db, hub, report.submission_id)["figures"] == []  # not shared with the hub
    with pytest.raises(NotVisible):
        review.confirm(sqlite_db, hub, figure["id"])
    with pytest.raises(Forbidden):
        review.held_figures(sqlite_db, who(Role.SERVICE_PROVIDER, "PAK"), report.submission_id)
    assert review.confirm(sqlite_db, own, figure["id"])["review"] == "confirmed"


def test_cli_lists_confirms_and_corrects(loaded, monkeypatch):
    db, report = loaded
    monkeypatch.setenv("TIPNET_DB", str(db.engine.url))
    runner = CliRunner()
    out = runner.invoke(cli, ["review", "list", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == [{"submission_id": report.submission_id, "held": len(EXPECTED_HELD)}]
    out = runner.invoke(cli, ["review", "list", "--submission", str(report.submission_id), "--json"])
    figures = json.loads(out.output)["figures"]
    ids = {f["source_row"]: f["id"] for f in figures}
    out = runner.invoke(cli, ["review", "confirm", str(ids[47]), str(ids[48]), "--json"])
    assert out.exit_code == 0, out.output
    out = runner.invoke(cli, ["review", "correct", str(ids[49]), "--value", "<5", "--json"])
    assert out.exit_code == 0 and json.loads(out.output)["censored"] is True
    out = runner.invoke(cli, ["review", "correct", str(ids[49]), "--value", "2", "--json"])
    assert out.exit_code == 1 and json.loads(out.output)["error"]["code"] == "invalid-request"
    out = runner.invoke(cli, ["review", "list", "--json"])
    assert json.loads(out.output)[0]["held"] == len(EXPECTED_HELD) - 3


def test_web_page_lists_held_figures_with_its_json_twin(loaded):
    db, report = loaded
    client, _ = signed_in_client(create_app(db), db, "hub_analyst")
    data = client.get(f"/submissions/{report.submission_id}/review.json").json()
    assert {f["source_row"] for f in data["figures"]} == EXPECTED_HELD and data["may_review"] is True
    html = client.get(f"/submissions/{report.submission_id}/review")
    assert html.status_code == 200 and "Q6.1_10s_2019" in html.text and "61,102,019" in html.text
    client, _ = signed_in_client(create_app(db), db, "analyst", "PER")
    r = client.get(f"/submissions/{report.submission_id}/review.json")
    assert r.status_code == 404  # a public return is the hub's: a country's users do not see its submission
