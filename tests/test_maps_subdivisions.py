"""tipnet.maps.subdivisions: the vendored first-level subdivisions of the 35 member states."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pycountry

from tipnet.maps.subdivisions import SUBDIVISION_FILE, by_code, neighbours, polygons, subdivisions

OAS_A2 = set("AG AR BS BB BZ BO BR CA CL CO CR CU DM DO EC SV US GD GT GY HT HN JM MX NI PA PY PE KN LC VC SR TT UY VE"
             .split())


def test_all_35_states_are_there_and_every_code_is_iso_3166_2() -> None:
    subs = subdivisions()
    assert {s.country for s in subs} == OAS_A2
    unknown = [s.code for s in subs if pycountry.subdivisions.get(code=s.code) is None]
    assert unknown == []
    assert len({s.code for s in subs}) == len(subs)


def test_hand_counted_states() -> None:
    # 32 Mexican states (31 + Mexico City), 27 Brazilian units (26 + DF), 33 in Colombia (32 + Bogotá D.C.),
    # 26 in Peru (24 departments + Callao + Lima Province), 10 Haitian departments.
    counts = {c: len(subdivisions(c)) for c in ("MX", "BR", "CO", "PE", "HT")}
    assert counts == {"MX": 32, "BR": 27, "CO": 33, "PE": 26, "HT": 10}
    assert {"MX-CMX", "CO-DC", "PE-LMA", "PE-CAL", "BR-DF", "GT-01", "GT-22"} <= set(by_code())


def test_shipped_size_is_well_under_ten_megabytes() -> None:
    size = len(resources.files("tipnet.maps").joinpath("data", SUBDIVISION_FILE).read_bytes())
    assert size < 2_000_000


def test_names_in_four_languages() -> None:
    cdmx = by_code()["MX-CMX"]
    assert cdmx.name("en") == "Mexico City" and cdmx.name("es") == "Ciudad de México"
    assert by_code()["CO-DC"].name("es") == "Bogotá"
    assert all(set(s.names) == {"en", "es", "fr", "pt"} for s in subdivisions("BR"))


def test_neighbours_from_shared_arcs_inside_and_across_borders() -> None:
    assert neighbours("MX-AGU") == {"MX-JAL", "MX-ZAC"}
    assert neighbours("MX-CMX") == {"MX-MEX", "MX-MOR"}
    # Petén: Alta Verapaz and Izabal at home; Campeche, Tabasco, Chiapas in Mexico; Cayo, Orange Walk, Toledo in Belize
    assert neighbours("GT-17") == {"GT-16", "GT-18", "MX-CAM", "MX-TAB", "MX-CHP", "BZ-CY", "BZ-OW", "BZ-TOL"}
    assert {"MX-CHH", "MX-COA", "MX-NLE", "MX-TAM"} <= neighbours("US-TX")


def test_polygons_are_closed_and_where_they_belong() -> None:
    rings = [r for poly in polygons("MX-JAL") for r in poly]
    assert all(np.allclose(r[0], r[-1]) for r in rings)
    pts = np.concatenate(rings)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    # Jalisco spans about 105.7-101.5 W, 18.9-22.8 N
    assert -106.0 < lo[0] < -105.3 and -101.8 < hi[0] < -101.2
    assert 18.7 < lo[1] < 19.2 and 22.5 < hi[1] < 23.0


def test_border_areas_from_the_geometry() -> None:
    from tipnet.maps.subdivisions import border_areas

    mx = border_areas("MX")
    # six states on the US border, Chiapas, Tabasco and Campeche on Guatemala's, Quintana Roo (and Campeche) on Belize's
    assert set(mx) == {"MX-BCN", "MX-SON", "MX-CHH", "MX-COA", "MX-NLE", "MX-TAM", "MX-CHP", "MX-TAB", "MX-CAM",
                       "MX-ROO"}
    assert mx["MX-BCN"] == {"US-CA", "US-AZ"}  # Baja California meets Arizona at the Colorado river
    assert {"GT-17", "BZ-OW"} <= mx["MX-CAM"]
    assert border_areas("TT") == {} and border_areas("JM") == {}  # island states have no land border
