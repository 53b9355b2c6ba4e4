"""The web app in real Chromium (Debian's package, driven by Playwright): sign-in with a one-time code, dictionary,
upload -> commit, routes map."""

from __future__ import annotations

from auth_helpers import make_user
from browser_support import sign_in


def test_dictionary_and_upload_in_a_browser(page, server, sqlite_db, tmp_path):
    page.goto(f"{server}/dictionary?lang=fr")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("#fields tbody tr").count() > 40
    assert page.get_by_role("cell", name="Sexe", exact=True).count() == 1

    f = tmp_path / "victimas.csv"
    f.write_text("record_id,case_id,sexo,edad\n1,A,F,15\n2,,M,200\n", encoding="utf-8")
    sign_in(page, server, make_user(sqlite_db, "analyst", "PER"), "/uploads?lang=es")
    page.set_input_files("input[name=file]", str(f))
    assert page.input_value("input[name=country]") == "PER"  # fixed to the analyst's country
    page.click("#upload button[type=submit]")
    page.wait_for_selector("#row-summary")
    assert "2 filas: 1 válidas, 1 no válidas" in page.inner_text("#row-summary")
    assert "200" in page.inner_text("#problems")
    page.click("#commit")
    page.wait_for_selector("#rows-accepted")
    assert page.inner_text("#rows-accepted") == "1" and page.inner_text("#rows-quarantined") == "1"
    assert "Filas almacenadas: 1; en cuarentena para corregir: 1." in page.inner_text("#committed")  # confirmed
    assert page.locator("#quarantine").count() == 1


def test_routes_page_draws_countries_and_arcs(page, server, sqlite_db, settings, tmp_path):
    from tipnet.ingest.pipeline import ImportOptions, import_file

    rows = ["record_id,case_id,citizenship,exploitation_country,identification_date"]
    routes = [("VEN", 7), ("BOL", 5), ("COL", 3), ("PER", 6)]  # COL -> PER has 3 victims: below the threshold
    n = 0
    for origin, count in routes:
        for _ in range(count):
            n += 1
            rows.append(f"R{n},C{n},{origin},PER,2022-05-0{1 + n % 9}")
    f = tmp_path / "routes.csv"
    f.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert import_file(f, sqlite_db, ImportOptions(country="PER"), settings).rows_accepted == n
    sign_in(page, server, make_user(sqlite_db, "analyst", "PER"), "/routes")
    page.wait_for_selector("#map svg.tipnet-map path.country", state="attached")
    assert page.locator("#map path.country").count() > 30
    arcs = page.locator("#map path.flow")
    assert arcs.count() == 2
    assert {(arcs.nth(i).get_attribute("data-origin"), arcs.nth(i).get_attribute("data-destination"))
            for i in range(2)} == {("VEN", "PER"), ("BOL", "PER")}
    assert page.locator("#map circle.domestic").count() == 1
    page.screenshot(path=str(tmp_path / "routes.png"), full_page=True)
