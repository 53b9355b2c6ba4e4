"""The platform on a phone, in real Chromium (Debian's package, driven by Playwright): at 390 px wide no page scrolls
sideways (wide tables scroll inside their own box), the header's menu folds behind a button that opens it without
script and shows every entry on the screen, and the dark colour scheme follows the system setting.

One browser context per role, its page reused from page to page; the store holds the directory, the compendium, the
self-assessments, a committed file and a case draft, so the widest tables are there."""

from __future__ import annotations

from typing import Any

import pytest
from auth_helpers import PASSWORD, Account, make_user
from browser_support import screenshot
from test_browser_platform import axe_violations

from tipnet.auth import totp

PHONE = {"width": 390, "height": 844}
ANONYMOUS = ("/", "/login", "/dictionary", "/directory", "/compendium", "/releases", "/assess")
ANALYST = ("/stats", "/countries/PER", "/routes", "/uploads", "/submissions", "/cases", "/cases/new", "/directory",
           "/account")
HUB = ("/", "/stats", "/submissions", "/directory", "/assess", "/registry", "/federation/nodes")

# the widest element that is not inside a box that scrolls or clips: what pushes the page sideways
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const boxed = el => { for (let p = el.parentElement; p; p = p.parentElement) {
    if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)) return true; } return false; };
  return {scroll: document.documentElement.scrollWidth,
          culprits: [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > width + 1 && !boxed(el))
            .slice(0, 5).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                                   + ' ' + Math.round(el.getBoundingClientRect().right))};
}"""



@pytest.fixture
def filled_store(sqlite_db, settings, tmp_path) -> None:
    """What makes the pages wide: 245 directory entries, the compendium, published self-assessments, a committed
    file with long names and a case draft."""
    from tipnet.auth.principal import Principal, Via, system
    from tipnet.cases import store as cases
    from tipnet.coop.compendium_seed import seed as seed_compendium
    from tipnet.demo.assessments import seed_assessments
    from tipnet.demo.directory import seed_directory
    from tipnet.ingest.pipeline import ImportOptions, import_file

    seed_directory(sqlite_db)
    seed_compendium(sqlite_db, system("demo"))
    seed_assessments(sqlite_db)
    rows = ["record_id,case_id,citizenship,exploitation_country,identification_date,sex,age"]
    rows += [f"R{n},C{n},{('VEN', 'BOL', 'COL')[n % 3]},PER,2022-05-0{1 + n % 9},female,{14 + n}" for n in range(24)]
    f = tmp_path / "registro_de_victimas_de_la_policia_nacional_del_peru_2022.csv"
    f.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert import_file(f, sqlite_db, ImportOptions(country="PER"), settings).rows_accepted == 24
    ngo = make_user(sqlite_db, "service_provider", "PER").user
    who = Principal(via=Via.SESSION, user_id=ngo.id, email=ngo.email, role=ngo.role, country=ngo.country)
    cases.save(sqlite_db, who, {"identification_date": "2026-01-05", "victim_status": "possible", "sex": "male",
                                "age": "34", "citizenship": ["VEN"], "forms_of_exploitation": ["forced_labour"]})


def _phone(browser: Any, scheme: str = "light") -> Any:
    return browser.new_context(viewport=PHONE, color_scheme=scheme).new_page()


def _sign_in(page: Any, server: str, account: Account) -> None:
    """Through the forms at phone width: the signed-in header is behind the menu, so wait for it in the document."""
    page.goto(f"{server}/login")
    page.fill("input[name=email]", account.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#totp-form")
    page.fill("input[name=code]", totp.current_code(account.secret))
    page.click("#totp-form button[type=submit]")
    page.wait_for_selector("#account", state="attached")


def _assert_fits(page: Any, server: str, paths: tuple[str, ...], who: str, axe: tuple[str, ...] = ()) -> None:
    """No page of `paths` is wider than the phone; on those of `axe`, axe-core finds no serious or critical
    violation (a table that scrolls must be reachable by keyboard, for one)."""
    wide, violations = {}, {}
    for path in paths:
        page.goto(f"{server}{path}")
        found = page.evaluate(OVERFLOW)
        if found["scroll"] > PHONE["width"]:
            wide[path] = found
        if path in axe and (v := axe_violations(page)):
            violations[path] = v
    assert wide == {}, f"{who}: pages wider than {PHONE['width']} px: {wide}"
    assert violations == {}, f"{who}: axe at {PHONE['width']} px: {violations}"


def _assert_menu_reachable(page: Any, name: str) -> list[str]:
    """Closed, the menu's links are hidden; the button opens it (a click on its label, no script) and then every
    link, the account and the language picker are on the screen, inside the viewport without scrolling."""
    links = page.locator("header nav a")
    assert links.count() > 0 and not any(links.nth(i).is_visible() for i in range(links.count()))
    page.click("label.menu-button")
    boxes = page.evaluate("""() => [...document.querySelectorAll('header nav a, #account, #login, #lang-select')]
        .map(el => { const r = el.getBoundingClientRect();
                     return {href: el.closest('nav') ? el.getAttribute('href') : el.id,
                             left: r.left, right: r.right, top: r.top, bottom: r.bottom,
                             shown: r.width > 0 && r.height > 0}; })""")
    outside = [b for b in boxes if not (b["shown"] and b["left"] >= 0 and b["right"] <= PHONE["width"]
                                         and b["top"] >= 0 and b["bottom"] <= PHONE["height"])]
    assert outside == [], f"{name}: menu entries not on the screen: {outside}"
    screenshot(page, f"phone-menu-{name}")
    page.click("label.menu-button")  # and it closes again
    assert not links.first.is_visible()
    return [b["href"] for b in boxes]


def test_no_page_scrolls_sideways_on_a_phone_and_the_menu_reaches_everything(browser, server, sqlite_db,
                                                                              filled_store):
    anonymous = _phone(browser)
    _assert_fits(anonymous, server, ANONYMOUS, "anonymous", axe=("/dictionary", "/directory", "/assess"))
    anonymous.goto(f"{server}/")
    assert {"/", "/releases", "/dictionary", "login"} <= set(_assert_menu_reachable(anonymous, "anonymous"))
    anonymous.click("label.menu-button")
    assert axe_violations(anonymous) == []  # the open menu too
    anonymous.goto(f"{server}/dictionary?lang=es")  # a long Spanish table: it scrolls inside its box, not the page
    table_box = anonymous.evaluate("""() => { const box = document.getElementById('fields').parentElement;
        return {client: box.clientWidth, scroll: box.scrollWidth, overflow: getComputedStyle(box).overflowX}; }""")
    assert table_box["scroll"] > table_box["client"] and table_box["overflow"] == "auto", table_box
    screenshot(anonymous, "phone-dictionary-es")

    analyst = _phone(browser)
    _sign_in(analyst, server, make_user(sqlite_db, "analyst", "PER"))
    _assert_fits(analyst, server, ANALYST, "analyst of PER", axe=("/routes", "/submissions", "/cases", "/cases/new"))
    analyst.goto(f"{server}/cases/new?lang=es")
    screenshot(analyst, "phone-case-form-es")
    # the case form is one column: every field's left edge is the same
    lefts = analyst.evaluate("""() => [...new Set([...document.querySelectorAll('#section-screening .field')]
        .map(f => Math.round(f.getBoundingClientRect().left)))]""")
    assert len(lefts) == 1, lefts
    assert {"/stats", "/routes", "/uploads", "/submissions", "/cases", "account"} <= set(
        _assert_menu_reachable(analyst, "analyst-es"))

    hub = _phone(browser)
    _sign_in(hub, server, make_user(sqlite_db, "hub_admin"))  # the longest menu: users and audit too
    _assert_fits(hub, server, HUB, "hub administrator")
    hub.goto(f"{server}/?lang=es")
    assert {"/admin/users", "/admin/audit", "/federation/nodes"} <= set(_assert_menu_reachable(hub, "hub-es"))


def test_the_menu_opens_from_the_keyboard(browser, server):
    page = _phone(browser)
    page.goto(f"{server}/")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the brand
    page.keyboard.press("Tab")  # the menu's checkbox, drawn as the button
    assert page.evaluate("() => document.activeElement.id") == "menu-open"
    ring = page.evaluate("() => getComputedStyle(document.querySelector('label.menu-button')).outlineStyle")
    assert ring != "none"
    page.keyboard.press("Space")
    assert page.locator("header nav a[href='/dictionary']").is_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.getAttribute('href')") == "/"


def test_wide_screens_show_the_menu_without_a_button(browser, server):
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    page.goto(f"{server}/dictionary")
    assert not page.locator("label.menu-button").is_visible()
    assert page.locator("header nav a[href='/directory']").is_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1366


def _luminance(css: str) -> float:
    r, g, b = (int(x) / 255 for x in css[css.index("(") + 1:css.index(")")].split(",")[:3])
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def test_dark_scheme_follows_the_system_setting(browser, server, sqlite_db, filled_store):
    colours = "() => [getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color]"
    light = _phone(browser, "light")
    light.goto(f"{server}/dictionary")
    background, text = light.evaluate(colours)
    assert _luminance(background) > 0.8 and _luminance(text) < 0.1, (background, text)

    dark = _phone(browser, "dark")
    dark.goto(f"{server}/dictionary")
    background, text = dark.evaluate(colours)
    assert _luminance(background) < 0.02 and _luminance(text) > 0.6, (background, text)
    screenshot(dark, "phone-dark-dictionary")
    # dark pages stay readable: axe finds no serious contrast (or other) problem, signed out and in
    for path in ("/", "/login", "/dictionary", "/directory"):
        dark.goto(f"{server}{path}")
        assert axe_violations(dark) == [], path
    _sign_in(dark, server, make_user(sqlite_db, "analyst", "PER"))
    for path in ("/uploads", "/submissions", "/cases/new", "/stats"):
        dark.goto(f"{server}{path}")
        assert axe_violations(dark) == [], path
    screenshot(dark, "phone-dark-stats")

