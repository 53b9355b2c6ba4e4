"""Below the country level, on a hand-counted fixture (tests/fixtures/areas_routes.csv, 37 victims reported by Peru):
subnational routes, border areas ranked for prevention, H3 hotspots, and the analyst's filters. Nothing under 5
victims is publishable.

  A  6  Cusco -> Madre de Dios            3 children + 3 adults; 2 in 2022, 4 in 2023; 4 + 2 at two points
  B 10  La Paz (BOL) -> Puno              adults; 5 in 2022 (Juliaca), 5 in 2023 (Puno city)
  C  4  Tumbes -> El Oro (ECU)            adults, 2023
  D  7  Zulia (VEN) -> COL -> ECU -> Lima Metropolitana   adults, 2023, one point
  E  1  Lima -> Lima                      adult, 2023
  F  6  Tacna -> Arica y Parinacota (CHL) children, 2023, forced labour
  G  3  Puno -> Cusco                     adults, 2023, forced labour, one point
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import h3
import pytest

from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.maps.area_borders import crossings, ranked
from tipnet.maps.area_flows import AreaFlow, legs, microdata_flows, publishable_flows
from tipnet.maps.area_query import AreaFilter
from tipnet.maps.hotspots import FINEST, Hotspot, finest_cells, hotspots, publishable_hotspots

ROUTES = Path(__file__).parent / "fixtures" / "areas_routes.csv"


@pytest.fixture
def peru(sqlite_db, settings):
    assert import_file(ROUTES, sqlite_db, ImportOptions(country="PER"), settings).rows_accepted == 37
    return sqlite_db


def test_subnational_flows_counted_by_hand(peru):
    flows = {(f.origin, f.transit, f.destination): (f.victims, f.minors) for f in microdata_flows(peru, "PER")}
    assert flows == {
        ("PE-CUS", (), "PE-MDD"): (6, 3), ("BO-L", (), "PE-PUN"): (10, 0), ("PE-TUM", (), "EC-O"): (4, 0),
        ("VE-V", ("COL", "ECU"), "PE-LMA"): (7, 0), ("PE-LIM", (), "PE-LIM"): (1, 0),
        ("PE-TAC", (), "CL-AP"): (6, 6), ("PE-PUN", (), "PE-CUS"): (3, 0)}
    # Chile sees only the flow that ends there
    assert [(f.origin, f.destination, f.victims) for f in microdata_flows(peru, "CHL")] == [("PE-TAC", "CL-AP", 6)]


def test_flows_under_five_are_not_publishable_and_small_child_counts_are_withheld(peru):
    shown = publishable_flows(microdata_flows(peru, "PER"))
    assert [(f.origin, f.destination, f.victims, f.minors) for f in shown] == [
        ("BO-L", "PE-PUN", 10, 0), ("VE-V", "PE-LMA", 7, 0), ("PE-CUS", "PE-MDD", 6, None),  # 3 children: withheld
        ("PE-TAC", "CL-AP", 6, 6)]
    assert legs(microdata_flows(peru, "PER")) == [
        ("BO-L", "PE-PUN", 10), ("COL", "ECU", 7), ("ECU", "PE-LMA", 7), ("VE-V", "COL", 7),
        ("PE-CUS", "PE-MDD", 6), ("PE-TAC", "CL-AP", 6)]


def test_legs_come_only_from_published_flows():
    # two flows of 3 share the leg X -> Y: the leg's 6 would publish victims of flows under 5
    flows = [AreaFlow("PE-PUN", "PE-LIM", ("BOL",), 3), AreaFlow("PE-CUS", "PE-LIM", ("BOL",), 3)]
    assert legs(flows) == []


def test_filters_narrow_every_layer(peru):
    children = AreaFilter(age_group="minor")
    assert {(f.origin, f.destination): f.victims for f in microdata_flows(peru, "PER", children)} == {
        ("PE-CUS", "PE-MDD"): 3, ("PE-TAC", "CL-AP"): 6}
    labour = AreaFilter(form="forced_labour")
    assert {f.origin for f in microdata_flows(peru, "PER", labour)} == {"PE-TAC", "PE-PUN"}
    assert sum(f.victims for f in microdata_flows(peru, "PER", AreaFilter(year_from=2023, sex="male"))) == 10
    assert sum(f.victims for f in microdata_flows(peru, "PER", AreaFilter(year_to=2022))) == 7
    with pytest.raises(ValueError):
        AreaFilter(sex="x")


def test_border_crossings_placed_only_from_recorded_subdivisions(peru):
    areas, unplaced = crossings(peru, "PER")
    counted = {k: a.victims for k, a in areas.items() if a.victims}
    # B enters Peru from Bolivia into Puno; C leaves Tumbes for Ecuador; F leaves Tacna for Chile. D enters from
    # Ecuador into Lima Metropolitana, not a border area: not placed.
    assert counted == {("PE-PUN", "BOL"): 10, ("PE-TUM", "ECU"): 4, ("PE-TAC", "CHL"): 6}
    assert unplaced == Counter({"ECU": 7})
    assert areas[("PE-PUN", "BOL")].across == ("BO-L",)


def test_border_areas_ranked_with_each_component(peru):
    rows = ranked(peru, "PER")
    # Tacna: volume 6/10, growth (6 - 0) / 1 clamped to 1, all children: 0.5*0.6 + 0.2*1 + 0.3*1 = 0.8
    # Puno: volume 1, growth (5 - 5) / 5 = 0, no children: 0.5. Tumbes (4) is not published.
    assert [(a.rank, a.subdivision, a.neighbour, a.victims, a.volume, a.growth, a.child_share, a.score)
            for a in rows] == [(1, "PE-TAC", "CHL", 6, 0.6, 6.0, 1.0, 0.8),
                               (2, "PE-PUN", "BOL", 10, 1.0, 0.0, 0.0, 0.5)]
    assert all(a.last_year == 2023 for a in rows)
    assert [a.new_last_year for a in rows] == [True, False]  # none crossed at Tacna in 2022


def test_growth_is_measured_on_the_newest_ended_year(peru):
    import datetime as dt

    # on 1 March 2023 the newest ended year is 2022: Puno 5 (none in 2021: new), Tacna 0 (none in 2021 either)
    # Puno: 0.5 * 1 + 0.2 * clamp(5) = 0.7; Tacna: 0.5 * 0.6 + 0.2 * 0 + 0.3 * 1 = 0.6
    rows = ranked(peru, "PER", today=dt.date(2023, 3, 1))
    assert [(a.subdivision, a.last_year, a.growth, a.new_last_year, a.score) for a in rows] == [
        ("PE-PUN", 2022, 5.0, True, 0.7), ("PE-TAC", 2022, 0.0, False, 0.6)]


def test_the_hemisphere_ranks_every_member_states_border_areas_together(peru):
    from tipnet.maps.subdivision_map import member_states

    # each side of a crossing counts for its own state: B left La Paz for Peru, D left Zulia for Colombia, F
    # arrived in Arica y Parinacota from Peru. Volume is relative to the hemisphere's largest (10).
    # Arica and Tacna: 0.5 * 0.6 + 0.2 + 0.3 = 0.8; Zulia: 0.5 * 0.7 + 0.2 (7 new in 2023) = 0.55; La Paz and Puno: 0.5
    rows = ranked(peru, member_states())
    assert [(a.rank, a.subdivision, a.neighbour, a.victims, a.score) for a in rows] == [
        (1, "CL-AP", "PER", 6, 0.8), (2, "PE-TAC", "CHL", 6, 0.8), (3, "VE-V", "COL", 7, 0.55),
        (4, "BO-L", "PER", 10, 0.5), (5, "PE-PUN", "BOL", 10, 0.5)]


def test_a_component_resting_on_under_five_is_withheld_and_scores_nothing(peru):
    # adults only in 2023: Puno has 5 that year and 0 the year before; with a filter to 2023 Tacna's children
    # are 6 and adults 0. With sex=female (B only): Puno 10 victims, growth (5 - 5) / 5 shown.
    rows = ranked(peru, "PER", AreaFilter(year_from=2023))
    puno = next(a for a in rows if a.subdivision == "PE-PUN")
    assert (puno.victims, puno.growth) == (5, 5.0)  # 5 in 2023, 0 in 2022: both publishable
    mixed = ranked(peru, "PER", threshold=7)  # at 7, Puno's 5 a year is under the threshold: growth withheld
    assert [(a.subdivision, a.growth, a.child_share, a.score) for a in mixed] == [("PE-PUN", None, 0.0, 0.5)]


def test_hotspots_from_coarsest_to_finest_never_under_five(peru):
    cells = finest_cells(peru, "PER")
    assert sum(cells.values()) == 6 + 10 + 7 + 3  # C was exploited in Ecuador; E and F have no coordinates
    shown = hotspots(peru, "PER")
    assert all(h.victims >= 5 for h in shown)
    assert sum(h.victims for h in shown) == 6 + 10 + 7  # G's 3 in Cusco are dropped
    by_victims = sorted((h.victims, h.resolution) for h in shown)
    # Lima's 7 at one point and Juliaca's and Puno city's 5 each split down to the finest cells;
    # Puerto Maldonado's 4 + 2 lie in two cells of the finest resolution: published together in their parent
    lima = h3.latlng_to_cell(-12.0464, -77.0428, FINEST)
    assert Hotspot(lima, FINEST, 7) in shown
    assert h3.latlng_to_cell(-15.4997, -70.1333, FINEST) in {h.cell for h in shown}
    pm = h3.latlng_to_cell(-12.5933, -69.1891, FINEST)
    assert h3.latlng_to_cell(-12.7433, -69.1891, FINEST) != pm  # the two points, 17 km apart, in two cells
    assert Hotspot(h3.cell_to_parent(pm, FINEST - 1), FINEST - 1, 6) in shown  # merged up into their parent
    assert by_victims.count((5, FINEST)) == 2


def test_a_cell_is_published_whole_or_split_whole():
    a, b = h3.latlng_to_cell(-12.0, -77.0, 5), h3.latlng_to_cell(-12.3, -77.2, 5)
    assert h3.cell_to_parent(a, 3) == h3.cell_to_parent(b, 3) and a != b
    shown = publishable_hotspots(Counter({a: 9, b: 3}))  # 12 in the coarse cell; splitting would leave a 3
    assert len(shown) == 1 and shown[0].victims == 12 and shown[0].resolution < 5
    assert publishable_hotspots(Counter({a: 4})) == []


def _svg(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_layers_draw_only_what_is_publishable(peru, tmp_path):
    from tipnet.maps.subdivision_map import render_subdivision_map

    flows = _svg(render_subdivision_map(peru, tmp_path / "f.svg", country="PER", kind="flows"))
    drawn = set(re.findall(r'<g id="areaflow-([^"]+)"', flows))
    assert drawn == {"BO-L-PE-PUN", "VE-V-COL-ECU-PE-LMA", "PE-CUS-PE-MDD", "PE-TAC-CL-AP"}  # not C (4), E (local)
    borders = _svg(render_subdivision_map(peru, tmp_path / "b.svg", country="PER", kind="borders", lang="es"))
    assert set(re.findall(r'<g id="borderarea-([^"]+)"', borders)) == {"PE-TAC-CHL", "PE-PUN-BOL"}
    assert len(re.findall(r'<g id="borderline-PE-', borders)) == 9  # Peru's 9 border subdivisions outlined
    hot = _svg(render_subdivision_map(peru, tmp_path / "h.svg", country="PER", kind="hotspots"))
    cells = set(re.findall(r'<g id="hotspot-([0-9a-f]+)"', hot))
    assert cells == {h.cell for h in hotspots(peru, "PER")} and len(cells) == 4
    assert h3.latlng_to_cell(-13.5320, -71.9675, FINEST) not in cells  # Cusco's 3


def test_a_flow_under_five_changes_no_byte_of_the_map(tmp_path):
    from tipnet.maps.area_layers import AreaLayers
    from tipnet.maps.subdivision_map import subdivision_choropleth

    big = AreaFlow("PE-CUS", "PE-MDD", (), 9)
    a = subdivision_choropleth({}, tmp_path / "a.svg", title="t", legend="l", country="PER",
                               layers=AreaLayers(flows=[big]))
    b = subdivision_choropleth({}, tmp_path / "b.svg", title="t", legend="l", country="PER",
                               layers=AreaLayers(flows=[big, AreaFlow("PE-PUN", "PE-LIM", (), 4)]))
    assert a.read_bytes() == b.read_bytes()


def test_tipnet_map_draws_each_layer_with_filters(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from tipnet.cli import app

    monkeypatch.setenv("TIPNET_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert runner.invoke(app, ["import", str(ROUTES), "--country", "PER", "--db", url]).exit_code == 0
    out = tmp_path / "hot.svg"
    done = runner.invoke(app, ["map", "--level", "subdivision", "--kind", "hotspots", "--country", "PER",
                               "--from", "2023", "--sex", "female", "-o", str(out), "--db", url])
    assert done.exit_code == 0, done.output
    # women exploited in Peru in 2023 with coordinates: A's 4 (2 at each point), B's 5 at Puno city, D's 7 in Lima
    # -> Lima's 7 and Puno city's 5 are drawn, Puerto Maldonado's 4 is not
    assert len(re.findall(r'<g id="hotspot-', out.read_text(encoding="utf-8"))) == 2
    borders = tmp_path / "b.svg"
    assert runner.invoke(app, ["map", "--level", "subdivision", "--kind", "borders", "--country", "PER",
                               "--age-group", "minor", "-o", str(borders), "--db", url]).exit_code == 0
    assert set(re.findall(r'<g id="borderarea-([^"]+)"', borders.read_text(encoding="utf-8"))) == {"PE-TAC-CHL"}
    page = tmp_path / "flows.html"
    assert runner.invoke(app, ["map", "--level", "subdivision", "--kind", "flows", "--country", "PER", "--lang", "fr",
                               "-o", str(page), "--db", url]).exit_code == 0
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>") and '<html lang="fr">' in text and "<script" not in text
    assert "Itinéraires entre subdivisions" in text  # the title, in the page's language
    assert set(re.findall(r'<g id="areaflow-([^"]+)"', text)) == {
        "BO-L-PE-PUN", "VE-V-COL-ECU-PE-LMA", "PE-CUS-PE-MDD", "PE-TAC-CL-AP"}
    bad = runner.invoke(app, ["map", "--level", "subdivision", "--kind", "heat", "-o", str(out), "--db", url])
    assert bad.exit_code == 2


def test_a_victim_taken_out_and_back_through_one_border_area_counts_once(sqlite_db, settings, tmp_path):
    f = tmp_path / "round.csv"
    rows = ["record_id,case_id,sex,age,identification_date,forms_of_exploitation,recruitment_country,"
            "recruitment_subdivision,transit_countries,exploitation_country,exploitation_subdivision"]
    rows += [f"R{k},C{k},female,20,2023-05-01,sexual_exploitation,PER,Puno,BOL,PER,Puno" for k in range(5)]
    f.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert import_file(f, sqlite_db, ImportOptions(country="PER"), settings).rows_accepted == 5
    areas, _ = crossings(sqlite_db, "PER")
    assert areas[("PE-PUN", "BOL")].victims == 5  # left Puno for Bolivia and came back through Puno: 5, not 10
