"""Case entry in real Chromium: a service provider signs in with a one-time code, switches to Spanish, enters a
child's case (age 15) with the child branch, saves a draft, resumes it later, and submits it. Keyboard only where a
first responder would use it (tab to a box, space to tick it); every control has a label."""

from __future__ import annotations

import datetime as dt

from auth_helpers import make_user
from browser_support import screenshot, sign_in
from sqlalchemy import select

from tipnet.store.tables import persons

FIRST = dt.date.today().replace(day=1).isoformat()


def _unlabelled(page, form: str = "case-form") -> list[str]:  # type: ignore[no-untyped-def]
    """Visible form controls without a label (the language switch and hidden inputs aside)."""
    return page.evaluate("""(form) => [...document.querySelectorAll("#" + form + " :is(input, select, textarea)")]
        .filter(e => e.type !== "hidden" && e.labels.length === 0).map(e => e.id || e.name)""", form)


def test_a_service_provider_enters_a_child_case_in_spanish(page, server, sqlite_db):
    ngo = make_user(sqlite_db, "service_provider", "PER")
    sign_in(page, server, ngo, "/cases")
    page.select_option("#lang-select", "es")  # the language switch in the header
    page.wait_for_url("**/cases?lang=es")
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.inner_text("h1") == "Casos"
    page.click("#new-case")
    page.wait_for_selector("#case-form")
    assert page.inner_text("h1") == "Nuevo caso: detección e identificación"
    assert _unlabelled(page) == []

    # screening and identity: a 15-year-old girl, identified this month, who understands Spanish
    page.fill("#f-identification_date", FIRST)
    page.select_option("#f-victim_status", "actual")
    page.get_by_label("Explotación sexual", exact=True).check()
    page.fill("#f-given_names", "Lucía")
    page.fill("#f-family_names", "Mamani Quispe")
    page.fill("#f-age", "15")
    page.select_option("#f-sex", "female")
    page.select_option("#f-citizenship-0", "BOL")
    page.get_by_label("Idioma que la persona entiende").select_option("es")
    # the child branch, partly by keyboard: from the interpreter box, Tab reaches the best-interests box (the
    # first control of the child section) and the space bar ticks it
    page.focus("#f-interpreter_needed")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "f-best_interests"
    page.keyboard.press("Space")
    assert page.is_checked("#f-best_interests")
    page.select_option("#f-guardian_type", "child_protection_authority")
    page.fill("#f-guardian_name", "DEMUNA Cusco")
    page.check("#f-unaccompanied")
    page.check("#f-protection_measures-emergency_shelter")
    page.check("#f-protection_measures-child_protection_notified")
    page.fill("#f-protection_date", FIRST)
    page.click("#save-draft")
    page.wait_for_selector("#saved")
    assert "Borrador guardado" in page.inner_text("#saved")
    case_id = page.url.split("/cases/")[1].split("?")[0]
    screenshot(page, "cases-draft-es")

    # later: resume the draft from the list; what was typed is still there
    page.goto(f"{server}/cases")
    page.click(f"a[href='/cases/{case_id}']")
    page.wait_for_selector("#case-form")
    assert page.input_value("#f-guardian_name") == "DEMUNA Cusco" and page.input_value("#f-age") == "15"
    assert page.is_checked("#f-best_interests") and page.is_checked("#f-protection_measures-emergency_shelter")
    assert "menor de 18" in page.inner_text("#child-applies")  # the saved age puts the child branch in force
    # submitting too early lists what is missing, linked to the fields
    page.click("#submit-case")
    page.wait_for_selector("#problems")
    assert "Consentimiento otorgado por" in page.inner_text("#problems")
    assert page.evaluate("document.activeElement.id") == "problems"  # focus moves to the list of problems

    page.select_option("#f-consent_given_by", "guardian")
    page.fill("#f-consent_date", FIRST)
    for item, answer in (("consent_data_processing", "yes"), ("consent_share_services", "yes"),
                         ("consent_share_law_enforcement", "no"), ("consent_share_hub", "yes"),
                         ("consent_research", "no")):
        page.check(f"#f-{item}-{answer}")
    page.select_option("#f-risk_level", "high")
    page.check("#f-risk_factors-trafficker_contact")
    page.fill("#f-safety_plan", "Albergue especializado, visitas restringidas")
    page.fill("#f-referral_provider", "Casa de Acogida Santa Rosa")
    page.fill("#f-referral_date", FIRST)
    for kind in ("shelter", "psychological", "medical"):
        page.check(f"#f-plan_{kind}_needed")
        page.fill(f"#f-plan_{kind}_start", FIRST)
    screenshot(page, "cases-form-complete-es")
    page.click("#submit-case")
    page.wait_for_selector("#submitted")
    assert page.inner_text("#case-status") == "Enviado" and page.inner_text("#case-minor") == "sí"
    assert "Casa de Acogida Santa Rosa" in page.inner_text("#v-referral_provider")
    assert page.locator("#view-plan > table tbody tr").count() == 3
    screenshot(page, "cases-submitted-es")

    # assistance goes on: open the plan editor with the keyboard and add legal assistance
    page.focus("#plan-edit summary")
    page.keyboard.press("Enter")
    page.check("#plan-form #f-plan_legal_needed")
    page.fill("#plan-form #f-plan_legal_start", FIRST)
    page.click("#plan-save")
    page.wait_for_selector("#planned")
    assert page.locator("#view-plan > table tbody tr").count() == 4

    with sqlite_db.engine.connect() as conn:
        stored = conn.execute(select(persons).where(persons.c.record_id == case_id)).one()
    assert stored.is_minor is True and stored.age == 15 and stored.reporting_country == "PER"
    assert stored.primary_language == "es" and stored.assistance_types == "medical;psychological;legal;shelter"

    # a name was misspelt: the person who entered the case corrects it, saying why; the store follows
    page.click("#correct-case")
    page.wait_for_selector("#correct-form")
    assert _unlabelled(page, "correct-form") == []
    assert page.locator("#correct-form [name=consent_share_hub]").count() == 0  # consent is withdrawn, not corrected
    assert page.input_value("#f-family_names") == "Mamani Quispe"
    page.fill("#f-family_names", "Mamani Quispe de Flores")
    page.fill("#f-reason", "apellido copiado de forma incompleta")
    page.click("#save-correction")
    page.wait_for_selector("#corrected")
    assert "apellido copiado de forma incompleta" in page.inner_text("#corrections")
    assert "Apellidos" in page.inner_text("#corrections")
    screenshot(page, "cases-corrected-es")
    with sqlite_db.engine.connect() as conn:
        stored = conn.execute(select(persons).where(persons.c.record_id == case_id)).one()
    assert stored.family_names == "Mamani Quispe de Flores" and stored.assistance_types.endswith("shelter")
