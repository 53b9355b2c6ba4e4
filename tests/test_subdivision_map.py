"""`tipnet map --level subdivision`: static choropleth of victims by subdivision; nothing under 5 victims shown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.maps.subdivision_map import render_subdivision_map, subdivision_choropleth

AREAS = Path(__file__).parent / "fixtures" / "areas_small.csv"


def _fill(svg: str, gid: str) -> str:
    m = re.search(rf'<g id="{re.escape(gid)}">\s*<path[^>]*style="fill: ([^;"]+)', svg)
    assert m, gid
    return m.group(1)


def test_a_country_map_shades_only_subdivisions_of_five_or_more(sqlite_db, settings, tmp_path):
    assert import_file(AREAS, sqlite_db, ImportOptions(country="PER"), settings).rows_accepted == 10
    out = render_subdivision_map(sqlite_db, tmp_path / "per.svg", country="PER")
    svg = out.read_text(encoding="utf-8")
    assert len(re.findall(r'<g id="subdivision-PE-', svg)) == 26  # every Peruvian subdivision is drawn
    cus = _fill(svg, "subdivision-PE-CUS")
    assert cus.startswith("#") and cus != "#ffffff"  # 5 victims: shaded in a class colour
    assert _fill(svg, "subdivision-PE-PUN").startswith("url(#")  # 2 victims: hatched, "fewer than 5"
    assert _fill(svg, "subdivision-PE-LIM").startswith("url(#")  # 1 victim


def test_counts_under_five_leave_no_trace_in_the_file(tmp_path):
    # a suppressed subdivision's count must not change a single byte of the map
    a = subdivision_choropleth({"MX-JAL": 40, "MX-CMX": 12, "MX-ZAC": 2}, tmp_path / "a.svg", title="t", legend="l",
                               country="MEX")
    b = subdivision_choropleth({"MX-JAL": 40, "MX-CMX": 12, "MX-ZAC": 4}, tmp_path / "b.svg", title="t", legend="l",
                               country="MEX")
    assert a.read_bytes() == b.read_bytes()
    c = subdivision_choropleth({"MX-JAL": 40, "MX-CMX": 12, "MX-ZAC": 5}, tmp_path / "c.svg", title="t", legend="l",
                               country="MEX")
    assert c.read_bytes() != a.read_bytes()  # at 5 it is published


def test_the_hemisphere_map_draws_every_member_state_subdivision(tmp_path):
    out = subdivision_choropleth({"BR-SP": 30, "US-TX": 50}, tmp_path / "all.png", title="t", legend="l")
    assert out.stat().st_size > 10_000
    svg = subdivision_choropleth({}, tmp_path / "all.svg", title="t", legend="l").read_text(encoding="utf-8")
    assert len(re.findall(r'<g id="subdivision-', svg)) >= 600


def test_unknown_country_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown (region|country)"):
        subdivision_choropleth({}, tmp_path / "x.svg", title="t", legend="l", country="XYZ")
