"""The platform in real Chromium (Debian's package, driven by Playwright): sign-in with a one-time code, upload and
its report, language switch, the dashboard pages, keyboard navigation with a visible focus, and axe-core (vendored,
tests/vendor/axe.min.js) on every page: no serious or critical violation. Screenshots go to tests/artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auth_helpers import make_user
from browser_support import screenshot, sign_in

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
BLOCKING = ("serious", "critical")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the current page (WCAG 2.x A/AA rules and best practices).

    The script is evaluated through the DevTools protocol, so the app's Content-Security-Policy (script-src 'self')
    stays as it is in production."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["html"][:160] for n in v["nodes"][:5]]}
            for v in result["violations"] if v["impact"] in BLOCKING]


def assert_accessible(page: Any, name: str) -> None:
    screenshot(page, name)
    found = axe_violations(page)
    assert found == [], f"axe on {name} ({page.url}):\n" + "\n".join(
        f"- {v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in found)


def _focus_walk(page: Any, presses: int) -> list[dict[str, Any]]:
    """Press Tab up to `presses` times (until the focus leaves the page); for each stop: the focused element and
    whether its focus is drawn (an outline of 2px or more, or a box shadow)."""
    stops = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        stops.append(page.evaluate("""() => {
            const el = document.activeElement;
            const s = getComputedStyle(el);
            const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none';
            return {tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute('name'),
                    href: el.getAttribute('href'), type: el.getAttribute('type'), ring: ring,
                    text: (el.innerText || el.value || '').trim().slice(0, 40)};
        }"""))
        if stops[-1]["tag"] == "body":  # past the last control
            stops.pop()
            break
    return stops


def test_anonymous_pages_are_accessible(page, server):
    for path, name in (("/", "home"), ("/login", "login"), ("/dictionary", "dictionary"),
                       ("/releases", "releases")):
        page.goto(f"{server}{path}")
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.locator("main").count() == 1
        assert_accessible(page, f"a11y-{name}")


def test_keyboard_reaches_the_main_controls_with_a_visible_focus(page, server, sqlite_db):
    page.goto(f"{server}/login")
    stops = _focus_walk(page, 30)
    names = [s["name"] or s["id"] or s["href"] for s in stops]
    # the first stop skips to the content; the form's fields and its button come within reach
    assert stops[0]["href"] == "#content", stops[0]
    for wanted in ("email", "password", "lang"):
        assert wanted in names, names
    assert any(s["tag"] == "button" and s["type"] == "submit" for s in stops), stops
    assert all(s["ring"] for s in stops), [s for s in stops if not s["ring"]]
    # the skip link moves the focus into the content: the next Tab lands on the form's first field
    page.goto(f"{server}/login")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.name") == "email"
    # signing in with the keyboard only
    acct = make_user(sqlite_db, "analyst", "PER")
    from auth_helpers import PASSWORD

    from tipnet.auth import totp

    page.focus("input[name=email]")
    page.keyboard.type(acct.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("#totp-form")
    assert page.evaluate("() => document.activeElement.name") == "code"  # focus waits in the code field
    page.keyboard.type(totp.current_code(acct.secret))
    page.keyboard.press("Enter")
    page.wait_for_selector("#account")
    stops = _focus_walk(page, 25)
    hrefs = {s["href"] for s in stops}
    assert {"/stats", "/routes", "/uploads", "/submissions"} <= hrefs, hrefs
    assert any(s["id"] == "logout" for s in stops) and all(s["ring"] for s in stops)
    screenshot(page, "a11y-keyboard-focus")


def test_platform_journey_is_accessible(page, server, sqlite_db, tmp_path):
    f = tmp_path / "victimas.csv"
    # row 2's age of 200 is kept as a warning (the victim still counts); row 3 has no case id: it cannot be counted
    f.write_text("record_id,case_id,sexo,edad,ciudadania\n1,A,F,15,VEN\n2,A,M,200,PER\n3,,F,24,BOL\n",
                 encoding="utf-8")
    sign_in(page, server, make_user(sqlite_db, "analyst", "PER"), "/uploads")
    assert_accessible(page, "a11y-upload")
    page.set_input_files("input[name=file]", str(f))
    page.click("#upload button[type=submit]")
    page.wait_for_selector("#row-summary")
    assert "3 rows: 2 valid, 1 invalid" in page.inner_text("#row-summary")
    assert "200" in page.inner_text("#problems")
    assert_accessible(page, "a11y-upload-report")
    page.click("#commit")
    page.wait_for_selector("#rows-accepted")
    assert page.inner_text("#rows-accepted") == "2"
    assert_accessible(page, "a11y-submission")

    # language switch: the select submits itself; the choice sticks across pages
    page.select_option("#lang-select", "es")
    page.wait_for_function("() => document.documentElement.lang === 'es'")
    page.goto(f"{server}/stats")
    assert page.locator("html").get_attribute("lang") == "es"
    page.wait_for_selector("#map svg.tipnet-map path.country", state="attached")
    assert "Perú" in page.inner_text("#microdata")
    assert_accessible(page, "a11y-overview-es")
    page.goto(f"{server}/countries/PER")
    assert page.locator("html").get_attribute("lang") == "es"
    assert_accessible(page, "a11y-country-es")
    page.goto(f"{server}/routes")
    page.wait_for_selector("#map svg.tipnet-map", state="attached")
    assert_accessible(page, "a11y-routes-es")
    page.goto(f"{server}/submissions?lang=fr")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert_accessible(page, "a11y-submissions-fr")
    page.goto(f"{server}/account?lang=pt")
    assert_accessible(page, "a11y-account-pt")


def test_axe_reports_planted_violations(page, server):
    """The check can fail: a field without a label and grey-on-white text are found on an otherwise clean page."""
    page.goto(f"{server}/")
    assert axe_violations(page) == []
    page.evaluate("""() => {
        const m = document.querySelector('main');
        m.insertAdjacentHTML('beforeend', '<input type="text" name="unlabelled"><p id="faint">faint text</p>');
        const p = document.getElementById('faint');  // styled through the CSSOM: the policy refuses style=""
        p.style.color = '#bbb';
        p.style.background = '#fff';
    }""")
    found = {v["id"]: v["impact"] for v in axe_violations(page)}
    assert found.get("label") == "critical" and found.get("color-contrast") == "serious", found
