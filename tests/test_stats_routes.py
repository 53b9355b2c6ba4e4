"""Statistics and routes against a small fixture whose figures were counted by hand (see the CSV), and against
the real GLOTIP workbook."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.routes import RouteFilter, border_crossings, corridors, country_roles, flows, glotip_flows, legs, summary
from tipnet.stats import CubeSpec, StatsSource
from tipnet.stats.cube import ALL
from tipnet.stats.figures import glotip, perpetrators, victims

FIX = Path(__file__).parent / "fixtures"
POPULATION = Path(__file__).resolve().parents[1] / "src" / "tipnet" / "stats" / "data" / "population.csv"


@pytest.fixture
def source(db, settings) -> StatsSource:
    report = import_file(FIX / "stats_small.csv", db, ImportOptions(country="PER"), settings)
    assert report.rows_accepted == 8
    return StatsSource(db)


def _cells(rows, *dims):
    return {tuple(r[d] for d in dims): r["victims"] for r in rows}


def test_victims_by_year_sex_age_with_margins(source):
    rows = victims(source, CubeSpec(("year", "sex", "age_group")))
    cells = _cells(rows, "year", "sex", "age_group")
    assert cells[(ALL, ALL, ALL)] == 6
    assert cells[("2020", ALL, ALL)] == 3 and cells[("2021", ALL, ALL)] == 3
    assert cells[(ALL, "female", ALL)] == 4 and cells[(ALL, "male", ALL)] == 2
    assert cells[(ALL, ALL, "minor")] == 2 and cells[(ALL, ALL, "adult")] == 3 and cells[(ALL, ALL, "unknown")] == 1
    assert cells[("2021", "male", "minor")] == 1
    assert len({tuple(r[d] == ALL for d in ("year", "sex", "age_group")) for r in rows}) == 8  # 2^3 grouping sets


def test_a_victim_with_two_forms_counts_once_in_margins(source):
    rows = victims(source, CubeSpec(("year", "form")))
    cells = _cells(rows, "year", "form")
    assert cells[(ALL, "sexual_exploitation")] == 3
    assert cells[(ALL, "forced_labour")] == 3
    assert cells[(ALL, "child_labour")] == 1
    assert cells[(ALL, "not_recorded")] == 1
    assert cells[(ALL, ALL)] == 6  # not 8: the form cells add up to pairs, the margin counts victims
    assert cells[("2020", ALL)] == 3 and cells[("2020", "sexual_exploitation")] == 2
    groups = _cells(victims(source, CubeSpec(("form_group",))), "form_group")
    assert groups == {("sexual",): 3, ("labour",): 3, ("not_recorded",): 1, (ALL,): 6}  # V4 is one labour victim


def test_rates_per_100k_use_the_population_table(source):
    rows = victims(source, CubeSpec(("country", "year"), margins=False))
    with POPULATION.open(encoding="utf-8") as fh:
        pop = {(r["Country Code"], r["Year"]): float(r["Value"]) for r in csv.DictReader(fh)}
    r2020 = next(r for r in rows if r["year"] == "2020")
    assert r2020["rate_per_100k"] == pytest.approx(3 / pop[("PER", "2020")] * 1e5, abs=1e-4)
    assert "World Bank" in r2020["population_source"]


def test_perpetrators(source):
    rows = perpetrators(source, ("year",))
    assert {r["year"]: (r["prosecuted"], r["convicted"]) for r in rows} == {"2020": (1, 1), "2021": (1, 0)}


def test_routes_flows_legs_and_roles(source):
    assert summary(source) == {"victims_with_route": 6, "domestic": 2, "transnational": 4, "with_transit": 3,
                               "domestic_share": pytest.approx(2 / 6, abs=1e-4),
                               "transnational_share": pytest.approx(4 / 6, abs=1e-4)}
    got = {(f["origin"], f["destination"]): (f["victims"], f["minors"], f["via_transit"]) for f in flows(source)}
    assert got == {("VEN", "PER"): (2, 1, 2), ("PER", "PER"): (2, 0, 0), ("BOL", "PER"): (1, 1, 0),
                   ("COL", "PER"): (1, 0, 1)}
    assert {(f["origin"], f["destination"]) for f in flows(source, min_victims=2)} == {("VEN", "PER"), ("PER", "PER")}
    got_legs = {(g["from_country"], g["to_country"]): g["victims"] for g in legs(source)}
    assert got_legs == {("VEN", "COL"): 2, ("COL", "ECU"): 2, ("ECU", "PER"): 2, ("COL", "PER"): 1, ("BOL", "PER"): 1}
    roles = {r["country"]: r for r in country_roles(source)}
    assert (roles["VEN"]["as_origin"], roles["BOL"]["as_origin"], roles["COL"]["as_origin"]) == (2, 1, 1)
    assert (roles["COL"]["as_transit"], roles["ECU"]["as_transit"]) == (2, 2)
    assert (roles["PER"]["as_destination"], roles["PER"]["domestic"]) == (4, 2)
    assert roles["ECU"]["roles"] == ["transit"]


def test_border_crossings_use_neighbours(source):
    only_some = {"VEN": frozenset({"COL"}), "COL": frozenset({"VEN"}), "BOL": frozenset({"PER"})}
    got = {(g["from_country"], g["to_country"]) for g in border_crossings(source, neighbours=lambda: only_some)}
    assert got == {("VEN", "COL"), ("BOL", "PER")}


def test_corridor_ranking(source):
    ranked = corridors(source)
    assert [(r["origin"], r["destination"]) for r in ranked][0] == ("VEN", "PER")  # largest, and a child among them
    top = ranked[0]
    assert top["victims"] == 2 and top["child_share"] == 0.5 and top["rank"] == 1


def test_route_filter_by_country_and_year(source):
    f = RouteFilter(country="ECU", year_from=2021)
    assert {(x["origin"], x["destination"]) for x in flows(source, f)} == {("COL", "PER")}


@pytest.fixture(scope="module")
def glotip_source(tmp_path_factory):
    from conftest import GLOTIP

    from tipnet.settings import Settings
    from tipnet.store import Database

    if not GLOTIP.exists():
        pytest.skip("shared GLOTIP data not present")
    tmp = tmp_path_factory.mktemp("gs")
    db = Database(f"sqlite:///{tmp / 'g.db'}")
    db.upgrade()
    import_file(GLOTIP, db, ImportOptions(), Settings.from_env(home=tmp / "home"))
    return StatsSource(db)


def test_glotip_origins_of_victims_detected_in_argentina(glotip_source):
    arg_2018 = glotip_flows(glotip_source, destination="ARG", year=2018, min_victims=5)
    got = {(f["origin"], f["victims"]) for f in arg_2018}
    # UNODC GLOTIP workbook, Argentina 2018, detected victims by citizenship (values >= 5)
    assert {("BOL", 531), ("PRY", 132), ("PER", 41), ("DOM", 22), ("ARG", 738)} <= got
    censored = [f for f in glotip_flows(glotip_source, destination="ARG") if f["censored"]]
    assert censored and all(f["victims"] is None and (f["victims_min"], f["victims_max"]) == (1, 4) for f in censored)
    assert not [f for f in glotip_flows(glotip_source, destination="ARG", min_victims=5) if f["censored"]]


def test_glotip_totals_and_rates(glotip_source):
    rows = glotip(glotip_source, ("year",), filters={"country": "USA"})
    y2019 = next(r for r in rows if r["year"] == "2019")
    assert y2019["victims"] == 8375 and y2019["rate_per_100k"] is not None
    by_sex = {r["sex"]: r["victims"] for r in glotip(glotip_source, ("sex",), filters={"country": "USA", "year": 2019})}
    assert by_sex["female"] == 6931


@pytest.mark.parametrize("dims", [("year",), ("year", "sex"), ("country", "year", "age_group"), ("year", "form_group"),
                                  ("citizenship", "year")])
def test_glotip_figures_have_one_row_per_key_with_a_filter_on_a_requested_dimension(glotip_source, dims):
    rows = glotip(glotip_source, dims, filters={"year": 2018, "country": "ARG"})
    keys = [tuple(r[d] for d in dims) for r in rows]
    assert rows and len(keys) == len(set(keys))
    assert {r["year"] for r in rows} == {"2018"} and {r["country"] for r in rows} == {"ARG"}
