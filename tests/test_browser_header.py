"""The header on a laptop screen (1366 px), in real Chromium: the brand, the signed-in user and the language on one
line, the menu below it on at most two lines, even the longest menu (the hub administrator's) in Spanish, French and
Portuguese; at 390 px it still folds behind the Menu button. The upload form's controls stay inside their card at
every width."""

from __future__ import annotations

from auth_helpers import make_user
from browser_support import screenshot, sign_in

LAPTOP = {"width": 1366, "height": 900}

# the distinct lines (tops, 10 px apart or more) the header's parts sit on, and which line each part is on
LINES = """() => {
  const line = el => Math.round(el.getBoundingClientRect().top);
  const parts = {brand: document.querySelector('header.top .brand'), who: document.querySelector('header.top .who'),
                 lang: document.querySelector('header.top form.lang')};
  const links = [...document.querySelectorAll('header.top nav a')].filter(a => a.getBoundingClientRect().width);
  const rows = tops => tops.sort((a, b) => a - b).filter((t, i, all) => i === 0 || t - all[i - 1] >= 10);
  const navRows = rows(links.map(line));
  const headerRows = rows([...Object.values(parts), ...links].map(line));
  return {nav: navRows.length, header: headerRows.length, links: links.length,
          sameLine: Math.abs(line(parts.brand) - line(parts.who)) < 10
                    && Math.abs(line(parts.who) - line(parts.lang)) < 10,
          scroll: document.documentElement.scrollWidth, width: document.documentElement.clientWidth};
}"""

# form controls that stick out of the card (the form) they belong to
OUTSIDE = """() => [...document.querySelectorAll('main form.form :is(input, select, textarea, button, label)')]
  .filter(el => { const r = el.getBoundingClientRect(), b = el.closest('form').getBoundingClientRect();
                  return r.width && (r.right > b.right + 0.5 || r.left < b.left - 0.5); })
  .map(el => el.tagName.toLowerCase() + (el.name ? '[' + el.name + ']' : ''))"""



def test_the_longest_menu_fits_two_lines_at_1366_px_in_every_language(browser, server, sqlite_db):
    page = browser.new_page(viewport=LAPTOP)
    sign_in(page, server, make_user(sqlite_db, "hub_admin"), "/account")
    for lang in ("en", "es", "fr", "pt"):
        page.goto(f"{server}/?lang={lang}")
        got = page.evaluate(LINES)
        assert got["links"] >= 15, got  # the hub administrator's whole menu is there
        assert got["nav"] <= 2 and got["header"] <= 3 and got["sameLine"], (lang, got)
        assert got["scroll"] <= got["width"], (lang, got)
        if lang == "es":
            screenshot(page, "header-hub-admin-es-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server}/?lang=es")
    assert page.is_visible(".menu-button") and not page.is_visible("header.top nav")
    page.click(".menu-button")
    assert page.is_visible("header.top nav a[href='/admin/audit']")


def test_upload_form_controls_stay_inside_their_card(browser, server, sqlite_db):
    page = browser.new_page(viewport=LAPTOP)
    for role, country in (("analyst", "PER"), ("hub_admin", None)):  # the hub also types the reporting country
        page.set_viewport_size(LAPTOP)
        sign_in(page, server, make_user(sqlite_db, role, country), "/uploads")
        for width in (1366, 768, 390, 360):
            page.set_viewport_size({"width": width, "height": 900})
            for lang in ("en", "es"):
                page.goto(f"{server}/uploads?lang={lang}")
                assert page.evaluate(OUTSIDE) == [], (role, width, lang)
        page.context.clear_cookies()
