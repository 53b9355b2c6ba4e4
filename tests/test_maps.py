"""tipnet.maps: vendored geometry, neighbours from shared arcs, static maps, the >= 5 victims rule, offline HTML."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from importlib import resources
from pathlib import Path

import pytest

from tipnet.maps import (
    Flow,
    border_map,
    border_point,
    centroid,
    choropleth,
    countries,
    flow_map,
    html_map,
    map_spec,
    neighbours,
    publishable_crossings,
    publishable_flows,
    region_bounds,
)
from tipnet.maps.topology import arcs, features, topology

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
CARIBBEAN = {"ATG", "KNA", "DMA", "GRD", "LCA", "VCT", "BRB", "BHS", "TTO"}
RATES = {"PER": 2.8, "BOL": 3.1, "CHL": 0.9, "ECU": 1.9, "COL": 2.2, "BRA": 0.6, "ARG": 1.7, "MEX": 1.2,
         "GTM": 3.4, "USA": 0.5, "CAN": 0.3, "TTO": 2.9, "BRB": 0.4, "VEN": None}
FLOWS = [Flow("VEN", "COL", 120), Flow("HND", "USA", 80, ("GTM", "MEX")), Flow("PER", "PER", 90),
         Flow("PER", "ECU", 5), Flow("BOL", "CHL", 4), Flow("PRY", "PRY", 4)]
CROSSINGS = {("GTM", "MEX"): 55, ("MEX", "USA"): 120, ("PER", "CHL"): 5, ("COL", "VEN"): 4}


def _static(*parts: str) -> Path:
    return Path(str(resources.files("tipnet").joinpath(*parts)))


# --- vendored assets -------------------------------------------------------------------------------------------------

def test_vendored_assets_are_present_pinned_and_licensed():
    data = _static("maps", "data", "countries-50m.json")
    web = _static("web", "static", "vendor", "countries-50m.json")
    assert hashlib.sha256(data.read_bytes()).digest() == hashlib.sha256(web.read_bytes()).digest()
    assert _static("web", "static", "vendor", "d3.min.js").read_text()[:60].startswith("// https://d3js.org v7.9.0")
    assert _static("web", "static", "vendor", "topojson-client.min.js").stat().st_size > 5000
    for lic in ("d3.LICENSE", "topojson-client.LICENSE", "world-atlas.LICENSE"):
        assert "Permission to use, copy, modify" in _static("web", "static", "vendor", lic).read_text()
    sources = _static("maps", "data", "SOURCES.md").read_text()
    assert "world-atlas" in sources and "2.0.2" in sources and "7.9.0" in sources and "3.1.0" in sources


def test_small_caribbean_states_are_in_the_50m_geometry():
    ids = {g.get("id") for g in topology()["objects"]["countries"]["geometries"]}
    assert {"028", "659", "212", "308", "662", "670", "052", "044", "780"} <= ids
    assert CARIBBEAN <= set(countries())


def test_arcs_are_delta_decoded_and_dequantized():
    topo = topology()
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    raw = topo["arcs"][0]
    first = arcs()[0]
    assert first[0].tolist() == pytest.approx([raw[0][0] * sx + tx, raw[0][1] * sy + ty])
    assert first[1].tolist() == pytest.approx([(raw[0][0] + raw[1][0]) * sx + tx, (raw[0][1] + raw[1][1]) * sy + ty])
    lons = [p[0] for ring in countries()["PER"][0] for p in ring]
    lats = [p[1] for ring in countries()["PER"][0] for p in ring]
    assert -81.5 < min(lons) and max(lons) < -68.5 and -18.5 < min(lats) and max(lats) < 0.1
    ring = countries()["PER"][0][0]
    assert ring[0] == ring[-1]  # closed


# --- neighbours and points -------------------------------------------------------------------------------------------

def test_neighbours_come_from_shared_arcs():
    n = neighbours()
    assert n["PER"] == {"ECU", "COL", "BRA", "BOL", "CHL"}
    assert n["USA"] >= {"CAN", "MEX"}
    assert n["GTM"] >= {"MEX", "BLZ", "HND", "SLV"}
    assert n["HTI"] == {"DOM"} and n["DOM"] == {"HTI"}
    for island in ("JAM", "TTO", "BRB", "CUB", "BHS", *CARIBBEAN):
        assert n[island] == frozenset(), island
    assert all(a in n[b] for a, bs in n.items() for b in bs)  # symmetric


def test_a_shared_border_is_one_arc_walked_both_ways():
    """PER and CHL reference the same arc, one as i and the other as ~i: reversed indices must count."""
    refs = {f.iso3: {r for poly in f.rings for ring in poly for r in ring}
            for f in features() if f.iso3 in ("PER", "CHL")}
    per, chl = refs["PER"], refs["CHL"]
    assert any(~r in chl for r in per if r >= 0) or any(~r in per for r in chl if r >= 0)


def test_centroids_are_inside_the_main_polygon():
    lon, lat = centroid("PER")
    assert -81.4 < lon < -68.6 and -18.4 < lat < 0.0
    lon, lat = centroid("USA")  # contiguous states, not Alaska or Hawaii
    assert -125 < lon < -66 and 24 < lat < 50
    lon, lat = centroid("CHL")  # long and thin: still in Chile
    assert -76 < lon < -66 and -56 < lat < -17
    lon, lat = centroid("FJI")  # crosses the antimeridian
    assert 176 < lon < 180 or -180 < lon < -178


def test_border_points_sit_on_the_shared_border():
    lon, lat = border_point("USA", "MEX")
    assert -117.5 < lon < -97 and 25 < lat < 33
    lon, lat = border_point("HTI", "DOM")
    assert -72.5 < lon < -71.2 and 17.5 < lat < 20
    assert border_point("JAM", "CUB") is None


def test_region_frames():
    assert region_bounds("americas") == (-170.0, -57.0, -30.0, 72.0)
    w, s, e, n = region_bounds("PER")
    assert w < -81.3 and e > -68.7 and s < -18.3 and n > -0.1 and e - w < 40
    with pytest.raises(ValueError):
        region_bounds("ATLANTIS")


# --- the >= 5 victims rule -------------------------------------------------------------------------------------------

def test_flows_under_five_victims_are_not_published():
    kept = publishable_flows([Flow("BOL", "CHL", 4), Flow("PER", "ECU", 5), Flow("PRY", "ARG", 3),
                              Flow("PRY", "ARG", 3)])
    assert [(f.origin, f.destination, f.victims) for f in kept] == [("PRY", "ARG", 6), ("PER", "ECU", 5)]
    assert publishable_crossings({("GTM", "MEX"): 3, ("MEX", "GTM"): 2, ("COL", "VEN"): 4}) == {("GTM", "MEX"): 5}


def test_map_spec_never_carries_small_flows():
    spec = map_spec("flows", flows=FLOWS, title="t")
    assert {(f["origin"], f["destination"]) for f in spec["flows"]} == {
        ("VEN", "COL"), ("HND", "USA"), ("PER", "PER"), ("PER", "ECU")}
    assert "BOL" not in spec["centroids"] and "PRY" not in spec["centroids"]
    assert spec["geometryUrl"] == "/static/vendor/countries-50m.json"
    assert _static("web", "static", "vendor", "countries-50m.json").exists()
    borders = map_spec("borders", crossings=CROSSINGS)
    assert {(c["a"], c["b"]) for c in borders["crossings"]} == {("GTM", "MEX"), ("MEX", "USA"), ("CHL", "PER")}
    assert set(borders["borderPoints"]) == {"GTM|MEX", "MEX|USA", "CHL|PER"}


# --- static maps -----------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("maps")
    files: dict[str, Path] = {}
    for suffix in ("png", "svg"):
        files[f"choropleth.{suffix}"] = choropleth(RATES, out / f"choropleth.{suffix}", title="Victims per 100,000",
                                                   legend="Per 100,000")
        files[f"flows.{suffix}"] = flow_map(FLOWS, out / f"flows.{suffix}", title="Flows")
        files[f"borders.{suffix}"] = border_map(CROSSINGS, out / f"borders.{suffix}", title="Borders")
    return files


def test_static_maps_are_written_as_png_and_svg(rendered):
    for name, path in rendered.items():
        data = path.read_bytes()
        assert len(data) > 30_000, name
        if name.endswith(".png"):
            assert data[:8] == b"\x89PNG\r\n\x1a\n"
        else:
            assert data.lstrip().startswith(b"<?xml") and b"<svg" in data
    svg = rendered["choropleth.svg"].read_text()
    assert svg.count('id="country-') > 30 and 'id="country-PER"' in svg and 'id="country-TTO"' in svg
    assert "<dc:date>" not in svg
    # island states too small to see at this scale get a dot in their class colour; Peru does not need one
    assert {"small-TTO", "small-BRB"} <= set(re.findall(r'id="(small-[A-Z]+)"', svg)) and 'id="small-PER"' not in svg


def test_svg_output_is_deterministic(rendered, tmp_path):
    again = flow_map(FLOWS, tmp_path / "flows.svg", title="Flows")
    assert again.read_bytes() == rendered["flows.svg"].read_bytes()
    again = choropleth(RATES, tmp_path / "choropleth.svg", title="Victims per 100,000", legend="Per 100,000")
    assert again.read_bytes() == rendered["choropleth.svg"].read_bytes()


def test_a_flow_of_four_is_not_drawn_and_one_of_five_is(rendered):
    svg = rendered["flows.svg"].read_text()
    drawn = sorted(re.findall(r'id="(flow-[A-Z-]+)"', svg))
    assert drawn == ["flow-HND-GTM-MEX-USA", "flow-PER-ECU", "flow-VEN-COL"]
    assert re.findall(r'id="(domestic-[A-Z]+)"', svg) == ["domestic-PER"]  # PRY (4, domestic) is not drawn


def test_a_crossing_of_four_is_not_drawn_and_one_of_five_is(rendered):
    svg = rendered["borders.svg"].read_text()
    assert sorted(re.findall(r'id="(crossing-[A-Z-]+)"', svg)) == ["crossing-CHL-PER", "crossing-GTM-MEX",
                                                                   "crossing-MEX-USA"]


def test_unknown_suffix_is_refused(tmp_path):
    with pytest.raises(ValueError, match="png or .svg"):
        choropleth(RATES, tmp_path / "map.gif", title="t", legend="l")


# --- interactive HTML ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def flows_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return html_map("flows", {"flows": FLOWS}, tmp_path_factory.mktemp("html") / "flows.html", title="Flows 2022")


def test_html_map_is_self_contained(flows_html):
    page = flows_html.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert not re.search(r"""url\(\s*["']?https?:""", page, re.I) and "@import" not in page
    assert "<script src" not in page and "<link" not in page
    assert "default-src 'none'" in page  # the browser may not load anything else either
    geometry = re.search(r'<script type="application/json" id="tipnet-geometry">(.*?)</script>', page, re.S)
    assert geometry and json.loads(geometry.group(1))["objects"]["countries"]["type"] == "GeometryCollection"
    spec = json.loads(re.search(r'id="tipnet-spec">(.*?)</script>', page, re.S).group(1))  # type: ignore[union-attr]
    assert len(spec["flows"]) == 4 and all(f["victims"] >= 5 for f in spec["flows"])



def _open(browser, path: Path):
    page = browser.new_page(viewport={"width": 1200, "height": 1300})
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(path.as_uri())
    page.wait_for_selector("body[data-rendered], body[data-error]", timeout=20_000)
    assert page.get_attribute("body", "data-error") is None
    return page, requests, errors


def _hover_flow(page, origin: str) -> str:
    """The tooltip shown when the pointer is on the flow from `origin`."""
    x, y = page.evaluate("""(origin) => {  // a point on the stroke: the bounding box centre of a curve is not on it
        const p = document.querySelector('path.flow[data-origin="' + origin + '"]');
        const pt = p.getPointAtLength(p.getTotalLength() / 2).matrixTransform(p.getScreenCTM());
        return [pt.x, pt.y];
    }""", origin)
    page.mouse.move(x, y)
    return str(page.inner_text("div.tipnet-tooltip"))


@pytest.mark.browser
def test_html_flow_map_in_chromium(browser, flows_html):
    page, requests, errors = _open(browser, flows_html)
    assert page.locator("svg.tipnet-map path.country").count() > 30
    assert page.locator('path.country[data-iso3="TTO"]').count() == 1
    assert page.locator("path.flow").count() == 3  # VEN->COL, HND->...->USA, PER->ECU; BOL->CHL (4) is not there
    assert page.locator('path.flow[data-origin="BOL"]').count() == 0
    assert page.locator('circle.domestic[data-iso3="PER"]').count() == 1
    assert page.locator("circle.domestic").count() == 1
    assert "Venezuela → Colombia: 120 victims" in _hover_flow(page, "VEN")
    assert requests == [flows_html.as_uri()] and errors == []


@pytest.mark.browser
def test_html_choropleth_and_borders_in_chromium(browser, tmp_path):
    chor = html_map("choropleth", {"values": RATES, "legend": "Per 100,000"}, tmp_path / "c.html", title="Rates")
    page, requests, errors = _open(browser, chor)
    per = page.locator('path.country[data-iso3="PER"]').get_attribute("fill")
    ven = page.locator('path.country[data-iso3="VEN"]').get_attribute("fill")
    assert per and per.startswith("#") and ven and ven.startswith("url(#")  # VEN has no value: hatched
    assert page.locator("g.legend text").count() >= 3
    assert page.locator('circle.small-state[data-iso3="BRB"]').count() == 1
    assert requests == [chor.as_uri()] and errors == []
    bord = html_map("borders", {"crossings": CROSSINGS}, tmp_path / "b.html", title="Borders")
    page, requests, errors = _open(browser, bord)
    assert page.locator("circle.crossing").count() == 3 and page.locator("path.border").count() == 3
    assert page.locator('circle.crossing[data-a="COL"]').count() == 0
    assert requests == [bord.as_uri()] and errors == []


# --- languages -------------------------------------------------------------------------------------------------------

def _svg_texts(path: Path) -> list[str]:
    """The texts drawn on an SVG map (matplotlib draws glyphs as paths and keeps each text in a comment)."""
    return re.findall(r"<!-- (.*?) -->", path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("lang", "no_data", "credit", "decimal"), [
    ("en", "No data", "Boundaries: Natural Earth", "."),
    ("es", "Sin datos", "Límites: Natural Earth", ","),
    ("fr", "Pas de données", "Frontières : Natural Earth", ","),
    ("pt", "Sem dados", "Limites: Natural Earth", ","),
])
def test_static_choropleth_speaks_the_report_language(tmp_path, lang, no_data, credit, decimal):
    texts = _svg_texts(choropleth(RATES, tmp_path / "c.svg", title="T", legend="L", lang=lang))
    assert no_data in texts and f"0{decimal}54 – 1{decimal}1" in texts  # class edges as the language writes them
    assert any(t.startswith(credit) for t in texts)
    english = {"No data", "Small state (dot in its colour)"}
    assert lang == "en" or not english & set(texts)


def test_static_flow_and_border_maps_write_names_counts_and_notes_in_the_language(tmp_path, monkeypatch):
    from tipnet.maps import render

    placed: list[str] = []  # country labels are drawn as outlines only: catch them on their way to the placer
    real = render.place_labels
    monkeypatch.setattr(render, "place_labels", lambda ax, points: (placed.extend(t for _, _, t in points),
                                                                     real(ax, points))[1])
    fr = _svg_texts(flow_map(FLOWS, tmp_path / "f.svg", title="Flux", lang="fr"))
    assert {"Pérou", "États-Unis", "Mexique", "Colombie"} <= set(placed) and "Peru" not in placed
    assert {"Victimes détectées", "Pays d'origine", "Pays de destination", "120 victimes"} <= set(fr)
    assert "Les flux de moins de 5 victimes ne sont pas affichés." in fr and "Internes : 90 victimes" in fr
    es = _svg_texts(border_map(CROSSINGS, tmp_path / "b.svg", title="Fronteras", lang="es"))
    assert {"Víctimas que cruzan", "Frontera terrestre compartida", "120 víctimas"} <= set(es)
    big = _svg_texts(border_map({("MEX", "USA"): 12345}, tmp_path / "b2.svg", title="t", lang="pt"))
    assert "12.345" in big and "12.345 vítimas" in big  # Portuguese writes thousands with a dot


def test_map_spec_carries_names_words_and_number_locale_of_the_page():
    pt = map_spec("flows", flows=FLOWS, lang="pt")
    assert pt["names"]["USA"] == "Estados Unidos" and pt["names"]["PER"] == "Peru" and pt["locale"] == "pt-BR"
    assert map_spec("choropleth", values=RATES, lang="pt")["classes"]["labels"][1] == "0,54 – 1,1"
    assert pt["labels"]["victims"] == "{n} vítimas" and pt["labels"]["hidden"] == (
        "Fluxos com menos de {n} vítimas não são mostrados.")
    en = map_spec("borders", crossings=CROSSINGS)
    assert en["names"]["USA"] == "United States" and en["locale"] == "en-US"
    assert en["labels"]["hidden"] == "Borders with fewer than {n} victims are not shown."


@pytest.mark.browser
def test_html_map_in_spanish_in_chromium(browser, tmp_path):
    page_path = html_map("flows", {"flows": FLOWS}, tmp_path / "es.html", title="Flujos", lang="es")
    assert '<html lang="es">' in page_path.read_text(encoding="utf-8")
    page, requests, errors = _open(browser, page_path)
    assert "Honduras → Guatemala → México → Estados Unidos: 80 víctimas" in _hover_flow(page, "HND")
    legend = page.locator("g.legend").text_content() or ""
    assert "Víctimas detectadas" in legend and "Internas: 90 víctimas" in legend and "victims" not in legend
    assert "No se muestran los flujos de menos de 5 víctimas." in (page.locator("svg.tipnet-map").text_content() or "")
    assert requests == [page_path.as_uri()] and errors == []
