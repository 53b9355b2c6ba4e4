"""Reviewing held figures on the web: the review page's forms confirm a figure as written or correct it, through the
same scoped, audited service as `tipnet review` (the command line's counterpart is tested in test_glotip_holds.py).
The return below is Peru's, shaped like the UNODC GLOTIP download, with the figures its plausibility checks hold
written down by hand."""
from __future__ import annotations

import json

import openpyxl
import pytest
from auth_helpers import make_user, signed_in_client
from browser_support import screenshot, sign_in
from sqlalchemy import select
from test_glotip_holds import _figures

from tipnet.ingest.pipeline import ImportOptions, import_file
from tipnet.store.tables import aggregates
from tipnet.store.tables_auth import audit_log
from tipnet.web.app import create_app

HEADER = ["Iso3_code", "Country", "Region", "Subregion", "Indicator", "Dimension", "Category", "Sex", "Age", "Year",
          "Unit of measurement", "txtVALUE", "Source"]
PLACE = ["PER", "Peru", "Americas", "South America"]
ROWS = {  # sheet row -> (indicator, dimension, category, year, value as written)
    4: ("Persons convicted", "Total", "Total", 2019, "12"),
    5: ("Persons convicted", "by citizenship", "Nationals", 2019, "6,112,019"),  # the code of a questionnaire cell
    6: ("Persons convicted", "by citizenship", "Nationals", 2020, "6,112,020"),
    7: ("Persons convicted", "by citizenship", "Q6.1_10s_2019", 2019, "61,102,019"),  # a code as the category
    8: ("Persons convicted", "by citizenship", "Q6.1_11s_2019", 2019, "61,112,019"),
    9: ("Detected trafficking victims", "Total", "Total", 2019, "250"),
}
HELD = {5, 6, 7, 8}  # by hand: codes written as values or categories, and counts above 1 % of Peru's population


