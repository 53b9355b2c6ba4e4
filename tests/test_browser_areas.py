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
