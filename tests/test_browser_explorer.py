"""The statistics explorer in real Chromium: the period and breakdown form changes the address (so it can be shared),
the table follows it, its download link carries the same query, and at 390 px nothing scrolls sideways."""

from __future__ import annotations

from pathlib import Path

import pytest
from auth_helpers import make_user
from browser_support import screenshot, sign_in
from test_browser_phone import OVERFLOW

from tipnet.ingest.pipeline import ImportOptions, import_file

FIX = Path(__file__).parent / "fixtures"


@pytest.fixture
def figures(sqlite_db, settings) -> None:
    import_file(FIX / "stats_small.csv", sqlite_db, ImportOptions(country="PER"), settings)


def test_explorer_renders_follows_the_form_and_fits_a_phone(page, server, sqlite_db, figures):
    sign_in(page, server, make_user(sqlite_db, "analyst", "PER"), "/stats")
    page.wait_for_selector("#explorer-form")
    assert "Peru" in page.inner_text("#table-country")  # a country's name, not its code
    page.select_option("#explorer-year", "2021")
    page.check("input[name=by][value=sex]")
    page.click("#explorer-form button[type=submit]")
    page.wait_for_function("() => location.search.includes('year=2021') && !!document.getElementById('table-sex')")
    assert "by=country" in page.url and "by=sex" in page.url
    sex = page.inner_text("#table-sex")
    assert "Female" in sex and "Male" in sex and "Victims by sex, 2021" in sex
    assert "by=sex" in page.get_attribute("#table-sex a.csv", "href")
    assert "year=2021" in page.get_attribute("#table-sex a.xlsx", "href")
    page.goto(f"{server}/countries/PER?year=last&lang=es")
    page.wait_for_selector("#key-figures")
    assert "Cifras clave, 2021" in page.inner_text("#key-figures-heading")
    assert page.locator("#series svg rect.bar").count() == 2
    for path in ("/stats?year=2021&by=country&by=sex", "/countries/PER?from=2020&to=2021", "/routes"):
        for lang in ("en", "es"):
            page.set_viewport_size({"width": 390, "height": 844})
            page.goto(f"{server}{path}{'&' if '?' in path else '?'}lang={lang}")
            page.wait_for_selector("main h1")
            if path == "/routes" and lang == "es":  # the map legend is in the page language too
                page.wait_for_function("() => [...document.querySelectorAll('#border-map svg text')]"
                                       ".some(t => t.textContent === 'Frontera terrestre compartida')")
            found = page.evaluate(OVERFLOW)
            assert found["scroll"] <= 390, (path, lang, found)
            name = f"explorer-{path.strip('/').split('?')[0].replace('/', '-')}-{lang}"
            screenshot(page, f"{name}-390")
            page.set_viewport_size({"width": 1366, "height": 900})
            page.reload()
            page.wait_for_selector("main h1")
            assert page.evaluate(OVERFLOW)["scroll"] <= 1366
            screenshot(page, f"{name}-1366")
