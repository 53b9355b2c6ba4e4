"""The public statistics portal in real Chromium: an anonymous visitor reaches it from the menu, sees the published
figures at 390 and 1366 px without sideways scrolling, and axe finds no serious or critical violation."""

from __future__ import annotations

import csv
import random
from pathlib import Path

from browser_support import screenshot
from test_browser_platform import axe_violations

from tipnet.auth import records
from tipnet.auth.principal import Principal, Via, system
from tipnet.auth.publishers import PublisherSources
from tipnet.auth.roles import Role
from tipnet.disclosure.cells import TableSpec
from tipnet.disclosure.release import Releases
from tipnet.disclosure.spec import ReleaseSpec
from tipnet.ingest.pipeline import ImportOptions, import_file

PER = Principal(via=Via.SESSION, email="analyst@per.test", role=Role.ANALYST, country="PER")


def _publish(db, settings, tmp_path: Path) -> dict:  # type: ignore[no-untyped-def, type-arg]
    rng = random.Random(5)
    path = tmp_path / "per.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["record_id", "case_id", "role", "sex", "age", "identification_date", "forms_of_exploitation",
                    "consent_share_hub"])
        for i in range(400):
            w.writerow([f"P{i}", f"C{i}", "victim", rng.choice(["female", "female", "male"]), rng.choice([14, 22, 35]),
                        f"{rng.choice([2022, 2023])}-05-01", rng.choice(["sexual_exploitation", "forced_labour"]),
                        "true"])
    report = import_file(path, db, ImportOptions(country="PER"), settings)
    assert report.submission_id is not None, report.file_error
    records.set_shared(db, PER, report.submission_id, True)
    releases = Releases(db, PublisherSources(db), settings.home, system("test"))
    spec = ReleaseSpec("Victims", "threshold", tuple(TableSpec.parse(t) for t in ("country,year", "country,sex",
                                                                                   "country,age_group")))
    return releases.publish(releases.create(spec)["id"])


def test_portal_renders_in_chromium_at_phone_and_desktop_widths(sqlite_db, settings, tmp_path, server, page):
    rel = _publish(sqlite_db, settings, tmp_path)
    with (Path(rel["package_path"]) / "data" / "country_sex.csv").open(encoding="utf-8", newline="") as fh:
        total = next(int(r["victims"]) for r in csv.DictReader(fh) if r["country"] == "PER" and r["sex"] == "_all")
    page.goto(f"{server}/?lang=es")
    page.click("header nav a[href='/statistics']")  # from the menu, signed out
    page.wait_for_selector("#table-country_sex")
    assert page.locator("#countries a", has_text="Perú").count() == 1
    for width in (390, 1366):
        page.set_viewport_size({"width": width, "height": 900})
        for path in ("/statistics", "/statistics/PER"):
            page.goto(f"{server}{path}?lang=es")
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (path, width)
            assert page.locator("#table-country_sex tr.total td.num").first.inner_text() == str(total)
            assert page.locator("#table-country_sex svg.bar rect").count() >= 2  # the bars are drawn
            screenshot(page, f"public-{path.strip('/').replace('/', '-')}-es-{width}")
            assert axe_violations(page) == [], (path, width)
