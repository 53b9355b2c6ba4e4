"""The vulnerable-areas page in Chromium: Mexico's 32 states drawn from the store; no state under 5 victims carries a
number in the page or in the map file; no script, no CSP violation. Screenshots at 390 and 1366 px, en and es."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from auth_helpers import make_user
from browser_support import screenshot, sign_in

from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.maps.area_figures import THRESHOLD

SHOTS = Path(os.environ.get("TIPNET_AREA_SHOTS", "/tmp/shots-areas"))


def _mexico(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """State n (INEGI number) gets n % 9 victims recruited there: 0..8, so some under 5 and some over."""
    from tipnet.ingest.subdivisions import resolve_subdivision

    rows = ["record_id,case_id,sex,age,identification_date,forms_of_exploitation,recruitment_country,"
            "recruitment_subdivision"]
    counts: dict[str, int] = {}
    k = 0
    for n in range(1, 33):
        code = resolve_subdivision("MEX", f"{n:02d}")
        assert code is not None
        counts[code] = n % 9
        for _ in range(n % 9):
            k += 1
            rows.append(f"M{k},C{k},female,{15 + k % 20},2023-04-01,sexual_exploitation,MEX,{n:02d}")
    f = tmp_path / "mexico.csv"
    f.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return f, counts



def test_mexicos_states_drawn_without_small_numbers(browser, server, sqlite_db, settings, tmp_path):
    f, counts = _mexico(tmp_path)
    assert import_file(f, sqlite_db, ImportOptions(country="MEX"), settings).rows_accepted == sum(counts.values())
    shown = {c: n for c, n in counts.items() if n >= 5}
    hidden = {c for c, n in counts.items() if 0 < n < 5}
    # n % 9 for n = 1..32: residues 1-5 occur 4 times, 6-8 and 0 three times: 4 + 3 * 3 = 13 shown, 4 * 4 = 16 hidden
    assert len(shown) == 13 and len(hidden) == 16
    account = make_user(sqlite_db, "analyst", "MEX")
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    page = ctx.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in(page, server, account, "/areas/MEX")  # once: a TOTP code is never accepted twice
    for width, lang in ((1366, "en"), (390, "en"), (1366, "es"), (390, "es")):
        page.set_viewport_size({"width": width, "height": 900})
        page.set_extra_http_headers({"Accept-Language": lang})
        started = time.monotonic()
        page.goto(f"{server}/areas/MEX")
        page.wait_for_function("document.getElementById('area-map').complete "
                               "&& document.getElementById('area-map').naturalWidth > 0")
        elapsed = time.monotonic() - started
        print(f"areas page with Mexico's 32 states, {width}px {lang}: {elapsed:.2f} s")  # noqa: T201
        table = page.inner_text("#areas")
        for code in shown:
            assert code in table
        for code in hidden:
            assert code not in table
        svg = page.request.get(f"{server}/areas/MEX/map.svg?lang={lang}").text()
        assert len(re.findall(r'<g id="subdivision-MX-', svg)) == 32
        for code in hidden:
            fill = re.search(rf'<g id="subdivision-{code}">\s*<path[^>]*style="fill: ([^;"]+)', svg)
            assert fill and fill.group(1).startswith("url(#"), code  # hatched "fewer than 5", no class colour
        assert page.locator("script:not([src])").count() == 0 and violations == []
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"areas-MEX-{width}-{lang}.png"), full_page=True)
        screenshot(page, f"areas-MEX-{width}-{lang}")
    ctx.close()


ROUTES = Path(__file__).parent / "fixtures" / "areas_routes.csv"
SMALL = range(1, THRESHOLD)


def _json_counts(doc: dict) -> list[int]:  # type: ignore[type-arg]
    """Every victims count the page's JSON twin publishes, in every table and layer."""
    out = [r["victims"] for r in doc["rows"]]
    for key in ("flows", "borders", "hotspots"):
        out += [r["victims"] for r in doc.get(key, [])]
    out += [r["children"] for r in doc.get("flows", []) if r["children"] is not None]
    return out


def test_layers_drawn_without_anything_under_five(browser, server, sqlite_db, settings):
    """Peru's subdivisions with the routes, border-area and hotspot layers (tests/fixtures/areas_routes.csv, counted
    by hand in tests/test_area_routes.py): what is under 5 is neither drawn nor written in the map file or page."""
    assert import_file(ROUTES, sqlite_db, ImportOptions(country="PER"), settings).rows_accepted == 37
    account = make_user(sqlite_db, "analyst", "PER")
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    page = ctx.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in(page, server, account, "/areas/PER")
    expected = {
        "flows": ("areaflow", {"BO-L-PE-PUN", "VE-V-COL-ECU-PE-LMA", "PE-CUS-PE-MDD", "PE-TAC-CL-AP"}),
        "borders": ("borderarea", {"PE-TAC-CHL", "PE-PUN-BOL"}),
        "hotspots": ("hotspot", None),
    }
    for layer, (prefix, want) in expected.items():
        for width, lang in ((1366, "en"), (390, "en"), (1366, "es"), (390, "es")):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{server}/areas/PER?layer={layer}&event=exploitation&lang={lang}")
            page.wait_for_function("document.getElementById('area-map').complete "
                                   "&& document.getElementById('area-map').naturalWidth > 0")
            src = page.get_attribute("#area-map", "src")
            svg = page.request.get(f"{server}{src}").text()
            drawn = set(re.findall(rf'<g id="{prefix}-([^"]+)"', svg))
            doc = page.request.get(f"{server}/areas/PER.json?layer={layer}&event=exploitation").json()
            if layer == "hotspots":
                assert sorted(h["victims"] for h in doc["hotspots"]) == [5, 5, 6, 7]
                assert drawn == {h["cell"] for h in doc["hotspots"]}
            else:
                assert drawn == want, layer
            assert not set(_json_counts(doc)) & set(SMALL), layer
            body = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
            assert "PE-TUM" not in body and "EC-O" not in body  # Tumbes -> El Oro: 4 victims
            assert page.locator("script:not([src])").count() == 0 and violations == []
            assert page.evaluate("document.documentElement.scrollWidth") <= width + 1  # nothing overflows
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"areas-PER-{layer}-{width}-{lang}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{server}/areas/OAS?layer=borders&lang=es")  # every member state, border areas ranked together
    page.wait_for_function("document.getElementById('area-map').complete "
                           "&& document.getElementById('area-map').naturalWidth > 0")
    assert [c.strip() for c in page.locator("#area-borders tbody tr td:nth-child(2) small").all_inner_texts()] == [
        "CL-AP", "PE-TAC", "VE-V", "BO-L", "PE-PUN"]
    page.screenshot(path=str(SHOTS / "areas-OAS-borders-1366-es.png"), full_page=True)
    ctx.close()