@pytest.fixture
def per(sqlite_db, settings, tmp_path):
    """A GLOTIP-shaped return of Peru's own (the UNODC layout: two preamble rows, then the header): its held figures
    are Peru's users' to review."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "data_glotip_1"
    ws.append(["UNODC", "unodc_dass@un.org"])
    ws.append(["14/04/2025"])
    ws.append(HEADER)
    for n in sorted(ROWS):
        indicator, dimension, category, year, value = ROWS[n]
        ws.append([*PLACE, indicator, dimension, category, "Total", "Total", year, "Counts", value, "GLOTIP"])
    path = tmp_path / "data_glotip_per.xlsx"
    wb.save(path)
    report = import_file(path, sqlite_db, ImportOptions(country="PER"), settings)
    assert report.rows_total == len(ROWS) and report.rows_quarantined == 0
    with sqlite_db.engine.connect() as conn:
        ids = {r.source_row: r.id for r in conn.execute(select(aggregates.c.source_row, aggregates.c.id))}
    return sqlite_db, report.submission_id, ids


def _held_rows(client, sub: int) -> set[int]:
    return {f["source_row"] for f in client.get(f"/submissions/{sub}/review.json").json()["figures"]}


def _changes(db) -> list[tuple[str, int, str | None, dict]]:
    with db.engine.connect() as conn:
        rows = conn.execute(select(audit_log).where(audit_log.c.action.in_(
            ("aggregates.held.confirm", "aggregates.held.correct"))).order_by(audit_log.c.seq))
        return [(r.action, int(r.object_id), r.actor, json.loads(r.details)) for r in rows]


def _stored(db, figure_id: int):
    with db.engine.connect() as conn:
        return conn.execute(select(aggregates).where(aggregates.c.id == figure_id)).one()


def test_analyst_corrects_with_the_form_and_confirms_with_json(per):
    db, sub, ids = per
    client, me = signed_in_client(create_app(db), db, "analyst", "PER")
    page = client.get(f"/submissions/{sub}/review")
    assert page.status_code == 200
    assert f'action="/submissions/{sub}/review/{ids[5]}/correct"' in page.text
    assert f'formaction="/submissions/{sub}/review/{ids[5]}/confirm"' in page.text
    assert f'name="csrf_token" value="{me.csrf}"' in page.text
    assert _held_rows(client, sub) == HELD

    # the browser's form post: the CSRF token travels in the form, the answer is a 303 back to the page
    del client.headers["x-csrf-token"]
    url = f"/submissions/{sub}/review/{ids[5]}/correct"
    refused = client.post(url, data={"value": "3", "reason": "court records"}, follow_redirects=False)
    assert refused.status_code == 403  # no CSRF token, nothing done
    r = client.post(url, data={"value": " 3 ", "reason": "court records: 3 convicted nationals",
                               "csrf_token": me.csrf}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"/submissions/{sub}/review?done=corrected&figure={ids[5]}"
    back = client.get(r.headers["location"])
    assert f"Figure {ids[5]} was corrected" in back.text and f'id="figure-{ids[5]}"' not in back.text
    row = _stored(db, ids[5])
    assert (row.value, row.value_min, row.value_max, row.raw_value, row.held, row.review) == (
        3, 3, 3, "6,112,019", False, "corrected")
    got = _figures(db, "convicted", ("country", "citizenship"), {"country": "PER", "year": 2019})
    assert [(r["citizenship"], r["victims"]) for r in got] == [("PER", 3)]

    # the JSON twin: the reviewed figure comes back
    client.headers["x-csrf-token"] = me.csrf
    r = client.post(f"/submissions/{sub}/review/{ids[6]}/confirm.json", data={"reason": "checked"})
    assert r.status_code == 200, r.text
    assert (r.json()["id"], r.json()["review"], r.json()["held"], r.json()["value"]) == (
        ids[6], "confirmed", False, 6_112_020)
    got = _figures(db, "convicted", ("country", "citizenship"), {"country": "PER", "year": 2020})
    assert [(r["citizenship"], r["victims"]) for r in got] == [("PER", 6_112_020)]
    assert _held_rows(client, sub) == HELD - {5, 6}
    everything = client.get(f"/submissions/{sub}/review.json?all=true").json()["figures"]
    assert {f["source_row"]: f["review"] for f in everything if f["review"]} == {5: "corrected", 6: "confirmed"}

    changes = _changes(db)
    assert [(a, o, actor) for a, o, actor, _ in changes] == [("aggregates.held.correct", ids[5], me.email),
                                                              ("aggregates.held.confirm", ids[6], me.email)]
    assert changes[0][3]["before"]["value"] == 6_112_019 and changes[0][3]["after"]["value"] == 3
    assert changes[0][3]["reason"] == "court records: 3 convicted nationals" and changes[1][3]["reason"] == "checked"


def test_focal_point_corrects_to_below_five_and_confirms_from_the_browser_form(per):
    db, sub, ids = per
    client, me = signed_in_client(create_app(db), db, "focal_point", "PER")
    r = client.post(f"/submissions/{sub}/review/{ids[7]}/correct", follow_redirects=False,
                    data={"value": "<5", "reason": "national court registry"})
    assert r.status_code == 303
    row = _stored(db, ids[7])
    assert (row.value, row.value_min, row.value_max, row.censored, row.review) == (None, 1, 4, True, "corrected")
    r = client.post(f"/submissions/{sub}/review/{ids[8]}/confirm", data={"value": "", "reason": ""},
                    follow_redirects=False)  # the row's one form, its Confirm button: the reason is optional
    assert r.status_code == 303 and r.headers["location"].endswith(f"done=confirmed&figure={ids[8]}")
    assert _changes(db)[-1][3]["reason"] is None
    assert _held_rows(client, sub) == HELD - {7, 8}


def test_refusals_come_back_as_the_error_shape_or_the_page_with_a_message(per):
    db, sub, ids = per
    client, _ = signed_in_client(create_app(db), db, "analyst", "PER")
    base = f"/submissions/{sub}/review/{ids[5]}"
    for value, reason, kind in (("-1", "x", "value"), ("6.5", "x", "value"), ("", "x", "value"),
                                ("3", "  ", "reason")):
        r = client.post(f"{base}/correct.json", data={"value": value, "reason": reason})
        assert r.status_code == 422, (value, reason)
        error = r.json()["error"]
        assert (error["status"], error["code"]) == (422, "invalid-request") and kind in error["details"]
    page = client.post(f"{base}/correct", data={"value": "-1", "reason": "typo"}, headers={"accept": "text/html"})
    assert page.status_code == 422 and 'id="form-error"' in page.text
    assert "the right value must be a whole number" in page.text
    assert f'id="figure-{ids[5]}" class="refused"' in page.text
    es = client.post(f"{base}/correct?lang=es", data={"value": "3", "reason": ""})
    assert es.status_code == 422 and "indique de dónde proviene el valor correcto" in es.text
    assert _held_rows(client, sub) == HELD and _changes(db) == []  # nothing changed

    assert client.post(f"{base}/confirm.json").status_code == 200
    again = client.post(f"{base}/confirm.json")
    assert again.status_code == 422 and again.json()["error"]["details"] == {"review": "confirmed"}
    assert "ya se confirmó o corrigió" in client.post(f"{base}/correct", data={"value": "1", "reason": "x"}).text
    # a figure named under another submission's page is not found there
    assert client.post(f"/submissions/{sub + 1}/review/{ids[7]}/confirm.json").status_code == 404


@pytest.mark.parametrize(("role", "country", "status"), [
    ("analyst", "COL", 404),       # another country's: not even seen
    ("focal_point", "COL", 404),
    ("hub_analyst", None, 404),    # a country's return the hub was not given
    ("service_provider", "PER", 403),  # the country's, but no role to import or review figures
    ("investigator", "PER", 403),
])
def test_only_the_reporting_countrys_importers_review(per, role, country, status):
    db, sub, ids = per
    client, _ = signed_in_client(create_app(db), db, role, country)
    for path, data in ((f"{ids[5]}/confirm.json", {}), (f"{ids[5]}/correct.json", {"value": "3", "reason": "x"})):
        r = client.post(f"/submissions/{sub}/review/{path}", data=data)
        assert r.status_code == status and r.json()["error"]["status"] == status, r.text
    assert _stored(db, ids[5]).held is True and _changes(db) == []


def test_the_forms_speak_the_page_language(per):
    db, sub, _ = per
    client, _ = signed_in_client(create_app(db), db, "analyst", "PER")
    for lang, words in (("es", ("Corregir", "Confirmar tal como está", "Motivo")),
                        ("fr", ("Corriger", "Confirmer tel quel", "Motif")),
                        ("pt", ("Corrigir", "Confirmar como está", "Motivo"))):
        text = client.get(f"/submissions/{sub}/review?lang={lang}").text
        assert all(w in text for w in words), lang


@pytest.mark.parametrize("lang", ["en", "es"])
def test_browser_corrects_a_figure_and_the_page_fits_a_phone(per, server, page, lang):
    db, sub, ids = per
    account = make_user(db, "analyst", "PER")
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, server, account, "/account")
    page.goto(f"{server}/submissions/{sub}/review?lang={lang}")
    screenshot(page, f"review-{lang}-1366")
    page.click(f"#correct-{ids[5]}")  # empty fields: the browser asks for them, nothing is sent
    assert page.url.endswith(f"/review?lang={lang}")
    page.fill(f"#value-{ids[5]}", "3")
    page.fill(f"#reason-{ids[5]}", "court records")
    page.click(f"#correct-{ids[5]}")
    page.wait_for_selector("#review-done")
    assert page.locator(f"#figure-{ids[5]}").count() == 0
    page.click(f"#confirm-{ids[6]}")
    page.wait_for_selector(f"#review-done:has-text('{ids[6]}')")
    assert (_stored(db, ids[5]).value, _stored(db, ids[6]).review) == (3, "confirmed")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server}/submissions/{sub}/review")
    screenshot(page, f"review-{lang}-390")
    main = page.evaluate("[document.querySelector('main').scrollWidth, document.querySelector('main').clientWidth]")
    assert main[0] <= main[1]  # the table scrolls in its own box; the page's content does not overflow
