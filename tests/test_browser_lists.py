"""Paged lists in real Chromium, on a phone (390 px) and a laptop (1366 px), in English and Spanish: the directory's
245 entries and the hub's submissions come a page at a time, the pager and the filter form take the reader from page
to page and narrow the list with plain links and a GET form (no script), and no list page scrolls sideways.
Screenshots: tests/artifacts/lists-*.png."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from auth_helpers import make_user
from browser_support import screenshot
from test_browser_phone import OVERFLOW, _sign_in
from test_browser_platform import axe_violations
from test_lists import _submission

SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1366, "height": 900}}



@pytest.fixture
def long_lists(sqlite_db) -> None:
    """The demo directory (245 authorities) and 60 submissions from three countries."""
    from tipnet.demo.directory import seed_directory

    seed_directory(sqlite_db)
    with sqlite_db.engine.begin() as conn:
        for i in range(60):
            country = ("PER", "COL", "BOL")[i % 3]
            _submission(conn, country, "records" if i % 2 else "aggregates",
                        f"registro_de_victimas_{country.lower()}_{2020 + i % 5}_{i}.csv", 2020 + i % 5,
                        dt.datetime(2026, 1 + i % 12, 1 + i % 28, 9, 15, tzinfo=dt.UTC))


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(url).query)


def _fits(page: Any, width: int) -> None:
    found = page.evaluate(OVERFLOW)
    assert found["scroll"] <= width, f"{page.url} is wider than {width} px: {found}"


def _rows(page: Any, table: str) -> list[str]:
    return page.eval_on_selector_all(f"#{table} tbody tr", "rows => rows.map(r => r.innerText)")


def test_the_directory_and_submissions_page_and_filter_at_phone_and_laptop_widths(browser, server, sqlite_db,
                                                                                  long_lists):
    for size, viewport in SIZES.items():
        for lang in ("en", "es"):
            page = browser.new_context(viewport=viewport).new_page()
            page.goto(f"{server}/directory?lang={lang}")
            first = _rows(page, "authorities")
            assert len(first) == 25, "the directory comes a page at a time"
            count = page.inner_text(".pager-count")
            assert count == ("Showing 1–25 of 245" if lang == "en" else "Mostrando 1–25 de 245"), count
            _fits(page, viewport["width"])
            if size == "phone":
                assert axe_violations(page) == [], page.url
            screenshot(page, f"lists-directory-{lang}-{viewport['width']}")
            page.click("a.pager-next")
            page.wait_for_url("**page=2**")
            assert _query(page.url)["page"] == ["2"]
            second = _rows(page, "authorities")
            assert len(second) == 25 and not set(first) & set(second)
            assert page.inner_text(".pager-current") == "2"
            # the filter form narrows the list and starts again at page 1; the choice stays in the pager's links
            page.select_option("#directory-filter select[name=country]", "COL")
            page.click("#directory-filter button[type=submit]")
            page.wait_for_url("**country=COL**")
            assert _query(page.url)["country"] == ["COL"] and "page" not in _query(page.url)
            assert all("Colombia" in row for row in _rows(page, "authorities"))
            _fits(page, viewport["width"])

            _sign_in(page, server, make_user(sqlite_db, "hub_analyst"))  # one each: a one-time code is used once
            page.goto(f"{server}/submissions?lang={lang}")
            shown = _rows(page, "submissions")
            assert len(shown) == 25
            assert page.inner_text(".pager-count") == ("Showing 1–25 of 60" if lang == "en" else "Mostrando 1–25 de 60")
            assert "T09:15" not in page.inner_text("#submissions")  # a day in the page's words, not a timestamp
            _fits(page, viewport["width"])
            if size == "phone":
                assert axe_violations(page) == [], page.url
            screenshot(page, f"lists-submissions-{lang}-{viewport['width']}")
            page.fill("#submissions-filter input[name=q]", "bol_2023")
            page.click("#submissions-filter button[type=submit]")
            page.wait_for_url("**q=bol_2023**")
            narrowed = _rows(page, "submissions")
            assert narrowed and all("bol_2023" in row for row in narrowed) and len(narrowed) < 25
            page.context.close()
