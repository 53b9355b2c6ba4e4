"""One row per key through every face: `tipnet stats` (--json, --csv) and /api/stats (JSON, CSV), over the
hand-counted fixture imported through the real pipeline. Expected figures are counted in plain Python from the
fixture's CSV (the same count the cube's property test uses), never by the code under test."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from auth_helpers import signed_in_client
from test_stats_cube_properties import ALL, PLAIN, expected_rows
from typer.testing import CliRunner

from tipnet.cli import app
from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.web.app import create_app

FIXTURE = Path(__file__).parent / "fixtures" / "stats_small.csv"
runner = CliRunner()

# (dimensions, filters) as a user asks them; the first is the reported case (every row came twice)
REQUESTS = [
    (("year", "sex"), {"year": 2020}),
    (("year", "sex"), {}),
    (("sex", "year"), {"year": 2021, "country": "PER"}),
    (("form", "year"), {"year": 2020}),
    (("form_group", "sex"), {"country": "PER"}),
    (("country", "year", "age_group"), {"country": "PER"}),
]


def _persons() -> list[dict[str, Any]]:
    """The fixture's rows as stored person fields, read without the importer."""
    with FIXTURE.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [{"role": r["role"], "reporting_country": "PER", "identification_year": int(r["identification_date"][:4]),
             "sex": r["sex"] or None, "is_minor": int(r["age"]) < 18 if r["age"] else None,
             "citizenship": r["citizenship"] or None, "exploitation_country": r["exploitation_country"] or None,
             "forms_of_exploitation": r["forms_of_exploitation"]} for r in rows]


def _check(rows: list[dict[str, Any]], dims: tuple[str, ...], filters: dict[str, Any]) -> None:
    keys = [tuple(str(r[d]) for d in dims) for r in rows]
    assert len(keys) == len(set(keys)), "a key appears twice"
    got = {k: int(r["victims"]) for k, r in zip(keys, rows, strict=True)}
    assert got == expected_rows(_persons(), dims, filters, margins=True)
    for i, d in enumerate(dims):  # a margin against its cells: a sum, or between the largest cell and the sum
        for key, total in got.items():
            cells = [n for k, n in got.items() if key[i] == ALL != k[i]
                     and all(k[j] == key[j] for j in range(len(dims)) if j != i)]
            if cells:
                assert (total == sum(cells)) if d in PLAIN else (max(cells) <= total <= sum(cells))


def test_the_fixture_count_is_what_the_hand_count_says():
    # stats_small.csv by hand: 2020 has V1 (female), V2 (female), V3 (male)
    assert expected_rows(_persons(), ("year", "sex"), {"year": 2020}, True) == {
        ("2020", "female"): 2, ("2020", "male"): 1, ("2020", ALL): 3}


@pytest.fixture
def db_url(tmp_path, sqlite_db, settings):
    import_file(FIXTURE, sqlite_db, ImportOptions(country="PER"), settings)
    return str(sqlite_db.engine.url)


def _cli_args(dims: tuple[str, ...], filters: dict[str, Any], url: str) -> list[str]:
    args = ["stats", "--by", ",".join(dims), "--db", url]
    if "year" in filters:
        args += ["--year", str(filters["year"])]
    if "country" in filters:
        args += ["--country", filters["country"]]
    return args


@pytest.mark.parametrize(("dims", "filters"), REQUESTS)
def test_cli_json_and_csv(db_url, dims, filters):
    out = runner.invoke(app, [*_cli_args(dims, filters, db_url), "--json"])
    assert out.exit_code == 0, out.output
    _check(json.loads(out.stdout), dims, filters)
    out = runner.invoke(app, [*_cli_args(dims, filters, db_url), "--csv"])
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    _check(rows, dims, filters)
    # summing the CSV's finest cells gives the victims once (for dimensions that hold one value per victim)
    if not set(dims) & {"form", "form_group"}:
        finest = [int(r["victims"]) for r in rows if ALL not in (r[d] for d in dims)]
        assert sum(finest) == len([p for p in _persons() if p["role"] == "victim"
                                   and all(str(p["identification_year"]) == str(v) for k, v in filters.items()
                                           if k == "year")])


@pytest.fixture
def client(sqlite_db, settings):
    import_file(FIXTURE, sqlite_db, ImportOptions(country="PER"), settings)
    return signed_in_client(create_app(sqlite_db, settings), sqlite_db, "analyst", "PER")[0]


@pytest.mark.parametrize(("dims", "filters"), REQUESTS)
def test_api_json_and_csv(client, dims, filters):
    query = "&".join([f"by={','.join(dims)}", *(f"{k}={v}" for k, v in filters.items())])
    doc = client.get(f"/api/stats?{query}").json()
    assert doc["dimensions"] == list(dims)
    _check(doc["rows"], dims, filters)
    text = client.get(f"/api/stats?{query}&format=csv").text
    _check(list(csv.DictReader(io.StringIO(text))), dims, filters)
