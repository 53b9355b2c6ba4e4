"""A national analyst fills in the self-assessment in Portuguese in real Chromium and sees the scorecard update."""

from __future__ import annotations

from auth_helpers import make_user
from browser_support import screenshot, sign_in


def test_fill_the_questionnaire_in_portuguese(page, server, sqlite_db):
    sign_in(page, server, make_user(sqlite_db, "analyst", "PER"), "/assess/PER/questionnaire?year=2020&lang=pt")
    assert page.locator("html").get_attribute("lang") == "pt"
    assert "Autoavaliação de Peru, 2020" in page.inner_text("h1")
    legal = 'td[data-domain="legal"]'
    assert page.inner_text(legal) == "0" and page.inner_text("#scorecard-total strong") == "0"
    options = page.locator('select[name="v:legal.palermo"] option').all_inner_texts()
    assert options == ["—", "Sim", "Parcialmente", "Não"]
    page.select_option('select[name="v:legal.palermo"]', label="Sim")
    page.select_option('select[name="v:legal.all_forms"]', label="Sim")
    page.fill('textarea[name="e:legal.all_forms"]', "https://example.org/lei-123")
    page.select_option('select[name="v:legal.residence"]', label="Parcialmente")
    page.click("#save")
    page.wait_for_selector("#assess-history tbody tr")
    # legal: instruments (1 + 1) / 2 = 1; victims' rights (0 + 0 + 0.5) / 3 = 0.1667 -> (1 + 0.1667) / 2 = 58.3
    assert page.inner_text(legal) == "58.3"
    # total: legal 0.58333 of five equally weighted domains -> 11.7
    assert page.inner_text("#scorecard-total strong") == "11.7"
    assert page.input_value('textarea[name="e:legal.all_forms"]') == "https://example.org/lei-123"
    assert "salva" in page.inner_text("#assess-history")
    screenshot(page, "assess-questionnaire-pt")
